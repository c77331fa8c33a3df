import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { emptyLogLine, type LogLine, type ParseOutcome, parseLogLine } from './log-line-parser.ts';
import { userIdOf } from '../telemetry/index.ts';
import { LOG_FORMAT } from './haproxy-log-format.ts';
import { errorKindOf } from './termination-state.ts';

const RECORDED = JSON.parse(readFileSync(new URL('../../test/fixtures/haproxy/log-lines.json', import.meta.url), 'utf8')) as Record<
  string,
  string
>;
const line = (name: string): string => RECORDED[name] as string;

function parse(text: string | Buffer): { result: ParseOutcome; out: LogLine } {
  const out = emptyLogLine();
  return { result: parseLogLine(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, out), out };
}

describe('parseLogLine', () => {
  test('reads every field of a recorded line', () => {
    const { result, out } = parse(line('ok'));
    assert.equal(result, 'ok');
    assert.deepEqual(out, {
      endMs: 1796648144882,
      frontend: 'public',
      backend: 'web',
      server: 'vendor.v1',
      status: 200,
      requestMs: 0,
      queueMs: 0,
      connectMs: 0,
      responseMs: 3,
      activeMs: 3,
      bytesIn: 52,
      bytesOut: 153,
      termination: '--',
      retries: 0,
      redispatched: false,
      clientId: userIdOf('127.0.0.1'),
    });
  });

  test('reads -1 timers, <NOSRV> and retries', () => {
    const refused = parse(line('refused')).out;
    assert.equal(refused.connectMs, -1);
    assert.equal(refused.retries, 3);
    assert.equal(refused.termination, 'SC');
    const bad = parse(line('badRequest')).out;
    assert.equal(bad.requestMs, -1);
    assert.equal(bad.server, '<NOSRV>');
    assert.equal(bad.backend, bad.frontend);
  });

  test('whatever syslog header precedes the marker: RFC 5424, short, raw, none', () => {
    const body = line('ok').slice(line('ok').indexOf('piper2'));
    for (const header of [
      '<134>1 2026-12-07T09:59:09.123456+00:00 host haproxy 7641 - - ',
      '<134>',
      '',
      '<134>Dec  7 09:59:09 host haproxy[1]: ',
    ]) {
      assert.equal(parse(header + body).result, 'ok', JSON.stringify(header));
    }
    assert.equal(parse(body.replace('\n', '')).result, 'ok', 'without the line end');
    assert.equal(parse(body.replace('\n', '\r\n\0')).result, 'ok', 'with CR and NUL from a relay');
  });

  test('redispatched retries (+N) and logasap (+Ta)', () => {
    const { result, out } = parse(line('refused').replace(' 3005 ', ' +3005 ').replace(' SC 3 ', ' SC +3 '));
    assert.equal(result, 'ok');
    assert.equal(out.activeMs, 3005);
    assert.equal(out.retries, 3);
    assert.equal(out.redispatched, true);
  });

  test("HAProxy's own messages and other senders are foreign", () => {
    assert.equal(parse(line('serverDown')).result, 'foreign');
    assert.equal(parse('').result, 'foreign');
    assert.equal(parse(Buffer.from([0xff, 0x00, 0x13])).result, 'foreign');
  });

  test('a line cut anywhere before its end mark is truncated, at every length', () => {
    const full = line('refused');
    const start = full.indexOf('piper2 ') + 'piper2 '.length;
    const end = full.indexOf(' .');
    for (let n = start; n <= end + 1; n++) {
      assert.equal(parse(full.slice(0, n)).result, 'truncated', JSON.stringify(full.slice(0, n)));
    }
    assert.equal(parse(full.slice(0, end + 2)).result, 'ok');
  });

  test('a field that is not what the format puts there is unparsable', () => {
    const ok = line('ok');
    const cases = [
      ok.replace(' 200 ', ' 2x0 '),
      ok.replace(' 52 ', ' -52 '),
      ok.replace(' -- 0 ', ' --- 0 '),
      ok.replace(' -- 0 ', ' -- -1 '),
      ok.replace('piper2 1796648144882', 'piper2 0'),
      ok.replace(' vendor.v1 ', ' vendor\x01v1 '),
      ok.replace(' vendor.v1 ', '  '),
      ok.replace(' 127.0.0.1 ', ' 127.0\x01.0.1 '),
      ok.replace(' .\n', ' . extra\n'),
      ok.replace(' .\n', ' 7 .\n'),
      ok.replace(' 153 ', ' 1234567890123456789 '),
    ];
    for (const c of cases) assert.equal(parse(c).result, 'unparsable', JSON.stringify(c));
  });

  test('the log-format constant has one variable per parsed field, and the end mark', () => {
    const fields = LOG_FORMAT.split(' ');
    assert.equal(fields[0], 'piper2');
    assert.equal(fields.at(-1), '.');
    assert.equal(fields.length, line('ok').slice(line('ok').indexOf('piper2')).trim().split(' ').length);
  });
});

describe('errorKindOf', () => {
  const kind = (ts: string, noServer = false) => errorKindOf(ts.charCodeAt(0), ts.charCodeAt(1), noServer);
  test('maps termination states to piper error kinds', () => {
    const table: Array<[string, boolean, string | null]> = [
      ['--', false, null],
      ['LR', true, null],
      ['CD', false, 'client_abort'],
      ['cR', true, 'client_abort'],
      ['CH', false, 'client_abort'],
      ['SC', false, 'connect'],
      ['SC', true, 'no_backend'],
      ['sC', false, 'connect'],
      ['PC', false, 'connect'],
      ['RC', false, 'connect'],
      ['sQ', true, 'shed'],
      ['sH', false, 'timeout'],
      ['sD', false, 'timeout'],
      ['SH', false, 'reset'],
      ['SD', false, 'reset'],
      ['DD', false, 'reset'],
      ['KD', false, 'reset'],
      ['PH', false, 'protocol'],
      ['PR', true, 'protocol'],
      ['ID', false, 'protocol'],
      ['ZZ', false, 'protocol'],
    ];
    for (const [ts, noServer, expected] of table) assert.equal(kind(ts, noServer), expected, `${ts} ${noServer}`);
  });
});
