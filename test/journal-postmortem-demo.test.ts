// The postmortem of the demo's afternoon, drafted from its recorded journal (a fast demo run: the
// gate refused twice, overridden, four steps, the judge's fast path rolled back 249 ms after the
// first failure, the incident resolved by itself): what a team would publish, not the raw record.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { ManualClock } from '../src/core/index.ts';
import { type Block, Journal, type JournalEventInput, OnCall, renderMarkdown } from '../src/journal/index.ts';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/journal/demo-rollback.json', import.meta.url), 'utf8')) as {
  events: JournalEventInput[];
};
const events = fixture.events;
const clock = new ManualClock(events[0]?.time ?? 0);
const journal = Journal.open({ path: ':memory:', clock });
const onCall = new OnCall({
  journal,
  clock,
  objectives: { web: { availability: 0.999, latencyThresholdMs: 300, latencyTarget: 0.99 } },
  resolveAfterMs: 10_000,
});
// The incident manager writes the incident's own events again as the rollback arrives.
for (const e of events.filter((x) => !x.kind.startsWith('incident.'))) {
  if ((e.time ?? 0) > clock.now()) clock.advance((e.time ?? 0) - clock.now());
  journal.append(e);
}
clock.advance(15_000);
after(() => {
  onCall.close();
  journal.close();
});

const doc = onCall.postmortemDocument(1);
const section = (heading: string): Block[] => doc.sections.find((s) => s.heading === heading)?.blocks ?? [];
const timeline = section('Timeline of events').find((b) => b.kind === 'table');
const texts = (heading: string): string[] =>
  section(heading).flatMap((b) => (b.kind === 'list' ? b.items : b.kind === 'table' ? b.rows.flat() : [b.text]));

test('the timeline is curated: startup noise left out, the judge in one row per step, strict time order', () => {
  assert.ok(timeline?.kind === 'table');
  assert.deepEqual(timeline.headers, ['time', 'since start', 'what']);
  const whats = timeline.rows.map((r) => r[2] ?? '');
  assert.equal(
    whats.filter((w) => w.startsWith('judge: pass')).length,
    3,
    'the eleven passing windows are three rows, one per step judged',
  );
  assert.ok(whats.includes('judge: pass ×4 from 12:19:40 to 12:19:43 at 10 % of traffic'));
  assert.ok(timeline.rows.length <= 25, `${timeline.rows.length} rows`);
  // The balancer learning its five backends at start is not part of the story; it is said what was left out.
  assert.ok(whats.every((w) => !/vendor-1|inhouse-2/.test(w)));
  assert.match(texts('Timeline of events')[0] ?? '', /Left out .*5 first health check result\(s\) of backends as the balancer started/);
  const offsets = timeline.rows.map((r) => r[1] ?? '');
  assert.equal(offsets[0], '−1 min 07 s', 'the first gate refusal, relative to the start');
  assert.ok(offsets.includes('+249 ms'), 'the rollback, 249 ms after the first failure');
  const ms = offsets.map((o) => {
    const m = /^([−+]?)(?:(\d+) min )?([\d.]+) (ms|s)$/.exec(o);
    assert.ok(m, o);
    const v = (Number(m[2] ?? 0) * 60 + Number(m[3])) * (m[4] === 'ms' ? 0.001 : 1);
    return m[1] === '−' ? -v : v;
  });
  for (let i = 1; i < ms.length; i++) assert.ok((ms[i - 1] as number) <= (ms[i] as number), `row ${i} out of order: ${offsets.join(', ')}`);
});

test('the advice follows from what happened: the override, and no paging or rollback advice for a 249 ms incident', () => {
  const advice = [
    ...texts('Problems with our response'),
    ...texts('Preventative measures to take'),
    ...texts('Changes to make in future outage responses'),
  ].join('\n');
  assert.match(advice, /richard overrode the capacity gate with the reason "we ran tests for a week; the in-house servers are enough"/);
  assert.match(advice, /Load-test inhouse to the 202 req\/s the gate required \(35\.68 req\/s certified\)/);
  assert.doesNotMatch(advice, /acknowledg|page|faster signal|rollback|stepped migration/i);
  assert.match(texts('Resolution')[0] ?? '', /^Rolled back by the migration judge at .*, 249 ms after the impact began/);
});

test('no JSON in the sections piper writes itself, and no raw event kinds in its prose', () => {
  for (const heading of ['Cause', 'Resolution', 'Problems with our response', 'Preventative measures to take', 'Detection Method']) {
    for (const text of texts(heading)) {
      assert.doesNotMatch(text, /[{}]|migration\.[a-z_]+|\bnull\b|undefined|NaN/, `${heading}: ${text}`);
    }
  }
});

test('no JSON anywhere in the postmortem', () => {
  const json = renderMarkdown(doc)
    .split('\n')
    .filter((line) => /[{}]/.test(line));
  assert.equal(json.length, 0, `${json.length} line(s) with JSON, the first: ${json[0]}`);
});
