import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runPiper } from './cli-run.ts';
import { sampleText } from './platform-fixture.ts';

const bin = new URL('../src/cli/bin.ts', import.meta.url).pathname;
const dirs: string[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function serve(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcessWithoutNullStreams; url: string; stderr: () => string }> {
  const dir = await mkdtemp(join(tmpdir(), 'piper-serve-'));
  dirs.push(dir);
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', dir, '--log-level', 'warn', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
  children.push(child);
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^listening platform (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { child, url, stderr: () => err };
}

test('piper serve prints its listening line and serves the API', async () => {
  const { child, url } = await serve([]);
  const r = await fetch(`${url}/api/v1/compress?codec=gzip`, { method: 'POST', body: new Uint8Array(sampleText(5000)) });
  assert.equal(r.status, 200);
  await r.arrayBuffer();
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});

test('past --capacity-rps and --max-concurrency requests get 503 PIPER_PLATFORM_OVERLOADED with Retry-After; health stays up', async () => {
  const { child, url } = await serve(['--capacity-rps', '20', '--max-concurrency', '2']);
  // 60 requests at once against 20 req/s and 2 at a time: the burst (2 tokens) and what the 200 ms
  // queue wait allows pass; the rest are refused.
  const results = await Promise.all(
    Array.from({ length: 60 }, async () => {
      const r = await fetch(`${url}/api/v1/status`);
      const body = (await r.json()) as { error?: { code: string } };
      return { status: r.status, code: body.error?.code, retryAfter: r.headers.get('retry-after') };
    }),
  );
  const ok = results.filter((r) => r.status === 200).length;
  const refused = results.filter((r) => r.status === 503);
  assert.ok(ok >= 1 && refused.length >= 10, `${ok} admitted, ${refused.length} refused`);
  assert.equal(ok + refused.length, 60);
  assert.ok(refused.every((r) => r.code === 'PIPER_PLATFORM_OVERLOADED' && r.retryAfter === '1'));
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, new RegExp(`piper_platform_admission_refused_total ${refused.length}\\b`));
  child.kill('SIGTERM');
  assert.equal((await once(child, 'exit'))[0], 0);
});

test('SIGTERM drains: an upload in flight completes, then the process exits 0', async () => {
  const { child, url } = await serve([]);
  const { port } = new URL(url);
  const body = sampleText(400_000);
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/api/v1/files?name=drain.txt', headers: { 'content-length': body.length } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.write(body.subarray(0, 300_000), () => {
      // Half sent and seen by the server (its status counts this upload and itself in flight):
      // ask it to stop, then finish the upload.
      void (async () => {
        for (let i = 0; i < 500; i++) {
          const s = (await (await fetch(`${url}/api/v1/status`)).json()) as { inFlight: number };
          if (s.inFlight >= 2) break;
        }
        child.kill('SIGTERM');
        setTimeout(() => req.end(body.subarray(300_000)), 100);
      })().catch(reject);
    });
  });
  const { status, text } = await response;
  assert.equal(status, 201, text);
  assert.equal((JSON.parse(text) as { size: number }).size, body.length);
  assert.equal((await once(child, 'exit'))[0], 0);
});

test('PIPER_PLATFORM_TOKEN from the environment guards DELETE; a short one is refused, naming the variable', async () => {
  const token = 'a-platform-token-from-env';
  const { child, url } = await serve([], { ...process.env, PIPER_PLATFORM_TOKEN: token });
  const stored = await fetch(`${url}/api/v1/files`, { method: 'POST', body: 'guarded' });
  const { id } = (await stored.json()) as { id: string };
  assert.equal((await fetch(`${url}/api/v1/files/${id}`, { method: 'DELETE' })).status, 401);
  assert.equal((await fetch(`${url}/api/v1/files/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status, 204);
  child.kill('SIGTERM');
  assert.equal((await once(child, 'exit'))[0], 0);
  const r = await runPiper(['serve', '--port', '0'], { env: { PIPER_PLATFORM_TOKEN: 'short' } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /PIPER_PLATFORM_TOKEN/);
});

test('a bad flag is refused with exit code 2 and names the flag', async () => {
  const r = await runPiper(['serve', '--capacity-rps', 'lots']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--capacity-rps must be/);
  assert.match(r.stderr, /PIPER_PLATFORM_BAD_FLAG/);
});

test('piper serve --help describes every option', async () => {
  const r = await runPiper(['serve', '--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--port', '--data-dir', '--capacity-rps', '--max-concurrency', '--config', '--address'])
    assert.match(r.stdout, new RegExp(flag));
});

test('piper serve re-executes itself in the same pid with a 1 MiB young generation and 2 malloc arenas; operator settings are kept', {
  skip: process.platform !== 'linux' && 'reads /proc',
}, async () => {
  const cmdline = async (pid: number | undefined) => (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  const environ = async (pid: number | undefined) => (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
  const { MALLOC_ARENA_MAX: _, ...inherited } = process.env;
  const small = await serve([], inherited);
  // The pid we spawned is the server that printed the listening line and answers requests.
  assert.ok((await cmdline(small.child.pid)).includes('--max-semi-space-size=1'));
  assert.ok((await environ(small.child.pid)).includes('MALLOC_ARENA_MAX=2'));
  assert.equal((await fetch(`${small.url}/healthz`)).status, 200);
  small.child.kill('SIGTERM');
  assert.equal((await once(small.child, 'exit'))[0], 0);

  const own = await serve([], { ...inherited, NODE_OPTIONS: '--max-semi-space-size=8' });
  assert.ok(!(await cmdline(own.child.pid)).some((a) => a.startsWith('--max-semi-space-size')));
  assert.ok(!(await environ(own.child.pid)).some((e) => e.startsWith('MALLOC_ARENA_MAX=')));
  own.child.kill('SIGTERM');
  assert.equal((await once(own.child, 'exit'))[0], 0);
});
