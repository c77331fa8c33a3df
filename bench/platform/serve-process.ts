// Starts `piper serve` as a child process for the HTTP benchmarks and reads its peak memory.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** The CLI run by default: the TypeScript sources (type stripping costs ~16 MiB of RSS; pass dist/cli/bin.js to measure the package). */
export const SOURCE_BIN = new URL('../../src/cli/bin.ts', import.meta.url).pathname;

export interface ServeProcess {
  url: string;
  pid: number;
  /** Peak resident memory so far (VmHWM), in bytes. */
  peakRss(): Promise<number>;
  /** Current resident memory (VmRSS), in bytes. */
  rss(): Promise<number>;
  /** The server's command line as it runs, with MALLOC_ARENA_MAX when set (after `piper serve` re-executed itself with its heap settings). */
  commandLine(): Promise<string>;
  close(): Promise<void>;
}

async function status(pid: number, key: string): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return Number(m?.[1] ?? 0) * 1024;
}

/** Starts `piper serve`; `nodeArgs` go to node itself (e.g. `--cpu-prof`, kept across the server's re-execution). */
export async function startServe(dataDir: string, extra: string[] = [], bin = SOURCE_BIN, nodeArgs: string[] = []): Promise<ServeProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, bin, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...extra],
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
    commandLine: async () => {
      const arenas = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').find((e) => e.startsWith('MALLOC_ARENA_MAX='));
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();
      return arenas === undefined ? argv : `${arenas} ${argv}`;
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
