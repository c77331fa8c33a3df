import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prefersHtml } from './accept-media.ts';

test('a browser navigating prefers HTML; fetch, curl and API clients do not', () => {
  // Chromium's and Firefox's Accept for a page navigation.
  assert.equal(prefersHtml('text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'), true);
  assert.equal(prefersHtml('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'), true);
  assert.equal(prefersHtml('*/*'), false);
  assert.equal(prefersHtml(undefined), false);
  assert.equal(prefersHtml(''), false);
  assert.equal(prefersHtml('application/json'), false);
  assert.equal(prefersHtml('application/json, text/html;q=0.5'), false);
});

test('the most specific range sets the quality, and HTML must win outright', () => {
  assert.equal(prefersHtml('text/*'), true);
  assert.equal(prefersHtml('text/*, application/json'), false);
  assert.equal(prefersHtml('text/html;q=0, */*'), false);
  assert.equal(prefersHtml('TEXT/HTML ; q=0.9, application/*;q=0.5'), true);
  assert.equal(prefersHtml('text/html;q=0.5, application/json;q=0.5'), false);
});
