import { z } from 'zod';
import { byteRate, duration, percent, rate, size } from './units-schema.ts';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a lowercase name of letters, digits, "-" or "_" (at most 63 characters)');
const port = z.number().int().min(0).max(65535);
const address = z.string().min(1).default('127.0.0.1');
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });

export const listenerSchema = z.strictObject({
  name: name.default('public'),
  address: z.string().min(1).default('127.0.0.1'),
  port: port.default(8080),
  /**
   * TLS for clients, with HTTP/2 offered by ALPN: HAProxy's `bind … ssl crt <cert> alpn h2,http/1.1`.
   * Only with `dataPlane.kind: haproxy`; piper's own balancer serves plain HTTP/1.1.
   */
  tls: z
    .strictObject({
      /** PEM file holding the certificate chain and its private key (or a directory of such files), as HAProxy's `crt`. */
      cert: z.string().min(1),
    })
    .optional(),
});

// What a Host header may hold for a name or an address, with an optional port (RFC 9110 §7.2).
const hostEntry = z
  .string()
  .regex(
    /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$/,
    'a host name or address with an optional :port, e.g. piper.internal:9901',
  );
/**
 * Host names a listener answers to besides the address a request arrives on (and loopback names
 * on loopback); any other Host is refused (DNS rebinding). Needed when clients use a DNS name.
 */
const allowedHosts = z.array(hostEntry).default([]);

export const adminSchema = z
  .strictObject({
    address,
    port: port.default(9901),
    /** Bearer token for write actions. Required when the address is not loopback. */
    token: z.string().min(16, 'at least 16 characters').optional(),
    /** Bearer token that can only read. */
    readToken: z.string().min(16, 'at least 16 characters').optional(),
    allowedHosts,
  })
  .default({ address: '127.0.0.1', port: 9901, allowedHosts: [] });

export const dashboardSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    address,
    port: port.default(9902),
    allowedHosts,
  })
  .default({ enabled: true, address: '127.0.0.1', port: 9902, allowedHosts: [] });

export const timeoutsSchema = z
  .strictObject({
    /** Time for a client to send all request headers (slowloris guard). */
    headers: duration().default(10_000),
    /** Time for a whole client request. */
    request: duration().default(60_000),
    /** Keep-alive idle time of client connections. */
    idle: duration().default(5_000),
    /** Longest a response waits for a client that reads none of it (nginx's send_timeout); then the connection is cut. */
    send: duration().default(60_000),
    /** Time to connect to a backend. */
    connect: duration().default(2_000),
    /** Time from request sent to backend response headers. */
    upstreamHeaders: duration().default(10_000),
    /** Time between body chunks from a backend. */
    upstreamBody: duration().default(30_000),
  })
  .default({ headers: 10_000, request: 60_000, idle: 5_000, send: 60_000, connect: 2_000, upstreamHeaders: 10_000, upstreamBody: 30_000 });

export const requestBodySchema = z
  .strictObject({
    /**
     * Bytes of a request body read before its request asks its pool for a slot (HAProxy's
     * `option http-buffer-request`; nginx reads the whole body first, spilling to disk): a body
     * that fits arrives in full first, so a slow upload holds no backend slot. A larger one is
     * admitted once this much has arrived and streams the rest. 0: admitted at its head, streamed.
     */
    buffer: size().default(64 * 1024),
    /** Bytes all bodies being read ahead may hold at once; past it a body is admitted as it stands and streams. */
    bufferTotal: size().default(64 * 1024 * 1024),
    /**
     * Least rate a body must keep over every `rateWindow` while its request holds a pool slot
     * (Apache's `RequestReadTimeout body=…,MinRate=…`), time the backend is not reading aside; a
     * slower one ends with 408 and frees its slot. 0: no floor (only `timeouts.request`).
     */
    minRate: byteRate().default(1024),
    /** Time over which `minRate` is measured (at least 1 s: the listener's sweep may run once a second). */
    rateWindow: duration().default(10_000),
  })
  .prefault({});

