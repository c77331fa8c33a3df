// A node:http backend for the latency benchmark: answers every request with 100 bytes, keep-alive.
// Binds port 0 on 127.0.0.1 and prints `listening backend http://127.0.0.1:PORT`.
// Usage: node bench/balancer/hello-backend.ts
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = Buffer.from(`${'x'.repeat(99)}\n`);
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }).end(body);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening backend http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
