import { type RequestOutcome, userIdOf } from '../telemetry/index.ts';
import type { DownstreamRequest } from './downstream-request.ts';
import type { RouteRuntime } from './route-runtime.ts';
import { readCookie } from './split-picker.ts';

/** The route's sticky key on this request (its cookie or header, as the pool picker reads it), or null. */
export function stickyKeyOf(route: RouteRuntime, req: DownstreamRequest): string | null {
  const sticky = route.config.sticky;
  if (sticky === undefined) return null;
  if ('header' in sticky) {
    const v = req.headers[sticky.header.toLowerCase()];
    return typeof v === 'string' ? v : null;
  }
  const cookie = req.headers.cookie;
  return readCookie(typeof cookie === 'string' ? cookie : cookie?.join('; '), sticky.cookie);
}

/**
 * Fills the outcome's user, for the route's count of distinct users: the route's sticky key (the
 * cookie or header that keeps one user on one pool, read as the pool picker reads it) when the
 * request carries one, else the client's address. Only the id, a hash, leaves the balancer.
 */
export function fillOutcomeUser(out: RequestOutcome, route: RouteRuntime | null, req: DownstreamRequest): void {
  const sticky = route?.config.sticky;
  if (route !== null && sticky !== undefined) {
    const key = stickyKeyOf(route, req);
    if (key !== null && key !== '') {
      out.user = userIdOf(key);
      out.userBy = 'header' in sticky ? 'header' : 'cookie';
      return;
    }
  }
  // Read (and cached by the socket) when the request was routed; undefined only for a request
  // refused before that whose socket is already gone.
  const address = req.socket.remoteAddress;
  out.user = address === undefined ? 0 : userIdOf(address);
  out.userBy = address === undefined ? null : 'address';
}
