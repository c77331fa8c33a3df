/**
 * The `log-format` HAProxy is given so that each request's line carries what piper folds into
 * its windows (HAProxy configuration manual §8.2.6 for the variables, §8.4 for the timers, §8.5
 * for the termination state). Write it in double quotes in `haproxy.cfg`:
 * `log-format "piper1 %[date(0,ms)] ..."`. Fields, space-separated, in this order:
 *
 * | # | variable | what |
 * |---|---|---|
 * | 0 | `piper1` | marker and version of this format; the parser finds the line by it, whatever syslog header precedes it |
 * | 1 | `%[date(0,ms)]` | epoch ms when the line was built: the end of the response (no `option logasap`) |
 * | 2 | `%f` | frontend; equal to `%b` when the request never reached a backend (refused, bad request) |
 * | 3 | `%b` | backend = piper route |
 * | 4 | `%s` | server = `<pool>--<backend>`, or `<NOSRV>` |
 * | 5 | `%ST` | status sent to the client (-1 when none) |
 * | 6–10 | `%TR %Tw %Tc %Tr %Ta` | ms: request head received, queue, connect, server response head, active time (-1: never reached) |
 * | 11 | `%U` | bytes read from the client |
 * | 12 | `%B` | bytes sent to the client |
 * | 13 | `%ts` | termination state, two characters |
 * | 14 | `%rc` | retries (`+N` when redispatched) |
 * | 15 | `.` | end mark: a line without it was cut |
 */
export const PIPER_LOG_FORMAT = 'piper1 %[date(0,ms)] %f %b %s %ST %TR %Tw %Tc %Tr %Ta %U %B %ts %rc .';

/** The first word of every line in {@link PIPER_LOG_FORMAT}. */
export const PIPER_LOG_MARKER = 'piper1 ';

/**
 * Separator between pool and backend in HAProxy server names: server `vendor--v1` is backend
 * `v1` of pool `vendor`. Pool names must not hold `--`; a pool name ending in '-' still splits
 * right, since backend names start with a letter or digit.
 */
export const SERVER_NAME_SEPARATOR = '--';

/** The HAProxy server name of a pool's backend. */
export function serverName(pool: string, backend: string): string {
  return `${pool}${SERVER_NAME_SEPARATOR}${backend}`;
}

/**
 * Splits an HAProxy server name into pool and backend at the first `--` (moved right past any
 * further dashes, which belong to a pool name ending in '-'); null when there is none.
 */
export function splitServerName(server: string): { pool: string; backend: string } | null {
  let i = server.indexOf(SERVER_NAME_SEPARATOR);
  if (i <= 0) return null;
  while (server.charCodeAt(i + 2) === 0x2d) i++;
  const backend = server.slice(i + 2);
  if (backend === '') return null;
  return { pool: server.slice(0, i), backend };
}
