import type { LEADER_EVENTS } from './event-catalogue-leader.ts';
import type { SummaryWriters } from './event-wording.ts';

const LOST_BECAUSE = {
  expired: 'its lease expired before it renewed it',
  taken: 'another control plane holds the lease',
  stopped: 'it stopped and released the lease',
} as const;

/** Sentences for leader election among control planes. */
export const LEADER_SUMMARIES: SummaryWriters<keyof typeof LEADER_EVENTS> = {
  'leader.elected': ({ data: d }) => {
    const before = d.previousTerm === undefined ? '' : ` (term ${d.previousTerm})`;
    const after = d.previous === undefined ? '' : `, after ${d.previous}${before}`;
    return `${d.holder} became the leader (term ${d.term})${d.url === undefined ? '' : ` at ${d.url}`}${after}`;
  },
  'leader.lost': ({ data: d }) => `${d.holder} lost leadership (term ${d.term}): ${LOST_BECAUSE[d.reason]}`,
};
