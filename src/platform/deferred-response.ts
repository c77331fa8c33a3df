import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { PiperError } from '../core/index.ts';
import { platformErrors } from './platform-errors.ts';

/**
 * The end of a streaming pipeline into an HTTP response. It holds back the first `holdBytes` of
 * output before sending the status line, so an error found early (corrupt input, a bomb, a size
 * limit) still gets a proper status and JSON error; bodies that end within the hold get an exact
 * Content-Length. After that it streams with backpressure, and a later error can only abort the
 * connection, which the client sees as a truncated body, never as a good one.
 *
 * The last chunk written is always kept back until the pipeline has ended: the stages before it
 * (a hash check in their flush) have then all succeeded. So the last byte of a body never leaves
 * before the body was verified, and a failure at the very end still leaves the client short of
 * its Content-Length, with the connection cut.
 */
export class DeferredResponse extends Writable {
  readonly #res: ServerResponse;
  readonly #status: number;
  readonly #headers: OutgoingHttpHeaders;
  readonly #holdBytes: number;
  readonly #held: Buffer[] = [];
  #heldBytes = 0;
  /** After the commit: the latest chunk, sent when the next one comes or at the end. */
  #tail: Buffer | undefined;
  #committed = false;
  /** Bytes written to the response body. */
  sent = 0;

  constructor(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, holdBytes = 1024 * 1024) {
    super({ highWaterMark: 64 * 1024 });
    this.#res = res;
    this.#status = status;
    this.#headers = headers;
    this.#holdBytes = holdBytes;
    res.once('close', () => {
      if (!res.writableFinished) {
        this.destroy(
          new PiperError(platformErrors.PIPER_PLATFORM_CLIENT_CLOSED, 'the client closed the connection before the response ended'),
        );
      }
    });
  }

  /** True once the status line has gone out: errors can no longer be reported with a status. */
  get committed(): boolean {
    return this.#committed;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.#take([chunk], done);
  }

  /** Chunks that queued while the socket was full go out together, in one writev. */
  override _writev(chunks: { chunk: Buffer }[], done: (err?: Error | null) => void): void {
    this.#take(
      chunks.map((c) => c.chunk),
      done,
    );
  }

  override _final(done: (err?: Error | null) => void): void {
    if (!this.#committed) {
      // The whole body was held: an exact Content-Length, and the held chunks go out as they are
      // (no copy into one Buffer), in one writev with the headers.
      this.#commit(this.#heldBytes);
      this.sent += this.#heldBytes;
      for (const chunk of this.#held.splice(0)) this.#res.write(chunk);
    } else if (this.#tail !== undefined) {
      this.sent += this.#tail.length;
      this.#res.write(this.#tail);
      this.#tail = undefined;
    }
    this.#res.end(() => done());
  }

  #take(chunks: Buffer[], done: (err?: Error | null) => void): void {
    if (this.#committed) {
      this.#send(chunks, done);
      return;
    }
    for (const chunk of chunks) {
      this.#held.push(chunk);
      this.#heldBytes += chunk.length;
    }
    if (this.#heldBytes < this.#holdBytes) {
      done();
      return;
    }
    this.#commit(undefined);
    this.#send(this.#held.splice(0), done);
  }

  #commit(length: number | undefined): void {
    this.#committed = true;
    const headers = length === undefined ? this.#headers : { ...this.#headers, 'content-length': length };
    this.#res.writeHead(this.#status, headers);
  }

  #send(chunks: Buffer[], done: (err?: Error | null) => void): void {
    // Writes in one tick already leave in one writev: the HTTP layer corks the socket until the next tick.
    let ok = true;
    const out = this.#tail === undefined ? chunks : [this.#tail, ...chunks];
    this.#tail = out.pop();
    for (const chunk of out) {
      ok = this.#res.write(chunk);
      this.sent += chunk.length;
    }
    if (ok) done();
    else this.#res.once('drain', () => done());
  }
}
