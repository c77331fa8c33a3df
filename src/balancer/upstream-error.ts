import type { ErrorKind } from '../telemetry/index.ts';

/** How an upstream attempt failed, from undici's and Node's error codes. */
export function classifyUpstreamError(err: unknown): ErrorKind {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EAI_AGAIN':
    case 'EADDRNOTAVAIL':
      return 'connect';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'reset';
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
