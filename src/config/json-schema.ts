import { z } from 'zod';
import { piperConfigSchema } from './schema.ts';

/** The JSON Schema of `piper.yaml` (input side: durations as text), for editor completion. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(piperConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    title: 'piper.yaml',
    description: 'Configuration of piper: listeners, pools, routes, health, overload, migrations, storage.',
  };
}
