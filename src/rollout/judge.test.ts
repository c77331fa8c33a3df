import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Random, SeededRandom } from '../core/index.ts';
import { LatencyHistogram, type PoolWindowStats, type TelemetryWindow } from '../telemetry/index.ts';
import { type JudgeSettings, StepJudge } from './judge.ts';
import { WARMUP_WINDOWS } from './judge-relative-latency.ts';
import { histogramSlowCounter } from './slow-requests.ts';
import { syntheticWindow } from './synthetic-window.ts';

const settings: JudgeSettings = {
  maxErrorRatio: 0.2,
  hardMinFailures: 2,
  consecutiveFailures: 3,
  noDataWindows: 3,
  alpha: 0.01 / 6,
  errorMargin: 0.01,
  latencyMargin: 0.02,
  relativeLatencyMargin: 0.05,
  latencyThresholdMs: 500,
  minSamples: 10,
  pools: { target: 'inhouse', source: 'vendor' },
};

function judgeOf(target: Parameters<typeof syntheticWindow>[2][string], source = { requests: 90 }, expect = true) {
  const judge = new StepJudge(settings, histogramSlowCounter);
  const w = syntheticWindow(0, 'web', { inhouse: target, vendor: source });
  return judge.observe(w.start, w.pools.inhouse, w.pools.vendor, expect);
}

