import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpStatusOf, isPiperError } from '../core/index.ts';
import { type RefusedCommand, TermFence } from './term-fence.ts';

function fence(): { fence: TermFence; refused: { data: RefusedCommand; sender: string | undefined }[] } {
  const refused: { data: RefusedCommand; sender: string | undefined }[] = [];
  return { fence: new TermFence((data, sender) => refused.push({ data, sender })), refused };
}

function staleError(fn: () => void): Error & { code?: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    assert.ok(isPiperError(err, 'PIPER_SPLIT_STALE_TERM'), `expected PIPER_SPLIT_STALE_TERM, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a refusal');
}

describe('TermFence', () => {
  it('takes splits without a term (an operator) before and after a leader announced one', () => {
    const f = fence();
    f.fence.admitSplit('web', { a: 1 }, undefined, undefined);
    f.fence.announce(7, 'cp-a');
    f.fence.admitSplit('web', { a: 1 }, undefined, undefined);
    assert.equal(f.fence.term, 7);
    assert.deepEqual(f.refused, []);
  });

  it('adopts a newer term with its leader, takes the same term again, and refuses an older one naming both terms and the leader', () => {
    const f = fence();
    f.fence.admitSplit('web', { a: 100 }, 3, 'cp-a');
    f.fence.admitSplit('web', { a: 90, b: 10 }, 4, 'cp-b');
    f.fence.admitSplit('web', { a: 80, b: 20 }, 4, 'cp-b');
    assert.equal(f.fence.term, 4);
    assert.equal(f.fence.leader, 'cp-b');
    const err = staleError(() => f.fence.admitSplit('web', { a: 100, b: 0 }, 3, 'cp-a'));
    assert.match(err.message, /term 3/);
    assert.match(err.message, /term 4/);
    assert.match(err.message, /cp-b/);
    assert.equal(httpStatusOf(err), 409);
    assert.deepEqual(f.refused, [
      { data: { route: 'web', term: 3, currentTerm: 4, leader: 'cp-b', split: { a: 100, b: 0 } }, sender: 'cp-a' },
    ]);
    assert.equal(f.fence.term, 4, 'a refusal leaves the term alone');
  });

  it('an announcement raises the term without a split; an older announcement is refused with route null', () => {
    const f = fence();
    f.fence.announce(5, 'cp-b');
    staleError(() => f.fence.announce(2, 'cp-a'));
    assert.deepEqual(f.refused[0]?.data, { route: null, term: 2, currentTerm: 5, leader: 'cp-b', split: null });
  });

  it("refuses a deposed leader's heartbeats every time but reports them once per route and term", () => {
    const f = fence();
    f.fence.announce(9, 'cp-b');
    for (let i = 0; i < 5; i++) staleError(() => f.fence.admitHeartbeat('web', 8, 'cp-a'));
    staleError(() => f.fence.admitHeartbeat('api', 8, 'cp-a'));
    f.fence.admitHeartbeat('web', 9, 'cp-b');
    f.fence.admitHeartbeat('web', undefined, undefined);
    assert.deepEqual(
      f.refused.map((r) => [r.data.route, r.data.term, r.data.split]),
      [
        ['web', 8, null],
        ['api', 8, null],
      ],
    );
  });

  it('a term that was newest and later became stale is reported again when its leader keeps beating', () => {
    const f = fence();
    f.fence.admitHeartbeat('web', 1, 'cp-a');
    f.fence.announce(2, 'cp-b');
    staleError(() => f.fence.admitHeartbeat('web', 1, 'cp-a'));
    assert.equal(f.refused.length, 1);
  });

  it('refuses a term that is not a whole number ≥ 0 as a bad request', () => {
    const f = fence();
    assert.throws(
      () => f.fence.admitSplit('web', { a: 1 }, -1, 'x'),
      (err) => isPiperError(err, 'PIPER_BALANCER_BAD_API_REQUEST'),
    );
    assert.throws(
      () => f.fence.announce(1.5, 'x'),
      (err) => isPiperError(err, 'PIPER_BALANCER_BAD_API_REQUEST'),
    );
  });
});
