import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatDuration, PiperError, parseDuration, parseRate, SeededRandom, SystemClock } from '../../core/index.ts';
import {
  constantPlan,
  formatLoadProgress,
  type HttpSenderKind,
  loadgenErrors,
  type LoadModel,
  type LoadResult,
  parseRateCurve,
  parseSpike,
  parseThreshold,
  type RatePlan,
  renderHtmlReport,
  replayPlan,
  resolveLoadTarget,
  runLoad,
  stagesPlan,
  withSpike,
} from '../../loadgen/index.ts';
import { type CliContext, type Command, type CommandInput, ExitCode } from '../command.ts';
import { checkOutputFile } from '../output-path.ts';
import { createStyle, renderTable } from '../terminal-style.ts';
import { parsed, positiveInt, positiveNumber, readScenarioFlag, senderFlag, str, strs } from './load-flags.ts';

async function buildModel(ctx: CliContext, values: CommandInput['values']): Promise<LoadModel> {
  const durationMs = parsed('duration', () => parseDuration(str(values.duration) ?? '10s'));
  if (values.concurrency !== undefined) {
    return { kind: 'closed', concurrency: positiveInt('concurrency', values.concurrency, 1), durationMs };
  }
  let plan: RatePlan;
  const replay = str(values.replay);
  const stages = str(values.stages);
  if (replay !== undefined) {
    const text = await readFile(resolve(ctx.cwd, replay), 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_CURVE, `--replay: cannot read ${replay}: ${err.code ?? err.message}`);
    });
    plan = replayPlan(parseRateCurve(text, replay), {
      scale: positiveNumber('scale', values.scale, 1),
      compress: positiveNumber('compress', values.compress, 1),
    });
  } else if (stages !== undefined) {
    plan = stagesPlan(stages, values.rate === undefined ? 0 : parsed('rate', () => parseRate(str(values.rate) ?? '')));
  } else {
    plan = constantPlan(
      parsed('rate', () => parseRate(str(values.rate) ?? '100/s')),
      durationMs,
    );
  }
  const spike = str(values.spike);
  if (spike !== undefined) plan = withSpike(plan, parseSpike(spike));
  return { kind: 'open', plan };
}

