import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { isPiperError } from '../core/index.ts';
import { postmortemFileName, writePostmortemFile } from './postmortem-file.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'piper-postmortem-file-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const incident3 = { id: 3, startedAt: Date.UTC(2026, 11, 7, 5, 50, 55) };

it("names the file after the incident's start date and id, in the zone of its times", () => {
  assert.equal(postmortemFileName(incident3, 'md'), 'postmortem-2026-12-07-incident-3.md');
  assert.equal(postmortemFileName(incident3, 'html', 'UTC', 2), 'postmortem-2026-12-07-incident-3-2.html');
  // 23:30 on 31 March in California is already 1 April in UTC.
  const late = { id: 1, startedAt: Date.UTC(2017, 3, 1, 6, 30) };
  assert.equal(postmortemFileName(late, 'md', 'America/Los_Angeles'), 'postmortem-2017-03-31-incident-1.md');
  assert.equal(postmortemFileName(late, 'md'), 'postmortem-2017-04-01-incident-1.md');
});

it('writes into the folder (created if missing) and never over another file: a second draft gets -2, another incident its own name', async () => {
  const folder = join(dir, 'data', 'reviews');
  const first = await writePostmortemFile(folder, incident3, 'first draft\n', 'md');
  const second = await writePostmortemFile(folder, incident3, 'second draft\n', 'md');
  const other = await writePostmortemFile(folder, { id: 4, startedAt: incident3.startedAt }, 'incident 4\n', 'md');
  assert.equal(first, join(folder, 'postmortem-2026-12-07-incident-3.md'));
  assert.equal(second, join(folder, 'postmortem-2026-12-07-incident-3-2.md'));
  assert.equal(other, join(folder, 'postmortem-2026-12-07-incident-4.md'));
  assert.equal(await readFile(first, 'utf8'), 'first draft\n');
  assert.equal(await readFile(second, 'utf8'), 'second draft\n');
  assert.deepEqual((await readdir(folder)).sort(), [
    'postmortem-2026-12-07-incident-3-2.md',
    'postmortem-2026-12-07-incident-3.md',
    'postmortem-2026-12-07-incident-4.md',
  ]);
});

it('two writers at once each get a name of their own', async () => {
  const folder = join(dir, 'race');
  const paths = await Promise.all([1, 2, 3, 4].map((i) => writePostmortemFile(folder, incident3, `draft ${i}\n`, 'md')));
  assert.equal(new Set(paths).size, 4);
  assert.deepEqual((await Promise.all(paths.map((p) => readFile(p, 'utf8')))).sort(), ['draft 1\n', 'draft 2\n', 'draft 3\n', 'draft 4\n']);
});

it('refuses with PIPER_JOURNAL_POSTMORTEM_NOT_WRITTEN when the folder is a file', async () => {
  const file = join(dir, 'not-a-folder');
  await writeFile(file, 'x');
  await assert.rejects(writePostmortemFile(file, incident3, 'text', 'md'), (err) => {
    assert.ok(isPiperError(err, 'PIPER_JOURNAL_POSTMORTEM_NOT_WRITTEN'));
    assert.match(err.message, /not-a-folder/);
    return true;
  });
});
