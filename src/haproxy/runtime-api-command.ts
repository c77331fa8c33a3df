import { PiperError } from '../core/index.ts';

/** A server's administrative state as `set server B/S state` takes it (management guide §9.3). */
export type ServerAdminState = 'ready' | 'drain' | 'maint';

/** HAProxy's largest absolute server weight (management guide §9.3, `set weight`). */
import { MAX_SERVER_WEIGHT } from './server-weights.ts';
import { haproxyErrors } from './haproxy-errors.ts';

/**
 * HAProxy's identifier alphabet for proxies and servers (letters, digits, '-', '_', '.', ':').
 * Anything else is refused before it reaches the socket: the Runtime API reads ';' as a command
 * separator and a newline as the end of the session, so a name holding one would smuggle a
 * second command (`web/a;set server web/b state maint`) into an admin-level session.
 */
const NAME = /^[A-Za-z0-9_.:-]{1,127}$/;

/** Throws PIPER_HAPROXY_INVALID_ARGUMENT unless `name` is a plain HAProxy identifier. */
export function checkName(what: 'backend' | 'server', name: string): string {
  if (!NAME.test(name)) {
    throw new PiperError(
      haproxyErrors.PIPER_HAPROXY_INVALID_ARGUMENT,
      `${what} name ${JSON.stringify(name)} is not an HAProxy identifier`,
      {
        details: { [what]: name },
      },
    );
  }
  return name;
}

/** `set server B/S weight N`, with N an integer in 0..256. */
export function setWeightCommand(backend: string, server: string, weight: number): string {
  if (!Number.isInteger(weight) || weight < 0 || weight > MAX_SERVER_WEIGHT) {
    throw new PiperError(
      haproxyErrors.PIPER_HAPROXY_INVALID_ARGUMENT,
      `weight ${weight} of ${backend}/${server} is not an integer in 0..256`,
      {
        details: { backend, server, weight },
      },
    );
  }
  return `set server ${checkName('backend', backend)}/${checkName('server', server)} weight ${weight}`;
}

/** `set server B/S state ready|drain|maint`. */
export function setStateCommand(backend: string, server: string, state: ServerAdminState): string {
  if (state !== 'ready' && state !== 'drain' && state !== 'maint') {
    throw new PiperError(
      haproxyErrors.PIPER_HAPROXY_INVALID_ARGUMENT,
      `state ${JSON.stringify(state)} of ${backend}/${server} is not ready, drain or maint`,
      {
        details: { backend, server, state },
      },
    );
  }
  return `set server ${checkName('backend', backend)}/${checkName('server', server)} state ${state}`;
}

/** `show servers state [B]`. */
export function showServersStateCommand(backend?: string): string {
  return backend === undefined ? 'show servers state' : `show servers state ${checkName('backend', backend)}`;
}

/**
 * Joins commands into the one line of a non-interactive session. A command holding a newline or
 * an unescaped ';' is refused: it would end the line early or start a command nobody wrote.
 */
export function sessionLine(commands: readonly string[]): string {
  if (commands.length === 0) {
    throw new PiperError(haproxyErrors.PIPER_HAPROXY_INVALID_ARGUMENT, 'a Runtime API session needs at least one command');
  }
  for (const c of commands) {
    if (c.length === 0 || /[\r\n\0]/.test(c) || /(^|[^\\]);/.test(c)) {
      throw new PiperError(
        haproxyErrors.PIPER_HAPROXY_INVALID_ARGUMENT,
        `Runtime API command ${JSON.stringify(c)} is empty or holds a newline or ';'`,
        {
          details: { command: c },
        },
      );
    }
  }
  return `${commands.join(';')}\n`;
}
