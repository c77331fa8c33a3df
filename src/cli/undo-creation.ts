import { existsSync, rmSync } from 'node:fs';

/**
 * Notes which of `paths` do not exist yet, and returns what removes those of them that exist by
 * then: a command that fails to start (a port in use) leaves behind none of the files or folders
 * it created on the way (a journal's `piper.db`, a data folder). What was there before is kept.
 */
export function undoCreation(paths: readonly string[]): () => void {
  const fresh = paths.filter((p) => !existsSync(p));
  return () => {
    for (const p of fresh) rmSync(p, { recursive: true, force: true });
  };
}

/** A SQLite database and the files SQLite keeps beside it (write-ahead log, shared memory, rollback journal). */
export function sqliteFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`];
}
