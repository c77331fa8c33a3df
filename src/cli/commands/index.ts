import type { Command } from '../command.ts';
import { capacityCommand } from './capacity.ts';
import { compressCommand } from './compress.ts';
import { configSchemaCommand } from './config-schema.ts';
import { decompressCommand } from './decompress.ts';
import { demoCommand } from './demo.ts';
import { eventsCommand } from './events.ts';
import { incidentsAckCommand, incidentsCommand, incidentsListCommand } from './incidents.ts';
import { loadtestCommand } from './loadtest.ts';
import {
  migrateAbortCommand,
  migrateControllerCommand,
  migratePauseCommand,
  migratePromoteCommand,
  migrateResumeCommand,
  migrateStartCommand,
  migrateStatusCommand,
} from './migrate.ts';
import { postmortemCommand } from './postmortem.ts';
import { serveCommand } from './serve.ts';
import { upCommand } from './up.ts';
import { validateCommand } from './validate.ts';

/** Every registered subcommand, in the order `piper --help` lists them. */
export const commands: readonly Command[] = [
  demoCommand,
  validateCommand,
  configSchemaCommand,
  upCommand,
  serveCommand,
  compressCommand,
  decompressCommand,
  migrateStartCommand,
  migrateStatusCommand,
  migratePauseCommand,
  migrateResumeCommand,
  migratePromoteCommand,
  migrateAbortCommand,
  migrateControllerCommand,
  loadtestCommand,
  capacityCommand,
  eventsCommand,
  incidentsCommand,
  incidentsListCommand,
  incidentsAckCommand,
  postmortemCommand,
];
