import { detectFormat } from './magic-bytes.ts';

/** Signatures of formats whose content is already compressed, at the offset where each stands. */
const SIGNATURES: readonly { name: string; offset: number; bytes: readonly number[] }[] = [
  { name: 'PNG', offset: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { name: 'JPEG', offset: 0, bytes: [0xff, 0xd8, 0xff] },
  { name: 'GIF', offset: 0, bytes: [0x47, 0x49, 0x46, 0x38] },
  { name: 'WebP', offset: 8, bytes: [0x57, 0x45, 0x42, 0x50] },
  // ZIP local file header: also .docx, .xlsx, .jar, .epub, .apk.
  { name: 'ZIP', offset: 0, bytes: [0x50, 0x4b, 0x03, 0x04] },
  { name: 'xz', offset: 0, bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'bzip2', offset: 0, bytes: [0x42, 0x5a, 0x68] },
  { name: '7z', offset: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { name: 'RAR', offset: 0, bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07] },
  // ISO base media (MP4, MOV, HEIC, AVIF): a box of type "ftyp" first.
  { name: 'MP4', offset: 4, bytes: [0x66, 0x74, 0x79, 0x70] },
  { name: 'Matroska/WebM', offset: 0, bytes: [0x1a, 0x45, 0xdf, 0xa3] },
  { name: 'Ogg', offset: 0, bytes: [0x4f, 0x67, 0x67, 0x53] },
  { name: 'FLAC', offset: 0, bytes: [0x66, 0x4c, 0x61, 0x43] },
  { name: 'MP3', offset: 0, bytes: [0x49, 0x44, 0x33] },
];

/**
 * The name of an already compressed format the input starts like (gzip and zstd as
 * {@link detectFormat} knows them, then common media and archives), or undefined. It only names
 * what a person uploaded; whether to compress is decided by measuring, never by this.
 */
export function compressedFormat(head: Uint8Array): string | undefined {
  const known = detectFormat(head);
  if (known !== undefined) return known;
  return SIGNATURES.find((s) => s.bytes.every((b, i) => head[s.offset + i] === b))?.name;
}
