import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;
const depcruise = `${root}node_modules/.bin/depcruise`;

test('the boundary check fails on a forbidden import (core importing config)', () => {
  const cwd = `${root}test/fixtures/boundary-violation`;
  const r = spawnSync(depcruise, ['src', '--config', `${root}.dependency-cruiser.cjs`], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /boundary-core: src\/core\/index\.ts → src\/config\/index\.ts/);
});

test('the boundary check passes on the project itself', () => {
  const r = spawnSync(depcruise, ['src', '--config', '.dependency-cruiser.cjs'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
