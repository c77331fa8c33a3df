import type { Clock, Logger, TimerHandle } from '../../core/index.ts';
import type { DataPlaneMemberSpec, EventPage } from '../../data-plane/index.ts';
import type { FencedJournal, JournalEventInput } from '../../journal/index.ts';

/** Where the leader got to in one member's event ring; kept in the journal so a successor goes on from there. */
interface Cursor {
  bootId: string;
  after: number;
}

export interface MemberEventImportOptions {
  /** The remote members (`dataPlanes` with `kind: remote`). */
  members: readonly DataPlaneMemberSpec[];
  /** The leader's journal, fenced at its term, or null while this control plane follows. */
  journal: () => FencedJournal | null;
  clock: Clock;
  logger: Logger;
  /** How often each member's ring is read (default 1 s). */
  intervalMs?: number;
}

const stateKey = (member: string): string => `data-plane-events:${member}`;

/**
 * Copies the events of data planes that run without a journal (`piper up --role data`) into the
 * journal, once: the leader reads each member's ring (`GET /api/v1/events?after=ID`) and appends
 * every event together with its cursor in one transaction, fenced at its term, so a successor
 * resumes after the last event recorded and a deposed leader records nothing. A member that
 * restarted (a new `bootId`) is read from its first event; events that left a ring before anyone
 * read them are counted in the log.
 */
export function importMemberEvents(o: MemberEventImportOptions): { close(): void } {
  const remotes = o.members.filter((m) => m.kind === 'remote' && m.admin !== undefined);
  const log = o.logger.child({ part: 'fleet-events' });
  let busy = false;
  const pull = async (): Promise<void> => {
    const journal = o.journal();
    if (journal === null || busy) return;
    busy = true;
    try {
      await Promise.all(remotes.map((m) => pullOne(m, journal)));
    } finally {
      busy = false;
    }
  };
  const pullOne = async (m: DataPlaneMemberSpec, journal: FencedJournal): Promise<void> => {
    try {
      const saved = journal.getState(stateKey(m.name)) as Cursor | undefined;
      const base = (m.admin as string).replace(/\/+$/, '');
      const page = await readPage(`${base}/api/v1/events?after=${saved?.after ?? 0}`, m.token);
      // A new boot numbers from 1 again: read it from the start.
      const fresh = saved !== undefined && saved.bootId !== page.bootId;
      const events = fresh ? (await readPage(`${base}/api/v1/events?after=0`, m.token)).events : page.events;
      if (page.lost > 0 && !fresh) log.warn({ member: m.name, lost: page.lost }, 'events left the data plane’s ring before they were read');
      for (const { id, ...event } of events) {
        // Spreading the data loses which kind it belongs to; the journal checks it against the catalogue again.
        const copied = { ...event, source: 'balancer', data: { ...event.data, dataPlane: m.name } } as JournalEventInput;
        journal.appendWithState(copied, stateKey(m.name), { bootId: page.bootId, after: id } satisfies Cursor);
      }
    } catch (err) {
      log.debug({ err, member: m.name }, 'reading a data plane’s events failed; retried next second');
    }
  };
  const timer: TimerHandle = o.clock.setInterval(() => void pull(), o.intervalMs ?? 1000);
  return { close: () => timer.cancel() };
}

async function readPage(url: string, token: string | undefined): Promise<EventPage> {
  const res = await fetch(url, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(2000),
  });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as EventPage;
}
