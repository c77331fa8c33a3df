// Starts `piper serve` as a child process for the HTTP benchmarks and reads its peak memory.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** The CLI run by default: the TypeScript sources (type stripping costs ~60 MB of RSS; pass dist/cli/bin.js to measure the package). */
export const SOURCE_BIN = new URL('../../src/cli/bin.ts', import.meta.url).pathname;

export interface ServeProcess {
  url: string;
  pid: number;
  /** Peak resident memory so far (VmHWM), in bytes. */
  peakRss(): Promise<number>;
  /** Current resident memory (VmRSS), in bytes. */
  rss(): Promise<number>;
  close(): Promise<void>;
}

async function status(pid: number, key: string): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return Number(m?.[1] ?? 0) * 1024;
}

export async function startServe(dataDir: string, extra: string[] = [], bin = SOURCE_BIN): Promise<ServeProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...extra],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening platform (\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`piper serve exited ${code}`)));
  });
  const pid = child.pid as number;
  return {
    url,
    pid,
    peakRss: () => status(pid, 'VmHWM'),
    rss: () => status(pid, 'VmRSS'),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
