import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggerFactoryOptions {
  level?: string;
  /** Human-readable output (pino-pretty); only honoured when the destination is a TTY. */
  pretty?: boolean;
  /** Where lines go; stderr by default so stdout stays for data. */
  destination?: DestinationStream;
  /** True when the destination is a terminal; decides whether `pretty` applies. */
  isTty?: boolean;
}

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'token',
  '*.token',
  'adminToken',
  '*.adminToken',
  'readToken',
  '*.readToken',
  'password',
  '*.password',
];

/**
 * Creates the root logger of a process. Parts take a child (`log.child({ part: 'balancer' })`)
 * and log a constant message with data in an object, errors under `err`.
 */
export function createLogger(options: LoggerFactoryOptions = {}): Logger {
  const base: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    base: { pid: process.pid },
  };
  if (options.pretty === true && options.isTty === true) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino(base, options.destination ?? pino.destination({ dest: 2, sync: false }));
}

/** A logger that discards everything, for tests and library use without logging. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
