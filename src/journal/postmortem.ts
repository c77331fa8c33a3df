import { summarizeEvent } from './event-summary.ts';
import { formatShare } from './incident-figures.ts';
import type { IncidentNumbers } from './incident-numbers.ts';
import type { IncidentReport } from './incident-report.ts';
import type { JournalEvent } from './journal-event.ts';
import { adviseFrom, incidentFacts, mitigationName, overrideFigures } from './postmortem-advice.ts';
import { impactBlocks } from './postmortem-impact.ts';
import { type Block, POSTMORTEM_SECTIONS, type PostmortemDocument, type Section } from './postmortem-document.ts';
import { type CuratedTimeline, curateTimeline } from './postmortem-timeline.ts';
import { formatClock, formatDate, formatTime, humanDuration, relativeTime } from './time-format.ts';

/** Options of {@link buildPostmortem}. */
export interface PostmortemOptions {
  generatedAt: number;
  /** IANA time zone for times (default UTC); the seed wrote Pacific Time. */
  timeZone?: string;
  /** Most timeline rows before the rest are counted, not listed (default 400). */
  maxTimelineRows?: number;
}

const CAUSE_KINDS =
  /^(split\.changed|config\.|migration\.(started|gate_refused|gate_overridden|step|resumed)|deploy\.|backend\.down|capacity\.result|operator\.)/;

