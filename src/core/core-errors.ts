import { defineErrors } from './piper-error.ts';

/** Core's error codes: what each means and what to do (docs/errors.md is generated from them). */
export const coreErrors = defineErrors({
  PIPER_CORE_BAD_JSON: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning: 'A request body was not valid JSON.',
    whatToDo: "Send a JSON body; the message quotes the parser's complaint.",
  },
  PIPER_CORE_BODY_TOO_LARGE: {
    status: 413,
    source: 'downstream',
    retryable: false,
    meaning: "A JSON request body was over the API's limit.",
    whatToDo: 'Send a smaller body.',
  },
  PIPER_CORE_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    source: 'downstream',
    retryable: false,
    meaning: 'A request body was not sent as `application/json`.',
    whatToDo: 'Set `content-type: application/json`.',
  },
  PIPER_CORE_INVALID_UNIT: {
    source: 'config',
    retryable: false,
    meaning: 'A duration, size, rate or percentage could not be parsed; the message quotes the text.',
    whatToDo: 'Write it as the message shows: `250ms`, `1m30s`, `64KiB`, `500/s`, `99.9%`.',
  },
  // In core, not config: data-plane checks its own `dataPlanes` section of piper.yaml and may not import config.
  PIPER_CONFIG_INVALID: {
    source: 'config',
    retryable: false,
    meaning: 'The config failed validation; the message lists every problem with its path.',
    whatToDo: 'Fix each listed key; `piper validate FILE` shows the same list.',
  },
});

declare module './piper-error.ts' {
  interface PiperErrorCodes extends Record<keyof typeof coreErrors, true> {}
}
