/** How a sent request ended without a usable response. */
export type SendErrorKind = 'connect' | 'timeout' | 'reset' | 'protocol' | 'aborted';

/** One request the generator has handed to a sender; the runner owns its bookkeeping. */
export interface InFlightRequest {
  /** Global arrival index. */
  index: number;
  /** Which request of the mix. */
  kind: number;
  /** Monotonic ms when it was due (the schedule). */
  intendedAt: number;
  /** Monotonic ms when the generator handed it to the sender. */
  dispatchedAt: number;
  /** Monotonic ms when it went onto a connection (service time starts); NaN until then. */
  startedAt: number;
  status: number;
  /** Set once the request is counted; later events for it are ignored. */
  done: boolean;
  /** Cancels it on the wire (set by the sender once it can). */
  cancel: { abort(reason: Error): void } | null;
}

/** Where a sender reports progress of a request. */
export interface SendSink {
  /** The request is being written on a connection. */
  started(req: InFlightRequest): void;
  /** A response ended (`error` null), or the request failed. */
  finished(req: InFlightRequest, status: number, error: SendErrorKind | null): void;
}

/**
 * Sends requests of a mix to one target. Implementations: `RawHttpSender` (HTTP/1.1 on sockets,
 * the default for http://), `UndiciSender` (HTTP over an
 * undici Pool); tests use in-memory ones to check the runner's bookkeeping.
 */
export interface RequestSender {
  send(req: InFlightRequest, sink: SendSink): void;
  close(): Promise<void>;
}
