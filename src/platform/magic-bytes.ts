import type { CodecName } from './codec.ts';

/** Bytes needed by {@link detectFormat}. */
export const MAGIC_LENGTH = 4;

/**
 * Recognises a compressed format from its first bytes: gzip `1f 8b` (RFC 1952 §2.3.1), a zstd
 * frame `28 b5 2f fd` (RFC 8878 §3.1.1). Brotli has no magic number (RFC 7932), so brotli input
 * must be named by the caller; undefined means "not recognised".
 */
export function detectFormat(head: Uint8Array): Exclude<CodecName, 'identity' | 'brotli'> | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return undefined;
}
