import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPiperError, SeededRandom } from '../core/index.ts';
import { resolveLoadTarget } from './load-target.ts';
import { parseScenario, RequestMix } from './request-mix.ts';

const yaml = `
target: http://127.0.0.1:9000
requests:
  - name: home
    path: /
    weight: 8
  - name: upload
    method: post
    path: /api/compress
    headers: { content-type: text/plain }
    bodySize: 4KiB
    weight: 2
`;

describe('scenarios and the request mix', () => {
  it('parses a weighted scenario with defaults and synthetic bodies', () => {
    const s = parseScenario(yaml, 'mix.yaml');
    assert.equal(s.target, 'http://127.0.0.1:9000');
    assert.equal(s.requests[0]?.method, 'GET');
    assert.equal(s.requests[1]?.method, 'POST');
    assert.equal(s.requests[1]?.body?.length, 4096);
  });

  it('picks requests in proportion to their weights', () => {
    const mix = new RequestMix(parseScenario(yaml, 'mix.yaml').requests);
    const random = new SeededRandom(3);
    const counts = [0, 0];
    for (let i = 0; i < 10_000; i++) {
      const k = mix.pick(random);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    assert.ok(Math.abs((counts[0] as number) / 10_000 - 0.8) < 0.02, String(counts));
  });

  it('names the key path of every scenario problem', () => {
    assert.throws(
      () => parseScenario('requests:\n  - path: nope\n    weight: -1\n    colour: red\n', 'bad.yaml'),
      (e) =>
        isPiperError(e, 'PIPER_LOADGEN_INVALID_SCENARIO') &&
        e.message.includes('requests.0.path') &&
        e.message.includes('requests.0.weight') &&
        e.message.includes('colour'),
    );
  });

  it('resolves a URL with flags, or a scenario with its own target', () => {
    const a = resolveLoadTarget({ url: 'http://127.0.0.1:8080/files?x=1', method: 'post', headers: ['X-Test: 1'], body: 'hi' });
    assert.equal(a.target, 'http://127.0.0.1:8080');
    assert.deepEqual(a.requests[0], {
      name: 'POST /files',
      method: 'POST',
      path: '/files?x=1',
      headers: { 'x-test': '1' },
      body: 'hi',
      weight: 1,
    });
    const b = resolveLoadTarget({ url: undefined, scenario: { text: yaml, source: 'mix.yaml' } });
    assert.equal(b.target, 'http://127.0.0.1:9000');
    assert.throws(
      () => resolveLoadTarget({ url: 'ftp://x' }),
      (e) => isPiperError(e, 'PIPER_LOADGEN_INVALID_TARGET'),
    );
    assert.throws(
      () => resolveLoadTarget({ url: 'http://x', headers: ['bad'] }),
      (e) => isPiperError(e, 'PIPER_LOADGEN_INVALID_OPTIONS'),
    );
  });
});
