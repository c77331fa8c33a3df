import { readFileSync } from 'node:fs';

let table: Map<string, string> | undefined;

/**
 * What to do about an error code, from the "what to do" column of docs/errors.md, generated from
 * the parts' catalogues. Read from the file rather than the catalogues so that `piper` does not
 * load every part to report one error (commands are loaded lazily).
 * Undefined when the table is not there (an install without docs) or has no advice for the code.
 */
export function adviceFor(code: string): string | undefined {
  table ??= readAdvice();
  return table.get(code);
}

function readAdvice(): Map<string, string> {
  const advice = new Map<string, string>();
  let text: string;
  try {
    // Two levels up from src/cli/ (and from dist/cli/) is the package root.
    text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  } catch {
    return advice;
  }
  // Cells are split on pipes that are not escaped (`\|` inside a cell); the column is found by
  // its heading, so the table may gain columns.
  const cellsOf = (line: string) => line.split(/(?<!\\)\|/).map((c) => c.trim());
  let column = -1;
  for (const line of text.split('\n')) {
    if (line.startsWith('| code |')) column = cellsOf(line).indexOf('what to do');
    const m = /^\| `(PIPER_[A-Z0-9_]+)`/.exec(line);
    if (m === null || column < 0) continue;
    const todo = cellsOf(line)[column];
    if (todo) advice.set(m[1] as string, todo.replace(/`/g, '').replace(/\\\|/g, '|'));
  }
  return advice;
}
