import { resolve } from 'node:path';
import { createLogger, PiperError, SystemClock, SystemRandom } from '../../core/index.ts';
import { type Command, ExitCode } from '../command.ts';
import { startPiperUp } from '../up/piper-up.ts';
import { balancerErrors } from '../../balancer/index.ts';

/** Seconds in-flight requests get to finish on SIGTERM/SIGINT before connections are cut. */
const DRAIN_GRACE_MS = 10_000;
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const upCommand: Command = {
  name: 'up',
  summary: 'Run the load balancer and its admin API',
  description:
    'Loads the config, starts one public listener per `listeners` entry (the balancer) and the admin\n' +
    'API (docs/api.md) on `admin.address:admin.port`. Prints one line per listener once bound:\n' +
    '  listening public http://127.0.0.1:8080\n' +
    '  listening admin http://127.0.0.1:9901\n' +
    'SIGHUP (or POST /api/v1/reload) re-reads the config without dropping connections;\n' +
    'SIGTERM or SIGINT stop accepting, let in-flight requests finish (up to 10 s), then exit: at once\n' +
    'when none are in flight; after Ctrl-C (SIGINT) with "interrupted" and exit code 130.\n' +
    'Refuses to start (exit code 2) when admin.address is not loopback and admin.token is not set,\n' +
    "or when a token is published in piper's examples or docs or too simple (openssl rand -hex 32).\n" +
    'With dataPlane.kind: haproxy (or --data-plane haproxy) HAProxy serves the listeners instead of\n' +
    "piper's own balancer: piper writes haproxy.cfg and its dead-man guard into dataPlane.haproxy.runDir,\n" +
    'starts HAProxy in master-worker mode and restarts it if it dies, steers it over the stats socket\n' +
    'and reads its per-request log lines (docs/haproxy.md, "Running piper on HAProxy"); with\n' +
    'dataPlane.haproxy.attach: true it steers an HAProxy already running instead. Exit code 2 with one\n' +
    'line when haproxy is not installed (apt-get install haproxy).\n' +
    '--role data runs the data plane and its admin API only (state, windows, split, heartbeat, term,\n' +
    'drain, metrics, reload), for a control plane on another process or machine to steer: no journal,\n' +
    'migration controller, alerts or dashboard, nothing written to disk; its events are kept in memory\n' +
    '(the last 2000) at GET /api/v1/events?after=ID (docs/api.md, "Data plane only").\n' +
    'Memory: the process re-executes itself at start (same pid) with node --max-semi-space-size=8\n' +
    'and MALLOC_ARENA_MAX=2, so RSS stays flat under load (docs/balancer.md, "Overload"). To run\n' +
    'with your own heap settings instead: NODE_OPTIONS=--max-semi-space-size=N piper up ...\n\n' +
    'Examples:\n' +
    '  piper up --config examples/piper.yaml\n' +
    '  piper up --config piper.yaml --port 0 --admin-port 0   # any free ports (tests)\n' +
    '  piper up --config examples/piper.yaml --data-plane haproxy\n' +
    '  piper up --config piper.yaml --role data   # one data plane of a fleet',
  options: {
    config: { type: 'string', short: 'c', valueName: 'FILE', description: 'the piper.yaml to run (default: built-in defaults, no routes)' },
    port: { type: 'string', valueName: 'PORT', description: "replace the first public listener's port (0 = any free port)" },
    'admin-port': { type: 'string', valueName: 'PORT', description: "replace the admin listener's port (0 = any free port)" },
    'dashboard-port': { type: 'string', valueName: 'PORT', description: "replace the dashboard listener's port (0 = any free port)" },
    'data-plane': {
      type: 'string',
      valueName: 'KIND',
      description: "override dataPlane.kind: piper (piper's own balancer) or haproxy (HAProxy, started and steered by piper)",
    },
    role: {
      type: 'string',
      valueName: 'ROLE',
      description: 'all (data plane, control plane and dashboard; the default) or data (the data plane and its admin API only)',
    },
    'log-level': {
      type: 'string',
      valueName: 'LEVEL',
      description: 'override logging.level (fatal, error, warn, info, debug, trace, silent)',
    },
  },
  async run(ctx, { values }) {
    const port = parsePort(values.port, '--port');
    const adminPort = parsePort(values['admin-port'], '--admin-port');
    const dashboardPort = parsePort(values['dashboard-port'], '--dashboard-port');
    const configFile = typeof values.config === 'string' ? resolve(ctx.cwd, values.config) : null;
    const level = values['log-level'];
    const kind = values['data-plane'];
    if (kind !== undefined && kind !== 'piper' && kind !== 'haproxy') {
      throw new PiperError(balancerErrors.PIPER_BALANCER_BAD_FLAG, `--data-plane must be piper or haproxy, got "${String(kind)}"`);
    }
    const role = values.role;
    if (role !== undefined && role !== 'all' && role !== 'data') {
      throw new PiperError(balancerErrors.PIPER_BALANCER_BAD_FLAG, `--role must be all or data, got "${String(role)}"`);
    }
    checkLogLevel(level);
    const up = await startPiperUp({
      configFile,
      env: ctx.env,
      clock: new SystemClock(),
      random: new SystemRandom(),
      makeLogger: (l) => createLogger({ level: l, pretty: true, isTty: ctx.isTty }),
      ...(typeof level === 'string' ? { logLevel: level } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(adminPort !== undefined ? { adminPort } : {}),
      ...(dashboardPort !== undefined ? { dashboardPort } : {}),
      ...(kind !== undefined ? { dataPlane: kind } : {}),
      ...(role !== undefined ? { role } : {}),
      cwd: ctx.cwd,
    });
    const logger = up.logger;
    for (const a of up.publicAddresses) ctx.stdout.write(`listening ${a.name} ${a.url}\n`);
    ctx.stdout.write(`listening admin ${up.adminUrl}\n`);
    if (up.dashboardUrl !== null) ctx.stdout.write(`listening dashboard ${up.dashboardUrl}\n`);
    const onHup = (): void => {
      up.reload('signal:SIGHUP').catch((err: unknown) => logger.error({ err }, 'reload failed; the previous config stays'));
    };
    process.on('SIGHUP', onHup);
    try {
      await new Promise<void>((done) => {
        if (ctx.signal.aborted) done();
        else ctx.signal.addEventListener('abort', () => done(), { once: true });
      });
      logger.info({ graceMs: DRAIN_GRACE_MS }, 'draining');
      await up.close(DRAIN_GRACE_MS);
    } finally {
      process.off('SIGHUP', onHup);
    }
    return ExitCode.ok;
  },
};

/** `--log-level`, when given, is one of the logger's levels (piper up and piper control). */
export function checkLogLevel(level: unknown): asserts level is string | undefined {
  if (level !== undefined && (typeof level !== 'string' || !LEVELS.includes(level))) {
    throw new PiperError(balancerErrors.PIPER_BALANCER_BAD_FLAG, `--log-level must be one of ${LEVELS.join(', ')}, got "${String(level)}"`);
  }
}

export function parsePort(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n > 65535) {
    throw new PiperError(balancerErrors.PIPER_BALANCER_BAD_FLAG, `${flag} must be a port number from 0 to 65535, got "${String(value)}"`);
  }
  return n;
}
