import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { isPiperError } from '../core/index.ts';
import { defaultConfig, parseConfig, unwrapConfig, validateConfig } from './load-config.ts';

const example = new URL('../../examples/piper.yaml', import.meta.url);

test('the example config is valid, with durations in ms and percentages as fractions', async () => {
  const result = parseConfig(await readFile(example, 'utf8'), { env: { PIPER_ADMIN_TOKEN: 'f3a9c07e1b5d42c8a6e0d9b7c1f24e85' } });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  const c = result.config;
  assert.deepEqual(Object.keys(c.pools), ['vendor', 'inhouse']);
  assert.equal(c.timeouts.headers, 10_000);
  assert.equal(c.pools.vendor?.healthCheck.timeout, 500);
  assert.equal(c.pools.vendor?.outlierDetection.maxEjectionPercent, 0.5);
  assert.equal(c.routes[0]?.slo.availability, 0.999);
  assert.equal(c.migration.expectedPeak, 300);
  assert.equal(c.platform.maxUploadSize, 1024 ** 3);
});

test('reports three mistakes at once, each with its path and the bad value', () => {
  const result = parseConfig(`
pools:
  inhouse:
    backends:
      - { name: a, url: "http://127.0.0.1:1" }
      - { name: b, url: "ftp://127.0.0.1:2" }
    healthCheck: { interval: soon }
routes:
  - name: web
    split: { inhouse: 100 }
    retires: 2
`);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(
    result.issues.map((i) => [i.path, i.value]),
    [
      ['pools.inhouse.backends[1].url', 'ftp://127.0.0.1:2'],
      ['pools.inhouse.healthCheck.interval', 'soon'],
      ['routes[0].retires', 2],
    ],
  );
  assert.match(result.issues[2]?.message ?? '', /unknown key/);
});

test('cross-references are checked: a split naming an unknown pool is reported at that key', () => {
  const result = validateConfig({
    pools: { a: { backends: [{ name: 'x', url: 'http://127.0.0.1:1' }] } },
    routes: [{ name: 'r', split: { a: 1, b: 1 } }],
  });
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.issues[0]?.path, 'routes[0].split.b');
});

test('substitutes ${ENV} and ${ENV:-default}, and reports an unset variable at its key', () => {
  const text = 'admin:\n  token: ${TOKEN}\nstorage:\n  path: ${DB:-/var/lib/piper.db}\n';
  const ok = parseConfig(text, { env: { TOKEN: 'a-long-enough-token-123' } });
  assert.ok(ok.ok);
  assert.equal(ok.config.admin.token, 'a-long-enough-token-123');
  assert.equal(ok.config.storage.path, '/var/lib/piper.db');
  const bad = parseConfig(text, { env: {} });
  assert.equal(bad.ok, false);
  assert.deepEqual(!bad.ok && bad.issues.map((i) => i.path), ['admin.token']);
  assert.match(!bad.ok ? (bad.issues[0]?.message ?? '') : '', /TOKEN is not set/);
});

test('a YAML syntax error is reported with its line', () => {
  const result = parseConfig('pools: {\n  a: [\n');
  assert.equal(result.ok, false);
  assert.match(!result.ok ? (result.issues[0]?.message ?? '') : '', /YAML syntax.*line \d+/);
});

test('the parsed config is frozen', () => {
  const c = defaultConfig();
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.timeouts));
  assert.throws(() => {
    (c.timeouts as { headers: number }).headers = 1;
  }, TypeError);
});

test('unwrapConfig throws PIPER_CONFIG_INVALID listing every issue', () => {
  assert.throws(
    () => unwrapConfig(validateConfig({ listeners: [{ port: 70000 }], bogus: 1 }), 'x.yaml'),
    (err: unknown) => isPiperError(err, 'PIPER_CONFIG_INVALID') && /x\.yaml has 2 problem/.test(err.message) && err.source === 'config',
  );
});

test('requestBody: read-ahead defaults of 64 KiB per body and 64 MiB in all; a buffer over 16 MiB is refused at its key', () => {
  const c = defaultConfig();
  assert.equal(c.requestBody.buffer, 64 * 1024);
  assert.equal(c.requestBody.bufferTotal, 64 * 1024 * 1024);
  const bad = validateConfig({ requestBody: { buffer: '32MiB' } });
  assert.deepEqual(!bad.ok && bad.issues.map((i) => i.path), ['requestBody.buffer']);
});

test('requestBody: a minimum body rate of 1 KiB/s over 10 s by default; a rate needs "/s" and a window of at least 1 s', () => {
  const c = defaultConfig();
  assert.equal(c.requestBody.minRate, 1024);
  assert.equal(c.requestBody.rateWindow, 10_000);
  const ok = validateConfig({ requestBody: { minRate: '500B/s', rateWindow: '5s' } });
  assert.equal(ok.ok && ok.config.requestBody.minRate, 500);
  const bad = validateConfig({ requestBody: { minRate: '1KiB', rateWindow: '500ms' } });
  assert.deepEqual(!bad.ok && bad.issues.map((i) => i.path), ['requestBody.minRate']);
  const window = validateConfig({ requestBody: { rateWindow: '500ms' } });
  assert.deepEqual(!window.ok && window.issues.map((i) => i.path), ['requestBody.rateWindow']);
});

test('admission.idleLimit is optional (the pool gives 8 per backend) and a whole number of at least 1', () => {
  const pools = (admission: Record<string, unknown>) => ({
    pools: { p: { backends: [{ name: 'a', url: 'http://127.0.0.1:1' }], admission } },
  });
  const ok = validateConfig(pools({}));
  assert.equal(ok.ok && ok.config.pools.p?.admission.idleLimit, undefined);
  const bad = validateConfig(pools({ idleLimit: 0 }));
  assert.deepEqual(!bad.ok && bad.issues.map((i) => i.path), ['pools.p.admission.idleLimit']);
});

test("an https:// backend on piper's own balancer is refused at its key (it would get plain HTTP on port 80); HAProxy takes it", () => {
  const pools = { p: { backends: [{ name: 'b', url: 'https://api.example' }] } };
  const routes = [{ name: 'web', split: { p: 1 } }];
  assert.throws(
    () => unwrapConfig(validateConfig({ pools, routes }), 'x.yaml'),
    (err: unknown) =>
      isPiperError(err, 'PIPER_CONFIG_INVALID') &&
      /pools\.p\.backends\[0\]\.url: an https:\/\/ backend needs dataPlane\.kind: haproxy/.test(err.message),
  );
  assert.doesNotThrow(() => unwrapConfig(validateConfig({ pools, routes, dataPlane: { kind: 'haproxy' } }), 'x.yaml'));
});

test('migration.judge.relativeLatencyMargin: 5 % by default, a percentage or fraction, refused at its key outside (0 %, 90 %)', () => {
  assert.equal(defaultConfig().migration.judge.relativeLatencyMargin, 0.05);
  const ok = validateConfig({ migration: { judge: { relativeLatencyMargin: '8%' } } });
  assert.ok(ok.ok);
  assert.equal(ok.config.migration.judge.relativeLatencyMargin, 0.08);
  for (const value of [0, '95%', 'wide']) {
    const bad = validateConfig({ migration: { judge: { relativeLatencyMargin: value } } });
    assert.equal(bad.ok, false, String(value));
    assert.equal(!bad.ok && bad.issues[0]?.path, 'migration.judge.relativeLatencyMargin');
    if (value !== 'wide') assert.match(!bad.ok ? (bad.issues[0]?.message ?? '') : '', /above 0% and below 90%/);
  }
});
