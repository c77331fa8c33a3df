// Header names and methods most messages carry, as string literals: a known one costs a few byte
// compares instead of a new string, its lower-casing and a string-table lookup when it is stored.

/** Literals grouped by length, so a lookup compares only names as long as the candidate. */
function byLength(names: readonly string[]): (string[] | undefined)[] {
  const table: (string[] | undefined)[] = [];
  for (const n of names) {
    const list = table[n.length] ?? [];
    list.push(n);
    table[n.length] = list;
  }
  return table;
}

// Response names first within each length (the upstream side reads the most heads per request).
const KNOWN_NAMES = byLength([
  'via',
  'date',
  'etag',
  'vary',
  'host',
  'server',
  'cookie',
  'accept',
  'expect',
  'origin',
  'expires',
  'upgrade',
  'referer',
  'location',
  'connection',
  'keep-alive',
  'set-cookie',
  'user-agent',
  'retry-after',
  'content-type',
  'x-request-id',
  'accept-ranges',
  'cache-control',
  'last-modified',
  'authorization',
  'if-none-match',
  'content-length',
  'content-encoding',
  'accept-encoding',
  'accept-language',
  'x-forwarded-for',
  'transfer-encoding',
  'if-modified-since',
]);

const KNOWN_METHODS = byLength(['GET', 'PUT', 'POST', 'HEAD', 'PATCH', 'TRACE', 'DELETE', 'OPTIONS', 'CONNECT']);

/** The literal for a known header name in `b[s..e)` (any case; already checked to be a token), else null. */
export function knownName(b: Buffer, s: number, e: number): string | null {
  const list = KNOWN_NAMES[e - s];
  if (list === undefined) return null;
  next: for (const n of list) {
    for (let i = 0; i < n.length; i++) {
      // Token characters: `| 0x20` folds only letters onto lower case ('-' stays '-').
      if (((b[s + i] as number) | 0x20) !== n.charCodeAt(i)) continue next;
    }
    return n;
  }
  return null;
}

/** The literal for a standard method in `b[s..e)` (methods are case-sensitive: RFC 9110 §9.1), else null. */
export function knownMethod(b: Buffer, s: number, e: number): string | null {
  const list = KNOWN_METHODS[e - s];
  if (list === undefined) return null;
  next: for (const n of list) {
    for (let i = 0; i < n.length; i++) {
      if (b[s + i] !== n.charCodeAt(i)) continue next;
    }
    return n;
  }
  return null;
}
