// The dashboard in a real browser against real processes: `piper up` with four real backends and
// live traffic serves the balancer's slice of the API (state, splits, drains, telemetry windows and
// their stream); `piper migrate controller` drives that balancer and serves the rollout slice
// (migrations). The journal's paths, not yet served by `piper up`, come from the recorded control
// plane. Proves the page works on the real shapes: a split, a drain, and a migration started past a
// real capacity gate and aborted from the UI, each seen on the real balancer.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type BrowserContext, chromium } from 'playwright-core';
import { createDashboardHandler, type DashboardHandler } from '../../src/dashboard/index.ts';
import { FixtureBackend } from '../backend-fixture.ts';
import { type PiperUpProcess, startPiperUp } from '../balancer-process.ts';
import { createRecordedApi, type RecordedApi } from './dashboard-recorded-api.ts';

const ADMIN = 'admin-token-for-the-balancer-test';
const READ = 'read-token-for-the-balancer-test';
const shots = join(new URL('../..', import.meta.url).pathname, 'test-results', 'dashboard');
const ROLLOUT_PATHS = /^\/api\/v1\/migrations(\/|$)/;
const BALANCER_PATHS =
  /^\/api\/v1\/(state|windows(\/stream)?|routes\/[^/]+\/(split|heartbeat)|pools\/[^/]+\/backends\/[^/]+\/(drain|undrain)|reload)$/;

const backends = ['v1', 'v2', 'h1', 'h2'].map((name) => new FixtureBackend(name));
let up: PiperUpProcess;
let controller: ReturnType<typeof spawn> | undefined;
let rolloutUrl: string;
let recorded: RecordedApi;
let dashboard: Server;
let handler: DashboardHandler;
let dashboardUrl: string;
let context: BrowserContext;
let userDataDir: string;
let traffic: ReturnType<typeof setInterval> | undefined;

/** Streams a request to the real admin API, answer included (SSE as it comes). */
function forward(adminUrl: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const upstream = request(new URL(url.pathname + url.search, adminUrl), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('end', () => resolve(true));
    });
    upstream.on('error', reject);
    res.on('close', () => {
      upstream.destroy();
      resolve(true);
    });
    req.pipe(upstream);
  });
}

/** Starts `piper migrate controller` over the balancer's admin API; resolves its rollout API URL. */
async function startController(adminUrl: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'piper-dashboard-rollout-'));
  const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    [
      bin,
      'migrate',
      'controller',
      '--admin',
      adminUrl,
      '--token',
      ADMIN,
      '--db',
      join(dir, 'rollout.db'),
      '--port',
      '0',
      '--log-level',
      'warn',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  controller = child;
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening rollout (\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`piper migrate controller exited with ${code}: ${err}`)));
  });
}

