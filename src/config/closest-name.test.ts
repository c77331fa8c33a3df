import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closestName, editDistance } from './closest-name.ts';

test('edit distance counts insertions, deletions, substitutions and neighbour swaps as one each', () => {
  assert.equal(editDistance('stepDurration', 'stepDuration'), 1);
  assert.equal(editDistance('confg', 'config'), 1);
  assert.equal(editDistance('lodtest', 'loadtest'), 1);
  assert.equal(editDistance('tset', 'test'), 1);
  assert.equal(editDistance('', 'abc'), 3);
});

test('the closest name is suggested only when it is close, ignoring case', () => {
  assert.equal(closestName('lodtest', ['demo', 'loadtest', 'validate']), 'loadtest');
  assert.equal(closestName('STEPDURATION', ['stepDuration', 'steps']), 'stepDuration');
  assert.equal(closestName('frobnicate', ['demo', 'loadtest', 'validate']), undefined);
  assert.equal(closestName('x', ['up']), undefined);
});
