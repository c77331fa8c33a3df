import { resolve } from 'node:path';
import { defaultConfig, loadConfigFile, storageLocation } from '../../config/index.ts';
import { journalLocation } from './events.ts';
import { createLogger, formatDuration, PiperError, parseDuration, SystemClock } from '../../core/index.ts';
import { createControlApp } from '../../control-api/index.ts';
import { HttpDataPlane } from '../../data-plane/index.ts';
import { Journal } from '../../journal/index.ts';
import {
  type MigrationDetail,
  type MigrationView,
  RolloutClient,
  rolloutApi,
  rolloutErrors,
  type StartMigrationBody,
} from '../../rollout/index.ts';
import { type CliContext, type Command, type CommandInput, ExitCode, type OptionSpec } from '../command.ts';
import { adminTokenOf, adminUrlOf } from '../admin-flags.ts';
import { mismatchPolicy } from '../event-checks.ts';
import { createStyle, renderTable, type Style } from '../terminal-style.ts';
import { authHook } from '../up/admin-auth.ts';
import { AdminServer } from '../up/admin-server.ts';
import { type LeaderController, startLeaderController } from '../up/control-plane.ts';
import { badFlag, missingArgument } from '../usage-errors.ts';
import { gateReport } from './gate-report.ts';

const FINAL = new Set(['completed', 'rolled_back', 'aborted']);

const clientOptions: Record<string, OptionSpec> = {
  admin: {
    type: 'string',
    valueName: 'URL',
    description: 'the rollout API: piper up\'s admin URL or "piper migrate controller"\'s (default: $PIPER_ADMIN or http://127.0.0.1:9901)',
  },
  api: { type: 'string', valueName: 'URL', description: 'the former name of --admin', hidden: true },
  token: { type: 'string', valueName: 'TOKEN', description: 'admin bearer token (default: $PIPER_ADMIN_TOKEN)' },
  actor: { type: 'string', valueName: 'NAME', description: 'who is acting, for the journal (default: $USER)' },
  json: { type: 'boolean', description: 'print the result as JSON' },
};

const followOption: Record<string, OptionSpec> = {
  follow: { type: 'boolean', short: 'f', description: 'show progress live until the migration ends (the default on a terminal)' },
  'no-follow': { type: 'boolean', description: 'return at once, even on a terminal' },
};

function client(ctx: CliContext, values: CommandInput['values']): RolloutClient {
  const apiUrl = adminUrlOf(ctx, values) ?? 'http://127.0.0.1:9901';
  const token = adminTokenOf(ctx, values);
  return new RolloutClient({ apiUrl, clock: new SystemClock(), ...(token ? { token } : {}) });
}

