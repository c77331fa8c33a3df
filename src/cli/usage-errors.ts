import { PiperError } from '../core/index.ts';
import { cliErrors } from './cli-errors.ts';

/** A required argument or flag was left out; the message shows a command line that has it. Exit code 2. */
export function missingArgument(message: string): PiperError {
  return new PiperError(cliErrors.PIPER_CLI_MISSING_ARGUMENT, message);
}

/** A flag's value is not one the command takes; the message says what it takes. Exit code 2. */
export function badFlag(message: string): PiperError {
  return new PiperError(cliErrors.PIPER_CLI_BAD_FLAG, message);
}
