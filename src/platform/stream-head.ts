import { Readable } from 'node:stream';

/** The first bytes of a stream, and a stream that yields the whole input again from the start. */
export interface StreamHead {
  head: Buffer;
  /** Replays `head`, then the rest of the source, pulling from it only as fast as it is read. */
  stream: Readable;
}

/**
 * Reads at least `bytes` bytes (or to the end) from `source` without losing them, so a caller can
 * sniff magic bytes or sample the input and still stream all of it afterwards.
 */
export async function readHead(source: AsyncIterable<Buffer>, bytes: number): Promise<StreamHead> {
  const it = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < bytes) {
    const r = await it.next();
    if (r.done === true) {
      done = true;
      break;
    }
    chunks.push(r.value);
    size += r.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done === true) return;
      yield r.value;
    }
  }
  return { head, stream: Readable.from(replay(), { objectMode: false }) };
}
