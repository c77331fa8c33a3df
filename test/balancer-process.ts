import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

const bin = new URL('../src/cli/bin.ts', import.meta.url).pathname;

/** A running `piper up` child process and the URLs it printed. */
export interface PiperUpProcess {
  child: ChildProcess;
  publicUrl: string;
  adminUrl: string;
  /** Null when the config disables the dashboard. */
  dashboardUrl: string | null;
  configFile: string;
  /** Everything the process wrote to stderr (logs). */
  stderr(): string;
  /** SIGTERM, then waits for exit; resolves the exit code. */
  stop(): Promise<number | null>;
}

/** Writes `config` to a temp piper.yaml and starts `piper up` on it with ports 0. */
export async function startPiperUp(config: Record<string, unknown>, extraArgs: string[] = []): Promise<PiperUpProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'piper-up-'));
  const configFile = join(dir, 'piper.yaml');
  // The journal goes into the test's own folder unless the test chose a place.
  writeFileSync(configFile, stringify({ storage: { path: join(dir, 'piper.db') }, ...config }));
  const args = ['up', '--config', configFile, '--port', '0', '--admin-port', '0', '--dashboard-port', '0', ...extraArgs];
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const wantsDashboard = (config.dashboard as { enabled?: boolean } | undefined)?.enabled !== false;
  const urls = await new Promise<{ publicUrl: string; adminUrl: string; dashboardUrl: string | null }>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const pub = /listening public (\S+)/.exec(out);
      const adm = /listening admin (\S+)/.exec(out);
      const dash = /listening dashboard (\S+)/.exec(out);
      if (pub && adm && (dash || !wantsDashboard)) {
        resolve({ publicUrl: pub[1] as string, adminUrl: adm[1] as string, dashboardUrl: dash ? (dash[1] as string) : null });
      }
    });
    child.once('exit', (code) => reject(new Error(`piper up exited with ${code}: ${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    ...urls,
    configFile,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** kill -9, and wait for the exit: nothing is flushed on the way out. */
export async function killHard(up: PiperUpProcess): Promise<void> {
  if (up.child.exitCode !== null || up.child.signalCode !== null) return;
  const exited = new Promise((resolve) => up.child.once('exit', resolve));
  up.child.kill('SIGKILL');
  await exited;
}
