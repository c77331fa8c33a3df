import assert from 'node:assert/strict';
import { test } from 'node:test';
import { piperConfigSchema } from '../config/index.ts';
import { ManualClock } from '../core/index.ts';
import type { FiringAlert } from './alert-book.ts';
import { Journal } from './journal.ts';
import { OnCall } from './on-call.ts';
import { buildStatusPage, NO_TRAFFIC_AFTER_MS, renderStatusPageHtml, type StatusRoute } from './status-page.ts';

const now = Date.UTC(2017, 2, 31, 22, 0, 0);
const web: StatusRoute = { name: 'web', pools: ['vendor'], lastRequestAt: now - 1000 };
const api: StatusRoute = { name: 'api', pools: ['vendor', 'inhouse'], lastRequestAt: now - 2000 };

function alert(id: string, severity: FiringAlert['severity'], where: { route?: string; pool?: string }): FiringAlert {
  return { id, rule: id, severity, subject: where.route ?? where.pool ?? id, since: now - 60_000, data: {}, ...where };
}

test('a pool’s alert counts against the routes it carries, and the overall status is the worst row', () => {
  const page = buildStatusPage([api, web], [alert('backend:inhouse/ih-1:ejected', 'warning', { pool: 'inhouse' })], [], now);
  assert.deepEqual(page.services, [
    { name: 'api', status: 'degraded' },
    { name: 'web', status: 'operational' },
  ]);
  assert.equal(page.status, 'degraded');
  const paged = buildStatusPage([api, web], [alert('pool:vendor:no_healthy_backend', 'page', { pool: 'vendor', route: 'web' })], [], now);
  assert.deepEqual(
    paged.services.map((s) => s.status),
    ['operational', 'major_outage'],
  );
  assert.equal(paged.status, 'major_outage');
});

test('an alert on a pool no public route uses shows nowhere and leaves the page operational', () => {
  const page = buildStatusPage([web], [alert('backend:lab/t1:down', 'warning', { pool: 'lab' })], [], now);
  assert.equal(page.status, 'operational');
  assert.match(renderStatusPageHtml(page), /All systems operational/);
});

test('a route with no request for five minutes says "no traffic"; only when every route does is the page "no traffic"', () => {
  const quiet: StatusRoute = { ...web, lastRequestAt: now - NO_TRAFFIC_AFTER_MS - 1 };
  const never: StatusRoute = { ...api, lastRequestAt: null };
  const idle = buildStatusPage([never, quiet], [], [], now);
  assert.equal(idle.status, 'no_traffic');
  const html = renderStatusPageHtml(idle);
  assert.match(html, /<p class="banner">No traffic<\/p>/);
  assert.doesNotMatch(html, /Operational/);
  const mixed = buildStatusPage([never, web], [], [], now);
  assert.equal(mixed.status, 'operational');
  // Not "all systems operational" beside a row that served nothing.
  assert.match(renderStatusPageHtml(mixed), /<p class="banner">Operational<\/p>/);
  // An alert still shows on a quiet route: a pool with no healthy backend serves no one.
  const down = buildStatusPage([never], [alert('pool:inhouse:no_healthy_backend', 'page', { pool: 'inhouse' })], [], now);
  assert.equal(down.status, 'major_outage');
});

test('on-call counts a pool against the routes its live split gives traffic to, and leaves internal routes off the page', () => {
  const clock = new ManualClock(now);
  const journal = Journal.open({ path: ':memory:', clock });
  const config = piperConfigSchema.parse({
    pools: {
      vendor: { backends: [{ name: 'v1', url: 'http://127.0.0.1:1' }] },
      inhouse: { backends: [{ name: 'ih-1', url: 'http://127.0.0.1:2' }] },
    },
    routes: [
      { name: 'capacity-inhouse', match: { host: 'inhouse.capacity.internal' }, split: { inhouse: 100 }, internal: true },
      { name: 'web', split: { vendor: 100, inhouse: 0 } },
    ],
  });
  let live: Record<string, string[]> = { web: ['vendor'] };
  const onCall = new OnCall({ journal, clock, config, routePools: (name) => live[name] });
  onCall.observe({ time: now - 1000, route: 'web', pools: {}, requests: 10, failed: 0, shed: 0, slow: 0, p99Ms: 10 });
  journal.append({
    kind: 'backend.ejected',
    source: 'balancer',
    subject: 'inhouse/ih-1',
    data: { pool: 'inhouse', backend: 'ih-1', reason: 'consecutive_5xx', durationMs: 30_000, ejections: 1 },
  });
  // inhouse carries only the internal route: nothing public is affected.
  assert.deepEqual(onCall.statusPage().services, [{ name: 'web', status: 'operational' }]);
  // A migration put a share of web on inhouse: its ejected backend now degrades web.
  live = { web: ['vendor', 'inhouse'] };
  assert.deepEqual(onCall.statusPage().services, [{ name: 'web', status: 'degraded' }]);
  assert.equal(onCall.statusPage().status, 'degraded');
  onCall.close();
  journal.close();
});
