/**
 * The text form of a set of 32-bit user ids, as telemetry windows carry them and journal samples
 * keep them: the ids ascending, as little-endian 32-bit words, in base64 (4 096 ids: 22 kB).
 * Shared here because telemetry writes it and the journal reads it, and neither may import the other.
 */
export function encodeUserIds(ids: Iterable<number>): string {
  const sorted = Uint32Array.from(ids).sort();
  const bytes = Buffer.alloc(sorted.length * 4);
  for (let j = 0; j < sorted.length; j++) bytes.writeUInt32LE(sorted[j] as number, j * 4);
  return bytes.toString('base64');
}

/** The ids of an {@link encodeUserIds} text; a text that is not one (a length not a multiple of 4 bytes) gives none. */
export function decodeUserIds(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) return [];
  const out: number[] = new Array(bytes.length / 4);
  for (let j = 0; j < out.length; j++) out[j] = bytes.readUInt32LE(j * 4);
  return out;
}
