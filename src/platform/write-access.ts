import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PiperError } from '../core/index.ts';
import { platformErrors } from './platform-errors.ts';

/** The `platform.auth` settings: a bearer token for writes that change the store, if any. */
export interface WriteAccess {
  token?: string | undefined;
  requireForUploads: boolean;
}

/** Headers a proxy adds (RFC 7239 Forwarded, the de facto X-Forwarded-For and X-Real-IP, RFC 9110 §7.6.3 Via). */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'via'] as const;

/**
 * Allows a protected request (DELETE, and uploads when `requireForUploads`) or throws. With a
 * token configured, it must come as `Authorization: Bearer <token>` (RFC 6750 §2.1), from
 * anywhere: 401 PIPER_PLATFORM_UNAUTHORIZED otherwise. Without one, only a client on this machine
 * talking to the server directly is allowed: its peer address is loopback and no proxy header
 * says it speaks for someone else (a balancer on the same host connects from loopback for every
 * client); 403 PIPER_PLATFORM_FORBIDDEN otherwise.
 */
export function authorizeWrite(access: WriteAccess, req: IncomingMessage, what: string): void {
  if (access.token !== undefined) {
    const given = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (given === undefined || !sameSecret(given, access.token)) {
      throw new PiperError(
        platformErrors.PIPER_PLATFORM_UNAUTHORIZED,
        `${what} needs the platform token: send Authorization: Bearer <token>`,
      );
    }
    return;
  }
  if (!isLoopback(req.socket.remoteAddress) || PROXY_HEADERS.some((h) => req.headers[h] !== undefined)) {
    throw new PiperError(
      platformErrors.PIPER_PLATFORM_FORBIDDEN,
      `${what} is allowed only from this machine while no platform token is configured (platform.auth.token)`,
    );
  }
}

/** Compares digests in constant time, so the time taken says nothing about how much of a guess was right. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}
