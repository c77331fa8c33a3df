import { defineErrors } from '../core/index.ts';

/** The control-plane HTTP layer's own error codes (docs/errors.md is generated from them). */
export const controlApiErrors = defineErrors({
  PIPER_CONTROL_API_INVALID_SSE_FIELD: {
    source: 'internal',
    retryable: false,
    meaning: 'A server-sent event name or id contained CR, LF or NUL, which would break the event stream.',
    whatToDo: 'Use single-line event names and ids.',
  },
});

declare module '../core/piper-error.ts' {
  interface PiperErrorCodes extends Record<keyof typeof controlApiErrors, true> {}
}
