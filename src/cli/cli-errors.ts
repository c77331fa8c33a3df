import { defineErrors } from '../core/index.ts';

/** The CLI's error codes: what each means and what to do (docs/errors.md is generated from them). */
export const cliErrors = defineErrors({
  PIPER_CLI_UNKNOWN_COMMAND: {
    source: 'operator',
    retryable: false,
    meaning: 'No command (or subcommand of a group) has that name; the message suggests the closest one.',
    whatToDo: 'Run the command it suggests, or `piper --help` for the list.',
  },
  PIPER_CLI_MISSING_SUBCOMMAND: {
    source: 'operator',
    retryable: false,
    meaning: 'A group (`piper migrate`, `piper config`) was run without one of its subcommands.',
    whatToDo: 'Add one of the subcommands listed; `piper GROUP --help` describes them.',
  },
  PIPER_CLI_UNKNOWN_FLAG: {
    source: 'operator',
    retryable: false,
    meaning: 'A flag the command does not take; the message suggests the closest one.',
    whatToDo: 'Use the flag it suggests; `piper COMMAND --help` lists them.',
  },
  PIPER_CLI_MISSING_ARGUMENT: {
    source: 'operator',
    retryable: false,
    meaning:
      'A required argument or flag was left out (`piper validate` without FILE, `piper capacity` without `--slo`); the message shows a command line that has it.',
    whatToDo: 'Add it as the message shows.',
  },
  PIPER_CLI_BAD_FLAG: {
    source: 'operator',
    retryable: false,
    meaning: 'A flag that takes a value was given none, or one that takes none was given a value.',
    whatToDo: 'Write it as `--flag VALUE` (or without a value for a switch), as `piper COMMAND --help` shows.',
  },
  PIPER_CLI_OUTPUT_UNWRITABLE: {
    source: 'operator',
    retryable: false,
    meaning:
      'A file or folder the command would write (`--html`, `--output`, `--out-dir`, `--data-dir`) cannot be written: its folder is missing, is a file, or is not writable. Checked before any work starts (before a load test sends traffic).',
    whatToDo: 'Create the folder, or name a path this user may write to.',
  },
  PIPER_CLI_ADDRESS_IN_USE: {
    source: 'internal',
    retryable: true,
    meaning: 'The address and port to listen on are taken by another process (EADDRINUSE). Nothing was left on disk.',
    whatToDo: "Stop the process holding the port (`ss -ltnp` names it) or choose another port (`--port`, or the config's `port`).",
  },
  PIPER_CLI_PERMISSION_DENIED: {
    source: 'internal',
    retryable: false,
    meaning: 'The system refused to listen on the address (a port under 1024 without privileges) or to open the path (EACCES, EPERM).',
    whatToDo: 'Use a port from 1024 up, or give the user access to the path named.',
  },
  PIPER_CLI_NOT_FOUND: {
    source: 'internal',
    retryable: false,
    meaning: 'A file or folder the command needed does not exist (ENOENT); the message names the path.',
    whatToDo: 'Check the path (relative paths start from the current folder).',
  },
  PIPER_CLI_CONNECTION_REFUSED: {
    source: 'upstream',
    retryable: true,
    meaning: 'Nothing listens at the address the command connects to (ECONNREFUSED).',
    whatToDo: 'Start the server there (`piper up`), or give the right URL (`--admin`, `$PIPER_ADMIN`).',
  },
  PIPER_CLI_UNEXPECTED: {
    source: 'internal',
    retryable: false,
    meaning: 'An error piper did not foresee: a bug. The full trace is written to a file in the temp folder, named in the message.',
    whatToDo: 'Report it with that file (or run again with `--verbose` to print the trace).',
  },
  PIPER_CONTROL_NO_RELOAD: {
    status: 501,
    source: 'operator',
    retryable: false,
    meaning: 'A reload (`POST /api/v1/reload`) was asked of `piper control`, which does not reload piper.yaml. Nothing changed.',
    whatToDo: 'Restart it with the new file; while it is down a follower leads, and it rejoins as a follower.',
  },
});

declare module '../core/piper-error.ts' {
  interface PiperErrorCodes extends Record<keyof typeof cliErrors, true> {}
}