export const healthCheckSchema = z.strictObject({
  enabled: z.boolean().default(true),
  path: z.string().startsWith('/').default('/healthz'),
  interval: duration().default(1_000),
  timeout: duration().default(500),
  /** Consecutive successes to mark a backend up. */
  rise: z.number().int().min(1).default(2),
  /** Consecutive failures to mark a backend down. */
  fall: z.number().int().min(1).default(2),
});

export const outlierDetectionSchema = z.strictObject({
  enabled: z.boolean().default(true),
  consecutive5xx: z.number().int().min(1).default(5),
  consecutiveGatewayErrors: z.number().int().min(1).default(3),
  consecutiveConnectFailures: z.number().int().min(1).default(3),
  baseEjectionTime: duration().default(30_000),
  maxEjectionTime: duration().default(300_000),
  /** Share of a pool's backends that may be ejected at once. */
  maxEjectionPercent: percent().default(0.5),
  /**
   * A backend ejected for connect failures is readmitted by the first active health check that
   * passes after the ejection (Envoy's successful_active_health_check_uneject_host): a restarted
   * backend is back in seconds instead of serving out a growing ejection time.
   */
  readmitOnHealthCheck: z.boolean().default(true),
});

export const admissionSchema = z.strictObject({
  /** Gradient-based adaptive concurrency limit per pool. */
  adaptive: z.boolean().default(true),
  initialLimit: z.number().int().min(1).default(64),
  /**
   * Floor of the limit, and the concurrency the minimum RTT is measured at. Default: one per
   * backend of the pool, the least concurrency that keeps every backend busy.
   */
  minLimit: z.number().int().min(1).optional(),
  maxLimit: z.number().int().min(1).default(1000),
  /**
   * Least limit an unused limit decays to. Default: 8 per backend of the pool. RFC 7661 never
   * takes a congestion window under its initial window for want of use; latency may still take
   * the limit down to `minLimit` (evidence), disuse (none) only this far, so that after light
   * traffic a few slow requests cannot fill the pool. An unused limit only falls: one already
   * under this (`initialLimit`, or latency) stays where it is.
   */
  idleLimit: z.number().int().min(1).optional(),
  /** Requests that may wait for a slot; the rest are shed at once. */
  queueSize: z.number().int().min(0).default(128),
  queueTimeout: duration().default(250),
  /** Longest wait once the queue stands (has not emptied for `queueInterval`): CoDel's target. */
  queueTarget: duration().default(5),
  /** A queue that has not emptied for this long is overload, not a burst: CoDel's interval. */
  queueInterval: duration().default(100),
});

export const backendSchema = z.strictObject({
  name,
  url: httpUrl,
  weight: z.number().int().min(1).max(1000).default(100),
});

export const poolSchema = z.strictObject({
  backends: z.array(backendSchema).min(1, 'a pool needs at least one backend'),
  healthCheck: healthCheckSchema.prefault({}),
  outlierDetection: outlierDetectionSchema.prefault({}),
  admission: admissionSchema.prefault({}),
  /** A new or returning backend's share ramps up over this time. */
  slowStart: duration().default(0),
});

export const sloSchema = z.strictObject({
  /** Share of requests that must not fail (5xx, shed, or connection error). */
  availability: percent().default(0.999),
  latency: z
    .strictObject({
      threshold: duration().default(500),
      /** Share of requests that must be faster than the threshold. */
      target: percent().default(0.99),
    })
    .prefault({}),
});

export const retrySchema = z.strictObject({
  /** Retries per request (on another backend), only where safe. */
  attempts: z.number().int().min(0).max(5).default(1),
  /** Retries in flight as a share of active requests. */
  budget: percent().default(0.2),
  /** Retries always allowed in flight, whatever the budget. */
  minRetryConcurrency: z.number().int().min(0).default(3),
});

