import { Agent, request } from 'node:http';
import { BACKEND_HEADER } from './conformance-backends.ts';
import type { TrafficTally } from './conformance-factory.ts';

/** Longest a conformance request may stay without progress before it counts as failed. */
const REQUEST_IDLE_MS = 10_000;

/**
 * Sends `count` GETs to `url` (a data plane's public listener and a route's path), `concurrency`
 * at a time on kept-alive connections, and tallies who answered each by {@link BACKEND_HEADER}.
 */
export async function sendRequests(url: string, count: number, concurrency = 16): Promise<TrafficTally> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const tally: TrafficTally = { served: {}, failed: 0, failures: {} };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const outcome = await getOnce(`${url}?conformance=${next++}`, agent);
      if ('served' in outcome) tally.served[outcome.served] = (tally.served[outcome.served] ?? 0) + 1;
      else {
        tally.failed++;
        tally.failures[outcome.failure] = (tally.failures[outcome.failure] ?? 0) + 1;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } finally {
    agent.destroy();
  }
  return tally;
}

/** The `pool/backend` that answered 2xx, or what else happened. */
function getOnce(url: string, agent: Agent): Promise<{ served: string } | { failure: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      const who = res.headers[BACKEND_HEADER];
      const status = res.statusCode ?? 0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 200) body += chunk;
      });
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ failure: err.code ?? err.message }));
      res.on('end', () => {
        if (status >= 200 && status < 300 && typeof who === 'string') resolve({ served: who });
        else resolve({ failure: `HTTP ${status} ${/PIPER_[A-Z0-9_]+/.exec(body)?.[0] ?? ''}`.trim() });
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ failure: err.code ?? err.message }));
    req.setTimeout(REQUEST_IDLE_MS, () => req.destroy(new Error(`no progress for ${REQUEST_IDLE_MS} ms`)));
    req.end();
  });
}