function n(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

/** One route's or pool's counts in the words of the numbers: failed includes shed (docs/journal.md, "Numbers"). */
function affectedPhrase(c: { requests: number; failed: number; shed: number }): string {
  return `${n(c.failed + c.shed)} of ${n(c.requests)} requests failed${c.shed > 0 ? ` (${n(c.shed)} shed)` : ''}`;
}

/** The numbers' failed requests as the Summary words them, with the share every place prints. */
function numbersPhrase(x: IncidentNumbers): string {
  if (!x.measured) return 'the failed requests were not measured (no traffic samples kept for the period)';
  const shed = x.shed > 0 ? ` (${n(x.shed)} of them shed)` : '';
  return `${n(x.failed)} of ${n(x.requests)} requests (${formatShare(x.failedShare)}) failed${shed}`;
}

/**
 * Drafts the postmortem of an incident from its report: every fact from recorded events and
 * traffic samples, with timestamps; judgment (cause, prevention, changes) pre-filled from evidence
 * and marked for confirmation.
 */
export function buildPostmortem(report: IncidentReport, options: PostmortemOptions): PostmortemDocument {
  const { incident: inc, impact, durations, timeline } = report;
  const tz = options.timeZone ?? 'UTC';
  const t = (ms: number): string => formatTime(ms, tz);
  const first = (pred: (e: JournalEvent) => boolean): JournalEvent | undefined => timeline.find(pred);
  const opening = first((e) => e.id === inc.openedBy.eventId);
  const detection = first((e) => e.kind === 'alert.firing' && e.data.severity === 'page' && e.time >= inc.startedAt) ?? opening;
  const facts = incidentFacts(report);
  const mitigatingEvent = facts.mitigation;
  const curated = curateTimeline(timeline, inc, (ms) => formatClock(ms, tz));
  // Candidates come from the curated events, so noise left out of the timeline is no cause either.
  const candidates = curated.kept.filter((e) => CAUSE_KINDS.test(e.kind) && e.time <= inc.startedAt);
  const capacity = report.capacity;
  const affectedRoutes = impact.routes.filter((r) => r.failed + r.shed > 0);
  const affectedPools = impact.pools.filter((p) => p.failed + p.shed > 0);
  const impactEnd = inc.mitigatedAt ?? inc.resolvedAt;
  /** `From 14:50:03 UTC to 15:21:40 UTC`, or `At 13:07:21 UTC, for 308 ms` when both fall in one second. */
  function period(from: number, to: number | undefined): string {
    if (to === undefined) return `From ${t(from)} (still ongoing)`;
    return t(from) === t(to) ? `At ${t(from)}, for ${humanDuration(to - from)}` : `From ${t(from)} to ${t(to)}`;
  }
  const advice = adviseFrom(facts);

  const sections: Record<(typeof POSTMORTEM_SECTIONS)[number], Block[]> = {
    Summary: [
      {
        kind: 'paragraph',
        text:
          `Incident ${inc.id} (${inc.title}). ${period(inc.startedAt, impactEnd)}, ` +
          `${numbersPhrase(report.numbers)} on ${affectedRoutes.map((r) => r.route).join(', ') || inc.routes.join(', ') || 'no measured route'}. ` +
          `It was detected ${humanDuration(durations.detectMs)} after it began${detection ? ` by ${detectionName(detection)}` : ''}` +
          `${inc.mitigatedAt !== undefined ? `, mitigated at ${t(inc.mitigatedAt)} (${mitigationOf(inc.mitigatedBy, mitigatingEvent)})` : ''}` +
          `${inc.resolvedAt !== undefined ? `, and resolved at ${t(inc.resolvedAt)}` : ''}.`,
      },
    ],
    'Affected Services':
      affectedRoutes.length + affectedPools.length === 0
        ? [
            {
              kind: 'paragraph',
              text: `No failed or shed requests were measured between ${t(impact.from)} and ${t(impact.to)}; routes named by the incident: ${inc.routes.join(', ') || 'none'}.`,
            },
          ]
        : [
            {
              kind: 'list',
              items: affectedRoutes.map((r) => `route ${r.route}: ${affectedPhrase(r)}`),
            },
            {
              kind: 'list',
              items: affectedPools.map((p) => `pool ${p.pool}: ${affectedPhrase(p)}`),
            },
          ],
    Impact: impactBlocks(report, t),
    'Outage Duration': [
      {
        kind: 'table',
        headers: ['moment', 'time', 'since start'],
        rows: [
          ['started (first failure)', t(inc.startedAt), '0 s'],
          ['detected (alert)', t(inc.detectedAt), humanDuration(inc.detectedAt - inc.startedAt)],
          ...(inc.acknowledgedAt !== undefined
            ? [[`acknowledged by ${inc.acknowledgedBy ?? '?'}`, t(inc.acknowledgedAt), humanDuration(inc.acknowledgedAt - inc.startedAt)]]
            : [['acknowledged', 'never', '—']]),
          ...(inc.mitigatedAt !== undefined ? [['mitigated', t(inc.mitigatedAt), humanDuration(inc.mitigatedAt - inc.startedAt)]] : []),
          ...(inc.resolvedAt !== undefined ? [['resolved', t(inc.resolvedAt), humanDuration(inc.resolvedAt - inc.startedAt)]] : []),
        ],
      },
      {
        kind: 'paragraph',
        text:
          impactEnd !== undefined
            ? `The outage lasted ${humanDuration(impactEnd - inc.startedAt)}, from the first failure to ${inc.mitigatedAt !== undefined ? 'mitigation' : 'resolution'}; time to detect ${humanDuration(durations.detectMs)}.`
            : `The outage is still ongoing; time to detect ${humanDuration(durations.detectMs)}.`,
      },
    ],
    Cause: causeBlocks(candidates, facts.override, capacity, impact.peakRps, t),
    Resolution: resolutionBlocks(inc.mitigatedAt, inc.mitigatedBy, mitigatingEvent, inc.startedAt, t),
    'Timeline of events': timelineBlocks(curated, inc.startedAt, options.maxTimelineRows ?? 400, tz),
    'Problems with our response':
      advice.problems.length > 0
        ? [{ kind: 'list', items: advice.problems }]
        : [{ kind: 'paragraph', text: 'The record shows no gap in the response.' }],
    'Preventative measures to take': [
      { kind: 'list', items: advice.prevention.length > 0 ? advice.prevention : ['Nothing suggested from the record.'] },
      { kind: 'confirm', text: 'Suggestions drafted from the recorded evidence; keep, edit or replace them, and give each an owner.' },
    ],
    'Detection Method': detectionBlocks(detection, durations.detectMs, t),
    'Changes to make in future outage responses': [
      { kind: 'list', items: advice.changes.length > 0 ? advice.changes : ['Keep the current response: the record shows no gap.'] },
      { kind: 'confirm', text: 'Seeded from "Problems with our response"; confirm with the people who responded.' },
    ],
  };

  const judgment = new Set(['Cause', 'Preventative measures to take', 'Changes to make in future outage responses']);
  return {
    title: `Postmortem: incident ${inc.id}, ${inc.title}`,
    generatedAt: options.generatedAt,
    incidentId: inc.id,
    sections: POSTMORTEM_SECTIONS.map(
      (heading): Section => ({ heading, needsConfirmation: judgment.has(heading), blocks: sections[heading] }),
    ),
  };
}

function detectionName(e: JournalEvent): string {
  if (e.kind === 'alert.firing') return `the ${String(e.data.rule)} ${String(e.data.severity)} alert`;
  if (e.kind === 'migration.rolled_back') return e.actor === 'rollout' ? "the migration judge's rollback" : `${e.actor}'s rollback`;
  return `"${summarizeEvent(e)}"`;
}

/** `rolled back by the migration judge` ({@link mitigationName}), or that errors just stopped. */
function mitigationOf(by: string | undefined, e: JournalEvent | undefined): string {
  return mitigationName(by === 'traffic' ? undefined : e);
}

function causeBlocks(
  candidates: JournalEvent[],
  override: JournalEvent | undefined,
  capacity: JournalEvent | undefined,
  peakRps: number,
  t: (ms: number) => string,
): Block[] {
  if (candidates.length === 0) {
    return [
      {
        kind: 'confirm',
        text: 'No configuration, split, migration or capacity change was recorded in the 30 minutes before the impact began: look outside piper (deploys, the network, dependencies).',
      },
    ];
  }
  const blocks: Block[] = [
    { kind: 'paragraph', text: 'Changes recorded shortly before the impact began (candidates):' },
    { kind: 'list', items: candidates.slice(-20).map((e) => `${t(e.time)}: ${summarizeEvent(e)}`) },
  ];
  if (override !== undefined) {
    const g = overrideFigures(override, capacity);
    const against =
      g.requiredRps !== undefined
        ? `the ${Math.round(g.requiredRps)} req/s the gate required`
        : `a peak of ${Math.round(g.peakRps ?? peakRps)} req/s`;
    blocks.push({
      kind: 'confirm',
      text:
        `The capacity gate refused the move and ${override.actor} overrode it at ${t(override.time)}; ` +
        `${g.certifiedRps !== undefined ? `${Math.round(g.certifiedRps)} req/s certified` : 'no capacity certified'} against ${against}. ` +
        'Suggested cause: traffic was moved to a pool that had not been proven to carry it.',
    });
  } else {
    const last = candidates.at(-1) as JournalEvent;
    blocks.push({
      kind: 'confirm',
      text: `Suggested cause: the last change before the impact, at ${t(last.time)}: ${summarizeEvent(last)}.`,
    });
  }
  return blocks;
}

function resolutionBlocks(
  at: number | undefined,
  by: string | undefined,
  e: JournalEvent | undefined,
  start: number,
  t: (ms: number) => string,
): Block[] {
  if (at === undefined) return [{ kind: 'paragraph', text: 'Not mitigated yet.' }];
  if (by === 'traffic' || e === undefined) {
    return [
      {
        kind: 'confirm',
        text: `Errors stopped at ${t(at)} with no mitigating action recorded by piper (no rollback, revert or operator split change): record what was done.`,
      },
    ];
  }
  const name = mitigationName(e);
  return [
    {
      kind: 'paragraph',
      text: `${name.charAt(0).toUpperCase()}${name.slice(1)} at ${t(e.time)}, ${humanDuration(e.time - start)} after the impact began: ${summarizeEvent(e)}.`,
    },
  ];
}

function timelineBlocks(curated: CuratedTimeline, start: number, max: number, tz: string): Block[] {
  const day = formatDate(start, tz);
  // Rows on the incident's day show the clock only; the date is said once, above the table.
  const clock = (ms: number): string => (formatDate(ms, tz) === day ? formatClock(ms, tz) : `${formatDate(ms, tz)} ${formatClock(ms, tz)}`);
  const { rows, omitted } = curated;
  const zone = formatTime(start, tz).slice(20);
  const left = [
    omitted.startup > 0 ? `${omitted.startup} first health check result(s) of backends as the balancer started` : '',
    omitted.unrelated > 0 ? `${omitted.unrelated} event(s) before the start about other routes and pools` : '',
    omitted.unchanged > 0 ? `${omitted.unchanged} split change(s) that set the split the route already had` : '',
  ].filter((x) => x !== '');
  const blocks: Block[] = [
    {
      kind: 'paragraph',
      text:
        `Times are ${zone} on ${day}; "since start" counts from the incident's start at ${clock(start)}.` +
        // Only a run of the judge's decisions makes one row of several events.
        (rows.some((r) => r.eventIds.length > 1)
          ? " Runs of the judge's decisions with the same verdict at the same step are one row."
          : '') +
        (left.length > 0 ? ` Left out (still in the journal, piper events): ${left.join('; ')}.` : ''),
    },
    {
      kind: 'table',
      headers: ['time', 'since start', 'what'],
      rows: rows.slice(0, max).map((r) => [clock(r.time), relativeTime(r.time - start), r.text]),
    },
  ];
  const next = rows[max];
  if (next !== undefined)
    blocks.push({
      kind: 'paragraph',
      text: `${rows.length - max} more rows from ${formatTime(next.time, tz)} on are left off here; piper events --since ${next.time} lists their events.`,
    });
  return blocks;
}

function detectionBlocks(detection: JournalEvent | undefined, detectMs: number, t: (ms: number) => string): Block[] {
  if (detection === undefined) return [{ kind: 'paragraph', text: 'No alert is recorded for this incident.' }];
  if (detection.kind !== 'alert.firing') {
    return [
      {
        kind: 'paragraph',
        text: `Detected by ${detectionName(detection)} at ${t(detection.time)}, ${humanDuration(detectMs)} after the impact began: ${summarizeEvent(detection)}.`,
      },
    ];
  }
  const d = detection.data;
  const windows = d.windows as Record<string, number> | undefined;
  const burn = d.burn as Record<string, number> | undefined;
  const rows: string[][] = [
    ['rule', String(d.rule)],
    ['tier', String(d.severity)],
    ['SLI', String(d.sli ?? 'availability')],
    [
      'windows',
      windows
        ? Object.entries(windows)
            .map(([k, v]) => `${k.replace(/Ms$/, '')} ${humanDuration(v)}`)
            .join(', ')
        : '—',
    ],
    ['burn rate (long / short / threshold)', burn ? `${burn.long}× / ${burn.short}× / ${burn.threshold}×` : '—'],
    ['error ratio when it fired', typeof d.errorRatio === 'number' ? formatShare(d.errorRatio) : '—'],
    ['fired at', t(detection.time)],
    ['delay after the first failure', humanDuration(detectMs)],
  ];
  return [
    { kind: 'paragraph', text: `Detected automatically by piper's SLO alerting: ${summarizeEvent(detection)}.` },
    { kind: 'table', headers: ['', ''], rows },
  ];
}
