// The load test's --html report as a person reads it: written by the real `piper loadtest`, opened
// from disk in Chromium (playwright-core) with nothing else to load, its charts drawn with round
// ticks in one unit each, and a hover readout. A run against a refused port says "—" where there
// is nothing measured, lists the failures by reason and exits 1.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { runPiper } from '../cli-run.ts';
import { refusingUrl } from '../refusing-port.ts';
import { launchChromium } from './chromium.ts';

let dir: string;
let target: Server;
let origin: string;
let context: BrowserContext;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'piper-loadgen-report-'));
  // Answers after 2-6 ms, so the latency chart has something to draw.
  let n = 0;
  target = createServer((_req, res) => void setTimeout(() => res.end('ok'), 2 + (n++ % 5)));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  context = await launchChromium(join(dir, 'profile'));
});

after(async () => {
  await context?.close();
  target?.closeAllConnections();
  target?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Opens the report from disk and records every request the page makes. */
async function open(file: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(pathToFileURL(file).href);
  return { page, requests, errors };
}

function roundStep(step: number): boolean {
  const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6);
}

test('the HTML report is one file whose charts have round ticks, one unit per axis and a hover readout', { timeout: 60_000 }, async () => {
  const file = join(dir, 'report.html');
  const r = await runPiper(['loadtest', `${origin}/`, '--rate', '200/s', '--duration', '4s', '--threshold', 'p99<300ms', '--html', file]);
  assert.equal(r.code, 0, r.stderr);
  const html = await readFile(file, 'utf8');
  assert.doesNotMatch(html, /failed 0 \{\}|<script src|<link /);
  assert.match(html, /<tr><th>failed<\/th><td>none<\/td><\/tr>/);

  const { page, requests, errors } = await open(file);
  const plots = page.locator('figure .uplot');
  await page.waitForFunction(() => document.querySelectorAll('figure [data-y-ticks]').length === 4);
  assert.deepEqual(await page.locator('figure figcaption').allTextContents(), [
    'Request rate',
    'Latency',
    'In flight',
    'Generator send lag',
  ]);
  assert.equal(await plots.count(), 4);
  for (const plot of await page.locator('figure [data-y-ticks]').all()) {
    const yTicks = ((await plot.getAttribute('data-y-ticks')) ?? '').split(' · ');
    assert.equal(new Set(yTicks.map((t) => t.replace(/^[\d.]+/, ''))).size, 1, `one unit: ${yTicks.join(', ')}`);
    const values = yTicks.map((t) => Number.parseFloat(t));
    assert.ok(values.length >= 2, yTicks.join(', '));
    const step = (values[1] as number) - (values[0] as number);
    assert.ok(roundStep(step), `1-2-5 ticks: ${yTicks.join(', ')}`);
    const xTicks = ((await plot.getAttribute('data-x-ticks')) ?? '').split(' · ');
    assert.ok(xTicks.length >= 3, `elapsed-time labels: ${xTicks.join(', ')}`);
    for (const t of xTicks) assert.match(t, /^\d+(\.\d+)? s$/);
    const xStep = Number.parseFloat(xTicks[1] ?? '') - Number.parseFloat(xTicks[0] ?? '');
    assert.ok(roundStep(xStep), xTicks.join(', '));
  }
  const rate = page.locator('#chart-rate');
  assert.match((await rate.locator('[data-y-ticks]').getAttribute('data-y-ticks')) ?? '', /\/s$/);
  assert.match((await page.locator('#chart-latency [data-y-ticks]').getAttribute('data-y-ticks')) ?? '', / ms$/);

  // Hovering reads the values under the cursor in the legend.
  await rate.scrollIntoViewIfNeeded();
  const box = await rate.locator('.u-over').boundingBox();
  assert.ok(box);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const answered = rate.locator('.u-legend tr', { hasText: 'answered' }).locator('.u-value');
  await answered.filter({ hasText: /^\d+(\.\d)?\/s$/ }).waitFor();
  assert.match((await rate.locator('.u-legend tr').first().locator('.u-value').textContent()) ?? '', /^\d+\.\d s$/);
  await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });

  assert.deepEqual(
    requests.filter((u) => !u.startsWith('file:')),
    [],
    'the report loads nothing from the network',
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test('a run against a refused port prints "—" for its latencies, lists the failures by reason and exits 1', {
  timeout: 60_000,
}, async () => {
  const url = await refusingUrl();
  const file = join(dir, 'refused.html');
  const r = await runPiper(['loadtest', url, '--rate', '50/s', '--duration', '1s', '--html', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const lines = r.stdout.split('\n');
  for (const name of ['from intended send', 'completed (2xx/3xx) only', 'service time']) {
    const line = lines.find((l) => l.startsWith(name)) ?? '';
    assert.deepEqual(line.slice(name.length).trim().split(/\s+/), ['—', '—', '—', '—', '—'], line);
  }
  assert.equal(
    r.stderr.split('\n')[0],
    `piper loadtest: no request to ${url} got an answer (of 50: connect 50) (PIPER_LOADGEN_TARGET_FAILED)`,
  );

  const html = await readFile(file, 'utf8');
  assert.match(
    html,
    /<tr><th>failed<\/th><td>50, by reason: <table class="inner"><tr><th>reason<\/th><th>requests<\/th><\/tr><tr><td>connect<\/td><td>50<\/td><\/tr><\/table><\/td><\/tr>/,
  );
  assert.match(html, /<tr><th>statuses<\/th><td>none<\/td><\/tr>/);
  // A refused connection is not an answer: nothing was answered per second.
  assert.match(html, /<tr><th>offered \/ answered<\/th><td>[\d.]+ \/ 0\.0 per s<\/td><\/tr>/);
  assert.match(html, /<tr><th>from intended send<\/th>(<td>—<\/td>){5}<\/tr>/);
  // Nor is there a latency to draw: no second plots 0 ms.
  const plots = JSON.parse(/<script type="application\/json" id="chart-data">(.*?)<\/script>/s.exec(html)?.[1] ?? 'null') as {
    id: string;
    ys: (number | null)[][];
  }[];
  const latency = plots.find((p) => p.id === 'chart-latency');
  assert.ok(latency !== undefined && latency.ys[0] !== undefined && latency.ys[0].length > 0);
  assert.deepEqual(
    latency.ys.flat().filter((v) => v !== null),
    [],
  );
  const { page, errors } = await open(file);
  await page.waitForFunction(() => document.querySelectorAll('figure [data-y-ticks]').length === 4);
  assert.deepEqual(errors, []);
  await page.close();
});
