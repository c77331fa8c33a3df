import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type PiperUpProcess, startPiperUp } from './balancer-process.ts';

/** A `piper up` reading a finished run's journal, and the read-only token to sign in with. */
export interface JournalReader {
  up: PiperUpProcess;
  readToken: string;
}

/**
 * Starts `piper up` on the journal and config a finished `piper demo --data-dir DIR` left in DIR,
 * to read the afternoon on the dashboard as on-call would open it later. Nothing it does may
 * add to that history: the pools keep the run's backends (their ports closed since the run
 * ended) with health checks off, so no probe journals them down, and no traffic is sent.
 */
export async function startPiperUpOverJournal(dataDir: string): Promise<JournalReader> {
  const config = parse(await readFile(join(dataDir, 'piper.yaml'), 'utf8')) as {
    admin: Record<string, unknown>;
    pools: Record<string, Record<string, unknown>>;
  };
  const readToken = randomBytes(16).toString('hex');
  const pools = Object.fromEntries(
    Object.entries(config.pools).map(([name, pool]) => [name, { ...pool, healthCheck: { enabled: false } }]),
  );
  const up = await startPiperUp({
    ...config,
    admin: { ...config.admin, readToken },
    dataPlane: { kind: 'piper' },
    pools,
    storage: { path: join(dataDir, 'piper.db') },
    logging: { level: 'warn' },
  });
  return { up, readToken };
}
