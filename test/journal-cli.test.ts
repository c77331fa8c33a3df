import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { eventsCommand } from '../src/cli/commands/events.ts';
import { incidentsAckCommand, incidentsCommand, incidentsListCommand } from '../src/cli/commands/incidents.ts';
import { postmortemCommand } from '../src/cli/commands/postmortem.ts';
import { main } from '../src/cli/main.ts';
import { loadSeedAfternoon, replaySeedAfternoon } from './fixtures/journal/replay.ts';

const dir = mkdtempSync(join(tmpdir(), 'piper-journal-cli-'));
const db = join(dir, 'piper.db');
after(() => rmSync(dir, { recursive: true, force: true }));

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const registry = [eventsCommand, incidentsCommand, incidentsListCommand, incidentsAckCommand, postmortemCommand];

/** Runs `piper ARGS` in this process (the CLI's own entry, `main`), capturing its output. */
async function runPiper(args: string[]): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const sink = (put: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        put(chunk.toString());
        done();
      },
    });
  const ctx = {
    argv0: 'piper',
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
    env: { NO_COLOR: '1' },
    cwd: dir,
    isTty: false,
    signal: new AbortController().signal,
  };
  const code = await main(args, ctx, registry);
  return { code, stdout, stderr };
}

const runs: Record<string, string[]> = {
  table: ['events', '--db', db, '--kind', 'incident.*', '--since', '2017-03-31T00:00:00Z'],
  json: ['events', '--db', db, '--kind', 'migration.rolled_back', '--json'],
  badKind: ['events', '--db', db, '--kind', 'NOT VALID'],
  badSince: ['events', '--db', db, '--since', 'yesterday-ish'],
  missing: ['events', '--db', join(dir, 'nope.db')],
  list: ['incidents', '--db', db, '--tz', 'America/Los_Angeles'],
  md: ['postmortem', '--db', db, '-o', join(dir, 'pm.md'), '--tz', 'America/Los_Angeles'],
  html: ['postmortem', '1', '--db', db, '-o', join(dir, 'pm.html')],
  noIncident: ['postmortem', '7', '--db', db],
};
const results: Record<string, RunResult> = {};

before(async () => {
  const { journal, onCall } = replaySeedAfternoon(loadSeedAfternoon(), { path: db });
  onCall.close();
  journal.close();
  for (const [name, args] of Object.entries(runs)) results[name] = await runPiper(args);
});

const r = (name: string): RunResult => results[name] as RunResult;

test('piper events lists events from a journal file, filtered by kind prefix, as a table or NDJSON', () => {
  assert.equal(r('table').code, 0, r('table').stderr);
  assert.match(r('table').stdout, /incident\.opened/);
  assert.match(r('table').stdout, /incident\.resolved/);
  assert.doesNotMatch(r('table').stdout, /alert\.firing/);
  assert.equal(r('json').code, 0, r('json').stderr);
  const lines = r('json')
    .stdout.trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; actor: string });
  assert.deepEqual(
    lines.map((e) => [e.kind, e.actor]),
    [['migration.rolled_back', 'richard']],
  );
});

test('piper events refuses malformed flags with exit code 2, naming the flag', () => {
  assert.equal(r('badKind').code, 2);
  assert.match(r('badKind').stderr, /--kind "NOT VALID".*PIPER_JOURNAL_BAD_FILTER/);
  assert.equal(r('badSince').code, 2);
  assert.match(r('badSince').stderr, /--since/);
});

test('piper events on a missing journal file reports it instead of creating one', () => {
  assert.equal(r('missing').code, 2, r('missing').stderr);
  assert.match(r('missing').stderr, /PIPER_JOURNAL_OPEN_FAILED/);
});

test('piper incidents lists the storm with its failed requests and times; piper postmortem writes Markdown and HTML files', () => {
  assert.equal(r('list').code, 0, r('list').stderr);
  assert.match(
    r('list').stdout,
    /resolved\s+2017-03-31 15:00:00 PDT\s+372,592 of 378,317 \(98\.5 %, 0 shed\)\s+not counted\s+10 s\s+21 min 00 s\s+55 min 50 s\s+gilfoyle/,
  );
  assert.match(
    r('list').stdout,
    /1 incident\(s\), mean time to detect 10 s, to acknowledge 4 min 20 s, to mitigate 21 min 00 s, to resolve 55 min 50 s/,
  );
  assert.equal(r('md').code, 0, r('md').stderr);
  const text = readFileSync(join(dir, 'pm.md'), 'utf8');
  assert.equal([...text.matchAll(/^## /gm)].length, 11);
  assert.match(text, /^# Postmortem: incident 1/);
  assert.equal(r('html').code, 0, r('html').stderr);
  assert.match(readFileSync(join(dir, 'pm.html'), 'utf8'), /^<!doctype html>/);
  assert.equal(r('noIncident').code, 2);
  assert.match(r('noIncident').stderr, /PIPER_JOURNAL_INCIDENT_NOT_FOUND/);
});

test('piper postmortem writes into the journal folder under its incident name, never over an earlier draft; --out-dir, --data-dir and -o - choose', async () => {
  const first = await runPiper(['postmortem', '--db', db, '--tz', 'America/Los_Angeles']);
  const second = await runPiper(['postmortem', '1', '--db', db, '--tz', 'America/Los_Angeles']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, `postmortem of incident 1 written to ${join(dir, 'postmortem-2017-03-31-incident-1.md')}\n`);
  assert.equal(second.stdout, `postmortem of incident 1 written to ${join(dir, 'postmortem-2017-03-31-incident-1-2.md')}\n`);
  assert.match(readFileSync(join(dir, 'postmortem-2017-03-31-incident-1.md'), 'utf8'), /^# Postmortem: incident 1/);

  const reviews = join(dir, 'reviews');
  const html = await runPiper(['postmortem', '--db', db, '--format', 'html', '--out-dir', reviews]);
  assert.equal(html.code, 0, html.stderr);
  assert.match(readFileSync(join(reviews, 'postmortem-2017-03-31-incident-1.html'), 'utf8'), /^<!doctype html>/);

  const viaDataDir = await runPiper(['postmortem', '--data-dir', dir]);
  assert.equal(viaDataDir.stdout, `postmortem of incident 1 written to ${join(dir, 'postmortem-2017-03-31-incident-1-3.md')}\n`);

  const printed = await runPiper(['postmortem', '--db', db, '-o', '-']);
  assert.match(printed.stdout, /^# Postmortem: incident 1/);
  const both = await runPiper(['postmortem', '--db', db, '-o', 'x.md', '--out-dir', reviews]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /PIPER_JOURNAL_BAD_FLAGS/);
});

test('piper incidents ack on a file records the operator, and refuses a bad id', async () => {
  const [ack, bad] = await Promise.all([
    runPiper(['incidents', 'ack', '1', '--db', db, '--actor', 'dinesh', '--json']),
    runPiper(['incidents', 'ack', 'x1', '--db', db]),
  ]);
  assert.equal(ack.code, 0, ack.stderr);
  // Already acknowledged by gilfoyle during the storm: acknowledging again changes nothing.
  assert.equal((JSON.parse(ack.stdout) as { acknowledgedBy: string }).acknowledgedBy, 'gilfoyle');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /PIPER_JOURNAL_BAD_INCIDENT_ID/);
});
