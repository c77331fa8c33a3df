import { readFileSync } from 'node:fs';

let table: Map<string, string> | undefined;

/**
 * What to do about an error code, from the "what to do" column of docs/errors.md: the one place
 * each code's advice is written (test/error-codes.test.ts keeps that table and the code in step).
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
  for (const line of text.split('\n')) {
    const m = /^\| `(PIPER_[A-Z0-9_]+)`/.exec(line);
    if (m === null) continue;
    // Cells are split on pipes that are not escaped (`\|` inside a cell).
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const todo = cells[3];
    if (todo) advice.set(m[1] as string, todo.replace(/`/g, '').replace(/\\\|/g, '|'));
  }
  return advice;
}
