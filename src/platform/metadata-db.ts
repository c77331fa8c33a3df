import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { CodecName } from './codec.ts';
import type { FileRecord } from './file-record.ts';

interface Row {
  id: string;
  name: string;
  content_type: string;
  size: number;
  stored_size: number;
  codec: string;
  level: number;
  stored_sha256: string;
  weissman: number | null;
  created_at: number;
  block_size: number | null;
  block_hashes: Uint8Array | null;
}

function toRecord(r: Row): FileRecord {
  return {
    id: r.id,
    name: r.name,
    contentType: r.content_type,
    size: r.size,
    storedSize: r.stored_size,
    codec: r.codec as CodecName,
    level: r.level,
    ratio: r.stored_size === 0 ? 1 : r.size / r.stored_size,
    storedSha256: r.stored_sha256,
    blocks: r.block_size === null || r.block_hashes === null ? null : { size: r.block_size, hashes: Buffer.from(r.block_hashes) },
    weissman: r.weissman,
    createdAt: r.created_at,
  };
}

/** File metadata in SQLite (node:sqlite, WAL): one row per stored object. */
export class MetadataDb {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #insert: StatementSync;
  readonly #delete: StatementSync;
  readonly #list: StatementSync;
  readonly #totals: StatementSync;
  #closed = false;

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    // WAL lets readers run beside the one writer; NORMAL sync is durable at each checkpoint and
    // the object files themselves are fsynced before their row is written.
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    this.#db.exec(`CREATE TABLE IF NOT EXISTS files (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      content_type TEXT NOT NULL,
      size INTEGER NOT NULL,
      stored_size INTEGER NOT NULL,
      codec TEXT NOT NULL,
      level INTEGER NOT NULL,
      stored_sha256 TEXT NOT NULL,
      weissman REAL,
      created_at INTEGER NOT NULL,
      block_size INTEGER,
      block_hashes BLOB
    )`);
    // Stores made before block hashes existed gain the columns; their rows keep NULL and are read
    // the way they always were (whole-object hash), so nothing stored is lost or rewritten.
    const columns = (this.#db.prepare('PRAGMA table_info(files)').all() as { name: string }[]).map((c) => c.name);
    if (!columns.includes('block_size')) this.#db.exec('ALTER TABLE files ADD COLUMN block_size INTEGER');
    if (!columns.includes('block_hashes')) this.#db.exec('ALTER TABLE files ADD COLUMN block_hashes BLOB');
    this.#get = this.#db.prepare('SELECT * FROM files WHERE id = ?');
    this.#insert = this.#db.prepare(
      `INSERT OR IGNORE INTO files (id, name, content_type, size, stored_size, codec, level, stored_sha256, weissman, created_at, block_size, block_hashes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#delete = this.#db.prepare('DELETE FROM files WHERE id = ?');
    this.#list = this.#db.prepare('SELECT * FROM files ORDER BY seq DESC LIMIT ? OFFSET ?');
    this.#totals = this.#db.prepare(
      'SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS size, COALESCE(SUM(stored_size), 0) AS stored FROM files',
    );
  }

  get(id: string): FileRecord | undefined {
    const row = this.#get.get(id) as Row | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  /** Inserts unless the id exists; returns the row now stored under the id. */
  insert(r: FileRecord): FileRecord {
    this.#insert.run(
      r.id,
      r.name,
      r.contentType,
      r.size,
      r.storedSize,
      r.codec,
      r.level,
      r.storedSha256,
      r.weissman,
      r.createdAt,
      r.blocks?.size ?? null,
      r.blocks?.hashes ?? null,
    );
    return this.get(r.id) as FileRecord;
  }

  delete(id: string): boolean {
    return Number(this.#delete.run(id).changes) > 0;
  }

  /** Newest first. */
  list(limit: number, offset: number): FileRecord[] {
    return (this.#list.all(limit, offset) as unknown as Row[]).map(toRecord);
  }

  totals(): { count: number; size: number; storedSize: number } {
    const t = this.#totals.get() as { count: number; size: number; stored: number };
    return { count: t.count, size: t.size, storedSize: t.stored };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
