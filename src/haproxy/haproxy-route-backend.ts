import { isIP } from 'node:net';
import type { PiperConfig, PoolConfig, RouteConfig } from '../config/index.ts';
import { failoverServerName, routeBackendName, serverName } from './haproxy-names.ts';
import { haproxyDuration, hostPort, quoted } from './haproxy-syntax.ts';
import { routePools } from './route-order.ts';
import { serverWeights } from './server-weights.ts';

/** Methods piper retries (request-pipeline's IDEMPOTENT), and only for requests without a body. */
const RETRYABLE_METHODS = 'GET HEAD OPTIONS TRACE PUT DELETE';
/** What piper retries after: no connection, a reset or a timeout before the answer, a 502/503/504. */
const RETRY_ON = 'conn-failure empty-response response-timeout 502 503 504';

/**
 * The HAProxy backend of one route: the servers of every pool (`routePools`) weighted to the split
 * (`serverWeights`), failover pools as backup servers, and the closest HAProxy settings to the
 * pools' health checks, outlier detection, admission and the route's retries and stickiness.
 */
export function renderRouteBackend(config: PiperConfig, route: RouteConfig): string[] {
  const name = routeBackendName(route.name);
  const pools = routePools(route, Object.keys(config.pools)).map((p) => ({ name: p, pool: config.pools[p] as PoolConfig }));
  const plan = serverWeights(route.split, config.pools);
  const weightOf = new Map(plan.servers.map((s) => [serverName(s.pool, s.backend), s.weight]));
  const checked = pools.filter((p) => p.pool.healthCheck.enabled);
  const out: string[] = [`backend ${name}`];

  if (route.sticky === undefined) {
    out.push(config.dataPlane.haproxy.balance === 'random' ? '    balance random(2)' : '    balance roundrobin');
  } else {
    // piper hashes the key to a pool's range of the split; consistent hashing over the servers'
    // weights is HAProxy's nearest: a key stays put while weights move, except where its
    // server's share shrinks. Requests without the key are balanced by weight. Without
    // `avalanche`, sdbm put user-0…user-9999 in runs of 100 on one server and 3 % on a 5 % pool.
    const fetch = 'cookie' in route.sticky ? `req.cook(${route.sticky.cookie})` : `req.fhdr(${route.sticky.header})`;
    out.push(`    balance hash ${fetch}`, '    hash-type consistent sdbm avalanche');
  }

  if (checked.length > 0) {
    const paths = new Set(checked.map((p) => p.pool.healthCheck.path));
    // One request line serves every server of the backend: when pools check different paths,
    // each server's comes from its pool's name (`<pool>.<backend>`), mapped pool by pool.
    const uri =
      paths.size === 1
        ? `uri ${quoted((checked[0] as { pool: PoolConfig }).pool.healthCheck.path)}`
        : `uri-lf ${quoted(`%[srv_name,field(1,.)${checked.map((p) => `,regsub(^${p.name}$,${p.pool.healthCheck.path})`).join('')}]`)}`;
    // piper's probe sends the backend URL's host:port as Host. One request serves every server of
    // the backend, so HAProxy writes the address it connected to: the same for IPv4 addresses; for
    // names or IPv6 (whose address would need brackets) it sends HTTP/1.0 without Host instead.
    const allIpv4 = pools.every((p) => p.pool.backends.every((b) => isIP(new URL(b.url).hostname) === 4));
    const version = allIpv4 ? 'ver HTTP/1.1 hdr host %[bc_dst]:%[bc_dst_port]' : 'ver HTTP/1.0';
    out.push(
      '    option httpchk',
      `    http-check send meth GET ${uri} ${version} hdr user-agent piper-health-check`,
      '    # piper counts any 2xx or 3xx answer as healthy.',
      '    http-check expect status 200-399',
      `    timeout check ${haproxyDuration(Math.max(...checked.map((p) => p.pool.healthCheck.timeout)))}`,
    );
  }

  // Admission: HAProxy's queue has no length limit; it is bounded by time alone.
  const queueTimeout = pools.every((p) => p.pool.admission.queueSize === 0)
    ? 1
    : Math.max(...pools.map((p) => p.pool.admission.queueTimeout));
  out.push(`    timeout queue ${haproxyDuration(queueTimeout)}`);

  const attempts = route.retries.attempts;
  out.push(`    retries ${attempts}`);
  if (attempts > 0) {
    out.push(
      `    retry-on ${RETRY_ON}`,
      '    option redispatch 1',
      '    # piper retries only requests without a body and with an idempotent method; a failed connection (never sent) is retried for any.',
      '    acl piper.has_body req.hdr_val(content-length) gt 0',
      '    acl piper.has_body req.hdr(transfer-encoding) -m found',
      '    acl piper.has_body req.body_len gt 0',
      `    acl piper.idempotent method ${RETRYABLE_METHODS}`,
      '    http-request disable-l7-retry if piper.has_body or !piper.idempotent',
    );
  }
  if (route.failover.length > 0) out.push('    option allbackups');

  out.push(
    `    # split ${Object.keys(route.split)
      .sort()
      .map((p) => `${p} ${route.split[p]} → ${((plan.shares[p] as number) * 100).toFixed(2)} %`)
      .join(', ')} (largest error ${(plan.maxError * 100).toFixed(2)} points)`,
  );
  for (const { name: poolName, pool } of pools) {
    for (const b of pool.backends) {
      const server = serverName(poolName, b.name);
      out.push(`    server ${server} ${serverAddress(b.url)} weight ${weightOf.get(server) ?? 0}${serverOptions(pool, b.url, true)}`);
    }
  }
  for (const poolName of route.failover.filter((p, i) => route.failover.indexOf(p) === i)) {
    const pool = config.pools[poolName] as PoolConfig;
    const own = serverWeights({ [poolName]: 1 }, { [poolName]: pool });
    for (const s of own.servers) {
      const url = (pool.backends.find((b) => b.name === s.backend) as { url: string }).url;
      // A copy of the active server that follows its health (`track`) rather than checking twice.
      const track = pool.healthCheck.enabled ? ` track ${name}/${serverName(poolName, s.backend)}` : '';
      out.push(
        `    server ${failoverServerName(poolName, s.backend)} ${serverAddress(url)} backup weight ${s.weight}${track}${serverOptions(pool, url, false)}`,
      );
    }
  }
  return out;
}

