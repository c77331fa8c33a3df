import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { figureRows } from './incident-figures.ts';
import type { Incident } from './incident-manager.ts';
import { measureIncident } from './incident-numbers.ts';
import { durationsOf, type IncidentReport } from './incident-report.ts';
import type { JournalEvent } from './journal-event.ts';
import { ADVICE_RULES, type Advice, adviseFrom, incidentFacts } from './postmortem-advice.ts';
import { DEFAULT_OBJECTIVE } from './slo-monitor.ts';

const S = Date.UTC(2026, 11, 7, 5, 50, 0);
const MIN = 60_000;

let nextId = 1;
function ev(time: number, kind: string, data: Record<string, unknown> = {}, actor = 'rollout', subject = 'web'): JournalEvent {
  return { id: nextId++, time, kind, source: 'rollout', subject, data, actor };
}

const page = (time: number): JournalEvent => ev(time, 'alert.firing', { rule: 'fast', severity: 'page', route: 'web' }, 'piper');
const started = (time = S - 5 * MIN): JournalEvent =>
  ev(time, 'migration.started', { migration: '1', route: 'web', to: 'inhouse' }, 'richard');
const override = (time = S - 5 * MIN, data: Record<string, unknown> = {}): JournalEvent =>
  ev(
    time,
    'migration.gate_overridden',
    {
      migration: '1',
      reason: 'we ran tests for a week',
      route: 'web',
      from: 'vendor',
      to: 'inhouse',
      capacityRps: 35.68,
      requiredRps: 202,
      refusals: ['over capacity: certified 35.68/s < 2 × peak 101/s = 202/s'],
      ...data,
    },
    'richard',
  );

/** An incident mitigated by `cause` at its time, with the `incident.mitigated` event the manager writes. */
function mitigatedBy(cause: JournalEvent): { incident: Partial<Incident>; events: JournalEvent[] } {
  return {
    incident: { mitigatedAt: cause.time, mitigatedBy: cause.kind },
    events: [cause, ev(cause.time, 'incident.mitigated', { incident: 3, by: cause.kind, cause: cause.id }, cause.actor, 'incident/3')],
  };
}

function report(o: { incident?: Partial<Incident>; events?: JournalEvent[]; capacity?: JournalEvent; peakRps?: number }): IncidentReport {
  const incident: Incident = {
    id: 3,
    status: 'resolved',
    title: 'web failing on inhouse',
    routes: ['web'],
    pools: ['inhouse'],
    openedBy: { kind: 'alert.firing', eventId: 1 },
    alerts: [],
    activeAlerts: [],
    startedAt: S,
    detectedAt: S + 20_000,
    ...o.incident,
  };
  // No traffic samples: the advice rules read the incident's times and events, not its counts.
  const { numbers } = measureIncident(incident, [], () => DEFAULT_OBJECTIVE, 30 * 86_400_000, S + 3_600_000);
  return {
    incident,
    numbers,
    figures: figureRows(numbers),
    durations: durationsOf(incident),
    // The rules read only the peak of the impact.
    impact: { peakRps: o.peakRps ?? 100 } as IncidentReport['impact'],
    timeline: [...(o.events ?? [])].sort((a, b) => a.time - b.time || a.id - b.id),
    capacity: o.capacity,
  };
}

function rule(name: string, r: IncidentReport): Partial<Advice> | undefined {
  const found = ADVICE_RULES.find((x) => x.name === name);
  assert.ok(found, `rule ${name}`);
  return found.advise(incidentFacts(r));
}

function all(a: Advice): string {
  return [...a.problems, ...a.prevention, ...a.changes].join('\n');
}

describe('the advice for an incident the judge ended by itself within a second', () => {
  const rollback = ev(S + 249, 'migration.rolled_back', { migration: '1', route: 'web', reason: 'fast path: error_ratio' });
  const m = mitigatedBy(rollback);
  const r = report({
    incident: {
      ...m.incident,
      detectedAt: S + 249,
      openedBy: { kind: 'migration.rolled_back', eventId: rollback.id },
      resolvedAt: S + 10_000,
    },
    events: [override(), started(), ...m.events],
  });
  const advice = adviseFrom(incidentFacts(r));

  it('says nothing about paging, acknowledging, detection or adding a rollback', () => {
    assert.doesNotMatch(all(advice), /page|acknowledg|faster signal|roll(s)? (this failure )?back by itself|stepped migration/i);
  });

  it('is about the overridden gate, naming who overrode it and what the gate had refused', () => {
    assert.deepEqual(advice.problems, [
      'richard overrode the capacity gate with the reason "we ran tests for a week"; the gate had refused the move: over capacity: certified 35.68/s < 2 × peak 101/s = 202/s.',
    ]);
    assert.deepEqual(advice.prevention, [
      'Load-test inhouse to the 202 req/s the gate required (35.68 req/s certified) before moving traffic to it again.',
    ]);
    assert.deepEqual(advice.changes, [
      'Treat a capacity-gate override as a change needing a second approver and a load test on record, not a flag.',
    ]);
  });
});

