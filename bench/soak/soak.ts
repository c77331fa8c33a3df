// The resilience run (`npm run soak`): steady traffic at half of capacity on `piper up` in front of
// several `piper serve` backends, slow and aborting clients beside it, one backend killed and
// restarted every minute; RSS, open descriptors and event-loop delay of every process and the
// traffic's p99 and errors sampled once a second; a verdict on growth (docs/soak.md).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SeededRandom, SystemClock } from '../../src/core/index.ts';
import { type CapacityResult, findCapacity, type LoadResult, parseSlo } from '../../src/loadgen/index.ts';
import { type Adversaries, type AdversaryTally, startAdversaries } from './adversaries.ts';
import { type Check, DEFAULT_BOUNDS, judgeSoak } from './growth-verdict.ts';
import { metricValue, readProcess, scrape } from './process-sampler.ts';
import { checkLines, charts, seriesTable } from './soak-report.ts';
import { parseSoakOptions, type SoakOptions, USAGE, UsageError } from './soak-options.ts';
import type { SoakSeries } from './soak-series.ts';
import { SoakTopology } from './soak-topology.ts';
import { LARGE_FILE_BYTES, platformMix, runSteadyTraffic, SMALL_FILE_BYTES, sampleText, seedFile } from './soak-traffic.ts';

/** The SLO of the capacity probe: what "capacity" means when none is given. */
const PROBE_SLO = 'p99<250ms,errors<1%';

const EXIT = { ok: 0, failure: 1, usage: 2, failed: 99, interrupted: 130 } as const;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

let options: SoakOptions;
try {
  const parsed = parseSoakOptions(process.argv.slice(2), new Date());
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(EXIT.ok);
  }
  options = parsed;
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`${err.message}\n\n${USAGE}\n`);
  process.exit(EXIT.usage);
}
process.exitCode = await run(options);