function serverAddress(url: string): string {
  const u = new URL(url);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
  return hostPort(host, port);
}

function serverOptions(pool: PoolConfig, url: string, active: boolean): string {
  const admission = pool.admission;
  // piper's pool limit (adaptive: its ceiling) spread over the pool's backends.
  const limit = admission.adaptive ? admission.maxLimit : admission.initialLimit;
  let out = ` maxconn ${Math.ceil(limit / pool.backends.length)}`;
  const u = new URL(url);
  if (u.protocol === 'https:') {
    out += ' ssl verify required ca-file @system-ca';
    if (isIP(u.hostname.replace(/^\[|\]$/g, '')) === 0) out += ` sni str(${u.hostname})`;
  }
  if (active && pool.healthCheck.enabled) {
    const hc = pool.healthCheck;
    out += ` check inter ${haproxyDuration(hc.interval)} rise ${hc.rise} fall ${hc.fall}`;
    const od = pool.outlierDetection;
    if (od.enabled) {
      // One HAProxy counter of consecutive errors (5xx but 501/505, connect failures, timeouts):
      // it trips at piper's lowest threshold.
      const limit = Math.min(od.consecutive5xx, od.consecutiveGatewayErrors, od.consecutiveConnectFailures);
      out += ` observe layer7 error-limit ${limit} on-error mark-down`;
    }
  }
  if (pool.slowStart > 0) out += ` slowstart ${haproxyDuration(pool.slowStart)}`;
  return out;
}
