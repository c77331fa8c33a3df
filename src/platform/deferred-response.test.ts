import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, test } from 'node:test';
import { DeferredResponse } from './deferred-response.ts';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** A server answering every request with `chunks` through a DeferredResponse holding `hold` bytes. */
async function serveChunks(chunks: Buffer[], hold: number): Promise<{ url: string; sinks: DeferredResponse[] }> {
  const sinks: DeferredResponse[] = [];
  const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    const sink = new DeferredResponse(res, 200, { 'content-type': 'application/octet-stream' }, hold);
    sinks.push(sink);
    void pipeline(Readable.from(chunks), sink).catch(() => res.destroy());
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, sinks };
}

/** GETs `url`; with `pauseFirst`, reads nothing until the server has filled the socket and queued output. */
async function fetchAll(url: string, pauseFirst = false): Promise<{ body: Buffer; headers: IncomingMessage['headers'] }> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => get(url, resolve).on('error', reject));
  if (pauseFirst) {
    res.pause();
    // Let the server run several turns against a full socket, so chunks queue in the sink.
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
    res.resume();
  }
  const parts: Buffer[] = [];
  for await (const c of res) parts.push(c as Buffer);
  return { body: Buffer.concat(parts), headers: res.headers };
}

const chunksOf = (n: number, size: number): Buffer[] => Array.from({ length: n }, () => randomBytes(size));

test('a body that ends within the hold goes out whole, in order, with an exact Content-Length', async () => {
  const chunks = chunksOf(7, 10_000);
  const { url, sinks } = await serveChunks(chunks, 1024 * 1024);
  const { body, headers } = await fetchAll(url);
  assert.equal(headers['content-length'], '70000');
  assert.equal(headers['transfer-encoding'], undefined);
  assert.deepEqual(body, Buffer.concat(chunks));
  assert.equal(sinks[0]?.sent, 70_000);
});

test('an empty body gets Content-Length 0', async () => {
  const { url } = await serveChunks([], 1024);
  const { body, headers } = await fetchAll(url);
  assert.equal(headers['content-length'], '0');
  assert.equal(body.length, 0);
});

test('past the hold the body streams (chunked) and arrives byte for byte, also when chunks queue behind a full socket', async () => {
  // 8 KiB chunks: several fit under the sink's 64 KiB high-water mark, so they queue while it waits.
  const chunks = chunksOf(768, 8 * 1024);
  const { url, sinks } = await serveChunks(chunks, 256 * 1024);
  for (const pauseFirst of [false, true]) {
    const { body, headers } = await fetchAll(url, pauseFirst);
    assert.equal(headers['content-length'], undefined);
    assert.equal(headers['transfer-encoding'], 'chunked');
    assert.equal(body.length, 768 * 8 * 1024);
    assert.ok(body.equals(Buffer.concat(chunks)), 'bytes differ');
  }
  assert.ok(sinks.every((s) => s.committed && s.sent === 768 * 8 * 1024));
});
