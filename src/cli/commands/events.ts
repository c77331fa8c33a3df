import { resolve } from 'node:path';
import { isPostgresUrl, loadConfigFile } from '../../config/index.ts';
import { PiperError, SystemClock } from '../../core/index.ts';
import {
  type EventFilter,
  formatTime,
  Journal,
  journalErrors,
  type JournalEvent,
  JournalHttpClient,
  OnCall,
  parseTimeParam,
  summarizeEvent,
  validateEventFilter,
  withSummary,
} from '../../journal/index.ts';
import { adminTokenOf, adminUrlOf } from '../admin-flags.ts';
import { type CliContext, type Command, type CommandInput, ExitCode, type OptionSpec } from '../command.ts';
import { mismatchPolicy } from '../event-checks.ts';
import { createStyle, renderTable } from '../terminal-style.ts';

/** `--db` / `--admin` / `--token`: where the journal commands read from (shared by events, incidents, postmortem). */
export const journalSourceOptions: Record<string, OptionSpec> = {
  db: {
    type: 'string',
    valueName: 'FILE',
    description:
      'read the journal directly: a SQLite file or a postgres:// URL (default: $PIPER_DB, else piper.db in the current directory)',
  },
  admin: { type: 'string', valueName: 'URL', description: "use a running piper up's admin API instead of a file (default: $PIPER_ADMIN)" },
  token: { type: 'string', valueName: 'TOKEN', description: 'bearer token for --admin (default: $PIPER_ADMIN_TOKEN)' },
};

/** Either a journal file opened here or a remote control plane. */
export type JournalSource =
  | { kind: 'db'; path: string; journal: Journal; close(): void }
  | { kind: 'http'; client: JournalHttpClient; close(): void };

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A `--db` value as Journal.open takes it: a file resolved against `cwd`, a PostgreSQL URL as given. */
export function journalLocation(cwd: string, value: string): string {
  return isPostgresUrl(value) ? value : resolve(cwd, value);
}

/** Opens the source the flags name; a file is opened read-only unless `write` is set. */
export function openJournalSource(ctx: CliContext, values: CommandInput['values'], write = false): JournalSource {
  const admin = str(values.db) === undefined ? adminUrlOf(ctx, values) : str(values.admin);
  if (admin !== undefined) {
    if (str(values.db) !== undefined)
      throw new PiperError(journalErrors.PIPER_JOURNAL_BAD_FLAGS, 'give either --db FILE or --admin URL, not both');
    const token = adminTokenOf(ctx, values);
    return { kind: 'http', client: new JournalHttpClient(admin, token), close: () => {} };
  }
  const path = journalLocation(ctx.cwd, str(values.db) ?? ctx.env.PIPER_DB ?? 'piper.db');
  const journal = Journal.open({ path, clock: new SystemClock(), readOnly: !write, onMismatch: mismatchPolicy(ctx.env) });
  return { kind: 'db', path, journal, close: () => journal.close() };
}

/** An OnCall over a file journal, with the objectives of `--config` when given. */
export async function onCallFor(ctx: CliContext, journal: Journal, values: CommandInput['values']): Promise<OnCall> {
  const configFile = str(values.config);
  const config = configFile === undefined ? undefined : await loadConfigFile(resolve(ctx.cwd, configFile), { env: ctx.env });
  return new OnCall({
    journal,
    clock: new SystemClock(),
    ...(config ? { config: { routes: config.routes, notifications: { webhooks: [] } } } : {}),
  });
}

function filterFrom(values: CommandInput['values'], now: number): EventFilter {
  try {
    return validateEventFilter(rawFilter(values, now));
  } catch (err) {
    // The same checks as the API, but here the mistake is in the operator's flags.
    throw new PiperError(
      journalErrors.PIPER_JOURNAL_BAD_FILTER,
      (err as Error).message.replace(/^(since|until|limit|kind|subject)\b/, '--$1'),
      {
        cause: err,
      },
    );
  }
}

function rawFilter(values: CommandInput['values'], now: number): EventFilter {
  const f: EventFilter = {};
  const since = str(values.since);
  if (since !== undefined) f.since = parseTimeParam(since, now, '--since');
  const until = str(values.until);
  if (until !== undefined) f.until = parseTimeParam(until, now, '--until');
  const kinds = (Array.isArray(values.kind) ? values.kind : values.kind === undefined ? [] : [values.kind]).flatMap((k) =>
    String(k).split(','),
  );
  if (kinds.length > 0) f.kinds = kinds;
  const subject = str(values.subject);
  if (subject !== undefined) f.subject = subject;
  const limit = str(values.limit);
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit))
      throw new PiperError(journalErrors.PIPER_JOURNAL_BAD_FILTER, `--limit must be a positive integer, got "${limit}"`);
    f.limit = Number(limit);
  }
  return f;
}

