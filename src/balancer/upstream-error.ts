import { PiperError } from '../core/index.ts';
import { balancerErrors } from './balancer-errors.ts';
import type { ErrorKind } from '../telemetry/index.ts';

/** Codes of the errors the upstream client raises itself (Node's errno codes pass through as they are). */
export const UpstreamErrorCode = {
  connectTimeout: 'PIPER_BALANCER_UPSTREAM_CONNECT_TIMEOUT',
  headersTimeout: 'PIPER_BALANCER_UPSTREAM_HEADERS_TIMEOUT',
  bodyTimeout: 'PIPER_BALANCER_UPSTREAM_BODY_TIMEOUT',
  badResponse: 'PIPER_BALANCER_UPSTREAM_BAD_RESPONSE',
  closed: 'PIPER_BALANCER_UPSTREAM_CLOSED',
  poolClosed: 'PIPER_BALANCER_UPSTREAM_POOL_CLOSED',
  aborted: 'PIPER_BALANCER_UPSTREAM_ABORTED',
} as const;

export type UpstreamErrorCode = (typeof UpstreamErrorCode)[keyof typeof UpstreamErrorCode];

/** An error of the upstream client, with where it happened (the backend's origin). */
export function upstreamError(code: UpstreamErrorCode, message: string, origin: string, cause?: unknown): PiperError {
  // Whether a retry may help is decided by the pipeline (method, body, budget); the entry says whether it may at all.
  return new PiperError(balancerErrors[code], message, {
    ...(cause === undefined ? {} : { cause }),
    details: { origin },
  });
}

/** How an upstream attempt failed, from the upstream client's codes and Node's errno codes. */
export function classifyUpstreamError(err: unknown): ErrorKind {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
    case UpstreamErrorCode.connectTimeout:
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EAI_AGAIN':
    case 'EADDRNOTAVAIL':
      return 'connect';
    case UpstreamErrorCode.headersTimeout:
    case UpstreamErrorCode.bodyTimeout:
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNRESET':
    case 'EPIPE':
    case UpstreamErrorCode.closed:
    case UpstreamErrorCode.poolClosed:
      return 'reset';
    case UpstreamErrorCode.aborted:
      return 'client_abort';
    default:
      return 'protocol';
  }
}

/** Status and code answered to the client when an upstream attempt fails before any response. */
export function upstreamFailureResponse(kind: ErrorKind): { status: number; code: string; message: string } {
  switch (kind) {
    case 'connect':
      return { status: 502, code: 'PIPER_BALANCER_UPSTREAM_CONNECT', message: 'could not connect to a backend' };
    case 'timeout':
      return { status: 504, code: 'PIPER_BALANCER_UPSTREAM_TIMEOUT', message: 'the backend did not answer in time' };
    case 'reset':
      return { status: 502, code: 'PIPER_BALANCER_UPSTREAM_RESET', message: 'the backend closed the connection' };
    default:
      return { status: 502, code: 'PIPER_BALANCER_UPSTREAM_PROTOCOL', message: 'the backend sent an invalid response' };
  }
}
