import { resolve } from 'node:path';
import { PiperError, SeededRandom, SystemClock } from '../../core/index.ts';
import { Narrator, runDemo } from '../../demo/index.ts';
import { findHaproxy, haproxyErrors } from '../../haproxy/index.ts';
import { type Command, ExitCode } from '../command.ts';
import { checkOutputFolder } from '../output-path.ts';
import { createStyle, renderTable } from '../terminal-style.ts';
import { badFlag } from '../usage-errors.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary: "Replay Pied Piper's afternoon of 31 March 2017 with piper in front (npm start)",
  description:
    'Starts three vendor servers and two in-house servers (piper serve, the in-house ones with a\n' +
    'small emulated capacity), piper up with the balancer, control plane and dashboard, and beta\n' +
    'traffic that grows. Then, narrated with timestamps:\n' +
    '  Act 1  steady traffic on the vendor pool\n' +
    '  Act 2  a move of all traffic to the in-house pool: refused, no capacity proof\n' +
    '  Act 3  the capacity test of the in-house pool: below twice the peak, refused again\n' +
    '  Act 4  the operator overrides the gate; traffic moves in steps; the judge rolls back\n' +
    '  Act 5  the incident opens and resolves; the postmortem is written into --data-dir (else the\n' +
    '         current folder) as postmortem-<date>-incident-<id>.md, never over an earlier one\n' +
    'and a closing table compares 2017 with this run. Everything runs on 127.0.0.1; every process\n' +
    'the demo starts is stopped when it ends.\n\n' +
    "With --data-plane haproxy, HAProxy serves the traffic instead of piper's own balancer: piper up\n" +
    'starts it, steers it over its stats socket and judges it from its log lines; the story is the same.\n\n' +
    'Examples:\n' +
    '  npm start                          # the demo; stays up for the dashboard until Ctrl-C\n' +
    '  npm start -- --data-plane haproxy  # the same afternoon with HAProxy in front\n' +
    '  piper demo --fast --exit           # about a minute and a half, then quit',
  options: {
    fast: { type: 'boolean', description: 'compress the timeline (under 90 s)' },
    exit: { type: 'boolean', description: 'quit after the summary instead of keeping the dashboard up' },
    'data-plane': {
      type: 'string',
      valueName: 'KIND',
      description: "what serves the traffic: piper (piper's own balancer, default) or haproxy",
    },
    seed: { type: 'string', valueName: 'N', description: 'seed of the traffic generator, for repeatable runs (default: 2017)' },
    'data-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'keep data, config and process logs here (default: a temporary folder, removed)',
    },
  },
  async run(ctx, { values }) {
    const seedText = typeof values.seed === 'string' ? values.seed : '2017';
    if (!/^\d+$/.test(seedText)) {
      throw badFlag(`--seed must be a whole number, got "${seedText}"`);
    }
    const dataPlane = values['data-plane'] ?? 'piper';
    if (dataPlane !== 'piper' && dataPlane !== 'haproxy') {
      throw badFlag(`--data-plane must be piper or haproxy, got "${String(dataPlane)}"`);
    }
    if (dataPlane === 'haproxy') {
      try {
        findHaproxy({ binary: 'haproxy', searchPath: ctx.env.PATH });
      } catch (err) {
        throw new PiperError(
          haproxyErrors.PIPER_HAPROXY_NOT_INSTALLED,
          '--data-plane haproxy needs HAProxy, which is not installed: apt-get install haproxy',
          {
            cause: err,
          },
        );
      }
    }
    if (typeof values['data-dir'] === 'string') checkOutputFolder('--data-dir', resolve(ctx.cwd, values['data-dir']), ctx.cwd);
    const clock = new SystemClock();
    const style = createStyle(ctx.isTty && ctx.env.NO_COLOR === undefined);
    const narrator = new Narrator(ctx.stdout, clock, style);
    narrator.raw(style.bold("piper demo: Pied Piper's afternoon of 31 March 2017, with piper in front"));
    const outcome = await runDemo({
      fast: values.fast === true,
      exit: values.exit === true,
      dataPlane,
      seed: Number(seedText),
      cwd: ctx.cwd,
      ...(typeof values['data-dir'] === 'string' ? { dataDir: values['data-dir'] } : {}),
      clock,
      random: new SeededRandom(Number(seedText)),
      narrator,
      signal: ctx.signal,
      renderTable,
    });
    // Stopped by the demo (SIGTERM) or by the same Ctrl-C as the demo (SIGINT, exit 130) is a normal end.
    const stuck = Object.entries(outcome.exits).filter(([, code]) => ![0, 130, 'SIGTERM', 'SIGINT'].includes(code));
    if (stuck.length > 0) narrator.warn(`processes that did not exit cleanly: ${stuck.map(([n, c]) => `${n} (${c})`).join(', ')}`);
    return ExitCode.ok;
  },
};
