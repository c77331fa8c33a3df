import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;

interface Rule {
  name: string;
  to: { path?: string; pathNot?: string[] };
}

/** What the boundary check allows, read back from its rules: part → [deps], with type-only deps marked. */
function enforced(): Map<string, string[]> {
  const config = createRequire(import.meta.url)(`${root}.dependency-cruiser.cjs`) as { forbidden: Rule[] };
  const table = new Map<string, string[]>();
  for (const rule of config.forbidden) {
    const part = /^boundary-(.+?)(-type-only)?$/.exec(rule.name);
    if (part === null) continue;
    const name = part[1] as string;
    if (part[2] === undefined) {
      const allowed = /^\^src\/\((.+)\)\/$/.exec(rule.to.pathNot?.[0] ?? '');
      const deps = (allowed?.[1] ?? '').split('|').filter((d) => d !== name);
      table.set(name, [...(table.get(name) ?? []), ...deps]);
    } else {
      const typeOnly = /^\^src\/\((.+)\)\/$/.exec(rule.to.path ?? '');
      for (const dep of (typeOnly?.[1] ?? '').split('|')) {
        table.set(
          name,
          (table.get(name) ?? []).map((d) => (d === dep ? `${d} (types)` : d)),
        );
      }
    }
  }
  return table;
}

/** The "Who may import whom" table of docs/architecture.md: part → [deps]; `a; types only: b, c` marks b and c. */
function documented(): Map<string, string[]> {
  const text = readFileSync(`${root}docs/architecture.md`, 'utf8');
  const section = text.slice(text.indexOf('## Who may import whom'));
  const table = new Map<string, string[]>();
  for (const m of section.matchAll(/^\| `([^`]+)\/` \| ([^|]+) \|$/gm)) {
    const cell = (m[2] as string).trim();
    const deps: string[] = [];
    for (const group of cell === 'nothing of ours' ? [] : cell.split('; ')) {
      const typesOnly = /^types only[^:]*: (.+)$/.exec(group);
      const names = (typesOnly?.[1] ?? group).split(',').map((d) => d.trim());
      deps.push(...names.map((d) => (typesOnly ? `${d} (types)` : d)));
    }
    table.set(m[1] as string, deps);
  }
  return table;
}

test('the import table of docs/architecture.md is the one the boundary check enforces', () => {
  const rules = enforced();
  const doc = documented();
  assert.ok(rules.size >= 12, `read ${rules.size} parts from the boundary rules`);
  const sorted = (m: Map<string, string[]>) => Object.fromEntries([...m].sort().map(([k, v]) => [k, [...v].sort()]));
  assert.deepEqual(sorted(doc), sorted(rules));
});
