import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flushMicrotasks, ManualClock, SeededRandom } from '../core/index.ts';
import { LatencyHistogram } from '../telemetry/index.ts';
import { IdleProbe } from './generator-probe.ts';
import { histogramOf, type IntervalReport } from './interval-report.ts';
import { LoadLoop, type WorkloadModel } from './load-loop.ts';
import { RequestMix } from './request-mix.ts';
import type { InFlightRequest, RequestSender, SendSink } from './request-sender.ts';

const mix = new RequestMix([{ name: 'get', method: 'GET', path: '/', headers: {}, body: null, weight: 1 }]);

/** A sender whose behaviour per request is chosen by a function of the arrival index. */
class ScriptedSender implements RequestSender {
  readonly clock: ManualClock;
  readonly script: (req: InFlightRequest, sink: SendSink, clock: ManualClock) => void;

  constructor(clock: ManualClock, script: (req: InFlightRequest, sink: SendSink, clock: ManualClock) => void) {
    this.clock = clock;
    this.script = script;
  }

  send(req: InFlightRequest, sink: SendSink): void {
    this.script(req, sink, this.clock);
  }

  async close(): Promise<void> {}
}

function answerAfter(ms: number, status: number) {
  return (req: InFlightRequest, sink: SendSink, clock: ManualClock) => {
    req.startedAt = clock.monotonic();
    clock.setTimeout(() => sink.finished(req, status, null), ms);
  };
}

async function runOnManualClock(
  model: WorkloadModel,
  sender: (c: ManualClock) => RequestSender,
  extra: { maxInFlight?: number; timeoutMs?: number } = {},
) {
  const clock = new ManualClock();
  const reports: IntervalReport[] = [];
  const loop = new LoadLoop({
    clock,
    random: new SeededRandom(7),
    sender: sender(clock),
    mix,
    model,
    maxInFlight: extra.maxInFlight ?? 1000,
    timeoutMs: extra.timeoutMs ?? 200,
    probe: new IdleProbe(),
    onInterval: (r) => reports.push(r),
  });
  let done = false;
  const running = loop.run().then(() => {
    done = true;
  });
  for (let i = 0; i < 60_000 && !done; i++) {
    clock.advance(1);
    await flushMicrotasks();
  }
  await running;
  const sum = (k: 'scheduled' | 'sent' | 'completed' | 'failed' | 'timedOut' | 'unsent') => reports.reduce((s, r) => s + r[k], 0);
  const errors: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const merge = (k: 'latency' | 'service') => {
    const h = new LatencyHistogram();
    for (const r of reports) h.merge(histogramOf(r[k]));
    return h;
  };
  return {
    loop,
    reports,
    scheduled: sum('scheduled'),
    sent: sum('sent'),
    completed: sum('completed'),
    failed: sum('failed'),
    timedOut: sum('timedOut'),
    unsent: sum('unsent'),
    errors,
    latency: merge('latency'),
    service: merge('service'),
  };
}

