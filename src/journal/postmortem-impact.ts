import { figureRows, formatCount, formatShare } from './incident-figures.ts';
import type { IncidentReport } from './incident-report.ts';
import type { Block } from './postmortem-document.ts';

/**
 * The postmortem's Impact section: the incident's numbers in the words docs/journal.md defines
 * ("Numbers"), the same figures the API, `piper incidents` and the dashboard show, then the
 * measures only the postmortem lists, and how they were counted.
 */
export function impactBlocks(report: IncidentReport, t: (ms: number) => string): Block[] {
  const { numbers, impact } = report;
  const routes = impact.routes.map((r) => r.route).join(', ') || report.incident.routes.join(', ') || 'every route';
  const blocks: Block[] = [
    {
      kind: 'table',
      headers: ['measure', 'value'],
      rows: [
        ...figureRows(numbers),
        ['requests slower than the latency threshold', formatCount(impact.slow)],
        ['seconds below the availability objective', formatCount(impact.secondsBelowSlo)],
        ['peak rate', `${formatCount(impact.peakRps)} req/s`],
        ['error budget spent (of the SLO period)', formatShare(impact.budgetSpent)],
      ],
    },
  ];
  if (impact.routes.length > 1) {
    blocks.push({
      kind: 'table',
      headers: ['route', 'requests', 'failed (shed included)', 'shed', 'budget spent'],
      rows: impact.routes.map((r) => [
        r.route,
        formatCount(r.requests),
        formatCount(r.failed + r.shed),
        formatCount(r.shed),
        formatShare(r.budgetSpent),
      ]),
    });
  }
  blocks.push({
    kind: 'paragraph',
    text: numbers.measured
      ? `Counted from the 1-second traffic samples of ${routes} between ${t(numbers.from)} (the first failure) and ${t(numbers.to)} (the end of the failures, after traffic left the failing pool); a second that overlaps the period counts whole. ` +
        'Failed requests are what the clients of the balancer received, once per request; the judge counts attempts on the target pool and a load generator its own requests, so their counts differ (docs/journal.md, "Numbers").'
      : `No traffic samples are kept for ${t(numbers.from)} to ${t(numbers.to)} (they are pruned after storage.sampleRetention): the counts are unknown, not zero.`,
  });
  return blocks;
}