async function run(o: SoakOptions): Promise<number> {
  const out = resolve(o.out);
  await mkdir(out, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'piper-soak-'));
  const interrupt = new AbortController();
  const onSignal = (): void => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const clock = new SystemClock();
  const random = new SeededRandom(o.seed);
  const adminToken = randomBytes(24).toString('hex');
  const durationS = o.durationMs / 1000;
  const series: SoakSeries = { durationS, processes: {}, longLived: [], traffic: [], balancer: [], events: [] };
  let t0 = performance.now();
  const since = (ms: number): number => Math.round(((ms - t0) / 1000) * 10) / 10;
  let topology: SoakTopology | null = null;
  let adversaries: Adversaries | null = null;
  let sampler: NodeJS.Timeout | null = null;
  try {
    log(`soak: ${o.backends} × piper serve behind piper up; data in ${dataDir}, results in ${out}`);
    topology = await SoakTopology.start({
      dir: dataDir,
      logDir: join(out, 'logs'),
      backends: o.backends,
      adminToken,
      onUnexpectedExit: (e) => {
        // Ctrl-C reaches the whole process group: the children stop on it too, which is no crash.
        if (interrupt.signal.aborted) return;
        const detail = `exit code ${e.code}, signal ${e.signal}`;
        series.events.push({ t: since(e.atMs), kind: 'crash', process: e.name, pid: e.pid, detail });
        log(`soak: CRASH ${e.name} (pid ${e.pid}): ${detail}`);
      },
    });
    const top = topology;
    // Every backend holds the files the mix downloads, so any of them can answer.
    const small = sampleText(SMALL_FILE_BYTES);
    const large = sampleText(LARGE_FILE_BYTES);
    const [smallFile] = await Promise.all(top.backendNames.map((b) => seedFile(top.backendUrl(b), 'soak-small.txt', small)));
    const [largeFile] = await Promise.all(top.backendNames.map((b) => seedFile(top.backendUrl(b), 'soak-large.txt', large)));
    if (smallFile === undefined || largeFile === undefined) throw new Error('no backend to seed');
    const mix = platformMix(smallFile);
    const largeId = largeFile.id;

    const { rateRps, capacity } = await chooseRate(o, top, mix, interrupt.signal);
    if (interrupt.signal.aborted) return await finish(EXIT.interrupted);
    await waitAllHealthy(top, adminToken, o.backends, interrupt.signal);
    log(
      `soak: ${rateRps}/s for ${durationS} s, restart every ${o.restartEveryMs / 1000 || '–'} s, ${o.slowClients} slow clients of each kind, aborts ${o.abortRate}/s`,
    );

    // One scrape before the start: the event-loop monitors restart from here, the shed count is the base.
    let shedBase = metricValue(await scrape(`${top.adminUrl}/metrics`, adminToken, 2000), 'piper_requests_shed_total') ?? 0;
    await Promise.all(top.processes().map((p) => scrape(p.metricsUrl, p.name === 'piper-up' ? adminToken : null, 2000)));
    series.longLived = ['piper-up', top.backendNames[0] as string];
    t0 = performance.now();

    let sampling = false;
    const sample = async (): Promise<void> => {
      if (sampling) return;
      sampling = true;
      const t = Math.round((performance.now() - t0) / 1000);
      try {
        await Promise.all(
          top.processes().map(async (p) => {
            const text = await scrape(p.metricsUrl, p.name === 'piper-up' ? adminToken : null, 900);
            const r = await readProcess(p.pid, text);
            // Gone between the listing and the read (killed on purpose, or crashed: recorded apart).
            if (Number.isNaN(r.rssMiB)) return;
            const samples = series.processes[p.name] ?? [];
            samples.push({ t, ...r });
            series.processes[p.name] = samples;
            if (p.name === 'piper-up') {
              const shed = metricValue(text, 'piper_requests_shed_total');
              series.balancer.push({
                // The count covers the second that ended now: the traffic labels a second by its start.
                t: t - 1,
                shed: shed === null ? 0 : shed - shedBase,
                healthyBackends: metricValue(text, 'piper_pool_healthy_backends'),
              });
              if (shed !== null) shedBase = shed;
            }
          }),
        );
      } finally {
        sampling = false;
      }
    };
    sampler = setInterval(() => void sample(), 1000);
    adversaries = startAdversaries({
      target: top.publicUrl,
      slowClients: o.slowClients,
      abortRate: o.abortRate,
      largeFileId: largeId,
      random,
    });
    const stopRestarts = new AbortController();
    // A backend that cannot be started again ends the run: what follows would not be the soak asked for.
    const stopTraffic = new AbortController();
    let restartFailure: unknown = null;
    const restarts = restartLoop(top, o, series, since, AbortSignal.any([stopRestarts.signal, interrupt.signal])).catch((err: unknown) => {
      restartFailure = err;
      stopTraffic.abort();
    });
    const progressEveryS = Math.min(60, Math.max(5, Math.round(durationS / 30)));
    let nextProgress = progressEveryS;
    const result: LoadResult = await runSteadyTraffic({
      target: top.publicUrl,
      requests: mix,
      rateRps,
      durationMs: o.durationMs,
      clock,
      random,
      connections: o.connections,
      signal: AbortSignal.any([interrupt.signal, stopTraffic.signal]),
      onSecond: (s) => {
        series.traffic.push(s);
        if (s.t + 1 >= nextProgress) {
          nextProgress += progressEveryS;
          log(progressLine(series, s.t + 1));
        }
      },
    });
    stopRestarts.abort();
    await restarts;
    if (restartFailure !== null) throw restartFailure;
    clearInterval(sampler);
    sampler = null;
    const tally = await adversaries.stop();
    adversaries = null;
    const exits = await topology.close();
    topology = null;
    if (interrupt.signal.aborted) {
      await writeFile(join(out, 'series.json'), JSON.stringify({ interrupted: true, options: o, series }, null, 1));
      log(`soak: interrupted; what was recorded is in ${join(out, 'series.json')}`);
      return await finish(EXIT.interrupted);
    }
    const checks = [...judgeSoak(series), shutdownCheck(exits)];
    const passed = checks.every((c) => c.passed);
    const report = summary(o, rateRps, capacity, result, tally, series, checks, passed);
    await writeFile(
      join(out, 'series.json'),
      JSON.stringify({ options: o, rateRps, capacity, bounds: DEFAULT_BOUNDS, checks, passed, adversaries: tally, series }, null, 1),
    );
    await writeFile(join(out, 'summary.md'), report);
    for (const [file, svg] of Object.entries(charts(series))) await writeFile(join(out, file), svg);
    process.stdout.write(`${report}\nseries, summary, charts and logs: ${out}\n`);
    return await finish(passed ? EXIT.ok : EXIT.failed);
  } catch (err) {
    log(`soak: the run could not be made: ${(err as Error).stack ?? String(err)}`);
    return await finish(EXIT.failure);
  }

  async function finish(code: number): Promise<number> {
    if (sampler !== null) clearInterval(sampler);
    await adversaries?.stop();
    await topology?.close();
    await rm(dataDir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    return code;
  }
}

