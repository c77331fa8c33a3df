import { readFileSync } from 'node:fs';
import type { LatencySummary } from '../telemetry/index.ts';
import type { TimelinePoint } from './load-aggregate.ts';
import type { LoadResult } from './load-result.ts';
import { escapeXml } from './svg-line-chart.ts';

/** A latency, or "—" when nothing was measured (a target that never answered has no 0 ms). */
const ms = (v: number, count = 1) => (count === 0 ? '—' : `${v.toFixed(v < 10 ? 2 : 1)} ms`);

/** One chart of the report, as report-charts.js draws it: one unit, series on a shared x. */
interface ReportChart {
  id: string;
  title: string;
  unit: 'rps' | 'ms' | 'count';
  /** The y axis's name. */
  axis: string;
  series: { label: string; colour: string; dashed?: boolean }[];
  x: number[];
  ys: (number | null)[][];
  threshold?: { value: number; label: string };
}

/** uPlot's browser build and styles, and the script that draws the charts: read once, inlined in every report. */
let inlined: { uplot: string; css: string; charts: string } | undefined;

function inlineAssets(): { uplot: string; css: string; charts: string } {
  inlined ??= {
    uplot: readFileSync(new URL(import.meta.resolve('uplot/dist/uPlot.iife.min.js')), 'utf8'),
    css: readFileSync(new URL(import.meta.resolve('uplot/dist/uPlot.min.css')), 'utf8'),
    charts: readFileSync(new URL('./report-charts.js', import.meta.url), 'utf8'),
  };
  return inlined;
}

function charts(result: LoadResult): ReportChart[] {
  const t = result.timeline;
  const x = t.map((p) => p.atS + p.spanS / 2);
  // A second with no HTTP answer has no latency (plotting 0 would draw a false recovery); a
  // refused or reset connection is a failure but not an answer, and has none either.
  const answered = (p: TimelinePoint, v: number) => (p.achievedRps > 0 ? v : null);
  const latencyBound = result.thresholds.find((r) => /^p\(?\d+(\.\d+)?\)?</.test(r.threshold));
  return [
    {
      id: 'chart-rate',
      title: 'Request rate',
      unit: 'rps',
      axis: 'requests per second',
      series: [
        { label: 'offered', colour: '#888', dashed: true },
        { label: 'answered', colour: '#1565c0' },
        { label: 'failed, timed out or unsent', colour: '#c62828' },
      ],
      x,
      ys: [t.map((p) => p.offeredRps), t.map((p) => p.achievedRps), t.map((p) => (p.failed + p.timedOut + p.unsent) / p.spanS)],
    },
    {
      id: 'chart-latency',
      title: 'Latency',
      unit: 'ms',
      axis: 'milliseconds',
      series: [
        { label: 'p99 from intended send', colour: '#c62828' },
        { label: 'p50 from intended send', colour: '#1565c0' },
        { label: 'p99 service time', colour: '#2e7d32', dashed: true },
      ],
      x,
      ys: [t.map((p) => answered(p, p.latencyP99Ms)), t.map((p) => answered(p, p.latencyP50Ms)), t.map((p) => answered(p, p.serviceP99Ms))],
      ...(latencyBound === undefined ? {} : { threshold: { value: latencyBound.limit, label: latencyBound.threshold } }),
    },
    {
      id: 'chart-inflight',
      title: 'In flight',
      unit: 'count',
      axis: 'requests',
      series: [{ label: 'in flight', colour: '#6a1b9a' }],
      x,
      ys: [t.map((p) => p.inFlight)],
    },
    {
      id: 'chart-lag',
      title: 'Generator send lag',
      unit: 'ms',
      axis: 'milliseconds',
      series: [{ label: 'send lag p99', colour: '#ef6c00' }],
      x,
      ys: [t.map((p) => p.sendLagP99Ms)],
    },
  ];
}

