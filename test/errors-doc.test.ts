import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { errorSections, renderErrorsDoc } from '../scripts/errors-doc.ts';

const root = new URL('..', import.meta.url).pathname;

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

test('docs/errors.md is what the catalogues render (run `npm run docs:errors` after changing one)', async () => {
  const committed = await readFile(join(root, 'docs/errors.md'), 'utf8');
  assert.equal(committed, renderErrorsDoc(), 'docs/errors.md differs from the catalogues: run `npm run docs:errors`');
});

test('each code is in exactly one catalogue, and every code src/ names is catalogued and raised somewhere', async () => {
  const catalogued = errorSections.flatMap((s) => Object.keys(s.entries));
  assert.deepEqual(
    catalogued.filter((c, i) => catalogued.indexOf(c) !== i),
    [],
    'codes in two catalogues',
  );
  // A code is named as a string (answered with sendError, rendered into HAProxy's config: the
  // compiler cannot check those, so this scan does) or as its entry (`journalErrors.PIPER_…`).
  const named = new Set<string>();
  for (const file of await sourceFiles(join(root, 'src'))) {
    // A catalogue's words may name environment variables (`PIPER_TOKEN`): not codes.
    const text = (await readFile(file, 'utf8')).replace(/(?:meaning|whatToDo):\s*(['"`])(?:\\.|(?!\1)[^\\])*\1/g, '');
    for (const m of text.matchAll(/['"`](PIPER_[A-Z0-9_]+)['"`]|Errors\.(PIPER_[A-Z0-9_]+)\b/g)) named.add((m[1] ?? m[2]) as string);
  }
  const known = new Set(catalogued);
  assert.deepEqual([...named].filter((c) => !known.has(c)).sort(), [], 'codes named in src/ but in no catalogue');
  assert.deepEqual(catalogued.filter((c) => !named.has(c)).sort(), [], 'catalogued codes nothing in src/ names');
});
