import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PiperError } from '../core/index.ts';
import { formatDate } from './time-format.ts';
import { journalErrors } from './journal-errors.ts';

/** Which incident a postmortem file is about. */
export interface PostmortemFileSubject {
  id: number;
  startedAt: number;
}

/** Copies of one incident's postmortem before the writer gives up (a loop writing drafts, not a person). */
const MAX_COPIES = 1000;

/**
 * `postmortem-2026-12-07-incident-3.md`: the incident's start date in the zone of the document's
 * times, and its id; `copy` 2 and up add `-2`, `-3`.
 */
export function postmortemFileName(subject: PostmortemFileSubject, ext: 'md' | 'html', timeZone = 'UTC', copy = 1): string {
  return `postmortem-${formatDate(subject.startedAt, timeZone)}-incident-${subject.id}${copy > 1 ? `-${copy}` : ''}.${ext}`;
}

/**
 * Writes a postmortem into `dir` (created if missing) under its own name and returns the path.
 * It never replaces a file: when the name is taken (another run of the demo on the same day, the
 * same incident drafted again) the next free copy number is used. Each name is created
 * exclusively, so two writers at once cannot both take it.
 */
export async function writePostmortemFile(
  dir: string,
  subject: PostmortemFileSubject,
  text: string,
  ext: 'md' | 'html',
  timeZone = 'UTC',
): Promise<string> {
  try {
    await mkdir(dir, { recursive: true });
    for (let copy = 1; copy <= MAX_COPIES; copy++) {
      const path = join(dir, postmortemFileName(subject, ext, timeZone, copy));
      try {
        await writeFile(path, text, { flag: 'wx' });
        return path;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  } catch (err) {
    throw new PiperError(
      journalErrors.PIPER_JOURNAL_POSTMORTEM_NOT_WRITTEN,
      `could not write the postmortem into ${dir}: ${(err as Error).message}`,
      {
        cause: err,
        details: { dir },
      },
    );
  }
  throw new PiperError(
    journalErrors.PIPER_JOURNAL_POSTMORTEM_NOT_WRITTEN,
    `could not write the postmortem into ${dir}: ${MAX_COPIES} copies of ${postmortemFileName(subject, ext, timeZone)} are there already`,
    { details: { dir } },
  );
}