describe('StepJudge', () => {
  it('passes a healthy window', () => {
    const d = judgeOf({ requests: 10 });
    assert.equal(d.verdict, 'pass');
    assert.deepEqual(d.reasons, []);
  });

  it('rolls back at once on an error ratio of 20% (hard guard)', () => {
    const d = judgeOf({ requests: 10, failed: 2 });
    assert.equal(d.verdict, 'rollback');
    assert.equal(d.hard, true);
    assert.ok(d.reasons.includes('error_ratio'));
    assert.equal(d.target.errorRatio, 0.2);
  });

  it('counts the requests the target’s admission refused and the source answered as the target’s failures (issue 24)', () => {
    const judge = new StepJudge(settings, histogramSlowCounter);
    // The step's first target windows are its warm-up: the relative latency test compares none of them.
    for (let i = 0; i < WARMUP_WINDOWS; i++) {
      const warm = syntheticWindow(-3000 + i * 1000, 'web', { inhouse: { requests: 10 }, vendor: { requests: 90 } });
      assert.equal(judge.observe(warm.start, warm.pools.inhouse, warm.pools.vendor, true).verdict, 'pass');
    }
    const w = syntheticWindow(0, 'web', { inhouse: { requests: 10 }, vendor: { requests: 90 } });
    // Every client got an answer, but the target turned 30 of its 40 requests away.
    const target = { ...(w.pools.inhouse as PoolWindowStats), spilled: 30 };
    const d = judge.observe(w.start, target, w.pools.vendor, true);
    assert.equal(d.verdict, 'rollback');
    assert.ok(d.reasons.includes('error_ratio'));
    assert.equal(d.target.requests, 40);
    assert.equal(d.target.failed, 30);
    assert.equal(d.target.spilled, 30);
    // And as requests slower than the source in the relative latency test.
    const p90 = d.relativeLatency.find((r) => r.percentile === 90);
    assert.deepEqual([p90?.targetSamples, p90?.targetSlower, p90?.targetRefused], [40, 30, 30]);
    assert.equal(p90?.rejected, true);
  });

  it('does not call one failure in two requests a hard failure', () => {
    assert.equal(judgeOf({ requests: 2, failed: 1 }).hard, false);
  });

  it('rolls back at once on a connection failure', () => {
    const d = judgeOf({ requests: 10, failed: 1, connectFailures: 1 });
    assert.equal(d.verdict, 'rollback');
    assert.deepEqual(d.reasons, ['connection_failures']);
  });

  it('rolls back when the p99 is over the SLO for 3 consecutive windows, not 2', () => {
    const judge = new StepJudge({ ...settings, latencyMargin: 1, relativeLatencyMargin: 0.89 }, histogramSlowCounter);
    const slow = (start: number) =>
      syntheticWindow(start, 'web', { inhouse: { requests: 10, slow: 1, slowMs: 900 }, vendor: { requests: 90 } });
    const fast = (start: number) => syntheticWindow(start, 'web', { inhouse: { requests: 10 }, vendor: { requests: 90 } });
    const seq = [slow(0), slow(1000), fast(2000), slow(3000), slow(4000), slow(5000)];
    const verdicts = seq.map((w) => judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true));
    assert.deepEqual(
      verdicts.map((d) => d.verdict),
      ['pass', 'pass', 'pass', 'pass', 'pass', 'rollback'],
    );
    assert.deepEqual(verdicts[5]?.reasons, ['p99_over_slo']);
    assert.equal(verdicts[5]?.hard, false);
  });

  it('detects slower target latency from the histograms with the sequential test', () => {
    const judge = new StepJudge(settings, histogramSlowCounter);
    let rolled = -1;
    for (let i = 0; i < 10 && rolled < 0; i++) {
      // 30% of target requests over the 500 ms SLO threshold, none on the source; p99 rule disabled by a high count.
      const w = syntheticWindow(i * 1000, 'web', { inhouse: { requests: 20, slow: 6, slowMs: 800 }, vendor: { requests: 80 } });
      const d = judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true);
      if (d.reasons.includes('msprt_latency')) rolled = i;
    }
    assert.ok(rolled >= 0 && rolled <= 3, `latency regression detected at window ${rolled}`);
  });

  it('holds (never passes) after 3 windows with route traffic but none on the target', () => {
    const judge = new StepJudge(settings, histogramSlowCounter);
    const verdicts = [0, 1, 2].map((i) => {
      const w = syntheticWindow(i * 1000, 'web', { inhouse: { requests: 0 }, vendor: { requests: 90 } });
      return judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true);
    });
    assert.deepEqual(
      verdicts.map((d) => d.verdict),
      ['pass', 'pass', 'hold'],
    );
    assert.deepEqual(verdicts[2]?.reasons, ['no_target_data']);
    assert.equal(judge.targetRequests, 0);
  });

  it('a window whose log lines were lost never passes as a clean second: it holds and says what was missing', () => {
    const judge = new StepJudge(settings, histogramSlowCounter);
    // A quiet, clean-looking window: every request the data plane could count succeeded.
    const w = syntheticWindow(0, 'web', { inhouse: { requests: 10 }, vendor: { requests: 90 } });
    const d = judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true, '40 log lines lost');
    assert.equal(d.verdict, 'hold');
    assert.deepEqual(d.reasons, ['incomplete_data']);
    assert.equal(d.incomplete, '40 log lines lost');
    // An empty one too: no data is not a quiet second.
    const empty = syntheticWindow(1000, 'web', { inhouse: { requests: 0 }, vendor: { requests: 0 } });
    assert.equal(judge.observe(empty.start, empty.pools.inhouse, empty.pools.vendor, false, 'no window for 2 s').verdict, 'hold');
  });

  it('still rolls back on the failures an incomplete window did count', () => {
    const judge = new StepJudge(settings, histogramSlowCounter);
    const w = syntheticWindow(0, 'web', { inhouse: { requests: 10, failed: 5 }, vendor: { requests: 90 } });
    const d = judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true, '3 log lines cut');
    assert.equal(d.verdict, 'rollback');
    assert.ok(d.reasons.includes('error_ratio'));
    assert.ok(!d.reasons.includes('incomplete_data'));
  });
});

/** A service time with a tail: 2 ms plus an exponential of mean 8 ms, and 1 % of requests 50-100 ms. */
function serviceTime(random: Random): number {
  if (random.next() < 0.01) return 50 + 50 * random.next();
  return 2 - 8 * Math.log(1 - random.next());
}

