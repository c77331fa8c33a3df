import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configJsonSchema } from './json-schema.ts';
import { parseConfig } from './load-config.ts';

function issues(text: string): string[] {
  const result = parseConfig(text, { env: { EDGE_B_TOKEN: 'b2c9e07f41d84a6c93e0d5b7a1f2e864' } });
  return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
}

describe('dataPlanes', () => {
  it('defaults to the local data plane alone', () => {
    const result = parseConfig('');
    assert.ok(result.ok);
    assert.deepEqual(result.config.dataPlanes, [{ name: 'local', kind: 'local' }]);
  });

  it('takes a local member and remote ones with their admin URL and a token from the environment', () => {
    const result = parseConfig(
      `
dataPlanes:
  - { name: edge-a, kind: local }
  - { name: edge-b, kind: remote, admin: "http://10.0.0.2:9901", token: "\${EDGE_B_TOKEN}" }
`,
      { env: { EDGE_B_TOKEN: 'b2c9e07f41d84a6c93e0d5b7a1f2e864' } },
    );
    assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
    assert.deepEqual(result.config.dataPlanes[1], {
      name: 'edge-b',
      kind: 'remote',
      admin: 'http://10.0.0.2:9901',
      token: 'b2c9e07f41d84a6c93e0d5b7a1f2e864',
    });
  });

  it('names the key of each mistake: a remote without admin, a local with one, a name twice, two locals, none at all', () => {
    assert.deepEqual(
      issues(`
dataPlanes:
  - { name: edge-a, kind: local, admin: "http://127.0.0.1:9901" }
  - { name: edge-b, kind: remote }
  - { name: edge-b, kind: remote, admin: "ftp://10.0.0.3" }
  - { name: edge-d, kind: local }
`),
      [
        "dataPlanes[0].admin: is read only for kind remote: a local member is this process's own data plane",
        "dataPlanes[1].admin: is required for kind remote (the member's admin API, http://host:9901)",
        'dataPlanes[2].admin: an http:// or https:// URL',
        'dataPlanes[2].name: duplicate data plane name "edge-b"',
        'dataPlanes[3].kind: only one member can be local: this process runs one data plane',
      ],
    );
    assert.equal(issues('dataPlanes: []').length, 1);
  });

  it('is in the JSON Schema', () => {
    const schema = configJsonSchema() as { properties: Record<string, { type?: string }> };
    assert.equal(schema.properties.dataPlanes?.type, 'array');
  });
});
