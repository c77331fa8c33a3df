// The dashboard of a `piper up` that steers its own data plane and a remote `piper up --role data`
// as one fleet (`dataPlanes`), in a real browser: the Fleet panel lists both members with the
// split each holds, and marks the member an operator set apart by hand (a different split, an
// armed dead-man guard) without asking it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { FixtureBackend } from '../backend-fixture.ts';
import { type PiperUpProcess, startPiperUp } from '../balancer-process.ts';
import { launchChromium } from './chromium.ts';

const TOKEN = 'admin-token-for-the-dashboard-fleet-test';
const shots = join(new URL('../..', import.meta.url).pathname, 'test-results', 'dashboard');

const fixtures = [new FixtureBackend('vendor-1'), new FixtureBackend('inhouse-1')];
let edge: PiperUpProcess;
let up: PiperUpProcess;
let context: BrowserContext;
let userDataDir: string;

/** A piper.yaml with route `web` all on `vendor`. */
function config(vendor: string, inhouse: string, more: Record<string, unknown>): Record<string, unknown> {
  return {
    listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
    admin: { address: '127.0.0.1', port: 0, token: TOKEN },
    pools: {
      vendor: { backends: [{ name: 'v1', url: vendor }], healthCheck: { enabled: false } },
      inhouse: { backends: [{ name: 'i1', url: inhouse }], healthCheck: { enabled: false } },
    },
    routes: [{ name: 'web', split: { vendor: 100, inhouse: 0 } }],
    logging: { level: 'error' },
    ...more,
  };
}

before(async () => {
  const [vendor, inhouse] = (await Promise.all(fixtures.map((b) => b.listen()))) as [string, string];
  edge = await startPiperUp(config(vendor, inhouse, { dashboard: { enabled: false } }), ['--role', 'data']);
  up = await startPiperUp(
    config(vendor, inhouse, {
      dataPlanes: [
        { name: 'here', kind: 'local' },
        { name: 'edge', kind: 'remote', admin: edge.adminUrl, token: TOKEN },
      ],
    }),
  );
  userDataDir = await mkdtemp(join(tmpdir(), 'piper-dashboard-chromium-'));
  context = await launchChromium(userDataDir);
});

after(async () => {
  await context?.close();
  await up?.stop();
  await edge?.stop();
  await Promise.all(fixtures.map((b) => b.close()));
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

test('the Fleet panel lists each data plane with its split and marks the one set apart', { timeout: 60_000 }, async () => {
  const errors: string[] = [];
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.stack ?? err.message));
  await page.goto(up.dashboardUrl as string);
  await page.getByLabel('Token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();

  const fleet = page.locator('section.fleet');
  const cell = (member: string) => fleet.locator(`.member-split[data-member="${member}"][data-route="web"]`);
  await cell('edge').waitFor();
  for (const member of ['here', 'edge']) {
    assert.equal(await cell(member).getAttribute('data-split'), 'vendor 100%, inhouse 0%');
    assert.equal(await cell(member).getAttribute('data-differs'), 'false');
    assert.equal(await fleet.locator('tr', { hasText: member }).locator('.badge', { hasText: 'reachable' }).count(), 1);
  }
  // This process leads (one control plane): the header says so, with its term.
  await page.locator('#control', { hasText: /^leader term \d+$/ }).waitFor();

  // An operator sets the edge apart on its own admin API: a split the others do not hold, under a guard.
  const put = await fetch(`${edge.adminUrl}/api/v1/routes/web/split`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      split: { vendor: 90, inhouse: 10 },
      reason: 'canary on one edge',
      actor: 'test',
      deadMan: { safeSplit: { vendor: 100, inhouse: 0 }, timeoutMs: 120_000 },
    }),
  });
  assert.equal(put.status, 200, await put.text());
  await fleet.locator('.member-split[data-member="edge"][data-differs="true"]').waitFor();
  assert.equal(await cell('edge').getAttribute('data-split'), 'vendor 90%, inhouse 10%');
  assert.equal(await cell('edge').getAttribute('data-dead-man'), 'true');
  assert.equal(await cell('edge').locator('.badge', { hasText: 'differs' }).count(), 1);
  assert.equal(await cell('edge').locator('.badge', { hasText: 'dead-man armed' }).count(), 1);
  assert.equal(await cell('here').getAttribute('data-differs'), 'false');
  assert.equal(await cell('here').getAttribute('data-dead-man'), 'false');
  await page.screenshot({ path: join(shots, 'fleet.png'), fullPage: true });
  await page.close();
  assert.deepEqual(errors, []);
});
