import type { IncomingMessage } from 'node:http';
import { parseHost } from './listener-hosts.ts';

/**
 * True when the browser says the request comes from another origin: `Sec-Fetch-Site` other than
 * `same-origin` or `none` (a page on another port of the same machine is `same-site`, and is
 * refused too), or an `Origin` that is not this request's own (RFC 6454 §7; `null` included).
 * A request with neither header (curl, piper's own clients) is not cross-site.
 */
export function isCrossSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.headers.origin;
  return origin !== undefined && !originIsHost(origin, req.headers.host);
}

/**
 * True when a browser sent the request from this very origin. Browsers send `Origin` on every
 * request that is not GET or HEAD (Fetch, "append a request `Origin` header"), so a
 * state-changing request without one did not come from the page.
 */
export function isSameOrigin(req: IncomingMessage): boolean {
  return req.headers.origin !== undefined && !isCrossSite(req);
}

/** Whether `origin` is scheme://Host of this request; Host's port is compared after the scheme's default is filled in. */
function originIsHost(origin: string, host: string | undefined): boolean {
  if (parseHost(host) === undefined) return false;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false;
  }
  if ((o.protocol !== 'http:' && o.protocol !== 'https:') || o.origin !== origin.toLowerCase()) return false;
  return o.host === new URL(`${o.protocol}//${host}/`).host;
}
