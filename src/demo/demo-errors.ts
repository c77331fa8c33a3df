import { defineErrors } from '../core/index.ts';

/** The demo's error codes: what each means and what to do (docs/errors.md is generated from them). */
export const demoErrors = defineErrors({
  PIPER_DEMO_START_TIMEOUT: {
    source: 'internal',
    retryable: false,
    meaning: 'A process the demo started did not print its listening line in time.',
    whatToDo: "Look at `processes.log` in the demo's folder (`--data-dir`) for its errors.",
  },
  PIPER_DEMO_PROCESS_EXITED: {
    source: 'internal',
    retryable: false,
    meaning: 'A process the demo started exited before it was listening.',
    whatToDo: "Look at `processes.log` in the demo's folder (`--data-dir`); a port or data folder may be in use.",
  },
});

declare module '../core/piper-error.ts' {
  interface PiperErrorCodes extends Record<keyof typeof demoErrors, true> {}
}
