import { resolve } from 'node:path';
import { createLogger, PiperError, SystemClock } from '../../core/index.ts';
import { type Command, ExitCode } from '../command.ts';
import { startPiperControl } from '../up/piper-control.ts';
import { checkLogLevel, parsePort } from './up.ts';
import { cliErrors } from '../cli-errors.ts';

export const controlCommand: Command = {
  name: 'control',
  summary: 'Run a control plane alone, steering remote data planes (one of several, one leader)',
  description:
    'Runs the control plane without a data plane of its own: the journal, the campaign for the leader\n' +
    'lease, alerts and incidents, the migration controller, the admin API and the dashboard, over the\n' +
    'data planes `dataPlanes` lists (each a "piper up --role data", kind remote, by its admin URL).\n' +
    'Several control planes sharing one PostgreSQL journal (storage.kind: postgres) elect one leader\n' +
    '(docs/adr/0004-leader-lease.md): only the leader runs migrations, pages and copies the data\n' +
    "planes' events into the journal; a follower serves reads, the dashboard and the status page, and\n" +
    'answers a change with 409 PIPER_NOT_LEADER naming the leader. When the leader dies, a follower\n' +
    'takes over within about `control.lease` (2 s) and resumes its migrations at their step. Every\n' +
    "split carries the leader's term; a data plane refuses one from an older term. GET /api/v1/control\n" +
    'says which this one is. Prints, once bound:\n' +
    '  listening admin http://127.0.0.1:9900\n' +
    '  listening dashboard http://127.0.0.1:9902\n' +
    'SIGTERM or SIGINT stop it; a leader releases its lease so a follower takes over at once.\n' +
    'README.md, "Several machines", runs two data planes and two control planes on one host.\n\n' +
    'Examples:\n' +
    '  piper control --config control.yaml\n' +
    '  piper control --config control.yaml --admin-port 0 --dashboard-port 0   # any free ports',
  options: {
    config: {
      type: 'string',
      short: 'c',
      valueName: 'FILE',
      description: 'the piper.yaml to run, with `dataPlanes` and `storage` (required)',
    },
    'admin-port': { type: 'string', valueName: 'PORT', description: "replace the admin listener's port (0 = any free port)" },
    'dashboard-port': { type: 'string', valueName: 'PORT', description: "replace the dashboard listener's port (0 = any free port)" },
    'log-level': {
      type: 'string',
      valueName: 'LEVEL',
      description: 'override logging.level (fatal, error, warn, info, debug, trace, silent)',
    },
  },
  async run(ctx, { values }) {
    if (typeof values.config !== 'string') {
      throw new PiperError(
        cliErrors.PIPER_CLI_MISSING_ARGUMENT,
        '--config FILE is required: the piper.yaml whose dataPlanes this control plane steers',
      );
    }
    const adminPort = parsePort(values['admin-port'], '--admin-port');
    const dashboardPort = parsePort(values['dashboard-port'], '--dashboard-port');
    const level = values['log-level'];
    checkLogLevel(level);
    const control = await startPiperControl({
      configFile: resolve(ctx.cwd, values.config),
      env: ctx.env,
      clock: new SystemClock(),
      makeLogger: (l) => createLogger({ level: l, pretty: true, isTty: ctx.isTty }),
      ...(typeof level === 'string' ? { logLevel: level } : {}),
      ...(adminPort !== undefined ? { adminPort } : {}),
      ...(dashboardPort !== undefined ? { dashboardPort } : {}),
    });
    ctx.stdout.write(`listening admin ${control.adminUrl}\n`);
    if (control.dashboardUrl !== null) ctx.stdout.write(`listening dashboard ${control.dashboardUrl}\n`);
    await new Promise<void>((done) => {
      if (ctx.signal.aborted) done();
      else ctx.signal.addEventListener('abort', () => done(), { once: true });
    });
    await control.close();
    return ExitCode.ok;
  },
};