/** A window of both pools with the given latencies (ms), one per request. */
function latencyWindow(start: number, pools: { inhouse: number[]; vendor: number[] }): TelemetryWindow {
  const w = syntheticWindow(start, 'web', { inhouse: { requests: pools.inhouse.length }, vendor: { requests: pools.vendor.length } });
  const stats: Record<string, PoolWindowStats> = {};
  for (const [name, latencies] of Object.entries(pools)) {
    const h = new LatencyHistogram();
    for (const ms of latencies) h.record(ms);
    stats[name] = { ...(w.pools[name] as PoolWindowStats), latency: h.summary(), histogram: h.encode() };
  }
  return { ...w, pools: stats };
}

function draw(n: number, latency: () => number): number[] {
  return Array.from({ length: n }, latency);
}

describe('StepJudge relative latency', () => {
  /**
   * 100 req/s with `targetShare` % on the target: 10 healthy seconds, then at the k-th second of
   * the fault `slowShare(k)` of the target's requests take 10 k ms longer. Returns the decision
   * that rolled back and the fault's second it came in.
   */
  function degrade(seed: number, targetShare: number, slowShare: (k: number) => number, slo: number) {
    const random = new SeededRandom(seed);
    const judge = new StepJudge({ ...settings, latencyThresholdMs: slo }, histogramSlowCounter);
    for (let second = 0; second < 120; second++) {
      const k = Math.max(0, second - 10);
      const target = draw(targetShare, () => serviceTime(random) + (random.next() < slowShare(k) ? 10 * k : 0));
      const w = latencyWindow(second * 1000, { inhouse: target, vendor: draw(100 - targetShare, () => serviceTime(random)) });
      const d = judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true);
      if (d.verdict === 'rollback') return { d, k };
    }
    assert.fail(`seed ${seed}: never rolled back`);
  }

  it('rolls back a target that gets slower each second, which the source does not share, long before its p99 reaches the SLO', () => {
    for (const seed of [1, 2, 3]) {
      for (const targetShare of [5, 20, 50]) {
        // 5 % more requests each second, each 10 ms slower than the second before: the p99 reaches 300 ms near k = 29.
        const { d, k } = degrade(seed, targetShare, (k) => Math.min(1, 0.05 * k), 300);
        const at = `seed ${seed}, ${targetShare} % on the target, ${k} s into the fault`;
        assert.deepEqual(d.reasons, ['msprt_relative_latency'], at);
        assert.ok(k <= 10, at);
        assert.ok(d.target.p99Ms < 150, `${at}: target p99 ${d.target.p99Ms} ms`);
        const rejected = d.relativeLatency.filter((r) => r.rejected);
        assert.ok(rejected.length > 0, at);
        for (const r of rejected) assert.ok(r.share > r.bound && r.pValue <= r.alpha && r.sourceMs > 0, `${at}: ${JSON.stringify(r)}`);
      }
    }
  });

  it('catches 5 % of target requests getting 10 ms slower each second on the source p99 before the SLO rule does', () => {
    for (const seed of [1, 2, 3]) {
      const { d, k } = degrade(seed, 20, (k) => (k > 0 ? 0.05 : 0), 300);
      assert.deepEqual(d.reasons, ['msprt_relative_latency'], `seed ${seed}, ${k} s into the fault`);
      const p99 = d.relativeLatency.find((r) => r.percentile === 99);
      assert.equal(p99?.rejected, true, `seed ${seed}: ${JSON.stringify(p99)}`);
      assert.ok(Math.abs((p99?.bound ?? 0) - 0.015) < 1e-9);
    }
  });

  it('never rolls back when both pools draw from the same distribution (A/A, 600 windows, several seeds and splits)', () => {
    for (const seed of [11, 12, 13, 14, 15]) {
      for (const targetShare of [5, 20, 50]) {
        const random = new SeededRandom(seed * 100 + targetShare);
        const judge = new StepJudge(settings, histogramSlowCounter);
        for (let second = 0; second < 600; second++) {
          const w = latencyWindow(second * 1000, {
            inhouse: draw(targetShare, () => serviceTime(random)),
            vendor: draw(100 - targetShare, () => serviceTime(random)),
          });
          const d = judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true);
          assert.equal(d.verdict, 'pass', `seed ${seed}, ${targetShare} % on the target, second ${second}: ${d.reasons.join(', ')}`);
        }
      }
    }
  });

  /**
   * A window whose pools refuse some requests: `spilled` target requests went to the source (and
   * are in its `latencies` when it answered them), `shed` source requests were refused there
   * (in its histogram at the microseconds a refusal takes, and counted as failed and shed).
   */
  function refusingWindow(start: number, inhouse: { latencies: number[]; spilled: number }, vendor: { latencies: number[]; shed: number }) {
    const shed = Array.from({ length: vendor.shed }, () => 0.05);
    const w = latencyWindow(start, { inhouse: inhouse.latencies, vendor: [...vendor.latencies, ...shed] });
    const v = w.pools.vendor as PoolWindowStats;
    return {
      start: w.start,
      inhouse: { ...(w.pools.inhouse as PoolWindowStats), spilled: inhouse.spilled },
      vendor: { ...v, failed: vendor.shed, shed: vendor.shed, errors: vendor.shed > 0 ? { shed: vendor.shed } : {} },
    };
  }

  // The error tests count the spills as failures too; switched off here, so that what rolls back is the latency test.
  const latencyOnly: JudgeSettings = { ...settings, maxErrorRatio: 1.01, errorMargin: 1 };

  it('rolls back a drifting target whose limiter turns away the requests that got slower on relative latency, as fast as one that answers them slowly', () => {
    for (const seed of [1, 2, 3]) {
      for (const targetShare of [5, 20, 50]) {
        const random = new SeededRandom(seed);
        const judge = new StepJudge({ ...latencyOnly, latencyThresholdMs: 300 }, histogramSlowCounter);
        let rolled: { k: number; reasons: string[] } | null = null;
        for (let second = 0; second < 60 && rolled === null; second++) {
          const k = Math.max(0, second - 10);
          const answered: number[] = [];
          let spilled = 0;
          // 5 % more requests each second get 10 k ms slower; the target's limit admits none that
          // would take more than 20 ms longer: those go to the source, and its histogram stays fast.
          for (let i = 0; i < targetShare; i++) {
            const extra = random.next() < Math.min(1, 0.05 * k) ? 10 * k : 0;
            if (extra > 20) spilled++;
            else answered.push(serviceTime(random) + extra);
          }
          const vendor = draw(100 - targetShare + spilled, () => serviceTime(random));
          const w = refusingWindow(second * 1000, { latencies: answered, spilled }, { latencies: vendor, shed: 0 });
          const d = judge.observe(w.start, w.inhouse, w.vendor, true);
          if (d.verdict === 'rollback') rolled = { k, reasons: d.reasons };
        }
        const at = `seed ${seed}, ${targetShare} % on the target`;
        assert.ok(rolled !== null, `${at}: never rolled back`);
        assert.deepEqual(rolled.reasons, ['msprt_relative_latency'], at);
        assert.ok(rolled.k >= 1 && rolled.k <= 10, `${at}: ${rolled.k} s into the fault`);
      }
    }
  });

  it('finds no latency regression in an A/A run at saturation, where both pools refuse at the same rate (300 windows, several seeds, splits and rates)', () => {
    for (const seed of [21, 22]) {
      for (const targetShare of [5, 20, 50]) {
        for (const refusal of [0.03, 0.08, 0.2]) {
          const random = new SeededRandom(seed * 1000 + targetShare * 10 + refusal * 100);
          const judge = new StepJudge(latencyOnly, histogramSlowCounter);
          for (let second = 0; second < 300; second++) {
            const answered: number[] = [];
            let spilled = 0;
            for (let i = 0; i < targetShare; i++) {
              if (random.next() < refusal) spilled++;
              else answered.push(serviceTime(random));
            }
            // The source refuses its own requests, and the target's spills, at the same rate.
            const vendor: number[] = [];
            let shed = 0;
            for (let i = 0; i < 100 - targetShare + spilled; i++) {
              if (random.next() < refusal) shed++;
              else vendor.push(serviceTime(random));
            }
            const w = refusingWindow(second * 1000, { latencies: answered, spilled }, { latencies: vendor, shed });
            const d = judge.observe(w.start, w.inhouse, w.vendor, true);
            const at = `seed ${seed}, ${targetShare} % on the target, ${refusal * 100} % refused, second ${second}`;
            assert.equal(d.verdict, 'pass', `${at}: ${d.reasons.join(', ')} ${JSON.stringify(d.relativeLatency)}`);
          }
        }
      }
    }
  });

  it('leaves the target’s spills out of a window in which the source refused requests of its own', () => {
    const judge = new StepJudge(latencyOnly, histogramSlowCounter);
    for (let i = 0; i < WARMUP_WINDOWS; i++) {
      const warm = refusingWindow(
        -3000 + i * 1000,
        { latencies: draw(10, () => 5), spilled: 0 },
        { latencies: draw(90, () => 5), shed: 0 },
      );
      judge.observe(warm.start, warm.inhouse, warm.vendor, true);
    }
    // Both pools full: the source shed 8 of its 100, the target spilled 10 of its 20.
    const full = refusingWindow(0, { latencies: draw(10, () => 5), spilled: 10 }, { latencies: draw(92, () => 5), shed: 8 });
    const d = judge.observe(full.start, full.inhouse, full.vendor, true);
    assert.equal(d.verdict, 'pass');
    const p90 = d.relativeLatency.find((r) => r.percentile === 90);
    assert.deepEqual([p90?.sourceRefused, p90?.targetSamples, p90?.targetSlower, p90?.targetRefused], [8, 10, 0, 0]);
    // The source has room again: the same spills are the target's slow requests.
    const room = refusingWindow(1000, { latencies: draw(10, () => 5), spilled: 10 }, { latencies: draw(100, () => 5), shed: 0 });
    const next = judge.observe(room.start, room.inhouse, room.vendor, true);
    const after = next.relativeLatency.find((r) => r.percentile === 90);
    assert.deepEqual([after?.sourceRefused, after?.targetSamples, after?.targetSlower, after?.targetRefused], [8, 30, 10, 10]);
  });

  it('counts no evidence before the source has a p90, and none from windows without histograms', () => {
    const judge = new StepJudge(settings, histogramSlowCounter);
    // 49 source requests: too few for a p90 (5 above it), and far too few for a p99.
    const early = latencyWindow(0, { inhouse: draw(20, () => 900), vendor: draw(49, () => 5) });
    const first = judge.observe(early.start, early.pools.inhouse, early.pools.vendor, true).relativeLatency;
    assert.deepEqual(
      first.map((r) => [r.percentile, r.sourceMs, r.targetSamples]),
      [
        [90, 0, 0],
        [99, 0, 0],
      ],
    );
    const bare = syntheticWindow(1000, 'web', { inhouse: { requests: 20 }, vendor: { requests: 80 } });
    for (const stats of Object.values(bare.pools)) stats.histogram = '';
    const d = judge.observe(bare.start, bare.pools.inhouse, bare.pools.vendor, true);
    assert.deepEqual(
      d.relativeLatency.map((r) => [r.sourceSamples, r.targetSamples]),
      [
        [49, 0],
        [49, 0],
      ],
    );
  });
});

