import { SeededRandom } from '../../src/core/index.ts';
import { seedsFor } from './corpus-seeds.ts';
import { mutate } from './http-mutator.ts';
import { escaped, FAILING_VERDICTS, type Verdict } from './parse-outcome.ts';
import type { ParserDifferential } from './parser-differential.ts';
import type { Role } from './piper-parse.ts';

/** A mutated input on which piper and llhttp disagree in a way that fails. */
export interface FuzzFailure {
  role: Role;
  verdict: Verdict;
  detail: string;
  steps: string[];
  /** The input as a JavaScript string literal, to paste into a regression test. */
  input: string;
}

export interface FuzzSummary {
  seed: number;
  inputs: number;
  byVerdict: Partial<Record<Verdict, number>>;
  failures: FuzzFailure[];
}

export interface FuzzOptions {
  seed: number;
  /** Called before each input: false stops the run (a count, or a deadline in the fuzz runner). */
  more: (done: number) => boolean;
  /** Share of inputs that are requests (the rest are responses). */
  requestShare?: number;
}

/**
 * Mutates corpus inputs with a PRNG seeded by `seed` and runs each through the differential; the
 * same seed and count give the same inputs. Each input is also fed to piper cut in two or three
 * pieces at drawn offsets.
 */
export async function fuzzParser(d: ParserDifferential, o: FuzzOptions): Promise<FuzzSummary> {
  const r = new SeededRandom(o.seed);
  const seeds = { request: seedsFor('request'), response: seedsFor('response') };
  const share = o.requestShare ?? 0.75;
  const summary: FuzzSummary = { seed: o.seed, inputs: 0, byVerdict: {}, failures: [] };
  while (o.more(summary.inputs)) {
    const role: Role = r.next() < share ? 'request' : 'response';
    const pool = seeds[role];
    const { bytes, steps } = mutate(r, pool[r.int(pool.length)] as Buffer, pool);
    const cuts = [1 + r.int(Math.max(1, bytes.length - 1)), 1 + r.int(Math.max(1, bytes.length - 1))];
    const result = await d.run(role, bytes, cuts);
    summary.inputs++;
    summary.byVerdict[result.verdict] = (summary.byVerdict[result.verdict] ?? 0) + 1;
    if (FAILING_VERDICTS.has(result.verdict)) {
      summary.failures.push({ role, verdict: result.verdict, detail: result.detail, steps, input: escaped(bytes) });
    }
  }
  return summary;
}
