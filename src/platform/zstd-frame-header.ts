/** Bytes that hold a zstd frame header at its longest (RFC 8878 §3.1.1.1): magic, descriptor, window, dictionary id, content size. */
export const ZSTD_HEADER_MAX = 4 + 1 + 1 + 4 + 8;

const FCS_FIELD_SIZES = [0, 2, 4, 8] as const;
const DICT_ID_SIZES = [0, 1, 2, 4] as const;

/**
 * The Frame_Content_Size a zstd frame declares in its header (RFC 8878 §3.1.1.1.4), so a body can
 * be judged before any of it is decoded; undefined when the frame does not declare it, the bytes
 * are not a zstd frame, or `head` is too short to tell.
 */
export function zstdDeclaredSize(head: Uint8Array): number | undefined {
  if (head.length < 5 || head[0] !== 0x28 || head[1] !== 0xb5 || head[2] !== 0x2f || head[3] !== 0xfd) return undefined;
  const descriptor = head[4] as number;
  const singleSegment = (descriptor & 0x20) !== 0;
  // A flag of 0 means no field, unless the frame is a single segment, where it means one byte.
  const flag = descriptor >> 6;
  const fcsSize = flag === 0 && singleSegment ? 1 : (FCS_FIELD_SIZES[flag] as number);
  if (fcsSize === 0) return undefined;
  const at = 5 + (singleSegment ? 0 : 1) + (DICT_ID_SIZES[descriptor & 0x03] as number);
  if (head.length < at + fcsSize) return undefined;
  const view = new DataView(head.buffer, head.byteOffset + at, fcsSize);
  switch (fcsSize) {
    case 1:
      return view.getUint8(0);
    case 2:
      // The two-byte field is offset by 256 (§3.1.1.1.4).
      return view.getUint16(0, true) + 256;
    case 4:
      return view.getUint32(0, true);
    default:
      return Number(view.getBigUint64(0, true));
  }
}
