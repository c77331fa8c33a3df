import type { DataPlaneSnapshot } from '../data-plane/index.ts';
import type { MigrationConfig } from '../config/index.ts';
import { type MigrationPlan, shareOf } from './migration-state.ts';
import { badRequest } from './rollout-errors.ts';

/** What `POST /api/v1/migrations` and `piper migrate start` ask for. */
export interface StartMigrationRequest {
  route: string;
  to: string;
  from?: string;
  steps?: number[];
  stepDurationMs?: number;
  headroom?: number;
  expectedPeakRps?: number;
  /** The operator's reason to start despite the capacity gate; journaled with who. */
  overrideCapacityGate?: string;
  /** The operator's reason to gate with less headroom than `migration.headroom`; journaled with who. */
  overrideHeadroom?: string;
  actor?: string;
}

/**
 * Turns a request into a plan, defaults from `migration` in piper.yaml, checked against the data
 * plane: the route and pools exist, the route is wholly on its source, steps rise to 100.
 */
export function planMigration(req: StartMigrationRequest, snap: DataPlaneSnapshot, cfg: MigrationConfig): MigrationPlan {
  const route = snap.routes.find((r) => r.name === req.route);
  if (route === undefined)
    throw badRequest(`unknown route "${req.route}" (routes: ${snap.routes.map((r) => r.name).join(', ') || 'none'})`);
  const pools = new Set(snap.pools.map((p) => p.name));
  if (!pools.has(req.to)) throw badRequest(`unknown target pool "${req.to}" (pools: ${[...pools].join(', ')})`);
  const from = req.from ?? Object.entries(route.split).sort((a, b) => b[1] - a[1])[0]?.[0];
  if (from === undefined || !pools.has(from)) throw badRequest(`unknown source pool "${String(from)}"`);
  if (from === req.to) throw badRequest(`source and target are the same pool "${from}"`);
  if (shareOf(route.split, from) < 1) {
    throw badRequest(
      `route "${req.route}" is not all on "${from}" (split ${JSON.stringify(route.split)}); a migration moves a route from one pool`,
    );
  }
  const steps = req.steps ?? cfg.steps;
  if (
    steps.length === 0 ||
    steps.some((p, i) => !(p > 0 && p <= 100) || (i > 0 && p <= (steps[i - 1] as number))) ||
    steps.at(-1) !== 100
  ) {
    throw badRequest(`steps must increase, lie in (0, 100] and end at 100 (got ${steps.join(',')})`);
  }
  const stepDurationMs = req.stepDurationMs ?? cfg.stepDuration;
  if (!(stepDurationMs >= 1000)) throw badRequest(`stepDuration must be at least 1s (got ${stepDurationMs} ms)`);
  const headroom = req.headroom ?? cfg.headroom;
  if (!(headroom >= 1)) throw badRequest(`headroom must be at least 1 (got ${headroom})`);
  // Less headroom lets the gate pass a pool nearer its measured limit: a decision someone owns.
  const lowered = headroom < cfg.headroom;
  if (lowered && (req.overrideHeadroom ?? '').trim() === '') {
    throw badRequest(
      `headroom ${headroom} is below migration.headroom ${cfg.headroom}: lowering the capacity gate's margin is an override; ` +
        'give the reason (overrideHeadroom; piper migrate start --override-headroom REASON)',
    );
  }
  if (!lowered && req.overrideHeadroom !== undefined) {
    throw badRequest(`overrideHeadroom: nothing to override, headroom ${headroom} is not below migration.headroom ${cfg.headroom}`);
  }
  return {
    route: req.route,
    from,
    to: req.to,
    steps: [...steps],
    stepDurationMs,
    headroom,
    expectedPeakRps: req.expectedPeakRps ?? cfg.expectedPeak ?? null,
  };
}
