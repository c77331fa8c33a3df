import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { PiperError } from '../../core/index.ts';
import { formatTime, type Incident, journalErrors, writePostmortemFile } from '../../journal/index.ts';
import { type CliContext, type Command, type CommandInput, ExitCode } from '../command.ts';
import { checkOutputFile, checkOutputFolder } from '../output-path.ts';
import { journalSourceOptions, onCallFor, openJournalSource } from './events.ts';

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Where the text goes: standard output, a file the operator named, or a folder where it gets its own name. */
type Destination = { kind: 'stdout' } | { kind: 'file'; path: string } | { kind: 'folder'; dir: string };

/**
 * `-o -` prints; `-o FILE` writes that file; `-o DIR/` (or an existing folder), `--out-dir DIR`,
 * `--data-dir DIR` name a folder; otherwise the folder of the journal file (piper's data folder),
 * or the current folder when reading a remote control plane.
 */
function destinationOf(ctx: CliContext, values: CommandInput['values'], dbPath: string | undefined): Destination {
  const output = str(values.output);
  const outDir = str(values['out-dir']);
  if (output !== undefined && outDir !== undefined)
    throw new PiperError(journalErrors.PIPER_JOURNAL_BAD_FLAGS, 'give either -o/--output or --out-dir, not both');
  if (output === '-') return { kind: 'stdout' };
  if (output !== undefined) {
    const path = resolve(ctx.cwd, output);
    return output.endsWith('/') || isDirectory(path) ? { kind: 'folder', dir: path } : { kind: 'file', path };
  }
  const dir = outDir ?? str(values['data-dir']);
  if (dir !== undefined) return { kind: 'folder', dir: resolve(ctx.cwd, dir) };
  return { kind: 'folder', dir: dbPath === undefined ? ctx.cwd : dirname(dbPath) };
}

export const postmortemCommand: Command = {
  name: 'postmortem',
  summary: "Write an incident's postmortem from the journal, in the seed's eleven sections",
  args: '[INCIDENT]',
  description:
    'Drafts the postmortem of INCIDENT (default: the latest) from recorded events and traffic samples:\n' +
    'Summary, Affected Services, Impact, Outage Duration, Cause, Resolution, Timeline of events,\n' +
    'Problems with our response, Preventative measures to take, Detection Method, Changes to make in\n' +
    'future outage responses. Every fact carries its timestamp; judgment is pre-filled from the evidence\n' +
    'and marked "To confirm". Markdown by default, or HTML.\n\n' +
    'Where it writes: into a folder, as postmortem-<start date>-incident-<id>.md (or .html), with -2,\n' +
    '-3 ... added when that name is taken, so it never replaces another postmortem. The folder is\n' +
    '--out-dir, else --data-dir, else the folder of the journal file (--db), else (with --admin) the\n' +
    'current folder. -o FILE writes exactly FILE instead (replacing it); -o - prints to standard output.\n\n' +
    'Examples:\n' +
    '  piper postmortem --data-dir ./piper-data\n' +
    '  piper postmortem 3 --format html --out-dir reviews --tz America/Los_Angeles\n' +
    '  piper postmortem -o - --admin http://127.0.0.1:9901 --token $PIPER_ADMIN_TOKEN',
  options: {
    output: {
      type: 'string',
      short: 'o',
      valueName: 'FILE',
      description: 'write to FILE (replacing it); - for standard output; a folder (ending in /) as --out-dir',
    },
    'out-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'write into DIR under its own name, never replacing a file (created if missing)',
    },
    'data-dir': {
      type: 'string',
      valueName: 'DIR',
      description: "piper's data folder: read DIR/piper.db (unless --db) and write the postmortem there",
    },
    format: { type: 'string', valueName: 'md|html', description: 'output format (default: md, or html when FILE ends in .html)' },
    tz: { type: 'string', valueName: 'ZONE', description: 'IANA time zone for times and the date in the name (default UTC)' },
    config: { type: 'string', valueName: 'FILE', description: 'piper.yaml whose routes give the SLO objectives (with --db)' },
    ...journalSourceOptions,
  },
  async run(ctx, { values, positionals }) {
    const idText = positionals[0];
    if (idText !== undefined && !/^[1-9]\d*$/.test(idText)) {
      throw new PiperError(journalErrors.PIPER_JOURNAL_BAD_INCIDENT_ID, `INCIDENT must be a positive integer, got "${idText}"`);
    }
    const output = str(values.output);
    const format = str(values.format) ?? (output?.endsWith('.html') ? 'html' : 'md');
    if (format !== 'md' && format !== 'html')
      throw new PiperError(journalErrors.PIPER_JOURNAL_BAD_FLAGS, `--format must be md or html, got "${format}"`);
    const tz = str(values.tz);
    if (tz !== undefined) {
      try {
        formatTime(0, tz);
      } catch {
        throw new PiperError(journalErrors.PIPER_JOURNAL_BAD_FLAGS, `--tz must be an IANA time zone like America/Los_Angeles, got "${tz}"`);
      }
    }
    const dataDir = str(values['data-dir']);
    const sourceValues = dataDir !== undefined && str(values.db) === undefined ? { ...values, db: join(dataDir, 'piper.db') } : values;
    const source = openJournalSource(ctx, sourceValues);
    const destination = destinationOf(ctx, values, source.kind === 'db' ? source.path : undefined);
    if (destination.kind === 'file') checkOutputFile('--output', destination.path, ctx.cwd);
    if (destination.kind === 'folder')
      checkOutputFolder(values['out-dir'] !== undefined ? '--out-dir' : '--output', destination.dir, ctx.cwd);
    const noIncident = (): PiperError => new PiperError(journalErrors.PIPER_JOURNAL_INCIDENT_NOT_FOUND, 'no incident recorded yet');
    let text: string;
    let incident: Incident;
    try {
      if (source.kind === 'http') {
        const id = idText !== undefined ? Number(idText) : (await source.client.incidents()).incidents[0]?.id;
        if (id === undefined) throw noIncident();
        incident = (await source.client.report(id)).incident;
        text = await source.client.postmortem(id, format, tz);
      } else {
        const onCall = await onCallFor(ctx, source.journal, sourceValues);
        try {
          const id = idText !== undefined ? Number(idText) : onCall.listIncidents()[0]?.id;
          if (id === undefined) throw noIncident();
          incident = onCall.report(id).incident;
          text = onCall.postmortem(id, format, tz);
        } finally {
          onCall.close();
        }
      }
    } finally {
      source.close();
    }
    if (destination.kind === 'stdout') {
      ctx.stdout.write(text);
      return ExitCode.ok;
    }
    const path =
      destination.kind === 'file'
        ? await writeFile(destination.path, text).then(() => destination.path)
        : await writePostmortemFile(destination.dir, incident, text, format, tz);
    ctx.stdout.write(`postmortem of incident ${incident.id} written to ${path}\n`);
    return ExitCode.ok;
  },
};
