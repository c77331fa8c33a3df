import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseDuration, parsePercent, parseRate, SeededRandom, SystemClock } from '../../core/index.ts';
import {
  type ArrivalProcess,
  type CapacityResult,
  capacityEvent,
  findCapacity,
  formatCapacityProgress,
  parseSlo,
  postCapacityEvent,
  resolveLoadTarget,
} from '../../loadgen/index.ts';
import { adminTokenOf, adminUrlOf } from '../admin-flags.ts';
import { type CliContext, type Command, ExitCode } from '../command.ts';
import { checkOutputFile } from '../output-path.ts';
import { createStyle, renderTable } from '../terminal-style.ts';
import { missingArgument } from '../usage-errors.ts';
import { parsed, positiveInt, readScenarioFlag, senderFlag, str, strs } from './load-flags.ts';

function parseFactor(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*x?\s*$/.exec(text);
  if (m === null || !(Number(m[1]) > 0)) throw new Error(`"${text}" is not a factor such as 2x or 1.5x`);
  return Number(m[1]);
}

function arrivalsFlag(text: string | undefined): ArrivalProcess | undefined {
  if (text === undefined) return undefined;
  if (text === 'poisson' || text === 'constant') return text;
  return parsed('arrivals', () => {
    throw new Error(`"${text}" is not poisson or constant`);
  });
}

function printResult(ctx: CliContext, r: CapacityResult): void {
  const style = createStyle(ctx.isTty && ctx.env.NO_COLOR === undefined);
  const out: string[] = ['', style.bold(`capacity of ${r.pool ?? r.target}`), ''];
  out.push(
    renderTable(
      ['rate/s', 'duration', 'p99', 'errors', 'achieved/s', 'verdict'],
      r.trials.map((t) => [
        t.rateRps.toFixed(1),
        `${(t.durationMs / 1000).toFixed(1)}s`,
        `${t.p99Ms.toFixed(1)} ms`,
        `${(t.errorRatio * 100).toFixed(2)}%`,
        t.achievedRps.toFixed(1),
        t.verdict === 'pass' ? style.green('pass') : t.verdict === 'fail' ? style.red('fail') : style.yellow(t.verdict),
      ]),
    ),
    '',
  );
  if (r.reason === 'below-minimum' && r.failedAtRps !== null) {
    out.push(
      style.bold(`capacity: below ${r.failedAtRps.toFixed(1)} req/s`) +
        ` (a trial at ${r.failedAtRps.toFixed(1)}/s, the lowest allowed, failed)`,
    );
  } else {
    out.push(
      `${style.bold(`capacity: ${r.capacityRps.toFixed(1)} req/s`)} under p99<${r.slo.p99Ms}ms, errors<${(r.slo.maxErrorRatio * 100).toPrecision(3)}% ` +
        `(${(r.confidence * 100).toFixed(0)}% confidence per verdict, ${r.confirmed ? 'confirmed' : 'not confirmed'}; ended: ${r.reason}` +
        `${r.failedAtRps === null ? '' : `; failed at ${r.failedAtRps.toFixed(1)}/s`})`,
    );
  }
  const upper = r.interval.upperRps;
  out.push(
    `interval: ${r.interval.lowerRps.toFixed(1)} (passed) – ${upper === null ? 'not found (no trial was shown to fail)' : `${upper.toFixed(1)} req/s (shown to fail)`}; ${r.arrivals} arrivals`,
  );
  if (r.limits.length > 0) out.push('what limited it:', ...r.limits.slice(0, 5).map((l) => `  ${l}`));
  if (r.reason === 'generator-limited')
    out.push(style.yellow('the generator could not offer a higher rate: add --workers or run it from another machine'));
  if (r.require !== undefined) {
    const need = r.require.factor * r.require.peakRps;
    const line = `require ${r.require.factor}× peak ${r.require.peakRps}/s = ${need >= 100 ? Math.round(need) : Number(need.toPrecision(3))}/s: ${r.require.passed ? 'PASS' : 'FAIL'} (headroom ${(r.capacityRps / r.require.peakRps).toFixed(2)}×)`;
    out.push(r.require.passed ? style.green(line) : style.red(line));
  }
  ctx.stdout.write(`${out.join('\n')}\n`);
}

