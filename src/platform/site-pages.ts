import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Page paths of the website and the file each serves. */
const PAGES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/upload': 'upload.html',
  '/files': 'files.html',
  '/status': 'status.html',
};

/** The site's Content-Security-Policy: its own origin only, nothing from a CDN, no inline script or style. */
export const SITE_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'";

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * The website: static files under `site/`, read once at start into memory (a few KiB), so no
 * request path ever reaches the filesystem. Works offline: nothing is loaded from a CDN.
 */
export class SitePages {
  readonly #assets: Map<string, Asset>;

  private constructor(assets: Map<string, Asset>) {
    this.#assets = assets;
  }

  static async load(dir: URL = new URL('./site/', import.meta.url)): Promise<SitePages> {
    const assets = new Map<string, Asset>();
    for (const name of await readdir(dir)) {
      const type = TYPES[extname(name)];
      if (type === undefined) continue;
      const body = await readFile(new URL(name, dir));
      assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` });
    }
    return new SitePages(assets);
  }

  /** Serves a page or `/assets/NAME`; false when the path is not part of the site. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const name = PAGES[pathname] ?? (pathname.startsWith('/assets/') ? pathname.slice('/assets/'.length) : undefined);
    const asset = name === undefined ? undefined : this.#assets.get(name);
    if (asset === undefined) return false;
    const headers = {
      'content-type': asset.type,
      etag: asset.etag,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy': SITE_CSP,
    };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers).end();
      return true;
    }
    res.writeHead(200, { ...headers, 'content-length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }
}
