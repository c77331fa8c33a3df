import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { StaticAssets } from './static-assets.ts';

describe('static assets', () => {
  let dir: string;
  let assets: StaticAssets;
  let server: Server;
  let base: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'piper-assets-'));
    await mkdir(join(dir, 'views'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>piper</title>');
    await writeFile(join(dir, 'app.js'), 'export {};\n');
    await writeFile(join(dir, 'views', 'pool.js'), 'export const pool = 1;\n');
    assets = new StaticAssets(pathToFileURL(`${dir}/`));
    server = createServer((req, res) => {
      const path = StaticAssets.assetPath(new URL(req.url ?? '/', 'http://x').pathname);
      const served = path === undefined ? Promise.resolve(false) : assets.serve(path, req, res);
      void served.then((ok) => {
        if (!ok) res.writeHead(404).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('serves the files of the folder, nested ones included', async () => {
    for (const path of ['/', '/assets/app.js', '/assets/views/pool.js']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200, path);
      await res.arrayBuffer();
    }
  });

  test('memory growth through many distinct missing asset names: the cache does not grow with names nobody shipped', async () => {
    await (await fetch(`${base}/assets/app.js`)).arrayBuffer();
    const held = assets.cacheSize;
    assert.ok(held >= 1);
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const res = await fetch(`${base}/assets/missing-${batch}-${i}.js`);
          assert.equal(res.status, 404);
          await res.arrayBuffer();
        }),
      );
    }
    assert.equal(assets.cacheSize, held, 'a missing name left an entry behind');
  });

  test('serves uPlot from the installed package at its allow-listed paths, typed and revalidated like the page', async () => {
    const pkg = new URL('../../node_modules/uplot/dist/', import.meta.url);
    for (const [path, file, type] of [
      ['/assets/vendor/uplot.js', 'uPlot.esm.js', 'text/javascript; charset=utf-8'],
      ['/assets/vendor/uplot.css', 'uPlot.min.css', 'text/css; charset=utf-8'],
    ] as const) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), type);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.equal(await res.text(), await readFile(new URL(file, pkg), 'utf8'));
      const again = await fetch(`${base}${path}`, { headers: { 'if-none-match': res.headers.get('etag') ?? '' } });
      assert.equal(again.status, 304);
    }
    // Only the listed files: the rest of the package and of node_modules stay out of reach.
    for (const path of ['/assets/vendor/uplot.cjs.js', '/assets/vendor/uplot-iife.js', '/assets/vendor/pg.js']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 404, path);
      await res.arrayBuffer();
    }
  });

  test('a file added after start is not served: the set of files is fixed when the folder is first read', async () => {
    await (await fetch(`${base}/assets/app.js`)).arrayBuffer();
    await writeFile(join(dir, 'late.js'), 'export {};\n');
    assert.equal((await fetch(`${base}/assets/late.js`)).status, 404);
  });
});
