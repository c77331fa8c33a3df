// Server-sent events that come back by themselves. EventSource retries on its own only while the
// server is unreachable; once it gets a non-200 (a restarted `piper up` has no session, a proxy
// hiccup) it gives up, so the page reopens the stream with backoff and tells the user meanwhile.

/**
 * @typedef {'connecting' | 'live' | 'retrying'} StreamStatus
 */

/** @template T what each message carries, as the server's type for it */
export class LiveStream {
  /**
   * @param {string} url
   * @param {string} eventName
   * @param {(data: T) => void} onData
   * @param {(status: StreamStatus) => void} onStatus
   */
  constructor(url, eventName, onData, onStatus) {
    this.url = url;
    this.eventName = eventName;
    this.onData = onData;
    this.onStatus = onStatus;
    /** @type {EventSource | null} */
    this.source = null;
    this.delayMs = 1000;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.timer = null;
    this.closed = false;
    this.open();
  }

  open() {
    if (this.closed) return;
    this.onStatus('connecting');
    const source = new EventSource(this.url);
    this.source = source;
    source.addEventListener('open', () => {
      this.delayMs = 1000;
      this.onStatus('live');
    });
    source.addEventListener(this.eventName, (e) => {
      try {
        this.onData(/** @type {T} */ (JSON.parse(/** @type {MessageEvent<string>} */ (e).data)));
      } catch {
        // A malformed message is skipped; the next one carries the current state anyway.
      }
    });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        this.onStatus('retrying');
        this.timer = setTimeout(() => this.open(), this.delayMs);
        this.delayMs = Math.min(this.delayMs * 2, 15_000);
      } else {
        this.onStatus('retrying');
      }
    });
  }

  close() {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.source?.close();
  }
}
