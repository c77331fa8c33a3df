/** Where an error came from, as Envoy and pingora classify them. */
export type ErrorSource = 'upstream' | 'downstream' | 'internal' | 'config' | 'operator';

export interface PiperErrorOptions {
  source: ErrorSource;
  /** Whether repeating the same operation may succeed. */
  retryable?: boolean;
  cause?: unknown;
  /** Structured facts for logs and API bodies; never parsed by callers. */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error type of piper. Callers match on `code` (stable, listed in docs/errors.md),
 * never on the message.
 */
export class PiperError extends Error {
  readonly code: string;
  readonly source: ErrorSource;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: PiperErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PiperError';
    this.code = code;
    this.source = options.source;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, source: this.source, retryable: this.retryable };
  }
}

/** Narrows an unknown value to a PiperError, optionally with a given code. */
export function isPiperError(value: unknown, code?: string): value is PiperError {
  return value instanceof PiperError && (code === undefined || value.code === code);
}
