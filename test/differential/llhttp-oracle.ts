import { type ClientRequest, createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { ParsedMessage, ParseOutcome } from './parse-outcome.ts';

/** node:http's parse errors carry llhttp's code and reason. */
interface ParseError extends Error {
  code?: string;
  reason?: string;
}

/** llhttp's error as `CODE reason`. */
function errorText(err: ParseError): string {
  return `${err.code ?? 'ERROR'} ${err.reason ?? err.message}`;
}

/** Header values of `name` from node's raw header list, trimmed, in order. */
function rawValues(raw: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if ((raw[i] as string).toLowerCase() === name) out.push((raw[i + 1] as string).trim());
  return out;
}

function messageOf(m: IncomingMessage, keepAlive: boolean, upgrade: boolean): ParsedMessage {
  return {
    method: m.method ?? '',
    target: m.url ?? '',
    status: m.statusCode ?? 0,
    version: m.httpVersion,
    keepAlive,
    upgrade,
    contentLength: rawValues(m.rawHeaders, 'content-length'),
    transferEncoding: rawValues(m.rawHeaders, 'transfer-encoding'),
    body: '',
    complete: upgrade,
  };
}

/** What one client connection's requests made node:http do. */
class RequestLog {
  readonly messages: ParsedMessage[] = [];
  error = '';
  upgraded = false;
}

/**
 * llhttp as the oracle, through node:http's public API over loopback sockets (the binding itself
 * is not reachable on Node 24 without flags): requests are written raw to an `http.Server`, which
 * reports what llhttp parsed; responses are served raw to an `http.request`. Node's strict parser
 * is the oracle (a lenient one answers how llhttp would frame what it refuses), without node's own
 * Host check, so llhttp alone decides.
 */
export class LlhttpOracle {
  readonly #server: Server;
  readonly #raw: NetServer;
  /** Request logs by the client's local port (the server sees it as the remote port). */
  readonly #logs = new Map<number, RequestLog>();
  /** Response bytes to serve, by the client's local port. */
  readonly #responses = new Map<number, Buffer>();

  /** llhttp's lenient mode (node's `insecureHTTPParser`), to learn how it would frame what it refuses. */
  readonly lenient: boolean;

  private constructor(lenient: boolean) {
    this.lenient = lenient;
    this.#server = createServer({ requireHostHeader: false, keepAliveTimeout: 5_000, insecureHTTPParser: lenient });
    this.#server.on('request', this.#onRequest);
    // An unknown expectation is llhttp's business to parse, not node's to refuse with 417.
    this.#server.on('checkExpectation', this.#onRequest);
    this.#server.on('connect', this.#onUpgrade);
    this.#server.on('upgrade', this.#onUpgrade);
    this.#server.on('clientError', (err: ParseError, socket: Socket) => {
      const log = this.#logs.get(socket.remotePort as number);
      if (log !== undefined && log.error === '') log.error = errorText(err);
      // Later: a body node already parsed is still being handed to the request stream.
      setImmediate(() => socket.destroy());
    });
    this.#raw = createNetServer((socket) => this.#serveResponse(socket));
  }

  /** Starts both servers on loopback, port 0; `lenient` turns on llhttp's lenient flags. */
  static async start(lenient = false): Promise<LlhttpOracle> {
    const o = new LlhttpOracle(lenient);
    await Promise.all([
      new Promise<void>((resolve) => o.#server.listen(0, '127.0.0.1', resolve)),
      new Promise<void>((resolve) => o.#raw.listen(0, '127.0.0.1', resolve)),
    ]);
    return o;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await Promise.all([
      new Promise<void>((resolve) => this.#server.close(() => resolve())),
      new Promise<void>((resolve) => this.#raw.close(() => resolve())),
    ]);
  }

  #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const log = this.#logs.get(req.socket.remotePort as number);
    if (log === undefined) {
      res.destroy();
      return;
    }
    const m = messageOf(req, res.shouldKeepAlive, false);
    log.messages.push(m);
    const body: Buffer[] = [];
    req.on('data', (d: Buffer) => {
      body.push(d);
      m.body = Buffer.concat(body).toString('latin1');
    });
    req.on('end', () => {
      m.complete = true;
      // An explicit length: without one node closes an HTTP/1.0 connection after its response,
      // and what llhttp made of the bytes after it would go unreported.
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    });
    req.on('error', () => {});
  };

  #onUpgrade = (req: IncomingMessage, socket: Socket): void => {
    const log = this.#logs.get(socket.remotePort as number);
    if (log !== undefined) {
      log.messages.push(messageOf(req, true, true));
      log.upgraded = true;
    }
    socket.destroy();
  };

  /** What llhttp makes of `bytes` sent by a client, which then closes its side. */
  async request(bytes: Buffer): Promise<ParseOutcome> {
    const socket = connect((this.#server.address() as AddressInfo).port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const port = socket.localPort as number;
    const log = new RequestLog();
    this.#logs.set(port, log);
    socket.resume();
    socket.end(bytes);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // Node hands a body's last bytes and the end of a request on after the socket closed.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    this.#logs.delete(port);
    const last = log.messages[log.messages.length - 1];
    if (log.upgraded) return { messages: log.messages, end: 'upgrade', error: '' };
    // Input that ends inside a message: node's finish() reports it as an error; it is not a refusal.
    if (log.error !== '' && !log.error.startsWith('HPE_INVALID_EOF_STATE'))
      return { messages: log.messages, end: 'error', error: log.error };
    if (last !== undefined && !last.complete) return { messages: log.messages, end: 'partial', error: '' };
    return { messages: log.messages, end: log.error === '' ? 'idle' : 'partial', error: '' };
  }

  #serveResponse(socket: Socket): void {
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const bytes = this.#responses.get(socket.remotePort as number) ?? Buffer.alloc(0);
      socket.end(bytes);
    });
  }

  /** What llhttp makes of `bytes` as the answer to a GET, the server closing after them. */
  async response(bytes: Buffer): Promise<ParseOutcome> {
    const port = (this.#raw.address() as AddressInfo).port;
    return new Promise<ParseOutcome>((resolve) => {
      let message: ParsedMessage | null = null;
      let error = '';
      let settled = false;
      const finish = (): void => {
        if (settled) return;
        settled = true;
        const messages = message === null ? [] : [message];
        if (message?.complete) resolve({ messages, end: 'closed', error: '' });
        else if (error !== '' && error.startsWith('HPE_') && !error.startsWith('HPE_INVALID_EOF_STATE'))
          resolve({ messages, end: 'error', error });
        else resolve({ messages, end: 'partial', error: '' });
      };
      const req: ClientRequest = request({
        host: '127.0.0.1',
        port,
        path: '/',
        agent: false,
        headers: { connection: 'keep-alive' },
        insecureHTTPParser: this.lenient,
      });
      req.on('socket', (s: Socket) => {
        s.once('connect', () => this.#responses.set(s.localPort as number, bytes));
        s.once('close', () => {
          this.#responses.delete(s.localPort as number);
          setImmediate(() => setImmediate(finish));
        });
      });
      req.on('error', (err: ParseError) => {
        if (error === '') error = errorText(err);
      });
      req.on('response', (res: IncomingMessage) => {
        const m = messageOf(res, true, false);
        message = m;
        const body: Buffer[] = [];
        res.on('data', (d: Buffer) => {
          body.push(d);
          m.body = Buffer.concat(body).toString('latin1');
        });
        res.on('end', () => {
          m.complete = true;
        });
        res.on('error', (err: ParseError) => {
          if (error === '') error = errorText(err);
        });
      });
      req.end();
    });
  }
}
