import { SeededRandom } from '../../src/core/index.ts';
import { ATTACK_CASES, type AttackCase } from './attack-cases.ts';
import { mutate } from './http-mutator.ts';
import { escaped } from './parse-outcome.ts';
import { type ProxyUnderTest, startHaproxy, startNginx, startPiper } from './proxies-under-test.ts';
import { type CaseRun, runCase } from './proxy-exchange.ts';

/** Every case through every proxy. */
export interface EndToEndRun {
  proxies: ProxyUnderTest['name'][];
  cases: AttackCase[];
  /** `results[i][k]`: case i through proxy k. */
  results: CaseRun[][];
  /** How many of `cases` are mutants (at the end of the list). */
  mutants: number;
  seed: number;
  /** Wall time of the whole run, for the report (never asserted). */
  durationMs: number;
}

/**
 * Mutated requests for the end-to-end run, drawn with a PRNG seeded by `seed`: the hand-made
 * cases that every proxy should survive (those without a todo) and the controls are the seeds.
 */
export function mutantCases(seed: number, count: number): AttackCase[] {
  const r = new SeededRandom(seed);
  const bases = ATTACK_CASES.filter((c) => c.todo === undefined);
  const pool = bases.map((c) => Buffer.from(c.send, 'latin1'));
  const out: AttackCase[] = [];
  for (let i = 0; i < count; i++) {
    const k = r.int(bases.length);
    const base = bases[k] as AttackCase;
    const { bytes, steps } = mutate(r, pool[k] as Buffer, pool);
    out.push({
      name: `mutant ${i + 1} of "${base.name}" (${steps.join(' + ')}): ${escaped(bytes)}`,
      send: bytes.toString('latin1'),
      requests: base.requests,
      targets: base.targets,
    });
  }
  return out;
}

/**
 * Starts piper, nginx and HAProxy (each with its own echo backends), runs every case through each
 * (the proxies side by side, the cases one after another within a proxy) and stops them.
 */
export async function runEndToEnd(options: { seed: number; mutants: number }): Promise<EndToEndRun> {
  const started = performance.now();
  const cases = [...ATTACK_CASES, ...mutantCases(options.seed, options.mutants)];
  const settled = await Promise.allSettled([startPiper(), startNginx(), startHaproxy()]);
  const proxies = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const byProxy = await Promise.all(
      proxies.map(async (p) => {
        const out: CaseRun[] = [];
        for (let i = 0; i < cases.length; i++) out.push(await runCase(p, cases[i] as AttackCase, i));
        return out;
      }),
    );
    return {
      proxies: proxies.map((p) => p.name),
      cases,
      results: cases.map((_, i) => byProxy.map((runs) => runs[i] as CaseRun)),
      mutants: options.mutants,
      seed: options.seed,
      durationMs: performance.now() - started,
    };
  } finally {
    await Promise.all(proxies.map((p) => p.stop()));
  }
}
