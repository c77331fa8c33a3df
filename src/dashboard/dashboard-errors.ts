/**
 * The dashboard's error codes: what each means and what to do (docs/errors.md is generated from
 * them). Plain data: the dashboard imports nothing of ours, and raises no PiperError.
 */
export const dashboardErrors = {
  PIPER_DASHBOARD_SIGNED_OUT: {
    status: 401,
    source: 'operator',
    retryable: false,
    meaning:
      'An API request from the dashboard had no session, or its session expired (idle 30 min, at most 12 h) or was lost when `piper up` restarted.',
    whatToDo: 'Sign in again with the admin or read-only token.',
  },
  PIPER_DASHBOARD_BAD_TOKEN: {
    status: 401,
    source: 'operator',
    retryable: false,
    meaning: 'The sign-in token is neither the admin token nor the read-only token.',
    whatToDo: 'Use `admin.token` or `admin.readToken` from piper.yaml.',
  },
  PIPER_DASHBOARD_TOO_MANY_SIGN_INS: {
    status: 429,
    source: 'downstream',
    retryable: true,
    meaning:
      'Ten sign-ins from one address (or 100 from all addresses) failed or are under way within a minute; sign-ins are refused until the minute ends, with the right token too (HTTP 429, `Retry-After`).',
    whatToDo: 'Wait the seconds in `Retry-After`, then sign in with the right token.',
  },
  PIPER_DASHBOARD_CSRF: {
    status: 403,
    source: 'downstream',
    retryable: false,
    meaning:
      "A state-changing request (sign-in and sign-out included) had no `Origin`, another origin's, or `Sec-Fetch-Site` other than `same-origin`, or (signed in) lacked the session's `x-piper-csrf` token.",
    whatToDo: 'Act from the dashboard page itself; scripts should use the admin API with a bearer token instead.',
  },
  PIPER_DASHBOARD_READ_ONLY: {
    status: 403,
    source: 'operator',
    retryable: false,
    meaning: 'A session signed in with the read-only token tried to change something.',
    whatToDo: 'Sign in with the admin token to act.',
  },
  PIPER_DASHBOARD_BAD_REQUEST: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning:
      'The request target or the sign-in body was malformed: not JSON, over 4 KiB, or without a string `token` (HTTP 400, 413 or 415); or the request itself was not valid HTTP/1.1, its head was over 16 KiB, or it did not arrive in time (HTTP 400, 431 or 408; the connection is closed).',
    whatToDo: 'Send `{"token": "..."}` as `application/json`.',
  },
  PIPER_DASHBOARD_MISDIRECTED_REQUEST: {
    status: 421,
    source: 'downstream',
    retryable: false,
    meaning:
      "The request's `Host` is not a name the dashboard listener answers to: not the address it was reached on (nor a loopback name on loopback), nor in `dashboard.allowedHosts`. Refused so a page on another name cannot reach the dashboard through DNS rebinding.",
    whatToDo: 'Open the dashboard by its address, or add the name you use to `dashboard.allowedHosts`.',
  },
  PIPER_DASHBOARD_METHOD_NOT_ALLOWED: {
    status: 405,
    source: 'downstream',
    retryable: false,
    meaning: 'The method is not served on that path, e.g. a POST to a page asset (HTTP 405, `Allow` lists the methods).',
    whatToDo: 'Use a method from `Allow`.',
  },
  PIPER_DASHBOARD_NOT_FOUND: {
    status: 404,
    source: 'downstream',
    retryable: false,
    meaning: 'No page asset or API path of that name.',
    whatToDo: 'Check the path; API paths are listed in docs/api.md.',
  },
  PIPER_DASHBOARD_API_FAILED: {
    status: 500,
    source: 'internal',
    retryable: false,
    meaning: 'The control-plane API handler threw instead of answering. The error is logged by `piper up`; the browser gets only the code.',
    whatToDo: 'A bug in the part that serves the path: report it with the log line.',
  },
  PIPER_DASHBOARD_INTERNAL: {
    status: 500,
    source: 'internal',
    retryable: false,
    meaning: 'The dashboard itself failed while answering, e.g. a page asset could not be read. The error is logged by `piper up`.',
    whatToDo: 'Check the install (`dist/dashboard/web/` must exist) and report the log line.',
  },
} as const;
