import type { ConfigIssue } from './config-issue.ts';
import { formatPath } from './config-issue.ts';

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed YAML tree, and `$$` by `$`.
 * Works on the tree rather than the text so that a value cannot inject YAML structure, and so
 * an unset variable is reported at the key that uses it.
 */
export function substituteEnv(
  node: unknown,
  env: Readonly<Record<string, string | undefined>>,
  issues: ConfigIssue[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof node === 'string') {
    return node.replace(REFERENCE, (whole, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '$';
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      issues.push({
        path: formatPath(path),
        message: `environment variable ${name} is not set: set it (a value that is not a secret may have a default: \${${name}:-default})`,
        value: whole,
      });
      return whole;
    });
  }
  if (Array.isArray(node)) return node.map((item, i) => substituteEnv(item, env, issues, [...path, i]));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) out[key] = substituteEnv(value, env, issues, [...path, key]);
    return out;
  }
  return node;
}
