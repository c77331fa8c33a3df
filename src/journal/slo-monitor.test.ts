import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../core/index.ts';
import { DEFAULT_ALERT_POLICY } from './alert-policy.ts';
import { Journal } from './journal.ts';
import { OnCall } from './on-call.ts';

const objectives = { web: { availability: 0.999, latencyThresholdMs: 500, latencyTarget: 0.99 } };

function setup(policy = DEFAULT_ALERT_POLICY) {
  const clock = new ManualClock();
  const journal = Journal.open({ path: ':memory:', clock });
  const onCall = new OnCall({ journal, clock, objectives, policy });
  /** Feeds `seconds` one-second samples of `rps` requests with `failRatio` failing, `slowRatio` slow. */
  const feed = (seconds: number, rps: number, failRatio: number, slowRatio = 0): void => {
    for (let i = 0; i < seconds; i++) {
      const time = clock.now();
      clock.advance(1000);
      const failed = Math.round(rps * failRatio);
      onCall.observe({
        time,
        route: 'web',
        pools: { p: { requests: rps, failed, shed: 0 } },
        requests: rps,
        failed,
        shed: 0,
        slow: Math.round(rps * slowRatio),
        p99Ms: 10,
      });
    }
  };
  const firing = (rule: string) => journal.query({ kinds: ['alert.firing'], limit: 10_000 }).find((e) => e.data.rule === rule);
  const close = (): void => {
    onCall.close();
    journal.close();
  };
  return { clock, journal, onCall, feed, firing, close };
}

test('after an hour of good traffic, a total outage pages by the fast rule in 9 s and the 1 h / 5 min pair in ~52 s (SRE Workbook)', () => {
  const s = setup();
  s.feed(3600, 100, 0);
  const start = s.clock.now();
  s.feed(70, 100, 1);
  const fast = s.firing('fast');
  const page = s.firing('page-1h-5m');
  // 9 failing seconds of 10 reach the fast rule's 90 %.
  assert.equal((fast?.time ?? 0) - start, 9_000);
  // 1 h × 14.4 × 0.1 % = 51.8 s of total failure fills the long window's threshold.
  assert.ok(page !== undefined);
  assert.ok(page.time - start >= 51_000 && page.time - start <= 54_000, `${page.time - start} ms`);
  assert.deepEqual(page.data.windows, { longMs: 3_600_000, shortMs: 300_000 });
  assert.equal((page.data.burn as { threshold: number }).threshold, 14.4);
  s.close();
});

test('at low traffic (one request every 2 s) an outage still pages within 30 s', () => {
  const s = setup();
  for (let i = 0; i < 600; i++) s.feed(1, i % 2, 0);
  const start = s.clock.now();
  for (let i = 0; i < 30; i++) s.feed(1, i % 2 === 0 ? 1 : 0, 1);
  const page = s.journal.query({ kinds: ['alert.firing'] }).find((e) => e.data.severity === 'page');
  assert.ok(page, 'paged');
  assert.ok(page.time - start <= 30_000, `${page.time - start} ms`);
  s.close();
});

test('a handful of failures at low traffic does not page (fast rule needs its minimum of requests)', () => {
  const s = setup();
  s.feed(600, 0, 0);
  s.feed(1, 2, 1);
  s.feed(60, 0, 0);
  assert.equal(s.firing('fast'), undefined);
  s.close();
});

test('a 2 % error ratio stays below the 1 h page for 40 minutes but fires the 6 h / 30 min page, not the fast rule', () => {
  const s = setup();
  s.feed(3600, 50, 0);
  s.feed(40 * 60, 50, 0.02);
  assert.equal(s.firing('fast'), undefined);
  assert.equal(s.firing('page-1h-5m'), undefined);
  assert.ok(s.firing('page-6h-30m'));
  s.close();
});

test('window lengths are configurable: a 10-minute / 1-minute pair fires on a short test', () => {
  const s = setup({
    ...DEFAULT_ALERT_POLICY,
    rules: [{ name: 'page-10m-1m', severity: 'page', longMs: 600_000, shortMs: 60_000, burn: 14.4 }],
    fast: { windowMs: 60_000, minRatio: 0.99, minRequests: 1000 },
  });
  s.feed(600, 10, 0);
  s.feed(30, 10, 0.5);
  const page = s.firing('page-10m-1m');
  assert.ok(page);
  assert.deepEqual(page.data.windows, { longMs: 600_000, shortMs: 60_000 });
  s.close();
});

