import { RawHttpSender } from './raw-http-sender.ts';
import type { RequestSender } from './request-sender.ts';
import { UndiciSender, type UndiciSenderOptions } from './undici-sender.ts';

/** Which HTTP client sends the requests: `raw` (own HTTP/1.1 on sockets, http:// only) or `undici`. */
export type HttpSenderKind = 'raw' | 'undici';

/** The sender kinds, for flag validation. */
export const HTTP_SENDER_KINDS: readonly HttpSenderKind[] = ['raw', 'undici'];

/**
 * Builds the HTTP sender of a run. By default the raw sender for http:// (the fastest: prebuilt
 * request buffers, no client library per request) and undici for https://, which the raw one
 * does not speak.
 */
export function createHttpSender(kind: HttpSenderKind | undefined, options: UndiciSenderOptions): RequestSender {
  const chosen = kind ?? (options.origin.startsWith('http:') ? 'raw' : 'undici');
  return chosen === 'raw' ? new RawHttpSender(options) : new UndiciSender(options);
}
