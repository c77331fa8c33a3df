/**
 * Finds where zstd frames end in a compressed stream, chunk by chunk, from the frame and block
 * headers alone (RFC 8878 §3.1): magic, frame header, then blocks of a 3-byte header each and the
 * optional 4-byte checksum; skippable frames (§3.1.2) by their declared size. No byte is decoded.
 *
 * Node's zstd stream ends its output at the first frame end that falls inside a chunk and drops the
 * rest of that chunk, where `zstd -d` goes on to the next frame: cutting chunks at frame ends keeps
 * every frame. Bytes that are not a frame stop the scan; the decoder then reports them as corrupt.
 */
export class ZstdFrameScanner {
  /** Bytes of the field being read (magic, descriptor, block header, skippable size). */
  readonly #field = new Uint8Array(4);
  #fieldWant = 4;
  #fieldHave = 0;
  #state: State = 'magic';
  /** Bytes to pass over before the next field (header rest, block content, checksum, skippable body). */
  #skip = 0;
  #checksum = false;
  #lastBlock = false;
  /** False once the bytes stopped looking like zstd: no more frame ends are reported. */
  #scanning = true;

  /**
   * The offsets in `chunk` just past the end of a frame, in order (an offset equal to the chunk's
   * length when a frame ends with it).
   */
  frameEnds(chunk: Uint8Array): number[] {
    const ends: number[] = [];
    let at = 0;
    while (this.#scanning && at < chunk.length) {
      if (this.#skip > 0) {
        const take = Math.min(this.#skip, chunk.length - at);
        this.#skip -= take;
        at += take;
        if (this.#skip === 0) this.#afterSkip(ends, at);
        continue;
      }
      const take = Math.min(this.#fieldWant - this.#fieldHave, chunk.length - at);
      this.#field.set(chunk.subarray(at, at + take), this.#fieldHave);
      this.#fieldHave += take;
      at += take;
      if (this.#fieldHave === this.#fieldWant) this.#onField(ends, at);
    }
    return ends;
  }

  #read(state: State, bytes: number): void {
    this.#state = state;
    this.#fieldWant = bytes;
    this.#fieldHave = 0;
  }

  #onField(ends: number[], at: number): void {
    const f = this.#field;
    switch (this.#state) {
      case 'magic': {
        const magic = (f[0] as number) | ((f[1] as number) << 8) | ((f[2] as number) << 16) | ((f[3] as number) << 24);
        if (magic >>> 0 === ZSTD_MAGIC) this.#read('descriptor', 1);
        else if (magic >>> 4 === SKIPPABLE_MAGIC >>> 4) this.#read('skippable', 4);
        else this.#scanning = false;
        return;
      }
      case 'descriptor': {
        const d = f[0] as number;
        const singleSegment = (d & 0x20) !== 0;
        const fcsFlag = d >> 6;
        this.#checksum = (d & 0x04) !== 0;
        this.#lastBlock = false;
        this.#skip =
          (singleSegment ? 0 : 1) +
          (DICT_ID_SIZES[d & 0x03] as number) +
          (fcsFlag === 0 && singleSegment ? 1 : (FCS_SIZES[fcsFlag] as number));
        if ((d & 0x08) !== 0) this.#scanning = false; // the reserved bit: not a frame this scanner knows
        this.#read('block', 3);
        if (this.#skip === 0) this.#afterSkip(ends, at);
        return;
      }
      case 'block': {
        const header = (f[0] as number) | ((f[1] as number) << 8) | ((f[2] as number) << 16);
        const type = (header >> 1) & 0x03;
        const size = header >>> 3;
        if (type === 3) {
          this.#scanning = false;
          return;
        }
        this.#lastBlock = (header & 1) !== 0;
        // An RLE block holds one byte repeated size times (§3.1.1.2.2).
        this.#skip = type === 1 ? 1 : size;
        if (this.#lastBlock) this.#skip += this.#checksum ? 4 : 0;
        this.#read('block', 3);
        if (this.#skip === 0) this.#afterSkip(ends, at);
        return;
      }
      case 'skippable': {
        this.#skip = ((f[0] as number) | ((f[1] as number) << 8) | ((f[2] as number) << 16) | ((f[3] as number) << 24)) >>> 0;
        this.#lastBlock = true;
        this.#read('block', 3);
        if (this.#skip === 0) this.#afterSkip(ends, at);
        return;
      }
    }
  }

  /** The bytes passed over ended a frame (its last block, checksum or skippable body): the next field is a magic number. */
  #afterSkip(ends: number[], at: number): void {
    if (this.#state !== 'block' || !this.#lastBlock) return;
    ends.push(at);
    this.#lastBlock = false;
    this.#read('magic', 4);
  }
}

type State = 'magic' | 'descriptor' | 'block' | 'skippable';

const ZSTD_MAGIC = 0xfd2fb528;
/** 0x184D2A50 to 0x184D2A5F (RFC 8878 §3.1.2). */
const SKIPPABLE_MAGIC = 0x184d2a50;
const FCS_SIZES = [0, 2, 4, 8] as const;
const DICT_ID_SIZES = [0, 1, 2, 4] as const;
