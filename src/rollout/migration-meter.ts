import type { DataPlane } from '../data-plane/index.ts';
import type { MigrationConfig, RouteConfig } from '../config/index.ts';
import type { Logger } from '../core/index.ts';
import { DEFAULT_OBJECTIVE, type Journal, objectiveOf } from '../journal/index.ts';
import type { TelemetryWindow } from '../telemetry/index.ts';
import { CapacityBook } from './capacity-book.ts';
import { evaluateGate, type GateResult } from './capacity-gate.ts';
import { type CertificateRequirements, chooseCertificate, routeLimits } from './certificate-choice.ts';
import type { Measured } from './migration-input.ts';
import type { MigrationPlan } from './migration-state.ts';
import { poolMembership } from './pool-membership.ts';
import { RouteRateHistory } from './route-rate-history.ts';

export interface MigrationMeterOptions {
  dataPlane: Pick<DataPlane, 'snapshot'>;
  journal: Pick<Journal, 'query' | 'lastId' | 'samples'>;
  migration: Pick<MigrationConfig, 'peakWindow' | 'capacityMaxAge'>;
  routes: readonly RouteConfig[];
  logger: Logger;
}

/**
 * Measures what the decisions read: the route's traffic (the journal's samples and the windows
 * seen), the pools' capacity results and what they must meet, and from them the gate for every
 * step of a plan and the source's capacity for a rollback.
 */
export class MigrationMeter {
  readonly #dp: Pick<DataPlane, 'snapshot'>;
  readonly #cfg: Pick<MigrationConfig, 'capacityMaxAge'>;
  readonly #routes: readonly RouteConfig[];
  readonly #rates: RouteRateHistory;
  readonly #capacity: CapacityBook;

  constructor(o: MigrationMeterOptions) {
    this.#dp = o.dataPlane;
    this.#cfg = o.migration;
    this.#routes = o.routes;
    this.#rates = new RouteRateHistory(o.journal, o.migration.peakWindow, o.logger);
    this.#capacity = new CapacityBook(o.journal);
  }

  /** A window seen on the stream: its rates count before the journal's sample of it is stored. */
  add(w: TelemetryWindow): void {
    this.#rates.add(w);
  }

  /**
   * The figures for one input at `now`. Each is measured on first read only (most inputs need
   * neither), then kept for the input.
   */
  measure(plan: MigrationPlan, now: number): Measured {
    let gates: GateResult[] | undefined;
    let source: Measured['source'] | undefined;
    const meter = this;
    return {
      get gates() {
        gates ??= meter.#gates(plan, now);
        return gates;
      },
      get source() {
        source ??= {
          currentRps: meter.#rates.traffic(plan.route, now).currentRps,
          capacity: chooseCertificate(meter.#capacity.certificates(plan.from), meter.#requirements(plan.route, plan.from, now)).chosen,
        };
        return source;
      },
    };
  }

  /** The gate for each step of the plan (index = step index). */
  #gates(plan: MigrationPlan, now: number): GateResult[] {
    const traffic = this.#rates.traffic(plan.route, now);
    const certificates = this.#capacity.certificates(plan.to);
    const requirements = this.#requirements(plan.route, plan.to, now);
    return plan.steps.map((percent) =>
      evaluateGate({
        pool: plan.to,
        share: percent / 100,
        currentRps: traffic.currentRps,
        peakRps: traffic.peakRps,
        expectedPeakRps: plan.expectedPeakRps,
        observed: traffic.observed,
        certificates,
        requirements,
        headroom: plan.headroom,
      }),
    );
  }

  /** What a certificate of `pool` must meet for `route` now: its SLO (as the SLO monitor reads it), the pool's membership, the age limit. */
  #requirements(route: string, pool: string, now: number): CertificateRequirements {
    const slo = this.#routes.find((r) => r.name === route)?.slo;
    return {
      objective: routeLimits(slo === undefined ? DEFAULT_OBJECTIVE : objectiveOf(slo)),
      membership: poolMembership(this.#dp.snapshot(), pool),
      now,
      maxAgeMs: this.#cfg.capacityMaxAge,
    };
  }
}
