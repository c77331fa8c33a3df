// Peer for the proxy benchmark: fastify + @fastify/reply-from (undici), round-robin over the backends.
// Usage: node reply-from-peer.ts PORT BACKEND_URL...
import replyFrom from '@fastify/reply-from';
import Fastify from 'fastify';

const [port, ...targets] = process.argv.slice(2);
const app = Fastify({ logger: false });
// One reply-from base per backend is not supported, so pass the full URL per request.
await app.register(replyFrom, { undici: { connections: 128, pipelining: 1 } });
let next = 0;
app.all('/*', (req, reply) => {
  next = (next + 1) % targets.length;
  return reply.from(`${targets[next]}${req.url}`);
});
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.stdout.write(`listening reply-from http://127.0.0.1:${port}\n`);
