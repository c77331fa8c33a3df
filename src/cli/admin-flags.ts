import type { CliContext, CommandInput } from './command.ts';

/**
 * Where the commands that talk to a running piper find it, one way for all of them (events,
 * incidents, postmortem, migrate, capacity): `--admin URL` or `$PIPER_ADMIN`, and `--token` or
 * `$PIPER_ADMIN_TOKEN`, the same variable examples/piper.yaml reads for `admin.token`, so one
 * `export` serves the server and the commands. The older names still work, unlisted: `--api`
 * (migrate), `--control-plane` (capacity) and `$PIPER_API`, `$PIPER_TOKEN`.
 */
export function adminUrlOf(ctx: Pick<CliContext, 'env'>, values: CommandInput['values']): string | undefined {
  return str(values.admin) ?? str(values.api) ?? str(values['control-plane']) ?? ctx.env.PIPER_ADMIN ?? ctx.env.PIPER_API;
}

/** `--token`, else `$PIPER_ADMIN_TOKEN` (else the older `$PIPER_TOKEN`). */
export function adminTokenOf(ctx: Pick<CliContext, 'env'>, values: CommandInput['values']): string | undefined {
  return str(values.token) ?? nonEmpty(ctx.env.PIPER_ADMIN_TOKEN) ?? nonEmpty(ctx.env.PIPER_TOKEN);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === '' ? undefined : v;
}
