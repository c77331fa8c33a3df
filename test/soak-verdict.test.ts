// The soak run's verdict on synthetic series: it must pass what a healthy process looks like over
// 30 minutes (noise, spikes after each restart, warm-up) and fail each kind of leak, however noisy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Check, judgeSoak, restartWindows, theilSenSlope } from '../bench/soak/growth-verdict.ts';
import type { SoakEvent, SoakSeries } from '../bench/soak/soak-series.ts';
import { SeededRandom } from '../src/core/index.ts';

interface Shape {
  durationS?: number;
  restartEveryS?: number;
  /** Value at second t, given the number of restarts so far and a noise source in [-1, 1). */
  rss?: (t: number, restarts: number, noise: () => number) => number;
  fds?: (t: number, restarts: number, noise: () => number) => number;
  lag?: (t: number, restarts: number, noise: () => number) => number;
  errors?: (t: number, sinceKill: number) => number;
  events?: SoakEvent[];
}

const RATE = 500;

/** A run of `piper up` and one backend, one sample a second, a backend killed every `restartEveryS`. */
function series(shape: Shape = {}): SoakSeries {
  const durationS = shape.durationS ?? 1800;
  const every = shape.restartEveryS ?? 60;
  const random = new SeededRandom(7);
  const noise = (): number => 2 * random.next() - 1;
  const events: SoakEvent[] = [];
  for (let k = every; k < durationS; k += every) {
    events.push({ t: k, kind: 'kill', process: 'backend-2', pid: 1000 + k });
    events.push({ t: k + 0.5, kind: 'ready', process: 'backend-2', pid: 2000 + k });
  }
  events.push(...(shape.events ?? []));
  const restartsAt = (t: number): number => Math.floor(t / every);
  // Healthy defaults: levels with noise, and what a restart does for a few seconds (more
  // descriptors while connections to the new process open, a delay spike now and then).
  const rss = shape.rss ?? ((t, _r, n) => 120 + 6 * n() + (t < 60 ? t / 3 - 20 : 0));
  const fds = shape.fds ?? ((t, _r, n) => 80 + Math.round(10 * n()) + (t % every < 3 ? 30 : 0));
  const lag = shape.lag ?? ((t, _r, n) => 2 + n() + (t % 200 === 0 ? 60 : 0));
  const errors = shape.errors ?? ((_t, sinceKill) => (sinceKill >= 0 && sinceKill < 2 ? 40 : 0));
  const processes: SoakSeries['processes'] = { 'piper-up': [], 'backend-1': [] };
  const traffic: SoakSeries['traffic'] = [];
  for (let t = 0; t < durationS; t++) {
    for (const name of ['piper-up', 'backend-1']) {
      processes[name]?.push({
        t,
        pid: 10,
        rssMiB: rss(t, restartsAt(t), noise),
        fds: fds(t, restartsAt(t), noise),
        loopP99Ms: lag(t, restartsAt(t), noise),
      });
    }
    const e = errors(t, t < every ? -1 : t % every);
    traffic.push({
      t,
      scheduled: RATE,
      completed: RATE - e,
      errors: e,
      status5xx: e,
      p99Ms: 20 + 5 * noise(),
      p50Ms: 3,
      sendLagP99Ms: 1,
      inFlight: 5,
    });
  }
  return { durationS, processes, longLived: ['piper-up', 'backend-1'], traffic, balancer: [], events };
}

const failed = (checks: readonly Check[]): string[] => checks.filter((c) => !c.passed).map((c) => `${c.subject}: ${c.name}`);

