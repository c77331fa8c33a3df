import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { closestName } from '../config/index.ts';
import { PiperError } from '../core/index.ts';
import { type CliContext, type Command, type CommandEntry, ExitCode, type OptionSpec, StopSignal } from './command.ts';
import { commands } from './commands/index.ts';
import { reportError } from './error-report.ts';
import { cliErrors } from './cli-errors.ts';

/** The package version, read from package.json (two levels up in src/ and in dist/ alike). */
export function piperVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs `piper ARGS...` and returns the exit code; never calls process.exit itself. */
export async function main(
  argv: readonly string[],
  ctx: CliContext,
  registry: readonly (Command | CommandEntry)[] = commands,
): Promise<number> {
  // --verbose is global: it may stand anywhere before a `--`, and no command sees it.
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  const verbose = argv.slice(0, end).includes('--verbose');
  const args = verbose ? argv.filter((a, i) => i >= end || a !== '--verbose') : argv;
  const first = args[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? findCommand(args.slice(1), registry) : undefined;
    const group = first === 'help' && args[1] !== undefined ? registry.filter((c) => c.name.startsWith(`${args[1]} `)) : [];
    if (topic !== undefined) ctx.stdout.write(commandHelp(await load(topic.command), registry));
    else ctx.stdout.write(group.length > 0 ? groupHelp(args[1] as string, group) : globalHelp(registry));
    return ExitCode.ok;
  }
  if (first === '--version' || first === '-v') {
    ctx.stdout.write(`piper ${piperVersion()}\n`);
    return ExitCode.ok;
  }
  const found = findCommand(args, registry);
  if (found === undefined) {
    const group = registry.filter((c) => c.name.startsWith(`${first} `));
    const asked = args[1];
    if (group.length > 0 && (asked === '--help' || asked === '-h')) {
      ctx.stdout.write(groupHelp(first, group));
      return ExitCode.ok;
    }
    return reportError(unknownCommand(first, asked, group, registry), ctx, { command: group.length > 0 ? first : '', verbose });
  }
  const { rest } = found;
  const command = await load(found.command);
  const name = command.name;
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout.write(commandHelp(command, registry));
    return ExitCode.ok;
  }
  let code: number;
  try {
    code = await command.run(ctx, parseFlags(command, rest));
  } catch (err) {
    // What fails because the person stopped the command (a connection cut as the servers stop)
    // is not news to them: they hear that it was interrupted.
    if (ctx.signal.aborted) return interrupted(ctx, name);
    return reportError(err, ctx, { command: name, verbose });
  }
  // A command stopped by Ctrl-C, or one that says it was cut short by a signal, ends the same way.
  const reason: unknown = ctx.signal.reason;
  const ctrlC = reason instanceof StopSignal && reason.signalName === 'SIGINT';
  return ctx.signal.aborted && (ctrlC || code === ExitCode.interrupted) ? interrupted(ctx, name) : code;
}

/** Ctrl-C: one line, exit 130, whatever the command was doing. */
function interrupted(ctx: CliContext, command: string): number {
  ctx.stderr.write(`piper ${command}: interrupted\n`);
  return ExitCode.interrupted;
}

function load(entry: Command | CommandEntry): Promise<Command> {
  return 'run' in entry ? Promise.resolve(entry) : entry.load();
}

function findCommand<T extends { name: string }>(
  args: readonly string[],
  registry: readonly T[],
): { command: T; rest: string[] } | undefined {
  let best: { command: T; rest: string[] } | undefined;
  for (const command of registry) {
    const words = command.name.split(' ');
    if (words.every((w, i) => args[i] === w) && (best === undefined || words.length > best.command.name.split(' ').length)) {
      best = { command, rest: args.slice(words.length) };
    }
  }
  return best;
}

/** `piper lodtest`, `piper migrate strat`, `piper migrate`: what was meant, by edit distance, or the list. */
function unknownCommand(
  first: string,
  asked: string | undefined,
  group: readonly { name: string }[],
  registry: readonly { name: string }[],
): PiperError {
  if (group.length > 0) {
    const subcommands = group.map((c) => c.name.slice(first.length + 1));
    const list = `one of: ${subcommands.join(', ')}`;
    if (asked === undefined || asked.startsWith('-')) {
      return new PiperError(cliErrors.PIPER_CLI_MISSING_SUBCOMMAND, `missing subcommand, ${list}`);
    }
    const meant = closestName(asked, subcommands);
    return new PiperError(
      cliErrors.PIPER_CLI_UNKNOWN_COMMAND,
      `unknown subcommand "${asked}"; ${meant !== undefined ? `did you mean "piper ${first} ${meant}"?` : list}`,
    );
  }
  const meant = closestName(first, new Set(registry.map((c) => c.name.split(' ')[0] as string)));
  return new PiperError(
    cliErrors.PIPER_CLI_UNKNOWN_COMMAND,
    `unknown command "${first}"; ${meant !== undefined ? `did you mean "piper ${meant}"?` : 'run "piper --help" for the list'}`,
  );
}

