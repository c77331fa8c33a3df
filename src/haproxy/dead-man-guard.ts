import { PiperError } from '../core/index.ts';
import { checkName } from './runtime-api-command.ts';
import { garbage } from './runtime-api-output.ts';
import { MAX_SERVER_WEIGHT } from './server-weights.ts';
import { haproxyErrors } from './haproxy-errors.ts';

/** `piper guard show`: the guards of the running worker. */
export const GUARD_SHOW_COMMAND = 'piper guard show';
const HEADER = '# piper guard 1';

/** An armed guard as HAProxy's worker holds it. */
export interface ArmedGuard {
  route: string;
  timeoutMs: number;
  /** Since its last heartbeat (or its arming), by HAProxy's clock. */
  silentMs: number;
}

/** A revert the guard made: the route's safe weights set after `silentMs` without a heartbeat. */
export interface FiredGuard {
  /** Increases with each revert of one worker (a new worker starts again at 1). */
  seq: number;
  route: string;
  agoMs: number;
  silentMs: number;
  timeoutMs: number;
}

export interface GuardReport {
  armed: ReadonlyMap<string, ArmedGuard>;
  fired: readonly FiredGuard[];
}

/** `piper guard arm`: arms a route's guard with the safe split's weight for every server of its backend. */
export function guardArmCommand(route: string, timeoutMs: number, weights: Readonly<Record<string, number>>): string {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 3_600_000) {
    throw new PiperError(
      haproxyErrors.PIPER_HAPROXY_INVALID_ARGUMENT,
      `dead-man timeout ${timeoutMs} ms of ${route} is not an integer in 100..3600000`,
      {
        details: { route, timeoutMs },
      },
    );
  }
  const pairs = Object.entries(weights).map(([server, w]) => {
    if (!Number.isInteger(w) || w < 0 || w > MAX_SERVER_WEIGHT) {
      throw new PiperError(
        haproxyErrors.PIPER_HAPROXY_INVALID_ARGUMENT,
        `safe weight ${w} of ${route}/${server} is not an integer in 0..256`,
        {
          details: { route, server, weight: w },
        },
      );
    }
    return `${checkName('server', server)}=${w}`;
  });
  return `piper guard arm ${checkName('backend', route)} ${timeoutMs} ${pairs.join(' ')}`;
}

/** `piper guard beat`: a heartbeat for a route's guard. */
export function guardBeatCommand(route: string): string {
  return `piper guard beat ${checkName('backend', route)}`;
}

/** `piper guard disarm`. */
export function guardDisarmCommand(route: string): string {
  return `piper guard disarm ${checkName('backend', route)}`;
}

/**
 * Parses `piper guard show`. HAProxy's "Unknown command" answer means the worker has no guard
 * loaded (an HAProxy piper attached to, started without the config piper renders):
 * PIPER_HAPROXY_NO_GUARD, since a migration must never run unguarded.
 */
export function parseGuardShow(block: readonly string[]): GuardReport {
  const first = block[0] ?? '';
  if (first.startsWith('Unknown command')) throw noGuard();
  if (first !== HEADER) throw garbage([GUARD_SHOW_COMMAND], block.join('\n'), `no "${HEADER}" line`);
  const armed = new Map<string, ArmedGuard>();
  const fired: FiredGuard[] = [];
  for (const line of block.slice(1)) {
    const f = line.split(' ');
    const n = (i: number): number => {
      const v = f[i] ?? '';
      if (!/^-?\d+$/.test(v)) throw garbage([GUARD_SHOW_COMMAND], line, `field ${i + 1} is not a number`);
      return Number(v);
    };
    if (f[0] === 'armed' && f.length === 4) {
      armed.set(f[1] as string, { route: f[1] as string, timeoutMs: n(2), silentMs: Math.max(0, n(3)) });
    } else if (f[0] === 'fired' && f.length === 6) {
      fired.push({ seq: n(1), route: f[2] as string, agoMs: Math.max(0, n(3)), silentMs: n(4), timeoutMs: n(5) });
    } else {
      throw garbage([GUARD_SHOW_COMMAND], line, 'a line neither "armed" nor "fired"');
    }
  }
  return { armed, fired };
}

/** The error for a worker without piper's guard (or a guard command refused). */
export function noGuard(detail?: string): PiperError {
  return new PiperError(
    haproxyErrors.PIPER_HAPROXY_NO_GUARD,
    `HAProxy has no piper dead-man guard${detail === undefined ? '' : ` (${detail})`}: a migration cannot run unguarded; start HAProxy on the config piper renders (it loads the guard with lua-load), or let piper up start it`,
    { details: detail === undefined ? {} : { detail } },
  );
}
