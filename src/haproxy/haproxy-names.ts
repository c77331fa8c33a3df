/**
 * How piper's names become HAProxy's, one to one and back.
 *
 * piper's route, pool, backend and listener names are `[a-z0-9][a-z0-9_-]{0,62}`: never a dot. Every
 * name piper renders is built so the dot tells its kind apart, so no config can make two of them
 * collide and a log line's `%b`/`%s` maps back without a table:
 *
 * | piper                                   | HAProxy                              |
 * | --------------------------------------- | ------------------------------------ |
 * | route `web`                             | backend `web` (so `%b` is the route) |
 * | backend `vendor-1` of pool `vendor`     | server `vendor.vendor-1`             |
 * | the same backend as a failover server   | server `vendor.vendor-1.failover`    |
 * | listener `public`                       | frontend `listener.public`           |
 * | (no route matched: 404)                 | backend `piper.no-route`             |
 * | HAProxy's stats page and `/metrics`     | frontend `piper.stats`               |
 *
 * All are valid HAProxy identifiers (letters, digits, `-`, `_`, `.`, `:`).
 */

/** Backend answering 404 `PIPER_BALANCER_NO_ROUTE` when no route matched. */
export const NO_ROUTE_BACKEND = 'piper.no-route';
/** Frontend of HAProxy's stats page and Prometheus exporter. */
export const STATS_FRONTEND = 'piper.stats';

const FAILOVER_SUFFIX = '.failover';

/** The HAProxy backend of a route: the route's own name, so a log line's `%b` is the route. */
export function routeBackendName(route: string): string {
  return route;
}

/** The HAProxy frontend of a piper listener. */
export function listenerFrontendName(listener: string): string {
  return `listener.${listener}`;
}

/** The HAProxy server of a piper backend in a route's split: `<pool>.<backend>`. */
export function serverName(pool: string, backend: string): string {
  return `${pool}.${backend}`;
}

/** The backup server standing for a piper backend of a route's `failover` pool: `<pool>.<backend>.failover`. */
export function failoverServerName(pool: string, backend: string): string {
  return `${serverName(pool, backend)}${FAILOVER_SUFFIX}`;
}

/** What an HAProxy server name stands for in piper's terms. */
export interface PiperServer {
  pool: string;
  backend: string;
  /** True for the backup server of a failover pool (used only when no pool of the split can serve). */
  failover: boolean;
}

/**
 * The pool and backend behind an HAProxy server name rendered by piper, or null for any other name
 * (`<NOSRV>` in a log line, a server piper did not write).
 */
export function parseServerName(name: string): PiperServer | null {
  const failover = name.endsWith(FAILOVER_SUFFIX);
  const base = failover ? name.slice(0, -FAILOVER_SUFFIX.length) : name;
  const dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1 || base.indexOf('.', dot + 1) !== -1) return null;
  return { pool: base.slice(0, dot), backend: base.slice(dot + 1), failover };
}
