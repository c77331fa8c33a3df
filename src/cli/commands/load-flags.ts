import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PiperError } from '../../core/index.ts';
import { HTTP_SENDER_KINDS, type HttpSenderKind, loadgenErrors } from '../../loadgen/index.ts';
import type { CliContext } from '../command.ts';

// Flag parsing shared by `piper loadtest` and `piper capacity`: every error names its flag.

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function optionsError(message: string, cause?: unknown): PiperError {
  return new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_OPTIONS, message, { ...(cause === undefined ? {} : { cause }) });
}

/** Runs a flag's parser; a unit or plain error becomes PIPER_LOADGEN_INVALID_OPTIONS naming the flag. */
export function parsed<T>(flag: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PiperError && err.code !== 'PIPER_CORE_INVALID_UNIT') throw err;
    throw optionsError(`--${flag}: ${(err as Error).message}`, err);
  }
}

/** A whole-number flag of at least `min` (1 by default), or `fallback` when absent. */
export function positiveInt(name: string, v: unknown, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw optionsError(`--${name}: expected a whole number ≥ ${min}, got "${String(v)}"`);
  return n;
}

/** A number flag above 0, or `fallback` when absent. */
export function positiveNumber(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!(n > 0)) throw optionsError(`--${name}: expected a number above 0, got "${String(v)}"`);
  return n;
}

/** Parses `--sender`: undefined (the default for the target's scheme), `raw` or `undici`. */
export function senderFlag(v: unknown): HttpSenderKind | undefined {
  if (v === undefined) return undefined;
  const kind = HTTP_SENDER_KINDS.find((k) => k === v);
  if (kind === undefined) throw optionsError(`--sender: expected raw or undici, got "${String(v)}"`);
  return kind;
}

/** Reads the `--scenario` file, if given, for resolveLoadTarget. */
export async function readScenarioFlag(ctx: CliContext, path: string | undefined): Promise<{ source: string; text: string } | undefined> {
  if (path === undefined) return undefined;
  const text = await readFile(resolve(ctx.cwd, path), 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new PiperError(loadgenErrors.PIPER_LOADGEN_INVALID_SCENARIO, `--scenario: cannot read ${path}: ${err.code ?? err.message}`);
  });
  return { source: path, text };
}
