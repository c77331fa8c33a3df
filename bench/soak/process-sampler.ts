// What a soak run reads of each process once a second: resident memory and open file descriptors
// from /proc (what the kernel holds, whatever the process thinks), and event-loop delay from the
// process's own Prometheus text (telemetry's process metrics, read nowhere else during a run:
// each scrape restarts the monitor, so one scrape a second gives the delay of that second).
import { readdir, readFile } from 'node:fs/promises';

/** One reading of one process. NaN or null where the process was gone or did not answer. */
export interface ProcessReading {
  pid: number;
  rssMiB: number;
  fds: number;
  /** p99 of event-loop delay since the previous scrape, ms. */
  loopP99Ms: number | null;
}

/** Resident memory (VmRSS of /proc/PID/status) in MiB; NaN once the process is gone. */
export async function readRssMiB(pid: number): Promise<number> {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m === null ? Number.NaN : Number(m[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Open file descriptors (entries of /proc/PID/fd: files, sockets, pipes, epoll); NaN once the process is gone. */
export async function countFds(pid: number): Promise<number> {
  try {
    return (await readdir(`/proc/${pid}/fd`)).length;
  } catch {
    return Number.NaN;
  }
}

/** Fetches Prometheus text (with a bearer token when given); null when it did not answer within `timeoutMs`. */
export async function scrape(url: string, token: string | null, timeoutMs: number): Promise<string | null> {
  try {
    const res = await fetch(url, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      return null;
    }
    return await res.text();
  } catch {
    return null;
  }
}

/** The sum of a metric's samples over all its label sets in Prometheus text; null when absent. */
export function metricValue(text: string | null, name: string): number | null {
  if (text === null) return null;
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    // `name 1.5` or `name{labels} 1.5`; not `name_suffix ...`.
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** The name under which telemetry's process metrics publish the p99 of event-loop delay. */
export const LOOP_P99_METRIC = 'nodejs_eventloop_lag_p99_seconds';

/** Reads one process: /proc for memory and descriptors, its metrics text for event-loop delay. */
export async function readProcess(pid: number, metrics: string | null): Promise<ProcessReading> {
  const [rssMiB, fds] = await Promise.all([readRssMiB(pid), countFds(pid)]);
  const lag = metricValue(metrics, LOOP_P99_METRIC);
  return { pid, rssMiB, fds, loopP99Ms: lag === null ? null : lag * 1000 };
}
