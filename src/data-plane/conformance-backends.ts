import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConformanceTopology } from './conformance-factory.ts';

/** The response header in which a conformance backend names itself, as `pool/backend`. */
export const BACKEND_HEADER = 'x-conformance-backend';

interface RunningBackend {
  server: Server;
  url: string;
  stopped: boolean;
}

/**
 * One real HTTP server per backend of a conformance topology, on 127.0.0.1 and a free port. Each
 * answers every path (health checks included) with 200 and names itself in {@link BACKEND_HEADER},
 * so the client of a data plane sees which pool and backend served it.
 */
export class ConformanceBackends {
  readonly #backends = new Map<string, RunningBackend>();

  private constructor() {}

  /** Starts the backends of every pool of `topology`. */
  static async start(topology: ConformanceTopology): Promise<ConformanceBackends> {
    const out = new ConformanceBackends();
    for (const [pool, names] of Object.entries(topology.pools)) {
      for (const name of names) out.#backends.set(`${pool}/${name}`, await listen(`${pool}/${name}`));
    }
    return out;
  }

  /** The base URL of a backend (`http://127.0.0.1:PORT`). */
  url(pool: string, backend: string): string {
    return this.#get(pool, backend).url;
  }

  /** Stops a backend: its connections are cut and its port refuses new ones. */
  async stop(pool: string, backend: string): Promise<void> {
    const b = this.#get(pool, backend);
    if (b.stopped) return;
    b.stopped = true;
    await closeServer(b.server);
  }

  /** Stops every backend still running. Idempotent. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.#backends.values()].map(async (b) => {
        if (b.stopped) return;
        b.stopped = true;
        await closeServer(b.server);
      }),
    );
  }

  #get(pool: string, backend: string): RunningBackend {
    const b = this.#backends.get(`${pool}/${backend}`);
    if (b === undefined) throw new RangeError(`no conformance backend ${pool}/${backend}`);
    return b;
  }
}

async function listen(key: string): Promise<RunningBackend> {
  const body = `${key}\n`;
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), [BACKEND_HEADER]: key });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stopped: false };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
