import { PiperError } from '../core/index.ts';
import { cliErrors } from './cli-errors.ts';

/** What Node puts on an error from a syscall (listen, connect, open). */
interface SystemErrorFields {
  code?: unknown;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
  path?: unknown;
  dest?: unknown;
}

/**
 * The system errors a person causes and can fix (a port taken, a path missing or closed to them,
 * nothing listening at a URL), as piper errors naming the address or path. Node and undici bury
 * them in `cause` chains and AggregateErrors (happy eyeballs), so the whole tree is searched.
 * Returns undefined for anything else: that is a piper bug, reported with its trace.
 */
export function fromSystemError(err: unknown): PiperError | undefined {
  const found = findSystemError(err, 0);
  if (found === undefined) return undefined;
  const e = found as SystemErrorFields;
  const address = endpoint(e);
  const path = typeof e.path === 'string' ? e.path : undefined;
  const options = { cause: err, details: { address, path, systemCode: e.code } };
  switch (e.code) {
    case 'EADDRINUSE':
      return new PiperError(cliErrors.PIPER_CLI_ADDRESS_IN_USE, `address ${address ?? '(unknown)'} is already in use`, options);
    case 'EACCES':
    case 'EPERM':
      return new PiperError(
        cliErrors.PIPER_CLI_PERMISSION_DENIED,
        e.syscall === 'listen' || e.syscall === 'bind'
          ? `permission denied to listen on ${address ?? '(unknown)'}`
          : `permission denied: ${path ?? address ?? '(unknown path)'}`,
        options,
      );
    case 'ENOENT':
      return new PiperError(cliErrors.PIPER_CLI_NOT_FOUND, `no such file or folder: ${path ?? '(unknown path)'}`, options);
    case 'ECONNREFUSED':
      return new PiperError(
        cliErrors.PIPER_CLI_CONNECTION_REFUSED,
        `connection refused by ${address ?? '(unknown)'}: nothing listens there`,
        options,
      );
    default:
      return undefined;
  }
}

const KNOWN = new Set(['EADDRINUSE', 'EACCES', 'EPERM', 'ENOENT', 'ECONNREFUSED']);

function findSystemError(err: unknown, depth: number): object | undefined {
  if (err === null || typeof err !== 'object' || depth > 8) return undefined;
  if (KNOWN.has(String((err as SystemErrorFields).code))) return err;
  for (const inner of err instanceof AggregateError ? err.errors : []) {
    const found = findSystemError(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return findSystemError((err as { cause?: unknown }).cause, depth + 1);
}

function endpoint(e: SystemErrorFields): string | undefined {
  if (typeof e.address !== 'string') return undefined;
  const host = e.address.includes(':') ? `[${e.address}]` : e.address;
  return typeof e.port === 'number' ? `${host}:${e.port}` : host;
}
