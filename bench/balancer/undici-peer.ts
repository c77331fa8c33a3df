// Floor for the proxy benchmark: a bare node:http server streaming through undici Pools, round-
// robin, no health checks, admission or telemetry. Shows what piper's features cost on top.
// Usage: node undici-peer.ts PORT BACKEND_URL...
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [port, ...targets] = process.argv.slice(2);
const pools = targets.map((t) => new Pool(t, { connections: 128 }));
let next = 0;
createServer((req, res) => {
  next = (next + 1) % pools.length;
  (pools[next] as Pool)
    .stream(
      { path: req.url ?? '/', method: 'GET', headers: { host: req.headers.host ?? '' }, opaque: res },
      ({ statusCode, headers, opaque }) => {
        opaque.writeHead(statusCode, headers as Record<string, string>);
        return opaque;
      },
    )
    .catch(() => res.destroy());
}).listen(Number(port), '127.0.0.1', () => process.stdout.write(`listening undici http://127.0.0.1:${port}\n`));
