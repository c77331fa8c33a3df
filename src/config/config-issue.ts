/** One problem in a config file, with the dotted path of the key it concerns. */
export interface ConfigIssue {
  /** `pools.inhouse.backends[1].url`; empty for the whole document. */
  path: string;
  message: string;
  /** The value found at the path (undefined when the key is missing). */
  value: unknown;
}

/** Formats a zod-style path (`['pools', 'a', 'backends', 1]`) as `pools.a.backends[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$-]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** Reads the value at a path in a plain tree, or undefined. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** `pools.a.url: must be an http:// or https:// URL (got "ftp://x")` */
export function formatIssue(issue: ConfigIssue): string {
  // A problem of the whole document (a YAML syntax error) says where it is in its message.
  if (issue.path === '' && issue.value === undefined) return issue.message;
  const where = issue.path === '' ? '(document)' : issue.path;
  const got = issue.value === undefined ? 'missing' : `got ${JSON.stringify(issue.value)}`;
  return `${where}: ${issue.message} (${got})`;
}
