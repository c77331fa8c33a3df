// A recorded demo run (test/fixtures/journal/demo-run.json), replayed into a journal file, read
// by every place that shows an incident's numbers: the incident API (what the dashboard reads and
// prints), `piper incidents` (table and --json), the postmortem, and the demo's closing table.
// All must say the same failed requests, shares and times, and the same as the live run printed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createControlApp } from '../src/control-api/index.ts';
import { ManualClock, silentLogger } from '../src/core/index.ts';
import { summaryRows } from '../src/demo/index.ts';
import {
  FIGURE_LABELS,
  formatCount,
  type IncidentNumbers,
  type IncidentReport,
  Journal,
  journalApi,
  type ListedIncident,
  OnCall,
} from '../src/journal/index.ts';
import { runPiper } from './cli-run.ts';
import { type DemoRun, loadDemoRun, replayDemoRun } from './fixtures/journal/demo-run.ts';

const run: DemoRun = loadDemoRun();
const dir = mkdtempSync(join(tmpdir(), 'piper-numbers-'));
const db = join(dir, 'piper.db');
const id = run.summary.incidentId;
let journal: Journal;
let onCall: OnCall;
let server: Server;
let base: string;

before(async () => {
  replayDemoRun(run, db);
  const clock = new ManualClock(Math.max(...run.events.map((e) => e.time)) + 60_000);
  journal = Journal.open({ path: db, clock });
  onCall = new OnCall({ journal, clock, objectives: { web: { availability: 0.999, latencyThresholdMs: 300, latencyTarget: 0.99 } } });
  const api = await createControlApp({ logger: silentLogger(), plugins: [journalApi({ journal, onCall, clock })] });
  server = createServer((req, res) => api.routing(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => server?.close(resolve));
  onCall?.close();
  journal?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(base + path);
  assert.equal(res.status, 200, path);
  return (await res.json()) as T;
}

test('the replayed journal gives the numbers the live run printed, and counts the failures that started the incident', async () => {
  const report = await getJson<IncidentReport>(`/api/v1/incidents/${id}`);
  const n = report.numbers;
  assert.deepEqual(n, run.summary.facts.numbers, 'the report of the replayed journal = what the live demo computed');
  // The judge rolled back on failed requests: impact > 0, from the sample that holds the first
  // failure (it starts before the incident's mid-second start).
  assert.ok(n.failed > 0, 'failures happened, so the impact is not zero');
  assert.ok(n.failedShare > 0);
  assert.ok(n.users !== null && n.users.affected > 0 && n.users.method === 'by sticky cookie', JSON.stringify(n.users));
  const holding = run.samples.find((s) => s.route === 'web' && s.time <= n.from && s.time + (s.durationMs ?? 1000) > n.from);
  assert.ok(holding !== undefined && holding.time < n.from, 'the incident starts inside a second, after its window starts');
  const counted = run.samples
    .filter((s) => s.route === 'web' && s.time < n.to && s.time + (s.durationMs ?? 1000) > n.from)
    .reduce((sum, s) => sum + s.failed + s.shed, 0);
  assert.equal(n.failed, counted, 'failed = failed + shed of the web samples overlapping the impact period');
  const incident = report.incident;
  assert.equal(n.detectMs, incident.detectedAt - incident.startedAt);
  assert.equal(n.mitigateMs, (incident.mitigatedAt ?? Number.NaN) - incident.startedAt);
  assert.equal(n.resolveMs, (incident.resolvedAt ?? Number.NaN) - incident.startedAt);
});

test('the API list, piper incidents --json and its table give the same numbers and words as the report', async () => {
  const report = await getJson<IncidentReport>(`/api/v1/incidents/${id}`);
  const listed = (await getJson<{ incidents: ListedIncident[] }>('/api/v1/incidents')).incidents.find((i) => i.id === id);
  assert.deepEqual(listed?.numbers, report.numbers);
  assert.deepEqual(listed?.figures, report.figures);
  assert.deepEqual(
    report.figures.map(([label]) => label),
    [...FIGURE_LABELS],
  );

  const json = await runPiper(['incidents', '--json', '--db', db]);
  assert.equal(json.code, 0, json.stderr);
  const cli = (JSON.parse(json.stdout) as { incidents: ListedIncident[] }).incidents.find((i) => i.id === id);
  // The CLI's clock is the wall clock, not the test's: the numbers of a resolved incident do not depend on it.
  assert.deepEqual(cli?.numbers, report.numbers);
  assert.deepEqual(cli?.figures, report.figures);

  const table = await runPiper(['incidents', '--db', db]);
  assert.equal(table.code, 0, table.stderr);
  const figure = new Map(report.figures);
  for (const label of ['failed requests', 'share of requests failed', 'time to detect', 'time to mitigate', 'time to resolve'] as const) {
    assert.ok(table.stdout.includes(figure.get(label) ?? '?'), `${label} "${figure.get(label)}" in:\n${table.stdout}`);
  }
  assert.match(table.stdout, /time to detect\s+time to mitigate\s+time to resolve/);
  assert.doesNotMatch(table.stdout, /MTTR|MTTD/, 'the words say which time it is');
});

test("the postmortem's impact table and the demo's closing table print the report's figures", async () => {
  const report = await getJson<IncidentReport>(`/api/v1/incidents/${id}`);
  const res = await fetch(`${base}/api/v1/incidents/${id}/postmortem?format=md`);
  const markdown = await res.text();
  const impact = markdown.slice(markdown.indexOf('## Impact'), markdown.indexOf('## Outage Duration'));
  for (const [label, value] of report.figures) {
    assert.ok(impact.includes(`| ${label} | ${value} |`), `"${label}: ${value}" in the postmortem's Impact:\n${impact}`);
  }

  const rows = summaryRows({ incidentId: id, numbers: report.numbers });
  assert.deepEqual(rows, run.summary.rows, 'the table the live demo printed');
  assert.deepEqual(
    rows.map((r) => [r[0], r[2]]),
    report.figures,
  );
  const numbers: IncidentNumbers = report.numbers;
  assert.equal(rows[0]?.[2], `${formatCount(numbers.failed)} of ${formatCount(numbers.requests)}`);
  // The 2017 column holds what the seed says: no invented totals.
  const seed = rows.map((r) => r[1]).join('\n');
  assert.doesNotMatch(seed, /every request|100 ?%/);
  assert.match(seed, /no customers/);
  assert.match(seed, /first 10 min went fine/);
});
