import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type ReadStream } from 'node:fs';
import { access, constants, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Clock, type Logger, PiperError } from '../core/index.ts';
import { BlockHashTap } from './block-hash-tap.ts';
import { ByteLimit } from './byte-limit.ts';
import type { Codec } from './codec.ts';
import { type FileRecord, isObjectId } from './file-record.ts';
import { HashTap } from './hash-tap.ts';
import { KeyedLock } from './keyed-lock.ts';
import { MetadataDb } from './metadata-db.ts';
import { StoreQuota } from './store-quota.ts';
import { platformErrors } from './platform-errors.ts';

/**
 * Bytes at rest per hashed block: what a read verifies before letting any of it go (so at most this
 * much is held per download), and the most an uncompressed range reads beyond its own bytes at each end.
 */
export const STORE_BLOCK_SIZE = 1024 * 1024;

/** What to store and how. */
export interface PutOptions {
  name: string;
  contentType: string;
  codec: Codec;
  level: number;
  /** Largest original size accepted; more fails with PIPER_PLATFORM_TOO_LARGE. */
  maxBytes: number;
  /** More stages the original bytes pass through before they are stored (limits with codes of their own). */
  guards?: Transform[];
  /** Scores the finished object (Weissman), given its sizes; null when it cannot be scored. */
  score?: (size: number, storedSize: number) => number | null;
}

/** The result of a put: the record, and whether the content was already stored. */
export interface PutResult {
  record: FileRecord;
  deduplicated: boolean;
}

/**
 * The content-addressed store: objects compressed at rest under `objects/ab/cd/<sha256>`, metadata
 * in SQLite. Writes go to `tmp/`, are fsynced, then renamed into place (atomic on one filesystem),
 * then the row is written: a crash at any point leaves nothing visible, and {@link open} removes
 * what it left behind.
 */
export class ContentStore {
  readonly dir: string;
  readonly #db: MetadataDb;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #locks = new KeyedLock();
  /** Room left under platform.maxStoreSize, in original bytes; uploads reserve from it. */
  readonly quota: StoreQuota;
  #closed = false;

  private constructor(dir: string, db: MetadataDb, clock: Clock, log: Logger, maxStoreSize: number) {
    this.dir = dir;
    this.#db = db;
    this.#clock = clock;
    this.#log = log;
    this.quota = new StoreQuota(maxStoreSize, db.totals().size);
  }

