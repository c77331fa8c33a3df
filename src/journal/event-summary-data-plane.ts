import type { DATA_PLANE_EVENTS } from './event-catalogue-data-plane.ts';
import { byPerson, duration, list, plural, type SummaryWriters, splitText, who } from './event-wording.ts';

/** Sentences for what the data plane writes. */
export const DATA_PLANE_SUMMARIES: SummaryWriters<keyof typeof DATA_PLANE_EVENTS> = {
  'split.changed': ({ subject, actor, data: d }) =>
    `split of ${subject}${byPerson(actor)}: ${splitText(d.from)} → ${splitText(d.to)} (${d.reason})`,
  'backend.ejected': ({ data: d }) =>
    `${d.pool}/${d.backend} ejected for ${duration(d.durationMs)}: ${d.reason}${d.ejections > 1 ? ` (${plural(d.ejections, 'recent ejection')})` : ''}`,
  'backend.readmitted': ({ data: d }) => `${d.pool}/${d.backend} readmitted after its ejection`,
  'backend.down': ({ data: d }) =>
    `${d.pool}/${d.backend} is down${d.from === 'unknown' ? ' from its first check' : ''}${d.reason ? `: ${d.reason}` : ''}`,
  'backend.up': ({ data: d }) =>
    `${d.pool}/${d.backend} ${d.from === 'unknown' ? 'passed its first health check' : 'passed its health checks again'}`,
  'backend.drained': ({ actor, data: d }) => `${who(actor)} drained ${d.pool}/${d.backend}: it gets no new requests`,
  'backend.undrained': ({ actor, data: d }) => `${who(actor)} gave ${d.pool}/${d.backend} new requests again`,
  'pool.no_healthy_backend': ({ data: d }) => `no healthy backend in ${list(d.pools)} for route ${d.route}`,
  'deadman.reverted': ({ subject, data: d }) =>
    `dead-man guard put ${subject} back on ${splitText(d.to)}: no heartbeat from the migration controller for ${duration(d.silentMs)} (limit ${duration(d.timeoutMs)})`,
  'split.refused': ({ data: d }) =>
    `${d.route === null ? 'term announcement' : d.split === null ? `heartbeat of ${d.route}` : `split of ${d.route} to ${splitText(d.split)}`} refused: term ${d.term} is older than term ${d.currentTerm}${d.leader === null ? '' : ` (leader ${d.leader})`}`,
  'split.acknowledged': ({ subject, data: d }) => {
    const names = Object.keys(d.members);
    const missed = names.filter((n) => d.members[n]?.ok !== true);
    return missed.length === 0
      ? `split of ${subject} to ${splitText(d.split)} acknowledged by ${list(names)}`
      : `split of ${subject} to ${splitText(d.split)} not acknowledged by ${list(missed)} (retried until it takes)`;
  },
  'config.reloaded': ({ actor, data: d }) =>
    `${isSignal(actor) ? `configuration reloaded on ${actor.slice('signal:'.length)}` : `${who(actor)} reloaded the configuration`}: ${plural(d.routes, 'route')}, ${plural(d.pools, 'pool')}`,
  'haproxy.started': ({ data: d }) =>
    `HAProxy started${d.pid === undefined ? '' : ` (pid ${d.pid})`}${d.restarts > 0 ? `, restart ${d.restarts} since piper up began` : ''}`,
  'haproxy.exited': ({ data: d }) =>
    `HAProxy exited${d.code !== null ? ` with code ${d.code}` : d.signal !== null ? ` on ${d.signal}` : ''}${d.pid === undefined ? '' : ` (pid ${d.pid})`}; piper starts it again`,
  'haproxy.reattached': ({ data: d }) => {
    const routes = Object.keys(d.reapplied);
    const what = [
      ...(routes.length > 0 ? [`the split of ${list(routes)}`] : []),
      ...(d.drained.length > 0 ? [plural(d.drained.length, 'drain')] : []),
    ];
    return `a new HAProxy worker (pid ${d.pid}, was ${d.previousPid}) got ${what.length > 0 ? `${list(what)} again` : 'nothing to re-apply'}`;
  },
};

/** A reload by SIGHUP is recorded with `signal:SIGHUP` as its actor. */
function isSignal(actor: string): boolean {
  return actor.startsWith('signal:');
}
