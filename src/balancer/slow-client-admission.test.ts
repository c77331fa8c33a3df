import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { unwrapConfig, validateConfig } from '../config/index.ts';
import { ManualClock, SeededRandom, silentLogger } from '../core/index.ts';
import { Balancer } from './balancer.ts';
import type { PoolState } from '../data-plane/index.ts';

/**
 * Slow clients against pool admission: a real balancer on real sockets in front of a real
 * backend, its time on a ManualClock, so "one byte a second" is one byte and one `advance(1000)`.
 */

const open: { close(): Promise<void> }[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const o of open.splice(0).reverse()) await o.close();
});

/**
 * A backend that reads each body in full, then answers `<method> <bytes of body>`; `/big` answers
 * `bigSize` bytes. `received.bytes` counts body bytes as they arrive, `received.bigAnswered` the
 * `/big` answers handed to the kernel in full.
 */
async function backend(
  bigSize = 0,
): Promise<{ url: string; server: Server; bodies: string[]; received: { bytes: number; bigAnswered: number } }> {
  const bodies: string[] = [];
  const received = { bytes: 0, bigAnswered: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (c: string) => {
      body += c;
      received.bytes += c.length;
    });
    req.on('end', () => {
      if (req.method === 'POST') bodies.push(body);
      if (req.url === '/big') {
        res.writeHead(200, { 'content-length': bigSize });
        res.end(Buffer.alloc(bigSize, 0x61), () => {
          received.bigAnswered++;
        });
        return;
      }
      const text = `${req.method} ${body.length}`;
      res.writeHead(200, { 'content-length': text.length });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.push({
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, bodies, received };
}

/** A balancer with one route to one pool of `url`, on a ManualClock; `pool` and `top` are merged into the config. */
async function balancer(url: string, pool: Record<string, unknown>, top: Record<string, unknown> = {}) {
  const config = unwrapConfig(
    validateConfig({
      // Real I/O takes real time while the clock stands: no upstream deadline may pass because of it.
      timeouts: { connect: '1h', upstreamHeaders: '1h', upstreamBody: '1h' },
      pools: { p: { backends: [{ name: 'b', url }], healthCheck: { enabled: false }, ...pool } },
      routes: [{ name: 'web', split: { p: 1 } }],
      ...top,
    }),
  );
  const clock = new ManualClock();
  const b = new Balancer({ config, clock, random: new SeededRandom(7), logger: silentLogger() });
  const [listening] = await b.listen(0);
  open.push({
    close: async () => {
      const closing = b.close(0);
      let done = false;
      void closing.then(() => {
        done = true;
      });
      // The grace sleep and the pools' sweeps run on the ManualClock: move it until all is closed.
      while (!done) {
        clock.advance(100);
        await new Promise((r) => setImmediate(r));
      }
    },
  });
  const state = (): PoolState => b.snapshot().pools[0] as PoolState;
  return { b, clock, port: (listening as { port: number }).port, state };
}

/** A raw client: bytes out as given, bytes in as text. */
class RawClient {
  readonly socket: Socket;
  text = '';
  ended = false;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    sockets.push(this.socket);
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => {
      this.text += d;
    });
    this.socket.on('close', () => {
      this.ended = true;
    });
    this.socket.on('error', () => undefined);
  }

  send(text: string): void {
    this.socket.write(text, 'latin1');
  }

  /** The status of the first complete answer (framed by content-length), or 0 while there is none. */
  get status(): number {
    const head = this.text.indexOf('\r\n\r\n');
    if (head < 0) return 0;
    const length = /\r\ncontent-length: (\d+)/i.exec(this.text.slice(0, head));
    if (length === null || this.text.length < head + 4 + Number(length[1])) return 0;
    return Number(this.text.slice(9, 12));
  }
}

/** Waits (real time, bounded) until `done` holds; the bound only keeps a failing test from hanging. */
async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (done()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * Sends a GET and returns its status. If it is not answered but waits in the pool's queue, the
 * clock moves `waitMs` (as the next second of the slow clients would) before the answer is read.
 */
async function get(port: number, clock: ManualClock, state: () => PoolState, waitMs: number): Promise<number> {
  const c = new RawClient(port);
  c.send('GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await until('an answer or a queued request', () => c.status !== 0 || state().queued > 0);
  if (c.status === 0) clock.advance(waitMs);
  await until('an answer', () => c.status !== 0);
  return c.status;
}

/** Light traffic: one request at a time, ten per 100 ms window, for eight windows (an unused limit decays). */
async function lightTraffic(port: number, clock: ManualClock, state: () => PoolState): Promise<void> {
  for (let window = 0; window < 8; window++) {
    for (let i = 0; i < 10; i++) assert.equal(await get(port, clock, state, 1_000), 200);
    clock.advance(100);
  }
}

describe('admission against slow clients', () => {
  it('three slow uploads (one byte a second) do not take a route down: with a fixed limit of 3, GETs get 200 meanwhile', async () => {
    const { url, bodies } = await backend();
    const { clock, port, state } = await balancer(url, { admission: { adaptive: false, initialLimit: 3 } });
    const uploads = [0, 1, 2].map(() => new RawClient(port));
    for (const u of uploads) u.send('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\na');
    for (let second = 0; second < 6; second++) {
      assert.equal(await get(port, clock, state, 1_000), 200, `a GET in second ${second} of the slow uploads`);
      // While their bodies arrive, the uploads hold no slot of the pool.
      assert.equal(state().inFlight, 0);
      for (const u of uploads) u.send('b');
      clock.advance(1_000);
    }
    // Each upload ends and is forwarded whole.
    for (const u of uploads) u.send('c');
    await until('the uploads answered', () => uploads.every((u) => u.status !== 0));
    assert.deepEqual(
      uploads.map((u) => u.status),
      [200, 200, 200],
    );
    assert.deepEqual(bodies, ['abbbbbbc', 'abbbbbbc', 'abbbbbbc']);
    assert.equal(state().inFlight, 0);
  });

  it('bodies read ahead hold at most requestBody.bufferTotal: past it a body is admitted as it stands and streams', async () => {
    const { url, bodies } = await backend();
    const { port, state } = await balancer(url, { admission: { adaptive: false, initialLimit: 3 } }, { requestBody: { bufferTotal: 4 } });
    const uploads = ['a', 'b'].map((x) => {
      const c = new RawClient(port);
      c.send(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n${x.repeat(3)}`);
      return c;
    });
    // 3 + 3 bytes pass the 4-byte budget: the body that came second goes on as it stands (and
    // takes a slot); the first keeps reading ahead.
    await until('one upload admitted', () => state().inFlight === 1);
    uploads[0]?.send('aaaaa');
    uploads[1]?.send('bbbbb');
    await until('the uploads answered', () => uploads.every((u) => u.status !== 0));
    assert.deepEqual(
      uploads.map((u) => u.status),
      [200, 200],
    );
    assert.deepEqual([...bodies].sort(), ['aaaaaaaa', 'bbbbbbbb']);
    assert.equal(state().inFlight, 0);
  });
  it('a dribbling upload larger than the read-ahead buffer is cut with 408 PIPER_BALANCER_BODY_TOO_SLOW once under requestBody.minRate, and its slot is freed', async () => {
    const { url, bodies, received } = await backend();
    const { clock, port, state } = await balancer(
      url,
      { admission: { adaptive: false, initialLimit: 1 } },
      { requestBody: { buffer: '1KiB', minRate: '100B/s', rateWindow: '5s' } },
    );
    const slow = new RawClient(port);
    slow.send(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${'a'.repeat(2048)}`);
    // Past its 1 KiB buffer the body goes on and holds the pool's one slot while it streams.
    await until('the upload streaming to the backend', () => received.bytes === 2048);
    assert.equal(state().inFlight, 1);
    for (let second = 1; second <= 5; second++) {
      slow.send('a');
      await until('the byte at the backend', () => received.bytes === 2048 + second);
      clock.advance(1_000);
      assert.equal(state().inFlight, second < 5 ? 1 : 0, `second ${second}`);
    }
    // 5 bytes in 5 s against 100 B/s: cut when its window closed, and the slot is free at once.
    await until('the 408', () => slow.status !== 0);
    assert.equal(slow.status, 408);
    assert.match(slow.text, /"code":"PIPER_BALANCER_BODY_TOO_SLOW"/);
    await until('the connection closed', () => slow.ended);
    assert.equal(await get(port, clock, state, 1_000), 200);
    assert.deepEqual(bodies, [], 'the backend never got a whole body');
  });

  it('an upload that keeps requestBody.minRate while it holds a slot is not cut', async () => {
    const { url, bodies, received } = await backend();
    const { clock, port, state } = await balancer(
      url,
      { admission: { adaptive: false, initialLimit: 1 } },
      { requestBody: { buffer: '1KiB', minRate: '100B/s', rateWindow: '5s' } },
    );
    const upload = new RawClient(port);
    upload.send(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 8048\r\n\r\n${'a'.repeat(2048)}`);
    await until('the upload streaming to the backend', () => received.bytes === 2048);
    for (let second = 1; second <= 12; second++) {
      // 500 bytes a second (the twelfth ends the body), each at the backend before the clock moves.
      upload.send('b'.repeat(500));
      await until('the bytes at the backend', () => received.bytes === 2048 + second * 500);
      if (second < 12) {
        clock.advance(1_000);
        assert.equal(state().inFlight, 1, `second ${second}: still streaming`);
      }
    }
    await until('the answer', () => upload.status !== 0);
    assert.equal(upload.status, 200);
    assert.equal(bodies[0]?.length, 8048);
    assert.equal(state().inFlight, 0);
  });
  it('a slow reader of a large response holds no slot: others are admitted while it reads, and its slot is given back once', async () => {
    // Far more than the sockets' buffers on both sides hold: the backend waits on the client.
    const size = 32 * 1024 * 1024;
    const { url, received } = await backend(size);
    const { clock, port, state } = await balancer(url, { admission: { adaptive: false, initialLimit: 1 } });
    const reader = new RawClient(port);
    reader.socket.pause();
    reader.send('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(
      "the slow reader's slot free while its answer is under way",
      () => state().inFlight === 0 && state().backends[0]?.upstream?.running === 1,
    );
    for (let i = 0; i < 3; i++) assert.equal(await get(port, clock, state, 1_000), 200, `GET ${i} while the reader is behind`);
    assert.equal(received.bigAnswered, 0, 'the large answer is still on its way');
    let read = 0;
    reader.socket.removeAllListeners('data');
    reader.socket.on('data', (d: string) => {
      read += d.length;
    });
    reader.socket.resume();
    await until('the large answer read', () => read >= size);
    assert.equal(state().inFlight, 0, 'released once: the end of the answer gave nothing back again');
    assert.equal(await get(port, clock, state, 1_000), 200);
    assert.equal(state().inFlight, 0);
  });

  it('a slow reader who then leaves: its slot was given back once, its backend connection is closed', async () => {
    const size = 32 * 1024 * 1024;
    const { url } = await backend(size);
    const { clock, port, state } = await balancer(url, { admission: { adaptive: false, initialLimit: 1 } });
    const reader = new RawClient(port);
    reader.socket.pause();
    reader.send('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(
      'the slot free while the answer is under way',
      () => state().inFlight === 0 && state().backends[0]?.upstream?.running === 1,
    );
    reader.socket.destroy();
    await until('the backend connection closed', () => state().backends[0]?.upstream?.running === 0);
    assert.equal(state().inFlight, 0);
    assert.equal(state().backends[0]?.inFlight, 0);
    assert.equal(await get(port, clock, state, 1_000), 200);
    assert.equal(state().inFlight, 0);
  });
  it('three slow uploads (one byte a second) do not take a route down after its adaptive limit decayed through light traffic', async () => {
    const { url, bodies } = await backend();
    const { clock, port, state } = await balancer(url, {});
    await lightTraffic(port, clock, state);
    assert.equal(state().concurrencyLimit, 8, 'down to the idle floor of 8 per backend, not to 2 × peak + 1 = 3');
    const uploads = [0, 1, 2].map(() => new RawClient(port));
    for (const u of uploads) u.send('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\na');
    for (let second = 0; second < 3; second++) {
      assert.equal(await get(port, clock, state, 1_000), 200, `a GET in second ${second} of the slow uploads`);
      assert.equal(state().inFlight, 0);
      for (const u of uploads) u.send('b');
      clock.advance(1_000);
    }
    await until('the uploads answered', () => uploads.every((u) => u.status !== 0));
    assert.deepEqual(bodies, ['abbb', 'abbb', 'abbb']);
  });
  it('three slow uploads past the read-ahead buffer, holding their slots, pin a minimum-RTT measurement for a second at most, not for as long as they last', async () => {
    const { url, received } = await backend();
    // No minimum rate here: the uploads could trickle for as long as timeouts.request allows.
    const { clock, port, state } = await balancer(url, {}, { requestBody: { buffer: '1KiB', minRate: '0B/s' } });
    await lightTraffic(port, clock, state);
    const uploads = [0, 1, 2].map(() => new RawClient(port));
    for (const u of uploads) u.send(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${'a'.repeat(2048)}`);
    await until('the uploads streaming to the backend', () => received.bytes === 3 * 2048);
    assert.equal(state().inFlight, 3);
    // Four in flight is half the limit: the pool is busy with no baseline, so the minimum RTT is
    // measured with the limit pinned to one per backend, which the uploads already exceed.
    assert.equal(await get(port, clock, state, 250), 200);
    assert.equal(state().concurrencyLimit, 1);
    assert.equal(await get(port, clock, state, 250), 503, 'the cost: what comes while pinned waits, and is shed at its queue timeout');
    clock.advance(750);
    // A second without a sample: the measurement is given up, the limit is back.
    for (let second = 0; second < 5; second++) {
      assert.equal(await get(port, clock, state, 1_000), 200, `a GET ${second} s after the measurement was given up`);
      assert.equal(state().concurrencyLimit, 8);
      assert.equal(state().inFlight, 3, 'the uploads still hold their slots');
      for (const u of uploads) u.send('a');
      clock.advance(1_000);
    }
  });
});
