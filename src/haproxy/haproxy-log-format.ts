/**
 * The one line HAProxy sends piper per request (`log-format`, sent as UDP syslog with `format raw`:
 * the datagram is the line and nothing else). Fields are separated by one space; none can hold a
 * space (names are HAProxy identifiers, the rest numbers or flags). HAProxy writes `-1` for a
 * timer it never reached (no connection, no response) and `<NOSRV>` when no server was picked.
 *
 * The line starts with a version tag so that piper tells its own lines from anything else HAProxy
 * sends the same target (a server going down or up, with `log` in the backend) and can change the
 * format later without misreading an old HAProxy.
 */
export const LOG_LINE_TAG = 'piper2';

/** Fields after the tag, in order: the name piper uses, the HAProxy variable, what it holds. */
export const LOG_FIELDS = [
  ['endMs', '%[date(0,ms)]', 'Unix time in ms when the line was written: the end of the request'],
  ['frontend', '%f', 'frontend: `listener.<name>`'],
  ['route', '%b', 'backend: the route (or `piper.no-route`, or the frontend for a request refused before routing)'],
  ['server', '%s', 'server: `<pool>.<backend>` or `<pool>.<backend>.failover`, `<NOSRV>` when none was picked'],
  ['status', '%ST', 'status sent to the client (-1 when none)'],
  ['requestMs', '%TR', 'time to receive the request head (ms)'],
  ['queueMs', '%Tw', 'time waiting in queues (ms, -1 when never queued because the request ended before)'],
  ['connectMs', '%Tc', 'time to connect to the server (ms, -1 when no connection was made)'],
  ['responseMs', '%Tr', 'time from request sent to response head received (ms, -1 when none)'],
  ['activeMs', '%Ta', 'active time of the request, head received to last byte sent (ms)'],
  ['bytesIn', '%U', 'bytes read from the client, request head included'],
  ['bytesOut', '%B', 'bytes sent to the client, response head included'],
  ['termination', '%ts', 'termination state, two characters (`--` normal; e.g. `sQ` queue timeout, `SC` connect refused)'],
  ['retries', '%rc', 'retries; prefixed with `+` when the request was redispatched to another server'],
  ['clientAddress', '%ci', "the client's address: who the request's user is, for the route's count of distinct users"],
] as const;

/** The last word of every line: a line without it was cut (by HAProxy's `len`, or in transit). */
export const LOG_LINE_END = '.';

/** The `log-format` string, as it goes (quoted) into haproxy.cfg: the tag, the fields, the end mark. */
export const LOG_FORMAT = [LOG_LINE_TAG, ...LOG_FIELDS.map(([, variable]) => variable), LOG_LINE_END].join(' ');
