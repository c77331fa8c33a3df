import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { type Logger, PiperError, silentLogger } from '../core/index.ts';
import { haproxyErrors } from './haproxy-errors.ts';

export interface SyslogReceiverOptions {
  /** Called with each datagram (one syslog message). */
  onDatagram: (datagram: Buffer) => void;
  /** Loopback address to bind (default 127.0.0.1): per-request lines never leave the machine. */
  host?: string;
  /** Port to bind (default 0: any free one; read `port` after `listen`). */
  port?: number;
  /**
   * Socket receive buffer, in bytes (default 4 MiB; Linux caps it at net.core.rmem_max). A busy
   * HAProxy sends tens of thousands of lines a second; the default buffer (~200 KiB, a few hundred
   * datagrams) overflows during one slow window close, and the kernel drops what does not fit.
   */
  receiveBufferBytes?: number;
  logger?: Logger;
}

/**
 * Receives HAProxy's syslog datagrams over UDP on loopback (`log 127.0.0.1:PORT local0`). UDP is
 * HAProxy's non-blocking log path: it never waits for piper, and a datagram that does not fit in
 * the socket's buffer is dropped by the kernel. Those drops are not invisible: `kernelDrops()`
 * reads the socket's drop counter (the `drops` column of /proc/net/udp on Linux).
 */
export class SyslogReceiver {
  readonly #socket: Socket;
  readonly #options: SyslogReceiverOptions;
  readonly #log: Logger;
  #port = 0;
  #listening = false;
  #closed = false;

  constructor(options: SyslogReceiverOptions) {
    this.#options = options;
    this.#log = options.logger ?? silentLogger();
    this.#socket = createSocket({ type: 'udp4', recvBufferSize: options.receiveBufferBytes ?? 4 * 1024 * 1024 });
    const onDatagram = options.onDatagram;
    this.#socket.on('message', (msg) => onDatagram(msg));
  }

  /** Binds the socket; throws PIPER_HAPROXY_LOG_BIND when the address cannot be bound. */
  async listen(): Promise<void> {
    const host = this.#options.host ?? '127.0.0.1';
    const port = this.#options.port ?? 0;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(
          new PiperError(
            haproxyErrors.PIPER_HAPROXY_LOG_BIND,
            `cannot receive HAProxy's log lines on ${host}:${port}: ${err.code ?? err.message}`,
            {
              cause: err,
              details: { host, port },
            },
          ),
        );
      };
      this.#socket.once('error', onError);
      this.#socket.bind({ address: host, port, exclusive: true }, () => {
        this.#socket.off('error', onError);
        resolve();
      });
    });
    this.#listening = true;
    this.#port = this.#socket.address().port;
    this.#socket.on('error', (err) => this.#log.error({ err }, 'syslog socket failed'));
  }

  /** The bound port (after `listen`). */
  get port(): number {
    return this.#port;
  }

  /** What to write in haproxy.cfg: `log <target> local0`. */
  get target(): string {
    return `${this.#options.host ?? '127.0.0.1'}:${this.#port}`;
  }

  /** The socket's receive buffer as the kernel set it (it may be less than asked). */
  get receiveBufferBytes(): number {
    return this.#listening ? this.#socket.getRecvBufferSize() : 0;
  }

  /**
   * Datagrams the kernel dropped on this socket since it was opened (its buffer was full), or
   * null where /proc/net/udp cannot be read (not Linux, or hidden from the process).
   */
  async kernelDrops(): Promise<number | null> {
    if (!this.#listening) return null;
    let table: string;
    try {
      table = await readFile('/proc/net/udp', 'latin1');
    } catch {
      return null;
    }
    return dropsOf(table, this.#options.host ?? '127.0.0.1', this.#port);
  }

  /** Closes the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#listening) return;
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}

/**
 * The `drops` column of the /proc/net/udp row bound to `host:port` (local_address is the IPv4
 * address as little-endian hex, then the port in hex); null when no row matches.
 */
export function dropsOf(table: string, host: string, port: number): number | null {
  const octets = host.split('.').map(Number);
  if (octets.length !== 4) return null;
  const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');
  const local = `${[...octets]
    .reverse()
    .map((o) => hex(o, 2))
    .join('')}:${hex(port, 4)}`;
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local) {
      const drops = Number(f[f.length - 1]);
      return Number.isFinite(drops) ? drops : null;
    }
  }
  return null;
}
