// The overview's Fleet panel, where `dataPlanes` lists several data planes: one row per member
// (reachable or its error, the leader term it follows) and, per route, the split and dead-man
// guard each member holds, so a member left behind (a split it missed, a guard still armed after
// the others let go) shows without asking each one.

import { badge, h, table } from '../element.js';
import { splitLabel } from '../pool-summary.js';

/** @typedef {import('../api.js').DataPlaneSnapshot} DataPlaneSnapshot */
/** @typedef {import('../api.js').FleetMemberState} FleetMemberState */
/** @typedef {import('../api.js').RouteState} RouteState */

/**
 * @param {DataPlaneSnapshot} fleet the answer of GET /api/v1/fleet
 * @returns {HTMLElement}
 */
export function fleetPanel(fleet) {
  const members = fleet.members ?? [];
  const usual = new Map(fleet.routes.map((r) => [r.name, usualSplit(r)]));
  const reachable = members.filter((m) => m.reachable).length;
  return h(
    'section',
    { class: 'panel fleet', 'aria-labelledby': 'fleet-h' },
    h('h2', { id: 'fleet-h', text: 'Fleet' }),
    h('p', {
      class: 'muted',
      text: `${reachable} of ${members.length} data planes reachable${fleet.term === undefined ? '' : ` · newest term ${fleet.term}${fleet.leader ? ` from ${fleet.leader}` : ''}`}`,
    }),
    table(
      [
        { label: 'data plane', cell: (m) => h('strong', { text: m.name }) },
        { label: 'state', cell: memberState },
        { label: 'term', class: 'num', cell: (m) => (m.term === undefined ? '—' : String(m.term)) },
        ...fleet.routes.map((r) => ({
          label: `route ${r.name}`,
          cell: (/** @type {FleetMemberState} */ m) => memberSplit(r, m.name, usual.get(r.name) ?? null),
        })),
      ],
      members,
      { empty: 'No data planes listed.', rowClass: (m) => (m.reachable ? undefined : 'row-alert') },
    ),
  );
}

/**
 * Reachable, or why not; a reachable member whose last split failed shows that error too.
 * @param {FleetMemberState} m
 */
function memberState(m) {
  if (!m.reachable) return [badge('unreachable', 'bad'), ' ', h('span', { class: 'muted', text: m.error ?? '' })];
  if (m.error !== null) return [badge('reachable', 'warn'), ' ', h('span', { class: 'muted', text: m.error })];
  return badge('reachable', 'ok');
}

/**
 * One member's split of a route, marked when it differs from the fleet's usual one or its guard is armed.
 * @param {RouteState} route
 * @param {string} member
 * @param {string | null} usual
 */
function memberSplit(route, member, usual) {
  const mine = route.members?.[member];
  if (!mine) return h('span', { class: 'muted', dataset: { member, route: route.name }, text: 'not known' });
  const label = splitLabel(mine.split);
  const differs = usual !== null && label !== usual;
  return h(
    'span',
    {
      class: `member-split${differs ? ' differs' : ''}`,
      dataset: { member, route: route.name, split: label, differs: String(differs), deadMan: String(mine.deadMan !== null) },
    },
    label,
    differs ? [' ', badge('differs', 'warn')] : null,
    mine.deadMan ? [' ', badge('dead-man armed', 'info')] : null,
  );
}

/**
 * The split most members of a route hold, which a differing one is set against; on a tie, the
 * route's own (the first reachable member's). Null while fewer than two members answered: there
 * is nothing to differ from.
 * @param {RouteState} route
 * @returns {string | null}
 */
function usualSplit(route) {
  const labels = Object.values(route.members ?? {}).flatMap((m) => (m ? [splitLabel(m.split)] : []));
  if (labels.length < 2) return null;
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const own = splitLabel(route.split);
  const most = Math.max(...counts.values());
  return counts.get(own) === most ? own : ([...counts].find(([, n]) => n === most)?.[0] ?? null);
}
