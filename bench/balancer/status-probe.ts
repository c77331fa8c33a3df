// A low-rate open-model probe sent beside `piper loadtest`, which reports latency for all answers
// together: the probe keeps each answer's status, error code, Retry-After and latency (from its
// intended send time), so latency per outcome (admitted, shed) can be read from a sample.
import { Agent, request } from 'node:http';

/** One probe answer (status 0: a connection error or a 5 s timeout). */
export interface ProbeSample {
  status: number;
  code: string | null;
  retryAfter: boolean;
  latencyMs: number;
}

/** Sends GET `url` at `rate`/s for `durationS` seconds, each timed from its intended send, and resolves once all have ended. */
export async function runProbe(url: string, rate: number, durationS: number): Promise<ProbeSample[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const samples: ProbeSample[] = [];
  const pending: Promise<void>[] = [];
  const total = Math.floor(rate * durationS);
  const t0 = performance.now();
  let next = 0;
  const one = (intended: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (status: number, code: string | null, retryAfter: boolean): void => {
        samples.push({ status, code, retryAfter, latencyMs: performance.now() - intended });
        resolve();
      };
      const req = request(url, { agent, timeout: 5_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          if (body.length < 2000) body += d;
        });
        res.on('end', () => {
          const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(body)?.[1] ?? null;
          done(res.statusCode ?? 0, code, res.headers['retry-after'] !== undefined);
        });
        res.on('error', () => done(0, null, false));
      });
      req.on('timeout', () => req.destroy(new Error('probe timeout')));
      req.on('error', () => done(0, null, false));
      req.end();
    });
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (next < total && t0 + (next * 1000) / rate <= now) {
        pending.push(one(t0 + (next * 1000) / rate));
        next++;
      }
      if (next >= total) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  await Promise.all(pending);
  agent.destroy();
  return samples;
}

/** The p-th percentile (0–100) of values, nearest rank; NaN when empty. */
export function percentileOf(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
