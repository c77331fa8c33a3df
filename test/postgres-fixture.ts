// A throwaway PostgreSQL cluster for tests: initdb in a temporary folder, a free loopback port, the
// unix socket in the same folder, removed after. The server refuses to run as root, so under root
// the cluster is owned by and run as the `postgres` user that Debian's package creates.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed server's bin folder (Debian keeps them per major version), or undefined. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT)
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(PG_ROOT, versions[0], 'bin');
}

export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/` without a database. */
  readonly baseUrl: string;
  readonly port: number;
  /** Creates an empty database and returns its URL. */
  createDatabase(): string;
  /** Stops the server (immediate: a crash as far as clients can tell); `start` brings it back. */
  stop(): void;
  start(): void;
  /** Stops the server and removes its folder; idempotent. */
  remove(): void;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from the loopback listener');
  return address.port;
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const fields = line?.split(':');
  if (fields === undefined) throw new Error('running as root, but there is no `postgres` user to run the server as');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** Starts a fresh cluster; the caller removes it (`after(() => cluster.remove())`). */
export async function startPostgres(): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error(`PostgreSQL is not installed (no ${PG_ROOT}/*/bin/initdb): apt-get install postgresql`);
  const dir = mkdtempSync(join(tmpdir(), 'piper-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  const run = (program: string, args: string[]): void => {
    const command = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, program), ...args]] : [join(bin, program), args];
    execFileSync(command[0] as string, command[1] as string[], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  };
  const data = join(dir, 'data');
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C']);
  // fsync off: the cluster is thrown away, and tests must not wait on the disk.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = (): void => run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
  const stop = (): void => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  start();
  let running = true;
  let databases = 0;
  return {
    baseUrl: `postgres://postgres@127.0.0.1:${port}/`,
    port,
    createDatabase() {
      const name = `piper_${databases++}`;
      execFileSync(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', name], { stdio: 'pipe' });
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop() {
      stop();
      running = false;
    },
    start() {
      start();
      running = true;
    },
    remove() {
      if (running) stop();
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
