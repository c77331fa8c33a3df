import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isPiperError, type PiperErrorCode } from '../core/index.ts';
import { sessionLine, setStateCommand, setWeightCommand } from './runtime-api-command.ts';
import { parseInfo, splitAnswer } from './runtime-api-output.ts';
import { parseServersState } from './servers-state.ts';
import { parseStatCsv, parseStatTyped, statNumber } from './stat-table.ts';

// Answers recorded from HAProxy 2.6.12 (Debian bookworm): one backend `web` with `vendor.v1`
// (weight set to 7) and `inhouse.h1` (set to drain).
const recorded = (name: string): string => readFileSync(new URL(`../../test/fixtures/haproxy/${name}`, import.meta.url), 'utf8');
const blocksOf = (text: string, n = 1): string[][] =>
  splitAnswer(
    text,
    Array.from({ length: n }, (_, i) => `cmd${i}`),
  );
const code = (c: PiperErrorCode) => (err: unknown) => isPiperError(err, c);

describe('splitAnswer', () => {
  test('one block per command, an empty block for a command that printed nothing', () => {
    const text = `\nNo such server.\n\n${recorded('servers-state.txt')}\n`;
    const blocks = blocksOf(text, 4);
    assert.deepEqual(blocks[0], []);
    assert.deepEqual(blocks[1], ['No such server.']);
    assert.equal(blocks[2]?.[0], '1');
    assert.deepEqual(blocks[3], []);
  });

  test('an answer cut before the end-of-output mark is a lost connection, which may be retried', () => {
    const text = recorded('servers-state.txt').slice(0, 100);
    assert.throws(
      () => blocksOf(text),
      (err) => isPiperError(err, 'PIPER_HAPROXY_CONNECTION_LOST') && err.retryable,
    );
    assert.throws(() => blocksOf(''), code('PIPER_HAPROXY_CONNECTION_LOST'));
  });

  test('an HTTP server on the socket address is garbage, not retried', () => {
    const text = 'HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';
    assert.throws(
      () => blocksOf(text),
      (err) => isPiperError(err, 'PIPER_HAPROXY_BAD_RESPONSE') && !err.retryable,
    );
  });

  test('bytes that are not UTF-8 (TLS, a binary protocol) are garbage', () => {
    const text = Buffer.from([0x16, 0x03, 0x01, 0xff, 0xfe, 0x0a, 0x0a]).toString('utf8');
    assert.throws(() => blocksOf(text), code('PIPER_HAPROXY_BAD_RESPONSE'));
  });

  test('more or fewer answers than commands is garbage', () => {
    assert.throws(() => blocksOf('\n\n\n', 2), code('PIPER_HAPROXY_BAD_RESPONSE'));
    assert.throws(() => blocksOf('\n', 2), code('PIPER_HAPROXY_BAD_RESPONSE'));
  });
});

describe('parseServersState', () => {
  test('reads weights, states and addresses by column name', () => {
    const [block] = blocksOf(recorded('servers-state.txt'));
    const [v1, h1] = parseServersState(block as string[]);
    assert.deepEqual(
      { ...v1 },
      {
        backend: 'web',
        backendId: 3,
        server: 'vendor.v1',
        serverId: 1,
        address: '127.0.0.1',
        port: 45516,
        operational: 'running',
        adminMask: 0,
        admin: 'ready',
        weight: 7,
        initialWeight: 10,
        checkResult: 'unknown',
      },
    );
    assert.equal(h1?.admin, 'drain');
    assert.equal(h1?.adminMask, 8);
    assert.equal(h1?.weight, 10);
  });

  test('maintenance wins over drain, and inherited or configured maintenance counts', () => {
    const [block] = blocksOf(recorded('servers-state.txt').replace(' 2 8 10 10 ', ' 0 9 10 10 ').replace(' 2 0 7 10 ', ' 0 4 7 10 '));
    const [v1, h1] = parseServersState(block as string[]);
    assert.equal(v1?.admin, 'maint');
    assert.equal(h1?.admin, 'maint');
    assert.equal(h1?.operational, 'stopped');
  });

  test("HAProxy's one-line refusal is a command failure with its words", () => {
    assert.throws(
      () => parseServersState(["Can't find backend."]),
      (err) => isPiperError(err, 'PIPER_HAPROXY_COMMAND_FAILED') && (err.details.message as string) === "Can't find backend.",
    );
  });

  test('a format version other than 1, a missing column or a short line is garbage', () => {
    const [block] = blocksOf(recorded('servers-state.txt'));
    const lines = block as string[];
    assert.throws(() => parseServersState(['2', ...lines.slice(1)]), code('PIPER_HAPROXY_BAD_RESPONSE'));
    assert.throws(
      () => parseServersState(['1', (lines[1] as string).replace('srv_uweight', 'srv_xweight'), ...lines.slice(2)]),
      code('PIPER_HAPROXY_BAD_RESPONSE'),
    );
    assert.throws(() => parseServersState([...lines.slice(0, 2), '3 web 1 vendor.v1']), code('PIPER_HAPROXY_BAD_RESPONSE'));
    assert.throws(
      () => parseServersState([...lines.slice(0, 2), (lines[2] as string).replace(' 7 10 ', ' seven 10 ')]),
      code('PIPER_HAPROXY_BAD_RESPONSE'),
    );
  });
});

