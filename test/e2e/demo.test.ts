import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { type IncidentNumbers, type ListedIncident, POSTMORTEM_SECTIONS } from '../../src/journal/index.ts';
import { runPiper } from '../cli-run.ts';
import { startPiperUpOverJournal } from '../piper-up-over-journal.ts';
import { checkDemoOnDashboard } from './demo-dashboard.ts';

interface Summary {
  facts: { incidentId: number; numbers: IncidentNumbers };
  rows: string[][];
  postmortemFile: string;
  incidentId: number;
  migrationId: string;
  exits: Record<string, number | string>;
}

interface EventRow {
  id: number;
  time: number;
  kind: string;
  data: string;
}

test('npm start --fast --exit replays the afternoon: gate refusals, rollback within 2 s, postmortem from the journal, every process stopped, the dashboard telling the same', {
  timeout: 240_000,
}, async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'piper-demo-test-'));
  t.after(() => rm(cwd, { recursive: true, force: true }));
  const dataDir = join(cwd, 'data');
  const run = await runPiper(['demo', '--fast', '--exit', '--data-dir', dataDir, '--seed', '7'], { cwd });
  assert.equal(run.code, 0, `demo failed:\n${run.stdout}\n${run.stderr}`);
  for (const act of [1, 2, 3, 4, 5]) assert.match(run.stdout, new RegExp(`Act ${act}:`));
  assert.match(run.stdout, /dashboard: http:\/\/127\.0\.0\.1:\d+/);
  assert.match(run.stdout, /31 March 2017\s+with piper/);

  const summary = JSON.parse(await readFile(join(dataDir, 'summary.json'), 'utf8')) as Summary;
  const db = new DatabaseSync(join(dataDir, 'piper.db'), { readOnly: true });
  t.after(() => db.close());
  const events = (kind: string): EventRow[] =>
    db.prepare('SELECT id, time, kind, data FROM events WHERE kind = ? ORDER BY id').all(kind) as unknown as EventRow[];

  // Act 2 and 3: the gate refused twice (no proof, then a proof below twice the peak) and the override was journaled.
  const refusals = events('migration.gate_refused');
  assert.equal(refusals.length, 2, 'two gate refusals');
  const capacity = events('capacity.result');
  assert.equal(capacity.length, 1);
  const certified = (JSON.parse(capacity[0]?.data ?? '{}') as { capacityRps: number }).capacityRps;
  const second = JSON.parse(refusals[1]?.data ?? '{}') as { capacityRps: number; requiredRps: number };
  assert.ok(certified < second.requiredRps, `certified ${certified}/s is below the required ${second.requiredRps}/s`);
  assert.equal(events('migration.gate_overridden').length, 1);

  // Act 4: rolled back, all traffic off the target within 2 s of the first failing window.
  const rolledBack = events('migration.rolled_back');
  assert.equal(rolledBack.length, 1, 'one rollback');
  const rb = JSON.parse(rolledBack[0]?.data ?? '{}') as { firstFailureAt: number; completedAt: number };
  assert.ok(rb.completedAt - rb.firstFailureAt <= 2_000, `rollback took ${rb.completedAt - rb.firstFailureAt} ms`);

  // The summary's numbers are the journal's: piper incidents --json on the same data folder gives
  // the same figures, and the closing table printed them.
  const listed = await runPiper(['incidents', '--json', '--db', join(dataDir, 'piper.db')], { cwd });
  assert.equal(listed.code, 0, listed.stderr);
  const incident = (JSON.parse(listed.stdout) as { incidents: ListedIncident[] }).incidents.find((i) => i.id === summary.incidentId);
  assert.ok(incident, `incident ${summary.incidentId} listed`);
  const n = summary.facts.numbers;
  assert.deepEqual(n, incident.numbers);
  assert.deepEqual(
    summary.rows.map((r) => [r[0], r[2]]),
    incident.figures,
  );
  const printed = run.stdout.split('\n');
  for (const [label, value] of incident.figures) {
    assert.ok(
      printed.some((l) => l.startsWith(label) && l.trimEnd().endsWith(value)),
      `the closing table prints ${label}: ${value}`,
    );
  }
  // The judge saw the target fail or turn requests away. Clients saw only the failures the vendor
  // pool could not absorb: what the in-house pool's admission refused went to the vendor pool
  // while it had room (issue 24), so a run's impact may be zero. Users are told apart by the
  // sticky cookie either way, and the time to mitigate runs from the incident's start (at or
  // before the judge's first failure) to the rollback.
  assert.ok(Number.isFinite(rb.firstFailureAt), 'the judge saw the target fail');
  assert.ok(n.failed >= 0 && (n.failed === 0) === (n.failedShare === 0), JSON.stringify(n));
  assert.ok(n.users !== null && n.users.method === 'by sticky cookie', JSON.stringify(n.users));
  assert.equal(n.users.affected > 0, n.failed > 0, 'users affected exactly when requests failed');
  assert.ok(incident.startedAt <= rb.firstFailureAt);
  assert.equal(n.mitigateMs, rb.completedAt - incident.startedAt);

  // The cost to users stays small: under 3% of the run's requests on the route failed (2017: all of them, for 6 h).
  const web = db.prepare("SELECT sum(json_extract(body, '$.requests')) AS requests FROM samples WHERE route = 'web'").get() as {
    requests: number;
  };
  assert.ok(web.requests > 1000, `traffic ran (${web.requests} requests)`);
  assert.ok(n.failed / web.requests < 0.03, `${n.failed} of ${web.requests} failed`);

  // Act 5: the incident opened and resolved by itself; the postmortem has the seed's eleven sections
  // and is the one the journal gives for that incident.
  assert.equal(events('incident.opened').length, 1);
  assert.equal(events('incident.resolved').length, 1);
  // Written with the run's data, under the incident's own name (never over another run's).
  assert.equal(dirname(summary.postmortemFile), dataDir);
  assert.match(basename(summary.postmortemFile), new RegExp(`^postmortem-\\d{4}-\\d\\d-\\d\\d-incident-${summary.incidentId}\\.md$`));
  const postmortem = await readFile(summary.postmortemFile, 'utf8');
  const headings = [...postmortem.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
  assert.deepEqual(headings, [...POSTMORTEM_SECTIONS]);
  const again = await runPiper(
    ['postmortem', String(summary.incidentId), '--db', join(dataDir, 'piper.db'), '--config', join(dataDir, 'piper.yaml'), '-o', '-'],
    { cwd },
  );
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), postmortem.trim());
  assert.doesNotMatch(postmortem, /[{}]|undefined|NaN/, 'no JSON, no placeholder in the postmortem');

  // Every process the demo started has exited, and cleanly.
  for (const [name, code] of Object.entries(summary.exits)) assert.ok(code === 0 || code === 'SIGTERM', `${name} exited with ${code}`);
  const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(dataDir));
  assert.deepEqual(left, []);

  // The same afternoon as the dashboard shows it later, read from the run's journal by a new
  // piper up, in Chromium. Reading adds nothing to the record: no state, no traffic, and no event
  // but the reader's own campaign for the leader lease (it leads while it runs, then releases it).
  const history = (): unknown => ({
    lastEventId: db.prepare("SELECT max(id) AS id FROM events WHERE kind NOT IN ('leader.elected', 'leader.lost')").get(),
    state: db.prepare('SELECT key, value, event_id FROM state ORDER BY key').all(),
    traffic: db.prepare("SELECT count(*) AS n FROM samples WHERE json_extract(body, '$.requests') > 0").get(),
  });
  const before = history();
  const lastBefore = (db.prepare('SELECT max(id) AS id FROM events').get() as { id: number }).id;
  const { up, readToken } = await startPiperUpOverJournal(dataDir);
  t.after(() => up.stop());
  await checkDemoOnDashboard({
    dashboardUrl: up.dashboardUrl as string,
    readToken,
    incident,
    migrationId: summary.migrationId,
    postmortem,
    screenshots: process.env.PIPER_SCREENSHOTS ?? null,
  });
  assert.equal(await up.stop(), 0, up.stderr());
  assert.deepEqual(history(), before, 'the dashboard rewrote no history');
  const own = db.prepare('SELECT kind, actor FROM events WHERE id > ? ORDER BY id').all(lastBefore);
  assert.deepEqual(
    own.map((e) => (e as { kind: string }).kind),
    ['leader.elected', 'leader.lost'],
    'the reader journaled its own election and release, nothing else',
  );
});
