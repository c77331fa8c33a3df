// The balancer beside nginx and HAProxy from Debian, each in front of its own echo backends,
// sent the same raw bytes: hand-made smuggling, routing and response-side cases, and a bounded
// number of mutants. A case fails when a backend reads a request the proxy did not forward as
// such, or a client gets an answer that is not its own (rules in test/differential/proxy-exchange.ts).
// Only piper's verdicts are asserted; nginx's and HAProxy's stand beside them in the report
// (written to a temp folder, its path printed). `npm run fuzz -- --e2e` runs more mutants.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ATTACK_CASES } from '../differential/attack-cases.ts';
import { type EndToEndRun, runEndToEnd } from '../differential/end-to-end-run.ts';
import { writeReport } from '../differential/end-to-end-report.ts';
import { HAPROXY, NGINX, requireDebianBinary } from '../differential/proxies-under-test.ts';
import type { CaseRun } from '../differential/proxy-exchange.ts';

const MUTANTS = 24;
const SEED = 15;

describe('end-to-end differential: piper beside nginx and HAProxy', () => {
  let run: EndToEndRun | null = null;

  before(async () => {
    requireDebianBinary(NGINX, 'nginx');
    requireDebianBinary(HAPROXY, 'haproxy');
    run = await runEndToEnd({ seed: SEED, mutants: MUTANTS });
    const report = writeReport(run, mkdtempSync(join(tmpdir(), 'piper-differential-')));
    console.log(`# differential report: ${report}`);
  });

  /** Piper's run of case `i`. */
  const piper = (i: number): CaseRun => {
    assert.ok(run !== null, 'the end-to-end run did not complete');
    const k = run.proxies.indexOf('piper');
    return run.results[i]?.[k] as CaseRun;
  };

  it('has nginx and HAProxy from Debian to compare with', () => {
    requireDebianBinary(NGINX, 'nginx');
    requireDebianBinary(HAPROXY, 'haproxy');
  });

  ATTACK_CASES.forEach((c, i) => {
    it(c.name, c.todo === undefined ? {} : { todo: c.todo }, () => {
      const r = piper(i);
      assert.deepEqual(r.failures, [], `backends read: ${r.backendSeen.join(', ') || 'nothing'}; client got ${JSON.stringify(r.statuses)}`);
    });
  });

  it(`survives ${MUTANTS} mutated requests (seed ${SEED}) without a backend reading what it did not forward`, () => {
    const failed = Array.from({ length: MUTANTS }, (_, m) => piper(ATTACK_CASES.length + m)).filter((r) => r.failures.length > 0);
    assert.deepEqual(
      failed.map((r) => `${r.case}: ${r.failures.join('; ')}`),
      [],
    );
  });

  it('agrees with nginx and HAProxy on the controls', () => {
    assert.ok(run !== null);
    ATTACK_CASES.forEach((c, i) => {
      if (!c.name.startsWith('control:')) return;
      for (const r of run?.results[i] ?? []) assert.deepEqual(r.failures, [], `${r.proxy} on ${c.name}`);
    });
  });
});
