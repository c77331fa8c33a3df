import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { ConfigIssue, PiperConfig, PoolConfig } from '../config/index.ts';
import { hasControlCharacter, MAX_TIMEOUT_MS } from './haproxy-syntax.ts';
import { routePools } from './route-order.ts';

/** Longest unix socket path the kernel binds (`sun_path` holds 108 bytes with the final NUL). */
const MAX_SOCKET_PATH_BYTES = 107;
/** `balance roundrobin` takes at most this many servers per backend (configuration.txt, "balance"). */
const MAX_ROUNDROBIN_SERVERS = 4095;

/** A route's host pattern as piper matches it (lower-cased): `*`, `*.domain`, a name or a bracketed IPv6 address. */
const HOST_PATTERN = /^(?:\*|(?:\*\.)?[a-z0-9][a-z0-9._-]{0,252}|\[[0-9a-f:.]+\])$/;
/** A header or cookie name HAProxy can take as a sample-fetch argument without quoting. */
const FIELD_NAME = /^[A-Za-z0-9_.-]+$/;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$/;

export interface HaproxyIssueOptions {
  /** Directory relative paths are resolved against (the working directory of `piper`). */
  baseDir: string;
}

/**
 * What in a valid piper config HAProxy cannot express, each with the key to change and why; empty
 * when `renderHaproxyConfig` can write all of it. What HAProxy expresses only approximately is
 * rendered and listed in docs/haproxy.md, not refused here.
 */
export function haproxyConfigIssues(config: PiperConfig, options: HaproxyIssueOptions): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string, value: unknown): void => {
    issues.push({ path, message, value });
  };
  const haproxy = config.dataPlane.haproxy;

  config.listeners.forEach((l, i) => {
    checkAddress(add, `listeners[${i}].address`, l.address);
    checkPort(add, `listeners[${i}].port`, l.port);
    if (l.tls !== undefined) checkPathText(add, `listeners[${i}].tls.cert`, l.tls.cert);
  });
  checkAddress(add, 'dataPlane.haproxy.log.address', haproxy.log.address);
  checkPort(add, 'dataPlane.haproxy.log.port', haproxy.log.port);
  if (haproxy.stats.enabled) {
    checkAddress(add, 'dataPlane.haproxy.stats.address', haproxy.stats.address);
    checkPort(add, 'dataPlane.haproxy.stats.port', haproxy.stats.port);
  }
  checkPathText(add, 'dataPlane.haproxy.serverStateFile', haproxy.serverStateFile);
  if (checkPathText(add, 'dataPlane.haproxy.statsSocket', haproxy.statsSocket)) {
    const bytes = Buffer.byteLength(resolve(options.baseDir, haproxy.statsSocket));
    if (bytes > MAX_SOCKET_PATH_BYTES) {
      add(
        'dataPlane.haproxy.statsSocket',
        `resolves to a path of ${bytes} bytes; a unix socket path is at most ${MAX_SOCKET_PATH_BYTES} (sun_path): give a shorter absolute path`,
        haproxy.statsSocket,
      );
    }
  }
  for (const key of ['connect', 'headers', 'idle', 'send', 'upstreamHeaders', 'upstreamBody'] as const) {
    checkTimeout(add, `timeouts.${key}`, config.timeouts[key]);
  }

  const usedPools = new Set<string>();
  config.routes.forEach((route, i) => {
    const at = `routes[${i}]`;
    const host = route.match.host.toLowerCase();
    if (!HOST_PATTERN.test(host)) {
      add(
        `${at}.match.host`,
        'not `*`, `*.domain`, a host name or a bracketed IPv6 address: no Host header could match it',
        route.match.host,
      );
    }
    checkPathPrefix(add, `${at}.match.pathPrefix`, route.match.pathPrefix);
    if (route.sticky !== undefined) {
      const [key, name] = 'header' in route.sticky ? ['header', route.sticky.header] : ['cookie', route.sticky.cookie];
      if (!FIELD_NAME.test(name)) {
        add(`${at}.sticky.${key}`, "HAProxy hashes it as a sample-fetch argument: letters, digits, '-', '_' and '.' only", name);
      }
    }
    const pools = routePools(route, Object.keys(config.pools));
    for (const p of pools) usedPools.add(p);
    checkHealthPaths(add, config, route.name, pools);
    const servers = pools.reduce((n, p) => n + (config.pools[p]?.backends.length ?? 0), 0);
    if (config.dataPlane.haproxy.balance === 'roundrobin' && route.sticky === undefined && servers > MAX_ROUNDROBIN_SERVERS) {
      add(
        `${at}.split`,
        `its pools have ${servers} backends; HAProxy's roundrobin takes at most ${MAX_ROUNDROBIN_SERVERS} servers per backend`,
        route.split,
      );
    }
  });

  for (const name of [...usedPools].sort()) {
    const pool = config.pools[name];
    if (pool === undefined) continue;
    const at = `pools.${name}`;
    if (hasControlCharacter(pool.healthCheck.path) || /\s/.test(pool.healthCheck.path)) {
      add(`${at}.healthCheck.path`, 'a request target cannot hold spaces or control characters', pool.healthCheck.path);
    }
    if (pool.outlierDetection.enabled && !pool.healthCheck.enabled) {
      add(
        `${at}.outlierDetection.enabled`,
        "HAProxy's passive checks (observe layer7, on-error mark-down) need active health checks: set healthCheck.enabled: true or outlierDetection.enabled: false",
        true,
      );
    }
    checkTimeout(add, `${at}.healthCheck.interval`, pool.healthCheck.interval);
    checkTimeout(add, `${at}.healthCheck.timeout`, pool.healthCheck.timeout);
    checkTimeout(add, `${at}.admission.queueTimeout`, pool.admission.queueTimeout);
    checkTimeout(add, `${at}.slowStart`, pool.slowStart);
  }
  return issues;
}

