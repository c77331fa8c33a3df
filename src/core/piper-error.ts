/** Where an error came from, as Envoy and pingora classify them. */
export type ErrorSource = 'upstream' | 'downstream' | 'internal' | 'config' | 'operator';

/**
 * Every catalogued code, as a key. Core imports no part, so each part's catalogue adds its own
 * codes here by declaration merging (`declare module`); the compiler then sees the whole union.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by each part's catalogue through declaration merging.
export interface PiperErrorCodes {}

/** A code some part's catalogue holds. */
export type PiperErrorCode = keyof PiperErrorCodes & string;

/** What the catalogue says of one code: the same for every error that carries it. */
export interface ErrorEntry<C extends string = string> {
  readonly code: C;
  /** The HTTP status an API answers it with; absent when the error never reaches an HTTP answer by itself. */
  readonly status?: number;
  readonly source: ErrorSource;
  /** Whether repeating the same operation may succeed: what retry decisions ask. */
  readonly retryable: boolean;
  /** For docs/errors.md: what happened. */
  readonly meaning: string;
  /** For docs/errors.md and `piper`'s `what to do:` line. */
  readonly whatToDo: string;
}

type EntryFields = Omit<ErrorEntry, 'code'>;

/** Builds a part's catalogue constant: each entry keyed and stamped with its own code. */
export function defineErrors<const T extends Record<string, EntryFields>>(
  entries: T,
): { readonly [K in keyof T & string]: T[K] & { readonly code: K } } {
  const out: Record<string, ErrorEntry> = {};
  for (const [code, fields] of Object.entries(entries)) out[code] = Object.freeze({ code, ...fields });
  return Object.freeze(out) as { readonly [K in keyof T & string]: T[K] & { readonly code: K } };
}

export interface PiperErrorOptions {
  cause?: unknown;
  /** Structured facts for logs and API bodies; never parsed by callers. */
  details?: Readonly<Record<string, unknown>>;
  /** Only where this one error knows better than its code's entry (a SQLSTATE, a peer's answer). */
  retryable?: boolean;
  /** Only for a code whose HTTP status depends on the case (a status passed on, a limit of several kinds). */
  status?: number;
}

/** For an error whose code came from another process (an API's answer), which no catalogue here can vouch for. */
export interface RemoteErrorOptions extends PiperErrorOptions {
  source: ErrorSource;
}

/**
 * The one error type of piper. Callers match on `code` (stable, listed in docs/errors.md),
 * never on the message. Source, retryable and HTTP status come from the code's catalogue entry.
 */
export class PiperError extends Error {
  readonly code: string;
  readonly source: ErrorSource;
  readonly retryable: boolean;
  /** The HTTP status to answer with; read it through {@link httpStatusOf}. */
  readonly status: number | undefined;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(entry: ErrorEntry<PiperErrorCode>, message: string, options?: PiperErrorOptions);
  constructor(code: string, message: string, options: RemoteErrorOptions);
  constructor(entry: ErrorEntry | string, message: string, options: PiperErrorOptions | RemoteErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PiperError';
    const fromCatalogue = typeof entry !== 'string';
    this.code = fromCatalogue ? entry.code : entry;
    this.source = fromCatalogue ? entry.source : (options as RemoteErrorOptions).source;
    this.retryable = options.retryable ?? (fromCatalogue && entry.retryable);
    this.status = options.status ?? (fromCatalogue ? entry.status : undefined);
    this.details = options.details ?? {};
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, source: this.source, retryable: this.retryable };
  }
}

/** Narrows an unknown value to a PiperError, optionally with a given code. */
export function isPiperError(value: unknown, code?: PiperErrorCode): value is PiperError {
  return value instanceof PiperError && (code === undefined || value.code === code);
}

/**
 * The HTTP status an API answers an error with: its catalogue entry's (or the one this error was
 * given); else, for errors built before the catalogues, `details.status`; else by source
 * (caller's input 400, upstream 502); anything that is not a PiperError is a bug, 500.
 */
export function httpStatusOf(err: unknown): number {
  if (!isPiperError(err)) return 500;
  if (err.status !== undefined) return err.status;
  if (typeof err.details.status === 'number') return err.details.status;
  switch (err.source) {
    case 'config':
    case 'operator':
    case 'downstream':
      return 400;
    case 'upstream':
      return 502;
    default:
      return 500;
  }
}