export const capacityCommand: Command = {
  name: 'capacity',
  summary: "Find a target's maximum sustainable rate under an SLO, and certify headroom",
  args: 'URL',
  description:
    'Warm-up, exponential bracketing (down to the lowest rate when the first trial fails), log-space bisection to\n' +
    'within --precision, then confirmation runs of --max-trial one precision step below; with --max-trial-requests,\n' +
    "--max-trial stretches at low rates to hold that many (a queue's slow answers come in runs, so a verdict needs\n" +
    'requests, not seconds), up to --max-trial-cap. Each trial is an open-model run at one rate with Poisson\n' +
    'arrivals (--arrivals constant for evenly spaced ones); its first quarter is not judged. p99 is judged by a\n' +
    'binomial test and an extrapolation from p95/p98, errors by exact confidence bounds, all on the samples of\n' +
    'every trial at that rate; saturation fails it. A verdict the samples cannot settle (a stray error, a p99 near\n' +
    'the bound) is retested at the same rate; the target drains its backlog after a failure.\n' +
    'The result gives the interval: the certified rate (passed) and the lowest rate shown to fail.\n' +
    'Exit code 0 when the requirement passes (or none is given), 99 when it fails.\n' +
    'The process re-executes itself at start (same pid) with node --max-semi-space-size=8 and\n' +
    'MALLOC_ARENA_MAX=2, as piper loadtest does (docs/loadgen.md).\n\n' +
    'Examples:\n' +
    "  piper capacity http://127.0.0.1:9001/ --slo 'p99<200ms,errors<0.1%'\n" +
    "  piper capacity http://127.0.0.1:9001/ --slo 'p99<200ms,errors<1%' --require 2x --peak 300/s --pool inhouse -o capacity.json\n" +
    "  piper capacity http://127.0.0.1:9001/ --slo 'p99<100ms,errors<1%' --trial 2s --warmup 1s   # quick\n" +
    "  piper capacity http://127.0.0.1:9001/ --slo 'p99<200ms,errors<0.1%' --pool inhouse \\\n" +
    '      --admin http://127.0.0.1:9901 --token "$PIPER_ADMIN_TOKEN"   # journaled for the migration gate',
  options: {
    slo: { type: 'string', valueName: 'SLO', description: "the objective, e.g. 'p99<200ms,errors<0.1%' (required)" },
    require: { type: 'string', valueName: 'FACTOR', description: 'certify capacity ≥ FACTOR × --peak, e.g. 2x' },
    peak: { type: 'string', valueName: 'RATE', description: 'observed peak rate, e.g. 300/s (also the first rate tried)' },
    pool: { type: 'string', valueName: 'NAME', description: 'pool the target stands for (the journal subject)' },
    admin: {
      type: 'string',
      valueName: 'URL',
      description: 'record the result in the journal of the piper up at this admin URL (default: $PIPER_ADMIN)',
    },
    'control-plane': { type: 'string', valueName: 'URL', description: 'the former name of --admin', hidden: true },
    token: { type: 'string', valueName: 'TOKEN', description: 'bearer token for --admin (default: $PIPER_ADMIN_TOKEN)' },
    output: { type: 'string', short: 'o', valueName: 'FILE', description: 'write the capacity.result event as JSON' },
    trial: { type: 'string', valueName: 'DURATION', description: 'shortest trial (default 10s)' },
    'max-trial': {
      type: 'string',
      valueName: 'DURATION',
      description: 'longest trial, length of a confirmation, and judged time a rate may gather (default 60s)',
    },
    'max-trial-requests': {
      type: 'string',
      valueName: 'N',
      description:
        'at low rates --max-trial stretches to hold N requests, up to --max-trial-cap (default 0: never; 12000\n' +
        'narrows the spread at 40/s several times over, at several times the time)',
    },
    'max-trial-cap': { type: 'string', valueName: 'DURATION', description: 'longest stretch by --max-trial-requests (default 300s)' },
    arrivals: { type: 'string', valueName: 'poisson|constant', description: 'arrival process of the trials (default poisson)' },
    warmup: { type: 'string', valueName: 'DURATION', description: 'warm-up at half the start rate, discarded (default: one trial)' },
    start: { type: 'string', valueName: 'RATE', description: 'first rate tried (default: require × peak, else 100/s)' },
    'max-rate': { type: 'string', valueName: 'RATE', description: 'never offer more than this (default 100k/s)' },
    precision: { type: 'string', valueName: 'PERCENT', description: 'stop bisecting within this, e.g. 2% (default 2%)' },
    confirm: { type: 'string', valueName: 'N', description: 'confirmation runs at the final rate (default 2)' },
    confidence: { type: 'string', valueName: 'PERCENT', description: 'confidence of each verdict (default 95%)' },
    scenario: { type: 'string', valueName: 'FILE', description: 'YAML scenario: a weighted mix of requests' },
    header: { type: 'string', multiple: true, valueName: 'NAME:VALUE', description: 'request header' },
    workers: { type: 'string', valueName: 'N', description: 'generator threads (default 1)' },
    connections: { type: 'string', valueName: 'N', description: 'keep-alive connections in total (default 128)' },
    sender: {
      type: 'string',
      valueName: 'raw|undici',
      description: 'HTTP client: raw (own HTTP/1.1 on sockets; default for http://) or undici (default for https://)',
    },
    json: { type: 'boolean', description: 'print the full result as JSON' },
    seed: { type: 'string', valueName: 'N', description: 'seed of the request-mix picks (default 1)' },
  },
  async run(ctx, { values, positionals }) {
    const sloText = str(values.slo);
    if (sloText === undefined) {
      throw missingArgument("--slo is required, e.g. --slo 'p99<200ms,errors<0.1%'");
    }
    const slo = parseSlo(sloText);
    const scenario = await readScenarioFlag(ctx, str(values.scenario));
    const { target, requests } = resolveLoadTarget({
      url: positionals[0],
      ...(scenario === undefined ? {} : { scenario }),
      headers: strs(values.header),
    });
    const requireText = str(values.require);
    const peakText = str(values.peak);
    if ((requireText === undefined) !== (peakText === undefined)) {
      throw missingArgument('--require and --peak go together (e.g. --require 2x --peak 300/s)');
    }
    const requirement =
      requireText !== undefined && peakText !== undefined
        ? { factor: parsed('require', () => parseFactor(requireText)), peakRps: parsed('peak', () => parseRate(peakText)) }
        : undefined;
    const controlPlane = adminUrlOf(ctx, values);
    const token = adminTokenOf(ctx, values);
    if (controlPlane !== undefined && token === undefined) {
      throw missingArgument('--admin needs --token (or $PIPER_ADMIN_TOKEN) to record the result');
    }
    const duration = (name: string) => {
      const v = str(values[name]);
      return v === undefined ? undefined : parsed(name, () => parseDuration(v));
    };
    const rate = (name: string) => {
      const v = str(values[name]);
      return v === undefined ? undefined : parsed(name, () => parseRate(v));
    };
    const percent = (name: string) => {
      const v = str(values[name]);
      return v === undefined ? undefined : parsed(name, () => parsePercent(v));
    };
    const optional = <K extends string, V>(key: K, v: V | undefined) => (v === undefined ? {} : ({ [key]: v } as Record<K, V>));
    const output = str(values.output);
    if (output !== undefined) checkOutputFile('--output', resolve(ctx.cwd, output), ctx.cwd);
    const live = ctx.isTty && values.json !== true;
    const clock = new SystemClock();
    // Keeps the process alive while the search's own timers are unref'd.
    const keepAlive = setInterval(() => {}, 1000);
    let result: CapacityResult;
    try {
      result = await findCapacity({
        target,
        ...optional('pool', str(values.pool)),
        requests,
        slo,
        clock,
        random: new SeededRandom(positiveInt('seed', values.seed, 1)),
        ...optional('require', requirement),
        ...optional('startRps', rate('start')),
        ...optional('maxRps', rate('max-rate')),
        ...optional('trialMs', duration('trial')),
        ...optional('maxTrialMs', duration('max-trial')),
        maxTrialRequests: positiveInt('max-trial-requests', values['max-trial-requests'], 0, 0),
        ...optional('maxTrialCapMs', duration('max-trial-cap')),
        ...optional('warmupMs', duration('warmup')),
        ...optional('precision', percent('precision')),
        ...optional('confidence', percent('confidence')),
        confirmations: positiveInt('confirm', values.confirm, 2, 0),
        workers: positiveInt('workers', values.workers, 1),
        connections: positiveInt('connections', values.connections, 128),
        ...optional('httpSender', senderFlag(values.sender)),
        ...optional('arrivals', arrivalsFlag(str(values.arrivals))),
        signal: ctx.signal,
        onProgress: (e) => {
          if (values.json === true) return;
          const { line, live: isLive } = formatCapacityProgress(e);
          if (e.type === 'done') return;
          if (isLive) {
            if (live) ctx.stdout.write(`\r\u001b[K${line}`);
          } else ctx.stdout.write(`${live ? '\r\u001b[K' : ''}${line}\n`);
        },
      });
    } catch (err) {
      if (ctx.signal.aborted) {
        // main says "interrupted"; the live progress line is ended first.
        if (live) ctx.stdout.write('\n');
        return ExitCode.interrupted;
      }
      throw err;
    } finally {
      clearInterval(keepAlive);
    }
    const event = capacityEvent(result, requests);
    if (output !== undefined) await writeFile(resolve(ctx.cwd, output), `${JSON.stringify(event, null, 2)}\n`);
    if (controlPlane !== undefined && token !== undefined) await postCapacityEvent(controlPlane, token, event);
    if (values.json === true) ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      printResult(ctx, result);
      if (output !== undefined) ctx.stdout.write(`written: ${output}\n`);
      if (controlPlane !== undefined) ctx.stdout.write(`journaled at ${controlPlane}\n`);
    }
    return result.require !== undefined && !result.require.passed ? ExitCode.thresholdsFailed : ExitCode.ok;
  },
};