function row(e: JournalEvent, tz: string): string[] {
  return [String(e.id), formatTime(e.time, tz), e.kind, e.subject, e.actor, summarizeEvent(e)];
}

const HEADERS = ['id', 'time', 'kind', 'subject', 'by', 'details'];

export const eventsCommand: Command = {
  name: 'events',
  summary: 'List or follow the journal: every change, alert, decision and operator action',
  description:
    'Prints journal events oldest first, from a journal file (--db) or a running piper up (--admin).\n' +
    'Times for --since/--until: ms since the epoch, an ISO date, or a duration back from now (15m, 2h).\n' +
    '--kind matches exactly or by prefix ("migration.*"), and may repeat. --follow keeps printing new\n' +
    'events until Ctrl-C. --json prints one JSON event per line (NDJSON), each with its summary.\n\n' +
    'Examples:\n' +
    '  piper events --since 1h\n' +
    '  piper events --kind "migration.*" --kind alert.firing --db /var/lib/piper/piper.db\n' +
    '  piper events --follow --admin http://127.0.0.1:9901 --token $PIPER_ADMIN_TOKEN --json',
  options: {
    since: { type: 'string', valueName: 'TIME', description: 'only events at or after TIME' },
    until: { type: 'string', valueName: 'TIME', description: 'only events before TIME' },
    kind: { type: 'string', multiple: true, valueName: 'KIND', description: 'only this kind, or a prefix like "migration.*"' },
    subject: { type: 'string', valueName: 'NAME', description: 'only events about this route, pool, backend or incident' },
    limit: { type: 'string', valueName: 'N', description: 'at most N past events (1 to 10000; default 1000)' },
    follow: { type: 'boolean', short: 'f', description: 'keep printing new events until interrupted' },
    tz: { type: 'string', valueName: 'ZONE', description: 'IANA time zone for times (default UTC)' },
    json: { type: 'boolean', description: 'one JSON event per line' },
    ...journalSourceOptions,
  },
  async run(ctx, { values }) {
    const filter = filterFrom(values, Date.now());
    const tz = str(values.tz) ?? 'UTC';
    formatTime(0, tz);
    const source = openJournalSource(ctx, values);
    const json = values.json === true;
    const style = createStyle(ctx.isTty && ctx.env.NO_COLOR === undefined);
    try {
      const past = source.kind === 'db' ? source.journal.query(filter) : await source.client.query(filter);
      if (json) for (const e of past) ctx.stdout.write(`${JSON.stringify(withSummary(e))}\n`);
      else if (past.length > 0)
        ctx.stdout.write(
          `${renderTable(
            HEADERS,
            past.map((e) => row(e, tz)),
          )}\n`,
        );
      else if (values.follow !== true) ctx.stdout.write(`${style.dim('no events match')}\n`);
      if (values.follow !== true) return ExitCode.ok;
      const live: EventFilter = { ...filter, afterId: past.at(-1)?.id ?? filter.afterId ?? 0 };
      delete live.limit;
      delete live.since;
      const events = source.kind === 'db' ? pollFile(source.path, live, ctx.signal) : source.client.follow(live, ctx.signal);
      for await (const e of events) {
        if (filter.until !== undefined && e.time >= filter.until) continue;
        ctx.stdout.write(json ? `${JSON.stringify(withSummary(e))}\n` : `${row(e, tz).join('  ')}\n`);
      }
      return ctx.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
    } finally {
      source.close();
    }
  },
};

/**
 * Follows a journal file another process writes: polls for ids after the last seen, every 250 ms.
 * (In-process listeners cannot see another process's writes; SQLite has no cross-process notify.)
 */
async function* pollFile(path: string, f: EventFilter, signal: AbortSignal): AsyncIterable<JournalEvent> {
  const clock = new SystemClock();
  const journal = Journal.open({ path, clock, readOnly: true });
  try {
    let afterId = f.afterId ?? 0;
    while (!signal.aborted) {
      const page = journal.query({ ...f, afterId, limit: 1000 });
      for (const e of page) {
        afterId = e.id;
        yield e;
      }
      if (page.length < 1000) {
        try {
          await clock.sleep(250, signal);
        } catch {
          return;
        }
      }
    }
  } finally {
    journal.close();
  }
}