describe('show stat', () => {
  test('CSV rows by type with every field by name', () => {
    const [block] = blocksOf(recorded('stat.csv'));
    const rows = parseStatCsv(block as string[]);
    assert.deepEqual(
      rows.map((r) => [r.proxy, r.service, r.type]),
      [
        ['f', 'FRONTEND', 'frontend'],
        ['web', 'vendor.v1', 'server'],
        ['web', 'inhouse.h1', 'server'],
        ['web', 'BACKEND', 'backend'],
      ],
    );
    const h1 = rows[2];
    assert.equal(h1?.fields.status, 'DRAIN');
    assert.equal(h1?.fields.addr, '127.0.0.1:45517');
    assert.equal(statNumber(h1 as (typeof rows)[0], 'weight'), 10);
    assert.equal(statNumber(h1 as (typeof rows)[0], 'qcur'), 0);
    assert.equal(statNumber(rows[0] as (typeof rows)[0], 'qcur'), null);
    assert.equal(rows[1]?.fields.check_status, '');
    assert.equal(rows[1]?.fields.status, 'no check');
  });

  test('typed rows carry the same fields as the CSV ones', () => {
    const csv = parseStatCsv(blocksOf(recorded('stat.csv'))[0] as string[]);
    const typed = parseStatTyped(blocksOf(recorded('stat-typed.txt'))[0] as string[]);
    assert.deepEqual(
      typed.map((r) => [r.proxy, r.service, r.type]),
      csv.map((r) => [r.proxy, r.service, r.type]),
    );
    for (const field of ['scur', 'qcur', 'status', 'weight', 'addr', 'stot']) {
      assert.deepEqual(
        typed.map((r) => r.fields[field] ?? ''),
        csv.map((r) => r.fields[field]),
        field,
      );
    }
  });

  test('quoted CSV fields keep their commas and doubled quotes', () => {
    const header =
      '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,last_chk,';
    const row = `web,s1,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,,,1,,,1,3,1,,0,,2,"Layer7 wrong status, code: ""503""",`;
    const [r] = parseStatCsv([header, row]);
    assert.equal(r?.fields.last_chk, 'Layer7 wrong status, code: "503"');
  });

  test('a refusal, a header-less answer, short rows and a bad type are errors', () => {
    assert.throws(() => parseStatCsv(['Permission denied']), code('PIPER_HAPROXY_COMMAND_FAILED'));
    assert.throws(() => parseStatCsv(['pxname,svname', 'a,b']), code('PIPER_HAPROXY_BAD_RESPONSE'));
    const [block] = blocksOf(recorded('stat.csv'));
    const lines = block as string[];
    assert.throws(() => parseStatCsv([lines[0] as string, 'web,s1,0,0']), code('PIPER_HAPROXY_BAD_RESPONSE'));
    assert.throws(() => parseStatCsv([lines[0] as string, `${lines[1] as string},"open`]), code('PIPER_HAPROXY_BAD_RESPONSE'));
    assert.throws(() => parseStatTyped(['S.3.1.0.pxname.1:KNS:str:web', 'garbage']), code('PIPER_HAPROXY_BAD_RESPONSE'));
  });
});

describe('show info', () => {
  test('fields by name', () => {
    const info = parseInfo(blocksOf(recorded('info.txt'))[0] as string[]);
    assert.equal(info.Name, 'HAProxy');
    assert.match(info.Version ?? '', /^2\.6\./);
    assert.equal(info.Nbthread, '1');
    assert.equal(info.DroppedLogs, '0');
  });

  test('an answer that is not show info is refused', () => {
    assert.throws(() => parseInfo(['Unknown command.']), code('PIPER_HAPROXY_COMMAND_FAILED'));
    assert.throws(() => parseInfo(['Name: HAProxy', 'garbage']), code('PIPER_HAPROXY_BAD_RESPONSE'));
    assert.throws(() => parseInfo(['Foo: 1', 'Bar: 2']), code('PIPER_HAPROXY_BAD_RESPONSE'));
  });
});

describe('commands', () => {
  test("command injection through a server name holding ';' is refused before the socket", () => {
    assert.throws(() => setWeightCommand('web', 'a;set server web/b state maint', 1), code('PIPER_HAPROXY_INVALID_ARGUMENT'));
    assert.throws(() => setStateCommand('web\nshutdown sessions server web/a', 'a', 'ready'), code('PIPER_HAPROXY_INVALID_ARGUMENT'));
    assert.throws(() => sessionLine(['show info;shutdown frontend f']), code('PIPER_HAPROXY_INVALID_ARGUMENT'));
    assert.throws(() => sessionLine(['show info\nshutdown frontend f']), code('PIPER_HAPROXY_INVALID_ARGUMENT'));
  });

  test('weights outside 0..256 and unknown states are refused', () => {
    assert.throws(() => setWeightCommand('web', 's', 257), code('PIPER_HAPROXY_INVALID_ARGUMENT'));
    assert.throws(() => setWeightCommand('web', 's', 1.5), code('PIPER_HAPROXY_INVALID_ARGUMENT'));
    assert.throws(() => setStateCommand('web', 's', 'down' as 'ready'), code('PIPER_HAPROXY_INVALID_ARGUMENT'));
    assert.equal(
      sessionLine([setWeightCommand('web', 'vendor.v1', 0), setStateCommand('web', 'vendor.v1', 'drain')]),
      'set server web/vendor.v1 weight 0;set server web/vendor.v1 state drain\n',
    );
  });
});
