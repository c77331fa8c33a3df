import type { AlertBook } from './alert-book.ts';
import type { JournalEvent } from './journal-event.ts';

/** Pool and backend named by a balancer event: `data.pool`/`data.backend`, else a `pool/backend` subject. */
export function poolAndBackend(e: JournalEvent): { pool: string; backend: string | undefined } {
  const [subjectPool, subjectBackend] = e.subject.split('/');
  const pool = typeof e.data.pool === 'string' ? e.data.pool : (subjectPool ?? e.subject);
  const backend = typeof e.data.backend === 'string' ? e.data.backend : subjectBackend;
  return { pool, backend };
}

/**
 * Alerts from the balancer's own events: a backend ejected or down (warning, the per-instance
 * signal burn rates are too slow for), and a pool with no healthy backend (page).
 */
export function applyBalancerEvent(alerts: AlertBook, e: JournalEvent): void {
  // The data plane's own events: piper's balancer, or HAProxy as piper steers it.
  if (e.source !== 'balancer' && e.source !== 'haproxy') return;
  const { pool, backend } = poolAndBackend(e);
  const target = backend === undefined ? pool : `${pool}/${backend}`;
  switch (e.kind) {
    case 'backend.ejected':
    case 'backend.down':
      alerts.fire(
        {
          id: `backend:${target}:${e.kind === 'backend.down' ? 'down' : 'ejected'}`,
          rule: e.kind,
          severity: 'warning',
          subject: target,
          pool,
          data: { cause: e.id, ...reasonOf(e.data) },
        },
        e.time,
      );
      break;
    case 'backend.readmitted':
      alerts.resolve(`backend:${target}:ejected`, e.time, { cause: e.id });
      alerts.resolve(`pool:${pool}:no_healthy_backend`, e.time, { cause: e.id });
      break;
    case 'backend.up':
      alerts.resolve(`backend:${target}:down`, e.time, { cause: e.id });
      alerts.resolve(`pool:${pool}:no_healthy_backend`, e.time, { cause: e.id });
      break;
    case 'pool.no_healthy_backend':
      alerts.fire(
        {
          id: `pool:${pool}:no_healthy_backend`,
          rule: 'pool.no_healthy_backend',
          severity: 'page',
          subject: pool,
          pool,
          ...(typeof e.data.route === 'string' ? { route: e.data.route } : {}),
          data: { cause: e.id, ...reasonOf(e.data) },
        },
        e.time,
      );
      break;
    default:
  }
}

/** The data plane event's reason (`backend.ejected`, `backend.down`), when it gives one. */
function reasonOf(data: Record<string, unknown>): { reason?: string | null } {
  return typeof data.reason === 'string' || data.reason === null ? { reason: data.reason } : {};
}
