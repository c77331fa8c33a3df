import type { DataPlaneEvent } from '../data-plane/index.ts';

/** The kinds of event the balancer emits (journal kinds, docs/journal.md). */
export const BalancerEventKind = {
  splitChanged: 'split.changed',
  backendEjected: 'backend.ejected',
  backendReadmitted: 'backend.readmitted',
  backendDown: 'backend.down',
  backendUp: 'backend.up',
  backendDrained: 'backend.drained',
  backendUndrained: 'backend.undrained',
  poolNoHealthyBackend: 'pool.no_healthy_backend',
  deadManReverted: 'deadman.reverted',
  configReloaded: 'config.reloaded',
} as const;

export type DataPlaneEventListener = (event: DataPlaneEvent) => void;

/** A small fan-out of events; a listener that throws does not stop the others. */
export class EventFanout {
  readonly #listeners = new Set<DataPlaneEventListener>();
  readonly #onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void) {
    this.#onError = onError;
  }

  add(listener: DataPlaneEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: DataPlaneEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (err) {
        this.#onError(err);
      }
    }
  }
}
