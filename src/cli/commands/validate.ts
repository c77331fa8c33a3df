import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { configErrors, type ConfigResult, formatIssue, parseConfig } from '../../config/index.ts';
import { PiperError } from '../../core/index.ts';
import { haproxyConfigIssues } from '../../haproxy/index.ts';
import { type Command, ExitCode } from '../command.ts';
import { createStyle } from '../terminal-style.ts';
import { missingArgument } from '../usage-errors.ts';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check a piper.yaml and report every problem at once',
  args: 'FILE',
  description:
    `Reads FILE, substitutes environment references (\${NAME}, \${NAME:-default}), and validates it against the schema.\n` +
    'Every problem is printed with its path, the value found and what was expected.\n' +
    'With dataPlane.kind: haproxy, a setting HAProxy cannot express is a problem too, with the reason\n' +
    '(docs/haproxy.md); relative paths are resolved against the working directory.\n' +
    'Exit code 0 when valid, 2 when invalid or unreadable.\n\n' +
    'Examples:\n  piper validate examples/piper.yaml\n  piper validate --json piper.yaml',
  options: {
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  async run(ctx, { values, positionals }) {
    const style = createStyle(ctx.isTty && ctx.env.NO_COLOR === undefined);
    const file = positionals[0];
    if (file === undefined) {
      throw missingArgument('missing FILE (try: piper validate piper.yaml)');
    }
    let text: string;
    try {
      text = await readFile(resolve(ctx.cwd, file), 'utf8');
    } catch (err) {
      throw new PiperError(
        configErrors.PIPER_CONFIG_UNREADABLE,
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const result = withDataPlaneIssues(parseConfig(text, { env: ctx.env, source: file }), ctx.cwd);
    if (values.json === true) {
      ctx.stdout.write(`${JSON.stringify(result.ok ? { valid: true, file } : { valid: false, file, issues: result.issues }, null, 2)}\n`);
      return result.ok ? ExitCode.ok : ExitCode.usage;
    }
    if (result.ok) {
      const c = result.config;
      ctx.stdout.write(
        `${style.green('✓')} ${file} is valid: ${Object.keys(c.pools).length} pool(s), ${c.routes.length} route(s), ${c.listeners.length} listener(s)${c.dataPlane.kind === 'haproxy' ? ', for HAProxy' : ''}\n`,
      );
      return ExitCode.ok;
    }
    ctx.stdout.write(`${style.red('✗')} ${file} has ${result.issues.length} problem(s):\n`);
    for (const issue of result.issues) ctx.stdout.write(`  ${formatIssue(issue)}\n`);
    return ExitCode.usage;
  },
};

/** With the HAProxy data plane asked for, what HAProxy cannot express is refused here, not when it fails to start. */
function withDataPlaneIssues(result: ConfigResult, cwd: string): ConfigResult {
  if (!result.ok || result.config.dataPlane.kind !== 'haproxy') return result;
  const issues = haproxyConfigIssues(result.config, { baseDir: cwd });
  return issues.length === 0 ? result : { ok: false, issues };
}
