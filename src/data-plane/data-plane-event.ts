import type { BackendHealth, Split } from './data-plane.ts';

interface BackendRef {
  pool: string;
  backend: string;
}

/** The guard a split was set with, as events report it. */
interface GuardFacts {
  safeSplit: Split;
  timeoutMs: number;
}

/**
 * The data of each event a data plane emits. The journal's event catalogue holds the same kinds
 * (it may not import this part); `piper up` records these events, so `tsc` checks the two agree.
 */
export interface DataPlaneEventData {
  'split.changed': {
    from: Split;
    to: Split;
    reason: string;
    deadMan: GuardFacts | null;
    /** HAProxy: the split asked for, and each server's weight as HAProxy read it back. */
    asked?: Split;
    weights?: Readonly<Record<string, number>>;
    /** HAProxy's dead-man revert: the split the guard went back to. */
    safeSplit?: Split;
  };
  'backend.ejected': BackendRef & { reason: string; durationMs: number; ejections: number };
  'backend.readmitted': BackendRef;
  'backend.down': BackendRef & { from: BackendHealth; to: BackendHealth; reason: string | null };
  'backend.up': BackendRef & { from: BackendHealth; to: BackendHealth; reason?: string | null };
  'backend.drained': BackendRef;
  'backend.undrained': BackendRef;
  'pool.no_healthy_backend': { route: string; pools: string[] };
  'deadman.reverted': { from: Split; to: Split; silentMs: number; timeoutMs: number; safeSplit?: Split };
  /** A command from an older leader term, refused (fencing); `route` null for a term announcement, `split` null but for a split. */
  'split.refused': { route: string | null; term: number; currentTerm: number; leader: string | null; split: Split | null };
  /** A fleet's split, with each member's acknowledgement (or its error). */
  'split.acknowledged': {
    split: Split;
    term: number | null;
    reason: string;
    /** Every member acknowledged. */
    complete: boolean;
    members: Record<string, { ok: boolean; at: number; error?: string }>;
  };
  'config.reloaded': { routes: number; pools: number };
  'haproxy.started': { pid?: number | undefined; restarts: number; config: string };
  'haproxy.exited': { pid?: number | undefined; code: number | null; signal: string | null; lines: string[] };
  'haproxy.reattached': {
    previousPid: string;
    pid: string;
    reapplied: Record<string, { split: Split; asked: Split; guard: GuardFacts | null }>;
    drained: string[];
  };
}

export type DataPlaneEventKind = keyof DataPlaneEventData;

/** An event the data plane emits for the journal (split changes, ejections, health changes), of kind `K` or any. */
export type DataPlaneEvent<K extends DataPlaneEventKind = DataPlaneEventKind> = {
  [P in K]: { time: number; kind: P; subject: string; data: DataPlaneEventData[P]; actor: string };
}[K];
