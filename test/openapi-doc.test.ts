import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { controlApiDocument } from '../src/cli/up/control-api-document.ts';

test("docs/openapi.json is the document the routes' schemas give (npm run docs:openapi writes it)", () => {
  const committed = readFileSync(new URL('../docs/openapi.json', import.meta.url), 'utf8');
  assert.equal(committed, `${JSON.stringify(controlApiDocument(), null, 2)}\n`, 'run npm run docs:openapi and commit docs/openapi.json');
});

test('every path docs/openapi.json lists is named in docs/api.md', () => {
  const api = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');
  const paths = Object.keys((controlApiDocument() as { paths: Record<string, unknown> }).paths);
  const missing = paths.filter((p) => !api.includes(p.replace(/\{(\w+)\}/g, ':$1')));
  assert.deepEqual(missing, []);
});
