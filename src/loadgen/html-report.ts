import type { LoadResult } from './load-result.ts';
import { escapeXml, lineChart } from './svg-line-chart.ts';

const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)} ms`;

/**
 * A self-contained HTML report of a load run: summary, bookkeeping, thresholds, generator
 * health, and inline SVG plots of rate and latency over time (no script, no CDN: it opens
 * offline and can be attached to a ticket).
 */
export function renderHtmlReport(result: LoadResult, title = 'piper loadtest'): string {
  const t = result.timeline;
  // A second with no answer has no latency (plotting 0 would draw a false recovery).
  const answered = t.filter((p) => p.completed + p.failed > 0);
  const mid = (p: { atS: number; spanS: number }) => p.atS + p.spanS / 2;
  const rate = lineChart(
    [
      { name: 'offered /s', color: '#888', dashed: true, points: t.map((p) => [mid(p), p.offeredRps] as const) },
      { name: 'answered /s', color: '#1565c0', points: t.map((p) => [mid(p), p.achievedRps] as const) },
      {
        name: 'failed+timed out /s',
        color: '#c62828',
        points: t.map((p) => [mid(p), (p.failed + p.timedOut + p.unsent) / p.spanS] as const),
      },
    ],
    { title: 'Request rate', xLabel: 'seconds', yLabel: 'requests per second' },
  );
  const latencyBound = result.thresholds.map((r) => r.threshold).find((s) => /^p\(?99\)?</.test(s));
  const latencyRef = result.thresholds.find((r) => r.threshold === latencyBound);
  const latency = lineChart(
    [
      { name: 'p99 from intended send', color: '#c62828', points: answered.map((p) => [mid(p), p.latencyP99Ms] as const) },
      { name: 'p50 from intended send', color: '#1565c0', points: answered.map((p) => [mid(p), p.latencyP50Ms] as const) },
      { name: 'p99 service time', color: '#2e7d32', dashed: true, points: answered.map((p) => [mid(p), p.serviceP99Ms] as const) },
    ],
    {
      title: 'Latency',
      xLabel: 'seconds',
      yLabel: 'ms',
      ...(latencyRef === undefined ? {} : { reference: { value: latencyRef.limit, label: latencyRef.threshold } }),
    },
  );
  const inflight = lineChart(
    [
      { name: 'in flight', color: '#6a1b9a', points: t.map((p) => [mid(p), p.inFlight] as const) },
      { name: 'send lag p99 (ms)', color: '#ef6c00', points: t.map((p) => [mid(p), p.sendLagP99Ms] as const) },
    ],
    { title: 'In flight and generator lag', xLabel: 'seconds', yLabel: 'requests / ms' },
  );
  const c = result.counts;
  const row = (k: string, v: string) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`;
  const l = result.latency;
  const k = result.completedLatency;
  const s = result.service;
  const thresholds = result.thresholds
    .map(
      (r) =>
        `<tr class="${r.passed ? 'ok' : 'bad'}"><td>${escapeXml(r.threshold)}</td><td>${r.threshold.startsWith('errors') ? `${(r.actual * 100).toFixed(3)}%` : ms(r.actual)}</td><td>${r.passed ? 'pass' : 'FAIL'}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:820px;color:#222}table{border-collapse:collapse;margin:8px 0 16px}
th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}td{font-variant-numeric:tabular-nums}.bad{color:#c62828;font-weight:bold}.ok{color:#2e7d32}
.warn{background:#fff3e0;border-left:4px solid #ef6c00;padding:8px 12px}</style></head><body>
<h1>${escapeXml(title)}</h1>
<p>${escapeXml(result.target)} · ${result.model} model · ${result.workers} worker(s) · planned ${(result.plannedMs / 1000).toFixed(1)} s, ran ${(result.durationMs / 1000).toFixed(1)} s${result.aborted ? ` · <b class="bad">stopped: ${escapeXml(result.aborted)}</b>` : ''}</p>
${result.generator.bottleneck ? `<p class="warn">The generator was the bottleneck: ${escapeXml(result.generator.reasons.join('; '))}. Latencies include its lateness; the target may be faster than shown.</p>` : ''}
${result.saturation.saturated ? `<p class="warn">The target fell behind: answered ${(result.saturation.achievedRatio * 100).toFixed(1)}% of the offered rate over the tail; in flight ${result.saturation.inFlightFirst.toFixed(0)} → ${result.saturation.inFlightLast.toFixed(0)}.</p>` : ''}
<h2>Requests</h2><table>
${row('scheduled', String(c.scheduled))}${row('completed (200–399)', String(c.completed))}${row('failed', `${c.failed} ${JSON.stringify(c.errors)}`)}${row('timed out', String(c.timedOut))}${row('unsent (in-flight cap)', String(c.unsent))}
${row('bookkeeping', result.bookkeepingHolds ? 'scheduled = completed + failed + timed out + unsent ✓' : 'DOES NOT BALANCE')}
${row('offered / answered', `${result.offeredRps.toFixed(1)} / ${result.achievedRps.toFixed(1)} per s`)}${row('statuses', JSON.stringify(c.statuses))}
</table>
<h2>Latency</h2><table><tr><th></th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>
<tr><th>from intended send</th><td>${ms(l.p50)}</td><td>${ms(l.p90)}</td><td>${ms(l.p99)}</td><td>${ms(l.p999)}</td><td>${ms(l.max)}</td></tr>
<tr><th>completed (2xx/3xx) only</th><td>${ms(k.p50)}</td><td>${ms(k.p90)}</td><td>${ms(k.p99)}</td><td>${ms(k.p999)}</td><td>${ms(k.max)}</td></tr>
<tr><th>service time</th><td>${ms(s.p50)}</td><td>${ms(s.p90)}</td><td>${ms(s.p99)}</td><td>${ms(s.p999)}</td><td>${ms(s.max)}</td></tr></table>
${thresholds ? `<h2>Thresholds</h2><table><tr><th>threshold</th><th>measured</th><th>verdict</th></tr>${thresholds}</table>` : ''}
<h2>Generator</h2><table>${row('send lag p99', ms(result.generator.sendLagP99Ms))}${row('event-loop delay p99 (worst second)', ms(result.generator.loopDelayP99MaxMs))}${row('event-loop utilization (worst second)', `${(result.generator.utilizationMax * 100).toFixed(0)}%`)}</table>
${rate}
${latency}
${inflight}
<p><small>Latency is timed from each request's intended send time (no coordinated omission); service time from its write on a connection. HDR histograms, µs precision.</small></p>
</body></html>
`;
}
