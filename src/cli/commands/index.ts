import type { Command } from '../command.ts';
import { configSchemaCommand } from './config-schema.ts';
import { validateCommand } from './validate.ts';

/** Every registered subcommand, in the order `piper --help` lists them. */
export const commands: readonly Command[] = [validateCommand, configSchemaCommand];
