import { garbage, unexpectedBlock } from './runtime-api-output.ts';

/** What a `show stat` row describes (its `type` column: 0..3). */
export type StatRowType = 'frontend' | 'backend' | 'server' | 'listener';

/** One row of `show stat`: a frontend, backend, server or listener, with every field by name. */
export interface StatRow {
  /** `pxname`: the frontend or backend. */
  proxy: string;
  /** `svname`: FRONTEND, BACKEND, or the server's or listener's name. */
  service: string;
  type: StatRowType;
  /** Every column by its name, as printed (empty when HAProxy leaves it empty). */
  fields: Readonly<Record<string, string>>;
}

const TYPES: readonly StatRowType[] = ['frontend', 'backend', 'server', 'listener'];
const TYPED_LETTERS: Readonly<Record<string, StatRowType>> = { F: 'frontend', B: 'backend', S: 'server', L: 'listener' };

/** A numeric field of a row, or null when empty or not a number (HAProxy leaves non-applicable ones empty). */
export function statNumber(row: StatRow, field: string): number | null {
  const v = row.fields[field];
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * Parses `show stat` in CSV (management guide §9.1): a `# pxname,svname,...` header, then one
 * row per object, comma-separated, a field double-quoted when it holds a comma or a quote (a
 * quote inside doubled). Fields are taken by header name, never by position.
 */
export function parseStatCsv(block: readonly string[], command = 'show stat'): StatRow[] {
  const header = block[0];
  if (header === undefined || !header.startsWith('# pxname,svname,')) {
    throw unexpectedBlock(command, block, 'no "# pxname,svname,..." header line');
  }
  const names = splitCsv(header.slice(2), header);
  const out: StatRow[] = [];
  for (let i = 1; i < block.length; i++) {
    const line = block[i] as string;
    const values = splitCsv(line, line);
    if (values.length < 33) throw garbage([command], line, `a row of ${values.length} fields`);
    const fields: Record<string, string> = {};
    for (let j = 0; j < names.length && j < values.length; j++) fields[names[j] as string] = values[j] as string;
    out.push(row(fields, line, command));
  }
  return out;
}

/**
 * Parses `show stat typed` (§9.2): one value per line, `T.iid.sid.pos.name.proc:ONS:type:value`,
 * an object's lines contiguous. The value is everything after the third colon (an address holds
 * colons of its own).
 */
export function parseStatTyped(block: readonly string[], command = 'show stat typed'): StatRow[] {
  const out: StatRow[] = [];
  let key = '';
  let fields: Record<string, string> | null = null;
  let first = '';
  const flush = (): void => {
    if (fields !== null) out.push(row(fields, first, command));
  };
  for (const line of block) {
    const m = /^([FBSL])\.(\d+)\.(\d+)\.(\d+)\.([a-z0-9_]+)\.(\d+):[A-Za-z]{3}:[a-z0-9]+:(.*)$/.exec(line);
    if (m === null) throw unexpectedBlock(command, block, `not a typed line: ${line.slice(0, 60)}`);
    const k = `${m[1]}.${m[2]}.${m[3]}`;
    if (k !== key) {
      flush();
      key = k;
      first = line;
      fields = { type: String(TYPES.indexOf(TYPED_LETTERS[m[1] as string] as StatRowType)) };
    }
    (fields as Record<string, string>)[m[5] as string] = m[7] as string;
  }
  flush();
  return out;
}

function row(fields: Record<string, string>, line: string, command: string): StatRow {
  const type = TYPES[Number(fields.type)];
  const proxy = fields.pxname;
  const service = fields.svname;
  if (type === undefined || proxy === undefined || service === undefined || proxy === '' || service === '') {
    throw garbage([command], line, 'a row without pxname, svname or a type of 0..3');
  }
  return { proxy, service, type, fields: Object.freeze(fields) };
}

/** One CSV line (RFC 4180 quoting, as §9.1 describes); a trailing comma ends the last field. */
function splitCsv(line: string, whole: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) throw garbage(['show stat'], whole, 'an unterminated quoted field');
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(value);
      if (i < line.length && line[i] !== ',') throw garbage(['show stat'], whole, 'text after a quoted field');
      i++;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma === -1 ? line.length : comma;
      out.push(line.slice(i, end));
      i = end + 1;
    }
    if (i === line.length) break;
  }
  return out;
}
