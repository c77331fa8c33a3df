import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { decodeUserIds, ManualClock } from '../core/index.ts';
import { LatencyHistogram, type TelemetryWindow, userIdOf, WindowAggregator } from '../telemetry/index.ts';
import { LogIngestor, type LogIngestorOptions } from './log-ingestor.ts';

const RECORDED = JSON.parse(readFileSync(new URL('../../test/fixtures/haproxy/log-lines.json', import.meta.url), 'utf8')) as Record<
  string,
  string
>;
/** The recorded lines' clock: the second the first of them was written in, so none is late. */
const T0 = 1796648144000;

function setup(options: Partial<LogIngestorOptions> = {}) {
  const clock = new ManualClock(T0);
  const aggregator = new WindowAggregator({ clock, windowMs: 1000 });
  const ingestor = new LogIngestor({ aggregator, clock, poolOf: () => 'vendor', ...options });
  const windows: TelemetryWindow[] = [];
  aggregator.onWindow((w) => windows.push(w));
  const send = (name: string, edit: (s: string) => string = (s) => s): void =>
    ingestor.ingest(Buffer.from(edit(RECORDED[name] as string), 'latin1'));
  return { clock, aggregator, ingestor, windows, send };
}

describe('LogIngestor', () => {
  test('folds lines into the route, pool, backend and flow windows the balancer produces', () => {
    const { clock, windows, send, ingestor } = setup();
    send('ok');
    send('ok', (s) => s.replace(' 3 3 ', ' 9 12 ').replace(' 0 0 0 ', ' 3 0 0 '));
    send('serverTimeout');
    clock.advance(1000);
    const w = windows[0] as TelemetryWindow;
    assert.equal(w.routes.web?.requests, 3);
    assert.equal(w.routes.web?.failed, 1);
    assert.deepEqual(w.routes.web?.status, { '1xx': 0, '2xx': 2, '3xx': 0, '4xx': 0, '5xx': 1 });
    assert.deepEqual(w.routes.web?.errors, { timeout: 1 });
    assert.equal(w.pools.vendor?.requests, 2);
    assert.equal(w.pools.inhouse?.requests, 1);
    assert.equal(w.backends['vendor/v1']?.requests, 2);
    assert.equal(w.backends['inhouse/h1']?.failed, 1);
    assert.equal(w.routes.web?.bytesIn, 52 * 3);
    assert.equal(w.routes.web?.bytesOut, 153 * 2 + 198);
    assert.deepEqual(
      w.flows?.map((f) => [f.route, f.pool, f.backend, f.requests]),
      [
        ['web', 'vendor', 'v1', 2],
        ['web', 'inhouse', 'h1', 1],
      ],
    );
    // Latency from the request head received to the last byte: %Ta - %TR.
    const h = LatencyHistogram.decode(w.backends['vendor/v1']?.histogram as string);
    assert.equal(h.count, 2);
    assert.equal(Math.round(h.percentile(0)), 3);
    assert.equal(Math.round(h.percentile(100)), 9);
    assert.equal(Math.round(w.routes.web?.latency.max as number), 301);
    assert.deepEqual(ingestor.windowCounts(w.start), {
      received: 3,
      folded: 3,
      foreign: 0,
      truncated: 0,
      unparsable: 0,
      unknown: 0,
      dropped: 0,
      lost: 0,
      late: 0,
      complete: true,
    });
  });

  test('termination states become the balancer error kinds: shed, no backend, connect, reset, protocol', () => {
    const { clock, windows, send } = setup();
    for (const name of ['queueTimeout', 'noServer', 'refused', 'serverReset', 'badRequest']) send(name);
    clock.advance(1000);
    const w = windows[0] as TelemetryWindow;
    assert.deepEqual(w.routes.web?.errors, { shed: 1, no_backend: 1, connect: 1, reset: 1 });
    assert.equal(w.routes.web?.shed, 1);
    assert.equal(w.routes.web?.retries, 3);
    // <NOSRV> counts on the route's largest pool (poolOf), with no backend.
    assert.equal(w.pools.vendor?.requests, 2);
    assert.equal(w.pools.inhouse?.requests, 2);
    assert.equal(w.backends['inhouse/d1']?.errors.connect, 1);
    // Refused before any backend: no route, as the balancer records a request it could not route.
    assert.deepEqual(w.routes['']?.errors, { protocol: 1 });
    assert.equal(w.routes['']?.status['4xx'], 1);
  });

  test('a client that left counts as client_abort with status 0, not as a failure', () => {
    const { clock, windows, send } = setup();
    send('ok', (s) => s.replace(' -- 0 ', ' CD 0 '));
    clock.advance(1000);
    const w = windows[0] as TelemetryWindow;
    assert.equal(w.routes.web?.failed, 0);
    assert.deepEqual(w.routes.web?.errors, { client_abort: 1 });
    assert.deepEqual(w.routes.web?.status, { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 });
  });

  test('a log line cut in the middle is counted as truncated and the window marked incomplete', () => {
    const { clock, windows, send, ingestor } = setup();
    send('ok');
    send('ok', (s) => s.slice(0, s.indexOf(' 52 ')));
    send('ok', (s) => s.replace(' 200 ', ' two-hundred '));
    send('serverDown');
    clock.advance(1000);
    const w = windows[0] as TelemetryWindow;
    assert.equal(w.routes.web?.requests, 1);
    const counts = ingestor.windowCounts(w.start);
    assert.equal(counts?.received, 4);
    assert.equal(counts?.folded, 1);
    assert.equal(counts?.truncated, 1);
    assert.equal(counts?.unparsable, 1);
    assert.equal(counts?.foreign, 1, "HAProxy's own message is not a request line and not missing data");
    assert.equal(counts?.complete, false);
    assert.equal(ingestor.counts().truncated, 1);
  });

  test('a log flood beyond the window budget is dropped with a count, and the next window starts afresh', () => {
    const { clock, windows, send, ingestor } = setup({ maxLinesPerWindow: 5 });
    for (let i = 0; i < 8; i++) send('ok');
    clock.advance(1000);
    send('ok');
    clock.advance(1000);
    const [first, second] = windows as [TelemetryWindow, TelemetryWindow];
    assert.equal(first.routes.web?.requests, 5);
    assert.equal(ingestor.windowCounts(first.start)?.dropped, 3);
    assert.equal(ingestor.windowCounts(first.start)?.complete, false);
    assert.equal(second.routes.web?.requests, 1);
    assert.equal(ingestor.windowCounts(second.start)?.complete, true);
    assert.equal(ingestor.counts().dropped, 3);
    assert.equal(ingestor.counts().received, 9);
  });

  test('a log flood of made-up route and server names cannot grow memory past the name limit', () => {
    const { clock, windows, send, ingestor } = setup({ maxNames: 3 });
    send('ok');
    for (let i = 0; i < 10; i++) send('ok', (s) => s.replace(' vendor.v1 ', ` vendor.x${i} `));
    for (let i = 0; i < 10; i++) send('ok', (s) => s.replace(' web ', ` r${i} `));
    send('ok', (s) => s.replace(' vendor.v1 ', ' v1 '));
    clock.advance(1000);
    const w = windows[0] as TelemetryWindow;
    assert.equal(Object.keys(w.backends).length, 3);
    assert.equal(Object.keys(w.routes).length, 3);
    const counts = ingestor.windowCounts(w.start);
    assert.equal(counts?.unknown, 8 + 8 + 1);
    assert.equal(counts?.folded, 1 + 2 + 2);
  });

  test('lines lost on the way (counted by HAProxy or the kernel) mark the window incomplete', () => {
    const { clock, windows, ingestor, send } = setup();
    send('ok');
    ingestor.noteLost(4);
    clock.advance(1000);
    const counts = ingestor.windowCounts((windows[0] as TelemetryWindow).start);
    assert.equal(counts?.lost, 4);
    assert.equal(counts?.complete, false);
  });

  test("tells users apart by the client's address, and counts a request a retry saved, as the balancer does", () => {
    const { clock, windows, send } = setup();
    send('ok');
    send('ok', (s) => s.replace(' 127.0.0.1 ', ' 10.0.0.7 ').replace(' -- 0 ', ' -- +1 '));
    send('refused', (s) => s.replace(' 127.0.0.1 ', ' 10.0.0.7 '));
    clock.advance(1000);
    const web = windows[0]?.routes.web;
    assert.equal(web?.users?.count, 2);
    assert.equal(web?.users?.failed, 1);
    assert.deepEqual(decodeUserIds(web?.users?.failedIds ?? ''), [userIdOf('10.0.0.7')]);
    assert.deepEqual(web?.users?.by, ['address']);
    assert.equal(web?.savedByRetry, 1, 'redispatched once and answered: saved; retried 3 times and refused: failed');
  });

  test('a line that arrives more than a window after its request ended is counted late', () => {
    const { clock, windows, ingestor, send } = setup();
    clock.advance(2500);
    send('ok');
    clock.advance(1000);
    const w = windows.at(-1) as TelemetryWindow;
    assert.equal(w.routes.web?.requests, 1);
    assert.equal(ingestor.windowCounts(w.start)?.late, 1);
    assert.equal(ingestor.windowCounts(w.start)?.complete, true);
  });
});
