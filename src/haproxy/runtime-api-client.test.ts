import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type Clock, isPiperError, ManualClock, type Random, SystemClock } from '../core/index.ts';
import { RuntimeApiClient, type RuntimeApiClientOptions } from './runtime-api-client.ts';

// Unit tests of the client against stand-in sockets that misbehave on purpose; the real HAProxy
// is in test/haproxy-runtime-api.test.ts.
const dir = mkdtempSync(join(tmpdir(), 'piper-runtime-api-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SERVERS_STATE = readFileSync(new URL('../../test/fixtures/haproxy/servers-state.txt', import.meta.url), 'utf8');
let n = 0;

/** A unix socket answering each session with `answer(line, index)`; records the lines it got. */
async function standIn(
  answer: (line: string, index: number, socket: Socket) => void,
): Promise<{ path: string; lines: string[]; server: Server }> {
  const path = join(dir, `s${n++}.sock`);
  const lines: string[] = [];
  const server = createServer((socket) => {
    let buf = '';
    socket.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        lines.push(buf.slice(0, nl));
        answer(buf.slice(0, nl), lines.length - 1, socket);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  after(() => server.close());
  return { path, lines, server };
}

/** A clock whose sleeps return at once and are recorded (back-off without waiting). */
class SleepRecorder extends SystemClock {
  readonly slept: number[] = [];
  override sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    return Promise.resolve();
  }
}

const half: Random = { next: () => 0.5, int: (k) => Math.floor(k / 2) };
const client = (path: string, clock: Clock, more: Partial<RuntimeApiClientOptions> = {}) =>
  new RuntimeApiClient({ address: { path }, clock, random: half, ...more });

describe('RuntimeApiClient against misbehaving sockets', () => {
  test('a socket nobody listens on is retried with jittered exponential back-off, then reported', async () => {
    const clock = new SleepRecorder();
    await assert.rejects(client(join(dir, 'nobody.sock'), clock, { attempts: 4 }).showInfo(), (err) => {
      assert.ok(isPiperError(err, 'PIPER_HAPROXY_SOCKET_UNREACHABLE'));
      assert.equal(err.details.attempts, 4);
      assert.equal(err.details.errno, 'ENOENT');
      return true;
    });
    // Full jitter with random 0.5: half of 100, 200, 400 ms.
    assert.deepEqual(clock.slept, [50, 100, 200]);
  });

  test('a session cut before the end-of-output mark is retried, and the retry answers', async () => {
    const info = 'Name: HAProxy\nVersion: 2.6.12\n\n';
    const s = await standIn((_line, i, socket) => socket.end(i === 0 ? info.slice(0, 10) : info));
    const clock = new SleepRecorder();
    const got = await client(s.path, clock).showInfo();
    assert.equal(got.Version, '2.6.12');
    assert.equal(s.lines.length, 2);
    assert.equal(clock.slept.length, 1);
  });

  test('a socket that answers garbage gets PIPER_HAPROXY_BAD_RESPONSE at once, without retries', async () => {
    const s = await standIn((_line, _i, socket) => socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'));
    const clock = new SleepRecorder();
    await assert.rejects(client(s.path, clock).showServersState(), (err) => isPiperError(err, 'PIPER_HAPROXY_BAD_RESPONSE'));
    assert.equal(s.lines.length, 1);
    assert.deepEqual(clock.slept, []);
  });

  test('a socket that streams without end is cut at the answer limit', async () => {
    const s = await standIn((_line, _i, socket) => {
      const chunk = 'Name: x\n'.repeat(1024);
      const pump = (): void => {
        while (!socket.destroyed && socket.write(chunk));
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
    });
    await assert.rejects(client(s.path, new SleepRecorder(), { maxResponseBytes: 64 * 1024 }).showInfo(), (err) =>
      isPiperError(err, 'PIPER_HAPROXY_BAD_RESPONSE'),
    );
  });

  test('a socket that accepts and never answers times out on the injected clock', async () => {
    const clock = new ManualClock(Date.now());
    let accepted!: () => void;
    const seen = new Promise<void>((resolve) => {
      accepted = resolve;
    });
    const s = await standIn(() => accepted());
    const pending = client(s.path, clock, { attempts: 1, timeoutMs: 2000 }).showInfo();
    await seen;
    clock.advance(2000);
    await assert.rejects(pending, (err) => isPiperError(err, 'PIPER_HAPROXY_SOCKET_TIMEOUT') && err.details.connected === true);
  });

  test('a weight HAProxy did not take (the read-back shows the old one) is not reported as applied', async () => {
    // Answers every `set` with nothing (success) but reads back the recorded state: weight 7.
    const s = await standIn((line, _i, socket) => {
      const commands = line.split(';');
      socket.end(`${'\n'.repeat(commands.length - 1)}${SERVERS_STATE}`);
    });
    const c = client(s.path, new SleepRecorder());
    await assert.rejects(c.applyWeights('web', { 'vendor.v1': 20, 'inhouse.h1': 10 }), (err) => {
      assert.ok(isPiperError(err, 'PIPER_HAPROXY_NOT_APPLIED'));
      assert.deepEqual(err.details.differences, [{ server: 'vendor.v1', asked: { weight: 20 }, reported: { weight: 7, state: 'ready' } }]);
      return true;
    });
    assert.deepEqual(s.lines, ['set server web/vendor.v1 weight 20;set server web/inhouse.h1 weight 10;show servers state web']);
    const applied = await c.applyWeights('web', { 'vendor.v1': 7 });
    assert.equal(applied.servers['vendor.v1']?.weight, 7);
  });

  test("HAProxy's refusal of one command is a command failure that carries the read-back", async () => {
    const s = await standIn((_line, _i, socket) => socket.end(`\nNo such server.\n\n${SERVERS_STATE}`));
    await assert.rejects(client(s.path, new SleepRecorder()).applyStates('web', { 'inhouse.h1': 'drain', nope: 'drain' }), (err) => {
      assert.ok(isPiperError(err, 'PIPER_HAPROXY_COMMAND_FAILED'));
      assert.equal(err.details.command, 'set server web/nope state drain');
      assert.equal(err.details.message, 'No such server.');
      assert.deepEqual(err.details.reported, {
        'vendor.v1': { weight: 7, state: 'ready' },
        'inhouse.h1': { weight: 10, state: 'drain' },
      });
      return true;
    });
  });
});
