import { configJsonSchema } from '../../config/index.ts';
import { type Command, ExitCode } from '../command.ts';

export const configSchemaCommand: Command = {
  name: 'config schema',
  summary: 'Print the JSON Schema of piper.yaml (for editor completion)',
  description:
    'Prints the JSON Schema (draft 2020-12) of piper.yaml on stdout.\n\n' +
    'Example, for the YAML language server:\n' +
    '  piper config schema > piper.schema.json\n' +
    '  # then put "# yaml-language-server: $schema=./piper.schema.json" at the top of piper.yaml',
  options: {},
  async run(ctx) {
    ctx.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return ExitCode.ok;
  },
};
