// Piper's HTTP/1.1 parser (src/http1/http1-parser.ts) against llhttp, through node:http over
// loopback sockets: llhttp's own request and response cases as a table, then a bounded run of
// mutants. Piper may be stricter than llhttp; it fails when it reads other message boundaries or
// bodies, or accepts framing llhttp's lenient mode would put elsewhere (parse-outcome.ts has the
// verdicts). `npm run fuzz` runs the mutants for longer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CORPUS } from './corpus-seeds.ts';
import { compareOutcomes, FAILING_VERDICTS, type ParsedMessage, type ParseOutcome, type Verdict } from './parse-outcome.ts';
import { ParserDifferential } from './parser-differential.ts';
import { fuzzParser } from './parser-fuzz.ts';

const MUTANTS = 5000;
const SEED = 15;

function message(over: Partial<ParsedMessage>): ParsedMessage {
  return {
    method: 'POST',
    target: '/',
    status: 0,
    version: '1.1',
    keepAlive: true,
    upgrade: false,
    contentLength: ['5'],
    transferEncoding: [],
    body: 'hello',
    complete: true,
    ...over,
  };
}

function outcome(messages: ParsedMessage[], end: ParseOutcome['end'] = 'idle', error = ''): ParseOutcome {
  return { messages, end, error };
}

describe('the verdict rule', () => {
  it('fails a different body or boundary, and a framing leniency; allows piper to be stricter', () => {
    const one = outcome([message({})]);
    assert.equal(compareOutcomes(one, one).verdict, 'same');
    assert.equal(compareOutcomes(outcome([message({ body: 'hell' })]), one).verdict, 'mismatch');
    assert.equal(compareOutcomes(outcome([message({}), message({ method: 'GET' })]), one).verdict, 'mismatch');
    assert.equal(compareOutcomes(outcome([], 'error', 'invalid Content-Length'), one).verdict, 'piper-stricter');
    const refused = outcome([], 'error', 'HPE_UNEXPECTED_CONTENT_LENGTH Duplicate Content-Length');
    assert.equal(compareOutcomes(one, refused).verdict, 'lenient-framing');
    assert.equal(compareOutcomes(one, outcome([], 'error', 'HPE_INVALID_METHOD Invalid method')).verdict, 'piper-lenient');
    // Closing where llhttp keeps the connection is stricter; keeping it where llhttp closes is not.
    const closes = outcome([message({ keepAlive: false })]);
    assert.equal(compareOutcomes(closes, one).verdict, 'piper-stricter');
    assert.equal(compareOutcomes(one, closes).verdict, 'mismatch');
  });

  it('stops comparing where llhttp hands the connection over, or the connection closes', () => {
    const upgraded = outcome([message({ upgrade: true, body: '' })], 'upgrade');
    assert.equal(compareOutcomes(outcome([message({}), message({ method: 'GET' })]), upgraded).verdict, 'same');
    const closing = message({ keepAlive: false });
    assert.equal(compareOutcomes(outcome([closing, message({})]), outcome([closing], 'error', 'HPE_CLOSED_CONNECTION')).verdict, 'same');
  });
});

describe("piper's HTTP/1.1 parser against llhttp", () => {
  let d: ParserDifferential;
  const tally: Partial<Record<Verdict, string[]>> = {};

  before(async () => {
    d = await ParserDifferential.start();
  });

  after(async () => {
    await d.close();
    for (const v of ['piper-lenient', 'unjudged-framing'] as const) {
      if (tally[v] !== undefined) console.log(`# ${v} (${tally[v].length}): ${tally[v].join(' | ')}`);
    }
  });

  describe("llhttp's cases (test/request/*.md, test/response/*.md)", () => {
    for (const c of CORPUS) {
      it(c.name, async () => {
        // Also fed in pieces, cut after the first line, in the middle, and before the last bytes.
        const cuts = [c.bytes.indexOf(0x0a) + 1, c.bytes.length >> 1, c.bytes.length - 2];
        const r = await d.run(c.role, c.bytes, cuts);
        tally[r.verdict] = [...(tally[r.verdict] ?? []), c.name];
        assert.ok(!FAILING_VERDICTS.has(r.verdict), `${r.verdict}: ${r.detail}`);
      });
    }
  });

  // What longer runs (`npm run fuzz`) found, each closed in the parser: kept as cases of their own.
  const found: ['request' | 'response', string, string][] = [
    [
      'response',
      'a chunk size followed by spaces alone',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n25  \r\nThis is the data in the first chunk\r\n\r\n0\r\n\r\n',
    ],
    [
      'response',
      'a bare CR in a chunk extension',
      'HTTP/1.1 200 OK\r\nHost: localhost\r\nTransfer-encoding: chunked\r\n\r\n5 ;a\r\nhello\n6;blahblah;blah\rrld\r\n0\r\n\r\n',
    ],
    [
      'request',
      'a bare CR in a chunk extension',
      'POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5 ;a\r\nhello\r\n6;blahblah;blah\r world\r\n0\r\n',
    ],
    [
      'request',
      'a bare CR after a chunk extension',
      'POST / HTTP/1.1\r\nHost: localhost:5000\r\nTransfer-Encoding:  chunked \r\n\r\n5 ;a\rA\r\n0\r\n',
    ],
    [
      'response',
      'Transfer-Encoding: chunked and a tab',
      'HTTP/1.1 200 OK\r\nContent-Length-X: 0\r\nTransfer-Encoding: chunked\t\r\n\r\n2\r\nOK\r\n0\r\n\r\n',
    ],
    [
      'response',
      'Transfer-Encoding: chunked and a tab, after Upgrade',
      'HTTP/1.1 200 OK\r\nConnection: upgrade\r\nUpgrade: h2c\r\nTransfer-Encoding: chunked\t\r\n\r\n2\r\nbo\r\n2\r\ndy\r\n0\r\n\r\n',
    ],
    [
      'request',
      'HTTP/1.0 keep-alive, then close: piper closes (RFC 9112 §9.3)',
      'GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: keep-PUT /url HTTP/1.1\r\nConnection: close\r\n\r\n',
    ],
  ];
  for (const [role, name, input] of found) {
    it(`found by the long run (${role}): ${name}`, async () => {
      const r = await d.run(role, Buffer.from(input, 'latin1'), []);
      assert.ok(!FAILING_VERDICTS.has(r.verdict), `${r.verdict}: ${r.detail}`);
    });
  }

  it(`${MUTANTS} mutants of those cases (seed ${SEED}): no other boundary, no framing leniency`, async () => {
    const summary = await fuzzParser(d, { seed: SEED, more: (n) => n < MUTANTS });
    assert.equal(summary.inputs, MUTANTS);
    assert.deepEqual(
      summary.failures.map((f) => `${f.role} ${f.verdict}: ${f.input} (${f.detail})`),
      [],
    );
    assert.ok((summary.byVerdict.same ?? 0) > MUTANTS / 2, `most mutants should still parse alike: ${JSON.stringify(summary.byVerdict)}`);
  });
});
