// The dashboard in a real browser (Debian's chromium driven by playwright-core): sign in, watch a
// split change made through the admin API, start a migration (refused by the gate, then overridden)
// and abort it, read an incident's postmortem and download it, filter the events feed; at 1280×800
// and at a phone's width; read-only sessions see no actions. Any console error fails the test.
//
// Runs against the dashboard handler with a recorded-state control plane (dashboard-recorded-api.ts)
// until `piper up` serves the journal and rollout APIs; see docs/dashboard.md.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { createDashboardHandler, type DashboardHandler } from '../../src/dashboard/index.ts';
import { POSTMORTEM_SECTIONS } from '../../src/journal/index.ts';
import { launchChromium } from './chromium.ts';
import { createRecordedApi, type RecordedApi } from './dashboard-recorded-api.ts';

const ADMIN = 'admin-token-for-the-browser-test';
const READ = 'read-token-for-the-browser-test';
const root = new URL('../..', import.meta.url).pathname;
const shots = join(root, 'test-results', 'dashboard');

let recorded: RecordedApi;
let dashboard: Server;
let handler: DashboardHandler;
let admin: Server;
let dashboardUrl: string;
let adminUrl: string;
let context: BrowserContext;
let userDataDir: string;
const consoleErrors: string[] = [];

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  await mkdir(shots, { recursive: true });
  recorded = createRecordedApi(() => Date.now());
  handler = createDashboardHandler({ api: recorded.api, tokens: { admin: ADMIN, read: READ } });
  dashboard = createServer(handler);
  // The admin listener as docs/api.md describes it: bearer token in front of the same API.
  admin = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    if (req.headers.authorization !== `Bearer ${ADMIN}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"UNAUTHORIZED","message":"token"}}');
      return;
    }
    void recorded.api(req, res, url).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  dashboardUrl = await listen(dashboard);
  adminUrl = await listen(admin);
  userDataDir = await mkdtemp(join(tmpdir(), 'piper-dashboard-chromium-'));
  context = await launchChromium(userDataDir);
});

after(async () => {
  await context?.close();
  recorded?.close();
  handler?.close();
  for (const server of [dashboard, admin]) {
    server?.closeAllConnections();
    server?.close();
  }
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

function watch(page: Page): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`${page.url()}: ${err.stack ?? err.message}`));
}

/** Each row says what happened in the server's words (the event's `summary`): no raw data, no placeholder. */
async function assertSummaries(page: Page, cells: string): Promise<void> {
  const what = await page.locator(cells).allTextContents();
  assert.ok(what.length > 0, `no rows at ${cells}`);
  for (const text of what) assert.ok(text.length > 0 && !/[{?]|undefined|null|NaN/.test(text), `"${text}"`);
}

/** A tick step a person reads at a glance: 1, 2 or 5 × a power of ten. */
function roundStep(step: number): boolean {
  const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6);
}

/**
 * Every chart of the overview: round ticks in one unit per axis, a clock-time axis with at least
 * three labels, and a legend that reads the point under the cursor (then the latest again).
 */
async function assertChartsReadable(page: Page): Promise<void> {
  const plots = page.locator('figure.chart .plot');
  await page.waitForFunction(() =>
    [...document.querySelectorAll('figure.chart .plot')].every((p) => p instanceof HTMLElement && p.dataset.yTicks),
  );
  for (const plot of await plots.all()) {
    const yTicks = ((await plot.getAttribute('data-y-ticks')) ?? '').split(' · ');
    const units = new Set(yTicks.map((t) => t.replace(/^[\d.]+/, '')));
    assert.equal(units.size, 1, `one unit per axis: ${yTicks.join(', ')}`);
    const values = yTicks.map((t) => Number.parseFloat(t));
    assert.ok(values.length >= 2, `${yTicks.join(', ')}`);
    const step = (values[1] as number) - (values[0] as number);
    assert.ok(roundStep(step), `ticks on 1-2-5 steps: ${yTicks.join(', ')}`);
    for (const [i, v] of values.entries()) assert.ok(Math.abs(v - (values[0] as number) - i * step) < step * 1e-6, yTicks.join(', '));
    const xTicks = ((await plot.getAttribute('data-x-ticks')) ?? '').split(' · ');
    assert.ok(xTicks.length >= 3, `time axis labels: ${xTicks.join(', ')}`);
    for (const t of xTicks) assert.match(t, /^\d\d:\d\d(:\d\d)?$/);
  }
  const chart = page.locator('figure.chart', { hasText: 'Request rate per pool' });
  const at = chart.locator('.legend-at');
  assert.equal(await at.textContent(), '');
  const box = await chart.locator('.u-over').boundingBox();
  assert.ok(box);
  await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
  await chart.locator('.legend-at', { hasText: /^at \d\d:\d\d:\d\d$/ }).waitFor();
  assert.match((await chart.locator('.legend b').first().textContent()) ?? '', /\/s$|^—$/);
  await page.screenshot({ path: join(shots, 'overview-hover.png') });
  await page.mouse.move(0, 0);
  await page.waitForFunction(() => [...document.querySelectorAll('figure.chart .legend-at')].every((e) => e.textContent === ''));
}

async function signIn(page: Page, token: string, screenshot?: string): Promise<void> {
  await page.goto(dashboardUrl);
  await page.getByLabel('Token').fill(token);
  if (screenshot) await page.screenshot({ path: join(shots, screenshot) });
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.split-bar[data-route="web"]').waitFor();
}

test('an operator signs in, watches a split change, starts and aborts a migration and reads a postmortem', {
  timeout: 90_000,
}, async () => {
  const page = await context.newPage();
  watch(page);
  await signIn(page, ADMIN, 'sign-in.png');
  const bar = page.locator('.split-bar[data-route="web"]');
  assert.equal(await bar.getAttribute('data-split'), 'vendor 100%');
  // Charts fill from the backfill plus the live stream.
  await page.locator('figure.chart', { hasText: 'Request rate per pool' }).locator('.legend b').first().filter({ hasText: '/s' }).waitFor();
  await assertChartsReadable(page);
  // The capacity test's route is an operator's: apart, collapsed, labelled; its SLO is not drawn on the
  // pools' charts (only the public routes' own lines are), and a rule short of history says so.
  const internal = page.locator('details.internal', { hasText: 'Internal routes (1)' });
  await internal.locator('.split-bar[data-route="capacity-inhouse"]').waitFor({ state: 'attached' });
  assert.equal(await internal.first().getAttribute('open'), null);
  const p99Legend = page.locator('figure.chart', { hasText: 'p99 latency per pool' }).locator('.legend');
  await p99Legend.getByText('SLO web 200 ms').waitFor();
  assert.equal(await p99Legend.getByText('500 ms').count(), 0);
  await page.locator('#slo-h ~ .table-wrap .badge', { hasText: 'warming up (3 of 6 h)' }).waitFor();
  await page.screenshot({ path: join(shots, 'overview-1280.png') });

  const put = await fetch(`${adminUrl}/api/v1/routes/web/split`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ split: { vendor: 90, inhouse: 10 }, reason: 'canary by hand', actor: 'test' }),
  });
  assert.equal(put.status, 200);
  await page.waitForFunction(
    () => document.querySelector('.split-bar[data-route="web"]')?.getAttribute('data-split') === 'vendor 90%, inhouse 10%',
  );
  assert.equal(await bar.locator('.split-segment[data-pool="inhouse"]').getAttribute('data-share'), '10');
  // The fleet: the member that answers follows the split, the one that stopped answering says why.
  const fleet = page.locator('section.fleet');
  await fleet.locator('.member-split[data-member="edge-a"][data-route="web"][data-split="vendor 90%, inhouse 10%"]').waitFor();
  await fleet.locator('tr', { hasText: 'edge-b' }).getByText('connect ECONNREFUSED 127.0.0.1:9911').waitFor();
  assert.equal(await fleet.locator('tr', { hasText: 'edge-b' }).locator('.badge', { hasText: 'unreachable' }).count(), 1);
  await page.locator('#control', { hasText: 'leader term 3' }).waitFor();
  await page.screenshot({ path: join(shots, 'overview-split-changed.png') });

  // Pool detail: drain a backend behind a confirmation, see its health change.
  await page.locator('a.pool-card', { hasText: 'inhouse' }).click();
  await page.getByRole('heading', { name: 'Backends' }).waitFor();
  await page.locator('tr', { hasText: 'h1' }).getByRole('button', { name: 'Drain' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'drain' }).click();
  await page.locator('tr', { hasText: 'h1' }).locator('.badge', { hasText: 'draining' }).waitFor();
  await page.screenshot({ path: join(shots, 'pool.png'), fullPage: true });

  await page.keyboard.press('4');
  await page.locator('section.capacity').first().waitFor();
  // The verdict with what was needed, beside the certified 310/s.
  const inhouse = page.locator('section.capacity', { hasText: '310/s' });
  await inhouse.locator('.badge', { hasText: 'FAILED: needs 600/s (2× peak 300/s)' }).waitFor();
  await page.screenshot({ path: join(shots, 'capacity.png'), fullPage: true });

  // Start a migration: the gate refuses with its figures; an override with a reason goes through.
  await page.getByRole('link', { name: 'Migrations' }).click();
  // The internal route is not offered; the public one is the default.
  // Routes come with the state and which are internal with the SLO answer: wait until both are in.
  await page.waitForFunction(
    () => [...document.querySelectorAll('select[name="route"] option')].map((o) => o.textContent).join(',') === 'web',
  );
  assert.deepEqual(await page.getByLabel('Route').locator('option').allTextContents(), ['web']);
  await page.getByLabel('To pool').selectOption('inhouse');
  await page.getByLabel('From pool').selectOption('vendor');
  await page.getByLabel('Steps (%)').fill('1, 5, 25, 100');
  await page.getByRole('button', { name: 'Start migration' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Start' }).click();
  await page.getByText('Refused by the capacity gate').waitFor();
  assert.match((await page.locator('.form-result').textContent()) ?? '', /capacity rps\s*310/);
  await page.screenshot({ path: join(shots, 'migration-gate-refused.png') });
  await page.getByLabel('Override capacity gate').fill('vendor contract ends tonight');
  await page.getByRole('button', { name: 'Start migration' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Start' }).click();
  await page.locator('h1', { hasText: 'Migration m-0002' }).locator('.badge', { hasText: 'running' }).waitFor();
  assert.deepEqual(recorded.split('web'), { vendor: 9900, inhouse: 100 });
  await page.getByText('Capacity gate overridden by dashboard').waitFor();
  await page.locator('.stepper li.current', { hasText: '1%' }).waitFor();
  await page.screenshot({ path: join(shots, 'migration-running.png'), fullPage: true });

  await page.getByRole('button', { name: 'Abort and roll back' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'abort' }).click(); // no reason yet: the dialog stays
  assert.equal(await dialog.isVisible(), true);
  await dialog.getByLabel('Reason').fill('p99 on inhouse doubled');
  await dialog.getByRole('button', { name: 'abort' }).click();
  await page.locator('h1', { hasText: 'Migration m-0002' }).locator('.badge', { hasText: 'aborted' }).waitFor();
  assert.deepEqual(recorded.split('web'), { vendor: 100 });
  // Ended, it still shows its evidence.
  await page.getByRole('heading', { name: 'Capacity gate (last evaluation)' }).waitFor();
  await page.getByRole('heading', { name: 'Judge (last window)' }).waitFor();
  // The relative latency tests sit beside the error test.
  await page.locator('.msprt tbody tr', { hasText: 'latency vs vendor p90' }).waitFor();
  await page.locator('.msprt tbody tr', { hasText: 'latency vs vendor p99' }).waitFor();
  await page.locator('#decisions-h ~ .table-wrap tbody tr', { hasText: 'verdict changed' }).waitFor();
  await page.screenshot({ path: join(shots, 'migration-aborted.png'), fullPage: true });

  // The incident and its postmortem, rendered and downloaded.
  await page.getByRole('link', { name: 'Incidents' }).click();
  await page.getByRole('link', { name: 'web failing on inhouse' }).click();
  await page.getByRole('heading', { name: 'Timeline' }).waitFor();
  await assertSummaries(page, 'section[aria-labelledby="timeline-h"] tbody tr td:nth-child(4)');
  await page.screenshot({ path: join(shots, 'incident.png'), fullPage: true });
  await page.getByRole('link', { name: 'Postmortem' }).click();
  const article = page.getByRole('article', { name: 'Postmortem' });
  for (const section of POSTMORTEM_SECTIONS) {
    await article.getByRole('heading', { name: section, exact: true }).waitFor();
  }
  // Drawn from the server's document with DOM elements: the override reason the operator typed
  // (Markdown link, underscores, asterisks) shows exactly as typed, and nothing is a link.
  const drawn = await article.evaluate((el) => {
    const wrap = el.querySelector('[data-section="timeline-of-events"] .table-wrap');
    return {
      // One line per heading, paragraph, item and cell, so a Markdown marker at a line's start shows.
      text: [...el.querySelectorAll('h2, h3, p, li, th, td')].map((n) => n.textContent).join('\n'),
      links: el.querySelectorAll('a').length,
      emphasis: el.querySelectorAll('em, i, code, pre').length,
      timelineColumns: el.querySelectorAll('[data-section="timeline-of-events"] thead th').length,
      timelineRows: el.querySelectorAll('[data-section="timeline-of-events"] tbody tr').length,
      sidewaysScroll: wrap === null ? -1 : wrap.scrollWidth - wrap.clientWidth,
    };
  });
  assert.equal(drawn.links, 0, 'no link is made from text in the postmortem');
  assert.equal(drawn.emphasis, 0, 'no emphasis or code made from underscores or asterisks');
  assert.ok(
    drawn.text.includes('the servers passed [a week of tests](http://evil.example/x); see __load_test__ and *stress_report*'),
    'the override reason is shown as typed',
  );
  assert.doesNotMatch(drawn.text, /^#|^> |\*\*To confirm|\|---/m, 'no Markdown markers');
  assert.doesNotMatch(drawn.text, /[{}]/, 'no JSON');
  assert.equal(drawn.timelineColumns, 3, 'the timeline reads as time, since start, what');
  assert.ok(drawn.timelineRows > 0);
  assert.equal(drawn.sidewaysScroll, 0, 'the timeline wraps at 1280 px instead of scrolling sideways');
  await page.screenshot({ path: join(shots, 'postmortem.png'), fullPage: true });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download Markdown' }).click()]);
  assert.equal(download.suggestedFilename(), 'postmortem-incident-1.md');
  const saved = await download.path();
  assert.match(await readFile(saved, 'utf8'), /^# Postmortem: incident 1/);

  // The live feed, filtered to the migration's events.
  await page.getByRole('link', { name: 'Events' }).click();
  await page.getByLabel('Kind').fill('migration.*');
  await page.locator('tbody tr', { hasText: 'migration.aborted' }).waitFor();
  assert.equal(await page.locator('tbody tr', { hasText: 'split.changed' }).count(), 0);
  await assertSummaries(page, 'tbody tr td:nth-child(5)');
  await page.screenshot({ path: join(shots, 'events.png') });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('link', { name: 'Overview', exact: true }).click();
  await page.locator('.split-bar[data-route="web"]').waitFor();
  const { overflow, culprits } = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > width + 0.5);
    const culprits = wide
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} (right edge ${Math.round(el.getBoundingClientRect().right)})`);
    return { overflow: document.documentElement.scrollWidth - width, culprits };
  });
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at phone width: ${culprits.join(', ')}`);
  await page.screenshot({ path: join(shots, 'overview-phone.png'), fullPage: true });
  await page.close();
  // The gate's 409 is logged by Chromium as a failed resource load; it is the one expected error.
  assert.deepEqual(
    consoleErrors.filter((e) => !/#\/migrations: Failed to load resource: .* 409/.test(e)),
    [],
  );
  consoleErrors.length = 0;
});

test('a read-only session sees no action buttons, and the server refuses its writes anyway', { timeout: 30_000 }, async () => {
  const page = await context.newPage();
  watch(page);
  await page.context().clearCookies();
  await signIn(page, READ);
  await page.getByText('read-only').waitFor();
  await page.getByRole('link', { name: 'Migrations' }).click();
  await page.getByRole('heading', { name: 'All migrations' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Start migration' }).count(), 0);
  await page.getByRole('link', { name: 'm-0002' }).click();
  await page.locator('h1', { hasText: 'Migration m-0002' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /Abort|Promote|Pause/ }).count(), 0);
  const status = await page.evaluate(async () => {
    const s = await (await fetch('/auth/session')).json();
    const res = await fetch('/api/v1/migrations/m-0002/promote', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-piper-csrf': s.csrfToken },
      body: '{}',
    });
    return { status: res.status, body: await res.json() };
  });
  assert.equal(status.status, 403);
  assert.equal(status.body.error.code, 'PIPER_DASHBOARD_READ_ONLY');
  await page.close();
  // The 403 above is expected; it is the only console error allowed.
  assert.deepEqual(
    consoleErrors.filter((e) => !e.includes('403')),
    [],
  );
});
