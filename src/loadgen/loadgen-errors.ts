import { defineErrors } from '../core/index.ts';

/** The load generator's error codes: what each means and what to do (docs/errors.md is generated from them). */
export const loadgenErrors = defineErrors({
  PIPER_LOADGEN_INVALID_PLAN: {
    source: 'config',
    retryable: false,
    meaning:
      'An arrival plan was invalid: a rate or duration not above 0, a stage not `DURATION:RATE`, a spike not `FACTORx@START[:HOLD]` or starting after the plan ends, a replay `scale`/`compress` not above 0. The message names the flag.',
    whatToDo: 'Fix the named flag (`--rate`, `--duration`, `--stages`, `--spike`, `--scale`, `--compress`).',
  },
  PIPER_LOADGEN_INVALID_CURVE: {
    source: 'config',
    retryable: false,
    meaning:
      'A replay rate curve could not be read or parsed (not numeric CSV, not a JSON array of rates or `{t, rate}`, negative rate, times not increasing).',
    whatToDo: 'Fix the file at the line or item the message gives (format in docs/loadgen.md).',
  },
  PIPER_LOADGEN_INVALID_SCENARIO: {
    source: 'config',
    retryable: false,
    meaning:
      'A scenario YAML could not be read or failed validation; the message lists each problem with its key path (`requests.0.weight`).',
    whatToDo: 'Fix each listed key (format in docs/loadgen.md).',
  },
  PIPER_LOADGEN_INVALID_TARGET: {
    source: 'config',
    retryable: false,
    meaning: 'The target was missing, not a URL, or not `http://`/`https://`.',
    whatToDo: 'Give a URL such as `http://127.0.0.1:8080/`, or `target:` in the scenario.',
  },
  PIPER_LOADGEN_INVALID_THRESHOLD: {
    source: 'config',
    retryable: false,
    meaning: 'A `--threshold` was not `METRIC<LIMIT` with a known metric (`pNN`, `p(NN.N)`, `avg`, `max`, `errors`) and a unit.',
    whatToDo: 'Write it like `p99<200ms` or `errors<0.1%`.',
  },
  PIPER_LOADGEN_INVALID_SLO: {
    source: 'config',
    retryable: false,
    meaning: '`--slo` did not hold both `p99<…` and `errors<…` (above 0 %).',
    whatToDo: 'Write it like `p99<200ms,errors<0.1%`.',
  },
  PIPER_LOADGEN_INVALID_OPTIONS: {
    source: 'config',
    retryable: false,
    meaning:
      'Another flag or option was invalid (a count not a whole number, a header not `Name: value`, `--confidence` outside 0–100 %, `--require` not a factor such as `2x`). The message names it.',
    whatToDo: 'Fix the named flag; `--help` describes each.',
  },
  PIPER_LOADGEN_TARGET_FAILED: {
    source: 'upstream',
    retryable: true,
    meaning:
      '`piper loadtest`: no request got an HTTP answer (every one refused, reset or timed out); the message counts them by reason. The figures and the `--html` report are written first.',
    whatToDo: "Check that the target runs and listens at the URL's host and port (`curl -v URL`), then run again.",
  },
  PIPER_LOADGEN_WORKER_FAILED: {
    source: 'internal',
    retryable: false,
    meaning: 'A generator worker thread crashed.',
    whatToDo: 'Retry; report it with the message if it repeats. Running with `--workers 1` avoids threads.',
  },
  PIPER_LOADGEN_INTERRUPTED: {
    source: 'operator',
    retryable: false,
    meaning: 'A capacity search was interrupted (Ctrl-C) before it concluded; nothing was written or journaled.',
    whatToDo: 'Run it again.',
  },
  PIPER_LOADGEN_JOURNAL_POST_FAILED: {
    source: 'upstream',
    retryable: true,
    meaning:
      '`piper capacity --admin` could not record the result: the control plane was unreachable or refused it (the message gives the HTTP status). The `-o` file, if asked, was written first.',
    whatToDo: 'Check the URL and `--token`; post the `-o` file again with the journal API.',
  },
});

declare module '../core/piper-error.ts' {
  interface PiperErrorCodes extends Record<keyof typeof loadgenErrors, true> {}
}
