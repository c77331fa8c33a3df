import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PiperError } from '../../core/index.ts';
import { formatTime } from '../../journal/index.ts';
import { type Command, ExitCode } from '../command.ts';
import { journalSourceOptions, onCallFor, openJournalSource } from './events.ts';

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
    'Examples:\n' +
    '  piper postmortem -o postmortem.md\n' +
    '  piper postmortem 3 --format html -o incident-3.html --tz America/Los_Angeles\n' +
    '  piper postmortem --admin http://127.0.0.1:9901 --token $PIPER_TOKEN',
  options: {
    output: { type: 'string', short: 'o', valueName: 'FILE', description: 'write to FILE instead of standard output' },
    format: { type: 'string', valueName: 'md|html', description: 'output format (default: md, or html when FILE ends in .html)' },
    tz: { type: 'string', valueName: 'ZONE', description: 'IANA time zone for times (default UTC)' },
    config: { type: 'string', valueName: 'FILE', description: 'piper.yaml whose routes give the SLO objectives (with --db)' },
    ...journalSourceOptions,
  },
  async run(ctx, { values, positionals }) {
    const idText = positionals[0];
    if (idText !== undefined && !/^[1-9]\d*$/.test(idText)) {
      throw new PiperError('PIPER_JOURNAL_BAD_INCIDENT_ID', `INCIDENT must be a positive integer, got "${idText}"`, { source: 'operator' });
    }
    const output = typeof values.output === 'string' ? values.output : undefined;
    const format = typeof values.format === 'string' ? values.format : output?.endsWith('.html') ? 'html' : 'md';
    if (format !== 'md' && format !== 'html')
      throw new PiperError('PIPER_JOURNAL_BAD_FLAGS', `--format must be md or html, got "${format}"`, { source: 'operator' });
    const tz = typeof values.tz === 'string' ? values.tz : undefined;
    if (tz !== undefined) {
      try {
        formatTime(0, tz);
      } catch {
        throw new PiperError('PIPER_JOURNAL_BAD_FLAGS', `--tz must be an IANA time zone like America/Los_Angeles, got "${tz}"`, {
          source: 'operator',
        });
      }
    }
    const source = openJournalSource(ctx, values);
    let text: string;
    try {
      if (source.kind === 'http') {
        const id = idText !== undefined ? Number(idText) : (await source.client.incidents()).incidents[0]?.id;
        if (id === undefined) throw new PiperError('PIPER_JOURNAL_INCIDENT_NOT_FOUND', 'no incident recorded yet', { source: 'operator' });
        text = await source.client.postmortem(id, format, tz);
      } else {
        const onCall = await onCallFor(ctx, source.journal, values);
        try {
          text = onCall.postmortem(idText === undefined ? undefined : Number(idText), format, tz);
        } finally {
          onCall.close();
        }
      }
    } finally {
      source.close();
    }
    if (output === undefined) ctx.stdout.write(text);
    else {
      await writeFile(resolve(ctx.cwd, output), text);
      ctx.stderr.write(`wrote ${output}\n`);
    }
    return ExitCode.ok;
  },
};
