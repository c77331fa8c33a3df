#!/usr/bin/env node
import { reexecForServer } from './commands/server-heap.ts';

// First, before anything else is loaded: the long-running commands (serve, up, loadtest, capacity)
// re-execute themselves (same pid) with a small young generation and two malloc arenas, which V8
// and glibc only take at start (src/cli/commands/server-heap.ts).
reexecForServer(process);
const { main } = await import('./main.ts');
const { StopSignal } = await import('./command.ts');

// The composition root: the only place that reads process.argv, process.env and the TTY state.
const controller = new AbortController();
let interrupts = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    controller.abort(new StopSignal(sig));
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
