import { connect, type Socket } from 'node:net';
import { type Clock, PiperError } from '../core/index.ts';
import { haproxyErrors } from './haproxy-errors.ts';

/** Where the stats socket listens: a unix socket path, or a TCP address (`stats socket ipv4@...`). */
export type RuntimeApiAddress = { readonly path: string } | { readonly host: string; readonly port: number };

export interface SessionOptions {
  clock: Clock;
  /** Whole session (connect, send, read to the close), in ms. */
  timeoutMs: number;
  /** Larger answers are refused (a socket streaming without end is not HAProxy). */
  maxBytes: number;
}

/** Errno codes of a connect that found no one listening, or a socket not there (yet): HAProxy (re)starting. */
const RETRYABLE_CONNECT = new Set(['ECONNREFUSED', 'ENOENT', 'EAGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** How the address reads in messages and logs. */
export function describeAddress(address: RuntimeApiAddress): string {
  return 'path' in address ? address.path : `${address.host}:${address.port}`;
}

/**
 * One non-interactive session (management guide §9.3): connect, send `line` (commands joined by
 * ';' and ended by a newline), read until HAProxy closes, and return the answer as text. HAProxy
 * closes once the last command's output is written; the answer is checked by the caller.
 */
export function runSession(address: RuntimeApiAddress, line: string, options: SessionOptions): Promise<string> {
  const where = describeAddress(address);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let connected = false;
    let settled = false;
    const socket: Socket = 'path' in address ? connect({ path: address.path }) : connect({ host: address.host, port: address.port });
    const finish = (err: PiperError | null): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      socket.destroy();
      if (err === null) resolve(Buffer.concat(chunks, bytes).toString('utf8'));
      else reject(err);
    };
    const timer = options.clock.setTimeout(() => {
      finish(
        new PiperError(
          haproxyErrors.PIPER_HAPROXY_SOCKET_TIMEOUT,
          `the stats socket ${where} did not ${connected ? 'answer' : 'accept'} within ${options.timeoutMs} ms`,
          {
            details: { address: where, connected, bytes, timeoutMs: options.timeoutMs },
          },
        ),
      );
    }, options.timeoutMs);
    socket.on('connect', () => {
      connected = true;
      socket.write(line);
    });
    socket.on('data', (d: Buffer) => {
      bytes += d.length;
      if (bytes > options.maxBytes) {
        finish(
          new PiperError(
            haproxyErrors.PIPER_HAPROXY_BAD_RESPONSE,
            `the stats socket ${where} answered more than ${options.maxBytes} bytes`,
            {
              details: { address: where, maxBytes: options.maxBytes },
            },
          ),
        );
        return;
      }
      chunks.push(d);
    });
    socket.on('end', () => finish(null));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'unknown';
      if (!connected) {
        finish(
          new PiperError(haproxyErrors.PIPER_HAPROXY_SOCKET_UNREACHABLE, `cannot connect to the stats socket ${where}: ${code}`, {
            retryable: RETRYABLE_CONNECT.has(code),
            cause: err,
            details: { address: where, errno: code },
          }),
        );
      } else {
        finish(
          new PiperError(haproxyErrors.PIPER_HAPROXY_CONNECTION_LOST, `the stats socket ${where} broke off the session: ${code}`, {
            cause: err,
            details: { address: where, errno: code, bytes },
          }),
        );
      }
    });
    socket.on('close', () => finish(null));
  });
}
