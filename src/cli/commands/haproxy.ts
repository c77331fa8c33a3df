import { resolve } from 'node:path';
import { loadConfigFile } from '../../config/index.ts';
import { checkHaproxyConfig, renderHaproxyConfig } from '../../haproxy/index.ts';
import { type Command, ExitCode } from '../command.ts';

/** `piper haproxy config`: the haproxy.cfg that puts HAProxy where piper's own balancer would be. */
export const haproxyConfigCommand: Command = {
  name: 'haproxy config',
  summary: "Print the haproxy.cfg for a piper.yaml's listeners, routes and pools",
  description:
    "Prints on stdout the haproxy.cfg that serves FILE's listeners, routes and pools with HAProxy:\n" +
    'one frontend per listener (TLS and HTTP/2 where a listener names tls.cert), routes matched as\n' +
    'piper matches them, one backend per route holding every pool of its split with server weights\n' +
    "that give each pool its share, health checks, retries, stickiness and timeouts mapped to HAProxy's\n" +
    'nearest settings, the Runtime API socket piper steers it through, and one log line per request\n' +
    "for piper's telemetry. The same file gives the same bytes. docs/haproxy.md lists what maps\n" +
    'exactly, what approximately and what not at all.\n\n' +
    'Relative paths (dataPlane.haproxy.statsSocket, .serverStateFile, listeners[].tls.cert) are\n' +
    'resolved against the working directory. A setting HAProxy cannot express is refused with its key\n' +
    'and the reason (exit 2), as `piper validate` does when dataPlane.kind is haproxy.\n\n' +
    'Examples:\n' +
    '  piper haproxy config -c piper.yaml > haproxy.cfg\n' +
    '  piper haproxy config -c piper.yaml --check > haproxy.cfg   # and have haproxy -c check it first\n' +
    '  PIPER_ADMIN_TOKEN=x piper haproxy config -c examples/piper.yaml | less',
  options: {
    config: { type: 'string', short: 'c', valueName: 'FILE', description: 'the piper.yaml to render (required)' },
    check: {
      type: 'boolean',
      description: 'have haproxy -c check the result first (dataPlane.haproxy.binary); its alerts and exit 2 if it refuses',
    },
  },
  async run(ctx, { values }) {
    const file = typeof values.config === 'string' ? values.config : undefined;
    if (file === undefined) {
      ctx.stderr.write('piper haproxy config: missing -c FILE (try: piper haproxy config -c piper.yaml)\n');
      return ExitCode.usage;
    }
    const config = await loadConfigFile(resolve(ctx.cwd, file), { env: ctx.env });
    const text = renderHaproxyConfig(config, { baseDir: ctx.cwd, source: file });
    if (values.check === true) {
      await checkHaproxyConfig(text, { binary: config.dataPlane.haproxy.binary, searchPath: ctx.env.PATH });
    }
    ctx.stdout.write(text);
    return ExitCode.ok;
  },
};
