import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import ts from 'typescript';

// The page's JavaScript is checked against the server's types (src/dashboard/web/tsconfig.json,
// run by `npm run typecheck`). Issue 18 began with a guess: a reader took `d.verdict` for a
// decision's verdict where the event holds `d.judge.verdict`, and nothing failed. Here the page's
// own program is compiled with such guesses written into copies of real files (in memory: the
// compiler host hands tsc the changed text), and tsc must refuse each one, and nothing else.

const web = new URL('../src/dashboard/web/', import.meta.url);

/** A wrong guess written into a copy of one of the page's files. */
interface Guess {
  file: string;
  /** Text the file holds today (the test fails loudly if it no longer does). */
  reads: string;
  guess: string;
  /** The field that does not exist where the guess reads it. */
  missing: string;
}

const GUESSES: Guess[] = [
  // The decisions table reads the reasons of a judged window under `judge`, as the journal keeps them.
  {
    file: 'views/migration-evidence.js',
    reads: '(d.judge ? d.judge.reasons :',
    guess: '(d.judge ? d.reasons :',
    missing: 'reasons',
  },
  // A telemetry window's per-pool requests, as the store turns them into rates.
  {
    file: 'store.js',
    reads: 'requests += w.pools?.[pool]?.requests ?? 0;',
    guess: 'requests += w.pools?.[pool]?.count ?? 0;',
    missing: 'count',
  },
  // A pool of the state snapshot, as the pool page's heading counts its healthy backends.
  {
    file: 'views/pool.js',
    reads: 'text: `${p.healthyBackends}/${p.backends.length} healthy',
    guess: 'text: `${p.healthy}/${p.backends.length} healthy',
    missing: 'healthy',
  },
];

/** Diagnostics of the page's program, as `tsc -p src/dashboard/web/tsconfig.json` reports them, with the guesses written in. */
function diagnosticsWith(guesses: readonly Guess[]): readonly ts.Diagnostic[] {
  const configPath = new URL('tsconfig.json', web).pathname;
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    },
  );
  assert.ok(config, `${configPath} could not be read`);
  const changed = new Map<string, string>();
  for (const g of guesses) {
    const path = new URL(g.file, web).pathname;
    const text = readFileSync(path, 'utf8');
    assert.ok(text.includes(g.reads), `${g.file} no longer holds ${g.reads}: pick another line for this test`);
    changed.set(path, (changed.get(path) ?? text).replace(g.reads, g.guess));
  }
  const host = ts.createCompilerHost(config.options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const text = changed.get(fileName);
    return text === undefined ? read(fileName, languageVersion, ...rest) : ts.createSourceFile(fileName, text, languageVersion);
  };
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
  return ts.getPreEmitDiagnostics(program);
}

test('the dashboard refuses to build when a view reads a field the server does not send', { timeout: 120_000 }, () => {
  const diagnostics = diagnosticsWith(GUESSES);
  const found = diagnostics.map((d) => ({
    file: d.file?.fileName.slice(web.pathname.length) ?? '(no file)',
    code: d.code,
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }));
  for (const g of GUESSES) {
    assert.ok(
      found.some((f) => f.file === g.file && f.code === 2339 && f.message.includes(`Property '${g.missing}' does not exist`)),
      `tsc let ${g.file} read "${g.missing}": ${JSON.stringify(found)}`,
    );
  }
  // Exactly the guesses: the page as it is type-checks cleanly.
  assert.equal(found.length, GUESSES.length, JSON.stringify(found, null, 2));
});
