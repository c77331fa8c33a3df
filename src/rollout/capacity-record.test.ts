import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ManualClock } from '../core/index.ts';
import { recordCapacityResult } from './capacity-record.ts';
import { InMemoryDataPlane } from '../data-plane/index.ts';
import { type MemberBackend, membershipOf } from './pool-membership.ts';

it('a capacity result cannot claim the membership it certified or its own recording time: the control plane writes both', () => {
  const clock = new ManualClock(50_000);
  const dp = new InMemoryDataPlane(clock, { web: { vendor: 100 } }, ['vendor', 'inhouse']);
  dp.setBackends('inhouse', [
    { name: 'b', url: 'http://10.0.0.2:80', weight: 50 },
    { name: 'a', url: 'http://10.0.0.1:80' },
  ]);
  const claimed = membershipOf([{ name: 'z', url: 'http://elsewhere', weight: 1 }]);
  const e = recordCapacityResult(
    {
      kind: 'capacity.result',
      source: 'loadgen',
      subject: 'inhouse',
      data: { pool: 'inhouse', capacityRps: 9, membership: claimed, recordedAt: 1 },
    },
    dp.snapshot(),
    clock.now(),
  );
  const expected = membershipOf([
    { name: 'a', url: 'http://10.0.0.1:80', weight: 100 },
    { name: 'b', url: 'http://10.0.0.2:80', weight: 50 },
  ]);
  assert.ok(e.kind === 'capacity.result');
  assert.deepEqual(e.data.membership, expected);
  assert.equal(e.data.recordedAt, 50_000);
  assert.equal(e.data.capacityRps, 9);
  // The order backends are listed in does not change the fingerprint; a weight does.
  const [a, b] = expected.backends as [MemberBackend, MemberBackend];
  assert.equal(membershipOf([b, a]).fingerprint, expected.fingerprint);
  assert.notEqual(membershipOf([{ ...a, weight: 101 }, b]).fingerprint, expected.fingerprint);
  // A pool the data plane does not have is recorded as such (the gate then refuses the result as stale).
  const unknown = recordCapacityResult(
    { kind: 'capacity.result', source: 'loadgen', subject: 'nope', data: { pool: null, capacityRps: 9 } },
    dp.snapshot(),
    1,
  );
  assert.ok(unknown.kind === 'capacity.result');
  assert.equal(unknown.data.membership, null);
  // Other events pass unchanged.
  const note = { kind: 'operator.note', source: 'operator', subject: 'x', data: { membership: 'mine' } } as const;
  assert.equal(recordCapacityResult(note, dp.snapshot(), 1), note);
});