/** The rate to hold: given, or the load share of a given or measured capacity. */
async function chooseRate(
  o: SoakOptions,
  top: SoakTopology,
  mix: ReturnType<typeof platformMix>,
  signal: AbortSignal,
): Promise<{ rateRps: number; capacity: CapacityResult | { capacityRps: number; given: true } | null }> {
  if (o.rateRps !== null) return { rateRps: o.rateRps, capacity: null };
  if (o.capacityRps !== null) return { rateRps: Math.round(o.capacityRps * o.load), capacity: { capacityRps: o.capacityRps, given: true } };
  log(`soak: measuring the capacity of this topology with the same mix (SLO ${PROBE_SLO}, no adversaries, no restarts)`);
  const result = await findCapacity({
    target: top.publicUrl,
    requests: mix,
    slo: parseSlo(PROBE_SLO),
    clock: new SystemClock(),
    random: new SeededRandom(o.seed + 1),
    startRps: 200,
    trialMs: 3000,
    maxTrialMs: 10_000,
    warmupMs: 3000,
    // A coarse figure is enough to hold half of it; 10 % steps keep the probe near a minute.
    precision: 0.1,
    confirmations: 1,
    maxTrials: 16,
    connections: o.connections,
    signal,
    onProgress: (e) => {
      if (e.type === 'trial-end') {
        const v = e.verdict;
        log(`soak: capacity trial ${Math.round(v.rateRps)}/s: ${v.verdict}${v.reasons.length > 0 ? ` (${v.reasons.join('; ')})` : ''}`);
      }
    },
  });
  log(`soak: capacity ${Math.round(result.capacityRps)}/s (${result.reason}); holding ${Math.round(o.load * 100)} %`);
  return { rateRps: Math.max(1, Math.round(result.capacityRps * o.load)), capacity: result };
}

/** Waits until the balancer sees every backend healthy (a capacity probe may have left one ejected). */
async function waitAllHealthy(top: SoakTopology, token: string, n: number, signal: AbortSignal): Promise<void> {
  for (let i = 0; i < 120 && !signal.aborted; i++) {
    const healthy = metricValue(await scrape(`${top.adminUrl}/metrics`, token, 2000), 'piper_pool_healthy_backends');
    if (healthy === n) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (!signal.aborted) throw new Error(`the balancer did not see all ${n} backends healthy within a minute`);
}

/** Kills and restarts the backends after the first, in turn, every `restartEveryMs`. */
async function restartLoop(
  top: SoakTopology,
  o: SoakOptions,
  series: SoakSeries,
  since: (ms: number) => number,
  signal: AbortSignal,
): Promise<void> {
  if (o.restartEveryMs === 0) return;
  const start = performance.now();
  const victims = top.backendNames.slice(1);
  for (let k = 1; start + k * o.restartEveryMs < start + o.durationMs; k++) {
    const waitMs = start + k * o.restartEveryMs - performance.now();
    const woke = await new Promise<boolean>((res) => {
      if (signal.aborted) return res(false);
      const t = setTimeout(() => res(true), Math.max(0, waitMs));
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          res(false);
        },
        { once: true },
      );
    });
    if (!woke) return;
    const name = victims[(k - 1) % victims.length] as string;
    const r = await top.restart(name);
    series.events.push({ t: since(r.killedAtMs), kind: 'kill', process: name, pid: r.killedPid });
    series.events.push({ t: since(r.readyAtMs), kind: 'ready', process: name, pid: r.pid });
    log(`soak: ${name} killed (pid ${r.killedPid}) and listening again in ${Math.round(r.readyAtMs - r.killedAtMs)} ms (pid ${r.pid})`);
  }
}

