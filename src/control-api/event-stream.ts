import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../core/index.ts';
import { SseStream } from './sse-stream.ts';

/** One server-sent event: its name, its id (a client resumes after it) and its JSON data. */
export interface StreamedEvent {
  event: string;
  id: string;
  data: unknown;
}

export interface EventStreamOptions {
  clock: Clock;
  /** Heartbeat period (default 15 s). */
  heartbeatMs?: number;
}

/**
 * Answers a request with a stream of server-sent events read from `source` until the client goes,
 * falls too far behind, or the source ends. The reply is taken from fastify (hijacked): the
 * stream writes the raw response itself.
 */
export function streamEvents<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  o: EventStreamOptions,
  source: (signal: AbortSignal) => AsyncIterable<T>,
  frame: (item: T) => StreamedEvent,
): void {
  reply.hijack();
  const sse = new SseStream(reply.raw, { clock: o.clock, ...(o.heartbeatMs === undefined ? {} : { heartbeatMs: o.heartbeatMs }) });
  const abort = new AbortController();
  sse.onClose(() => abort.abort());
  req.raw.on('close', () => abort.abort());
  void (async () => {
    for await (const item of source(abort.signal)) {
      const f = frame(item);
      if (!sse.send(f.event, f.data, f.id)) break;
    }
    sse.close();
  })().catch(() => sse.close());
}
