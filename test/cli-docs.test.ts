import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;

test('docs/cli.md names every error code the commands raise themselves', async () => {
  // The commands and the CLI's own modules; src/cli/up/ holds piper up's HTTP servers, whose
  // answers are in docs/api.md.
  const dirs = [join(root, 'src/cli'), join(root, 'src/cli/commands')];
  const raised = new Set<string>();
  for (const dir of dirs) {
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const text = await readFile(join(dir, file), 'utf8');
      for (const m of text.matchAll(/PiperError\(\s*(?:['"`]|\w+Errors\.)(PIPER_[A-Z0-9_]+)/g)) raised.add(m[1] as string);
    }
  }
  const doc = await readFile(join(root, 'docs/cli.md'), 'utf8');
  assert.ok(raised.size > 10, 'the scan found the codes');
  assert.deepEqual([...raised].filter((code) => !doc.includes(code)).sort(), [], 'codes raised in src/cli/ that docs/cli.md does not list');
});
