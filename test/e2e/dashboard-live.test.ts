// The dashboard in a real browser against real processes: `piper up` with four real backends and
// live traffic serves the whole control plane (balancer, journal, migration controller) and the
// dashboard itself. Proves the page works on the real shapes: a split, a drain, and a migration
// started past a real capacity gate and aborted from the UI, each seen on the real balancer.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { FixtureBackend } from '../backend-fixture.ts';
import { type PiperUpProcess, startPiperUp } from '../balancer-process.ts';
import { launchChromium } from './chromium.ts';

const ADMIN = 'admin-token-for-the-balancer-test';
const READ = 'read-token-for-the-balancer-test';
const shots = join(new URL('../..', import.meta.url).pathname, 'test-results', 'dashboard');

const backends = ['v1', 'v2', 'h1', 'h2'].map((name) => new FixtureBackend(name));
let up: PiperUpProcess;
let dashboardUrl: string;
let context: BrowserContext;
let userDataDir: string;
let traffic: ReturnType<typeof setInterval> | undefined;

before(async () => {
  await mkdir(shots, { recursive: true });
  const [v1, v2, h1, h2] = await Promise.all(backends.map((b) => b.listen()));
  up = await startPiperUp({
    listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
    admin: { address: '127.0.0.1', port: 0, token: ADMIN, readToken: READ },
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
  dashboardUrl = up.dashboardUrl as string;
  userDataDir = await mkdtemp(join(tmpdir(), 'piper-dashboard-chromium-'));
  context = await launchChromium(userDataDir);
});

after(async () => {
  clearInterval(traffic);
  await context?.close();
  await up?.stop();
  await Promise.all(backends.map((b) => b.close()));
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

/** Console errors and uncaught exceptions of a page. */
function watch(page: Page): string[] {
  const errors: string[] = [];
  const asked: string[] = [];
  page.on('request', (r) => asked.push(new URL(r.url()).pathname));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.stack ?? err.message));
  fleetAsked = () => asked.includes('/api/v1/fleet');
  return errors;
}

/** Whether the watched page asked for /api/v1/fleet. */
let fleetAsked = (): boolean => false;

test('the dashboard served by a real piper up follows its balancer and drives its migration controller', { timeout: 90_000 }, async () => {
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(dashboardUrl);
  await page.getByLabel('Token').fill(ADMIN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const bar = page.locator('.split-bar[data-route="web"]');
  await bar.waitFor();
  assert.equal(await bar.getAttribute('data-split'), 'vendor 100%, inhouse 0%');
  // No `dataPlanes`: no fleet to show (GET /api/v1/control says so, so the page never asks for
  // it), and the header still names this control plane's role.
  await page.locator('#control', { hasText: /^leader term \d+$/ }).waitFor();
  assert.equal(await page.locator('section.fleet').count(), 0);
  assert.equal(fleetAsked(), false, 'the page asked for /api/v1/fleet although there is no fleet');

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
  // inhouse in the journal), an override with a reason starts it, the UI aborts it. A migration
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
  // Ended by the operator, the page keeps what the gate and the judge saw: read again from the journal.
  await page.reload();
  await heading.locator('.badge', { hasText: 'aborted' }).waitFor();
  await page.locator('#gate-h ~ .table-wrap tbody tr', { hasText: 'overridden' }).waitFor();
  await page.getByRole('heading', { name: 'Judge (last window)' }).waitFor();
  await page.locator('#decisions-h ~ .table-wrap tbody tr').first().waitFor();
  await page.close();
  // The gate's 409 is logged by Chromium as a failed resource load; it is the one expected error.
  assert.deepEqual(
    errors.filter((e) => !/Failed to load resource: .* 409/.test(e)),
    [],
  );
});

test('a migration the judge rolled back shows its gate, its last window and its decisions once it has ended', {
  timeout: 90_000,
}, async () => {
  const page = await context.newPage();
  const errors = watch(page);
  const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
  for (const name of ['h1', 'h2']) {
    const undrain = await fetch(`${up.adminUrl}/api/v1/pools/inhouse/backends/${name}/undrain`, {
      method: 'POST',
      headers: admin,
      body: '{"actor":"test"}',
    });
    await undrain.body?.cancel();
  }
  const started = await fetch(`${up.adminUrl}/api/v1/migrations`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({
      route: 'web',
      to: 'inhouse',
      steps: [10, 100],
      stepDuration: '5m',
      overrideCapacityGate: 'test',
      actor: 'test',
    }),
  });
  assert.equal(started.status, 201, await started.clone().text());
  const { id } = (await started.json()) as { id: string };
  // Some healthy windows on the target first, then every request to it fails.
  await new Promise((r) => setTimeout(r, 4000));
  const inhouse = backends.filter((b) => b.name.startsWith('h'));
  for (const b of inhouse) b.mode = '5xx';
  try {
    // On-call opens the link with a read-only token: evidence needs no admin rights.
    await context.clearCookies();
    await page.goto(`${dashboardUrl}#/migrations/${id}`);
    await page.getByLabel('Token').fill(READ);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const heading = page.locator('h1', { hasText: `Migration ${id}` });
    await heading.locator('.badge', { hasText: 'rolled back' }).waitFor({ timeout: 20_000 });
  } finally {
    for (const b of inhouse) b.mode = 'ok';
  }
  // Read afresh from the journal, as on-call would open it later.
  await page.reload();
  await page
    .locator('h1', { hasText: `Migration ${id}` })
    .locator('.badge', { hasText: 'rolled back' })
    .waitFor();
  const gate = page.locator('section[aria-labelledby="gate-h"]');
  await gate.getByRole('heading', { name: 'Capacity gate (last evaluation)' }).waitFor();
  await gate.locator('tbody tr', { hasText: 'overridden' }).waitFor();
  await gate.locator('tbody tr', { hasText: 'step' }).first().waitFor();
  const judge = page.locator('section[aria-labelledby="judge-h"]');
  await judge.getByRole('heading', { name: 'Judge (last window)' }).waitFor();
  await judge.locator('tbody tr', { hasText: 'target' }).waitFor();
  assert.equal(await judge.getByText('has not looked').count(), 0);
  const decisions = page.locator('section[aria-labelledby="decisions-h"] tbody tr');
  await decisions.filter({ hasText: 'it acted' }).first().waitFor();
  await decisions.filter({ hasText: 'minute before the rollback' }).first().waitFor();
  assert.equal(await decisions.filter({ hasText: 'live (not journaled)' }).count(), 0);
  await page.screenshot({ path: join(shots, 'migration-rolled-back.png'), fullPage: true });
  await page.close();
  assert.deepEqual(errors, []);
});
