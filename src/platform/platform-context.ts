import type { PlatformConfig } from '../config/index.ts';
import type { Clock, Logger } from '../core/index.ts';
import type { AdmissionGate } from './admission-gate.ts';
import type { AutoPolicy } from './auto-codec.ts';
import type { ContentStore } from './content-store.ts';
import type { PlatformMetrics } from './platform-metrics.ts';

/** What the request handlers of the platform share. */
export interface PlatformContext {
  config: PlatformConfig;
  store: ContentStore;
  gate: AdmissionGate;
  clock: Clock;
  log: Logger;
  metrics: PlatformMetrics;
  autoPolicy: AutoPolicy;
  version: string;
  /** Monotonic ms at start, for uptime. */
  startedAt: number;
  /** True once close() began: readiness fails so balancers stop sending. */
  closing: () => boolean;
  /** Requests whose body is arriving before they are admitted. */
  receiving: () => number;
}
