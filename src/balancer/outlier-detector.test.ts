import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/index.ts';
import { BackendRuntime } from './backend-runtime.ts';
import { type OutlierDetectionOptions, OutlierDetector } from './outlier-detector.ts';

const options: OutlierDetectionOptions = {
  enabled: true,
  consecutive5xx: 5,
  consecutiveGatewayErrors: 3,
  consecutiveConnectFailures: 3,
  baseEjectionTime: 30_000,
  maxEjectionTime: 300_000,
  maxEjectionPercent: 0.5,
  readmitOnHealthCheck: true,
};

function setup(n: number, o: Partial<OutlierDetectionOptions> = {}) {
  const clock = new ManualClock();
  const backends = Array.from(
    { length: n },
    (_, i) => new BackendRuntime({ pool: 'p', name: `b${i}`, url: `http://127.0.0.1:${9000 + i}`, weight: 100, admittedAt: 0 }),
  );
  const log: string[] = [];
  const detector = new OutlierDetector(clock, { ...options, ...o }, backends, {
    ejected: (b, reason, ms) => log.push(`ejected ${b.name} ${ms} ${reason}`),
    readmitted: (b) => log.push(`readmitted ${b.name}`),
  });
  return { clock, backends, detector, log };
}

describe('OutlierDetector', () => {
  it('ejects a backend after 5 consecutive 5xx and readmits it after 30 s', () => {
    const { clock, backends, detector, log } = setup(4);
    const b = backends[0] as BackendRuntime;
    for (let i = 0; i < 4; i++) detector.observe(b, '5xx', 500);
    assert.equal(b.routable, true);
    detector.observe(b, '5xx', 500);
    assert.equal(b.health, 'ejected');
    assert.equal(b.ejectedUntil, clock.now() + 30_000);
    clock.advance(29_999);
    assert.equal(b.health, 'ejected');
    clock.advance(1);
    assert.equal(b.routable, true);
    assert.deepEqual(log, ['ejected b0 30000 5 consecutive 5xx', 'readmitted b0']);
  });

  it('never ejects a backend for 503s with Retry-After (it is shedding load, not broken), and they do not reset the count', () => {
    const { backends, detector, log } = setup(4);
    const b = backends[0] as BackendRuntime;
    for (let i = 0; i < 50; i++) detector.observe(b, 'overloaded', 503);
    assert.equal(b.routable, true);
    assert.deepEqual(log, []);
    detector.observe(b, '5xx', 502);
    detector.observe(b, 'overloaded', 503);
    detector.observe(b, '5xx', 502);
    detector.observe(b, '5xx', 502);
    assert.equal(b.health, 'ejected');
  });

  it('a success in between resets the count', () => {
    const { backends, detector } = setup(4);
    const b = backends[0] as BackendRuntime;
    for (let i = 0; i < 4; i++) detector.observe(b, '5xx', 500);
    detector.observe(b, 'success', 200);
    for (let i = 0; i < 4; i++) detector.observe(b, '5xx', 500);
    assert.equal(b.routable, true);
  });

  it('ejects a refusing backend within 3 connect failures', () => {
    const { backends, detector, log } = setup(2);
    const b = backends[1] as BackendRuntime;
    detector.observe(b, 'connect');
    detector.observe(b, 'connect');
    assert.equal(b.routable, true);
    detector.observe(b, 'connect');
    assert.equal(b.health, 'ejected');
    assert.match(log[0] as string, /3 consecutive connect failures/);
  });

  it('counts timeouts as gateway errors: 3 timeouts eject a hanging backend', () => {
    const { backends, detector } = setup(2);
    const b = backends[0] as BackendRuntime;
    for (let i = 0; i < 3; i++) detector.observe(b, 'timeout');
    assert.equal(b.health, 'ejected');
  });

  it('ejection time grows with each ejection and is capped', () => {
    const { clock, backends, detector } = setup(2, { maxEjectionTime: 70_000 });
    const b = backends[0] as BackendRuntime;
    const durations: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++) detector.observe(b, 'connect');
      durations.push((b.ejectedUntil as number) - clock.now());
      clock.advance(durations.at(-1) as number);
    }
    assert.deepEqual(durations, [30_000, 60_000, 70_000, 70_000]);
  });

  it('a backend restarted every two minutes is out 30 s each time, not ever longer: the count decays while it serves', () => {
    // Found by the resilience run: ejections of 30, 60, … 210 s for backends killed every 120 s
    // left one backend of three serving, and the pool shed at half its capacity.
    const { clock, backends, detector } = setup(3);
    const b = backends[0] as BackendRuntime;
    const durations: number[] = [];
    for (let restart = 0; restart < 5; restart++) {
      for (let i = 0; i < 3; i++) detector.observe(b, 'connect');
      durations.push((b.ejectedUntil as number) - clock.now());
      clock.advance(120_000);
    }
    assert.deepEqual(durations, [30_000, 30_000, 30_000, 30_000, 30_000]);
    // Back to back, it still grows: one base time in rotation takes one ejection off.
    for (let i = 0; i < 3; i++) detector.observe(b, 'connect');
    clock.advance(30_000);
    for (let i = 0; i < 3; i++) detector.observe(b, 'connect');
    assert.equal((b.ejectedUntil as number) - clock.now(), 60_000);
  });

  it('a backend ejected for connect failures is readmitted by the first active check that passes after the ejection', () => {
    const { clock, backends, detector, log } = setup(3);
    const b = backends[0] as BackendRuntime;
    const before = clock.now();
    clock.advance(1_000);
    for (let i = 0; i < 3; i++) detector.observe(b, 'connect');
    // A check that started before the ejection vouches for nothing.
    detector.checkPassed(b, before);
    assert.equal(b.health, 'ejected');
    clock.advance(2_000);
    detector.checkPassed(b, clock.now());
    assert.equal(b.routable, true);
    assert.deepEqual(log, ['ejected b0 30000 3 consecutive connect failures', 'readmitted b0']);
    assert.equal(clock.pending, 0, 'the readmission timer is cancelled');
    // An ejection for its answers is not a check's to end: it serves out its time.
    const c = backends[1] as BackendRuntime;
    for (let i = 0; i < 5; i++) detector.observe(c, '5xx', 500);
    clock.advance(1_000);
    detector.checkPassed(c, clock.now());
    assert.equal(c.health, 'ejected');
    // Nor when the option is off.
    const off = setup(3, { readmitOnHealthCheck: false });
    const d = off.backends[0] as BackendRuntime;
    for (let i = 0; i < 3; i++) off.detector.observe(d, 'connect');
    off.clock.advance(1_000);
    off.detector.checkPassed(d, off.clock.now());
    assert.equal(d.health, 'ejected');
  });

  it('never ejects more than maxEjectionPercent of a pool, but always at least one', () => {
    const { backends, detector } = setup(4, { maxEjectionPercent: 0.5 });
    for (const b of backends) for (let i = 0; i < 3; i++) detector.observe(b, 'connect');
    assert.equal(backends.filter((b) => b.health === 'ejected').length, 2);
    const single = setup(2, { maxEjectionPercent: 0.1 });
    for (const b of single.backends) for (let i = 0; i < 3; i++) single.detector.observe(b, 'connect');
    assert.equal(single.backends.filter((b) => b.health === 'ejected').length, 1);
  });

  it('does nothing when disabled, and close() cancels readmission timers', () => {
    const off = setup(2, { enabled: false });
    for (let i = 0; i < 10; i++) off.detector.observe(off.backends[0] as BackendRuntime, 'connect');
    assert.equal(off.backends[0]?.routable, true);
    const { clock, backends, detector } = setup(2);
    for (let i = 0; i < 3; i++) detector.observe(backends[0] as BackendRuntime, 'connect');
    detector.close();
    detector.close();
    assert.equal(clock.pending, 0);
  });
});
