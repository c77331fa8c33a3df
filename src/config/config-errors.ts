import { defineErrors } from '../core/index.ts';

/** The config loader's error codes: what each means and what to do (docs/errors.md is generated from them). */
export const configErrors = defineErrors({
  PIPER_CONFIG_UNREADABLE: {
    source: 'config',
    retryable: false,
    meaning: 'The config file could not be read (missing, permissions).',
    whatToDo: "Check the path given with `--config` and the file's permissions.",
  },
});

declare module '../core/piper-error.ts' {
  interface PiperErrorCodes extends Record<keyof typeof configErrors, true> {}
}
