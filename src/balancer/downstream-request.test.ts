import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BodyBufferBudget } from './body-buffer-budget.ts';
import { RequestBody } from './downstream-request.ts';

/** A connection as the body sees it: counts how often the body asked for more, and slots taken. */
function source() {
  return {
    wants: 0,
    slots: 0,
    wantBody() {
      this.wants++;
    },
    slotTaken() {
      this.slots++;
    },
  };
}

function listener() {
  return {
    ready: 0,
    bodyReady() {
      this.ready++;
    },
  };
}

describe('RequestBody.readAhead', () => {
  it('reads a body that fits in full before telling its listener, and gives the budget its bytes back then', () => {
    const budget = new BodyBufferBudget(1_000);
    const src = source();
    const body = new RequestBody(src, 100);
    const l = listener();
    body.readAhead(budget, l);
    assert.equal(src.wants, 1, 'the body is invited (100 Continue) when it is read ahead');
    body.receive(Buffer.from('abc'));
    body.receive(Buffer.from('de'));
    assert.equal(l.ready, 0);
    assert.equal(budget.held, 5);
    body.finish(42);
    assert.equal(l.ready, 1);
    assert.equal(budget.held, 0);
    assert.equal(body.completedAt, 42);
    assert.equal(body.read()?.toString(), 'abcde', 'nothing was consumed on the way');
  });

  it('goes on once its buffer is full, or once the budget of all bodies is spent', () => {
    const budget = new BodyBufferBudget(10);
    const full = new RequestBody(source(), 4);
    const l1 = listener();
    full.readAhead(budget, l1);
    full.receive(Buffer.from('abc'));
    assert.equal(l1.ready, 0);
    full.receive(Buffer.from('de'));
    assert.equal(l1.ready, 1, 'five bytes fill a four-byte buffer');
    assert.equal(budget.held, 0);
    const a = new RequestBody(source(), 100);
    const b = new RequestBody(source(), 100);
    const la = listener();
    const lb = listener();
    a.readAhead(budget, la);
    b.readAhead(budget, lb);
    a.receive(Buffer.alloc(6));
    b.receive(Buffer.alloc(6));
    assert.deepEqual([la.ready, lb.ready], [0, 1], 'the body that passed the budget goes on; the other keeps reading ahead');
    assert.equal(budget.held, 6);
    a.receive(Buffer.alloc(1));
    assert.equal(la.ready, 0);
    a.finish(1);
    assert.equal(la.ready, 1);
    assert.equal(budget.held, 0);
  });

  it('a body that breaks off while read ahead tells nobody and gives its bytes back', () => {
    const budget = new BodyBufferBudget(100);
    const body = new RequestBody(source(), 50);
    const l = listener();
    body.readAhead(budget, l);
    body.receive(Buffer.alloc(20));
    body.destroy(new Error('the client connection closed'));
    assert.equal(budget.held, 0);
    assert.equal(l.ready, 0);
  });

  it('with no read-ahead (buffer 0) goes on at once', () => {
    const body = new RequestBody(source(), 0);
    const l = listener();
    body.readAhead(new BodyBufferBudget(100), l);
    assert.equal(l.ready, 1);
  });
});
