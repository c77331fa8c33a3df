import assert from 'node:assert/strict';
import { it } from 'node:test';
import { summarizeEvent } from './event-summary.ts';
import type { JournalEvent } from './journal-event.ts';

function refused(data: Record<string, unknown>): JournalEvent {
  return { id: 1, time: 0, kind: 'migration.gate_refused', source: 'rollout', subject: 'web', data, actor: 'richard' };
}

it('summarises a gate refusal by each check it failed, and an older one by its two figures', () => {
  assert.equal(
    summarizeEvent(
      refused({
        capacityRps: 78,
        requiredRps: 60,
        refusals: [
          "objective looser than the route's SLO: certified p99<10s; route needs p99<300ms",
          'expired: certified 3h00m ago, capacityMaxAge 1h00m',
        ],
      }),
    ),
    "capacity gate refused by richard (objective looser than the route's SLO: certified p99<10s; route needs p99<300ms; expired: certified 3h00m ago, capacityMaxAge 1h00m)",
  );
  assert.equal(
    summarizeEvent(refused({ capacityRps: 24.7, requiredRps: 200 })),
    'capacity gate refused by richard (certified 24.7 req/s, needed 200 req/s)',
  );
});
