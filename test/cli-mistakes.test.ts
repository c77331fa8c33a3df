import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runPiper } from './cli-run.ts';

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'piper-cli-mistakes-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function config(name: string, lines: string[]): string {
  writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  return name;
}

test('piper validate reports schema and cross-reference problems in one pass, with a suggestion for a misspelt key', async () => {
  const file = config('three.yaml', [
    'pools:',
    '  inhouse:',
    '    backends: [{ name: a, url: "http://127.0.0.1:1" }]',
    'routes:',
    '  - { name: web, split: { inhouse: 1, vendr: 1 }, failover: [vendor] }',
    'timeouts: { idle: forever }',
    'migration: { stepDurration: 30s }',
  ]);
  const r = await runPiper(['validate', file], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stdout,
    [
      '✗ three.yaml has 4 problem(s):',
      '  timeouts.idle: invalid duration "forever": expected a number with a unit, e.g. 250ms, 1m30s, 2h (units: ns, us, ms, s, m, h, d) (got "forever")',
      '  migration.stepDurration: unknown key; did you mean "stepDuration"? (got "30s")',
      '  routes[0].split.vendr: unknown pool "vendr" (pools: inhouse) (got 1)',
      '  routes[0].failover[0]: unknown pool "vendor" (pools: inhouse) (got "vendor")',
      '',
    ].join('\n'),
  );
});

test('piper validate gives one clean line per YAML syntax error', async () => {
  const file = config('syntax.yaml', ['pools:', '  a:', '    backends: []', ' x: [', 'routes: 3']);
  const r = await runPiper(['validate', file], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stdout,
    [
      '✗ syntax.yaml has 2 problem(s):',
      '  YAML syntax error at line 4, column 1: All mapping items must start at the same column',
      '  YAML syntax error at line 5, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
      '',
    ].join('\n'),
  );
});

test('a misspelt flag or command gets the closest real one, by edit distance', async () => {
  const flag = await runPiper(['up', '--confg', 'piper.yaml'], { cwd: dir });
  assert.equal(flag.code, 2);
  assert.equal(flag.stderr, 'piper up: unknown flag --confg; did you mean --config? (PIPER_CLI_UNKNOWN_FLAG)\n');
  const command = await runPiper(['lodtest', 'http://127.0.0.1:1/'], { cwd: dir });
  assert.equal(command.code, 2);
  assert.equal(command.stderr, 'piper: unknown command "lodtest"; did you mean "piper loadtest"? (PIPER_CLI_UNKNOWN_COMMAND)\n');
  const sub = await runPiper(['migrate', 'strat', 'web'], { cwd: dir });
  assert.equal(sub.code, 2);
  assert.equal(sub.stderr, 'piper migrate: unknown subcommand "strat"; did you mean "piper migrate start"? (PIPER_CLI_UNKNOWN_COMMAND)\n');
  const value = await runPiper(['up', '--config'], { cwd: dir });
  assert.equal(value.code, 2);
  assert.equal(value.stderr, 'piper up: --config needs a value (FILE); see "piper up --help" (PIPER_CLI_BAD_FLAG)\n');
});
