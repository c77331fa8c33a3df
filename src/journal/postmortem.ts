import { summarizeEvent } from './event-summary.ts';
import type { IncidentReport } from './incident-report.ts';
import type { JournalEvent } from './journal-event.ts';
import { type Block, POSTMORTEM_SECTIONS, type PostmortemDocument, type Section } from './postmortem-document.ts';

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

/** Formats a time to the second in the chosen zone, with the zone named. */
export function formatTime(ms: number, timeZone = 'UTC'): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZoneName: 'short',
  }).formatToParts(new Date(ms));
  const p = (t: string): string => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour') === '24' ? '00' : p('hour')}:${p('minute')}:${p('second')} ${p('timeZoneName')}`;
}

/** Exact to the second: `6 h 02 min 05 s`, `52 s`. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min ${String(r).padStart(2, '0')} s` : `${m} min ${String(r).padStart(2, '0')} s`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 2)} %`;
}

function n(x: number): string {
  return Math.round(x).toLocaleString('en-US');
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
  const mitigation = first((e) => e.kind === 'incident.mitigated' && e.data.incident === inc.id);
  const mitigatingEvent = typeof mitigation?.data.cause === 'number' ? first((e) => e.id === mitigation.data.cause) : undefined;
  const candidates = timeline.filter((e) => CAUSE_KINDS.test(e.kind) && e.time <= inc.detectedAt);
  const overrides = candidates.filter((e) => e.kind === 'migration.gate_overridden');
  const capacity = report.capacity;
  const affectedRoutes = impact.routes.filter((r) => r.failed + r.shed > 0);
  const affectedPools = impact.pools.filter((p) => p.failed + p.shed > 0);
  const impactEnd = inc.mitigatedAt ?? inc.resolvedAt;
  const bad = impact.failed + impact.shed;
  const notifyFailures = timeline.filter((e) => e.kind === 'notification.failed');
  const dropped = timeline.filter((e) => e.kind === 'journal.dropped');

  const sections: Record<(typeof POSTMORTEM_SECTIONS)[number], Block[]> = {
    Summary: [
      {
        kind: 'paragraph',
        text:
          `Incident ${inc.id} (${inc.title}). From ${t(inc.startedAt)}${impactEnd !== undefined ? ` to ${t(impactEnd)}` : ' (still ongoing)'}, ` +
          `${n(bad)} of ${n(impact.requests)} requests (${pct(impact.badShare)}) on ${affectedRoutes.map((r) => r.route).join(', ') || inc.routes.join(', ') || 'no measured route'} failed or were shed. ` +
          `It was detected ${humanDuration(durations.detectMs)} after it began${detection ? ` by ${detectionName(detection)}` : ''}` +
          `${inc.mitigatedAt !== undefined ? `, mitigated at ${t(inc.mitigatedAt)} (${mitigationName(inc.mitigatedBy, mitigatingEvent)})` : ''}` +
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
              items: affectedRoutes.map((r) => `route ${r.route}: ${n(r.failed)} failed, ${n(r.shed)} shed of ${n(r.requests)} requests`),
            },
            {
              kind: 'list',
              items: affectedPools.map((p) => `pool ${p.pool}: ${n(p.failed)} failed, ${n(p.shed)} shed of ${n(p.requests)} requests`),
            },
          ],
    Impact: [
      {
        kind: 'table',
        headers: ['measure', 'value'],
        rows: [
          ['requests during the impact', n(impact.requests)],
          ['failed requests', n(impact.failed)],
          ['shed requests', n(impact.shed)],
          ['share of requests affected', pct(impact.badShare)],
          ['requests slower than the latency threshold', n(impact.slow)],
          ['seconds below the availability objective', n(impact.secondsBelowSlo)],
          ['peak rate', `${n(impact.peakRps)} req/s`],
          ['error budget spent (of the SLO period)', pct(impact.budgetSpent)],
        ],
      },
      ...(impact.routes.length > 1
        ? [
            {
              kind: 'table',
              headers: ['route', 'requests', 'failed', 'shed', 'budget spent'],
              rows: impact.routes.map((r) => [r.route, n(r.requests), n(r.failed), n(r.shed), pct(r.budgetSpent)]),
            } as Block,
          ]
        : []),
      { kind: 'paragraph', text: `Measured from 1-second traffic samples between ${t(impact.from)} and ${t(impact.to)}.` },
    ],
    'Outage Duration': [
      {
        kind: 'table',
        headers: ['moment', 'time', 'since start'],
        rows: [
          ['started (first bad second)', t(inc.startedAt), '0 s'],
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
            ? `The outage lasted ${humanDuration(impactEnd - inc.startedAt)}, from the first bad second to ${inc.mitigatedAt !== undefined ? 'mitigation' : 'resolution'}; time to detect ${humanDuration(durations.detectMs)}.`
            : `The outage is still ongoing; time to detect ${humanDuration(durations.detectMs)}.`,
      },
    ],
    Cause: causeBlocks(candidates, overrides, capacity, impact.peakRps, t),
    Resolution: resolutionBlocks(inc.mitigatedAt, inc.mitigatedBy, mitigatingEvent, t),
    'Timeline of events': timelineBlocks(timeline, inc.startedAt, options.maxTimelineRows ?? 400, t),
    'Problems with our response': problemBlocks(report, notifyFailures, dropped, overrides),
    'Preventative measures to take': preventionBlocks(report, overrides, capacity, timeline),
    'Detection Method': detectionBlocks(detection, durations.detectMs, t),
    'Changes to make in future outage responses': changesBlocks(report, notifyFailures),
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
  return `the ${e.kind} event`;
}

function mitigationName(by: string | undefined, e: JournalEvent | undefined): string {
  if (by === 'traffic') return 'errors stopped with no recorded action';
  return `${by ?? '?'}${e ? ` by ${e.actor}` : ''}`;
}

function causeBlocks(
  candidates: JournalEvent[],
  overrides: JournalEvent[],
  capacity: JournalEvent | undefined,
  peakRps: number,
  t: (ms: number) => string,
): Block[] {
  const blocks: Block[] = [];
  if (candidates.length === 0) {
    blocks.push({
      kind: 'confirm',
      text: 'No configuration, split, migration or capacity change was recorded in the 30 minutes before the impact began: look outside piper (deploys, the network, dependencies).',
    });
    return blocks;
  }
  blocks.push({ kind: 'paragraph', text: 'Changes recorded shortly before the impact began (candidates):' });
  blocks.push({
    kind: 'list',
    items: candidates.slice(-20).map((e) => `${t(e.time)} ${e.kind} (${e.source}, ${e.actor}): ${summarizeEvent(e)}`),
  });
  const o = overrides.at(-1);
  if (o !== undefined) {
    const gate = (o.data.gate ?? {}) as { capacityRps?: unknown; projectedRps?: unknown; pool?: unknown };
    const cap = typeof gate.capacityRps === 'number' ? gate.capacityRps : capacity ? Number(capacity.data.capacityRps) : undefined;
    blocks.push({
      kind: 'confirm',
      text:
        `The capacity gate was overridden at ${t(o.time)} by ${o.actor}` +
        `${cap !== undefined && Number.isFinite(cap) ? `; certified capacity ${Math.round(cap)} req/s vs a measured peak of ${Math.round(peakRps)} req/s during the incident` : ''}` +
        `${typeof gate.projectedRps === 'number' ? ` (the gate projected ${Math.round(gate.projectedRps)} req/s)` : ''}. ` +
        'Suggested cause: traffic was moved to a pool that had not been proven to carry it.',
    });
  } else {
    const last = candidates.at(-1) as JournalEvent;
    blocks.push({
      kind: 'confirm',
      text: `Suggested cause: the last change before the impact, ${last.kind} at ${t(last.time)} by ${last.actor}.`,
    });
  }
  return blocks;
}

function resolutionBlocks(at: number | undefined, by: string | undefined, e: JournalEvent | undefined, t: (ms: number) => string): Block[] {
  if (at === undefined) return [{ kind: 'paragraph', text: 'Not mitigated yet.' }];
  if (by === 'traffic' || e === undefined) {
    return [
      {
        kind: 'confirm',
        text: `Errors stopped at ${t(at)} with no mitigating action recorded by piper (no rollback, revert or operator split change): record what was done.`,
      },
    ];
  }
  return [
    {
      kind: 'paragraph',
      text: `${e.kind} at ${t(e.time)} by ${e.actor}: ${summarizeEvent(e)} (the mitigating action recorded before the alerts cleared).`,
    },
  ];
}

function timelineBlocks(timeline: JournalEvent[], start: number, max: number, t: (ms: number) => string): Block[] {
  const rows = timeline.slice(0, max).map((e) => {
    const offset = e.time - start;
    return [t(e.time), `${offset < 0 ? '−' : '+'}${Math.round(Math.abs(offset) / 1000)} s`, e.kind, e.subject, e.actor, summarizeEvent(e)];
  });
  const blocks: Block[] = [{ kind: 'table', headers: ['time', 'from start', 'event', 'subject', 'by', 'details'], rows }];
  if (timeline.length > max)
    blocks.push({
      kind: 'paragraph',
      text: `${timeline.length - max} more events are in the journal (piper events --since ${timeline[max]?.time ?? ''}).`,
    });
  return blocks;
}

function problemBlocks(r: IncidentReport, notifyFailures: JournalEvent[], dropped: JournalEvent[], overrides: JournalEvent[]): Block[] {
  const items: string[] = [];
  const i = r.incident;
  if (r.durations.detectMs > 60_000) items.push(`Detection took ${humanDuration(r.durations.detectMs)} after the impact began.`);
  if (i.acknowledgedAt === undefined) items.push('Nobody acknowledged the incident.');
  else if (i.acknowledgedAt - i.detectedAt > 5 * 60_000)
    items.push(`Acknowledgement took ${humanDuration(i.acknowledgedAt - i.detectedAt)} after the page.`);
  if (i.mitigatedAt !== undefined && i.mitigatedBy === 'traffic')
    items.push('No mitigating action was recorded: the errors stopped on their own or by an action outside piper.');
  if (i.mitigatedAt !== undefined && i.mitigatedAt - i.startedAt > 30 * 60_000)
    items.push(`Mitigation took ${humanDuration(i.mitigatedAt - i.startedAt)}.`);
  for (const o of overrides)
    items.push(`The capacity gate was overridden by ${o.actor}${o.data.reason ? ` ("${String(o.data.reason)}")` : ''}.`);
  for (const f of notifyFailures) items.push(`A notification failed: ${summarizeEvent(f)}.`);
  for (const d of dropped) items.push(`The journal dropped ${String(d.data.count)} event(s) under load; the timeline may miss some.`);
  if (items.length === 0)
    return [
      {
        kind: 'paragraph',
        text: 'No gaps found in the record: detected within a minute, acknowledged within five, mitigated within thirty, and every notification delivered.',
      },
    ];
  return [{ kind: 'list', items }];
}

function preventionBlocks(
  r: IncidentReport,
  overrides: JournalEvent[],
  capacity: JournalEvent | undefined,
  timeline: JournalEvent[],
): Block[] {
  const items: string[] = [];
  const peak = Math.round(r.impact.peakRps);
  if (overrides.length > 0 || capacity !== undefined) {
    const cap = capacity
      ? `${String(capacity.data.capacityRps)} req/s certified for ${String(capacity.data.pool ?? capacity.subject)}`
      : 'no capacity result recorded';
    items.push(
      `Load-test the target pool to at least twice the observed peak (peak ${peak} req/s; ${cap}) before moving traffic; do not override the capacity gate.`,
    );
  }
  if (timeline.some((e) => e.kind === 'pool.no_healthy_backend'))
    items.push('Give the route a failover pool so a pool without healthy backends does not take it down.');
  if (r.durations.detectMs > 60_000)
    items.push('Add a faster signal (per-backend health alerts, or shorter alert windows) for this failure mode.');
  if (!timeline.some((e) => e.kind === 'migration.started') && overrides.length === 0)
    items.push('If a change caused this, run it as a stepped migration with an automatic judge next time.');
  if (items.length === 0) items.push('Nothing suggested from the record.');
  return [
    { kind: 'list', items },
    { kind: 'confirm', text: 'Suggestions drafted from the recorded evidence; keep, edit or replace them, and give each an owner.' },
  ];
}

function detectionBlocks(detection: JournalEvent | undefined, detectMs: number, t: (ms: number) => string): Block[] {
  if (detection === undefined) return [{ kind: 'paragraph', text: 'No alert is recorded for this incident.' }];
  if (detection.kind !== 'alert.firing') {
    return [
      {
        kind: 'paragraph',
        text: `Opened by ${detection.kind} at ${t(detection.time)} (${detection.actor}): ${summarizeEvent(detection)}. Detected ${humanDuration(detectMs)} after the first bad second.`,
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
    ['error ratio when it fired', typeof d.errorRatio === 'number' ? pct(d.errorRatio) : '—'],
    ['fired at', t(detection.time)],
    ['delay after the first bad second', humanDuration(detectMs)],
  ];
  return [
    { kind: 'paragraph', text: `Detected automatically by piper's SLO alerting: ${summarizeEvent(detection)}.` },
    { kind: 'table', headers: ['', ''], rows },
  ];
}

function changesBlocks(r: IncidentReport, notifyFailures: JournalEvent[]): Block[] {
  const items: string[] = [];
  const i = r.incident;
  if (i.acknowledgedAt === undefined || i.acknowledgedAt - i.detectedAt > 5 * 60_000)
    items.push('Make sure the page reaches someone who acknowledges it within five minutes (check the on-call rota and the webhook).');
  if (notifyFailures.length > 0) items.push('Fix the failing notification webhook and test it.');
  if (i.mitigatedBy === 'traffic')
    items.push('Record every manual action (piper events, an operator note) so the next timeline is complete.');
  if (r.timeline.some((e) => e.kind === 'migration.gate_overridden' && e.time <= i.startedAt)) {
    items.push('Treat a capacity-gate override as a change needing a second approver and a load test on record, not a flag.');
  }
  if (items.length === 0) items.push('Keep the current response: the record shows no gaps.');
  return [
    { kind: 'list', items },
    { kind: 'confirm', text: 'Seeded from "Problems with our response"; confirm with the people who responded.' },
  ];
}