  /**
   * Opens (creating) the store in `dir`, removing temporary files and unreferenced objects left by
   * a crash; `maxStoreSize` (original bytes in all) bounds what uploads may reserve.
   */
  static async open(dir: string, clock: Clock, log: Logger, maxStoreSize = Number.POSITIVE_INFINITY): Promise<ContentStore> {
    try {
      await mkdir(join(dir, 'objects'), { recursive: true });
      await rm(join(dir, 'tmp'), { recursive: true, force: true });
      await mkdir(join(dir, 'tmp'), { recursive: true });
    } catch (err) {
      throw new PiperError(
        platformErrors.PIPER_PLATFORM_STORE_UNAVAILABLE,
        `cannot prepare the data directory ${dir}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const store = new ContentStore(dir, new MetadataDb(join(dir, 'metadata.db')), clock, log, maxStoreSize);
    const orphans = await store.#removeOrphans();
    if (orphans > 0) log.warn({ orphans }, 'removed objects without metadata left by an interrupted upload');
    return store;
  }

  /** Streams `source` into the store; the same content is stored once, whoever uploads it. */
  async put(source: Readable, options: PutOptions): Promise<PutResult> {
    this.#assertOpen();
    const tmp = join(this.dir, 'tmp', `${randomUUID()}.part`);
    const original = new HashTap();
    const stored = new BlockHashTap(STORE_BLOCK_SIZE);
    // flush: the file is fsynced before it is closed, so the rename below never publishes a file
    // whose bytes are still only in the page cache.
    const out = createWriteStream(tmp, { flags: 'wx', flush: true, highWaterMark: 64 * 1024 });
    let committed = false;
    try {
      await pipeline([
        source,
        new ByteLimit(options.maxBytes, 'upload'),
        ...(options.guards ?? []),
        original,
        options.codec.createCompressor(options.level),
        stored,
        out,
      ]);
      if (!out.closed) await once(out, 'close');
      const id = original.digest();
      const result = await this.#locks.run(id, async () => {
        const existing = this.#db.get(id);
        if (existing !== undefined && (await this.#exists(this.#objectPath(id)))) {
          return { record: existing, deduplicated: true };
        }
        const dest = this.#objectPath(id);
        const shard = join(dest, '..');
        await mkdir(shard, { recursive: true });
        await rename(tmp, dest);
        committed = true;
        await syncDir(shard);
        if (existing !== undefined) this.#db.delete(id);
        else this.quota.stored(original.bytes);
        const record = this.#db.insert({
          id,
          name: options.name,
          contentType: options.contentType,
          size: original.bytes,
          storedSize: stored.bytes,
          codec: options.codec.name,
          level: options.level,
          ratio: stored.bytes === 0 ? 1 : original.bytes / stored.bytes,
          storedSha256: stored.digest(),
          blocks: stored.blocks(),
          weissman: options.score?.(original.bytes, stored.bytes) ?? null,
          createdAt: this.#clock.now(),
        });
        return { record, deduplicated: false };
      });
      return result;
    } finally {
      if (!out.closed) {
        out.destroy();
        await once(out, 'close').catch(() => undefined);
      }
      if (!committed) await unlink(tmp).catch(() => undefined);
    }
  }

  /** The record of an id; throws PIPER_PLATFORM_BAD_ID for anything but 64 hex characters. */
  get(id: string): FileRecord | undefined {
    this.#assertOpen();
    checkId(id);
    return this.#db.get(id);
  }

  /**
   * Opens the bytes at rest of a record, from byte `start` to `end` (inclusive; to the end of the
   * file when undefined); a missing file is a corrupt store, never a 404.
   */
  async openStored(record: FileRecord, start = 0, end?: number): Promise<ReadStream> {
    const path = this.#objectPath(record.id);
    const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      throw new PiperError(
        platformErrors.PIPER_PLATFORM_OBJECT_CORRUPT,
        `stored object ${record.id} is missing its file (${err.code ?? err.message})`,
        {
          cause: err,
          details: { id: record.id },
        },
      );
    });
    return fh.createReadStream({ highWaterMark: 64 * 1024, start, ...(end === undefined ? {} : { end }) });
  }

  list(limit: number, offset: number): { files: FileRecord[]; total: number } {
    this.#assertOpen();
    return { files: this.#db.list(limit, offset), total: this.#db.totals().count };
  }

  totals(): { count: number; size: number; storedSize: number } {
    return this.#db.totals();
  }

  /** Removes a file; false when there was none. */
  async delete(id: string): Promise<boolean> {
    this.#assertOpen();
    checkId(id);
    return this.#locks.run(id, async () => {
      const record = this.#db.get(id);
      const had = this.#db.delete(id);
      if (record !== undefined && had) this.quota.removed(record.size);
      await unlink(this.#objectPath(id)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') this.#log.error({ err, id }, 'could not remove object file');
      });
      return had;
    });
  }

  /** True when a write would succeed now (readiness). */
  async writable(): Promise<boolean> {
    if (this.#closed) return false;
    try {
      await access(join(this.dir, 'tmp'), constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }

  /** The absolute path of an object; only ever called with a checked id. */
  objectPath(id: string): string {
    checkId(id);
    return this.#objectPath(id);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #objectPath(id: string): string {
    return join(this.dir, 'objects', id.slice(0, 2), id.slice(2, 4), id);
  }

  async #exists(path: string): Promise<boolean> {
    return access(path).then(
      () => true,
      () => false,
    );
  }

  async #removeOrphans(): Promise<number> {
    let removed = 0;
    const root = join(this.dir, 'objects');
    for (const a of await readdir(root)) {
      for (const b of await readdir(join(root, a)).catch(() => [])) {
        for (const name of await readdir(join(root, a, b)).catch(() => [])) {
          if (isObjectId(name) && this.#db.get(name) !== undefined) continue;
          await rm(join(root, a, b, name), { force: true, recursive: true });
          removed++;
        }
      }
    }
    return removed;
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new PiperError(platformErrors.PIPER_PLATFORM_STORE_UNAVAILABLE, 'the store is closed');
    }
  }
}

function checkId(id: string): void {
  if (!isObjectId(id)) {
    throw new PiperError(platformErrors.PIPER_PLATFORM_BAD_ID, 'a file id is the 64-character lowercase hex SHA-256 of its content');
  }
}

/** fsync of a directory makes a rename inside it durable (POSIX leaves it in the page cache otherwise). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
