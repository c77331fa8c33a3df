// A control plane's campaign and nothing else, for tests across processes: campaigns for the
// control lease on a PostgreSQL journal and prints each change of leadership as a JSON line.
// When it loses leadership it tries one journal write fenced with the term it lost, and prints
// how that went (a deposed leader must be refused). Usage: node leader-campaign.ts URL NAME TTL_MS
import { SystemClock } from '../src/core/index.ts';
import { Journal, Leadership } from '../src/journal/index.ts';

const [url, name, ttl] = process.argv.slice(2);
if (url === undefined || name === undefined || ttl === undefined) throw new Error('usage: leader-campaign.ts URL NAME TTL_MS');
const journal = Journal.open({ path: url, clock: new SystemClock() });
const leadership = new Leadership({ journal, clock: new SystemClock(), name, ttlMs: Number(ttl), advertiseUrl: `http://${name}.test` });
const print = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ ...line, holder: name })}\n`);
};

leadership.onChange((change) => {
  if (change.leading) {
    print({ event: 'elected', term: change.term });
    return;
  }
  print({ event: 'lost', term: change.term, reason: change.reason });
  const stale = journal.fenced({ lease: leadership.lease, holder: name, term: change.term });
  try {
    stale.append({ kind: 'operator.note', source: 'operator', subject: 'stale-write', data: { by: name, term: change.term } });
    print({ event: 'stale-write', written: true });
  } catch (err) {
    print({ event: 'stale-write', written: false, code: (err as { code?: string }).code, message: (err as Error).message });
  }
});
leadership.start();
print({ event: 'started', leader: leadership.leader() });
// Keeps the process alive: the leadership's timers are unref'd, as piper's are.
const alive = setInterval(() => undefined, 60_000);
process.on('SIGTERM', () => {
  clearInterval(alive);
  leadership.close();
  journal.close();
});
