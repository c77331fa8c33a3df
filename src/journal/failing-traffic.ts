import type { ManualClock } from '../core/index.ts';
import type { OnCall } from './on-call.ts';

/**
 * Feeds on-call `seconds` one-second samples of `route` in which all 20 requests fail, moving the
 * clock a second for each: 40 of them fire the fast-burn page and open an incident. For tests that
 * need an incident without a balancer.
 */
export function observeFailingSeconds(onCall: Pick<OnCall, 'observe'>, clock: ManualClock, route: string, seconds: number): void {
  for (let i = 0; i < seconds; i++) {
    const time = clock.now();
    clock.advance(1000);
    onCall.observe({
      time,
      route,
      pools: { a: { requests: 20, failed: 20, shed: 0 } },
      requests: 20,
      failed: 20,
      shed: 0,
      slow: 0,
      p99Ms: 5,
    });
  }
}
