import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

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

test('every error code used in src/ is documented in docs/errors.md, and every documented code is used', async () => {
  const used = new Set<string>();
  for (const file of await sourceFiles(join(root, 'src'))) {
    for (const m of (await readFile(file, 'utf8')).matchAll(/['"`](PIPER_[A-Z0-9_]+)['"`]/g)) used.add(m[1] as string);
  }
  const doc = await readFile(join(root, 'docs/errors.md'), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `(PIPER_[A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1] as string));
  assert.ok(used.size > 0, 'no codes found in src: the scan is broken');
  assert.deepEqual([...used].filter((c) => !documented.has(c)).sort(), [], 'codes used in src but missing from docs/errors.md');
  assert.deepEqual([...documented].filter((c) => !used.has(c)).sort(), [], 'codes documented but not used in src');
});
