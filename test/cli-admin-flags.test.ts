import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { runPiper } from './cli-run.ts';

/** A stand-in for piper up's admin API: records who asked for what, answers empty lists. */
let server: Server;
let url: string;
const seen: { path: string; auth: string | undefined }[] = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push({ path: (req.url ?? '').split('?')[0] as string, auth: req.headers.authorization });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ migrations: [], events: [], incidents: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(() => {
  server.close();
});

const env = { PIPER_ADMIN: '', PIPER_API: '', PIPER_ADMIN_TOKEN: '', PIPER_TOKEN: '' };

test('migrate, events and incidents all find piper up through $PIPER_ADMIN and $PIPER_ADMIN_TOKEN', async () => {
  seen.length = 0;
  const withEnv = { env: { ...env, PIPER_ADMIN: url, PIPER_ADMIN_TOKEN: 'token-from-the-environment' } };
  for (const args of [
    ['migrate', 'status', '--json'],
    ['events', '--json'],
    ['incidents', '--json'],
  ]) {
    const r = await runPiper(args, withEnv);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.deepEqual(
    seen.map((s) => s.auth),
    Array(seen.length).fill('Bearer token-from-the-environment'),
  );
  assert.deepEqual(
    seen.map((s) => s.path),
    ['/api/v1/migrations', '/api/v1/events', '/api/v1/incidents'],
  );
});

test('--admin is the flag for all of them; migrate still takes --api, unlisted', async () => {
  seen.length = 0;
  const admin = await runPiper(['migrate', 'status', '--json', '--admin', url, '--token', 'flag-token'], { env });
  assert.equal(admin.code, 0, admin.stderr);
  const api = await runPiper(['migrate', 'status', '--json', '--api', url], { env: { ...env, PIPER_TOKEN: 'older-variable' } });
  assert.equal(api.code, 0, api.stderr);
  assert.deepEqual(
    seen.map((s) => s.auth),
    ['Bearer flag-token', 'Bearer older-variable'],
  );
  const help = await runPiper(['migrate', 'status', '--help']);
  assert.match(help.stdout, /--admin URL +the rollout API: .*\(default: \$PIPER_ADMIN or http:\/\/127\.0\.0\.1:9901\)/);
  assert.match(help.stdout, /--token TOKEN +admin bearer token \(default: \$PIPER_ADMIN_TOKEN\)/);
  assert.doesNotMatch(help.stdout, /--api/);
  for (const command of ['events', 'incidents', 'postmortem', 'capacity']) {
    const h = await runPiper([command, '--help']);
    assert.match(h.stdout, /--admin URL/, command);
    assert.match(h.stdout, /\(default: \$PIPER_ADMIN_TOKEN\)/, command);
    assert.doesNotMatch(h.stdout, /PIPER_TOKEN|--control-plane|PIPER_API/, command);
  }
});

test('piper GROUP --help lists the subcommands and exits 0', async () => {
  const migrate = await runPiper(['migrate', '--help']);
  assert.equal(migrate.code, 0, migrate.stderr);
  assert.equal(migrate.stderr, '');
  const lines = migrate.stdout.split('\n');
  assert.equal(lines[0], 'Usage: piper migrate <subcommand> [options]');
  for (const sub of ['start', 'status', 'pause', 'resume', 'promote', 'abort', 'controller']) {
    assert.ok(
      lines.some((l) => l.startsWith(`  migrate ${sub} `)),
      sub,
    );
  }
  assert.equal((await runPiper(['help', 'migrate'])).stdout, migrate.stdout);
  const config = await runPiper(['config', '-h']);
  assert.equal(config.code, 0);
  assert.match(config.stdout, /^ {2}config schema {2}Print the JSON Schema of piper\.yaml/m);
  const haproxy = await runPiper(['haproxy', '--help']);
  assert.equal(haproxy.code, 0);
  assert.match(haproxy.stdout, /^ {2}haproxy config {2}/m);
  const incidents = await runPiper(['incidents', '--help']);
  assert.equal(incidents.code, 0);
  assert.match(incidents.stdout, /Subcommands:\n {2}incidents list {2}[\s\S]*\n {2}incidents ack {2}/);
});