export const routeSchema = z.strictObject({
  name,
  match: z
    .strictObject({
      /** Host to match, `*` for any; a leading `*.` matches subdomains. */
      host: z.string().min(1).default('*'),
      pathPrefix: z.string().startsWith('/').default('/'),
    })
    .prefault({}),
  /** Weights by pool name; traffic splits in proportion. */
  split: z.record(name, z.number().int().min(0).max(10_000)),
  /** Pools to use, in order, when every pool of the split has no healthy backend. */
  failover: z.array(name).default([]),
  sticky: z.union([z.strictObject({ header: z.string().min(1) }), z.strictObject({ cookie: z.string().min(1) })]).optional(),
  retries: retrySchema.prefault({}),
  slo: sloSchema.prefault({}),
  /**
   * An operator's route, not a service users see (a capacity test's route to one pool): kept off
   * the public status page and out of the dashboard's migration form, and shown apart on its
   * overview. Routing, telemetry, alerts and the journal treat it like any route.
   */
  internal: z.boolean().default(false),
});

export const overloadSchema = z
  .strictObject({
    /** Shed new requests while the event loop lags more than this. */
    eventLoopLag: duration().default(200),
    /** Most client connections held at once. */
    maxConnections: z.number().int().min(1).default(10_000),
    retryAfter: duration().default(1_000),
  })
  .prefault({});

export const migrationSchema = z
  .strictObject({
    steps: z
      .array(z.number().min(0).max(100))
      .min(1)
      .refine((s) => s.every((v, i) => i === 0 || v > (s[i - 1] as number)), 'steps must increase')
      .refine((s) => s.at(-1) === 100, 'the last step must be 100')
      .default([1, 5, 10, 25, 50, 100]),
    stepDuration: duration().default(60_000),
    /** Certified capacity divided by this must cover the projected load. */
    headroom: z.number().min(1).default(2),
    /** Expected peak rate of the route; the recent observed peak is used when higher. */
    expectedPeak: rate().optional(),
    /**
     * Oldest capacity result the gate accepts. A day: the membership fingerprint catches backends
     * added, removed or reweighted, but not a release or a config change behind the same URLs, and
     * most teams ship one a day; a result from this morning for this afternoon's move still counts.
     */
    capacityMaxAge: duration().default(86_400_000),
    /** The data plane reverts to the source pool when the controller is silent this long. */
    deadMan: duration().default(10_000),
    /** How far back the gate looks for the route's recent peak rate. */
    peakWindow: duration().default(300_000),
    /** Time between stages of a staged rollback (when the source cannot absorb all traffic at once). */
    rollbackStageDuration: duration().default(5_000),
    judge: z
      .strictObject({
        /** Error ratio on the target that rolls back at once. */
        maxErrorRatio: percent().default(0.2),
        /** Failed target requests a window needs before the error-ratio guard fires. */
        hardMinFailures: z.number().int().min(1).default(2),
        /** Consecutive windows with the target's p99 over the route's SLO before rolling back. */
        consecutiveFailures: z.number().int().min(1).default(3),
        /** Target requests a step needs before it may advance; fewer means hold and alert. */
        minRequests: z.number().int().min(1).default(20),
        /** Consecutive windows with traffic on the route but none on the target before holding and alerting. */
        noDataWindows: z.number().int().min(1).default(3),
        /** False-rollback probability of a whole healthy migration (split over its steps). */
        alpha: z.number().gt(0).lt(0.5).default(0.01),
        /** Tolerated increase of the target's error ratio over the source's. */
        errorMargin: percent().default(0.01),
        /** Tolerated increase of the target's share of requests slower than the SLO threshold. */
        latencyMargin: percent().default(0.02),
        /** Tolerated share of target requests slower than the source's p90 over the step, above the 10 % an identical pool shows. */
        relativeLatencyMargin: percent()
          .refine(
            (m) => m > 0 && m < 0.9,
            'must be above 0% and below 90% (an identical pool already has 10% of requests above its own p90)',
          )
          .default(0.05),
      })
      .prefault({}),
  })
  .prefault({});

