import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sep } from 'node:path';
import { SECURITY_HEADERS } from './http-reply.ts';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  png: 'image/png',
};

/**
 * Files the page loads from a dependency, by the asset path it asks for: served from the installed
 * package (node_modules, also under the published package), never a copy that could drift from
 * the version package.json names.
 */
const VENDOR: ReadonlyMap<string, URL> = new Map([
  ['vendor/uplot.js', new URL(import.meta.resolve('uplot/dist/uPlot.esm.js'))],
  ['vendor/uplot.css', new URL(import.meta.resolve('uplot/dist/uPlot.min.css'))],
]);

// Only plain lowercase names below web/: no dots in folders, so no traversal can be spelled.
const ASSET_PATH = /^\/assets\/((?:[a-z0-9-]+\/)*[a-z0-9-]+\.(html|js|css|svg|ico|png))$/;

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * The page's files, read from `web/` beside this module (copied as-is into dist/ by the build),
 * kept in memory after the first read and revalidated by ETag so a reload after an upgrade never
 * runs stale scripts. The set of files is listed once, on first use: a name outside it is a 404
 * without touching the disk or the cache, so the cache never holds more entries than the folder
 * has files (plus the few `VENDOR` files), whatever names clients ask for.
 */
export class StaticAssets {
  readonly #root: URL;
  readonly #cache = new Map<string, Promise<Asset | undefined>>();
  #files: Promise<ReadonlySet<string>> | null = null;

  constructor(root: URL = new URL('./web/', import.meta.url)) {
    this.#root = root;
  }

  /** Assets held in memory (or being read): at most the number of files in the folder. */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /** The path of an asset URL relative to `web/`, or undefined when it is not one. */
  static assetPath(pathname: string): string | undefined {
    if (pathname === '/' || pathname === '/index.html') return 'index.html';
    return ASSET_PATH.exec(pathname)?.[1];
  }

  /** Serves the asset; answers false when no such file exists. */
  async serve(relativePath: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const asset = await this.#load(relativePath);
    if (asset === undefined) return false;
    const headers = { ...SECURITY_HEADERS, 'content-type': asset.type, etag: asset.etag, 'cache-control': 'no-cache' };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    res.writeHead(200, { ...headers, 'content-length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }

  async #load(relativePath: string): Promise<Asset | undefined> {
    if (!(await this.#list()).has(relativePath)) return undefined;
    let pending = this.#cache.get(relativePath);
    if (pending === undefined) {
      pending = this.#read(relativePath);
      this.#cache.set(relativePath, pending);
    }
    return pending;
  }

  #list(): Promise<ReadonlySet<string>> {
    this.#files ??= readdir(this.#root, { recursive: true }).then(
      // Only names an asset URL can spell (folders and odd names drop out).
      (names) =>
        new Set([
          ...names.map((name) => name.replaceAll(sep, '/')).filter((name) => StaticAssets.assetPath(`/assets/${name}`) === name),
          ...VENDOR.keys(),
        ]),
      (err: unknown) => {
        // A folder that cannot be listed now (a failed install) may be fixed without a restart.
        this.#files = null;
        throw err;
      },
    );
    return this.#files;
  }

  async #read(relativePath: string): Promise<Asset | undefined> {
    const ext = relativePath.slice(relativePath.lastIndexOf('.') + 1);
    const type = CONTENT_TYPES[ext];
    if (type === undefined) return undefined;
    try {
      const body = await readFile(VENDOR.get(relativePath) ?? new URL(relativePath, this.#root));
      return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    } catch (err) {
      // Listed but gone since (an upgrade in place): a 404, cached like the file was; the
      // entry is one of the listed names, so the cache stays bounded.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      this.#cache.delete(relativePath);
      throw err;
    }
  }
}
