import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;
// npm scripts put the project's Node first on PATH; keep that for the child npm too.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };

test('npm pack output installs elsewhere and runs piper --help from there', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'piper-pack-'));
  try {
    const out = execFileSync('npm', ['pack', '--pack-destination', dir, '--json'], {
      cwd: root,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    assert.ok(info, 'npm pack printed no result');
    assert.ok(
      info.files.some((f) => f.path === 'dist/cli/bin.js'),
      'dist/cli/bin.js is in the package',
    );
    assert.ok(!info.files.some((f) => f.path.endsWith('.test.js')), 'tests are not in the package');
    execFileSync('npm', ['init', '-y'], { cwd: dir, env, stdio: 'ignore' });
    execFileSync('npm', ['install', '--no-audit', '--no-fund', join(dir, info.filename)], { cwd: dir, env, stdio: 'ignore' });
    const help = execFileSync(join(dir, 'node_modules/.bin/piper'), ['--help'], { cwd: dir, env, encoding: 'utf8' });
    assert.match(help, /Usage: piper <command>/);
    assert.match(help, /validate/);
    const version = execFileSync(join(dir, 'node_modules/.bin/piper'), ['--version'], { cwd: dir, env, encoding: 'utf8' });
    assert.match(version, /^piper \d/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
