// The floor of any balancer written for Node: no HTTP at all. Each client connection gets its own
// connection to a backend (round robin) and bytes are copied both ways through net.Socket's
// 'data' events and write(), the same two reads and two writes per request a Node proxy makes.
// Whatever Node's sockets and streams cost, this pays too; piper's parsing, routing, health,
// admission and telemetry come on top of it.
// Usage: node node-pipe-peer.ts PORT BACKEND_URL...
import { connect, createServer } from 'node:net';

const [port, ...targets] = process.argv.slice(2);
const backends = targets.map((t) => new URL(t));
if (backends.length === 0) throw new Error('usage: node-pipe-peer.ts PORT BACKEND_URL...');
let next = 0;
createServer({ noDelay: true }, (client) => {
  const b = backends[next++ % backends.length] as URL;
  const backend = connect({ host: b.hostname, port: Number(b.port), noDelay: true });
  client.on('data', (d) => backend.write(d));
  backend.on('data', (d) => client.write(d));
  client.on('close', () => backend.destroy());
  backend.on('close', () => client.destroy());
  client.on('error', () => {});
  backend.on('error', () => {});
}).listen(Number(port), '127.0.0.1', () => process.stdout.write(`listening node-pipe http://127.0.0.1:${port}\n`));
