import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPiperError } from './piper-error.ts';
import { formatDuration, formatSize, parseDuration, parsePercent, parseRate, parseSize } from './units.ts';

test('parses durations with one or several units into milliseconds', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('500us'), 0.5);
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration('0'), 0);
});

test('refuses a duration without a unit or with an unknown one, quoting the text', () => {
  for (const bad of ['250', '10 parsecs', '', 'ms', '1m30', '-1s']) {
    assert.throws(
      () => parseDuration(bad),
      (err: unknown) => isPiperError(err, 'PIPER_CORE_INVALID_UNIT') && err.message.includes(`"${bad}"`),
      bad,
    );
  }
});

test('parses sizes in SI and binary units', () => {
  assert.equal(parseSize('64KiB'), 65_536);
  assert.equal(parseSize('1GB'), 1e9);
  assert.equal(parseSize('1GiB'), 1024 ** 3);
  assert.equal(parseSize('512'), 512);
  assert.equal(parseSize('1.5 MiB'), 1_572_864);
  assert.throws(() => parseSize('12 parsecs'), /invalid size "12 parsecs"/);
});

test('parses rates per second, minute and hour into per second', () => {
  assert.equal(parseRate('500/s'), 500);
  assert.equal(parseRate('30k/min'), 500);
  assert.equal(parseRate('3.6k/h'), 1);
  assert.throws(() => parseRate('500'), /invalid rate "500"/);
  assert.throws(() => parseRate('5/fortnight'), /invalid rate/);
});

test('parses percentages into fractions and refuses values over 100%', () => {
  assert.equal(parsePercent('99.9%'), 0.999);
  assert.equal(parsePercent('0%'), 0);
  assert.throws(() => parsePercent('99.9'), /expected a number followed by %/);
  assert.throws(() => parsePercent('101%'), /between 0% and 100%/);
});

test('formats durations and sizes for people', () => {
  assert.equal(formatDuration(850), '850ms');
  assert.equal(formatDuration(1234), '1.23s');
  assert.equal(formatDuration(185_000), '3m05s');
  assert.equal(formatDuration(6 * 3_600_000), '6h00m');
  assert.equal(formatSize(512), '512 B');
  assert.equal(formatSize(65_536), '64.0 KiB');
  assert.equal(formatSize(1.5 * 1024 ** 3), '1.50 GiB');
});
