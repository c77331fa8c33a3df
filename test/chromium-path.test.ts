import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findChromium } from './e2e/chromium-path.ts';

// The one place the browser tests learn where Chromium is (test/e2e/chromium-path.ts).

test('findChromium takes PIPER_CHROMIUM when it names an executable', () => {
  assert.equal(findChromium({ PIPER_CHROMIUM: process.execPath }), process.execPath);
});

test('findChromium names the path it tried and what to do when PIPER_CHROMIUM points nowhere', () => {
  assert.throws(
    () => findChromium({ PIPER_CHROMIUM: '/nonexistent/chromium' }),
    /no Chromium executable at \/nonexistent\/chromium \(PIPER_CHROMIUM\): point PIPER_CHROMIUM at one, or unset it to use Debian's \/usr\/bin\/chromium/,
  );
});
