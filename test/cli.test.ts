import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPiper } from './cli-run.ts';

const example = new URL('../examples/piper.yaml', import.meta.url).pathname;

test('piper --help lists the commands and the exit codes', async () => {
  const r = await runPiper(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /validate\s+Check a piper\.yaml/);
  assert.match(r.stdout, /config schema/);
  assert.match(r.stdout, /Exit codes: 0 ok, 1 failure, 2 usage/);
});

test('piper --version prints the package version', async () => {
  const r = await runPiper(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^piper \d+\.\d+\.\d+\n$/);
});

test('an unknown command or option exits 2 and says what to do next', async () => {
  const unknown = await runPiper(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, 'piper: unknown command "frobnicate"; run "piper --help" for the list (PIPER_CLI_UNKNOWN_COMMAND)\n');
  const badOption = await runPiper(['validate', '--nope', example]);
  assert.equal(badOption.code, 2);
  assert.equal(
    badOption.stderr,
    'piper validate: unknown flag --nope; see "piper validate --help" for the flags (PIPER_CLI_UNKNOWN_FLAG)\n',
  );
  const group = await runPiper(['config']);
  assert.equal(group.code, 2);
  assert.equal(group.stderr, 'piper config: missing subcommand, one of: schema (PIPER_CLI_MISSING_SUBCOMMAND)\n');
});

test('piper validate exits 0 on the example config', async () => {
  const r = await runPiper(['validate', example], { env: { PIPER_ADMIN_TOKEN: 'f3a9c07e1b5d42c8a6e0d9b7c1f24e85' } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /is valid: 2 pool\(s\), 1 route\(s\)/);
});

test('piper validate reports all three mistakes with their paths and exits 2', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'piper-validate-'));
  const file = join(dir, 'bad.yaml');
  await writeFile(
    file,
    [
      'pools:',
      '  inhouse:',
      '    backends:',
      '      - { name: a, url: "http://127.0.0.1:1" }',
      '      - { name: b, url: "nope" }',
      'timeouts: { idle: forever }',
      'listeners: [{ port: 99999 }]',
      '',
    ].join('\n'),
  );
  const r = await runPiper(['validate', file]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /has 3 problem\(s\)/);
  assert.match(r.stdout, /listeners\[0\]\.port: .*got 99999/);
  assert.match(r.stdout, /timeouts\.idle: invalid duration "forever"/);
  assert.match(r.stdout, /pools\.inhouse\.backends\[1\]\.url: .*got "nope"/);
  const json = await runPiper(['validate', '--json', file]);
  assert.equal(json.code, 2);
  assert.equal((JSON.parse(json.stdout) as { issues: unknown[] }).issues.length, 3);
});

test('piper validate on a missing file exits 2 naming the file', async () => {
  const r = await runPiper(['validate', '/nonexistent/piper.yaml']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read \/nonexistent\/piper\.yaml: ENOENT/);
});

test('piper config schema prints a JSON Schema', async () => {
  const r = await runPiper(['config', 'schema']);
  assert.equal(r.code, 0);
  const schema = JSON.parse(r.stdout) as { title: string; properties: Record<string, unknown> };
  assert.equal(schema.title, 'piper.yaml');
  assert.ok('pools' in schema.properties);
});
