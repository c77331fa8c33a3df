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
});
