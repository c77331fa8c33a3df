import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/index.ts';
import { EventLoopGuard } from './event-loop-guard.ts';

describe('EventLoopGuard', () => {
  it('sheds only while lag stays over the threshold in two measurements in a row', () => {
    const guard = new EventLoopGuard(new ManualClock(), 200);
    guard.observe(500);
    assert.equal(guard.overloaded, false, 'one late tick is a pause already over');
    guard.observe(300);
    assert.equal(guard.overloaded, true);
    guard.observe(10);
    assert.equal(guard.overloaded, false);
  });

  it('measures no lag on a clock that runs timers on time, and close() stops its timer', () => {
    const clock = new ManualClock();
    const guard = new EventLoopGuard(clock, 200);
    guard.start();
    guard.start();
    clock.advance(1000);
    assert.equal(guard.lagMs, 0);
    assert.equal(guard.overloaded, false);
    guard.close();
    assert.equal(clock.pending, 0);
  });

  it('reports the loop saturated after a tick spent busy, and not after an idle one', async () => {
    // Event-loop utilization reads 0 until the loop has turned once.
    await new Promise((r) => setImmediate(r));
    const clock = new ManualClock();
    const guard = new EventLoopGuard(clock, 200);
    guard.start();
    clock.advance(100); // first tick: takes the reference reading
    // Busy for the whole of the next tick (a synchronous loop stands for a process at full CPU).
    const until = performance.now() + 60;
    while (performance.now() < until) {
      // spin
    }
    clock.advance(100);
    assert.equal(guard.saturated, true, `utilization ${guard.utilization.toFixed(2)}`);
    await new Promise((r) => setTimeout(r, 60));
    clock.advance(100);
    assert.equal(guard.saturated, false, `utilization ${guard.utilization.toFixed(2)}`);
    guard.close();
  });
});
