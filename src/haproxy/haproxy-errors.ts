import { defineErrors } from '../core/index.ts';

/** The HAProxy data plane's error codes: what each means and what to do (docs/errors.md is generated from them). */
export const haproxyErrors = defineErrors({
  PIPER_HAPROXY_UNSUPPORTED_CONFIG: {
    source: 'config',
    retryable: false,
    meaning:
      'The config holds settings HAProxy cannot express (a port 0, a path a request could never hold, pools of one route checking paths that cannot be mapped, passive checks without active ones, …); the message lists each with its key and the reason. `piper validate` reports the same when `dataPlane.kind` is `haproxy`.',
    whatToDo: 'Change each listed key as its reason says; docs/haproxy.md, "Refused".',
  },
  PIPER_HAPROXY_CONFIG_REJECTED: {
    source: 'config',
    retryable: false,
    meaning:
      "`haproxy -c` refused a rendered config (`piper haproxy config --check`); the message quotes HAProxy's alerts, most often a `tls.cert` file that is missing or holds no private key.",
    whatToDo: 'Fix what the alert names; a rendered config HAProxy refuses for another reason is a piper bug: report it with the alert.',
  },
  PIPER_HAPROXY_NOT_INSTALLED: {
    source: 'config',
    retryable: false,
    meaning: 'No executable at `dataPlane.haproxy.binary` (a bare name is looked up on PATH, then in /usr/local/sbin and /usr/sbin).',
    whatToDo: 'Install HAProxy (`apt-get install haproxy` on Debian or Ubuntu), or set `dataPlane.haproxy.binary` to its path.',
  },
  PIPER_HAPROXY_BAD_SPLIT: {
    source: 'operator',
    retryable: false,
    meaning:
      "HAProxy server weights were asked for a split naming a pool the route's HAProxy backend does not hold, with a negative or non-finite weight, or with every weight 0.",
    whatToDo: "Give a split over the route's pools with at least one weight above 0.",
  },
  PIPER_HAPROXY_SOCKET_UNREACHABLE: {
    source: 'upstream',
    retryable: true,
    meaning:
      "piper could not connect to HAProxy's stats socket (refused, no such file, permission denied). Retried with back-off when a retry may help (HAProxy restarting); the message says after how many attempts.",
    whatToDo:
      'Check that HAProxy runs, that the path (or `ipv4@host:port`) matches its `stats socket` line, and that piper may open it (`mode`, `user`).',
  },
  PIPER_HAPROXY_SOCKET_TIMEOUT: {
    source: 'upstream',
    retryable: true,
    meaning: 'The stats socket accepted (or not) but did not answer within the session timeout (2 s by default). Retried with back-off.',
    whatToDo: 'A stalled HAProxy, or something else listening there: check `show info` by hand (`socat PATH stdio`).',
  },
  PIPER_HAPROXY_CONNECTION_LOST: {
    source: 'upstream',
    retryable: true,
    meaning:
      "The session broke off (reset, or closed before HAProxy's end-of-output mark, the empty line). Retried with back-off; the commands are idempotent.",
    whatToDo: "Usually HAProxy restarting or reloading; if it persists, look at HAProxy's own log.",
  },
  PIPER_HAPROXY_BAD_RESPONSE: {
    source: 'upstream',
    retryable: false,
    meaning:
      "What the socket answered is not the Runtime API's output: control characters or bytes that are not UTF-8, more or fewer answers than commands, a `show` output in another format, or more than 16 MiB. Never retried.",
    whatToDo:
      "The address is not HAProxy's stats socket (an HTTP or TLS port, another service), or HAProxy is a version whose output piper does not read (piper reads 2.6).",
  },
  PIPER_HAPROXY_COMMAND_FAILED: {
    source: 'upstream',
    retryable: false,
    meaning:
      "HAProxy refused a command and said why (`No such server.`, `Can't find backend.`, `Permission denied`, a weight a static balance algorithm cannot take). `details.message` holds its words; after a change, `details.reported` holds the read-back.",
    whatToDo: 'Fix what HAProxy names: a server or backend missing from the running config (reload it), a socket below `level admin`.',
  },
  PIPER_HAPROXY_NOT_APPLIED: {
    source: 'upstream',
    retryable: false,
    meaning:
      'HAProxy took the commands, but `show servers state` read back in the same session does not show the weights or states asked for; the change is not reported as done. `details.differences` lists each server.',
    whatToDo: 'Look at what HAProxy reports: another client changing weights at the same time, or a server missing.',
  },
  PIPER_HAPROXY_INVALID_ARGUMENT: {
    source: 'internal',
    retryable: false,
    meaning:
      "A Runtime API command piper was about to send was refused before the socket: a backend or server name outside HAProxy's identifier characters (letters, digits, `-`, `_`, `.`, `:`), a weight outside 0..256, a state other than ready, drain or maint, a command holding a newline or `;`.",
    whatToDo: 'A bug in the caller or a config name HAProxy cannot hold; the message names the value.',
  },
  PIPER_HAPROXY_LOG_BIND: {
    source: 'internal',
    retryable: false,
    meaning: "The UDP socket for HAProxy's per-request log lines could not be bound (port in use, address not local).",
    whatToDo: 'Pick another port, or leave it to piper (port 0).',
  },
  PIPER_HAPROXY_UNREACHABLE: {
    source: 'upstream',
    retryable: true,
    meaning:
      "The HAProxy data plane could not reach HAProxy's Runtime API after the client's retries (the stats socket refused, was missing, timed out or broke off: `details.socketCode`). A split, drain or heartbeat was not applied, and the window stream fails meanwhile, since lost log lines cannot be counted without HAProxy's counters. Retryable: the controller re-sends the recorded split every second, and HAProxy's own dead-man guard reverts a route under migration if heartbeats stop.",
    whatToDo:
      'Check that HAProxy runs and that `dataPlane.haproxy.statsSocket` is its `stats socket`; `piper up` restarts an HAProxy it started.',
  },
  PIPER_HAPROXY_NO_GUARD: {
    source: 'config',
    retryable: false,
    meaning:
      'A split with a dead-man guard was asked of an HAProxy that has no piper guard (`piper guard` is an unknown command there: it was not started on the config piper renders). Nothing was changed: a migration step never runs unguarded.',
    whatToDo: 'Start HAProxy on `piper haproxy config --guard FILE` (it loads the guard with `lua-load`), or let `piper up` start HAProxy.',
  },
  PIPER_HAPROXY_NO_RELOAD: {
    status: 501,
    source: 'operator',
    retryable: false,
    meaning:
      'A reload (SIGHUP, `POST /api/v1/reload`) was asked of `piper up` on the HAProxy data plane, which does not reload piper.yaml yet. Nothing changed.',
    whatToDo: 'Restart `piper up`: it writes the new haproxy.cfg and restarts HAProxy with it.',
  },
  PIPER_HAPROXY_START_FAILED: {
    source: 'upstream',
    retryable: false,
    meaning:
      "`piper up` started HAProxy, but it exited or its stats socket did not answer within 10 s; the message quotes HAProxy's alerts (a port in use, a certificate it cannot read).",
    whatToDo: 'Fix what the alert names; `piper haproxy config --check` shows the same alerts without starting anything.',
  },
});

declare module '../core/piper-error.ts' {
  interface PiperErrorCodes extends Record<keyof typeof haproxyErrors, true> {}
}