/**
 * `control:` of piper.yaml: how control planes sharing one PostgreSQL journal elect their one
 * leader (docs/adr/0004-leader-lease.md). The leader renews its lease every quarter of `lease`.
 */
export const controlSchema = z
  .strictObject({
    /** How long a leader's lease lasts unrenewed: a follower takes over within about this after the leader dies. */
    lease: duration()
      .default(2_000)
      .refine((ms) => ms >= 200, 'must be at least 200ms (the leader renews every quarter of it)'),
    /** This control plane's name in the lease and in messages; `hostname:pid` when absent. */
    name: z.string().min(1).max(256).optional(),
    /** The URL followers name when they refuse a write ("the leader is cp-1 at http://…"). */
    advertiseUrl: httpUrl.optional(),
  })
  .prefault({});

export const storageSchema = z
  .strictObject({
    /** Where the journal and rollout state live: `sqlite` (one file, the default) or `postgres` (a server several processes share). */
    kind: z.enum(['sqlite', 'postgres']).default('sqlite'),
    /** SQLite file of the journal and rollout state (kind `sqlite`). */
    path: z.string().min(1).default('piper.db'),
    /** PostgreSQL connection URL, `postgres://user:password@host:5432/database` (kind `postgres`; `${ENV}` keeps the password out of the file). */
    url: z.string().optional(),
    /** Largest journal file; writes beyond it fail with PIPER_JOURNAL_DISK_FULL instead of filling the disk (kind `sqlite`). */
    maxSize: size().optional(),
    /** How long per-second route traffic samples are kept (at least the longest SLO alert window, 3 days). */
    sampleRetention: duration().default(3 * 86_400_000),
  })
  .superRefine((storage, ctx) => {
    if (storage.kind === 'postgres') {
      if (storage.url === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['url'],
          message: 'is required when storage.kind is postgres (postgres://user:password@host:5432/database)',
        });
      } else if (!isPostgresUrl(storage.url)) {
        ctx.addIssue({
          code: 'custom',
          path: ['url'],
          message: `must be a postgres:// or postgresql:// URL, got "${storage.url.split(':')[0]}:…"`,
        });
      }
      if (storage.maxSize !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['maxSize'],
          message: "applies to SQLite only: a PostgreSQL server's disk is the server's to limit",
        });
      }
    } else if (storage.url !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'is read only with storage.kind: postgres' });
    }
  })
  .prefault({});

/** Whether a journal location names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

/** The journal location the `storage` section names: a SQLite path or a PostgreSQL URL (what Journal.open takes). */
export function storageLocation(storage: z.infer<typeof storageSchema>): string {
  return storage.kind === 'postgres' && storage.url !== undefined ? storage.url : storage.path;
}

export const webhookSchema = z.strictObject({
  url: httpUrl,
  format: z.enum(['json', 'slack']).default('json'),
  events: z
    .array(
      z.enum([
        'incident.opened',
        'incident.acknowledged',
        'incident.resolved',
        'migration.started',
        'migration.step',
        'migration.rolled_back',
        'migration.completed',
      ]),
    )
    .optional(),
});

export const notificationsSchema = z
  .strictObject({
    webhooks: z.array(webhookSchema).default([]),
    /** An incident resolves (and its webhooks say so) once its page alerts have stayed clear this long. */
    resolveAfter: duration().default(300_000),
  })
  .prefault({});

export const loggingSchema = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    accessLog: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** Share of requests logged. */
        sample: percent().default(1),
      })
      .prefault({}),
  })
  .prefault({});

