// What a soak run shows a person: a table of each series at the start, middle and end of the run
// with its slope, the checks of the verdict, and SVG charts over time (the loadgen's line chart,
// with a dashed mark at every backend kill).
import { type ChartSeries, lineChart } from '../../src/loadgen/index.ts';
import { type Check, percentile, theilSenSlope } from './growth-verdict.ts';
import type { SoakSeries } from './soak-series.ts';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/** Process names in reading order: the balancer, then the backends by number. */
function processNames(s: SoakSeries): string[] {
  const rank = (n: string): number => (n === 'piper-up' ? -1 : Number(/(\d+)$/.exec(n)?.[1] ?? 1e9));
  return Object.keys(s.processes).sort((a, b) => rank(a) - rank(b));
}

/** Median of the values within `w` seconds around `at` (clamped to the run). */
function around(points: readonly { t: number; y: number }[], at: number, w: number, durationS: number): number {
  const from = Math.max(0, Math.min(at - w / 2, durationS - w));
  const values = points.filter((p) => p.t >= from && p.t < from + w && Number.isFinite(p.y)).map((p) => p.y);
  return percentile(values, 50);
}

const fmt = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');

/** One table row: start, middle and end medians and the slope per minute over the second half. */
function row(series: string, subject: string, points: { t: number; y: number }[], durationS: number, digits: number): string[] {
  const w = Math.max(3, durationS / 20);
  const late = points.filter((p) => p.t >= durationS / 2 && Number.isFinite(p.y)).map((p): [number, number] => [p.t, p.y]);
  const slope = late.length >= 4 ? theilSenSlope(late) * 60 : Number.NaN;
  const values = [0, durationS / 2, durationS].map((at) => fmt(around(points, at, w, durationS), digits));
  return [series, subject, ...values, fmt(slope, 3)];
}

/** The table of series (markdown, so it can be pasted into docs as it is). */
export function seriesTable(s: SoakSeries): string {
  const rows: string[][] = [];
  const metrics: [string, number, (x: SoakSeries['processes'][string][number]) => number][] = [
    ['RSS MiB', 1, (x) => x.rssMiB],
    ['open fds', 0, (x) => x.fds],
    ['event-loop delay p99 ms', 1, (x) => x.loopP99Ms ?? Number.NaN],
  ];
  for (const [series, digits, pick] of metrics) {
    for (const name of processNames(s)) {
      const samples = s.processes[name] ?? [];
      const label = s.longLived.includes(name) ? name : `${name} (restarted)`;
      const points = samples.map((x) => ({ t: x.t, y: pick(x) }));
      const r = row(series, label, points, s.durationS, digits);
      // A slope across several lifetimes of a restarted backend measures the restarts, not a process.
      rows.push(s.longLived.includes(name) ? r : [...r.slice(0, -1), '–']);
    }
  }
  const tr = s.traffic;
  rows.push(
    row(
      'requests/s',
      'steady traffic',
      tr.map((x) => ({ t: x.t, y: x.scheduled })),
      s.durationS,
      0,
    ),
  );
  rows.push(
    row(
      'p99 ms',
      'steady traffic',
      tr.map((x) => ({ t: x.t, y: x.p99Ms })),
      s.durationS,
      1,
    ),
  );
  rows.push(
    row(
      'errors/s',
      'steady traffic',
      tr.map((x) => ({ t: x.t, y: x.errors })),
      s.durationS,
      1,
    ),
  );
  rows.push(
    row(
      'shed/s',
      'piper-up (all clients)',
      s.balancer.map((x) => ({ t: x.t, y: x.shed })),
      s.durationS,
      1,
    ),
  );
  const head = ['series', 'process', 'start', 'middle', 'end', 'slope /min (2nd half)'];
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** The checks, one line each. */
export function checkLines(checks: readonly Check[]): string {
  return checks
    .map((c) => {
      const digits = c.unit === '%' ? 3 : c.unit === 'fds' || c.unit === '' ? 0 : 1;
      const value = `${fmt(c.value, digits)}${c.unit === '' ? '' : ` ${c.unit}`}`;
      const bound = `${fmt(c.bound, digits)}${c.unit === '' ? '' : ` ${c.unit}`}`;
      return `${c.passed ? 'ok  ' : 'FAIL'}  ${c.subject}: ${c.name} ${value} (bound ${bound}); ${c.detail}`;
    })
    .join('\n');
}

/** The charts of a run, by file name. */
export function charts(s: SoakSeries): Record<string, string> {
  const markers = s.events.filter((e) => e.kind === 'kill').map((e) => ({ x: e.t, label: `${e.process} killed` }));
  const names = processNames(s);
  const perProcess = (pick: (x: SoakSeries['processes'][string][number]) => number | null): ChartSeries[] =>
    names.map((name, i) => ({
      name,
      color: COLORS[i % COLORS.length] as string,
      dashed: !s.longLived.includes(name),
      points: (s.processes[name] ?? []).flatMap((x) => {
        const y = pick(x);
        return y === null || !Number.isFinite(y) ? [] : [[x.t, y] as const];
      }),
    }));
  const chart = (series: ChartSeries[], title: string, yLabel: string): string =>
    lineChart(series, {
      title,
      xLabel: 'seconds (dashed marks: a backend killed)',
      yLabel,
      markers,
      xMax: s.durationS,
      width: 900,
      height: 300,
    });
  const traffic = (name: string, color: string, pick: (x: SoakSeries['traffic'][number]) => number): ChartSeries => ({
    name,
    color,
    points: s.traffic.map((x) => [x.t, pick(x)] as const).filter(([, y]) => Number.isFinite(y)),
  });
  return {
    'rss.svg': chart(
      perProcess((x) => x.rssMiB),
      'Resident memory (restarted backends dashed)',
      'MiB',
    ),
    'fds.svg': chart(
      perProcess((x) => x.fds),
      'Open file descriptors (restarted backends dashed)',
      'fds',
    ),
    'event-loop-delay.svg': chart(
      perProcess((x) => x.loopP99Ms),
      'Event-loop delay, p99 of each second',
      'ms',
    ),
    'latency.svg': chart(
      [traffic('p99', COLORS[1] as string, (x) => x.p99Ms), traffic('p50', COLORS[0] as string, (x) => x.p50Ms)],
      'Steady traffic latency from intended send, per second',
      'ms',
    ),
    'errors.svg': chart(
      [
        traffic('errors', COLORS[1] as string, (x) => x.errors),
        traffic('5xx', COLORS[3] as string, (x) => x.status5xx),
        {
          name: 'shed by piper up (all clients)',
          color: COLORS[4] as string,
          points: s.balancer.map((x) => [x.t, x.shed] as const),
        },
      ],
      'Failed steady requests and shed requests per second',
      'requests/s',
    ),
  };
}