before(async () => {
  await mkdir(shots, { recursive: true });
  const [v1, v2, h1, h2] = await Promise.all(backends.map((b) => b.listen()));
  up = await startPiperUp({
    listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
    admin: { address: '127.0.0.1', port: 0, token: ADMIN, readToken: READ },
    dashboard: { enabled: false },
    pools: {
      vendor: {
        backends: [
          { name: 'v1', url: v1 },
          { name: 'v2', url: v2 },
        ],
        healthCheck: { enabled: false },
      },
      inhouse: {
        backends: [
          { name: 'h1', url: h1 },
          { name: 'h2', url: h2 },
        ],
        healthCheck: { enabled: false },
      },
    },
    routes: [{ name: 'web', match: { pathPrefix: '/' }, split: { vendor: 100, inhouse: 0 } }],
  });
  // Steady light traffic through the balancer (40 requests a second), so windows carry real figures.
  traffic = setInterval(() => {
    for (let i = 0; i < 4; i++)
      fetch(`${up.publicUrl}/page`).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
  }, 100);
  rolloutUrl = await startController(up.adminUrl);
  recorded = createRecordedApi(() => Date.now());
  const api = (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (BALANCER_PATHS.test(url.pathname)) return forward(up.adminUrl, req, res, url);
    if (ROLLOUT_PATHS.test(url.pathname)) return forward(rolloutUrl, req, res, url);
    return recorded.api(req, res, url);
  };
  handler = createDashboardHandler({ api, tokens: { admin: ADMIN, read: READ } });
  dashboard = createServer(handler);
  dashboard.listen(0, '127.0.0.1');
  await once(dashboard, 'listening');
  dashboardUrl = `http://127.0.0.1:${(dashboard.address() as AddressInfo).port}`;
  userDataDir = await mkdtemp(join(tmpdir(), 'piper-dashboard-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  clearInterval(traffic);
  await context?.close();
  recorded?.close();
  handler?.close();
  dashboard?.closeAllConnections();
  dashboard?.close();
  if (controller && controller.exitCode === null) {
    const exited = once(controller, 'exit');
    controller.kill('SIGTERM');
    await exited;
  }
  await up?.stop();
  await Promise.all(backends.map((b) => b.close()));
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

test('the dashboard follows a real piper up and drives a real migration controller', { timeout: 90_000 }, async () => {
  const errors: string[] = [];
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.stack ?? err.message));
  await page.goto(dashboardUrl);
  await page.getByLabel('Token').fill(ADMIN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const bar = page.locator('.split-bar[data-route="web"]');
  await bar.waitFor();
  assert.equal(await bar.getAttribute('data-split'), 'vendor 100%, inhouse 0%');

  const put = await fetch(`${up.adminUrl}/api/v1/routes/web/split`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ split: { vendor: 70, inhouse: 30 }, reason: 'dashboard test', actor: 'test' }),
  });
  assert.equal(put.status, 200, await put.text());
  await page.waitForFunction(
    () => document.querySelector('.split-bar[data-route="web"]')?.getAttribute('data-split') === 'vendor 70%, inhouse 30%',
  );
  // The inhouse pool starts serving: its rate appears on its card from the real windows stream.
  await page.waitForFunction(() => {
    const card = [...document.querySelectorAll('a.pool-card')].find((a) => a.textContent?.includes('inhouse'));
    const rate = card?.querySelector('.figure-value')?.textContent ?? '';
    return Number.parseFloat(rate) > 0;
  });
  await page.screenshot({ path: join(shots, 'balancer-overview.png') });

  await page.locator('a.pool-card', { hasText: 'inhouse' }).click();
  await page.locator('tr', { hasText: 'h2' }).getByRole('button', { name: 'Drain' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'drain' }).click();
  await page.locator('tr', { hasText: 'h2' }).locator('.badge', { hasText: 'draining' }).waitFor();
  const state = (await (await fetch(`${up.adminUrl}/api/v1/state`, { headers: { authorization: `Bearer ${READ}` } })).json()) as {
    pools: { name: string; backends: { name: string; health: string }[] }[];
  };
  assert.equal(state.pools.find((p) => p.name === 'inhouse')?.backends.find((b) => b.name === 'h2')?.health, 'draining');
  await page.screenshot({ path: join(shots, 'balancer-pool.png'), fullPage: true });

  // A migration through the real controller: its capacity gate refuses (no capacity result for
  // inhouse in its journal), an override with a reason starts it, the UI aborts it. A migration
  // starts from a route that is all on its source, so the split goes back first.
  const reset = await fetch(`${up.adminUrl}/api/v1/routes/web/split`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ split: { vendor: 100, inhouse: 0 }, reason: 'before the migration', actor: 'test' }),
  });
  assert.equal(reset.status, 200, await reset.text());
  await page.getByRole('link', { name: 'Migrations' }).click();
  await page.getByLabel('To pool').selectOption('inhouse');
  await page.getByLabel('From pool').selectOption('vendor');
  await page.getByLabel('Steps (%)').fill('1, 5, 100');
  await page.getByLabel('Step duration').fill('60s');
  await page.getByRole('button', { name: 'Start migration' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Start' }).click();
  await page.locator('.form-result .error').waitFor();
  await page.screenshot({ path: join(shots, 'balancer-gate-refused.png') });
  assert.match((await page.locator('.form-result .error').textContent()) ?? '', /Refused by the capacity gate/);
  await page.getByLabel('Override capacity gate').fill('no result yet, the test watches it');
  await page.getByRole('button', { name: 'Start migration' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Start' }).click();
  const heading = page.locator('h1', { hasText: 'Migration' });
  await heading.locator('.badge', { hasText: 'running' }).waitFor();
  await page.waitForFunction(async () => {
    const s = await (await fetch('/api/v1/state')).json();
    const split = s.routes.find((r: { name: string }) => r.name === 'web').split;
    return split.inhouse > 0 && split.inhouse / (split.inhouse + split.vendor) <= 0.011;
  });
  await page
    .locator('.badge', { hasText: /^(pass|hold)$/ })
    .first()
    .waitFor({ timeout: 15_000 });
  await page.screenshot({ path: join(shots, 'balancer-migration-running.png'), fullPage: true });
  await page.getByRole('button', { name: 'Abort and roll back' }).click();
  await page.getByRole('dialog').getByLabel('Reason').fill('checking the abort path');
  await page.getByRole('dialog').getByRole('button', { name: 'abort' }).click();
  await heading.locator('.badge', { hasText: 'aborted' }).waitFor({ timeout: 15_000 });
  const after = (await (await fetch(`${up.adminUrl}/api/v1/state`, { headers: { authorization: `Bearer ${READ}` } })).json()) as {
    routes: { name: string; split: Record<string, number> }[];
  };
  const split = after.routes.find((r) => r.name === 'web')?.split ?? {};
  assert.equal(split.inhouse ?? 0, 0, `split after abort: ${JSON.stringify(split)}`);
  await page.screenshot({ path: join(shots, 'balancer-migration-aborted.png'), fullPage: true });
  await page.close();
  // The gate's 409 is logged by Chromium as a failed resource load; it is the one expected error.
  assert.deepEqual(
    errors.filter((e) => !/Failed to load resource: .* 409/.test(e)),
    [],
  );
});
