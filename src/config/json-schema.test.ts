import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configJsonSchema } from './json-schema.ts';

test('the JSON Schema describes every top-level key and refuses unknown ones', () => {
  const schema = configJsonSchema() as { properties: Record<string, unknown>; additionalProperties: unknown };
  for (const key of ['listeners', 'admin', 'pools', 'routes', 'migration', 'storage', 'notifications', 'platform']) {
    assert.ok(key in schema.properties, key);
  }
  assert.equal(schema.additionalProperties, false);
});
