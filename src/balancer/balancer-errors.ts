import { defineErrors } from '../core/index.ts';

/** The balancer's error codes: what each means and what to do (docs/errors.md is generated from them). */
export const balancerErrors = defineErrors({
  PIPER_BALANCER_BAD_REQUEST: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning:
      'The HTTP parser refused the request: malformed request line or headers, or ambiguous framing such as `Content-Length` with `Transfer-Encoding` (request smuggling) (HTTP 400; the connection is closed).',
    whatToDo: 'Send a well-formed HTTP/1.1 request.',
  },
  PIPER_BALANCER_METHOD_NOT_ALLOWED: {
    status: 405,
    source: 'downstream',
    retryable: false,
    meaning:
      "CONNECT or TRACE: a reverse proxy opens no tunnels, and TRACE would echo the client's headers (cookies included) to a script (HTTP 405, with `Allow`; the connection is closed).",
    whatToDo: 'Send the request with another method; tunnels need a forward proxy.',
  },
  PIPER_BALANCER_HEADERS_TOO_LARGE: {
    status: 431,
    source: 'downstream',
    retryable: false,
    meaning:
      'The request head was over 16 KiB, or had more than 100 header fields. The admin listener answers the same for a head over 16 KiB.',
    whatToDo: 'Send fewer or smaller headers (cookies are the usual cause).',
  },
  PIPER_BALANCER_REQUEST_TIMEOUT: {
    status: 408,
    source: 'downstream',
    retryable: false,
    meaning:
      'The client did not send its headers within `timeouts.headers` or the request within `timeouts.request` (HTTP 408; slowloris guard). The admin listener answers the same after 10 s for the head, 30 s for the request.',
    whatToDo: 'Send the request promptly; raise the timeout if clients are legitimately slow.',
  },
  PIPER_BALANCER_BODY_TOO_SLOW: {
    status: 408,
    source: 'downstream',
    retryable: false,
    meaning:
      'A request body that was still arriving while its request held a backend slot brought less than `requestBody.minRate` over a `requestBody.rateWindow` (HTTP 408; the connection is closed, the slot freed). Time the backend was not reading does not count.',
    whatToDo:
      'Send the body at a steady rate; raise `requestBody.buffer` so that it is read before admission, or lower `requestBody.minRate`.',
  },
  PIPER_BALANCER_UNSUPPORTED_HTTP_VERSION: {
    status: 505,
    source: 'downstream',
    retryable: false,
    meaning:
      'The request line named an HTTP version other than 1.0 or 1.1, such as `HTTP/2.0` sent as text (HTTP 505; the connection is closed).',
    whatToDo: 'Speak HTTP/1.1 to the public listener (HTTP/2 is not served).',
  },
  PIPER_BALANCER_UNSUPPORTED_TRANSFER_CODING: {
    status: 501,
    source: 'downstream',
    retryable: false,
    meaning: "The request's `Transfer-Encoding` named a coding the balancer does not know (HTTP 501; the connection is closed).",
    whatToDo: 'Send the body with `Content-Length`, or `Transfer-Encoding: chunked`.',
  },
  PIPER_BALANCER_BAD_HOST: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning: 'The `Host` header was missing or malformed.',
    whatToDo: 'Send a valid `Host` (name or address, optional port).',
  },
  PIPER_BALANCER_NO_ROUTE: {
    status: 404,
    source: 'downstream',
    retryable: false,
    meaning: "No route matches the request's host and path.",
    whatToDo: 'Add a route, or check `match.host` / `match.pathPrefix`.',
  },
  PIPER_BALANCER_NO_HEALTHY_BACKEND: {
    status: 503,
    source: 'upstream',
    retryable: true,
    meaning:
      "No pool of the route's split (nor of its `failover` list) has a healthy backend. A `pool.no_healthy_backend` event is emitted.",
    whatToDo: 'Look at `GET /api/v1/state` for why backends are down; add a failover pool.',
  },
  PIPER_BALANCER_OVERLOADED: {
    status: 503,
    source: 'internal',
    retryable: true,
    meaning:
      'Shed by admission: the pool is at its adaptive concurrency limit with a full queue, waited longer than `admission.queueTimeout`, or the event loop lags over `overload.eventLoopLag` (HTTP 503 with `Retry-After`). Retryable.',
    whatToDo: 'Retry after the given seconds; add capacity; see `piper_requests_shed_total`.',
  },
  PIPER_BALANCER_UPSTREAM_CONNECT: {
    status: 502,
    source: 'upstream',
    retryable: true,
    meaning: 'Every allowed attempt failed to connect to a backend. Retryable.',
    whatToDo: 'Check the backend is up and `timeouts.connect`.',
  },
  PIPER_BALANCER_UPSTREAM_TIMEOUT: {
    status: 504,
    source: 'upstream',
    retryable: true,
    meaning:
      'The backend did not send response headers within `timeouts.upstreamHeaders`, or, on a pool a rollback took out of its route, within 750 ms of the rollback for a request that could not be sent elsewhere (HTTP 504; docs/balancer.md, Rescue on rollback).',
    whatToDo: 'Check the backend; raise the timeout for slow endpoints.',
  },
  PIPER_BALANCER_UPSTREAM_RESET: {
    status: 502,
    source: 'upstream',
    retryable: true,
    meaning: 'The backend closed the connection before answering.',
    whatToDo: "Check the backend's logs (crash, restart, idle timeout shorter than 4 s).",
  },
  PIPER_BALANCER_UPSTREAM_PROTOCOL: {
    status: 502,
    source: 'upstream',
    retryable: false,
    meaning: "The backend's answer was not valid HTTP, or the attempt failed for another reason.",
    whatToDo: 'Check the backend speaks HTTP/1.1 on the configured URL.',
  },
  PIPER_BALANCER_UPSTREAM_UNAVAILABLE: {
    source: 'upstream',
    retryable: true,
    meaning: 'The backend answered 502/503/504 and no retry was possible (the status is passed on).',
    whatToDo: 'See the backend; the retry budget or attempts may be exhausted.',
  },
  PIPER_BALANCER_UPSTREAM_CONNECT_TIMEOUT: {
    source: 'upstream',
    retryable: true,
    meaning:
      'Upstream client (internal, in logs and error causes): connecting to a backend took longer than `timeouts.connect`. Counted as a connect failure; the client sees `_UPSTREAM_CONNECT` if no retry succeeds.',
    whatToDo: 'Check the backend is reachable; raise `timeouts.connect`.',
  },
  PIPER_BALANCER_UPSTREAM_HEADERS_TIMEOUT: {
    source: 'upstream',
    retryable: true,
    meaning:
      "Upstream client (internal): no response head within `timeouts.upstreamHeaders` of the request (or of its body's last progress). Counted as a timeout; the client sees `_UPSTREAM_TIMEOUT`.",
    whatToDo: 'Check the backend; raise the timeout for slow endpoints.',
  },
  PIPER_BALANCER_UPSTREAM_BODY_TIMEOUT: {
    source: 'upstream',
    retryable: true,
    meaning:
      "Upstream client (internal): the response body stalled longer than `timeouts.upstreamBody` (time the client itself reads slowly does not count). The client's response is cut off.",
    whatToDo: 'Check the backend; raise `timeouts.upstreamBody` for slow streams.',
  },
  PIPER_BALANCER_UPSTREAM_BAD_RESPONSE: {
    source: 'upstream',
    retryable: false,
    meaning:
      "Upstream client (internal): the backend's answer was not valid HTTP/1.1: malformed status line or header, `Content-Length` with `Transfer-Encoding`, differing repeated `Content-Length`, a head over 64 KiB, a bad chunk size. Counted as a protocol error; the client sees `_UPSTREAM_PROTOCOL` (or a cut-off response).",
    whatToDo: "Fix the backend's framing; check it speaks HTTP/1.1 on the configured URL.",
  },
  PIPER_BALANCER_UPSTREAM_CLOSED: {
    source: 'upstream',
    retryable: true,
    meaning:
      'Upstream client (internal): the backend closed the connection before the response ended. Counted as a reset; a body-less idempotent request that lost a kept-alive connection this way before any response byte is sent again once on another connection.',
    whatToDo: "Check the backend's logs (crash, restart, idle timeout shorter than 4 s).",
  },
  PIPER_BALANCER_UPSTREAM_POOL_CLOSED: {
    source: 'upstream',
    retryable: true,
    meaning:
      "Upstream client (internal): the backend's connection pool was closed (shutdown, or the backend left the config) while the request waited or ran.",
    whatToDo: 'None: it happens only while stopping or reloading.',
  },
  PIPER_BALANCER_UPSTREAM_ABORTED: {
    source: 'upstream',
    retryable: false,
    meaning:
      'Upstream client (internal): the request was cancelled because the client went away (or its request body broke off); the upstream connection is closed, never reused. Recorded as `client_abort`.',
    whatToDo: 'None.',
  },
  PIPER_BALANCER_INTERNAL: {
    status: 500,
    source: 'internal',
    retryable: false,
    meaning: 'A bug in the balancer or any admin API handler (HTTP 500, logged with the stack; the answer carries no message).',
    whatToDo: 'Report it with the log line.',
  },
  PIPER_BALANCER_API_NOT_FOUND: {
    status: 404,
    source: 'downstream',
    retryable: false,
    meaning: 'No admin API answers that method and path.',
    whatToDo: 'See docs/api.md.',
  },
  PIPER_BALANCER_UNAUTHORIZED: {
    status: 401,
    source: 'operator',
    retryable: false,
    meaning: 'The admin API needs a bearer token and none (or a wrong one) was sent.',
    whatToDo: 'Send `Authorization: Bearer <token>` (read token for GET, admin token otherwise).',
  },
  PIPER_BALANCER_FORBIDDEN: {
    status: 403,
    source: 'operator',
    retryable: false,
    meaning: 'The read-only token was used for a change.',
    whatToDo: 'Use the admin token.',
  },
  PIPER_BALANCER_MISDIRECTED_REQUEST: {
    status: 421,
    source: 'downstream',
    retryable: false,
    meaning:
      "The request's `Host` is not a name the admin listener answers to: not the address it was reached on (nor a loopback name on loopback), nor in `admin.allowedHosts`. Refused for reads and writes, so a page on another name cannot reach the API through DNS rebinding.",
    whatToDo: "Use the listener's address, or add the name you use to `admin.allowedHosts`.",
  },
  PIPER_BALANCER_STARTING: {
    status: 503,
    source: 'internal',
    retryable: true,
    meaning:
      "The admin listener is bound but the API behind it is still being composed (`retry-after: 1`): the moments between binding and the control plane's start.",
    whatToDo: 'Retry in a second.',
  },
  PIPER_BALANCER_CROSS_SITE: {
    status: 403,
    source: 'downstream',
    retryable: false,
    meaning:
      'A request that changes state came from a browser page of another origin: a foreign or `null` `Origin`, or `Sec-Fetch-Site` other than `same-origin`/`none`.',
    whatToDo: 'Change state from the dashboard, or from a client that is not a browser (curl, `piper` commands).',
  },
  PIPER_BALANCER_LOOPBACK_ONLY: {
    status: 403,
    source: 'operator',
    retryable: false,
    meaning:
      'No admin token is configured, and a change came from another machine or addressed the listener by a name that is not `127.0.0.1`, `[::1]` or `localhost`.',
    whatToDo: 'Send it from this machine to `http://127.0.0.1:PORT`, or set `admin.token` and send it as a bearer token.',
  },
  PIPER_BALANCER_ADMIN_INSECURE: {
    source: 'config',
    retryable: false,
    meaning:
      '`piper up` refused to start: `admin.address` is not loopback and `admin.token` is not set, so anyone reaching the port could move traffic.',
    whatToDo: 'Set `admin.token`, or bind `admin.address` to 127.0.0.1.',
  },
  PIPER_BALANCER_ADMIN_WEAK_TOKEN: {
    source: 'config',
    retryable: false,
    meaning:
      "`piper up` refused to start (exit code 2): `admin.token` or `admin.readToken` is a token published in piper's examples or docs, looks like a placeholder (`change-me`, `replace-me`, ...), or has fewer than 6 different characters. The message names the key, never the token.",
    whatToDo: 'Make a new token (`openssl rand -hex 32`) and pass it through the environment: `token: ${PIPER_ADMIN_TOKEN}`.',
  },
  PIPER_BALANCER_BAD_FLAG: {
    source: 'operator',
    retryable: false,
    meaning:
      '`piper up` got a bad `--port`, `--admin-port` or `--dashboard-port` (not 0–65535), `--data-plane` (not piper or haproxy), `--role` (all or data) or `--log-level` (not a pino level).',
    whatToDo: 'Pass what the message asks for; for a port, 0 picks a free one.',
  },
});

declare module '../core/piper-error.ts' {
  interface PiperErrorCodes extends Record<keyof typeof balancerErrors, true> {}
}
