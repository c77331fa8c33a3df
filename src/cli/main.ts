import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isPiperError } from '../core/index.ts';
import { type CliContext, type Command, type CommandEntry, ExitCode, type OptionSpec } from './command.ts';
import { commands } from './commands/index.ts';

/** The package version, read from package.json (two levels up in src/ and in dist/ alike). */
export function piperVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs `piper ARGS...` and returns the exit code; never calls process.exit itself. */
export async function main(
  args: readonly string[],
  ctx: CliContext,
  registry: readonly (Command | CommandEntry)[] = commands,
): Promise<number> {
  const first = args[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? findCommand(args.slice(1), registry) : undefined;
    ctx.stdout.write(topic ? commandHelp(await load(topic.command)) : globalHelp(registry));
    return ExitCode.ok;
  }
  if (first === '--version' || first === '-v') {
    ctx.stdout.write(`piper ${piperVersion()}\n`);
    return ExitCode.ok;
  }
  const found = findCommand(args, registry);
  if (found === undefined) {
    const group = registry.filter((c) => c.name.startsWith(`${first} `));
    if (group.length > 0) {
      ctx.stderr.write(`piper ${first}: missing subcommand; one of: ${group.map((c) => c.name.slice(first.length + 1)).join(', ')}\n`);
    } else {
      ctx.stderr.write(`piper: unknown command "${first}"; run "piper --help" for the list\n`);
    }
    return ExitCode.usage;
  }
  const { rest } = found;
  const command = await load(found.command);
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout.write(commandHelp(command));
    return ExitCode.ok;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...rest], options: stripDescriptions(command.options), allowPositionals: true, strict: true });
  } catch (err) {
    ctx.stderr.write(`piper ${command.name}: ${(err as Error).message}\n(see "piper ${command.name} --help")\n`);
    return ExitCode.usage;
  }
  try {
    return await command.run(ctx, { values: parsed.values, positionals: parsed.positionals });
  } catch (err) {
    if (isPiperError(err)) {
      ctx.stderr.write(`piper ${command.name}: ${err.message} [${err.code}]\n`);
      return err.source === 'config' || err.source === 'operator' ? ExitCode.usage : ExitCode.failure;
    }
    ctx.stderr.write(`piper ${command.name}: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return ExitCode.failure;
  }
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

function stripDescriptions(options: Record<string, OptionSpec>): NonNullable<Parameters<typeof parseArgs>[0]>['options'] {
  const out: Record<string, Omit<OptionSpec, 'description' | 'valueName'>> = {};
  for (const [key, { description: _d, valueName: _v, ...spec }] of Object.entries(options)) out[key] = spec;
  return out as NonNullable<Parameters<typeof parseArgs>[0]>['options'];
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
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage or invalid config, 99 thresholds failed, 130 interrupted',
    '',
  ].join('\n');
}

function commandHelp(command: Command): string {
  const opts = Object.entries(command.options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.valueName ?? name.toUpperCase().replace(/-/g, '_')}` : ''}`;
    const def = spec.default !== undefined ? ` (default: ${String(spec.default)})` : '';
    return { flag, text: `${spec.description}${spec.multiple ? ' (repeatable)' : ''}${def}` };
  });
  opts.push({ flag: '-h, --help', text: 'show this help' });
  const width = Math.max(...opts.map((o) => o.flag.length));
  return [
    `Usage: piper ${command.name}${command.args ? ` ${command.args}` : ''}${Object.keys(command.options).length ? ' [options]' : ''}`,
    '',
    command.summary,
    ...(command.description ? ['', command.description] : []),
    '',
    'Options:',
    ...opts.map((o) => `  ${o.flag.padEnd(width)}  ${o.text}`),
    '',
  ].join('\n');
}
