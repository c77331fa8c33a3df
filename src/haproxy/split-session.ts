import { PiperError } from '../core/index.ts';
import { GUARD_SHOW_COMMAND, type GuardReport, guardArmCommand, guardDisarmCommand, noGuard, parseGuardShow } from './dead-man-guard.ts';
import type { RuntimeApiClient } from './runtime-api-client.ts';
import { setWeightCommand, showServersStateCommand } from './runtime-api-command.ts';
import { commandFailed } from './runtime-api-output.ts';
import { parseServersState, type ServerState } from './servers-state.ts';
import { haproxyErrors } from './haproxy-errors.ts';

/** What a split does to the route's dead-man guard: arm it with the safe split's weights, disarm it, or leave it. */
export type GuardChange = { arm: { timeoutMs: number; weights: Readonly<Record<string, number>> } } | 'disarm' | 'keep';

/** What HAProxy reported once the session ran: the route's servers and, when the guard was touched, its guards. */
export interface AppliedSplit {
  servers: Readonly<Record<string, ServerState>>;
  guard: GuardReport | null;
}

/**
 * Sets a route's server weights and its guard, reads both back, and returns what HAProxy
 * reports. Arming comes first, in a session of its own read back with `piper guard show`: a split
 * under a guard is never applied unless HAProxy holds the guard (an HAProxy without piper's guard,
 * or one refusing it, leaves the weights untouched), and an armed guard whose time ran out cannot
 * fire between the new weights and its re-arming. Then the weights (and a disarm) in ONE session,
 * read back in that same session. Throws, and nothing is to be recorded as done, when HAProxy
 * refused a command (`PIPER_HAPROXY_COMMAND_FAILED`), has no guard to arm (`PIPER_HAPROXY_NO_GUARD`),
 * or reads back anything but what was asked (`PIPER_HAPROXY_NOT_APPLIED`, each difference in
 * `details`). Socket failures are the client's, retried by it with back-off.
 */
export async function applySplitSession(
  client: RuntimeApiClient,
  route: string,
  weights: Readonly<Record<string, number>>,
  guard: GuardChange,
): Promise<AppliedSplit> {
  let report: GuardReport | null = null;
  if (guard !== 'keep' && guard !== 'disarm') {
    const arm = guardArmCommand(route, guard.arm.timeoutMs, guard.arm.weights);
    const [out, shown] = (await client.execute([arm, GUARD_SHOW_COMMAND])) as [string[], string[]];
    if (out.length > 0) {
      if ((out[0] ?? '').startsWith('Unknown command')) throw noGuard();
      throw commandFailed(arm, out.join(' '));
    }
    report = parseGuardShow(shown);
    const g = report.armed.get(route);
    if (g === undefined || g.timeoutMs !== guard.arm.timeoutMs) {
      throw new PiperError(haproxyErrors.PIPER_HAPROXY_NOT_APPLIED, `HAProxy reports the dead-man guard of ${route} not armed as asked`, {
        details: {
          backend: route,
          asked: { timeoutMs: guard.arm.timeoutMs },
          reported: g === undefined ? null : { timeoutMs: g.timeoutMs },
        },
      });
    }
  }
  const sets = Object.entries(weights).map(([server, w]) => setWeightCommand(route, server, w));
  const disarm = guard === 'disarm' ? [guardDisarmCommand(route)] : [];
  const blocks = await client.execute([...sets, ...disarm, showServersStateCommand(route)]);
  const servers: Record<string, ServerState> = {};
  for (const s of parseServersState(blocks[blocks.length - 1] as string[])) servers[s.server] = s;
  sets.forEach((command, i) => {
    const out = blocks[i] as string[];
    if (out.length > 0) throw withReported(commandFailed(command, out.join(' ')), servers);
  });
  const disarmed = blocks[sets.length] as string[];
  // Disarming a guard HAProxy never loaded leaves nothing armed: only arming needs one.
  if (disarm.length > 0 && disarmed.length > 0 && !(disarmed[0] ?? '').startsWith('Unknown command')) {
    throw withReported(commandFailed(disarm[0] as string, disarmed.join(' ')), servers);
  }
  const differences: Array<Record<string, unknown>> = [];
  for (const [server, w] of Object.entries(weights)) {
    const s = servers[server];
    if (s === undefined || s.weight !== w) differences.push({ server, asked: w, reported: s?.weight ?? null });
  }
  if (differences.length > 0) {
    throw new PiperError(
      haproxyErrors.PIPER_HAPROXY_NOT_APPLIED,
      `HAProxy reports route ${route} not as asked (${differences.length} difference(s))`,
      {
        details: { backend: route, differences, reported: weightsOf(servers) },
      },
    );
  }
  return { servers, guard: report };
}

/** The weight of each server, as HAProxy reported it. */
export function weightsOf(servers: Readonly<Record<string, ServerState>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, s] of Object.entries(servers)) out[name] = s.weight;
  return out;
}

/** HAProxy's refusal (PIPER_HAPROXY_COMMAND_FAILED), with the weights it reported. */
function withReported(err: PiperError, servers: Readonly<Record<string, ServerState>>): PiperError {
  return new PiperError(haproxyErrors.PIPER_HAPROXY_COMMAND_FAILED, err.message, {
    details: { ...err.details, reported: weightsOf(servers) },
  });
}
