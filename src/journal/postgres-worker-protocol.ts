import type { MessagePort } from 'node:worker_threads';

/** What PostgresJournalStore hands its worker at start. */
export interface WorkerData {
  url: string;
  readOnly: boolean;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /** Int32 slots: 0 counts answers (the main thread waits on it), 1 is set when the worker ends. */
  signal: SharedArrayBuffer;
  port: MessagePort;
}

export interface WorkerStatement {
  text: string;
  values: readonly (string | number | null)[];
  /** A fence: when it returns no row, the transaction is rolled back and the call fails with `fenced`. */
  mustMatch?: boolean;
}

export type WorkerRequest =
  | { id: number; op: 'open' }
  | { id: number; op: 'run'; statements: readonly WorkerStatement[]; transaction: boolean }
  | { id: number; op: 'close' };

/** A failure as it crosses the thread boundary: the SQLSTATE or Node error code, and the message. */
export interface WorkerFailure {
  message: string;
  code: string | undefined;
  notJournal: boolean;
  /** A `mustMatch` statement found no row: nothing was written. */
  fenced: boolean;
}

export type WorkerAnswer = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WorkerFailure };
