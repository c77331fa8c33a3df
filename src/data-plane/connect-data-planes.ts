import { type Clock, coreErrors, type Logger, PiperError, silentLogger } from '../core/index.ts';
import type { DataPlane } from './data-plane.ts';
import type { DataPlaneEvent } from './data-plane-event.ts';
import { FleetDataPlane } from './fleet-data-plane.ts';
import type { FleetMember, WindowMerge } from './fleet-windows.ts';
import { HttpDataPlane } from './http-data-plane.ts';

/** One `dataPlanes` entry of piper.yaml (config's `DataPlaneMemberConfig`; this part may not import config). */
export interface DataPlaneMemberSpec {
  name: string;
  kind: 'local' | 'remote';
  admin?: string | undefined;
  token?: string | undefined;
}

export interface ConnectDataPlanesOptions {
  /** This process's own data plane, for the `local` member; absent where there is none (a control plane alone). */
  local?: DataPlane;
  clock: Clock;
  /** telemetry's `mergeWindows`. */
  merge: WindowMerge;
  logger?: Logger;
  /** How often a split a member missed is sent again (default 1 s). */
  retryMs?: number;
  /** How long a second's window waits for a member's (default 1.5 s). */
  windowGraceMs?: number;
}

/** What the controller drives, and the connections to close with it. */
export interface ConnectedDataPlanes {
  /** The local port itself when it is the only member, else a FleetDataPlane over all of them. */
  dataPlane: DataPlane;
  /** The fleet, when there is one (for its `split.acknowledged` events and merged windows). */
  fleet: FleetDataPlane | null;
  /** Subscribes to the fleet's events (none without a fleet); returns the unsubscribe function. */
  onEvent(listener: (e: DataPlaneEvent) => void): () => void;
  /** Stops the fleet and the remote members' connections (the local data plane is its owner's). Idempotent. */
  close(): void;
}

/**
 * The DataPlane that `dataPlanes` describes: the local port alone (as before fleets), or a
 * FleetDataPlane over the local port and a remote HttpDataPlane per remote member. A remote
 * member down at start does not stop the control plane (its dead-man guard keeps it safe); it is
 * polled until it answers. A wrong token does stop it: no wait would mend that.
 */
export async function connectDataPlanes(specs: readonly DataPlaneMemberSpec[], o: ConnectDataPlanesOptions): Promise<ConnectedDataPlanes> {
  const log = (o.logger ?? silentLogger()).child({ part: 'fleet' });
  const remotes = new Map<string, HttpDataPlane>();
  const members: FleetMember[] = [];
  try {
    for (const [i, spec] of specs.entries()) {
      if (spec.kind === 'local') {
        if (o.local === undefined) {
          throw new PiperError(
            coreErrors.PIPER_CONFIG_INVALID,
            `dataPlanes[${i}].kind: local needs a data plane in this process, and this one runs none`,
            {
              details: { path: `dataPlanes[${i}].kind` },
            },
          );
        }
        members.push({ name: spec.name, dataPlane: o.local });
        continue;
      }
      if (spec.admin === undefined) {
        throw new PiperError(coreErrors.PIPER_CONFIG_INVALID, `dataPlanes[${i}].admin: is required for kind remote`, {
          details: { path: `dataPlanes[${i}].admin` },
        });
      }
      const remote = await HttpDataPlane.connectOrWait({
        adminUrl: spec.admin,
        clock: o.clock,
        logger: log.child({ member: spec.name }),
        ...(spec.token !== undefined ? { token: spec.token } : {}),
      });
      if (remote.lastError !== null) log.warn({ member: spec.name, err: remote.lastError }, 'data plane unreachable at start; polling it');
      remotes.set(spec.name, remote);
      members.push({ name: spec.name, dataPlane: remote });
    }
  } catch (err) {
    for (const r of remotes.values()) r.close();
    throw err;
  }
  const only = members.length === 1 ? members[0] : undefined;
  if (only !== undefined && remotes.size === 0) {
    return { dataPlane: only.dataPlane, fleet: null, onEvent: () => () => undefined, close: () => undefined };
  }
  const fleet = new FleetDataPlane({
    members,
    clock: o.clock,
    merge: o.merge,
    logger: log,
    reachability: (name) => remotes.get(name)?.lastError?.message ?? null,
    ...(o.retryMs !== undefined ? { retryMs: o.retryMs } : {}),
    ...(o.windowGraceMs !== undefined ? { windowGraceMs: o.windowGraceMs } : {}),
  });
  return {
    dataPlane: fleet,
    fleet,
    onEvent: (listener) => fleet.onEvent(listener),
    close() {
      fleet.close();
      for (const r of remotes.values()) r.close();
    },
  };
}
