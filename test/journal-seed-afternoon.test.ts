import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { POSTMORTEM_SECTIONS } from '../src/journal/index.ts';
import { loadSeedAfternoon, replaySeedAfternoon } from './fixtures/journal/replay.ts';
import { PDT } from './fixtures/journal/seed-afternoon.ts';

const fixture = loadSeedAfternoon();
let run: ReturnType<typeof replaySeedAfternoon>;

before(() => {
  run = replaySeedAfternoon(fixture);
});

test('the fast rule pages within 30 s of the failure start, in event time, before the burn-rate pages', () => {
  const pages = run.journal.query({ kinds: ['alert.firing'], limit: 10_000 }).filter((e) => e.data.severity === 'page');
  const fast = pages.find((e) => e.data.rule === 'fast');
  assert.ok(fast, 'the fast rule fired');
  assert.ok(fast.time - fixture.failureStart <= 30_000, `fast page ${(fast.time - fixture.failureStart) / 1000} s after the start`);
  assert.ok(fast.time > fixture.failureStart, 'not before the failure');
  assert.equal(pages[0]?.id, fast.id, 'the first page is the fast rule');
  assert.ok(
    pages.some((e) => e.data.rule === 'page-1h-5m'),
    'the 1 h / 5 min burn-rate page follows',
  );
});

test('one incident for the whole storm, with computed times', () => {
  const incidents = run.onCall.listIncidents();
  assert.equal(incidents.length, 1, JSON.stringify(incidents.map((i) => i.title)));
  const i = incidents[0];
  assert.ok(i);
  assert.equal(i.status, 'resolved');
  assert.equal(i.startedAt, fixture.failureStart, 'started = first bad second, not the alert');
  assert.equal(i.detectedAt, run.journal.query({ kinds: ['alert.firing'] }).find((e) => e.data.rule === 'fast')?.time);
  assert.equal(i.acknowledgedAt, PDT(15, 4, 30));
  assert.equal(i.acknowledgedBy, 'gilfoyle');
  assert.equal(i.mitigatedAt, PDT(15, 21));
  assert.equal(i.mitigatedBy, 'migration.rolled_back');
  assert.ok(i.resolvedAt !== undefined && i.resolvedAt > PDT(15, 21) && i.resolvedAt < fixture.end);
  assert.ok(i.alerts.includes('web:availability:fast'));
  assert.ok(i.alerts.includes('pool:inhouse:no_healthy_backend'), 'the pool page joined the same incident');
  const means = run.onCall.means();
  assert.equal(means.count, 1);
  assert.equal(means.mttdMs, i.detectedAt - i.startedAt);
  assert.equal(means.mttrMs, (i.resolvedAt ?? 0) - i.startedAt);
});

test('impact is computed from the traffic samples of the outage', () => {
  const report = run.onCall.report(1);
  let requests = 0;
  let failed = 0;
  for (const [t, vr, vf, ir, inf] of fixture.samples) {
    if (t >= PDT(15, 0) && t < PDT(15, 21)) {
      requests += vr + ir;
      failed += vf + inf;
    }
  }
  assert.equal(report.impact.requests, requests);
  assert.equal(report.impact.failed, failed);
  assert.equal(report.impact.secondsBelowSlo, 21 * 60);
  assert.ok(report.impact.badShare > 0.95);
  assert.deepEqual(
    report.impact.pools.map((p) => p.pool),
    ['inhouse', 'vendor'],
  );
  // 21 minutes at ~98 % errors against a 0.1 % budget over 30 days: ~47 % of the month's budget.
  assert.ok(report.impact.budgetSpent > 0.4 && report.impact.budgetSpent < 0.5, String(report.impact.budgetSpent));
});

test('the postmortem has the seed eleven sections in order, with durations and counts from the record', () => {
  const md = run.onCall.postmortem(1, 'md', 'America/Los_Angeles');
  const headings = [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
  assert.deepEqual(headings, [...POSTMORTEM_SECTIONS]);
  const report = run.onCall.report(1);
  assert.match(md, /2017-03-31 15:00:00 PDT/, 'start to the second, in Pacific Time');
  assert.match(md, /The outage lasted 21 min 00 s/);
  assert.match(
    md,
    new RegExp(`${report.impact.failed.toLocaleString('en-US')} of ${report.impact.requests.toLocaleString('en-US')} requests`),
  );
  assert.match(md, /The capacity gate refused the move and richard overrode it at 2017-03-31 14:50:00 PDT; 120 req\/s certified/);
  assert.match(md, /> \*\*To confirm:\*\*/);
  assert.match(md, /\| rule \| fast \|/);
  assert.match(md, /Rolled back by richard at 2017-03-31 15:21:00 PDT, 21 min 00 s after the impact began/);
  const html = run.onCall.postmortem(1, 'html');
  assert.equal([...html.matchAll(/<h2>/g)].length, 11);
  assert.match(html, /<blockquote class="confirm">/);
  assert.doesNotMatch(html, /<script/);
});

test('the status page shows operational after the storm, with the incident in its history', () => {
  const page = run.onCall.statusPage();
  assert.equal(page.status, 'operational');
  assert.deepEqual(page.services, [{ name: 'web', status: 'operational' }]);
  assert.equal(page.incidents[0]?.status, 'resolved');
  run.onCall.close();
  run.journal.close();
});
