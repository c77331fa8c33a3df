import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a fixture backend does with each request (health checks included). */
export type BackendMode = 'ok' | '5xx' | 'hang' | 'reset' | 'slow';

/**
 * A small HTTP backend for balancer tests: answers `<name>` (so tests see who served), or 500,
 * or never answers, or resets the connection, or answers after `slowMs`. Counts requests and
 * open sockets so tests can check nothing leaks.
 */
export class FixtureBackend {
  readonly name: string;
  mode: BackendMode;
  slowMs = 200;
  requests = 0;
  /** Requests being answered now, and the most ever at once. */
  active = 0;
  maxActive = 0;
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  /** Headers of the last request, to check what the balancer forwarded. */
  lastHeaders: Record<string, string | string[] | undefined> = {};
  #hung: Array<() => void> = [];

  constructor(name: string, mode: BackendMode = 'ok') {
    this.name = name;
    this.mode = mode;
    this.server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
      this.requests++;
      this.active++;
      if (this.active > this.maxActive) this.maxActive = this.active;
      res.on('close', () => this.active--);
      this.lastHeaders = req.headers;
      const answer = (): void => {
        const body = `${this.name}\n`;
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'x-backend': this.name });
        res.end(body);
      };
      // Read any body first, so a POST is answered after it arrived.
      req.resume();
      req.on('end', () => {
        switch (this.mode) {
          case 'ok':
            answer();
            return;
          case '5xx':
            res.writeHead(500, { 'content-type': 'text/plain', 'x-backend': this.name });
            res.end('broken\n');
            return;
          case 'hang':
            this.#hung.push(() => res.destroy());
            return;
          case 'reset':
            req.socket.destroy();
            return;
          case 'slow':
            setTimeout(answer, this.slowMs).unref();
            return;
        }
      });
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Listens on 127.0.0.1, port 0; resolves the base URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops accepting and destroys every connection (a refusing backend from now on). */
  async close(): Promise<void> {
    for (const h of this.#hung.splice(0)) h();
    for (const s of this.sockets) s.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// Run as a process (`node test/backend-fixture.ts NAME [PORT]`) for tests that kill -9 a backend.
if (import.meta.url === `file://${process.argv[1]}`) {
  const backend = new FixtureBackend(process.argv[2] ?? 'backend');
  const port = Number(process.argv[3] ?? '0');
  backend.server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`listening backend http://127.0.0.1:${backend.port}\n`);
  });
}