/** Parses a command's flags; a misspelt flag gets the closest real one, any other mistake one plain sentence. */
function parseFlags(command: Command, rest: readonly string[]): { values: Record<string, FlagValue>; positionals: string[] } {
  const options = command.options;
  const end = rest.includes('--') ? rest.indexOf('--') : rest.length;
  for (let i = 0; i < end; i++) {
    const arg = rest[i] as string;
    if (!arg.startsWith('-') || arg === '-') continue;
    const long = arg.startsWith('--');
    const flag = long ? (arg.slice(2).split('=')[0] as string) : arg.slice(1, 2);
    const spec = long ? options[flag] : Object.values(options).find((o) => o.short === flag);
    if (spec !== undefined) {
      // The next word is this flag's value, whatever it looks like (`--seed -1`).
      if (spec.type === 'string' && !arg.includes('=') && (long || arg.length === 2)) i++;
      continue;
    }
    const visible = Object.entries(options).filter(([, o]) => o.hidden !== true);
    const meant = long
      ? closestName(
          flag,
          visible.map(([n]) => n),
        )
      : undefined;
    throw new PiperError(
      cliErrors.PIPER_CLI_UNKNOWN_FLAG,
      `unknown flag ${long ? '--' : '-'}${flag}; ${meant !== undefined ? `did you mean --${meant}?` : `see "piper ${command.name} --help" for the flags`}`,
    );
  }
  try {
    const parsed = parseArgs({ args: [...rest], options: parseOptions(options), allowPositionals: true, strict: true });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (err) {
    // What is left is a flag without its value, or a value given to a flag that takes none.
    const spec = Object.entries(options).find(([n]) => (err as Error).message.includes(`--${n}`));
    const message =
      spec === undefined
        ? `${(err as Error).message.replace(/['"]/g, '')}`
        : spec[1].type === 'string'
          ? `--${spec[0]} needs a value (${valueName(spec[0], spec[1])})`
          : `--${spec[0]} takes no value`;
    throw new PiperError(cliErrors.PIPER_CLI_BAD_FLAG, `${message}; see "piper ${command.name} --help"`);
  }
}

type FlagValue = string | boolean | (string | boolean)[] | undefined;

function parseOptions(options: Record<string, OptionSpec>): NonNullable<Parameters<typeof parseArgs>[0]>['options'] {
  const out: Record<string, Omit<OptionSpec, 'description' | 'valueName' | 'hidden'>> = {};
  for (const [key, { description: _d, valueName: _v, hidden: _h, ...spec }] of Object.entries(options)) out[key] = spec;
  return out as NonNullable<Parameters<typeof parseArgs>[0]>['options'];
}

function valueName(name: string, spec: OptionSpec): string {
  return spec.valueName ?? name.toUpperCase().replace(/-/g, '_');
}

function globalHelp(registry: readonly { name: string; summary: string }[]): string {
  const width = Math.max(...registry.map((c) => c.name.length));
  const lines = registry.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'piper: keeps a web platform up through traffic surges and server migrations',
    '',
    'Usage: piper <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  -h, --help     show help (also "piper <command> --help")',
    '  -v, --version  print the version',
    '  --verbose      print the full trace of an unexpected error instead of writing it to a file',
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage or invalid config, 99 thresholds failed, 130 interrupted',
    '',
  ].join('\n');
}

/** `piper migrate --help`: the group's subcommands, each with its summary. */
function groupHelp(group: string, members: readonly { name: string; summary: string }[]): string {
  const width = Math.max(...members.map((c) => c.name.length));
  return [
    `Usage: piper ${group} <subcommand> [options]`,
    '',
    'Subcommands:',
    ...members.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run "piper ${group} <subcommand> --help" for its options.`,
    '',
  ].join('\n');
}

function commandHelp(command: Command, registry: readonly { name: string; summary: string }[] = []): string {
  const opts = Object.entries(command.options)
    .filter(([, spec]) => spec.hidden !== true)
    .map(([name, spec]) => {
      const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${valueName(name, spec)}` : ''}`;
      const def = spec.default !== undefined ? ` (default: ${String(spec.default)})` : '';
      return { flag, text: `${spec.description}${spec.multiple ? ' (repeatable)' : ''}${def}` };
    });
  opts.push({ flag: '-h, --help', text: 'show this help' });
  const width = Math.max(...opts.map((o) => o.flag.length));
  // A command that is also a group (`piper incidents`, `piper incidents ack`) lists its subcommands too.
  const members = registry.filter((c) => c.name.startsWith(`${command.name} `));
  const sub = members.length > 0 ? ['', 'Subcommands:', ...members.map((c) => `  ${c.name}  ${c.summary}`)] : [];
  return [
    `Usage: piper ${command.name}${command.args ? ` ${command.args}` : ''}${Object.keys(command.options).length ? ' [options]' : ''}`,
    '',
    command.summary,
    ...(command.description ? ['', command.description] : []),
    '',
    'Options:',
    ...opts.map((o) => `  ${o.flag.padEnd(width)}  ${o.text}`),
    ...sub,
    '',
  ].join('\n');
}
