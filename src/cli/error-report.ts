import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { isPiperError, type PiperError } from '../core/index.ts';
import { type CliContext, ExitCode } from './command.ts';
import { adviceFor } from './error-advice.ts';
import { fromSystemError } from './system-error.ts';

/**
 * The one way an error reaches a person: `piper CMD: MESSAGE (CODE)`, the rest of a message that
 * lists problems, then what to do. A system error a person can fix (a port in use, a missing
 * path) is said as a piper error; anything else is a bug: one line, and the full trace in a file
 * (or here, with --verbose). Returns the exit code.
 */
export function reportError(err: unknown, ctx: Pick<CliContext, 'stderr'>, o: { command: string; verbose: boolean }): number {
  const known = isPiperError(err) ? err : fromSystemError(err);
  if (known !== undefined) {
    ctx.stderr.write(formatPiperError(known, o.command));
    return known.source === 'config' || known.source === 'operator' ? ExitCode.usage : ExitCode.failure;
  }
  const message = err instanceof Error ? err.message : String(err);
  const trace = inspect(err, { depth: 8 });
  const head = `piper${o.command === '' ? '' : ` ${o.command}`}: unexpected error: ${firstLine(message)} (${UNEXPECTED})\n`;
  if (o.verbose) {
    ctx.stderr.write(`${head}${trace}\n`);
    return ExitCode.failure;
  }
  const file = writeTrace(o.command, trace);
  ctx.stderr.write(
    file === undefined
      ? `${head}${trace}\n`
      : `${head}the full trace is in ${file} (or run again with --verbose); this is a piper bug: please report it with that file\n`,
  );
  return ExitCode.failure;
}

/** The code of an error piper did not foresee: a bug, reported with its trace. */
const UNEXPECTED = 'PIPER_CLI_UNEXPECTED';

/** Usage mistakes whose one line already names the fix ("did you mean --config?"): no second line. */
const SAYS_WHAT_TO_DO = new Set([
  'PIPER_CLI_UNKNOWN_COMMAND',
  'PIPER_CLI_MISSING_SUBCOMMAND',
  'PIPER_CLI_UNKNOWN_FLAG',
  'PIPER_CLI_MISSING_ARGUMENT',
  'PIPER_CLI_BAD_FLAG',
]);

/** `piper up: address 127.0.0.1:8080 is already in use (PIPER_CLI_ADDRESS_IN_USE)` and what to do. */
export function formatPiperError(err: PiperError, command: string): string {
  const [first = '', ...rest] = err.message.split('\n');
  // A message that introduces a list ("has 2 problem(s):") keeps its colon after the code.
  const colon = first.endsWith(':') && rest.length > 0;
  const lines = [
    `piper${command === '' ? '' : ` ${command}`}: ${colon ? first.slice(0, -1) : first} (${err.code})${colon ? ':' : ''}`,
    ...rest,
  ];
  // "cannot reach …: fetch failed" hides the reason in its cause: name it when the message does not.
  const under = fromSystemError(err.cause);
  if (under !== undefined && under.code !== err.code && !err.message.includes(String(under.details.systemCode)))
    lines.push(`because: ${under.message}`);
  const advice = SAYS_WHAT_TO_DO.has(err.code) ? undefined : adviceFor(err.code);
  if (advice !== undefined) lines.push(`what to do: ${advice}`);
  return `${lines.join('\n')}\n`;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

function writeTrace(command: string, trace: string): string | undefined {
  const file = join(tmpdir(), `piper-${command.replace(/\s+/g, '-')}-${process.pid}-${Date.now()}.log`);
  try {
    writeFileSync(file, `${trace}\n`, { flag: 'wx', mode: 0o600 });
    return file;
  } catch {
    // No temp folder to write to: the trace goes to stderr instead, so it is not lost.
    return undefined;
  }
}
