import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../core/index.ts';
import { ArrivalSchedule, planDurationMs, planExpectedCount, planRateAt, type RatePlan } from './arrival-schedule.ts';

function drain(s: ArrivalSchedule): number[] {
  const out: number[] = [];
  for (let t = s.next(); t !== undefined; t = s.next()) out.push(t);
  return out;
}

describe('ArrivalSchedule', () => {
  it('spaces a constant rate evenly: arrival i is due at i / rate', () => {
    const times = drain(new ArrivalSchedule([{ durationMs: 1000, fromRps: 100, toRps: 100 }]));
    assert.equal(times.length, 100);
    assert.equal(times[0], 0);
    assert.ok(Math.abs((times[37] as number) - 370) < 1e-9);
    assert.ok((times[99] as number) < 1000);
  });

  it('follows the integral of a linear ramp (more arrivals late in an up-ramp)', () => {
    const plan: RatePlan = [{ durationMs: 10_000, fromRps: 0, toRps: 200 }];
    const times = drain(new ArrivalSchedule(plan));
    assert.equal(times.length, planExpectedCount(plan)); // 1000
    // N(t) = 10 t² (t in s): 250 arrivals by 5 s, so arrival 250 is due at exactly 5 s.
    assert.ok(Math.abs((times[250] as number) - 5000) < 1e-6);
    const firstHalf = times.filter((t) => t < 5000).length;
    assert.equal(firstHalf, 250);
  });

  it('plays segments in order and reports the rate at any time', () => {
    const plan: RatePlan = [
      { durationMs: 1000, fromRps: 10, toRps: 10 },
      { durationMs: 1000, fromRps: 10, toRps: 30 },
      { durationMs: 1000, fromRps: 0, toRps: 0 },
      { durationMs: 500, fromRps: 40, toRps: 40 },
    ];
    assert.equal(planDurationMs(plan), 3500);
    assert.equal(planRateAt(plan, 1500), 20);
    assert.equal(planRateAt(plan, 2500), 0);
    const times = drain(new ArrivalSchedule(plan));
    assert.equal(times.length, 10 + 20 + 0 + 20);
    assert.ok(times.every((t, i) => i === 0 || t >= (times[i - 1] as number)));
    assert.equal(times.filter((t) => t >= 2000 && t < 3000).length, 0);
  });

  it('interleaved slices together give exactly the whole sequence', () => {
    const plan: RatePlan = [{ durationMs: 2000, fromRps: 50, toRps: 350 }];
    const whole = drain(new ArrivalSchedule(plan));
    const parts = [0, 1, 2].map((offset) => drain(new ArrivalSchedule(plan, { offset, stride: 3 })));
    const merged = parts.flat().sort((a, b) => a - b);
    assert.deepEqual(merged, whole);
    assert.ok(Math.abs((parts[0] as number[]).length - (parts[2] as number[]).length) <= 1);
  });

  it('draws Poisson arrivals: the count matches the rate, gaps are exponential (CV 1), and a seed repeats them', () => {
    const plan: RatePlan = [{ durationMs: 200_000, fromRps: 50, toRps: 50 }];
    const times = drain(new ArrivalSchedule(plan, undefined, new SeededRandom(7)));
    // 10,000 expected; a Poisson count has sd 100.
    assert.ok(Math.abs(times.length - 10_000) < 400, String(times.length));
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    assert.ok(Math.abs(mean - 20) < 0.8, `mean gap ${mean} ms`);
    assert.ok(Math.abs(sd / mean - 1) < 0.05, `coefficient of variation ${sd / mean}`);
    // P(gap > 3 mean) = e^-3 for an exponential gap; evenly spaced arrivals would have none.
    const long = gaps.filter((g) => g > 60).length / gaps.length;
    assert.ok(Math.abs(long - Math.exp(-3)) < 0.01, String(long));
    assert.deepEqual(drain(new ArrivalSchedule(plan, undefined, new SeededRandom(7))), times);
  });

  it('Poisson slices are independent processes at rate / stride that superpose to the whole rate, ramps included', () => {
    const plan: RatePlan = [{ durationMs: 100_000, fromRps: 0, toRps: 200 }];
    const parts = [0, 1].map((offset) => drain(new ArrivalSchedule(plan, { offset, stride: 2 }, new SeededRandom(offset + 1))));
    const all = parts.flat();
    assert.ok(Math.abs(all.length - planExpectedCount(plan)) < 400, String(all.length));
    // An up-ramp from 0: a quarter of the arrivals fall in the first half.
    const firstHalf = all.filter((t) => t < 50_000).length / all.length;
    assert.ok(Math.abs(firstHalf - 0.25) < 0.02, String(firstHalf));
  });
});
