import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadConfigFile } from '../../config/index.ts';
import { checkHaproxyConfig, DEAD_MAN_GUARD_LUA, renderHaproxyConfig } from '../../haproxy/index.ts';
import { type Command, ExitCode } from '../command.ts';
import { missingArgument } from '../usage-errors.ts';

/** `piper haproxy config`: the haproxy.cfg that puts HAProxy where piper's own balancer would be. */
export const haproxyConfigCommand: Command = {
  name: 'haproxy config',
  summary: "Print the haproxy.cfg for a piper.yaml's listeners, routes and pools",
  description:
    "Prints on stdout the haproxy.cfg that serves FILE's listeners, routes and pools with HAProxy:\n" +
    'one frontend per listener (TLS and HTTP/2 where a listener names tls.cert), routes matched as\n' +
    'piper matches them, one backend per route holding every pool (weight 0 outside its split) with server weights\n' +
    "that give each pool its share, health checks, retries, stickiness and timeouts mapped to HAProxy's\n" +
    'nearest settings, the Runtime API socket piper steers it through, and one log line per request\n' +
    "for piper's telemetry. The same file gives the same bytes. docs/haproxy.md lists what maps\n" +
    'exactly, what approximately and what not at all.\n\n' +
    'Relative paths (dataPlane.haproxy.statsSocket, .serverStateFile, listeners[].tls.cert) are\n' +
    'resolved against the working directory. A setting HAProxy cannot express is refused with its key\n' +
    'and the reason (exit 2), as `piper validate` does when dataPlane.kind is haproxy.\n\n' +
    "--guard FILE writes piper's dead-man guard (Lua) to FILE and has the config load it: an HAProxy\n" +
    'that piper up attaches to (dataPlane.haproxy.attach) needs it to run migrations (docs/adr/0002).\n' +
    'piper up writes its own into dataPlane.haproxy.runDir when it starts HAProxy.\n\n' +
    'Examples:\n' +
    '  piper haproxy config -c piper.yaml > haproxy.cfg\n' +
    '  piper haproxy config -c piper.yaml --guard /etc/haproxy/piper-guard.lua > /etc/haproxy/haproxy.cfg\n' +
    '  piper haproxy config -c piper.yaml --check > haproxy.cfg   # and have haproxy -c check it first\n' +
    '  PIPER_ADMIN_TOKEN=x piper haproxy config -c examples/piper.yaml | less',
  options: {
    config: { type: 'string', short: 'c', valueName: 'FILE', description: 'the piper.yaml to render (required)' },
    guard: { type: 'string', valueName: 'FILE', description: "write piper's dead-man guard to FILE and load it (lua-load)" },
    check: {
      type: 'boolean',
      description: 'have haproxy -c check the result first (dataPlane.haproxy.binary); its alerts and exit 2 if it refuses',
    },
  },
  async run(ctx, { values }) {
    const file = typeof values.config === 'string' ? values.config : undefined;
    if (file === undefined) {
      throw missingArgument('missing -c FILE (try: piper haproxy config -c piper.yaml)');
    }
    const config = await loadConfigFile(resolve(ctx.cwd, file), { env: ctx.env });
    const guard = typeof values.guard === 'string' ? resolve(ctx.cwd, values.guard) : undefined;
    const text = renderHaproxyConfig(config, { baseDir: ctx.cwd, source: file, ...(guard === undefined ? {} : { guardScript: guard }) });
    // Written before the check: haproxy -c loads the script too.
    if (guard !== undefined) await writeFile(guard, DEAD_MAN_GUARD_LUA);
    if (values.check === true) {
      await checkHaproxyConfig(text, { binary: config.dataPlane.haproxy.binary, searchPath: ctx.env.PATH });
    }
    ctx.stdout.write(text);
    return ExitCode.ok;
  },
};