test('latency SLO: requests over the threshold burn the latency budget and alert on the latency SLI', () => {
  const s = setup();
  s.feed(600, 100, 0, 0);
  s.feed(180, 100, 0, 1);
  const latency = s.journal.query({ kinds: ['alert.firing'] }).find((e) => e.data.sli === 'latency');
  assert.ok(latency);
  assert.equal(latency.data.rule, 'page-1h-5m');
  s.close();
});

test('the short window clears the page minutes after errors stop, and the incident resolves after the clear period', () => {
  const s = setup();
  s.feed(3600, 100, 0);
  s.feed(120, 100, 1);
  assert.equal(s.onCall.incidents.current()?.status, 'open');
  s.feed(10, 100, 0);
  const fastResolved = s.journal.query({ kinds: ['alert.resolved'] }).find((e) => e.data.rule === 'fast');
  assert.ok(fastResolved, 'the fast rule clears within seconds');
  s.feed(6 * 60, 100, 0);
  assert.ok(s.journal.query({ kinds: ['alert.resolved'] }).some((e) => e.data.rule === 'page-1h-5m'));
  s.feed(40 * 60, 100, 0);
  const incident = s.onCall.listIncidents()[0];
  assert.equal(incident?.status, 'resolved');
  assert.equal(incident?.mitigatedBy, 'traffic');
  assert.equal(incident?.startedAt, 3_600_000 + Date.UTC(2017, 2, 31, 21, 50, 0));
  assert.equal(s.onCall.listIncidents().length, 1, 'one incident for the storm');
  s.close();
});

test('state survives a restart: firing alerts are not fired twice and samples warm the windows up', () => {
  const clock = new ManualClock();
  const journal = Journal.open({ path: ':memory:', clock });
  const first = new OnCall({ journal, clock, objectives });
  for (let i = 0; i < 20; i++) {
    const time = clock.now();
    clock.advance(1000);
    first.observe({ time, route: 'web', pools: {}, requests: 10, failed: 10, shed: 0, slow: 0, p99Ms: 1 });
  }
  first.close();
  const second = new OnCall({ journal, clock, objectives });
  assert.ok(second.firing().some((a) => a.id === 'web:availability:fast'));
  assert.equal(second.slo.status()[0]?.fast.requests, 100, 'the fast window was reloaded from stored samples');
  const time = clock.now();
  clock.advance(1000);
  second.observe({ time, route: 'web', pools: {}, requests: 10, failed: 10, shed: 0, slow: 0, p99Ms: 1 });
  assert.equal(journal.query({ kinds: ['alert.firing'] }).filter((e) => e.data.rule === 'fast').length, 1);
  assert.equal(second.listIncidents().length, 1);
  second.close();
  journal.close();
});

test('a burn the rule cannot act on yet says so: warming up until the route holds the short window’s history', () => {
  const s = setup();
  s.feed(120, 100, 0.1);
  const early = s.onCall.slo.statusOf('web');
  const page = early.sli.availability.find((r) => r.rule === 'page-1h-5m');
  // 10 % errors against a 0.1 % budget: a burn of 100×, yet no page while two minutes of five are held.
  assert.ok(page !== undefined && page.short > 14.4 && page.long > 14.4);
  assert.equal(page.firing, false);
  assert.equal(page.warmingUp, true);
  assert.equal(early.historyMs, 120_000);
  s.feed(181, 100, 0.1);
  const later = s.onCall.slo.statusOf('web').sli.availability.find((r) => r.rule === 'page-1h-5m');
  assert.equal(later?.warmingUp, false);
  assert.equal(later?.firing, true, 'the same burn pages once five minutes are held');
  assert.equal(s.onCall.slo.statusOf('web').sli.availability.find((r) => r.rule === 'page-6h-30m')?.warmingUp, true);
  s.close();
});

test('a follower control plane neither stores samples nor pages; the same outage pages once it leads', () => {
  const clock = new ManualClock();
  const journal = Journal.open({ path: ':memory:', clock });
  let leading = false;
  const onCall = new OnCall({ journal, clock, objectives, leading: () => leading });
  const outage = (seconds: number): void => {
    for (let i = 0; i < seconds; i++) {
      const time = clock.now();
      clock.advance(1000);
      onCall.observe({ time, route: 'web', pools: {}, requests: 100, failed: 100, shed: 0, slow: 0, p99Ms: 10 });
    }
  };
  outage(60);
  assert.deepEqual(journal.samples('web', 0, clock.now()), []);
  assert.deepEqual(journal.query({ kinds: ['alert.*'] }), []);
  leading = true;
  outage(60);
  assert.ok(journal.query({ kinds: ['alert.firing'] }).length > 0);
  onCall.close();
  journal.close();
});
