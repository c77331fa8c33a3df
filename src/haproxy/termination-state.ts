import type { ErrorKind } from '../telemetry/index.ts';

/**
 * piper's error kind for HAProxy's termination state (configuration manual §8.5): the first
 * character says what ended the session, the second in which phase. `noServer` is true when the
 * line's server is `<NOSRV>` (no server was picked). docs/haproxy.md has the table.
 *
 * - `C`, `c`: the client aborted or timed out: `client_abort` (not a failure, as in the balancer).
 * - `SC` with no server: no server could take it (every one down or in maintenance): `no_backend`;
 *   `SC` with a server, `sC` (connect timeout), `PC`, `RC`: the connection failed: `connect`.
 * - `sQ`: expired in the queue (`timeout queue`, 503): HAProxy's load shedding: `shed`.
 * - `sH`, `sD`, `sL`: the server timed out: `timeout`.
 * - `SH`, `SD`, `SL`, `SQ`, and sessions killed by HAProxy (`D` server marked down, `U` backup
 *   killed, `K` admin shutdown): the server side broke: `reset`.
 * - `P` (other phases), `I`: HAProxy blocked an invalid message or failed itself: `protocol`.
 * - `-` (normal), `L` (answered by HAProxy itself): none; a 5xx still counts as failed by status.
 * - Anything else (a state newer than HAProxy 2.6): `protocol`, so an unknown end is never read as success.
 */
export function errorKindOf(first: number, second: number, noServer: boolean): ErrorKind | null {
  switch (first) {
    case 0x2d /* - */:
    case 0x4c /* L */:
      return null;
    case 0x43 /* C */:
    case 0x63 /* c */:
      return 'client_abort';
    case 0x53 /* S */:
      return second === 0x43 /* C */ ? (noServer ? 'no_backend' : 'connect') : 'reset';
    case 0x73 /* s */:
      if (second === 0x51 /* Q */) return 'shed';
      return second === 0x43 /* C */ ? 'connect' : 'timeout';
    case 0x50 /* P */:
      return second === 0x43 /* C */ ? 'connect' : 'protocol';
    case 0x52 /* R */:
      return 'connect';
    case 0x44 /* D */:
    case 0x55 /* U */:
    case 0x4b /* K */:
      return 'reset';
    default:
      return 'protocol';
  }
}
