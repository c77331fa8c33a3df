// How the kind of a journal event looks in tables. What an event means is its `summary`, written
// by the server from the event catalogue (docs/journal.md, "Summaries"), not guessed here.

import { badge } from './element.js';

/**
 * A badge whose colour says how bad a kind of event is.
 * @param {string} kind
 */
export function kindBadge(kind) {
  const bad = /rolled_back|ejected|down|no_healthy|firing|opened|gate_refused|reverted|aborted/;
  const good = /completed|readmitted|\.up$|resolved|mitigated/;
  const warn = /paused|overridden|acknowledged|hold/;
  const tone = bad.test(kind) ? 'bad' : good.test(kind) ? 'ok' : warn.test(kind) ? 'warn' : 'info';
  return badge(kind, tone);
}
