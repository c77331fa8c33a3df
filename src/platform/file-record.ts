import type { CodecName } from './codec.ts';

/** One stored file as the API reports it. `id` is the SHA-256 (hex) of the original bytes. */
export interface FileRecord {
  id: string;
  name: string;
  contentType: string;
  /** Original size in bytes. */
  size: number;
  /** Size at rest, compressed, in bytes. */
  storedSize: number;
  codec: CodecName;
  level: number;
  /** size / storedSize. */
  ratio: number;
  /** SHA-256 of the bytes at rest, checked when they are sent as they are. */
  storedSha256: string;
  /** SHA-256 of each block of the bytes at rest; null for objects stored before blocks were hashed. */
  blocks: StoredBlocks | null;
  /** Estimated Weissman score against gzip 6 (see docs/platform.md), absent when the input was too small to score. */
  weissman: number | null;
  createdAt: number;
}

/**
 * Hashes of the bytes at rest, block by block, taken as they were written: a read verifies each
 * block before any of its bytes go on, and a range of an uncompressed object reads only its blocks.
 */
export interface StoredBlocks {
  /** Bytes per block (the last one may be shorter). */
  size: number;
  /** The blocks' SHA-256 digests, 32 bytes each, in order. */
  hashes: Buffer;
}

/** An object id is the lowercase hex SHA-256 of the original: 64 characters, nothing else reaches a path. */
export function isObjectId(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