export const platformSchema = z
  .strictObject({
    address,
    port: port.default(8081),
    dataDir: z.string().min(1).default('piper-data'),
    maxUploadSize: size().default(1024 ** 3),
    /** Largest file the store takes (original size); more is answered 413. */
    maxFileSize: size().default(1024 ** 3),
    /** Most original bytes the store holds in all; an upload that would pass it is answered 507. */
    maxStoreSize: size().default(10 * 1024 ** 3),
    /** Who may change the store (docs/platform.md, "Write access"). */
    auth: z
      .strictObject({
        /** Bearer token required to delete files (and to upload, with requireForUploads); without one, only loopback may delete. */
        token: z.string().min(16, 'at least 16 characters').optional(),
        /** Uploads need the token too (or, with no token, come from loopback). */
        requireForUploads: z.boolean().default(false),
      })
      .prefault({}),
    maxDecompressedSize: size().default(1024 ** 3),
    /**
     * Largest object whose byte ranges are served by decoding it from its start; a Range on a larger
     * compressed object is answered 200 with the whole body. Uncompressed objects are read by block.
     */
    maxRangeDecodeSize: size().default(16 * 1024 * 1024),
    /** Largest body compressed at a slow level (brotli 10-11, zstd 16-19); larger ones get 413. */
    maxSlowLevelSize: size().default(1024 * 1024),
    /** Largest output/input ratio a decompression may reach before it is stopped as a bomb. */
    maxDecompressionRatio: z.number().min(1).default(1000),
    maxConcurrency: z.number().int().min(1).default(256),
    /** Emulates smaller hardware: the most requests per second served, the rest queue then fail. */
    capacityRps: z.number().positive().optional(),
    /** Requests that may wait for a slot past maxConcurrency or capacityRps; the rest get 503 at once. */
    queueSize: z.number().int().min(0).default(64),
    /** Longest wait in that queue before a 503. */
    queueTimeout: duration().default(200),
    /** Time for a client to send all request headers (slowloris guard). */
    headersTimeout: duration().default(10_000),
    /** A connection silent this long (between body chunks, or idle) is closed. */
    bodyTimeout: duration().default(30_000),
    /** Longest time for a whole request body to arrive after its headers (408); 0 sets no deadline. */
    requestTimeout: duration().default(300_000),
    /** Bytes per second a request body must arrive at while the server waits for it (408 below); 0 turns the check off. */
    minBodyRate: size().default(1024),
    /** The window minBodyRate is judged over, and the grace before it is first judged. */
    minBodyRateWindow: duration().default(10_000),
    /** A request with a body takes an admission slot only once this much of it (or all of it) has arrived. */
    admissionBodyBytes: size().default(64 * 1024),
    /** Largest request header block; more is answered 431. */
    maxHeaderSize: size().default(16 * 1024),
    /** Longest wait for requests in flight at shutdown before connections are cut. */
    drainTimeout: duration().default(10_000),
    /** How `codec=auto` chooses (docs/platform.md). */
    auto: z
      .strictObject({
        /** `ratio`: best ratio within the speed budget; `speed`: the fastest that reaches minRatio. */
        objective: z.enum(['ratio', 'speed']).default('ratio'),
        /** Speed budget: compression at least this multiple of gzip level 6's speed, measured on the same sample. */
        minRelativeSpeed: z.number().positive().default(1),
        /** Below this ratio the input is stored as identity (already compressed, random). */
        minRatio: z.number().min(1).default(1.05),
        /** Bytes of the start of the input that are sampled. */
        sampleSize: size().default(256 * 1024),
      })
      .prefault({}),
  })
  .prefault({});

