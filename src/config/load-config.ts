import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { coreErrors, PiperError } from '../core/index.ts';
import { closestName } from './closest-name.ts';
import { type ConfigIssue, formatIssue, formatPath, valueAt } from './config-issue.ts';
import { referenceIssues } from './config-references.ts';
import { substituteEnv } from './env-substitution.ts';
import { knownKeysAt } from './known-keys.ts';
import { type PiperConfig, piperConfigSchema } from './schema.ts';
import { configErrors } from './config-errors.ts';

export interface ParseConfigOptions {
  /** Variables for `${NAME}` substitution; none when omitted. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Shown in messages (a file name). */
  source?: string;
}

export type ConfigResult = { ok: true; config: PiperConfig } | { ok: false; issues: ConfigIssue[] };

/** Parses and validates config text, collecting every problem rather than stopping at the first. */
export function parseConfig(text: string, options: ParseConfigOptions = {}): ConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      // One line per error: where, then the parser's own sentence (without its copy of the source).
      issues: doc.errors.map((e) => {
        const at = lineCounter.linePos(e.pos[0]);
        return {
          path: '',
          message: `YAML syntax error at line ${at.line}, column ${at.col}: ${e.message.split('\n')[0]}`,
          value: undefined,
        };
      }),
    };
  }
  const raw: unknown = doc.toJS() ?? {};
  return validateConfig(raw, options);
}

/** Validates an already-parsed tree (from YAML, JSON or code). */
export function validateConfig(raw: unknown, options: ParseConfigOptions = {}): ConfigResult {
  const issues: ConfigIssue[] = [];
  const substituted = substituteEnv(raw, options.env ?? {}, issues);
  const result = piperConfigSchema.safeParse(substituted);
  if (!result.success) {
    const envPaths = new Set(issues.map((i) => i.path));
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        // One issue per key, at the key itself, so the path points at the typo.
        for (const key of issue.keys) {
          const path = [...issue.path, key];
          const meant = closestName(key, knownKeysAt(issue.path));
          const message = meant === undefined ? 'unknown key' : `unknown key; did you mean "${meant}"?`;
          issues.push({ path: formatPath(path), message, value: valueAt(substituted, path) });
        }
        continue;
      }
      const path = formatPath(issue.path);
      // An unset variable already explains why the value at this key is wrong.
      if (envPaths.has(path)) continue;
      issues.push({ path, message: issue.message, value: valueAt(substituted, issue.path) });
    }
  }
  // Cross-references are checked whatever else is wrong, so one run reports every problem.
  issues.push(...referenceIssues(substituted));
  if (issues.length > 0) return { ok: false, issues };
  if (!result.success) throw new Error('unreachable: zod failed without issues');
  return { ok: true, config: deepFreeze(result.data) };
}

/** Reads, parses and validates a config file; throws `PIPER_CONFIG_INVALID` listing every issue. */
export async function loadConfigFile(file: string, options: ParseConfigOptions = {}): Promise<PiperConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PiperError(configErrors.PIPER_CONFIG_UNREADABLE, `cannot read config file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return unwrapConfig(parseConfig(text, { ...options, source: file }), file);
}

/** Returns the config or throws one error that lists every issue. */
export function unwrapConfig(result: ConfigResult, source = 'config'): PiperConfig {
  if (result.ok) return result.config;
  const lines = result.issues.map((i) => `  ${formatIssue(i)}`).join('\n');
  throw new PiperError(coreErrors.PIPER_CONFIG_INVALID, `${source} has ${result.issues.length} problem(s):\n${lines}`, {
    details: { issues: result.issues },
  });
}

/** The defaults of every key, as `piper up` runs with no file. */
export function defaultConfig(): PiperConfig {
  return unwrapConfig(validateConfig({}), 'defaults');
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
