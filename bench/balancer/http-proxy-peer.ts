// Peer for the proxy benchmark: http-proxy with a keep-alive agent, round-robin over the backends.
// Usage: node http-proxy-peer.ts PORT BACKEND_URL...
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';

const [port, ...targets] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: 128 });
const proxy = httpProxy.createProxyServer({ agent, xfwd: true });
proxy.on('error', (_err, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502);
  res.end();
});
let next = 0;
createServer((req, res) => {
  next = (next + 1) % targets.length;
  proxy.web(req, res, { target: targets[next] as string });
}).listen(Number(port), '127.0.0.1', () => process.stdout.write(`listening http-proxy http://127.0.0.1:${port}\n`));
