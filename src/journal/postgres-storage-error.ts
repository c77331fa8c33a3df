import { PiperError } from '../core/index.ts';
import type { WorkerFailure } from './postgres-worker-protocol.ts';
import { journalErrors } from './journal-errors.ts';

/** The URL with its password masked, fit for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/**
 * Maps a PostgreSQL failure to the codes the SQLite store uses (sqlite-journal-store.ts,
 * storageError), so callers handle both stores alike. `code` is a SQLSTATE (PostgreSQL appendix A)
 * or, for a network failure, a Node error code such as ECONNREFUSED.
 */
export function postgresStorageError(failure: WorkerFailure, action: string, where: string): PiperError {
  const code = failure.code;
  if (code === '25006') {
    return new PiperError(journalErrors.PIPER_JOURNAL_READ_ONLY, `journal ${where} is read-only: cannot ${action} (${failure.message})`, {
      details: { path: where },
    });
  }
  if (code === '53100') {
    return new PiperError(
      journalErrors.PIPER_JOURNAL_DISK_FULL,
      `journal ${where} is full (the server's disk): cannot ${action} (${failure.message})`,
      {
        details: { path: where },
      },
    );
  }
  // Lost or refused connections (class 08, server shutting down 57P0x, Node network codes), too
  // many connections (53300), a statement over its timeout (57014), and serialization failures or
  // deadlocks (40001, 40P01) may pass on retry.
  const sqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code);
  const retryable = !sqlState || code.startsWith('08') || code.startsWith('57P') || ['53300', '57014', '40001', '40P01'].includes(code);
  return new PiperError(journalErrors.PIPER_JOURNAL_STORAGE_FAILED, `journal ${where}: cannot ${action}: ${failure.message}`, {
    retryable,
    details: { path: where, ...(code !== undefined ? { errcode: code } : {}) },
  });
}