describe("StepJudge relative latency from the step's first second", () => {
  /** A fast server's answers: 1 ms plus an exponential 2 ms (p99 about 10 ms), with no tail of its own. */
  const fast = (random: Random) => 1 - 2 * Math.log(1 - random.next());

  /** The source's last 30 s before the step: 100 req/s of `fast`. */
  function recentOf(random: Random): LatencyHistogram {
    const h = new LatencyHistogram();
    for (let i = 0; i < 3000; i++) h.record(fast(random));
    return h;
  }

  /**
   * Half of 100 req/s on the target, which once past the step's warm-up answers 5 % of its
   * requests 10 ms slower for every second since: the seconds until the judge rolls back (null: never, in 60).
   */
  function caughtAfter(seed: number, recent: boolean): number | null {
    const random = new SeededRandom(seed);
    const judge = new StepJudge(settings, histogramSlowCounter, recent ? recentOf(random) : undefined);
    for (let i = 0; i < WARMUP_WINDOWS; i++) {
      const w = latencyWindow(-3000 + i * 1000, { inhouse: draw(50, () => fast(random)), vendor: draw(50, () => fast(random)) });
      judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true);
    }
    for (let k = 1; k <= 60; k++) {
      const target = draw(50, () => fast(random) + (random.next() < 0.05 ? 10 * k : 0));
      const w = latencyWindow(k * 1000, { inhouse: target, vendor: draw(50, () => fast(random)) });
      if (judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true).verdict === 'rollback') return k;
    }
    return null;
  }

  it("compares with the source's recent p99 until its own 500 requests come, so a target that slows early in a step is caught seconds sooner", () => {
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length / 2] as number;
    const withRecent: number[] = [];
    const without: number[] = [];
    for (const seed of seeds) {
      const a = caughtAfter(seed, true);
      const b = caughtAfter(seed, false);
      assert.ok(a !== null && b !== null, `seed ${seed}: ${a} s with the recent windows, ${b} s without`);
      withRecent.push(a);
      without.push(b);
    }
    // Without them the p99 reference waits for 500 source requests, 10 s into the step (7 s into
    // the fault here): 8 to 15 s; with them, the test's own power is what is left (2 to 12 s).
    assert.ok(median(without) >= 10, `without: ${without.join(', ')}`);
    assert.ok(median(withRecent) <= median(without) - 3, `with: ${withRecent.join(', ')}; without: ${without.join(', ')}`);
  });

  it('does not judge the target on its first windows of a step, which a cold pool answers slower', () => {
    for (const seed of [31, 32, 33]) {
      const random = new SeededRandom(seed);
      const judge = new StepJudge(settings, histogramSlowCounter, recentOf(random));
      // New connections and a cold process: every answer 15 ms slower for 3 s, then the same as the source.
      for (let second = 0; second < 60; second++) {
        const extra = second < 3 ? 15 : 0;
        const w = latencyWindow(second * 1000, { inhouse: draw(50, () => fast(random) + extra), vendor: draw(50, () => fast(random)) });
        const d = judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true);
        assert.equal(d.verdict, 'pass', `seed ${seed}, second ${second}: ${d.reasons.join(', ')}`);
      }
    }
  });

  it("never rolls back on a slowdown both pools share from the step's first second, nor on an A/A step", () => {
    for (const seed of [21, 22, 23, 24, 25]) {
      for (const shared of [0, 20]) {
        const random = new SeededRandom(seed);
        // The recent windows were fast; from the step's start both pools answer `shared` ms slower.
        const judge = new StepJudge(settings, histogramSlowCounter, recentOf(random));
        for (let second = 0; second < 300; second++) {
          const w = latencyWindow(second * 1000, {
            inhouse: draw(50, () => fast(random) + shared),
            vendor: draw(50, () => fast(random) + shared),
          });
          const d = judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true);
          assert.equal(d.verdict, 'pass', `seed ${seed}, ${shared} ms shared, second ${second}: ${d.reasons.join(', ')}`);
        }
      }
    }
  });

  it("names the source requests behind the reference: the recent ones with the step's own, then the step's own", () => {
    const random = new SeededRandom(7);
    const judge = new StepJudge(settings, histogramSlowCounter, recentOf(random));
    const counts: number[] = [];
    for (let second = 0; second < 12; second++) {
      const w = latencyWindow(second * 1000, { inhouse: draw(50, () => fast(random)), vendor: draw(50, () => fast(random)) });
      counts.push(judge.observe(w.start, w.pools.inhouse, w.pools.vendor, true).relativeLatency[1]?.sourceSamples ?? -1);
    }
    // 3000 recent, then 50 more each second until the step's own reach 500 at its tenth second.
    assert.deepEqual(counts, [3050, 3100, 3150, 3200, 3250, 3300, 3350, 3400, 3450, 500, 550, 600]);
  });
});
