import type { FiringAlert } from './alert-book.ts';
import type { Incident } from './incident-manager.ts';

/** Statuspage-style states, from worst to best; `no_traffic` says there is nothing to judge. */
export type ServiceStatus = 'major_outage' | 'degraded' | 'operational' | 'no_traffic';

/** What a public status page shows: no internal numbers, no hostnames. */
export interface StatusPage {
  status: ServiceStatus;
  updatedAt: number;
  services: { name: string; status: ServiceStatus }[];
  incidents: { id: number; title: string; status: string; startedAt: number; resolvedAt: number | null; durationMs: number | null }[];
}

/** A public route as the status page judges it. */
export interface StatusRoute {
  name: string;
  /** Pools that carry the route now (weight above 0, or failover): their alerts are the route's. */
  pools: readonly string[];
  /** Start of the newest second with a request on the route, or null. */
  lastRequestAt: number | null;
}

/** A route with no request for this long shows `no_traffic`, not `operational`: nothing was judged. */
export const NO_TRAFFIC_AFTER_MS = 5 * 60_000;

const RANK: Record<ServiceStatus, number> = { no_traffic: 0, operational: 1, degraded: 2, major_outage: 3 };

/**
 * The public, read-only status of the routes given (internal ones are left out by the caller): a
 * route is in `major_outage` while a page alert on it, or on a pool that carries it, fires;
 * `degraded` while a ticket or warning does; otherwise `no_traffic` when it served no request for
 * {@link NO_TRAFFIC_AFTER_MS}, else `operational`. The overall status is the worst row, so it never
 * disagrees with them (an alert on a pool no public route uses shows on no row and changes nothing);
 * with every row quiet it is `no_traffic`. Plus incident history.
 */
export function buildStatusPage(
  routes: readonly StatusRoute[],
  firing: readonly FiringAlert[],
  incidents: readonly Incident[],
  now: number,
  historyLimit = 20,
): StatusPage {
  const services = routes.map((r) => {
    const mine = firing.filter((a) => a.route === r.name || (a.route === undefined && a.pool !== undefined && r.pools.includes(a.pool)));
    const quiet = r.lastRequestAt === null || now - r.lastRequestAt > NO_TRAFFIC_AFTER_MS;
    const status: ServiceStatus = mine.some((a) => a.severity === 'page')
      ? 'major_outage'
      : mine.length > 0
        ? 'degraded'
        : quiet
          ? 'no_traffic'
          : 'operational';
    return { name: r.name, status };
  });
  const status = services.reduce<ServiceStatus>((worst, s) => (RANK[s.status] > RANK[worst] ? s.status : worst), 'no_traffic');
  return {
    status,
    updatedAt: now,
    services,
    incidents: incidents.slice(0, historyLimit).map((i) => ({
      id: i.id,
      title: i.title,
      status: i.status,
      startedAt: i.startedAt,
      resolvedAt: i.resolvedAt ?? null,
      durationMs: i.resolvedAt !== undefined ? i.resolvedAt - i.startedAt : null,
    })),
  };
}

const STATUS_TEXT: Record<ServiceStatus, string> = {
  no_traffic: 'No traffic',
  operational: 'Operational',
  degraded: 'Degraded performance',
  major_outage: 'Major outage',
};

const STATUS_COLOUR: Record<ServiceStatus, string> = {
  no_traffic: '#5b6472',
  operational: '#2e9e5b',
  degraded: '#c98a1b',
  major_outage: '#c9372c',
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The public status page as a self-contained HTML document (no scripts, no external assets). */
export function renderStatusPageHtml(page: StatusPage, title = 'Status'): string {
  const iso = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
  const overall =
    page.status === 'operational' && page.services.every((s) => s.status === 'operational')
      ? 'All systems operational'
      : STATUS_TEXT[page.status];
  const services = page.services
    .map((s) => `<li><span>${escapeHtml(s.name)}</span><b style="color:${STATUS_COLOUR[s.status]}">${STATUS_TEXT[s.status]}</b></li>`)
    .join('\n');
  const incidents =
    page.incidents.length === 0
      ? '<p>No incidents recorded.</p>'
      : `<ul>${page.incidents
          .map(
            (i) =>
              `<li><b>${escapeHtml(i.title)}</b> — ${escapeHtml(i.status)}, from ${iso(i.startedAt)} UTC${
                i.resolvedAt !== null ? ` to ${iso(i.resolvedAt)} UTC` : ''
              }</li>`,
          )
          .join('\n')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d2430}
.banner{padding:1rem;border-radius:6px;color:#fff;background:${STATUS_COLOUR[page.status]};font-weight:600}
ul{list-style:none;padding:0}li{display:flex;justify-content:space-between;gap:1rem;padding:.5rem 0;border-bottom:1px solid #e3e6ea}
footer{color:#5b6472;font-size:.875rem}</style></head>
<body><h1>${escapeHtml(title)}</h1><p class="banner">${overall}</p>
<h2>Services</h2><ul>${services}</ul>
<h2>Incident history</h2>${incidents}
<footer>Updated ${iso(page.updatedAt)} UTC</footer></body></html>
`;
}
