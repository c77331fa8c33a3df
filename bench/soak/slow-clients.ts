// Clients that hold a connection for a long time on purpose: a head dribbled one line a second and
// never finished (slowloris), an upload dribbled at 2 KiB/s, a large download read at 256 KiB/s.
// Each is what a phone on a bad network, or an attacker with a few sockets, does to a server.
import type { Random } from '../../src/core/index.ts';
import { type ExchangeEnd, RawExchange } from './raw-exchange.ts';

/** One misbehaving client, run to its end; resolves how the exchange ended. */
export type AdversaryClient = (target: URL, random: Random, signal: AbortSignal) => Promise<ExchangeEnd>;

/** A client gives up after this long whatever happened (the servers should have cut it long before). */
const CLIENT_LIMIT_MS = 90_000;

/** Runs `body` with the exchange, leaves on abort or after the client limit, and resolves its end. */
export async function withExchange(
  target: URL,
  signal: AbortSignal,
  body: (ex: RawExchange, wait: (ms: number) => Promise<boolean>) => Promise<void>,
): Promise<ExchangeEnd> {
  const ex = new RawExchange(target);
  const timers = new Set<NodeJS.Timeout>();
  // Resolves false when the exchange is over (closed or aborted) before `ms` passed.
  const wait = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (ex.closed || signal.aborted) return resolve(false);
      const t = setTimeout(() => {
        timers.delete(t);
        resolve(!ex.closed && !signal.aborted);
      }, ms);
      timers.add(t);
    });
  const leave = (): void => ex.leave();
  signal.addEventListener('abort', leave, { once: true });
  const limit = setTimeout(leave, CLIENT_LIMIT_MS);
  try {
    if (await ex.connected()) await body(ex, wait);
    return await ex.ended;
  } finally {
    clearTimeout(limit);
    for (const t of timers) clearTimeout(t);
    signal.removeEventListener('abort', leave);
  }
}

/**
 * Slowloris: the request line, then one more header line every second, the head never finished.
 * A server must answer 408 (or close) once its header timeout passes.
 */
export const slowHeaders: AdversaryClient = (target, _random, signal) =>
  withExchange(target, signal, async (ex, wait) => {
    ex.write(`GET / HTTP/1.1\r\nhost: ${target.host}\r\n`);
    for (let i = 0; ex.status === null && (await wait(1000)); i++) ex.write(`x-dribble-${i}: ${'a'.repeat(16)}\r\n`);
  });

/** Bytes of the dribbled upload, and how fast it goes: 32 KiB at 2 KiB/s, 16 s. */
const SLOW_BODY_BYTES = 32 * 1024;
const SLOW_BODY_PIECE = 512;
const SLOW_BODY_EVERY_MS = 250;

/** An upload dribbled at 2 KiB/s to /api/v1/compress, then its answer read. */
export const slowBody: AdversaryClient = (target, _random, signal) =>
  withExchange(target, signal, async (ex, wait) => {
    ex.write(
      `POST /api/v1/compress?codec=zstd HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: text/plain\r\n` +
        `content-length: ${SLOW_BODY_BYTES}\r\nconnection: close\r\n\r\n`,
    );
    const piece = Buffer.alloc(SLOW_BODY_PIECE, 'middle-out ');
    for (let sent = 0; sent < SLOW_BODY_BYTES && (await wait(SLOW_BODY_EVERY_MS)); sent += SLOW_BODY_PIECE) ex.write(piece);
  });

/** How fast a slow reader reads. */
const SLOW_READ_BYTES_PER_S = 256 * 1024;

/**
 * A download of a large stored file (decoded, so the backend streams it) read at 256 KiB/s: the
 * answer is larger than the socket buffers of both ends, so the servers must hold it and wait.
 */
export function slowReader(largeFileId: string): AdversaryClient {
  return (target, _random, signal) =>
    withExchange(target, signal, async (ex) => {
      const start = performance.now();
      let resumeAt = 0;
      ex.onBody((bytes) => {
        const due = start + (bytes / SLOW_READ_BYTES_PER_S) * 1000;
        const now = performance.now();
        if (due - now > 20 && now >= resumeAt) {
          resumeAt = due;
          ex.socket.pause();
          setTimeout(() => ex.socket.resume(), due - now).unref();
        }
      });
      ex.write(
        `GET /api/v1/files/${largeFileId} HTTP/1.1\r\nhost: ${target.host}\r\naccept-encoding: identity\r\nconnection: close\r\n\r\n`,
      );
    });
}