/** HAProxy as the data plane (docs/haproxy.md): where piper finds it and how it talks to it. */
export const haproxySchema = z.strictObject({
  /** The `haproxy` executable; a bare name is looked up on PATH, then in /usr/local/sbin and /usr/sbin. */
  binary: z.string().min(1).default('haproxy'),
  /** Runtime API socket (`stats socket … level admin mode 600`), for piper only; relative to the working directory. */
  statsSocket: z.string().min(1).default('piper-haproxy.sock'),
  /** HAProxy's `server-state-file`: weights and states saved there before a reload are loaded again. */
  serverStateFile: z.string().min(1).default('piper-haproxy.state'),
  /** Where HAProxy sends one line per request (UDP syslog, `format raw`), for piper's telemetry. */
  log: z
    .strictObject({
      address: z.string().min(1).default('127.0.0.1'),
      port: port.default(5140),
    })
    .prefault({}),
  /** HAProxy's `nbthread`; HAProxy's own default (one thread per CPU it may run on) when unset. */
  nbthread: z.number().int().min(1).max(64).optional(),
  /**
   * HAProxy's `balance` for routes without `sticky`: `roundrobin` gives each pool exactly its share
   * of the split; `random` (`random(2)`, the power of two choices) prefers the less loaded of two
   * servers, as piper's own picker does, at the cost of a less exact split (docs/haproxy.md).
   */
  balance: z.enum(['roundrobin', 'random']).default('roundrobin'),
  /** HAProxy's stats page (`/stats`) and Prometheus exporter (`/metrics`). */
  stats: z
    .strictObject({
      enabled: z.boolean().default(true),
      address,
      port: port.default(8404),
    })
    .prefault({}),
  /**
   * `piper up` attaches to an HAProxy already running (started by systemd or an operator on the
   * config `piper haproxy config --guard` writes) through `statsSocket`, instead of starting and
   * supervising its own.
   */
  attach: z.boolean().default(false),
  /** Where `piper up` writes the haproxy.cfg and the dead-man guard of the HAProxy it starts; relative to the working directory. */
  runDir: z.string().min(1).default('piper-haproxy'),
});

export const dataPlaneSchema = z
  .strictObject({
    /** `piper`: piper's own balancer in the `piper up` process; `haproxy`: HAProxy, configured and steered by piper. */
    kind: z.enum(['piper', 'haproxy']).default('piper'),
    haproxy: haproxySchema.prefault({}),
  })
  .prefault({});

/**
 * One data plane of the fleet a route is served by: `local`, the one in this `piper up` process
 * (piper's balancer or HAProxy, `dataPlane`), or `remote`, a `piper up --role data` elsewhere
 * steered over its admin API.
 */
export const dataPlaneMemberSchema = z
  .strictObject({
    name,
    kind: z.enum(['local', 'remote']),
    /** Base URL of a remote member's admin API (`http://10.0.0.2:9901`). */
    admin: httpUrl.optional(),
    /** A remote member's admin token (`${ENV}` keeps it out of the file). */
    token: z.string().min(16, 'at least 16 characters').optional(),
  })
  .superRefine((member, ctx) => {
    if (member.kind === 'remote') {
      if (member.admin === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['admin'],
          message: "is required for kind remote (the member's admin API, http://host:9901)",
        });
      }
      return;
    }
    for (const key of ['admin', 'token'] as const) {
      if (member[key] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: "is read only for kind remote: a local member is this process's own data plane",
        });
      }
    }
  });

/** The fleet when `dataPlanes` is not set: this process's own data plane alone. */
const ONE_LOCAL_DATA_PLANE = [{ name: 'local', kind: 'local' as const }];

/** Largest `requestBody.buffer`: each request reading ahead may hold this much in memory. */
const MAX_BODY_BUFFER = 16 * 1024 * 1024;

