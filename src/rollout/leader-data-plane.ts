import type { DataPlane } from '../data-plane/index.ts';
import { type LeaderGate, notLeading } from './leader-gate.ts';

/**
 * The data plane as a leader at `term` drives it: every split carries the term (a data plane
 * refuses one older than the newest it has seen), and nothing is sent once this process no longer
 * leads at that term, checked on its own clock before each call. Heartbeats carry the term as
 * well (a data plane ignores an older one), and a deposed leader's stop, so a data plane it left
 * mid-migration reverts by its dead-man guard unless the new leader takes the route over first.
 */
export function leaderDataPlane(dp: DataPlane, gate: LeaderGate, term: number): DataPlane {
  const leads = (): boolean => gate.holds() && gate.fence()?.term === term;
  const plane: DataPlane = {
    snapshot: () => dp.snapshot(),
    setSplit: async (route, split, reason, options) => {
      if (!leads()) throw notLeading(gate, term, `split of ${route}`);
      await dp.setSplit(route, split, reason, { ...options, term, leader: gate.name });
    },
    heartbeat: (route) => {
      // Called from the controller's timer: a throw would escape it, and a skipped beat is the point.
      if (leads()) dp.heartbeat(route, term, gate.name);
    },
    windows: (signal) => dp.windows(signal),
  };
  const refresh = dp.refresh?.bind(dp);
  if (refresh !== undefined) plane.refresh = refresh;
  const inProgress = dp.inProgress?.bind(dp);
  if (inProgress !== undefined) plane.inProgress = inProgress;
  return plane;
}
