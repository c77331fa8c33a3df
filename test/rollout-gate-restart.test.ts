import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Agent, request } from 'undici';
import { type CapacityEvent, postCapacityEvent } from '../src/loadgen/index.ts';
import type { GateResult } from '../src/rollout/index.ts';
import { killHard, type PiperUpProcess, startPiperUp } from './balancer-process.ts';
import { ADMIN_TOKEN, RolloutBackend, runPiper, SteadyLoad, waitFor } from './rollout-harness.ts';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const adminAgent = new Agent();

async function admin(
  up: PiperUpProcess,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await request(`${up.adminUrl}${path}`, {
    method,
    dispatcher: adminAgent,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

/** Resolves once the journal holds route web's traffic sample of the second that started at `since` or later. */
function sampleStored(up: PiperUpProcess, since: number): Promise<number> {
  return waitFor(`a traffic sample from ${since}`, async () => {
    const { json } = await admin(up, 'GET', '/api/v1/slo');
    const at = (json.routes as { route: string; lastSampleAt: number | null }[]).find((r) => r.route === 'web')?.lastSampleAt ?? null;
    return at !== null && at >= since ? at : undefined;
  });
}

const closers: (() => Promise<unknown> | unknown)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

test('restarting piper up does not forget the peak: 30/s before a kill -9, 5/s after the restart, the gate still projects from the 30/s peak', {
  timeout: 60_000,
}, async () => {
  const vendor = new RolloutBackend();
  const inhouse = new RolloutBackend();
  const [vendorUrl, inhouseUrl] = await Promise.all([vendor.listen(), inhouse.listen()]);
  closers.push(
    () => vendor.close(),
    () => inhouse.close(),
  );
  const dir = mkdtempSync(join(tmpdir(), 'piper-gate-restart-'));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = {
    listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
    admin: { address: '127.0.0.1', port: 0, token: ADMIN_TOKEN },
    dashboard: { enabled: false },
    pools: {
      vendor: { backends: [{ name: 'v1', url: vendorUrl }], outlierDetection: { enabled: false } },
      inhouse: { backends: [{ name: 'i1', url: inhouseUrl }], outlierDetection: { enabled: false } },
    },
    routes: [{ name: 'web', split: { vendor: 100 }, retries: { attempts: 0 }, slo: { latency: { threshold: '3s' } } }],
    // One journal file for both lives of piper up.
    storage: { path: join(dir, 'piper.db') },
    logging: { level: 'warn' },
  };

  let up = await startPiperUp(config);
  // Killed at the end too: a graceful stop of piper up waits its whole 10 s drain grace (found, not fixed here).
  closers.push(
    () => killHard(up),
    () => adminAgent.close(),
  );
  // 40/s certified under the route's SLO, journaled as `piper capacity --control-plane` does: 20/s allowed at headroom 2.
  const event: CapacityEvent = {
    kind: 'capacity.result',
    source: 'loadgen',
    subject: 'inhouse',
    actor: 'piper capacity',
    data: {
      target: inhouseUrl,
      pool: 'inhouse',
      slo: { p99Ms: 200, maxErrorRatio: 0.001 },
      capacityRps: 40,
      confidence: 0.95,
      certifiedAt: Date.now(),
      trials: [],
    },
  };
  await postCapacityEvent(up.adminUrl, ADMIN_TOKEN, event);

  // The peak: 30/s for a few seconds, until a full second of it is in the journal.
  const busy = new SteadyLoad(up.publicUrl, 30);
  busy.start();
  const busyFrom = Date.now();
  await sampleStored(up, Math.ceil(busyFrom / 1000) * 1000 + 1000);
  await busy.stop();

  // kill -9: nothing is flushed on the way out; only what the journal already holds survives.
  await killHard(up);

  up = await startPiperUp(config);
  const quiet = new SteadyLoad(up.publicUrl, 5);
  quiet.start();
  closers.push(() => quiet.stop());
  // Two full seconds of the quiet rate, so the current rate is 5/s and well under what 40/s allows.
  await sampleStored(up, Math.ceil(Date.now() / 1000) * 1000 + 1000);

  const r = await admin(up, 'POST', '/api/v1/migrations', { route: 'web', to: 'inhouse', actor: 'test' });
  assert.equal(r.status, 409, `the gate let the migration start after the restart: ${JSON.stringify(r.json)}`);
  const gate = r.json.gate as GateResult;
  assert.equal(gate.basis, 'peak');
  assert.ok(gate.peakRps >= 20, `peak ${gate.peakRps}/s`);
  assert.ok(gate.currentRps < gate.peakRps, `current ${gate.currentRps}/s, peak ${gate.peakRps}/s`);
  // The certificate itself counts (recorded with the membership this control plane sees, strict enough, young).
  assert.deepEqual(
    gate.refusals.map((x) => x.check),
    ['capacity'],
  );
  assert.match((r.json.error as { message: string }).message, /over capacity: certified 40\/s < 2 × peak \d+(\.\d+)?\/s/);
  // `piper migrate start` says the same, one check per line, with the mix beside the route's traffic.
  const cli = await runPiper(['migrate', 'start', 'web', '--to', 'inhouse', '--api', up.adminUrl, '--token', ADMIN_TOKEN, '--no-follow']);
  assert.equal(cli.code, 1, cli.stdout + cli.stderr);
  assert.match(cli.stderr, /capacity gate refused moving "web" to "inhouse":/);
  assert.match(cli.stderr, /✗ over capacity: certified 40\/s < 2 × peak \d+(\.\d+)?\/s = \d+(\.\d+)?\/s/);
  assert.match(cli.stderr, /request mix certified: not recorded/);
  assert.match(cli.stderr, /route traffic observed: \d+ requests in the last 5m00s, \d+ B in \/ \d+ B out per request/);
});
