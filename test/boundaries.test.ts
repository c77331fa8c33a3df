import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;
const depcruise = `${root}node_modules/.bin/depcruise`;

let fixtureRun: SpawnSyncReturns<string> | undefined;

/** The check run once over test/fixtures/boundary-violation, whose every part breaks one rule. */
function checkFixture(): SpawnSyncReturns<string> {
  const cwd = `${root}test/fixtures/boundary-violation`;
  fixtureRun ??= spawnSync(depcruise, ['src', '--config', `${root}.dependency-cruiser.cjs`], { cwd, encoding: 'utf8' });
  return fixtureRun;
}

test('the boundary check fails on a forbidden import (core importing config)', () => {
  const r = checkFixture();
  // depcruise exits with the number of violations.
  assert.notEqual(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /boundary-core: src\/core\/index\.ts → src\/config\/index\.ts/);
});

test('the boundary check fails when rollout imports the balancer (even a type) or the port part runs telemetry code', () => {
  const r = checkFixture();
  assert.notEqual(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /boundary-rollout: src\/rollout\/index\.ts → src\/balancer\/index\.ts/);
  assert.match(r.stdout, /boundary-data-plane-type-only: src\/data-plane\/index\.ts → src\/telemetry\/index\.ts/);
});

test("the page may name other parts' types in JSDoc, through their index.ts, and never run their code; the dashboard server imports nothing", () => {
  const r = checkFixture();
  assert.notEqual(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /boundary-dashboard\/web-type-only: src\/dashboard\/web\/page\.js → src\/balancer\/index\.ts/);
  assert.match(r.stdout, /through-index-only: src\/dashboard\/web\/page\.js → src\/telemetry\/window-stats\.ts/);
  assert.match(r.stdout, /boundary-dashboard: src\/dashboard\/dashboard-server\.ts → src\/telemetry\/index\.ts/);
  // The JSDoc import of telemetry's index.ts is the one the page may make.
  assert.doesNotMatch(r.stdout, /src\/dashboard\/web\/page\.js → src\/telemetry\/index\.ts/);
});

test('the boundary check passes on the project itself', () => {
  const r = spawnSync(depcruise, ['src', '--config', '.dependency-cruiser.cjs'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
