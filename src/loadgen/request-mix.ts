import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PiperError, parseSize, type Random } from '../core/index.ts';
import { loadgenErrors } from './loadgen-errors.ts';

/** One kind of request the generator sends; a scenario is a weighted mix of them. */
export interface RequestSpec {
  name: string;
  method: string;
  /** Path and query, e.g. `/api/compress?level=3`; joined to the target origin. */
  path: string;
  headers: Record<string, string>;
  body: string | null;
  weight: number;
}

const requestSchema = z.strictObject({
  name: z.string().min(1).optional(),
  method: z
    .string()
    .regex(/^[A-Za-z]+$/, 'an HTTP method such as GET or POST')
    .transform((m) => m.toUpperCase())
    .default('GET'),
  path: z.string().startsWith('/', 'must start with "/"').default('/'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  /** A body of this many bytes of repetitive text (`64KiB`), for upload mixes. */
  bodySize: z.string().optional(),
  weight: z.number().positive().default(1),
});

const scenarioSchema = z.strictObject({
  target: z.url().optional(),
  requests: z.array(requestSchema).min(1),
});

/** A parsed scenario file: an optional target and its weighted requests. */
export interface Scenario {
  target: string | undefined;
  requests: RequestSpec[];
}

/** Parses a scenario YAML; every problem names its key path. */
export function parseScenario(text: string, source: string): Scenario {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_SCENARIO, `${source}: invalid YAML: ${(err as Error).message}`);
  }
  const parsed = scenarioSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_SCENARIO, `${source}: ${problems}`, {
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  const requests = parsed.data.requests.map((r, i): RequestSpec => {
    let body = r.body ?? null;
    if (r.bodySize !== undefined) {
      let size: number;
      try {
        size = parseSize(r.bodySize);
      } catch (err) {
        throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_SCENARIO, `${source}: requests.${i}.bodySize: ${(err as Error).message}`);
      }
      body = syntheticBody(size);
    }
    return { name: r.name ?? `${r.method} ${r.path}`, method: r.method, path: r.path, headers: r.headers, body, weight: r.weight };
  });
  return { target: parsed.data.target, requests };
}

// Compressible text (log-like lines), so upload mixes exercise codecs the way real uploads do.
function syntheticBody(size: number): string {
  const line = '2017-03-31T21:50:00Z piper INFO request served path=/files/middle-out status=200 bytes=1048576\n';
  return line.repeat(Math.ceil(size / line.length)).slice(0, size);
}

/** Picks requests by weight (cumulative weights and a binary search: O(log n) per pick). */
export class RequestMix {
  readonly requests: readonly RequestSpec[];
  readonly #cumulative: number[];
  readonly #total: number;

  constructor(requests: readonly RequestSpec[]) {
    if (requests.length === 0) throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_SCENARIO, 'a scenario needs at least one request');
    this.requests = requests;
    let sum = 0;
    this.#cumulative = requests.map((r) => {
      sum += r.weight;
      return sum;
    });
    this.#total = sum;
  }

  /** Index of the next request to send. */
  pick(random: Random): number {
    if (this.requests.length === 1) return 0;
    const x = random.next() * this.#total;
    let lo = 0;
    let hi = this.#cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#cumulative[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
