import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultConfig, loadConfigFile, type PlatformConfig } from '../../config/index.ts';
import { createLogger, PiperError, SystemClock } from '../../core/index.ts';
import { platformErrors, startPlatformServer } from '../../platform/index.ts';
import { MetricsRegistry, processMetrics } from '../../telemetry/index.ts';
import { type Command, ExitCode } from '../command.ts';
import { checkOutputFolder } from '../output-path.ts';
import { undoCreation } from '../undo-creation.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the compression platform: streaming API, file store and website',
  description:
    'Serves the Pied Piper platform (docs/platform.md): POST /api/v1/compress and /decompress,\n' +
    'the content-addressed file store under /api/v1/files, the website (/, /upload, /files, /status),\n' +
    '/healthz, /readyz and /metrics. Settings come from the `platform` section of the config;\n' +
    'flags override them. Prints `listening platform http://HOST:PORT` once bound.\n' +
    'SIGTERM or SIGINT: readiness fails, new requests are refused, requests in flight finish\n' +
    '(up to platform.drainTimeout), then the process exits 0.\n\n' +
    '--capacity-rps and --max-concurrency emulate smaller hardware for demos and tests: past\n' +
    'either limit requests wait in a bounded queue (platform.queueSize, platform.queueTimeout)\n' +
    'and then fail with 503 PIPER_PLATFORM_OVERLOADED, as an overloaded server would.\n\n' +
    'Write access: DELETE (and uploads, with platform.auth.requireForUploads) needs\n' +
    'Authorization: Bearer TOKEN when a token is set in platform.auth.token or in the environment\n' +
    'as PIPER_PLATFORM_TOKEN (which wins); with no token, only clients on this machine talking to\n' +
    'the server directly may delete.\n\n' +
    'Memory: the process re-executes itself at start (same pid) with node --max-semi-space-size=1\n' +
    '--heap-growing-percent=200 and MALLOC_ARENA_MAX=2, so the Buffers of streamed bodies are freed\n' +
    'every few MB instead of piling up or setting off full collections (docs/platform.md, "Memory").\n' +
    'To run with your own heap settings instead:\n' +
    'NODE_OPTIONS=--max-semi-space-size=N piper serve ...\n\n' +
    'Examples:\n' +
    '  piper serve --port 8081 --data-dir ./piper-data\n' +
    '  piper serve --port 0 --data-dir /tmp/inhouse --capacity-rps 200 --max-concurrency 16\n' +
    '  piper serve --config piper.yaml',
  options: {
    config: {
      type: 'string',
      short: 'c',
      valueName: 'FILE',
      description: 'a piper.yaml whose `platform` section is used (default: built-in defaults)',
    },
    port: {
      type: 'string',
      short: 'p',
      valueName: 'PORT',
      description: 'port to listen on, 0 for any free port (default: platform.port, 8081)',
    },
    address: { type: 'string', valueName: 'ADDR', description: 'address to bind (default: platform.address, 127.0.0.1)' },
    'data-dir': {
      type: 'string',
      short: 'd',
      valueName: 'DIR',
      description: 'where files and their metadata are stored (default: platform.dataDir)',
    },
    'capacity-rps': {
      type: 'string',
      valueName: 'N',
      description: 'emulated capacity: requests started per second at most; the rest queue, then get 503',
    },
    'max-concurrency': {
      type: 'string',
      valueName: 'M',
      description: 'requests in flight at most; the rest queue, then get 503 (default: 256)',
    },
    'log-level': {
      type: 'string',
      valueName: 'LEVEL',
      description: 'override logging.level (fatal, error, warn, info, debug, trace, silent)',
    },
  },
  async run(ctx, { values }) {
    const file = typeof values.config === 'string' ? resolve(ctx.cwd, values.config) : undefined;
    const cfg = file === undefined ? defaultConfig() : await loadConfigFile(file, { env: ctx.env });
    const platform: PlatformConfig = { ...cfg.platform };
    const port = numberFlag(values.port, '--port', { integer: true, min: 0, max: 65535 });
    if (port !== undefined) platform.port = port;
    if (typeof values.address === 'string') platform.address = values.address;
    if (typeof values['data-dir'] === 'string') platform.dataDir = resolve(ctx.cwd, values['data-dir']);
    else platform.dataDir = resolve(ctx.cwd, platform.dataDir);
    const rps = numberFlag(values['capacity-rps'], '--capacity-rps', { integer: false, min: Number.MIN_VALUE, max: 1e9 });
    if (rps !== undefined) platform.capacityRps = rps;
    const conc = numberFlag(values['max-concurrency'], '--max-concurrency', { integer: true, min: 1, max: 1e6 });
    if (conc !== undefined) platform.maxConcurrency = conc;
    const token = ctx.env.PIPER_PLATFORM_TOKEN;
    if (token !== undefined && token !== '') {
      if (token.length < 16) {
        throw new PiperError(
          platformErrors.PIPER_PLATFORM_BAD_FLAG,
          'PIPER_PLATFORM_TOKEN (platform.auth.token) must be at least 16 characters',
        );
      }
      platform.auth = { ...platform.auth, token };
    }
    const level = typeof values['log-level'] === 'string' ? values['log-level'] : cfg.logging.level;
    const logger = createLogger({ level, pretty: true, isTty: ctx.isTty });
    const registry = new MetricsRegistry();
    const proc = processMetrics(registry);
    checkOutputFolder(typeof values['data-dir'] === 'string' ? '--data-dir' : 'platform.dataDir', platform.dataDir, ctx.cwd);
    // A platform that fails to start (a port in use) leaves no data folder behind.
    const undoDataDir = undoCreation([platform.dataDir]);
    const server = await startPlatformServer({
      config: platform,
      clock: new SystemClock(),
      logger,
      metrics: registry,
      version: packageVersion(),
    }).catch((err: unknown) => {
      proc.close();
      undoDataDir();
      throw err;
    });
    ctx.stdout.write(`listening platform ${server.url}\n`);
    await new Promise<void>((done) => {
      if (ctx.signal.aborted) done();
      else ctx.signal.addEventListener('abort', () => done(), { once: true });
    });
    logger.info({ drainTimeoutMs: platform.drainTimeout }, 'draining');
    await server.close();
    proc.close();
    return ExitCode.ok;
  },
};

function numberFlag(value: unknown, flag: string, range: { integer: boolean; min: number; max: number }): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const shape = range.integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  if (typeof value !== 'string' || !shape.test(value) || n < range.min || n > range.max) {
    const what = range.integer ? `an integer from ${range.min} to ${range.max}` : 'a number above 0';
    throw new PiperError(platformErrors.PIPER_PLATFORM_BAD_FLAG, `${flag} must be ${what}, got "${String(value)}"`);
  }
  return n;
}

/** The package version for the status page (package.json is three levels up in src/ and in dist/ alike). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
