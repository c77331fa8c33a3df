#!/usr/bin/env node
import { main } from './main.ts';

// The composition root: the only place that reads process.argv, process.env and the TTY state.
const controller = new AbortController();
let interrupts = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    controller.abort(new Error(`received ${sig}`));
  });
}

const code = await main(process.argv.slice(2), {
  argv0: 'piper',
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  isTty: process.stdout.isTTY === true,
  signal: controller.signal,
});
process.exitCode = code;