export const piperConfigSchema = z
  .strictObject({
    listeners: z
      .array(listenerSchema)
      .min(1)
      .default([{ name: 'public', address: '127.0.0.1', port: 8080 }]),
    admin: adminSchema,
    dashboard: dashboardSchema,
    timeouts: timeoutsSchema,
    requestBody: requestBodySchema,
    pools: z.record(name, poolSchema).default({}),
    routes: z.array(routeSchema).default([]),
    overload: overloadSchema,
    migration: migrationSchema,
    storage: storageSchema,
    control: controlSchema,
    notifications: notificationsSchema,
    logging: loggingSchema,
    platform: platformSchema,
    dataPlane: dataPlaneSchema,
    /** The data planes every route is served by, steered as one (docs/data-plane.md, "A fleet of data planes"). */
    dataPlanes: z.array(dataPlaneMemberSchema).min(1).default(ONE_LOCAL_DATA_PLANE),
  })
  .superRefine((cfg, ctx) => {
    const members = new Set<string>();
    let locals = 0;
    cfg.dataPlanes.forEach((member, i) => {
      if (members.has(member.name)) {
        ctx.addIssue({ code: 'custom', path: ['dataPlanes', i, 'name'], message: `duplicate data plane name "${member.name}"` });
      }
      members.add(member.name);
      if (member.kind === 'local' && ++locals === 2) {
        ctx.addIssue({
          code: 'custom',
          path: ['dataPlanes', i, 'kind'],
          message: 'only one member can be local: this process runs one data plane',
        });
      }
    });
    if (cfg.dataPlane.kind !== 'haproxy') {
      cfg.listeners.forEach((listener, i) => {
        if (listener.tls !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['listeners', i, 'tls'],
            message: "TLS needs dataPlane.kind: haproxy (piper's own balancer serves plain HTTP/1.1)",
          });
        }
      });
      // piper's own upstream client speaks plain HTTP: an https:// backend would get its requests,
      // cookies and all, in clear text on port 80 rather than over TLS.
      for (const [poolName, pool] of Object.entries(cfg.pools)) {
        pool.backends.forEach((backend, i) => {
          if (backend.url.startsWith('https:')) {
            ctx.addIssue({
              code: 'custom',
              path: ['pools', poolName, 'backends', i, 'url'],
              message: "an https:// backend needs dataPlane.kind: haproxy (piper's own balancer connects to backends over plain HTTP)",
            });
          }
        });
      }
    }
    // Pool and route names one part gives another are checked in config-references.ts, on the
    // tree as written, so that they are reported even when other keys are wrong.
    cfg.routes.forEach((route, i) => {
      if (Object.values(route.split).every((w) => w === 0)) {
        ctx.addIssue({ code: 'custom', path: ['routes', i, 'split'], message: 'at least one pool needs a weight above 0' });
      }
    });
    const body = cfg.requestBody;
    if (body.buffer > MAX_BODY_BUFFER) {
      // Past this a body belongs on disk, which the balancer does not do: stream it instead.
      ctx.addIssue({ code: 'custom', path: ['requestBody', 'buffer'], message: 'must be at most 16MiB' });
    }
    if (body.minRate > 0 && body.rateWindow < 1_000) {
      ctx.addIssue({ code: 'custom', path: ['requestBody', 'rateWindow'], message: 'must be at least 1s while minRate is set' });
    }
    for (const [poolName, pool] of Object.entries(cfg.pools)) {
      const seen = new Set<string>();
      pool.backends.forEach((b, j) => {
        if (seen.has(b.name)) {
          ctx.addIssue({ code: 'custom', path: ['pools', poolName, 'backends', j, 'name'], message: `duplicate backend name "${b.name}"` });
        }
        seen.add(b.name);
      });
      if ((pool.admission.minLimit ?? pool.backends.length) > pool.admission.maxLimit) {
        ctx.addIssue({ code: 'custom', path: ['pools', poolName, 'admission', 'minLimit'], message: 'must not exceed maxLimit' });
      }
    }
  });

/** The whole `piper.yaml`, as the schema accepts it (durations as text, optional keys). */
export type PiperConfigInput = z.input<typeof piperConfigSchema>;
/** The parsed, defaulted config: durations in ms, sizes in bytes, percentages as fractions. */
export type PiperConfig = z.output<typeof piperConfigSchema>;
export type PoolConfig = z.output<typeof poolSchema>;
export type BackendConfig = z.output<typeof backendSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type SloConfig = z.output<typeof sloSchema>;
export type PlatformConfig = z.output<typeof platformSchema>;
export type MigrationConfig = z.output<typeof migrationSchema>;
export type ControlConfig = z.output<typeof controlSchema>;
export type ListenerConfig = z.output<typeof listenerSchema>;
export type DataPlaneConfig = z.output<typeof dataPlaneSchema>;
export type HaproxyConfig = z.output<typeof haproxySchema>;
export type DataPlaneMemberConfig = z.output<typeof dataPlaneMemberSchema>;
