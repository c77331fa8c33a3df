// `piper up --data-plane haproxy`: HAProxy started and supervised by piper serves the listeners;
// the admin API, the controller and the journal work on it as on piper's own balancer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FixtureBackend } from './backend-fixture.ts';
import { type PiperUpProcess, startPiperUp } from './balancer-process.ts';
import { runPiper } from './cli-run.ts';
import { haproxyMissing } from './haproxy-runtime-fixture.ts';
import { HAPROXY_UP_TOKEN as TOKEN, haproxyUpConfig } from './haproxy-up-fixture.ts';

const api = (up: PiperUpProcess, path: string, init: RequestInit = {}) =>
  fetch(`${up.adminUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
  });

describe('piper up on HAProxy', { skip: haproxyMissing() }, () => {
  const v1 = new FixtureBackend('v1');
  const h1 = new FixtureBackend('h1');
  let dir = '';
  let up: PiperUpProcess;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'piper-up-haproxy-'));
    const urls = [await v1.listen(), await h1.listen()];
    up = await startPiperUp(
      haproxyUpConfig(dir, { vendor: [urls[0] as string], inhouse: [urls[1] as string] }, { vendor: 100, inhouse: 0 }),
      ['--data-plane', 'haproxy'],
    );
  });
  after(async () => {
    await up?.stop();
    await v1.close();
    await h1.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the route through HAProxy and steers it with the admin API, journaling what HAProxy read back', async () => {
    for (let i = 0; i < 4; i++) assert.equal(await (await fetch(`${up.publicUrl}/`)).text(), 'v1\n');
    const res = await api(up, '/api/v1/routes/web/split', {
      method: 'PUT',
      body: JSON.stringify({ split: { vendor: 1, inhouse: 1 }, reason: 'half', actor: 'test' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const route = (await res.json()) as { split: Record<string, number> };
    assert.equal(route.split.vendor, route.split.inhouse, 'the split HAProxy reports back');
    const served = await Promise.all(Array.from({ length: 8 }, () => fetch(`${up.publicUrl}/`).then((r) => r.text())));
    assert.equal(served.filter((b) => b === 'h1\n').length, 4, `round robin at 1:1: ${served.join('')}`);
    // The journal takes data plane events in batches, off the request path.
    let changed: { source: string; data: { asked: unknown } } | undefined;
    for (let i = 0; i < 50 && changed === undefined; i++) {
      const body = (await (await api(up, '/api/v1/events?kind=split.changed')).json()) as {
        events: { source: string; data: { asked: unknown } }[];
      };
      changed = body.events.at(-1);
      if (changed === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(changed?.data.asked, { vendor: 1, inhouse: 1 });
    assert.equal(changed?.source, 'haproxy');
  });

  it('counts the requests HAProxy served in the windows of the admin API', async () => {
    // From the next window on: the earlier tests' requests are in earlier ones.
    const since = Math.ceil(Date.now() / 1000) * 1000;
    await new Promise((resolve) => setTimeout(resolve, since - Date.now() + 20));
    for (let i = 0; i < 10; i++) await fetch(`${up.publicUrl}/`).then((r) => r.arrayBuffer());
    let counted = 0;
    for (let i = 0; i < 50 && counted < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const body = (await (await api(up, `/api/v1/windows?since=${since}`)).json()) as {
        windows: { routes: { web?: { requests: number } }; complete?: boolean }[];
      };
      counted = body.windows.reduce((n, w) => n + (w.routes.web?.requests ?? 0), 0);
      assert.ok(
        body.windows.every((w) => w.complete !== false),
        'no line lost',
      );
    }
    assert.equal(counted, 10);
  });

  it('drains a backend on HAProxy through the admin API', async () => {
    const res = await api(up, '/api/v1/pools/inhouse/backends/inhouse-1/drain', { method: 'POST' });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { health: string }).health, 'draining');
    for (let i = 0; i < 6; i++) assert.equal(await (await fetch(`${up.publicUrl}/`)).text(), 'v1\n');
  });
});

describe('piper up on HAProxy when haproxy is not installed', () => {
  it('says so in one line naming the package, then what to do, and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'piper-up-nohaproxy-'));
    try {
      const config = join(dir, 'piper.yaml');
      writeFileSync(
        config,
        `dataPlane: { kind: haproxy, haproxy: { binary: piper-test-no-such-haproxy } }\nstorage: { path: ${join(dir, 'piper.db')} }\n`,
      );
      const r = await runPiper(['up', '--config', config, '--port', '0', '--admin-port', '0', '--dashboard-port', '0'], {
        cwd: dir,
        timeoutMs: 20_000,
      });
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 2, r.stderr);
      assert.match(lines[0] ?? '', /^piper up: .*apt-get install haproxy.* \(PIPER_HAPROXY_NOT_INSTALLED\)$/);
      assert.match(lines[1] ?? '', /^what to do: Install HAProxy/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
