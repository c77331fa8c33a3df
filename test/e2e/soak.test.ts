// A short soak run (bench/soak/soak.ts, the runner of `npm run soak`) in the test suite: 40 s of
// steady traffic through piper up to three piper serve backends, slow and aborting clients beside
// it, a backend killed and restarted every 10 s. It must pass its own verdict, and what it recorded
// must be what a run records. The long run (30 min) is `npm run soak`; docs/soak.md.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Check } from '../../bench/soak/growth-verdict.ts';
import type { SoakSeries } from '../../bench/soak/soak-series.ts';

const runner = new URL('../../bench/soak/soak.ts', import.meta.url).pathname;
const DURATION_S = 40;
const RESTART_EVERY_S = 10;

let running: ChildProcess | null = null;

/** Runs the soak to its end; resolves its exit code and what it printed. */
function soak(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [runner, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running = child;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('soak run, bounded', () => {
  let out = '';
  after(async () => {
    // A test that timed out: SIGINT makes the runner stop every process it started.
    if (running !== null && running.exitCode === null) {
      const exited = new Promise((r) => running?.once('exit', r));
      running.kill('SIGINT');
      await exited;
    }
    if (out !== '') await rm(out, { recursive: true, force: true });
  });

  it('slow uploads, slow readers, slowloris, aborts and a backend killed every 10 s for 40 s: no crash, no growth, no error away from the restarts', {
    timeout: 180_000,
  }, async () => {
    out = await mkdtemp(join(tmpdir(), 'piper-soak-test-'));
    // A fixed, modest rate: a capacity probe would add a minute and depend on the machine's load.
    const args = ['--duration', `${DURATION_S}s`, '--restart-every', `${RESTART_EVERY_S}s`, '--rate', '100/s', '--out', out];
    const run = await soak(args);
    const summary = await readFile(join(out, 'summary.md'), 'utf8').catch(() => run.stderr);
    assert.equal(run.code, 0, summary);
    assert.match(run.stdout, /verdict: PASSED/);

    const record = JSON.parse(await readFile(join(out, 'series.json'), 'utf8')) as { passed: boolean; checks: Check[]; series: SoakSeries };
    assert.equal(record.passed, true);
    assert.ok(record.checks.length >= 10, 'every check was made');
    const s = record.series;
    assert.deepEqual(s.longLived, ['piper-up', 'backend-1']);
    // One sample a second (a second or two may be lost to a slow scrape on a busy machine).
    for (const name of ['piper-up', 'backend-1', 'backend-2', 'backend-3']) {
      const samples = s.processes[name] ?? [];
      const expected = s.longLived.includes(name) ? DURATION_S - 3 : DURATION_S / 2;
      assert.ok(samples.length >= expected, `${name}: ${samples.length} samples`);
      for (const x of samples) {
        assert.ok(x.rssMiB > 20 && x.rssMiB < 1024, `${name} RSS ${x.rssMiB} MiB at ${x.t} s`);
        assert.ok(x.fds > 5 && x.fds < 10_000, `${name} ${x.fds} fds at ${x.t} s`);
        assert.ok(x.t >= 0 && x.t <= DURATION_S + 2, `${name} sample at ${x.t} s`);
      }
      assert.ok(samples.filter((x) => x.loopP99Ms !== null).length >= samples.length - 3, `${name}: event-loop delay scraped`);
    }
    // The restarted backends ran under new pids; the first backend never restarted.
    assert.equal(new Set(s.processes['backend-1']?.map((x) => x.pid)).size, 1);
    assert.ok(new Set([...(s.processes['backend-2'] ?? []), ...(s.processes['backend-3'] ?? [])].map((x) => x.pid)).size >= 4);
    const kills = s.events.filter((e) => e.kind === 'kill');
    assert.equal(kills.length, DURATION_S / RESTART_EVERY_S - 1);
    assert.equal(s.events.filter((e) => e.kind === 'ready').length, kills.length);
    assert.deepEqual(
      kills.map((k) => k.process),
      ['backend-2', 'backend-3', 'backend-2'],
    );
    assert.ok(s.traffic.length >= DURATION_S - 1, `${s.traffic.length} traffic seconds`);
    assert.equal(
      s.traffic.reduce((a, x) => a + x.scheduled, 0),
      100 * DURATION_S,
    );

    const files = await readdir(out);
    for (const chart of ['rss.svg', 'fds.svg', 'event-loop-delay.svg', 'latency.svg', 'errors.svg']) {
      assert.ok(files.includes(chart), chart);
      assert.match(await readFile(join(out, chart), 'utf8'), /^<svg [^>]*>.*<path d="M/s);
    }
    assert.deepEqual((await readdir(join(out, 'logs'))).sort(), ['backend-1.log', 'backend-2.log', 'backend-3.log', 'piper-up.log']);
  });
});