describe('LoadLoop', () => {
  it('keeps scheduled = completed + failed + timed out + unsent under timeouts, connection errors and the in-flight cap', async () => {
    const r = await runOnManualClock(
      { kind: 'open', plan: [{ durationMs: 2000, fromRps: 200, toRps: 200 }] },
      (clock) =>
        new ScriptedSender(clock, (req, sink, c) => {
          const k = req.index % 4;
          if (k === 0)
            sink.finished(req, 0, 'connect'); // refused at once, from inside send()
          else if (k === 1)
            req.startedAt = c.monotonic(); // never answers: must time out
          else if (k === 2) answerAfter(10, 503)(req, sink, c);
          else answerAfter(5, 200)(req, sink, c);
        }),
      { maxInFlight: 4, timeoutMs: 100 },
    );
    assert.equal(r.scheduled, 400);
    assert.equal(r.scheduled, r.completed + r.failed + r.timedOut + r.unsent);
    assert.equal(r.sent, r.scheduled - r.unsent);
    assert.ok(r.unsent > 0, 'the cap of 4 in flight must have refused some arrivals');
    assert.ok(r.timedOut > 0 && r.completed > 0);
    assert.ok((r.errors.connect ?? 0) > 0);
    assert.equal(r.errors.timeout, r.timedOut);
  });

  it('times latency from the intended send, while service time starts on the connection', async () => {
    // One connection, 10 ms per request, offered every 5 ms: requests queue in the client.
    const r = await runOnManualClock(
      { kind: 'open', plan: [{ durationMs: 1000, fromRps: 200, toRps: 200 }] },
      (clock) => {
        let free = 0;
        return new ScriptedSender(clock, (req, sink, c) => {
          const start = Math.max(c.monotonic(), free);
          const end = start + 10;
          free = end;
          c.setTimeout(() => {
            req.startedAt = start;
            c.setTimeout(() => sink.finished(req, 200, null), end - c.monotonic());
          }, start - c.monotonic());
        });
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(r.completed, 200);
    assert.ok(r.service.percentile(99) <= 10.1, `service p99 ${r.service.percentile(99)}`);
    // The last request waited for the 199 ahead of it: ~ (199 × 10) − (199 × 5) ms.
    assert.ok(r.latency.percentile(100) > 990 && r.latency.percentile(100) < 1010, `max ${r.latency.percentile(100)}`);
  });

  it('counts requests cancelled by stop() as failed (aborted), and still balances', async () => {
    const clock = new ManualClock();
    const reports: IntervalReport[] = [];
    const stopper = new AbortController();
    const loop = new LoadLoop({
      clock,
      random: new SeededRandom(1),
      sender: new ScriptedSender(clock, (req, _sink, c) => {
        req.startedAt = c.monotonic();
      }),
      mix,
      model: { kind: 'open', plan: [{ durationMs: 10_000, fromRps: 100, toRps: 100 }] },
      maxInFlight: 1000,
      timeoutMs: 60_000,
      probe: new IdleProbe(),
      onInterval: (rep) => reports.push(rep),
      signal: stopper.signal,
    });
    const running = loop.run();
    clock.advance(495); // arrivals due at 0, 10, … 490 ms
    stopper.abort();
    await running;
    const scheduled = reports.reduce((s, x) => s + x.scheduled, 0);
    const failed = reports.reduce((s, x) => s + x.failed, 0);
    assert.equal(scheduled, 50);
    assert.equal(failed, 50);
    assert.equal(
      reports.reduce((s, x) => s + (x.errors.aborted ?? 0), 0),
      50,
    );
  });

  it('counts each request once when an interval report itself stops the run (regression: double-counted interval)', async () => {
    const clock = new ManualClock();
    const reports: IntervalReport[] = [];
    const stopper = new AbortController();
    const loop = new LoadLoop({
      clock,
      random: new SeededRandom(1),
      // Nothing is ever answered, so everything is in flight when the stop comes.
      sender: new ScriptedSender(clock, (req, _sink, c) => {
        req.startedAt = c.monotonic();
      }),
      mix,
      model: { kind: 'open', plan: [{ durationMs: 10_000, fromRps: 100, toRps: 100 }] },
      maxInFlight: 1000,
      timeoutMs: 60_000,
      probe: new IdleProbe(),
      onInterval: (rep) => {
        reports.push(rep);
        // Like runLoad's early abort: the listener of the first report stops the loop.
        if (rep.interval === 0) stopper.abort();
      },
      signal: stopper.signal,
    });
    const running = loop.run();
    clock.advance(1500);
    await running;
    const total = (k: 'scheduled' | 'failed') => reports.reduce((s2, x) => s2 + x[k], 0);
    assert.equal(new Set(reports.map((r) => r.interval)).size, reports.length, 'no interval is reported twice');
    assert.equal(total('scheduled'), 101);
    assert.equal(total('failed'), 101);
  });

  it('runs a closed model: N users back to back for the duration', async () => {
    const r = await runOnManualClock(
      { kind: 'closed', concurrency: 3, durationMs: 100 },
      (clock) => new ScriptedSender(clock, answerAfter(10, 200)),
    );
    assert.equal(r.scheduled, 30);
    assert.equal(r.completed, 30);
    assert.ok(Math.abs(r.latency.percentile(50) - 10) < 0.02);
  });
});
