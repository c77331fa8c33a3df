import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { runPiper } from './cli-run.ts';

const root = new URL('..', import.meta.url).pathname;
const example = join(root, 'examples/piper.yaml');
const PUBLISHED = 'change-me-please-0123456789';

/** Writes a config whose admin section is `admin`, with every port free, and runs `piper up` on it. */
async function upWith(admin: Record<string, unknown>) {
  const dir = await mkdtemp(join(tmpdir(), 'piper-token-'));
  try {
    const file = join(dir, 'piper.yaml');
    await writeFile(
      file,
      stringify({ admin: { address: '127.0.0.1', port: 0, ...admin }, dashboard: { port: 0 }, storage: { path: join(dir, 'piper.db') } }),
    );
    // A piper up that starts would run until stopped: 10 s is far more than refusing takes.
    return await runPiper(['up', '--config', file, '--port', '0'], { cwd: dir, timeoutMs: 10_000 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the example config falls back to a published token when PIPER_ADMIN_TOKEN is unset: now a config error naming admin.token', async () => {
  const text = await readFile(example, 'utf8');
  assert.doesNotMatch(text, new RegExp(PUBLISHED));
  const unset = await runPiper(['validate', example], { env: { PIPER_ADMIN_TOKEN: '' } });
  assert.equal(unset.code, 2, unset.stdout);
  assert.match(unset.stdout + unset.stderr, /admin\.token: environment variable PIPER_ADMIN_TOKEN is not set: set it/);
  const set = await runPiper(['validate', example], { env: { PIPER_ADMIN_TOKEN: 'f3a9c07e1b5d42c8a6e0d9b7c1f24e85' } });
  assert.equal(set.code, 0, set.stderr);
});

test('starting with the published example token: piper up refuses with exit code 2 and says how to make one', async () => {
  for (const admin of [
    { token: PUBLISHED },
    { token: PUBLISHED.toUpperCase() },
    { token: 'f3a9c07e1b5d42c8a6e0d9b7c1f24e85', readToken: PUBLISHED },
  ]) {
    const r = await upWith(admin);
    assert.equal(r.code, 2, `${JSON.stringify(admin)} ${r.stdout}`);
    assert.match(r.stderr, /PIPER_BALANCER_ADMIN_WEAK_TOKEN/);
    assert.match(r.stderr, /admin\.(token|readToken) is a token published in piper's examples or docs/);
    assert.match(r.stderr, /openssl rand -hex 32/);
    assert.doesNotMatch(r.stderr, new RegExp(PUBLISHED, 'i'), 'the token itself is not printed');
  }
});

test('starting with a guessable token (a placeholder, or few different characters): refused the same way', async () => {
  for (const token of ['replace-me-with-a-real-token', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'abababababababababab', '1111122222333334444455555']) {
    const r = await upWith({ token });
    assert.equal(r.code, 2, `${token}: ${r.stdout}`);
    assert.match(r.stderr, /PIPER_BALANCER_ADMIN_WEAK_TOKEN/);
  }
});

/** Token-like literals written in the docs and examples (config keys, flags, headers, env defaults). */
async function documentedTokens(): Promise<string[]> {
  const files = [join(root, 'README.md'), ...(await readdir(join(root, 'docs'), { recursive: true })).map((f) => join(root, 'docs', f))];
  files.push(...(await readdir(join(root, 'examples'))).map((f) => join(root, 'examples', f)));
  const patterns = [
    /\b(?:token|readToken|apiToken)["']?\s*[:=]\s*["']?([^\s"'`,}]+)/g,
    /--(?:api-)?token[= ]["']?([^\s"'`]+)/g,
    /Bearer\s+([^\s"'`]+)/g,
    /\$\{[A-Z_]*TOKEN[A-Z_]*:-([^}]*)\}/g,
    /[A-Z_]*TOKEN[A-Z_]*=["']?([^\s"'`$]+)/g,
  ];
  const found = new Set<string>();
  for (const file of files) {
    if (!/\.(md|ya?ml|json|txt)$/.test(file)) continue;
    const text = await readFile(file, 'utf8');
    for (const p of patterns) for (const m of text.matchAll(p)) found.add(m[1] as string);
  }
  // Placeholders and references (`T`, `<token>`, `$PIPER_TOKEN`, `${...}`) are not tokens; the
  // schema refuses anything under 16 characters anyway.
  return [...found].filter((t) => t.length >= 16 && !/^[$<]/.test(t));
}

test('every token written in the docs or examples is refused at start', async () => {
  const tokens = await documentedTokens();
  for (const token of tokens) {
    const r = await upWith({ token });
    assert.equal(r.code, 2, `${token} from the docs was accepted`);
    assert.match(r.stderr, /PIPER_BALANCER_ADMIN_WEAK_TOKEN/);
  }
});
