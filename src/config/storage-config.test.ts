import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from './load-config.ts';
import { storageLocation } from './schema.ts';

const routes = { pools: { a: { backends: [{ name: 'a1', url: 'http://127.0.0.1:1' }] } }, routes: [{ name: 'web', split: { a: 100 } }] };

test('storage defaults to the SQLite file piper.db', () => {
  const result = validateConfig(routes);
  assert.ok(result.ok);
  assert.equal(result.config.storage.kind, 'sqlite');
  assert.equal(storageLocation(result.config.storage), 'piper.db');
});

test('storage.kind postgres opens the URL, with the password from the environment', () => {
  const result = validateConfig(
    { ...routes, storage: { kind: 'postgres', url: 'postgres://piper:${PG_PASSWORD}@db.internal:5432/piper' } },
    { env: { PG_PASSWORD: 's3cret' } },
  );
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  assert.equal(storageLocation(result.config.storage), 'postgres://piper:s3cret@db.internal:5432/piper');
});

test('a postgres storage without a URL, with a bad one, or with the SQLite size cap is refused naming the key', () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ kind: 'postgres' }, 'storage.url', /required when storage.kind is postgres/],
    [{ kind: 'postgres', url: 'mysql://db/piper' }, 'storage.url', /must be a postgres:\/\//],
    [{ kind: 'postgres', url: 'postgres://db/piper', maxSize: '1GiB' }, 'storage.maxSize', /SQLite only/],
    [{ url: 'postgres://db/piper' }, 'storage.url', /only with storage.kind: postgres/],
  ];
  for (const [storage, path, message] of cases) {
    const result = validateConfig({ ...routes, storage });
    assert.equal(result.ok, false, JSON.stringify(storage));
    if (result.ok) continue;
    assert.deepEqual(
      result.issues.map((i) => i.path),
      [path],
    );
    assert.match(result.issues[0]?.message ?? '', message);
  }
});
