import { z } from 'zod';
import { defineEntry } from './catalogue-entry.ts';

/** Why a control plane stopped leading (docs/adr/0004-leader-lease.md). */
const lostReason = z.enum([
  /** Its lease ran out before it could renew it (stopped, slow, or cut off from the database). */
  'expired',
  /** Another control plane holds the lease now. */
  'taken',
  /** It stopped cleanly and released the lease. */
  'stopped',
]);

/** Leader election among control planes sharing one journal: the lease's holder and fencing term. */
export const LEADER_EVENTS = {
  'leader.elected': defineEntry({
    sources: ['journal'],
    subject: 'lease name (`control`)',
    about: 'a control plane took the lease and leads, at a new fencing term',
    data: z.strictObject({
      holder: z.string(),
      term: z.number(),
      /** The URL it advertises to followers, when it has one. */
      url: z.string().optional(),
      /** Who held the lease before, and at which term (absent for the first leader). */
      previous: z.string().optional(),
      previousTerm: z.number().optional(),
    }),
    example: {
      source: 'journal',
      subject: 'control',
      actor: 'cp-2',
      data: { holder: 'cp-2', term: 5, url: 'http://10.0.0.2:9900', previous: 'cp-1', previousTerm: 4 },
    },
  }),
  'leader.lost': defineEntry({
    sources: ['journal'],
    subject: 'lease name (`control`)',
    about: 'a control plane stopped leading: its lease expired, was taken, or was released',
    data: z.strictObject({ holder: z.string(), term: z.number(), reason: lostReason }),
    example: { source: 'journal', subject: 'control', actor: 'cp-1', data: { holder: 'cp-1', term: 4, reason: 'expired' } },
  }),
};
