import { defineErrors } from '../core/index.ts';

/** The data-plane port's error codes: what each means and what to do (docs/errors.md is generated from them). */
export const dataPlaneErrors = defineErrors({
  PIPER_SPLIT_STALE_TERM: {
    status: 409,
    source: 'downstream',
    retryable: false,
    meaning:
      'A split, heartbeat or `POST /api/v1/term` carried a leader term older than the newest this data plane has seen (fencing, HTTP 409); the message names both terms and the current leader, and the data plane journals `split.refused`. Nothing changed.',
    whatToDo:
      "The sender is a deposed leader: it must stop steering (it has lost its lease). An operator's split carries no term and is never refused.",
  },
  PIPER_FLEET_SPLIT_INCOMPLETE: {
    status: 502,
    source: 'upstream',
    retryable: true,
    meaning:
      "A split sent to a fleet of data planes (`dataPlanes`) was not acknowledged by every member (HTTP 502, retryable); the message names each member that missed it and why, `details.members` holds every member's acknowledgement. The members that missed it get it again every second while it is the newest split asked for the route.",
    whatToDo:
      'Check the members named (their admin API, token, process); a member that stays away reverts on its own by its dead-man guard during a migration.',
  },
  PIPER_FLEET_DRAIN_PER_MEMBER: {
    status: 400,
    source: 'operator',
    retryable: false,
    meaning:
      'A drain or undrain was asked of `piper control`, which holds no connections to backends: a backend is drained on each data plane that sends it traffic. Nothing changed.',
    whatToDo: "Send `POST /api/v1/pools/POOL/backends/BACKEND/drain` to each data plane's admin API (the `dataPlanes` members).",
  },
  // Every DataPlane refuses with these (the balancer, HAProxy, over HTTP), so they live with the port;
  // the names keep the part that raised them first, as codes are stable.
  PIPER_BALANCER_UNKNOWN_ROUTE: {
    status: 404,
    source: 'operator',
    retryable: false,
    meaning: 'The admin API or `DataPlane.setSplit` named a route that does not exist.',
    whatToDo: 'Use a route name from `GET /api/v1/state`.',
  },
  PIPER_BALANCER_UNKNOWN_POOL: {
    status: 404,
    source: 'operator',
    retryable: false,
    meaning: 'A drain/undrain named a pool that does not exist.',
    whatToDo: 'Use a pool name from `GET /api/v1/state`.',
  },
  PIPER_BALANCER_UNKNOWN_BACKEND: {
    status: 404,
    source: 'operator',
    retryable: false,
    meaning: 'A drain/undrain named a backend the pool does not have.',
    whatToDo: 'Use a backend name from `GET /api/v1/state`.',
  },
  PIPER_BALANCER_INVALID_SPLIT: {
    status: 400,
    source: 'operator',
    retryable: false,
    meaning:
      'A split (or dead-man safe split) names an unknown pool, has a weight that is not an integer 0–10000, has no weight above 0, lacks a reason, or the dead-man timeout is out of range.',
    whatToDo: 'Fix the body as the message says.',
  },
  PIPER_BALANCER_BAD_API_REQUEST: {
    status: 400,
    source: 'operator',
    retryable: false,
    meaning:
      'An admin API request was malformed: a missing field, a bad query parameter or request target. Also what node:http refuses on the admin listener before any handler: a request that is not valid HTTP/1.1 (the connection is closed).',
    whatToDo: 'Fix the request as the message says.',
  },
  PIPER_ROLLOUT_DATA_PLANE_UNREACHABLE: {
    source: 'upstream',
    retryable: true,
    meaning:
      "The controller could not reach the balancer's admin API (connection refused, timeout), or its window stream broke. The controller retries the recorded split and reopens the stream every second.",
    whatToDo: 'Check `--admin` and that the balancer runs; meanwhile its dead-man guard keeps traffic safe.',
  },
  PIPER_ROLLOUT_DATA_PLANE_REFUSED: {
    status: 502,
    source: 'upstream',
    retryable: false,
    meaning: "The balancer's admin API answered an error (bad token, unknown route, invalid split); the message quotes its code.",
    whatToDo: 'Check `--token` and the route and pool names.',
  },
});

declare module '../core/piper-error.ts' {
  interface PiperErrorCodes extends Record<keyof typeof dataPlaneErrors, true> {}
}