function printSummary(ctx: CliContext, r: LoadResult): void {
  const style = createStyle(ctx.isTty && ctx.env.NO_COLOR === undefined);
  const c = r.counts;
  // A summary of no samples (a target that never answered) has no latency, not 0 ms.
  const ms = (v: number, count = 1) => (count === 0 ? '—' : `${v.toFixed(v < 10 ? 2 : 1)} ms`);
  const row = (name: string, l: LoadResult['latency']) => [name, ...[l.p50, l.p90, l.p99, l.p999, l.max].map((v) => ms(v, l.count))];
  const out: string[] = [];
  out.push(
    `${style.bold('piper loadtest')} ${r.target}: ${r.model} model, ${r.workers} worker(s), ${formatDuration(r.durationMs)}` +
      (r.aborted ? ` ${style.red(`(stopped: ${r.aborted})`)}` : ''),
    '',
  );
  out.push(
    renderTable(
      ['scheduled', 'completed', 'failed', 'timed out', 'unsent', 'offered/s', 'answered/s'],
      [[c.scheduled, c.completed, c.failed, c.timedOut, c.unsent, r.offeredRps.toFixed(1), r.achievedRps.toFixed(1)]],
    ),
    '',
  );
  out.push(
    renderTable(
      ['latency', 'p50', 'p90', 'p99', 'p99.9', 'max'],
      [row('from intended send', r.latency), row('completed (2xx/3xx) only', r.completedLatency), row('service time', r.service)],
    ),
    '',
  );
  if (Object.keys(c.errors).length > 0)
    out.push(
      `errors: ${Object.entries(c.errors)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  out.push(
    `statuses: ${
      Object.entries(c.statuses)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }`,
  );
  out.push(
    `generator: send lag p99 ${ms(r.generator.sendLagP99Ms)}, event-loop delay p99 ${ms(r.generator.loopDelayP99MaxMs)}, busy ${(r.generator.utilizationMax * 100).toFixed(0)}%`,
  );
  if (r.generator.bottleneck) {
    out.push(style.yellow(`the generator was the bottleneck (${r.generator.reasons.join('; ')}): latencies include its lateness`));
  }
  if (r.saturation.saturated) {
    out.push(
      style.yellow(
        `the target fell behind: answered ${(r.saturation.achievedRatio * 100).toFixed(1)}% of offered, in flight ${r.saturation.inFlightFirst.toFixed(0)} → ${r.saturation.inFlightLast.toFixed(0)}`,
      ),
    );
  }
  if (!r.bookkeepingHolds) out.push(style.red('bookkeeping does not balance (a bug: please report it)'));
  if (r.thresholds.length > 0) {
    out.push(
      '',
      renderTable(
        ['threshold', 'measured', 'verdict'],
        r.thresholds.map((t) => [
          t.threshold,
          t.threshold.startsWith('errors') ? `${(t.actual * 100).toFixed(3)}%` : ms(t.actual, r.latency.count),
          t.passed ? style.green('pass') : style.red('FAIL'),
        ]),
      ),
    );
  }
  ctx.stdout.write(`${out.join('\n')}\n`);
}

/**
 * A run in which no request got an HTTP answer (refused, reset, timed out): the target failed,
 * whatever the thresholds say, so the run exits 1 as the README promises. The figures were printed first.
 */
function targetFailed(r: LoadResult): PiperError {
  const c = r.counts;
  const reasons = [
    ...Object.entries(c.errors)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `${reason} ${n}`),
    ...(c.timedOut > 0 ? [`timed out ${c.timedOut}`] : []),
    ...(c.unsent > 0 ? [`unsent ${c.unsent}`] : []),
  ];
  return new PiperError(
    loadgenErrors.PIPER_LOADGEN_TARGET_FAILED,
    `no request to ${r.target} got an answer (of ${c.scheduled}: ${reasons.join(', ') || 'none ended'})`,
  );
}

export const loadtestCommand: Command = {
  name: 'loadtest',
  summary: 'Send an open-model HTTP load (constant, ramps, spikes, replay) and report latency without coordinated omission',
  args: '[URL]',
  description:
    'Sends requests on a fixed arrival schedule whatever the target does (open model), timing each from its intended\n' +
    'send time, with the service time beside it. Every scheduled request ends as completed, failed, timed out or\n' +
    'unsent (in-flight cap reached). Thresholds fail the run with exit code 99; a run in which no request got an\n' +
    'answer (the target refused, reset or never answered) exits 1.\n' +
    'The process re-executes itself at start (same pid) with node --max-semi-space-size=8 and\n' +
    'MALLOC_ARENA_MAX=2: shorter garbage-collection pauses, less send lag (docs/loadgen.md). Your own\n' +
    'NODE_OPTIONS=--max-semi-space-size=N wins.\n\n' +
    'Examples:\n' +
    '  piper loadtest http://127.0.0.1:8080/ --rate 500/s --duration 30s\n' +
    "  piper loadtest http://127.0.0.1:8080/ --stages '10s:100/s,30s:800/s,10s:0/s'\n" +
    '  piper loadtest http://127.0.0.1:8080/ --rate 200/s --duration 60s --spike 5x@20s:10s\n' +
    '  piper loadtest http://127.0.0.1:8080/ --replay traffic.csv --scale 2 --compress 60\n' +
    "  piper loadtest --scenario mix.yaml --rate 1k/s --workers 2 --threshold 'p99<200ms' --threshold 'errors<0.1%'\n" +
    '  piper loadtest http://127.0.0.1:8080/ --concurrency 50 --duration 20s      # closed model\n\n' +
    'A scenario file is YAML: target (optional) and requests, each with method, path, headers, body or\n' +
    'bodySize (e.g. 64KiB), and weight. A replay curve is CSV (seconds,rate or one rate per line) or JSON.',
  options: {
    rate: {
      type: 'string',
      valueName: 'RATE',
      description: 'constant arrival rate, e.g. 500/s (default 100/s); with --stages, the starting rate',
    },
    duration: { type: 'string', valueName: 'DURATION', description: 'length of a constant or closed run, e.g. 30s (default 10s)' },
    stages: {
      type: 'string',
      valueName: 'STAGES',
      description: 'ramps DURATION:RATE,..., each from the previous rate, e.g. 10s:100/s,30s:500/s',
    },
    spike: { type: 'string', valueName: 'SPIKE', description: 'FACTORx@START[:HOLD], e.g. 5x@20s:10s: the rate jumps to 5× within 1 s' },
    replay: { type: 'string', valueName: 'FILE', description: 'replay a per-second rate curve from CSV or JSON' },
    scale: { type: 'string', valueName: 'N', description: 'multiply replayed rates by N (default 1)' },
    compress: { type: 'string', valueName: 'N', description: 'play a replay N times faster in time, rates unchanged (default 1)' },
    concurrency: {
      type: 'string',
      valueName: 'N',
      description: 'closed model: N users sending back to back (latency then from actual send)',
    },
    scenario: { type: 'string', valueName: 'FILE', description: 'YAML scenario: a weighted mix of requests' },
    method: { type: 'string', description: 'HTTP method for URL mode (default GET)' },
    header: { type: 'string', multiple: true, valueName: 'NAME:VALUE', description: 'request header' },
    body: { type: 'string', description: 'request body for URL mode' },
    workers: { type: 'string', valueName: 'N', description: 'generator threads; HDR histograms merged across them (default 1)' },
    connections: { type: 'string', valueName: 'N', description: 'keep-alive connections in total (default 128)' },
    sender: {
      type: 'string',
      valueName: 'raw|undici',
      description: 'HTTP client: raw (own HTTP/1.1 on sockets, fastest; default for http://) or undici (default for https://)',
    },
    'max-in-flight': {
      type: 'string',
      valueName: 'N',
      description: 'requests in flight at most; arrivals beyond are counted unsent (default 10000)',
    },
    timeout: { type: 'string', valueName: 'DURATION', description: 'per-request timeout (default 10s)' },
    threshold: {
      type: 'string',
      multiple: true,
      valueName: 'RULE',
      description: 'pass/fail rule: p99<200ms, p(99.9)<1s, avg<50ms, max<2s, errors<0.1%',
    },
    'abort-after': {
      type: 'string',
      valueName: 'DURATION',
      description: 'stop early once a threshold has failed every second for this long',
    },
    json: { type: 'boolean', description: 'print the result as JSON (no live progress)' },
    html: { type: 'string', valueName: 'FILE', description: 'write a self-contained HTML report (tables and charts, opens offline)' },
    seed: { type: 'string', valueName: 'N', description: 'seed of the request-mix picks (default 1)' },
  },
  async run(ctx, { values, positionals }) {
    const scenario = await readScenarioFlag(ctx, str(values.scenario));
    const { target, requests } = resolveLoadTarget({
      url: positionals[0],
      ...(scenario === undefined ? {} : { scenario }),
      ...(str(values.method) === undefined ? {} : { method: str(values.method) as string }),
      headers: strs(values.header),
      ...(str(values.body) === undefined ? {} : { body: str(values.body) as string }),
    });
    // The report is checked before any traffic is sent: a run that cannot write it is wasted.
    const html = str(values.html);
    if (html !== undefined) checkOutputFile('--html', resolve(ctx.cwd, html), ctx.cwd);
    const model = await buildModel(ctx, values);
    const thresholds = strs(values.threshold).map(parseThreshold);
    const abortAfter = str(values['abort-after']);
    const clock = new SystemClock();
    const live = ctx.isTty && values.json !== true;
    // Keeps the process alive while the run's own timers are unref'd, and draws nothing else.
    const keepAlive = setInterval(() => {}, 1000);
    let result: LoadResult;
    try {
      result = await runLoad({
        target,
        requests,
        model,
        clock,
        random: new SeededRandom(positiveInt('seed', values.seed, 1)),
        workers: positiveInt('workers', values.workers, 1),
        connections: positiveInt('connections', values.connections, 128),
        ...(senderFlag(values.sender) === undefined ? {} : { httpSender: senderFlag(values.sender) as HttpSenderKind }),
        maxInFlight: positiveInt('max-in-flight', values['max-in-flight'], 10_000),
        timeoutMs: parsed('timeout', () => parseDuration(str(values.timeout) ?? '10s')),
        thresholds,
        ...(abortAfter === undefined ? {} : { abortAfterMs: parsed('abort-after', () => parseDuration(abortAfter)) }),
        signal: ctx.signal,
        onProgress: (p) => {
          if (live) ctx.stdout.write(`\r\u001b[K${formatLoadProgress(p)}`);
        },
      });
    } finally {
      clearInterval(keepAlive);
    }
    if (live) ctx.stdout.write('\r\u001b[K');
    if (html !== undefined) await writeFile(resolve(ctx.cwd, html), renderHtmlReport(result, `piper loadtest ${target}`));
    if (values.json === true) ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      printSummary(ctx, result);
      if (html !== undefined) ctx.stdout.write(`report: ${html}\n`);
    }
    if (ctx.signal.aborted) return ExitCode.interrupted;
    if (result.counts.scheduled > 0 && Object.keys(result.counts.statuses).length === 0) throw targetFailed(result);
    return result.thresholds.some((t) => !t.passed) ? ExitCode.thresholdsFailed : ExitCode.ok;
  },
};