/** `connect 50`, one row per reason; "none" when nothing failed. */
function countsTable(counts: Readonly<Record<string, number>>, what: string): string {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (rows.length === 0) return 'none';
  return `<table class="inner"><tr><th>${escapeXml(what)}</th><th>requests</th></tr>${rows.map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td>${v}</td></tr>`).join('')}</table>`;
}

function latencyRow(name: string, l: LatencySummary): string {
  return `<tr><th>${name}</th>${[l.p50, l.p90, l.p99, l.p999, l.max].map((v) => `<td>${ms(v, l.count)}</td>`).join('')}</tr>`;
}

/**
 * A self-contained HTML report of a load run: summary, bookkeeping, failures by reason,
 * thresholds, generator health, and charts of rate, latency, in-flight and send lag over time
 * (uPlot and its styles inlined: no CDN, it opens offline and can be attached to a ticket).
 */
export function renderHtmlReport(result: LoadResult, title = 'piper loadtest'): string {
  const { uplot, css, charts: script } = inlineAssets();
  const plots = charts(result);
  const c = result.counts;
  const row = (k: string, v: string) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`;
  const thresholds = result.thresholds
    .map(
      (r) =>
        `<tr class="${r.passed ? 'ok' : 'bad'}"><td>${escapeXml(r.threshold)}</td><td>${r.threshold.startsWith('errors') ? `${(r.actual * 100).toFixed(3)}%` : ms(r.actual, result.latency.count)}</td><td>${r.passed ? 'pass' : 'FAIL'}</td></tr>`,
    )
    .join('');
  // `<` escaped: the data sits inside a script element, which only `</script` could end early.
  const data = JSON.stringify(plots).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>${css}</style>
<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:820px;color:#222}table{border-collapse:collapse;margin:8px 0 16px}
th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}td{font-variant-numeric:tabular-nums}.bad{color:#c62828;font-weight:bold}.ok{color:#2e7d32}
table.inner{margin:0}table.inner th,table.inner td{padding:0 10px 0 0;border:0;font-weight:normal}
.warn{background:#fff3e0;border-left:4px solid #ef6c00;padding:8px 12px}figure{margin:16px 0}figcaption{font-weight:bold;margin-bottom:4px}
.u-legend{font-size:12px}</style></head><body>
<h1>${escapeXml(title)}</h1>
<p>${escapeXml(result.target)} · ${result.model} model · ${result.workers} worker(s) · planned ${(result.plannedMs / 1000).toFixed(1)} s, ran ${(result.durationMs / 1000).toFixed(1)} s${result.aborted ? ` · <b class="bad">stopped: ${escapeXml(result.aborted)}</b>` : ''}</p>
${result.generator.bottleneck ? `<p class="warn">The generator was the bottleneck: ${escapeXml(result.generator.reasons.join('; '))}. Latencies include its lateness; the target may be faster than shown.</p>` : ''}
${result.saturation.saturated ? `<p class="warn">The target fell behind: answered ${(result.saturation.achievedRatio * 100).toFixed(1)}% of the offered rate over the tail; in flight ${result.saturation.inFlightFirst.toFixed(0)} → ${result.saturation.inFlightLast.toFixed(0)}.</p>` : ''}
<h2>Requests</h2><table>
${row('scheduled', String(c.scheduled))}${row('completed (200–399)', String(c.completed))}<tr><th>failed</th><td>${c.failed === 0 ? 'none' : `${c.failed}, by reason: ${countsTable(c.errors, 'reason')}`}</td></tr>${row('timed out', String(c.timedOut))}${row('unsent (in-flight cap)', String(c.unsent))}
${row('bookkeeping', result.bookkeepingHolds ? 'scheduled = completed + failed + timed out + unsent ✓' : 'DOES NOT BALANCE')}
${row('offered / answered', `${result.offeredRps.toFixed(1)} / ${result.achievedRps.toFixed(1)} per s`)}<tr><th>statuses</th><td>${countsTable(c.statuses, 'status')}</td></tr>
</table>
<h2>Latency</h2><table><tr><th></th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>
${latencyRow('from intended send', result.latency)}
${latencyRow('completed (2xx/3xx) only', result.completedLatency)}
${latencyRow('service time', result.service)}</table>
${thresholds ? `<h2>Thresholds</h2><table><tr><th>threshold</th><th>measured</th><th>verdict</th></tr>${thresholds}</table>` : ''}
<h2>Generator</h2><table>${row('send lag p99', ms(result.generator.sendLagP99Ms))}${row('event-loop delay p99 (worst second)', ms(result.generator.loopDelayP99MaxMs))}${row('event-loop utilization (worst second)', `${(result.generator.utilizationMax * 100).toFixed(0)}%`)}</table>
<h2>Over time</h2>
${plots.map((p) => `<figure id="${p.id}"><figcaption>${escapeXml(p.title)}</figcaption></figure>`).join('\n')}
<noscript><p>The charts need JavaScript; the tables above hold the run's figures.</p></noscript>
<p><small>Latency is timed from each request's intended send time (no coordinated omission); service time from its write on a connection. HDR histograms, µs precision. Hover a chart to read its values.</small></p>
<script type="application/json" id="chart-data">${data}</script>
<script>${uplot}</script>
<script>${script}</script>
</body></html>
`;
}