function actorOf(ctx: CliContext, values: CommandInput['values']): string {
  return str(values.actor) ?? ctx.env.USER ?? 'operator';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function needId(positionals: string[]): string {
  const id = positionals[0];
  if (id === undefined) throw new PiperError(rolloutErrors.PIPER_ROLLOUT_BAD_REQUEST, `missing migration ID (see "piper migrate status")`);
  return id;
}

/** `piper migrate controller`: the controller and rollout API as their own process, over a remote balancer. */
export const migrateControllerCommand: Command = {
  name: 'migrate controller',
  summary: 'Run the migration controller and rollout API against a balancer over HTTP',
  description:
    'Runs the migration controller outside `piper up`, driving a balancer through its admin API\n' +
    '(GET /api/v1/state, PUT split, POST heartbeat, the window stream), with its state in a SQLite\n' +
    'journal file. Serves the rollout API (docs/api.md, "Rollout") on 127.0.0.1 and prints\n' +
    '  listening rollout http://127.0.0.1:PORT\n' +
    'Active migrations resume after a restart (kill -9 included): the split recorded in the journal is\n' +
    "re-applied, or the migration is paused when the balancer's dead-man guard reverted it meanwhile.\n" +
    'It campaigns for the leader lease in the journal like piper up and piper control: on a journal\n' +
    'another controller already drives, it serves reads and refuses changes with 409\n' +
    'PIPER_NOT_LEADER naming that one, and takes over when it stops (one owner per route).\n\n' +
    'Examples:\n' +
    '  piper migrate controller --admin http://127.0.0.1:9901 --token $PIPER_ADMIN_TOKEN --db rollout.db --port 0\n' +
    '  piper migrate controller --admin http://10.0.0.5:9901 --config piper.yaml --db /var/lib/piper/rollout.db',
  options: {
    admin: { type: 'string', valueName: 'URL', description: "the balancer's admin API URL (required)" },
    token: { type: 'string', valueName: 'TOKEN', description: "the balancer's admin token (default: $PIPER_ADMIN_TOKEN)" },
    db: {
      type: 'string',
      valueName: 'FILE',
      description: 'journal holding events and migration state, a SQLite file or a postgres:// URL (default: storage of --config)',
    },
    port: { type: 'string', valueName: 'PORT', description: 'port of the rollout API on 127.0.0.1 (0 = any free port)', default: '0' },
    'api-token': {
      type: 'string',
      valueName: 'TOKEN',
      description: 'bearer token the rollout API requires for changes (default: none, loopback only)',
    },
    config: {
      type: 'string',
      short: 'c',
      valueName: 'FILE',
      description: 'piper.yaml whose `migration` section and route SLOs apply (default: built-in defaults)',
    },
    'log-level': { type: 'string', valueName: 'LEVEL', description: 'log level (fatal, error, warn, info, debug, trace, silent)' },
  },
  async run(ctx, { values }) {
    const admin = str(values.admin);
    if (admin === undefined) {
      throw missingArgument("--admin URL is required (the balancer's admin API)");
    }
    const port = Number(values.port ?? '0');
    if (!/^\d+$/.test(String(values.port ?? '0')) || port > 65535) {
      throw badFlag(`--port must be 0..65535, got "${String(values.port)}"`);
    }
    const config =
      typeof values.config === 'string' ? await loadConfigFile(resolve(ctx.cwd, values.config), { env: ctx.env }) : defaultConfig();
    const db = journalLocation(ctx.cwd, str(values.db) ?? storageLocation(config.storage));
    const logger = createLogger({ level: str(values['log-level']) ?? config.logging.level, pretty: true, isTty: ctx.isTty });
    const clock = new SystemClock();
    const token = adminTokenOf(ctx, values);
    const journal = Journal.open({ path: db, clock, logger, onMismatch: mismatchPolicy(ctx.env) });
    let dataPlane: HttpDataPlane | undefined;
    let leader: LeaderController | undefined;
    const apiToken = str(values['api-token']);
    const server = new AdminServer();
    try {
      dataPlane = await HttpDataPlane.connect({ adminUrl: admin, clock, logger, ...(token ? { token } : {}) });
      // Bound first: its URL is what another controller on the same journal names when it refuses a change.
      const url = await server.listen(port, '127.0.0.1');
      // Another piper up or controller on the same journal may lead: then this one serves reads and names it.
      const running = await startLeaderController({ journal, dataPlane, config, clock, logger, adminUrl: url });
      leader = running;
      const api = await createControlApp({
        logger,
        plugins: [rolloutApi({ controller: () => running.controller(), leader: running.leadership })],
        onRequest: authHook(apiToken ? { admin: apiToken } : {}),
      });
      server.serve(api);
      ctx.stdout.write(`listening rollout ${url}\n`);
      await new Promise<void>((done) => {
        if (ctx.signal.aborted) done();
        else ctx.signal.addEventListener('abort', () => done(), { once: true });
      });
    } finally {
      await server.close();
      await leader?.close();
      dataPlane?.close();
      journal.close();
    }
    return ExitCode.ok;
  },
};

export const migrateStartCommand: Command = {
  name: 'migrate start',
  summary: "Start moving a route's traffic to another pool, in gated and judged steps",
  args: 'ROUTE',
  description:
    'Asks the controller to move ROUTE from its current pool (or --from) to --to in steps. Before\n' +
    "starting, the capacity gate checks the target's certified capacity (the latest `piper capacity`\n" +
    "result) against the route's peak × headroom; a refusal prints the numbers and exits 1.\n" +
    'Each step is judged every second; failures roll back on their own. Progress is shown live on a\n' +
    'terminal; the exit code is 0 when the migration completes, 1 when it is rolled back or aborted.\n\n' +
    'Examples:\n' +
    '  piper migrate start web --to inhouse\n' +
    '  piper migrate start web --to inhouse --steps 1,5,25,100 --step-duration 2m --headroom 2\n' +
    '  piper migrate start web --to inhouse --headroom 1.5 --override-headroom "certified last week at 3x the peak"\n' +
    '  piper migrate start web --to inhouse --override-capacity-gate "vendor contract ends tonight"',
  options: {
    to: { type: 'string', valueName: 'POOL', description: 'the pool to move the route to (required)' },
    from: { type: 'string', valueName: 'POOL', description: 'the pool it moves from (default: the pool carrying the route)' },
    steps: {
      type: 'string',
      valueName: 'LIST',
      description: 'percent on the target at each step, ending at 100 (default: migration.steps, 1,5,10,25,50,100)',
    },
    'step-duration': {
      type: 'string',
      valueName: 'DURATION',
      description: 'how long each step is judged before the next (default: migration.stepDuration, 60s)',
    },
    headroom: {
      type: 'string',
      valueName: 'FACTOR',
      description:
        'certified capacity must be this many times the projected load (default: migration.headroom, 2); below it needs --override-headroom',
    },
    'override-headroom': {
      type: 'string',
      valueName: 'REASON',
      description: 'why --headroom is below migration.headroom; the reason and --actor are journaled',
    },
    'override-capacity-gate': {
      type: 'string',
      valueName: 'REASON',
      description: 'start even if the gate refuses; the reason and --actor are journaled',
    },
    ...clientOptions,
    ...followOption,
  },
  async run(ctx, { values, positionals }) {
    const route = positionals[0];
    const to = str(values.to);
    if (route === undefined || to === undefined) {
      throw missingArgument('ROUTE and --to POOL are required (e.g. piper migrate start web --to inhouse)');
    }
    const body: StartMigrationBody = { route, to, actor: actorOf(ctx, values) };
    const from = str(values.from);
    if (from !== undefined) body.from = from;
    const steps = str(values.steps);
    if (steps !== undefined) {
      const list = steps.split(',').map((s) => Number(s.trim().replace(/%$/, '')));
      if (list.some((n) => !Number.isFinite(n))) {
        throw badFlag(`--steps must be numbers separated by commas, e.g. 1,5,25,100 (got "${steps}")`);
      }
      body.steps = list;
    }
    const stepDuration = str(values['step-duration']);
    if (stepDuration !== undefined) body.stepDuration = parseDuration(stepDuration);
    const headroom = str(values.headroom);
    if (headroom !== undefined) {
      const h = Number(headroom.replace(/x$/, ''));
      if (!(h >= 1)) {
        throw badFlag(`--headroom must be a number ≥ 1, e.g. 2 (got "${headroom}")`);
      }
      body.headroom = h;
    }
    const headroomReason = str(values['override-headroom']);
    if (headroomReason !== undefined) body.overrideHeadroom = headroomReason;
    const override = str(values['override-capacity-gate']);
    if (override !== undefined) body.overrideCapacityGate = override;
    const api = client(ctx, values);
    const style = createStyle(ctx.isTty && ctx.env.NO_COLOR === undefined);
    let view: MigrationView;
    try {
      view = await api.start(body);
    } catch (err) {
      if (err instanceof PiperError && err.code === 'PIPER_ROLLOUT_GATE_REFUSED') {
        if (values.json === true)
          ctx.stdout.write(`${JSON.stringify({ refused: true, error: err.message, gate: err.details.gate }, null, 2)}\n`);
        else {
          const gate = err.details.gate as MigrationView['gate'];
          // With the refusals listed one per line below, the headline need not repeat them.
          const headline = gate?.refusals?.length ? `capacity gate refused moving "${route}" to "${to}":` : err.message;
          ctx.stderr.write(`${style.red('✗')} ${headline}\n${gateReport(gate, style)}\n`);
        }
        return ExitCode.failure;
      }
      throw err;
    }
    if (!follows(ctx, values)) {
      ctx.stdout.write(
        values.json === true ? `${JSON.stringify(view, null, 2)}\n` : `${style.green('✓')} migration ${view.id} started: ${line(view)}\n`,
      );
      return ExitCode.ok;
    }
    return follow(ctx, api, view.id, values.json === true, style);
  },
};

export const migrateStatusCommand: Command = {
  name: 'migrate status',
  summary: 'Show migrations, or one migration with its gate, judge and transitions',
  args: '[ID]',
  description:
    'Without ID: a table of migrations, newest first. With ID: its plan, current step, capacity gate\n' +
    "figures, the judge's latest statistics and every transition. --follow keeps it live until the end.\n\n" +
    'Examples:\n  piper migrate status\n  piper migrate status 3 --follow\n  piper migrate status 3 --json',
  options: {
    ...clientOptions,
    follow: { type: 'boolean', short: 'f', description: 'with ID: show progress live until the migration ends' },
  },
  async run(ctx, { values, positionals }) {
    const api = client(ctx, values);
    const style = createStyle(ctx.isTty && ctx.env.NO_COLOR === undefined);
    const id = positionals[0];
    if (id === undefined) {
      const list = await api.list();
      if (values.json === true) ctx.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else if (list.length === 0) ctx.stdout.write('no migrations\n');
      else {
        const rows = list.map((m) => [
          m.id,
          m.plan.route,
          `${m.plan.from} → ${m.plan.to}`,
          m.phase,
          `${m.targetPercent}%`,
          stepText(m),
          new Date(m.createdAt).toISOString(),
        ]);
        ctx.stdout.write(`${renderTable(['id', 'route', 'move', 'phase', 'on target', 'step', 'started'], rows)}\n`);
      }
      return ExitCode.ok;
    }
    if (values.follow === true) return follow(ctx, api, id, values.json === true, style);
    const m = await api.get(id);
    ctx.stdout.write(values.json === true ? `${JSON.stringify(m, null, 2)}\n` : detail(m, style));
    return ExitCode.ok;
  },
};

function actionCommand(action: 'pause' | 'resume' | 'abort', summary: string, description: string): Command {
  return {
    name: `migrate ${action}`,
    summary,
    args: 'ID',
    description,
    options: { reason: { type: 'string', valueName: 'TEXT', description: 'why, for the journal' }, ...clientOptions },
    async run(ctx, { values, positionals }) {
      const id = needId(positionals);
      const view = await client(ctx, values).action(id, action, actorOf(ctx, values), str(values.reason) ?? `${action} from the CLI`);
      ctx.stdout.write(values.json === true ? `${JSON.stringify(view, null, 2)}\n` : `migration ${view.id}: ${line(view)}\n`);
      return ExitCode.ok;
    },
  };
}

export const migratePauseCommand = actionCommand(
  'pause',
  'Hold a migration at its current step (judging and rollbacks go on)',
  'Stops advancing; the judge keeps watching and still rolls back on failure.\n\nExample:\n  piper migrate pause 3 --reason "waiting for the DBA"',
);
export const migrateResumeCommand = actionCommand(
  'resume',
  'Continue a paused migration (the current step is judged afresh)',
  'Example:\n  piper migrate resume 3 --reason "DBA says go"',
);
export const migrateAbortCommand = actionCommand(
  'abort',
  'Roll a migration back now',
  'Moves the route back to its source pool at once, or in stages when the source pool\'s certified\ncapacity cannot take the whole route at once.\n\nExample:\n  piper migrate abort 3 --reason "customer reports errors"',
);

export const migratePromoteCommand: Command = {
  name: 'migrate promote',
  summary: 'Skip to the next step now, or with --all to 100% and completion',
  args: 'ID',
  description:
    'The capacity gate still applies (unless the migration was started with an override).\n\nExamples:\n  piper migrate promote 3\n  piper migrate promote 3 --all',
  options: { all: { type: 'boolean', description: 'go straight to 100% and complete' }, ...clientOptions },
  async run(ctx, { values, positionals }) {
    const id = needId(positionals);
    const view = await client(ctx, values).promote(id, values.all === true, actorOf(ctx, values));
    ctx.stdout.write(values.json === true ? `${JSON.stringify(view, null, 2)}\n` : `migration ${view.id}: ${line(view)}\n`);
    return ExitCode.ok;
  },
};

function follows(ctx: CliContext, values: CommandInput['values']): boolean {
  if (values['no-follow'] === true) return false;
  return values.follow === true || (ctx.isTty && values.json !== true);
}

/** Polls once a second until the migration ends: one rewritten line on a terminal, a line per change otherwise. */
async function follow(ctx: CliContext, api: RolloutClient, id: string, json: boolean, style: Style): Promise<number> {
  const clock = new SystemClock();
  let last = '';
  for (;;) {
    const m = await api.get(id);
    const text = line(m);
    if (json) {
      if (text !== last)
        ctx.stdout.write(
          `${JSON.stringify({ id: m.id, phase: m.phase, targetPercent: m.targetPercent, stepIndex: m.stepIndex, hold: m.hold })}\n`,
        );
    } else if (ctx.isTty) ctx.stdout.write(`\r\u001b[2K${text}`);
    else if (text !== last) ctx.stdout.write(`${text}\n`);
    last = text;
    if (FINAL.has(m.phase)) {
      if (!json)
        ctx.stdout.write(
          `${ctx.isTty ? '\n' : ''}${m.phase === 'completed' ? style.green('✓ completed') : style.red(`✗ ${m.phase}`)}${m.rollback ? `: ${m.rollback.reason}` : ''}\n`,
        );
      return m.phase === 'completed' ? ExitCode.ok : ExitCode.failure;
    }
    try {
      await clock.sleep(1000, ctx.signal);
    } catch {
      return ExitCode.interrupted;
    }
  }
}

function stepText(m: MigrationView): string {
  return m.stepIndex < 0 ? `0/${m.plan.steps.length}` : `${m.stepIndex + 1}/${m.plan.steps.length}`;
}

function line(m: MigrationView): string {
  const parts = [`${m.plan.route}: ${m.plan.from} → ${m.plan.to}`, m.phase, `step ${stepText(m)}`, `${m.targetPercent}% on ${m.plan.to}`];
  if (m.stepEndsAt !== null && m.hold === null && m.phase === 'running')
    parts.push(`next step in ${formatDuration(Math.max(0, m.stepEndsAt - Date.now()))}`);
  if (m.hold) parts.push(`held: ${m.hold.detail}`);
  const j = m.judge;
  if (j) parts.push(`target ${j.target.requests}/s err ${(j.target.errorRatio * 100).toFixed(1)}% p99 ${j.target.p99Ms.toFixed(0)}ms`);
  return parts.join(' · ');
}

/** A headroom below migration.headroom, as an override: from what, by whom, why. */
function headroomText(m: MigrationView): string {
  const h = m.headroomOverride;
  return h ? ` (lowered from ${h.configured}x by ${h.actor}: ${h.reason})` : '';
}

function detail(m: MigrationDetail, style: Style): string {
  const out = [
    `${style.bold(`migration ${m.id}`)}  ${line(m)}`,
    `plan: steps ${m.plan.steps.join(', ')}% · ${formatDuration(m.plan.stepDurationMs)} each · headroom ${m.plan.headroom}x${headroomText(m)}${m.override ? ` · gate overridden by ${m.override.actor}: ${m.override.reason}` : ''}`,
  ];
  if (m.gate) out.push('', 'capacity gate:', gateReport(m.gate, style));
  if (m.judge) {
    const j = m.judge;
    out.push(
      '',
      'judge (latest window):',
      renderTable(
        ['side', 'requests', 'failed', 'error %', 'p99 ms'],
        [
          ['target', j.target.requests, j.target.failed, (j.target.errorRatio * 100).toFixed(2), j.target.p99Ms.toFixed(1)],
          ['source', j.source.requests, j.source.failed, (j.source.errorRatio * 100).toFixed(2), j.source.p99Ms.toFixed(1)],
        ],
      ),
      `mSPRT errors p=${j.errors.pValue.toPrecision(3)} latency p=${j.latency.pValue.toPrecision(3)} (α ${j.errors.alpha.toPrecision(3)}) · verdict ${j.verdict}${j.reasons.length ? ` (${j.reasons.join(', ')})` : ''}`,
    );
  }
  out.push('', 'transitions:');
  out.push(
    renderTable(
      ['time', 'event', 'actor', 'on target'],
      m.events.map((e) => [new Date(e.time).toISOString(), e.kind, e.actor, `${String(e.data.targetPercent ?? '')}%`]),
    ),
  );
  return `${out.join('\n')}\n`;
}
