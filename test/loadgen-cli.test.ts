import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPiper } from './cli-run.ts';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

describe('piper loadtest and piper capacity (CLI)', () => {
  let target: Server;
  let origin: string;
  let controlPlane: Server;
  let controlOrigin: string;
  const posted: { auth: string | undefined; body: unknown }[] = [];
  let dir: string;

  before(async () => {
    target = createServer((req, res) => res.writeHead(req.url === '/fail' ? 503 : 200).end('ok'));
    origin = await listen(target);
    controlPlane = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        posted.push({ auth: req.headers.authorization, body: JSON.parse(body) });
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":1}');
      });
    });
    controlOrigin = await listen(controlPlane);
    dir = await mkdtemp(join(tmpdir(), 'piper-loadgen-'));
  });

  after(async () => {
    await close(target);
    await close(controlPlane);
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 99 when a threshold fails and prints the bookkeeping table', async () => {
    // The undici sender here; the other runs use the default (raw) one.
    const r = await runPiper([
      'loadtest',
      `${origin}/fail`,
      '--rate',
      '100/s',
      '--duration',
      '1s',
      '--threshold',
      'errors<1%',
      '--sender',
      'undici',
    ]);
    assert.equal(r.code, 99, r.stderr);
    assert.match(r.stdout, /scheduled\s+completed\s+failed\s+timed out\s+unsent/);
    assert.match(r.stdout, /errors<1%\s+100\.000%\s+FAIL/);
  });

  it('prints JSON and writes a self-contained HTML report', async () => {
    const html = join(dir, 'report.html');
    const r = await runPiper([
      'loadtest',
      origin,
      '--rate',
      '100/s',
      '--duration',
      '1s',
      '--threshold',
      'p99<10s',
      '--json',
      '--html',
      html,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { counts: { scheduled: number; completed: number }; bookkeepingHolds: boolean };
    assert.equal(result.counts.scheduled, 100);
    assert.equal(result.counts.completed, 100);
    assert.equal(result.bookkeepingHolds, true);
    const page = await readFile(html, 'utf8');
    // Self-contained: uPlot and the chart data inline, nothing fetched (test/e2e/loadgen-report.test.ts opens it in Chromium).
    assert.match(page, /<script>\/\*! https:\/\/github.com\/leeoniya\/uPlot/);
    assert.match(page, /<script type="application\/json" id="chart-data">\[\{"id":"chart-rate"/);
    assert.doesNotMatch(page, /<script src|<link|src="http/);
  });

  it('names the flag and the problem on bad input (exit 2)', async () => {
    const r = await runPiper(['loadtest', origin, '--rate', 'fast']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--rate: invalid rate "fast"/);
    const s = await runPiper(['capacity', origin, '--slo', 'p99<200ms']);
    assert.equal(s.code, 2);
    assert.match(s.stderr, /slo: .*needs both parts/);
    const t = await runPiper(['loadtest', origin, '--sender', 'curl']);
    assert.equal(t.code, 2);
    assert.match(t.stderr, /--sender: expected raw or undici, got "curl"/);
  });

  it('certifies headroom, writes the capacity.result event and journals it with the token', async () => {
    const out = join(dir, 'capacity.json');
    // A fast target, a generous SLO and a low maximum rate: the search ends at the maximum in a few short trials.
    const r = await runPiper([
      'capacity',
      origin,
      '--slo',
      'p99<2s,errors<5%',
      '--confidence',
      '80%',
      '--require',
      '2x',
      '--peak',
      '100/s',
      '--max-rate',
      '400/s',
      '--trial',
      '500ms',
      '--warmup',
      '200ms',
      '--pool',
      'inhouse',
      '-o',
      out,
      '--control-plane',
      controlOrigin,
      '--token',
      'secret-token',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /capacity: \d+\.\d req\/s/);
    assert.match(r.stdout, /require 2× peak 100\/s = 200\/s: PASS/);
    const event = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(event.kind, 'capacity.result');
    assert.equal(event.source, 'loadgen');
    assert.equal(event.subject, 'inhouse');
    assert.equal(event.actor, 'piper capacity');
    assert.deepEqual(Object.keys(event.data).sort(), [
      'arrivals',
      'capacityRps',
      'certifiedAt',
      'confidence',
      'interval',
      'mix',
      'pool',
      'require',
      'slo',
      'target',
      'trials',
    ]);
    assert.deepEqual(event.data.slo, { p99Ms: 2000, maxErrorRatio: 0.05 });
    assert.deepEqual(event.data.require, { factor: 2, peakRps: 100, passed: true });
    // What the trials sent, for the migration gate to show beside the route's traffic.
    assert.deepEqual(event.data.mix, [{ method: 'GET', path: '/', share: 1, bodyBytes: 0 }]);
    assert.equal(event.data.arrivals, 'poisson');
    // Nothing failed up to the maximum: the interval has no upper end.
    assert.deepEqual(event.data.interval, { lowerRps: event.data.capacityRps, upperRps: null });
    assert.match(r.stdout, /interval: \d+\.\d \(passed\) – not found/);
    // The target is far faster than 400/s; a noisy machine may still cost a step of the search.
    assert.ok(event.data.capacityRps >= 200 && event.data.capacityRps <= 400, String(event.data.capacityRps));
    assert.equal(event.data.confidence, 0.8);
    assert.ok(Math.abs(event.data.certifiedAt - Date.now()) < 120_000);
    for (const t of event.data.trials)
      assert.deepEqual(Object.keys(t).sort(), ['achievedRps', 'durationMs', 'errorRatio', 'p99Ms', 'rateRps', 'verdict']);
    assert.equal(posted.length, 1);
    assert.equal(posted[0]?.auth, 'Bearer secret-token');
    assert.deepEqual(posted[0]?.body, event);
  });
});
