import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { killHard, startPiperUp } from './balancer-process.ts';
import { ADMIN_TOKEN, certifyOverApi, journalEvents, RolloutBackend, runPiper } from './rollout-harness.ts';

const closers: (() => Promise<unknown> | unknown)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

test('piper migrate start --headroom below migration.headroom is refused without --override-headroom, and journaled and shown with it', {
  timeout: 60_000,
}, async () => {
  const vendor = new RolloutBackend();
  const inhouse = new RolloutBackend();
  const [vendorUrl, inhouseUrl] = await Promise.all([vendor.listen(), inhouse.listen()]);
  closers.push(
    () => vendor.close(),
    () => inhouse.close(),
  );
  const up = await startPiperUp({
    listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
    admin: { address: '127.0.0.1', port: 0, token: ADMIN_TOKEN },
    dashboard: { enabled: false },
    pools: { vendor: { backends: [{ name: 'v1', url: vendorUrl }] }, inhouse: { backends: [{ name: 'i1', url: inhouseUrl }] } },
    routes: [{ name: 'web', split: { vendor: 100 }, slo: { latency: { threshold: '3s' } } }],
    migration: { headroom: 2, stepDuration: '10m' },
    logging: { level: 'warn' },
  });
  // Killed rather than stopped: a graceful stop waits out piper up's drain grace.
  closers.push(() => killHard(up));
  await certifyOverApi(up.adminUrl, 'inhouse', { target: inhouseUrl });
  const client = ['--api', up.adminUrl, '--token', ADMIN_TOKEN];
  const start = (...flags: string[]) =>
    runPiper(['migrate', 'start', 'web', '--to', 'inhouse', '--no-follow', '--actor', 'dinesh', ...flags, ...client]);

  const silent = await start('--headroom', '1.2');
  assert.notEqual(silent.code, 0, silent.stdout);
  assert.match(silent.stderr, /headroom 1\.2 is below migration\.headroom 2: lowering the capacity gate's margin is an override/);
  assert.match(silent.stderr, /--override-headroom REASON/);
  assert.match(silent.stderr, /PIPER_ROLLOUT_BAD_REQUEST/);

  const reason = 'the vendor contract ends tonight';
  const lowered = await start('--headroom', '1.2', '--override-headroom', reason);
  assert.equal(lowered.code, 0, lowered.stderr);
  const status = await runPiper(['migrate', 'status', '1', ...client]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /headroom 1\.2x \(lowered from 2x by dinesh: the vendor contract ends tonight\)/);

  // startPiperUp puts the journal beside the config it writes.
  const db = join(dirname(up.configFile), 'piper.db');
  const started = journalEvents(db, ['migration.started']);
  assert.equal(started.length, 1, 'the refused start journaled no migration');
  const override = started[0]?.data.headroomOverride as Record<string, unknown>;
  assert.deepEqual([override.reason, override.actor, override.configured, override.headroom], [reason, 'dinesh', 2, 1.2]);

  // Raising the headroom needs no reason.
  assert.equal((await runPiper(['migrate', 'abort', '1', ...client])).code, 0);
  const raised = await start('--headroom', '3');
  assert.equal(raised.code, 0, raised.stderr);
  assert.equal(journalEvents(db, ['migration.started']).at(-1)?.data.headroomOverride, null);
});
