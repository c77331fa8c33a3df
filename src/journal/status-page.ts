import type { FiringAlert } from './alert-book.ts';
import type { Incident } from './incident-manager.ts';

/** Statuspage-style states, from worst to best. */
export type ServiceStatus = 'major_outage' | 'degraded' | 'operational';

/** What a public status page shows: no internal numbers, no hostnames. */
export interface StatusPage {
  status: ServiceStatus;
  updatedAt: number;
  services: { name: string; status: ServiceStatus }[];
  incidents: { id: number; title: string; status: string; startedAt: number; resolvedAt: number | null; durationMs: number | null }[];
}

/**
 * The public, read-only status: a route is in `major_outage` while a page alert on it fires,
 * `degraded` while a ticket or warning does, otherwise `operational`; plus incident history.
 */
export function buildStatusPage(
  routes: readonly string[],
  firing: readonly FiringAlert[],
  incidents: readonly Incident[],
  now: number,
  historyLimit = 20,
): StatusPage {
  const services = routes.map((name) => {
    const mine = firing.filter((a) => a.route === name);
    const status: ServiceStatus = mine.some((a) => a.severity === 'page') ? 'major_outage' : mine.length > 0 ? 'degraded' : 'operational';
    return { name, status };
  });
  // Pool alerts without a route still degrade the page as a whole.
  const orphan = firing.filter((a) => a.route === undefined);
  const rank = { operational: 0, degraded: 1, major_outage: 2 } as const;
  let status: ServiceStatus = services.reduce<ServiceStatus>(
    (worst, s) => (rank[s.status] > rank[worst] ? s.status : worst),
    'operational',
  );
  if (status === 'operational' && orphan.length > 0) status = 'degraded';
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
