import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faceUses } from './face-uses.ts';

test("each part's index.ts exports only what another part, a test or a benchmark imports (or what is marked @public)", () => {
  const unused = faceUses().filter((e) => e.users.length === 0 && !e.public);
  assert.deepEqual(
    unused.map((e) => `${e.part}: ${e.name}`),
    [],
    'remove these from their index.ts (a part imports its own modules directly), or mark them @public',
  );
});

test('the scan sees imports of a face from other parts, tests and the page, and not from inside the part', () => {
  const uses = new Map(faceUses().map((e) => [`${e.part}:${e.name}`, e.users]));
  // PiperError is imported everywhere; the journal's Journal from the CLI and tests.
  assert.ok((uses.get('core:PiperError')?.length ?? 0) > 10);
  assert.ok(uses.get('journal:Journal')?.some((f) => f.startsWith('src/cli/')));
  // The page names telemetry's window types in JSDoc.
  assert.ok([...uses].some(([k, files]) => k.startsWith('telemetry:') && files.some((f) => f.startsWith('src/dashboard/web/'))));
  // No use is counted from the part's own files.
  for (const [key, files] of uses) {
    const part = key.slice(0, key.indexOf(':'));
    assert.ok(!files.some((f) => f.startsWith(`src/${part}/`) && !f.startsWith('src/dashboard/web/')), key);
  }
});
