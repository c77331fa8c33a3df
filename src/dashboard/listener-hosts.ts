import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

// RFC 9110 §7.2: Host = uri-host [ ":" port ]. Only the forms a browser writes for a name or an
// address (no userinfo, no percent-encoding), so the URL parser used to normalise it cannot be
// made to read another host out of it (`evil@127.0.0.1`).
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$/;

/** A Host value split and normalised as browsers serialise it (lowercase, `127.1` → `127.0.0.1`, `[::1]`). */
export interface HostName {
  name: string;
  /** Undefined when the value had no port (80 for a request's Host). */
  port: number | undefined;
}

/** Parses a Host header value (or a configured `allowedHosts` entry); undefined when malformed. */
export function parseHost(value: string | undefined): HostName | undefined {
  if (value === undefined || !HOST.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(`http://${value}/`);
  } catch {
    return undefined;
  }
  const explicitPort = /:[0-9]+$/.test(value) && !value.endsWith(']');
  return { name: url.hostname, port: url.port !== '' ? Number(url.port) : explicitPort ? 80 : undefined };
}

/** Whether a peer or local socket address is this machine (127.0.0.0/8, ::1, or either mapped). */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address !== undefined && isLoopbackName(canonicalAddress(address));
}

/**
 * Whether the request's Host is a loopback name (`localhost`, 127.0.0.0/8, `[::1]`) with the
 * port the request arrived on: what a client on this machine that means this listener sends.
 */
export function isLoopbackHost(req: IncomingMessage): boolean {
  const host = parseHost(req.headers.host);
  return host !== undefined && (host.port ?? 80) === req.socket.localPort && isLoopbackName(host.name);
}

/**
 * The Host values a listener answers to. A browser tricked by DNS rebinding connects to this
 * listener but names the attacker's host in `Host`, so a request is served only when `Host` is:
 * the address the connection arrived on, or (when that is loopback) any loopback name, with the
 * listener's port; or one of the names configured for the listener (`allowedHosts`: with a port,
 * that port only; without, any port, for proxies that map ports).
 */
export class ListenerHosts {
  readonly #allowed: readonly HostName[];

  /** Throws on an entry that is not a host name or address with an optional port. */
  constructor(allowedHosts: readonly string[] = []) {
    this.#allowed = allowedHosts.map((entry) => {
      const host = parseHost(entry);
      if (host === undefined) throw new TypeError(`not a host name or address with an optional :port: "${entry}"`);
      return host;
    });
  }

  accepts(req: IncomingMessage): boolean {
    const host = parseHost(req.headers.host);
    if (host === undefined) return false;
    const port = host.port ?? 80;
    if (this.#allowed.some((a) => a.name === host.name && (a.port === undefined || a.port === port))) return true;
    if (port !== req.socket.localPort) return false;
    const local = canonicalAddress(req.socket.localAddress ?? '');
    return host.name === local || (isLoopbackName(local) && isLoopbackName(host.name));
  }
}

function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** A socket address in the form `parseHost` gives names: IPv4-mapped as IPv4, IPv6 bracketed and compressed. */
function canonicalAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(address);
  if (mapped !== null) return mapped[1] as string;
  if (isIP(address) === 6) return new URL(`http://[${address}]/`).hostname;
  return address;
}