describe('rule acknowledgement: only when a page fired while users were affected', () => {
  const longOutage = mitigatedBy(ev(S + 21 * MIN, 'split.changed', { from: { inhouse: 100 }, to: { vendor: 100 } }, 'gilfoyle'));

  it('is silent when no page fired before the impact ended', () => {
    const m = mitigatedBy(ev(S + 1800, 'migration.rolled_back', {}));
    assert.equal(rule('acknowledgement', report({ incident: m.incident, events: [...m.events, page(S + 25_000)] })), undefined);
  });

  it('is silent when the impact ended before the acknowledgement was due, even if nobody acknowledged', () => {
    const m = mitigatedBy(ev(S + 2 * MIN, 'migration.aborted', {}, 'dinesh'));
    assert.equal(rule('acknowledgement', report({ incident: m.incident, events: [page(S + 30_000), ...m.events] })), undefined);
  });

  it('is silent when someone acknowledged within five minutes of the page', () => {
    const r = report({
      incident: { ...longOutage.incident, acknowledgedAt: S + 4 * MIN, acknowledgedBy: 'gilfoyle' },
      events: [page(S + 30_000), ...longOutage.events],
    });
    assert.equal(rule('acknowledgement', r), undefined);
  });

  it('flags a page nobody acknowledged while the outage went on', () => {
    const a = rule('acknowledgement', report({ incident: longOutage.incident, events: [page(S + 30_000), ...longOutage.events] }));
    assert.deepEqual(a?.problems, ['Nobody acknowledged the page of 30 s into the incident while users were still affected.']);
    assert.match(a?.changes?.[0] ?? '', /acknowledges it within five minutes/);
  });

  it('flags a late acknowledgement with how late it was', () => {
    const r = report({
      incident: { ...longOutage.incident, acknowledgedAt: S + 10 * MIN, acknowledgedBy: 'gilfoyle' },
      events: [page(S + 30_000), ...longOutage.events],
    });
    assert.deepEqual(rule('acknowledgement', r)?.problems, [
      'Acknowledgement took 9 min 30 s after the page, while users were still affected.',
    ]);
  });
});

describe('rule detection', () => {
  it('asks for a faster signal when detection took over a minute', () => {
    const a = rule('detection', report({ incident: { detectedAt: S + 10 * MIN } }));
    assert.deepEqual(a?.problems, ['Detection took 10 min 00 s after the impact began.']);
    assert.equal(a?.prevention?.length, 1);
  });

  it('is silent when detection took under a minute', () => {
    assert.equal(rule('detection', report({ incident: { detectedAt: S + 20_000 } })), undefined);
  });
});

describe('rule gate-override', () => {
  it('never prints a missing capacity as "null"', () => {
    const a = rule('gate-override', report({ events: [override(S - MIN, { capacityRps: null })] }));
    assert.match(a?.prevention?.[0] ?? '', /the 202 req\/s the gate required \(no capacity certified\)/);
    assert.doesNotMatch(JSON.stringify(a), /null|undefined|NaN/);
  });

  it('ignores an override of another route, or one made after the incident began', () => {
    const elsewhere = override(S - MIN, { route: 'api' });
    elsewhere.subject = 'api';
    assert.equal(rule('gate-override', report({ events: [elsewhere] })), undefined);
    assert.equal(rule('gate-override', report({ events: [override(S + MIN)] })), undefined);
  });
});