type Add = (path: string, message: string, value: unknown) => void;

function checkAddress(add: Add, path: string, address: string): void {
  if (isIP(address) === 0 && !HOST_NAME.test(address)) add(path, 'not an IP address or host name HAProxy can bind or send to', address);
}

function checkPort(add: Add, path: string, port: number): void {
  if (port === 0) add(path, 'HAProxy needs a fixed port: 0 (any free port) cannot be written in haproxy.cfg', port);
}

function checkTimeout(add: Add, path: string, ms: number): void {
  if (ms > MAX_TIMEOUT_MS) add(path, `HAProxy takes times up to ${MAX_TIMEOUT_MS} ms (24.8 days)`, ms);
}

/** Refuses control characters in a file path; returns whether it was fine. */
function checkPathText(add: Add, path: string, value: string): boolean {
  if (!hasControlCharacter(value)) return true;
  add(path, 'a file path for haproxy.cfg cannot hold control characters', value);
  return false;
}

function checkPathPrefix(add: Add, path: string, prefix: string): void {
  if (hasControlCharacter(prefix) || /\s/.test(prefix)) {
    add(path, 'a request path cannot hold spaces or control characters: no request could match it', prefix);
  } else if (prefix.includes('?') || prefix.includes('#')) {
    add(path, 'HAProxy matches the path without its query: a prefix cannot hold "?" or "#"', prefix);
  }
}

/**
 * When the pools of a route check different paths, its HAProxy backend picks each server's path
 * from its pool's name inside a sample expression (`regsub`), where a path may hold only these.
 */
export const MAPPED_CHECK_PATH = /^\/[A-Za-z0-9/._~!*+;:@=&?%-]*$/;

function checkHealthPaths(add: Add, config: PiperConfig, route: string, pools: readonly string[]): void {
  const checked = pools.filter((p) => config.pools[p]?.healthCheck.enabled === true);
  const paths = new Set(checked.map((p) => (config.pools[p] as PoolConfig).healthCheck.path));
  if (paths.size < 2) return;
  for (const name of checked) {
    const path = (config.pools[name] as PoolConfig).healthCheck.path;
    if (!MAPPED_CHECK_PATH.test(path)) {
      add(
        `pools.${name}.healthCheck.path`,
        `the pools of route "${route}" check different paths, so HAProxy picks each server's path in a sample expression, where a path may hold only letters, digits and / . _ ~ ! * + ; : @ = & ? % -`,
        path,
      );
    }
  }
}
