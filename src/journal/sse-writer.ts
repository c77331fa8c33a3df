import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../core/index.ts';

/**
 * The few lines of server-sent events the journal needs (WHATWG HTML §9.2): `event:`, `id:` (so a
 * reconnecting client resumes with Last-Event-ID) and JSON `data:`, a comment as heartbeat, and
 * a client that falls behind by more than `maxBufferedBytes` is dropped rather than buffered.
 */
export class SseWriter {
  #res: ServerResponse;
  #heartbeat: TimerHandle;
  #max: number;
  #closed = false;
  #onClose: (() => void)[] = [];

  constructor(res: ServerResponse, clock: Clock, options: { heartbeatMs?: number; maxBufferedBytes?: number } = {}) {
    this.#res = res;
    this.#max = options.maxBufferedBytes ?? 1024 * 1024;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    res.on('close', () => this.close());
    this.#heartbeat = clock.setInterval(() => this.#write(': heartbeat\n\n'), options.heartbeatMs ?? 15_000);
  }

  /** Sends one event; false once closed. `event` and `id` are ours (no line breaks). */
  send(event: string, id: string, data: unknown): boolean {
    return this.#write(`event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.push(fn);
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#heartbeat.cancel();
    if (!this.#res.writableEnded) this.#res.end();
    for (const fn of this.#onClose) fn();
  }

  #write(frame: string): boolean {
    if (this.#closed) return false;
    if (this.#res.writableLength > this.#max) {
      this.#res.destroy();
      this.close();
      return false;
    }
    this.#res.write(frame);
    return true;
  }
}
