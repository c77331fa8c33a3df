// The steady traffic of a soak run: an open-model constant rate (the project's own generator,
// latency from the intended send) over a mix of what the platform's users do: website pages,
// small compressions, downloads and deduplicated uploads of a stored file. One record per second.
import { createHash } from 'node:crypto';
import type { Clock, Random } from '../../src/core/index.ts';
import { constantPlan, type LoadResult, type RequestSpec, runLoad } from '../../src/loadgen/index.ts';

/** Text that compresses like logs, deterministic. */
export function sampleText(bytes: number): Buffer {
  const line = '2017-03-31T21:50:00Z piper INFO request served path=/files/middle-out status=200 bytes=1048576\n';
  return Buffer.from(line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes));
}

/** A file every backend holds before traffic starts, so a download succeeds whichever backend answers. */
export interface SeededFile {
  id: string;
  body: Buffer;
}

/** The small file of the mix (downloaded and uploaded again) and the large one the slow readers fetch. */
export const SMALL_FILE_BYTES = 16 * 1024;
export const LARGE_FILE_BYTES = 8 * 1024 * 1024;

/** The id the store gives `body` (SHA-256 of the original bytes, docs/platform.md "Store"). */
export function fileId(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Uploads `body` straight to one backend (not through the balancer) and checks the id it got. */
export async function seedFile(backendUrl: string, name: string, body: Buffer): Promise<SeededFile> {
  const res = await fetch(`${backendUrl}/api/v1/files?name=${encodeURIComponent(name)}&codec=zstd`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: new Uint8Array(body),
    signal: AbortSignal.timeout(30_000),
  });
  const json = (await res.json()) as { id?: string };
  const id = fileId(body);
  if ((res.status !== 200 && res.status !== 201) || json.id !== id) {
    throw new Error(`seeding ${name} on ${backendUrl}: ${res.status} ${JSON.stringify(json)}`);
  }
  return { id, body };
}

/** The weighted request mix of the steady traffic (weights are percentages). */
export function platformMix(small: SeededFile): RequestSpec[] {
  const text = (bytes: number): string => sampleText(bytes).toString('latin1');
  const get = (name: string, path: string, weight: number, headers: Record<string, string> = {}): RequestSpec => ({
    name,
    method: 'GET',
    path,
    headers,
    body: null,
    weight,
  });
  const post = (name: string, path: string, body: string, weight: number): RequestSpec => ({
    name,
    method: 'POST',
    path,
    headers: { 'content-type': 'text/plain' },
    body,
    weight,
  });
  return [
    get('home page', '/', 25),
    get('stylesheet', '/assets/site.css', 10),
    get('status API', '/api/v1/status', 10),
    get('file list', '/api/v1/files?limit=10', 5),
    post('compress 1 KiB zstd', '/api/v1/compress?codec=zstd', text(1024), 20),
    post('compress 4 KiB gzip', '/api/v1/compress?codec=gzip', text(4096), 5),
    // Decoded on the way out (identity), and as stored (the zstd bytes go out as they are).
    get('download 16 KiB decoded', `/api/v1/files/${small.id}`, 10, { 'accept-encoding': 'identity' }),
    get('download 16 KiB stored', `/api/v1/files/${small.id}`, 10, { 'accept-encoding': 'zstd, gzip' }),
    // The same bytes again: stored once (deduplicated), so the store does not grow over the run.
    post('upload 16 KiB again', '/api/v1/files?name=soak-small.txt&codec=zstd', small.body.toString('latin1'), 5),
  ];
}

/** The steady traffic of one second. */
export interface TrafficSecond {
  /** Seconds since the traffic started (start of the interval). */
  t: number;
  scheduled: number;
  /** Answered 200–399. */
  completed: number;
  /** Failed (status ≥ 400 or a connection error), timed out, or not sent. */
  errors: number;
  /** Answers with a 5xx status (503 from shedding among them). */
  status5xx: number;
  /** p99 of latency from the intended send, every answer, ms. */
  p99Ms: number;
  p50Ms: number;
  /** The generator's own lateness (p99, ms): above a few ms it, not the target, set the pace. */
  sendLagP99Ms: number;
  inFlight: number;
}

/** Options of {@link runSteadyTraffic}. */
export interface SteadyTrafficOptions {
  target: string;
  requests: readonly RequestSpec[];
  rateRps: number;
  durationMs: number;
  clock: Clock;
  random: Random;
  connections: number;
  signal: AbortSignal;
  onSecond: (s: TrafficSecond) => void;
}

/** Request timeout of the steady traffic: at half of capacity anything slower is a failure anyway. */
export const TRAFFIC_TIMEOUT_MS = 5_000;

/** Runs the constant-rate traffic to its end and reports every second as it closes. */
export function runSteadyTraffic(o: SteadyTrafficOptions): Promise<LoadResult> {
  let previous5xx = 0;
  return runLoad({
    target: o.target,
    requests: o.requests,
    model: { kind: 'open', plan: constantPlan(o.rateRps, o.durationMs) },
    clock: o.clock,
    random: o.random,
    connections: o.connections,
    timeoutMs: TRAFFIC_TIMEOUT_MS,
    signal: o.signal,
    onProgress: (p) => {
      const all5xx = p.counts.statuses['5xx'] ?? 0;
      const pt = p.point;
      o.onSecond({
        t: pt.atS,
        scheduled: Math.round(pt.offeredRps * pt.spanS),
        completed: pt.completed,
        errors: pt.failed + pt.timedOut + pt.unsent,
        status5xx: all5xx - previous5xx,
        p99Ms: pt.latencyP99Ms,
        p50Ms: pt.latencyP50Ms,
        sendLagP99Ms: pt.sendLagP99Ms,
        inFlight: pt.inFlight,
      });
      previous5xx = all5xx;
    },
  });
}
