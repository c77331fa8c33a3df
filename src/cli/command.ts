import type { ParseArgsConfig } from 'node:util';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliContext {
  argv0: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** True when stdout is a terminal: colour and live progress only then. */
  isTty: boolean;
  /** Aborted on SIGINT/SIGTERM; long-running commands stop and clean up. */
  signal: AbortSignal;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & {
  description: string;
  valueName?: string;
  /** Accepted but left out of --help and of "did you mean": an old name kept working (`--api`). */
  hidden?: boolean;
};

/** One `piper` subcommand. */
export interface Command {
  /** Words after `piper`, e.g. `validate` or `config schema`. */
  name: string;
  summary: string;
  /** Positional arguments as shown in usage, e.g. `FILE`. */
  args?: string;
  /** Longer help shown by `--help`: what it does and examples. */
  description?: string;
  options: Record<string, OptionSpec>;
  run(ctx: CliContext, input: CommandInput): Promise<number>;
}

/**
 * A command as the registry lists it: name and summary for `piper --help`, and the module loaded
 * only when the command runs, so `piper serve` does not carry the balancer, the dashboard and the
 * load generator in its memory.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export interface CommandInput {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/**
 * The reason `CliContext.signal` is aborted with when a signal stops the command: SIGINT is a
 * person's Ctrl-C ("interrupted", exit 130); SIGTERM is a supervisor stopping a service.
 */
export class StopSignal extends Error {
  readonly signalName: 'SIGINT' | 'SIGTERM';

  constructor(signalName: 'SIGINT' | 'SIGTERM') {
    super(`received ${signalName}`);
    this.name = 'StopSignal';
    this.signalName = signalName;
  }
}

/** Exit codes, documented in the README. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  thresholdsFailed: 99,
  interrupted: 130,
} as const;
