import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { FixtureBackend } from './backend-fixture.ts';
import { type PiperUpProcess, startPiperUp } from './balancer-process.ts';
import { waitFor } from './rollout-harness.ts';

const backend = new FixtureBackend('b1');
const tester = new FixtureBackend('t1');
let up: PiperUpProcess;

interface StatusJson {
  status: string;
  services: { name: string; status: string }[];
}

before(async () => {
  const [url, testerUrl] = await Promise.all([backend.listen(), tester.listen()]);
  up = await startPiperUp({
    admin: { address: '127.0.0.1', port: 0, token: 'admin-token-for-the-status-test' },
    pools: {
      main: { backends: [{ name: 'b1', url }], healthCheck: { enabled: false } },
      lab: { backends: [{ name: 't1', url: testerUrl }], healthCheck: { enabled: false } },
    },
    routes: [
      { name: 'capacity-lab', match: { host: 'lab.capacity.internal' }, split: { lab: 100 }, internal: true },
      { name: 'web', split: { main: 100 } },
    ],
  });
});

after(async () => {
  await up?.stop();
  await Promise.all([backend.close(), tester.close()]);
});

const status = async (): Promise<StatusJson> => (await (await fetch(`${up.dashboardUrl}/status.json`)).json()) as StatusJson;

test('the public status page needs no sign-in, says "no traffic" before any request, and leaves internal routes out', async () => {
  const html = await fetch(`${up.dashboardUrl}/status`);
  assert.equal(html.status, 200);
  assert.match(html.headers.get('content-type') ?? '', /text\/html/);
  const text = await html.text();
  // Nothing was served, so nothing can be called operational; the banner says what the row says.
  assert.match(text, /<p class="banner">No traffic<\/p>/);
  assert.match(text, /<span>web<\/span><b[^>]*>No traffic<\/b>/);
  assert.doesNotMatch(text, /capacity-lab/);
  assert.doesNotMatch(text, /Operational|Degraded/);
  assert.match(text, /No incidents recorded/);
  const json = await status();
  assert.equal(json.status, 'no_traffic');
  assert.deepEqual(json.services, [{ name: 'web', status: 'no_traffic' }]);
  // The rest of the dashboard's API still needs a session.
  assert.equal((await fetch(`${up.dashboardUrl}/api/v1/state`)).status, 401);
});

test('once the route serves requests it is operational, and traffic on an internal route changes nothing', async () => {
  for (let i = 0; i < 5; i++) {
    await (await fetch(`${up.publicUrl}/page`)).arrayBuffer();
    await (await request(`${up.publicUrl}/x`, { headers: { host: 'lab.capacity.internal' } })).body.dump();
  }
  const page = await waitFor('web operational', async () => {
    const s = await status();
    return s.status === 'operational' ? s : undefined;
  });
  assert.deepEqual(page.services, [{ name: 'web', status: 'operational' }]);
  assert.match(await (await fetch(`${up.dashboardUrl}/status`)).text(), /All systems operational/);
  assert.equal(tester.requests, 5, 'the internal route was served');
});
