// One HTTP/1.1 exchange on a raw socket, for clients that misbehave on purpose: they write when
// and what they like, read as slowly as they like, and vanish when they like. It tracks just enough
// of the answer (status, Content-Length or chunked end) to say how the exchange ended.
import { connect, type Socket } from 'node:net';

/** How an exchange ended: the status when the whole answer arrived, else what cut it short. */
export type ExchangeEnd =
  | `${number}`
  | 'cut mid-answer'
  | 'closed before an answer'
  | 'connect failed'
  | 'left by the client'
  /** The client itself threw (a fault of the harness, never of a server). */
  | 'client error';

/** A raw client connection and what it has read so far. */
export class RawExchange {
  readonly socket: Socket;
  /** Status of the answer once its head arrived. */
  status: number | null = null;
  /** Body bytes read (chunk framing included when chunked). */
  bodyBytes = 0;
  readonly ended: Promise<ExchangeEnd>;
  #head = '';
  #contentLength: number | null = null;
  #chunked = false;
  #tail = '';
  #left = false;
  #connected = false;
  #onData: ((bytes: number) => void) | null = null;

  constructor(url: URL) {
    this.socket = connect(Number(url.port), url.hostname);
    this.socket.on('connect', () => {
      this.#connected = true;
    });
    this.socket.on('data', (d: Buffer) => this.#read(d));
    // Errors end in 'close'; the outcome is decided there.
    this.socket.on('error', () => undefined);
    this.ended = new Promise((resolve) => this.socket.once('close', () => resolve(this.#end())));
  }

  /** Resolves once connected; false when the connection failed or closed first. */
  connected(): Promise<boolean> {
    if (this.#connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.socket.once('connect', () => resolve(true));
      this.socket.once('close', () => resolve(false));
    });
  }

  /** Called with the running total of body bytes after each read (slow readers pace themselves here). */
  onBody(fn: (bytes: number) => void): void {
    this.#onData = fn;
  }

  /** Writes if the socket is still open; false once it is not. */
  write(data: string | Buffer): boolean {
    if (this.socket.destroyed) return false;
    this.socket.write(data);
    return true;
  }

  /** The client goes away (RST-like: no FIN handshake waited for). */
  leave(): void {
    this.#left = true;
    this.socket.destroy();
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }

  #read(d: Buffer): void {
    if (this.status === null) {
      this.#head += d.toString('latin1');
      const end = this.#head.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = this.#head.slice(0, end);
      this.status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      this.#contentLength = cl === null ? null : Number(cl[1]);
      this.#chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(head);
      const rest = Buffer.from(this.#head.slice(end + 4), 'latin1');
      this.#head = '';
      if (rest.length > 0) this.#body(rest);
      return;
    }
    this.#body(d);
  }

  #body(d: Buffer): void {
    this.bodyBytes += d.length;
    // The last bytes are enough to see a chunked body's last-chunk and empty trailer.
    this.#tail = (this.#tail + d.subarray(Math.max(0, d.length - 5)).toString('latin1')).slice(-5);
    this.#onData?.(this.bodyBytes);
  }

  #end(): ExchangeEnd {
    if (this.#left) return this.status !== null && this.#complete() ? `${this.status}` : 'left by the client';
    if (!this.#connected) return 'connect failed';
    if (this.status === null) return 'closed before an answer';
    return this.#complete() ? `${this.status}` : 'cut mid-answer';
  }

  #complete(): boolean {
    if (this.#chunked) return this.#tail === '0\r\n\r\n';
    // Read-until-close bodies (neither header) are complete when the server closes.
    return this.#contentLength === null || this.bodyBytes >= this.#contentLength;
  }
}
