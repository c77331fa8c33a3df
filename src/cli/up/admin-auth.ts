import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { onRequestAsyncHookHandler } from 'fastify';
import { isIP } from 'node:net';
import { PiperError } from '../../core/index.ts';
import { isLoopbackAddress, isLoopbackHost } from '../../dashboard/index.ts';
import { balancerErrors } from '../../balancer/index.ts';

/** Tokens of the admin listener (docs/api.md): the admin token can write, the read token only read. */
export interface AdminTokens {
  admin?: string | undefined;
  read?: string | undefined;
}

/** A refusal: status and error code to answer with. */
export interface AuthFailure {
  status: 401 | 403;
  code: string;
  message: string;
}

/** Whether an address only accepts connections from this machine. */
export function isLoopback(address: string): boolean {
  if (address === 'localhost') return true;
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1' || address === '[::1]';
}

/**
 * Refuses to serve writes on a non-loopback address without an admin token: anyone who can reach
 * the port could move all traffic.
 */
export function assertAdminExposureSafe(address: string, tokens: AdminTokens): void {
  if (!isLoopback(address) && tokens.admin === undefined) {
    throw new PiperError(
      balancerErrors.PIPER_BALANCER_ADMIN_INSECURE,
      `admin.address is ${address}, which is not loopback, and admin.token is not set: set admin.token (16+ characters) or bind admin.address to 127.0.0.1`,
    );
  }
}

/**
 * Checks a request's bearer token. GET/HEAD need the read or admin token (open when none is
 * configured); other methods the admin token. With no admin token (allowed on a loopback address
 * only), a change is taken only from a loopback peer that addressed the listener by a loopback
 * name: a process on this machine, not a browser page that reached it through another name.
 */
export function authorize(req: IncomingMessage, tokens: AdminTokens): AuthFailure | null {
  const read = req.method === 'GET' || req.method === 'HEAD';
  const presented = bearer(req.headers.authorization);
  if (read) {
    if (tokens.admin === undefined && tokens.read === undefined) return null;
    if (presented !== null && (same(presented, tokens.admin) || same(presented, tokens.read))) return null;
    return { status: 401, code: 'PIPER_BALANCER_UNAUTHORIZED', message: 'a bearer token (read or admin) is required' };
  }
  if (tokens.admin === undefined) {
    if (isLoopbackAddress(req.socket.remoteAddress) && isLoopbackHost(req)) return null;
    return {
      status: 403,
      code: 'PIPER_BALANCER_LOOPBACK_ONLY',
      message:
        'no admin token is configured, so changes are taken only from this machine addressed as 127.0.0.1, [::1] or localhost; set admin.token to act from elsewhere',
    };
  }
  if (presented !== null && same(presented, tokens.admin)) return null;
  if (presented !== null && same(presented, tokens.read)) {
    return { status: 403, code: 'PIPER_BALANCER_FORBIDDEN', message: 'the read-only token cannot change anything; use the admin token' };
  }
  return { status: 401, code: 'PIPER_BALANCER_UNAUTHORIZED', message: 'the admin bearer token is required' };
}

function bearer(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? (m[1] as string) : null;
}

/** Constant-time comparison (of hashes, so lengths never leak either). */
function same(presented: string, expected: string | undefined): boolean {
  if (expected === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The control-plane API's authentication, before routing (a 404 too needs a token): a refused
 * request is answered here with the refusal's status and code.
 */
export function authHook(tokens: AdminTokens): onRequestAsyncHookHandler {
  return async (req, reply) => {
    const denied = authorize(req.raw, tokens);
    if (denied === null) return;
    if (denied.status === 401) reply.header('www-authenticate', 'Bearer realm="piper"');
    await reply.code(denied.status).send({ error: { code: denied.code, message: denied.message } });
  };
}
