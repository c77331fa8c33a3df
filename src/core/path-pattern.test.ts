import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchPath } from './path-pattern.ts';

test('matchPath extracts decoded params and refuses other shapes', () => {
  assert.deepEqual(matchPath('/api/v1/routes/:route/split', '/api/v1/routes/web%20x/split'), { route: 'web x' });
  assert.equal(matchPath('/api/v1/routes/:route/split', '/api/v1/routes//split'), null);
  assert.equal(matchPath('/api/v1/routes/:route/split', '/api/v1/routes/web'), null);
  assert.equal(matchPath('/api/v1/routes/:route', '/api/v1/routes/%E0%A4%A'), null);
});
