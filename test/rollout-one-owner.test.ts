// Issue 25: one owner per route. A `piper migrate controller` started on the journal of a running
// `piper up` (whose built-in controller drives the same balancer) used to accept a second migration
// of the same route, both numbered 1. Both now campaign for the journal's leader lease: the second
// serves reads and refuses a start, naming the owner.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { request } from 'undici';
import { runPiper } from './cli-run.ts';
import { migrationRig, startController } from './rollout-harness.ts';

test('a second controller on the same journal refuses to start a migration, naming the one that owns it', async () => {
  const rig = await migrationRig({ rps: 20, capacity: { inhouse: 1000 } });
  after(() => rig.close());
  const controller = await startController(rig.up.adminUrl, join(dirname(rig.up.configFile), 'piper.db'), rig.configFile);
  after(() => {
    controller.child.kill('SIGTERM');
    return controller.exited;
  });
  const res = await request(`${controller.url}/api/v1/migrations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ route: 'web', to: 'inhouse', actor: 'dinesh' }),
  });
  const body = (await res.body.json()) as { error: { code: string; message: string }; leader: { url: string | null } | null };
  assert.equal(res.statusCode, 409);
  assert.equal(body.error.code, 'PIPER_NOT_LEADER');
  assert.equal(body.leader?.url, rig.up.adminUrl, 'names piper up, which owns the journal’s migrations');
  assert.match(body.error.message, /is a follower; the leader is .* at http:\/\/127\.0\.0\.1:\d+: send the request there/);
  // Reads still work on the follower, from the journal.
  const list = await request(`${controller.url}/api/v1/migrations`);
  assert.equal(list.statusCode, 200);
  await list.body.dump();
  // The command sent to the follower was well formed: it fails (1), not a usage error (2).
  const cli = await runPiper(['migrate', 'start', 'web', '--to', 'inhouse', '--admin', controller.url]);
  assert.equal(cli.code, 1, cli.stdout + cli.stderr);
  assert.match(cli.stderr, /is a follower; the leader is .*: send the request there \(PIPER_NOT_LEADER\)/);
});