describe('soak verdict', () => {
  it('passes 30 minutes of processes that wander around a level, with spikes at every restart and a warm-up', () => {
    assert.deepEqual(failed(judgeSoak(series())), []);
  });

  it('fails a piper up that keeps one descriptor per backend restart, under ±10 fds of noise', () => {
    const leaky = series({ fds: (t, restarts, n) => (t < 0 ? 0 : 80 + restarts + Math.round(10 * n())) });
    const f = failed(judgeSoak({ ...leaky, processes: { ...leaky.processes, 'backend-1': series().processes['backend-1'] ?? [] } }));
    assert.ok(f.includes('piper-up: open fd growth'), f.join('; '));
    assert.ok(f.includes('piper-up: fds back to the floor after restarts'), f.join('; '));
    assert.ok(!f.some((x) => x.startsWith('backend-1')), f.join('; '));
  });

  it('fails a process leaking a descriptor a minute between restarts too (no restart needed to see it)', () => {
    const f = failed(judgeSoak(series({ restartEveryS: 10_000, fds: (t, _r, n) => 80 + Math.floor(t / 60) + Math.round(10 * n()) })));
    assert.ok(f.includes('piper-up: open fd growth'), f.join('; '));
  });

  it('fails RSS that climbs 2 MiB a minute under ±6 MiB of noise', () => {
    const f = failed(judgeSoak(series({ rss: (t, _r, n) => 120 + (2 * t) / 60 + 6 * n() })));
    assert.ok(f.includes('piper-up: RSS growth'), f.join('; '));
  });

  it('passes RSS that rises 60 MiB in the first 10 minutes (warm-up) and then stays flat', () => {
    const f = failed(judgeSoak(series({ rss: (t, _r, n) => 100 + Math.min(t, 600) / 10 + 6 * n() })));
    assert.deepEqual(f, []);
  });

  it('fails on event-loop delay over 100 ms in more than 1 % of the seconds', () => {
    const f = failed(judgeSoak(series({ lag: (t, _r, n) => (t % 50 === 0 ? 150 : 2 + n()) })));
    assert.ok(f.includes('piper-up: event-loop delay p99'), f.join('; '));
  });

  it('fails on event-loop delay that keeps growing, even below the bound', () => {
    const f = failed(judgeSoak(series({ lag: (t, _r, n) => 2 + t / 60 + n() })));
    assert.ok(f.includes('piper-up: event-loop delay growth'), f.join('; '));
  });

  it('excuses errors in the seconds around a restart, and counts them anywhere else', () => {
    assert.deepEqual(failed(judgeSoak(series({ errors: (_t, s) => (s >= 0 && s < 4 ? RATE : 0) }))), []);
    // 0.2 % of the judged requests, away from any restart.
    const f = failed(judgeSoak(series({ errors: (_t, s) => (s === 30 ? 60 : 0) })));
    assert.deepEqual(f, ['steady traffic: errors outside restarts']);
  });

  it('fails when a process crashed', () => {
    const crash: SoakEvent = { t: 100, kind: 'crash', process: 'piper-up', pid: 10, detail: 'exit code null, signal SIGSEGV' };
    assert.deepEqual(failed(judgeSoak(series({ events: [crash] }))), ['all processes: crashes']);
  });

  it('fails a run that measured nothing rather than pass it', () => {
    const empty: SoakSeries = { ...series(), processes: { 'piper-up': [], 'backend-1': [] }, traffic: [] };
    const f = failed(judgeSoak(empty));
    assert.ok(f.includes('piper-up: RSS growth') && f.includes('steady traffic: errors outside restarts'), f.join('; '));
  });

  it('Theil–Sen finds the slope of a line a quarter of whose points are spikes', () => {
    const random = new SeededRandom(3);
    const points = Array.from({ length: 400 }, (_, i): [number, number] => [i, 0.5 * i + (random.next() < 0.25 ? 100 : 0)]);
    assert.ok(Math.abs(theilSenSlope(points) - 0.5) < 0.01, String(theilSenSlope(points)));
  });

  it('a restart window runs from a second before the kill to three seconds after the new process listens', () => {
    const events: SoakEvent[] = [
      { t: 60, kind: 'kill', process: 'backend-2', pid: 1 },
      { t: 61.5, kind: 'ready', process: 'backend-2', pid: 2 },
    ];
    assert.deepEqual(restartWindows(events), [{ from: 59, to: 64.5 }]);
  });
});
