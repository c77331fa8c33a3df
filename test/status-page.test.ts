import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FixtureBackend } from './backend-fixture.ts';
import { type PiperUpProcess, startPiperUp } from './balancer-process.ts';

const backend = new FixtureBackend('b1');
let up: PiperUpProcess;

before(async () => {
  const url = await backend.listen();
  up = await startPiperUp({
    admin: { address: '127.0.0.1', port: 0, token: 'admin-token-for-the-status-test' },
    pools: { main: { backends: [{ name: 'b1', url }], healthCheck: { enabled: false } } },
    routes: [{ name: 'web', split: { main: 100 } }],
  });
});

after(async () => {
  await up?.stop();
  await backend.close();
});

test('the public status page needs no sign-in and shows each route as operational', async () => {
  const html = await fetch(`${up.dashboardUrl}/status`);
  assert.equal(html.status, 200);
  assert.match(html.headers.get('content-type') ?? '', /text\/html/);
  const text = await html.text();
  assert.match(text, /All systems operational/);
  assert.match(text, /<span>web<\/span><b[^>]*>Operational<\/b>/);
  assert.match(text, /No incidents recorded/);
  const json = (await (await fetch(`${up.dashboardUrl}/status.json`)).json()) as {
    status: string;
    services: { name: string; status: string }[];
  };
  assert.equal(json.status, 'operational');
  assert.deepEqual(json.services, [{ name: 'web', status: 'operational' }]);
  // The rest of the dashboard's API still needs a session.
  assert.equal((await fetch(`${up.dashboardUrl}/api/v1/state`)).status, 401);
});