describe('rule capacity-unproven: a pool moved to without an override but never proven for twice the peak', () => {
  const capacity = (rps: number | null): JournalEvent =>
    ev(S - 60 * MIN, 'capacity.result', { pool: 'inhouse', capacityRps: rps }, 'piper capacity', 'inhouse');

  it('asks for a load test to twice the peak when the certified capacity is below it', () => {
    assert.deepEqual(rule('capacity-unproven', report({ capacity: capacity(120), peakRps: 300 }))?.prevention, [
      'Load-test inhouse to at least twice the observed peak (600 req/s; 120 req/s certified) before moving traffic to it.',
    ]);
    assert.match(
      rule('capacity-unproven', report({ capacity: capacity(null), peakRps: 300 }))?.prevention?.[0] ?? '',
      /no capacity certified/,
    );
  });

  it('is silent when the pool was proven for twice the peak, or when the override rule already speaks', () => {
    assert.equal(rule('capacity-unproven', report({ capacity: capacity(900), peakRps: 300 })), undefined);
    assert.equal(rule('capacity-unproven', report({ capacity: capacity(120), peakRps: 300, events: [override()] })), undefined);
  });
});

describe('rule rollback: only a slow or manual recovery calls for one', () => {
  it('is silent when the judge rolled back within seconds', () => {
    const m = mitigatedBy(ev(S + 1800, 'migration.rolled_back', {}));
    assert.equal(rule('rollback', report({ incident: m.incident, events: [started(), ...m.events] })), undefined);
  });

  it("asks to tighten the judge when a migration was rolled back by hand after 21 minutes (the seed's afternoon)", () => {
    const m = mitigatedBy(ev(S + 21 * MIN, 'migration.rolled_back', {}, 'richard'));
    const a = rule('rollback', report({ incident: m.incident, events: [started(), ...m.events] }));
    assert.equal(a?.problems, undefined, 'under 30 minutes is not a problem in itself');
    assert.deepEqual(a?.prevention, [
      "Tighten the judge's thresholds so it rolls this failure back by itself: recovery took 21 min 00 s (rolled back by richard).",
    ]);
  });

  it('asks for a stepped migration, and names the slow mitigation, when a hand-made split change took 40 minutes to undo', () => {
    const change = ev(S - MIN, 'split.changed', { from: { vendor: 100 }, to: { inhouse: 100 } }, 'gilfoyle');
    const m = mitigatedBy(ev(S + 40 * MIN, 'split.changed', { from: { inhouse: 100 }, to: { vendor: 100 } }, 'gilfoyle'));
    const a = rule('rollback', report({ incident: m.incident, events: [change, ...m.events] }));
    assert.deepEqual(a?.problems, ['Mitigation took 40 min 00 s (split changed by gilfoyle).']);
    assert.match(a?.prevention?.[0] ?? '', /^Make the change a stepped migration whose judge rolls back by itself within seconds/);
  });

  it('is silent when nothing was changed that a rollback could undo', () => {
    assert.equal(rule('rollback', report({ incident: { mitigatedAt: S + 40 * MIN, mitigatedBy: 'traffic' } })), undefined);
  });
});

describe('the rules over recorded troubles', () => {
  it('unrecorded-mitigation: errors that stopped with no recorded action ask for actions to be recorded', () => {
    const a = rule('unrecorded-mitigation', report({ incident: { mitigatedAt: S + MIN, mitigatedBy: 'traffic' } }));
    assert.equal(a?.problems?.length, 1);
    assert.match(a?.changes?.[0] ?? '', /Record every manual action/);
  });

  it('no-healthy-backend: a pool left without healthy backends asks for a failover pool', () => {
    const a = rule(
      'no-healthy-backend',
      report({ events: [ev(S + MIN, 'pool.no_healthy_backend', { pool: 'inhouse' }, 'balancer', 'inhouse')] }),
    );
    assert.match(a?.prevention?.[0] ?? '', /failover pool/);
  });

  it('notifications: each failed webhook is a problem, and fixing it a change', () => {
    const failed = ev(
      S + MIN,
      'notification.failed',
      { webhook: 'https://hooks.example/x', event: 'incident.opened', attempts: 5 },
      'piper',
    );
    const a = rule('notifications', report({ events: [failed, failed] }));
    assert.equal(a?.problems?.length, 2);
    assert.deepEqual(a?.changes, ['Fix the failing notification webhook and test it.']);
  });

  it('journal-dropped: events the journal dropped under load are counted', () => {
    const dropped = (count: number): JournalEvent => ev(S + MIN, 'journal.dropped', { count }, 'journal', 'journal');
    assert.deepEqual(rule('journal-dropped', report({ events: [dropped(3), dropped(4)] }))?.problems, [
      'The journal dropped 7 event(s) under load; the timeline may miss some.',
    ]);
  });

  it('a quiet record gets no advice at all', () => {
    assert.deepEqual(adviseFrom(incidentFacts(report({}))), { problems: [], prevention: [], changes: [] });
  });
});
