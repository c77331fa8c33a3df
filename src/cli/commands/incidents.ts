import { PiperError } from '../../core/index.ts';
import {
  formatTime,
  humanDuration,
  type Incident,
  type IncidentMeans,
  journalErrors,
  type ListedIncident,
  usersPhrase,
} from '../../journal/index.ts';
import { type Command, ExitCode } from '../command.ts';
import { createStyle, renderTable } from '../terminal-style.ts';
import { journalSourceOptions, onCallFor, openJournalSource } from './events.ts';

const listOptions = {
  json: { type: 'boolean', description: 'print incidents and mean times as JSON' },
  tz: { type: 'string', valueName: 'ZONE', description: 'IANA time zone for times (default UTC)' },
  config: { type: 'string', valueName: 'FILE', description: 'piper.yaml whose routes give the SLO objectives (with --db)' },
  ...journalSourceOptions,
} as const;

function ms(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : humanDuration(x);
}

async function list(ctx: Parameters<Command['run']>[0], values: Parameters<Command['run']>[1]['values']): Promise<number> {
  const source = openJournalSource(ctx, values);
  let data: { incidents: ListedIncident[]; means: IncidentMeans };
  try {
    if (source.kind === 'http') data = await source.client.incidents();
    else {
      const onCall = await onCallFor(ctx, source.journal, values);
      data = { incidents: onCall.listIncidents(), means: onCall.means() };
      onCall.close();
    }
  } finally {
    source.close();
  }
  if (values.json === true) {
    ctx.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    return ExitCode.ok;
  }
  const style = createStyle(ctx.isTty && ctx.env.NO_COLOR === undefined);
  if (data.incidents.length === 0) {
    ctx.stdout.write(`${style.green('no incidents recorded')}\n`);
    return ExitCode.ok;
  }
  const tz = typeof values.tz === 'string' ? values.tz : 'UTC';
  const rows = data.incidents.map((i) => {
    const figures = new Map(i.figures);
    return [
      String(i.id),
      i.status === 'resolved' ? style.green(i.status) : i.status === 'open' ? style.red(i.status) : style.yellow(i.status),
      formatTime(i.startedAt, tz),
      `${figures.get('failed requests')}${i.numbers.measured ? ` (${figures.get('share of requests failed')}, ${figures.get('of which shed')} shed)` : ''}`,
      !i.numbers.measured ? '—' : i.numbers.users === null ? 'not counted' : usersPhrase(i.numbers),
      figures.get('time to detect') ?? '—',
      figures.get('time to mitigate') ?? '—',
      figures.get('time to resolve') ?? '—',
      i.acknowledgedBy ?? '—',
      i.title,
    ];
  });
  const headers = ['id', 'status', 'started', 'failed requests', 'users affected', 'time to detect', 'time to mitigate', 'time to resolve'];
  ctx.stdout.write(`${renderTable([...headers, 'ack by', 'title'], rows)}\n`);
  const m = data.means;
  ctx.stdout.write(
    `\n${m.count} incident(s), mean time to detect ${ms(m.mttdMs)}, to acknowledge ${ms(m.mttaMs)}, to mitigate ${ms(m.mttmMs)}, to resolve ${ms(m.mttrMs)}\n` +
      'Times run from the impact start (the first failure); failed requests are what clients received (docs/journal.md, "Numbers").\n',
  );
  return ExitCode.ok;
}

const listDescription =
  'Lists incidents newest first with their numbers: failed requests (what clients received, shed\n' +
  'included) and their share, users affected, and the time to detect, mitigate (traffic off the bad\n' +
  'pool) and resolve, each from the impact start (the first failure); then the means across incidents.\n' +
  'With --json, each incident carries the same figures under numbers.\n\n' +
  'Examples:\n  piper incidents\n  piper incidents list --admin http://127.0.0.1:9901 --json';

export const incidentsCommand: Command = {
  name: 'incidents',
  summary: 'List incidents with failed requests, users affected and the times to detect, mitigate and resolve (also: incidents ack ID)',
  description: listDescription,
  options: { ...listOptions },
  run: (ctx, input) => list(ctx, input.values),
};

export const incidentsListCommand: Command = {
  name: 'incidents list',
  summary: 'List incidents with failed requests, users affected and the times to detect, mitigate and resolve',
  description: listDescription,
  options: { ...listOptions },
  run: (ctx, input) => list(ctx, input.values),
};

export const incidentsAckCommand: Command = {
  name: 'incidents ack',
  summary: 'Acknowledge an incident: records who has it, and when (MTTA)',
  args: 'ID',
  description:
    'Records that ACTOR has the incident. Prefer --admin (the running piper up notifies webhooks);\n' +
    'with --db the file is written directly.\n\n' +
    'Examples:\n  piper incidents ack 3 --admin http://127.0.0.1:9901 --token $PIPER_ADMIN_TOKEN --actor gilfoyle',
  options: {
    actor: { type: 'string', valueName: 'NAME', description: 'who acknowledges (default: $USER)' },
    json: { type: 'boolean', description: 'print the incident as JSON' },
    ...journalSourceOptions,
  },
  async run(ctx, { values, positionals }) {
    const text = positionals[0];
    if (text === undefined || !/^[1-9]\d*$/.test(text)) {
      throw new PiperError(journalErrors.PIPER_JOURNAL_BAD_INCIDENT_ID, `give an incident ID (a positive integer), got "${text ?? ''}"`);
    }
    const actor = typeof values.actor === 'string' ? values.actor : (ctx.env.USER ?? 'operator');
    const source = openJournalSource(ctx, values, true);
    let incident: Incident;
    try {
      if (source.kind === 'http') incident = await source.client.acknowledge(Number(text), actor);
      else {
        const onCall = await onCallFor(ctx, source.journal, values);
        try {
          incident = onCall.incidents.acknowledge(Number(text), actor);
        } finally {
          onCall.close();
        }
      }
    } finally {
      source.close();
    }
    if (values.json === true) ctx.stdout.write(`${JSON.stringify(incident, null, 2)}\n`);
    else ctx.stdout.write(`incident ${incident.id} ${incident.status} by ${incident.acknowledgedBy ?? actor}\n`);
    return ExitCode.ok;
  },
};