/** Every process must exit 0 when stopped at the end (drained, no error on the way out). */
function shutdownCheck(exits: Record<string, string>): Check {
  const bad = Object.entries(exits).filter(([, code]) => code !== '0');
  return {
    subject: 'all processes',
    name: 'exit 0 on SIGTERM at the end',
    value: bad.length,
    bound: 0,
    unit: '',
    passed: bad.length === 0,
    detail: Object.entries(exits)
      .map(([name, code]) => `${name} ${code}`)
      .join(', '),
  };
}

function progressLine(s: SoakSeries, t: number): string {
  const last = s.traffic.slice(-5);
  const sum = (f: (x: (typeof last)[number]) => number): number => last.reduce((a, x) => a + f(x), 0);
  const procs = Object.entries(s.processes)
    .map(([name, xs]) => {
      const x = xs[xs.length - 1];
      return x === undefined ? name : `${name} ${x.rssMiB.toFixed(0)} MiB ${x.fds} fd ${x.loopP99Ms?.toFixed(1) ?? '–'} ms`;
    })
    .join(' | ');
  const p99 = Math.max(...last.map((x) => x.p99Ms));
  const kills = s.events.filter((e) => e.kind === 'kill').length;
  return `[${String(t).padStart(5)} s / ${s.durationS} s] ${(sum((x) => x.scheduled) / last.length).toFixed(0)}/s p99 ${p99.toFixed(1)} ms errors ${sum((x) => x.errors)} (last ${last.length} s) | ${procs} | restarts ${kills}`;
}

function summary(
  o: SoakOptions,
  rateRps: number,
  capacity: CapacityResult | { capacityRps: number; given: true } | null,
  r: LoadResult,
  tally: AdversaryTally,
  s: SoakSeries,
  checks: readonly Check[],
  passed: boolean,
): string {
  const lines: string[] = [];
  const cap =
    capacity === null
      ? 'not measured (--rate given)'
      : 'given' in capacity
        ? `${capacity.capacityRps}/s (given)`
        : `${Math.round(capacity.capacityRps)}/s measured (SLO ${PROBE_SLO}, ${capacity.trials.length} trials, ${capacity.reason})`;
  lines.push(`# Soak run: ${s.durationS} s at ${rateRps}/s`);
  lines.push('');
  lines.push(
    `capacity ${cap}; ${o.backends} backends, one of them killed every ${o.restartEveryMs / 1000 || '–'} s (${s.events.filter((e) => e.kind === 'kill').length} restarts); ${o.slowClients} clients of each slow kind; aborting clients ${o.abortRate}/s; seed ${o.seed}`,
  );
  lines.push(
    `steady traffic: ${r.counts.scheduled} scheduled, ${r.counts.completed} completed, statuses ${JSON.stringify(r.counts.statuses)}, errors ${JSON.stringify(r.counts.errors)}, timed out ${r.counts.timedOut}, unsent ${r.counts.unsent}; p99 ${r.latency.p99.toFixed(1)} ms over the run`,
  );
  const gen = r.generator;
  lines.push(
    `generator: send-lag p99 ${gen.sendLagP99Ms.toFixed(1)} ms${gen.bottleneck ? ' (the generator fell behind its schedule: latency figures include its own lateness)' : ''}${gen.reasons.length > 0 ? `; ${gen.reasons.join('; ')}` : ''}`,
  );
  lines.push('');
  lines.push(seriesTable(s));
  lines.push('');
  lines.push('adversaries (how each exchange ended):');
  for (const [kind, ends] of Object.entries(tally)) {
    lines.push(
      `  ${kind}: ${Object.entries(ends)
        .map(([end, n]) => `${end} × ${n}`)
        .join(', ')}`,
    );
  }
  lines.push('');
  lines.push('checks:');
  lines.push('```');
  lines.push(checkLines(checks));
  lines.push('```');
  lines.push('');
  lines.push(`verdict: ${passed ? 'PASSED' : 'FAILED'}`);
  return `${lines.join('\n')}\n`;
}
