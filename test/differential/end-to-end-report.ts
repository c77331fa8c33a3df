import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EndToEndRun } from './end-to-end-run.ts';
import type { CaseRun } from './proxy-exchange.ts';

function cell(r: CaseRun): string {
  const statuses = r.statuses.length === 0 ? '—' : r.statuses.join(',');
  const verdict = r.failures.length === 0 ? 'ok' : '**FAIL**';
  return `${statuses}${r.closed ? ' (closed)' : ''} · ${r.backendRequests} · ${verdict}`;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/**
 * The run as markdown: one row per hand-made case (proxies side by side: statuses the client got,
 * requests the backends read, verdict), a summary of the mutants, and every failure spelled out.
 */
export function markdownReport(run: EndToEndRun): string {
  const hand = run.cases.length - run.mutants;
  const lines: string[] = [];
  lines.push(`# End-to-end differential: ${run.proxies.join(', ')}`);
  lines.push('');
  lines.push(
    `Each cell: statuses the client read · complete requests the backends read · verdict. ${hand} hand-made cases, ${run.mutants} mutants (seed ${run.seed}); ${Math.round(run.durationMs / 100) / 10} s.`,
  );
  lines.push('');
  lines.push(`| case | ${run.proxies.join(' | ')} |`);
  lines.push(`|---|${run.proxies.map(() => '---').join('|')}|`);
  for (let i = 0; i < hand; i++) {
    const c = run.cases[i];
    const todo = c?.todo === undefined ? '' : ` (${c.todo})`;
    lines.push(`| ${escapeCell(`${c?.name}${todo}`)} | ${(run.results[i] ?? []).map(cell).join(' | ')} |`);
  }
  lines.push('');
  lines.push('## Mutants');
  lines.push('');
  lines.push(`| proxy | passed | failed |`);
  lines.push('|---|---|---|');
  for (let k = 0; k < run.proxies.length; k++) {
    const runs = run.results.slice(hand).map((r) => r[k] as CaseRun);
    const failed = runs.filter((r) => r.failures.length > 0).length;
    lines.push(`| ${run.proxies[k]} | ${runs.length - failed} | ${failed} |`);
  }
  lines.push('');
  lines.push('## Failures');
  lines.push('');
  for (let i = 0; i < run.cases.length; i++) {
    for (const r of run.results[i] ?? []) {
      if (r.failures.length === 0) continue;
      lines.push(`- ${r.proxy}, ${escapeCell(r.case)}: ${r.failures.join('; ')} (backends read: ${r.backendSeen.join(', ') || 'nothing'})`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Writes `differential-report.md` and `differential-report.json` in `dir`; returns the markdown's path. */
export function writeReport(run: EndToEndRun, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const md = join(dir, 'differential-report.md');
  writeFileSync(md, markdownReport(run));
  writeFileSync(join(dir, 'differential-report.json'), `${JSON.stringify(run, null, 2)}\n`);
  return md;
}
