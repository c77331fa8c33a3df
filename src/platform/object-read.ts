import type { Transform } from 'node:stream';
import { blockSpan, BlockVerifier } from './block-verifier.ts';
import type { ByteRange } from './byte-range.ts';
import { ByteSlice } from './byte-slice.ts';
import { codecs } from './codec-registry.ts';
import type { FileRecord } from './file-record.ts';
import { HashVerifier } from './hash-tap.ts';

/** One read of a stored object: which bytes of its file to read, and the stages that verify, decode and cut them. */
export interface ObjectRead {
  /** First byte of the file to read. */
  start: number;
  /** Last byte of the file to read (inclusive); undefined reads to the end. */
  end: number | undefined;
  stages: Transform[];
  /** Bytes the read has decoded so far (0 when it decodes nothing). */
  decoded(): number;
}

/**
 * True when a byte range of the object can be served at a cost bounded by the range: an
 * uncompressed object with block hashes is read from the range's blocks alone; any other object is
 * decoded (and verified) from its start, which is bounded only when the object is at most
 * `maxDecode` bytes.
 */
export function rangeable(record: FileRecord, maxDecode: number): boolean {
  return (record.codec === 'identity' && record.blocks !== null) || record.size <= maxDecode;
}

/**
 * Plans a read: `raw` sends the bytes at rest as they are, else they are decoded; `range` cuts
 * the decoded bytes. Every byte is verified before it is sent: against the object's block hashes
 * when it has them, else against the hash of the whole object at the end.
 */
export function planObjectRead(record: FileRecord, raw: boolean, range: ByteRange | undefined): ObjectRead {
  const codec = codecs[record.codec];
  const blocks = record.blocks;
  const none = (): number => 0;
  if (raw) {
    const check =
      blocks === null
        ? new HashVerifier(record.storedSha256, record.id)
        : new BlockVerifier(blocks, record.storedSize, record.id, blockSpan(blocks, record.storedSize, 0, record.storedSize - 1));
    return { start: 0, end: undefined, stages: [check], decoded: none };
  }
  if (codec.name === 'identity' && blocks !== null) {
    // Bytes at rest are the original: read only the blocks the range needs.
    const from = range?.start ?? 0;
    const to = range?.end ?? record.size - 1;
    const span = blockSpan(blocks, record.storedSize, from, to);
    const stages: Transform[] = [new BlockVerifier(blocks, record.storedSize, record.id, span)];
    if (range !== undefined) stages.push(new ByteSlice(from - span.start, to - span.start));
    return { start: span.start, end: span.end < span.start ? undefined : span.end, stages, decoded: none };
  }
  const whole = new HashVerifier(record.id, record.id);
  const stages: Transform[] = [];
  if (blocks !== null) {
    stages.push(new BlockVerifier(blocks, record.storedSize, record.id, blockSpan(blocks, record.storedSize, 0, record.storedSize - 1)));
  }
  stages.push(codec.createDecompressor(), whole);
  if (range !== undefined) stages.push(new ByteSlice(range.start, range.end));
  return { start: 0, end: undefined, stages, decoded: () => (codec.name === 'identity' ? 0 : whole.bytes) };
}
