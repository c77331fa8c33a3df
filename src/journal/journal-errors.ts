import { defineErrors } from '../core/index.ts';

/** The journal's error codes: what each means and what to do (docs/errors.md is generated from them). */
export const journalErrors = defineErrors({
  PIPER_JOURNAL_BAD_FILTER: {
    status: 400,
    source: 'operator',
    retryable: false,
    meaning:
      'An event query had a malformed parameter or flag (`since`, `until`, `kind`, `subject`, `afterId`, `limit`, or an unknown one); HTTP 400. The message names it.',
    whatToDo:
      'Times are ms since the epoch, an ISO date or a duration back (`15m`); kinds are dotted lower-case, or a prefix like `migration.*`; `limit` 1 to 10000.',
  },
  PIPER_JOURNAL_BAD_EVENT: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning:
      "An appended event was invalid: kind not dotted lower-case, unknown `source`, `data` not an object, a field too long, or an unknown field in the API body; through the API also a kind other than `operator.note`/`capacity.result`, or data that does not match the kind's catalogue entry. The message names the field (`event data.capacityRps …`).",
    whatToDo: 'Fix the named field (docs/journal.md, "Event catalogue").',
  },
  PIPER_JOURNAL_EVENT_MISMATCH: {
    source: 'internal',
    retryable: false,
    meaning:
      'A part of piper wrote an event that does not match the event catalogue, in a test or development run (`NODE_ENV=test` or `development`); the message names the kind and the field. Other runs log it and record the event.',
    whatToDo: 'A bug in the writer, or a catalogue entry to update (src/journal/event-catalogue*.ts, docs/journal.md).',
  },
  PIPER_JOURNAL_BAD_REQUEST: {
    status: 400,
    source: 'downstream',
    retryable: false,
    meaning:
      'Another malformed journal API request: a missing `actor` on ack, `format` not md/html/json, `tz` not an IANA zone, an unknown query parameter.',
    whatToDo: 'Follow docs/api.md "Journal".',
  },
  PIPER_JOURNAL_BAD_INCIDENT_ID: {
    status: 400,
    source: 'operator',
    retryable: false,
    meaning: 'An incident id was not a positive integer (HTTP 400, or a CLI argument).',
    whatToDo: 'Use the id `piper incidents` lists.',
  },
  PIPER_JOURNAL_INCIDENT_NOT_FOUND: {
    status: 404,
    source: 'operator',
    retryable: false,
    meaning: 'No incident has that id, or none is recorded yet.',
    whatToDo: 'Check `piper incidents`.',
  },
  PIPER_JOURNAL_METHOD_NOT_ALLOWED: {
    status: 405,
    source: 'downstream',
    retryable: false,
    meaning: 'A journal API path was called with the wrong method (HTTP 405; `Allow` says which).',
    whatToDo: 'Use the method in docs/api.md.',
  },
  PIPER_JOURNAL_OPEN_FAILED: {
    source: 'config',
    retryable: false,
    meaning:
      'The journal file could not be opened or created (missing directory, not a journal, missing with `--db` read-only), or the PostgreSQL server could not be reached or its migrations applied at open.',
    whatToDo: 'Check the path (`storage.path`, `--db`) and its directory, or `storage.url` and the server.',
  },
  PIPER_JOURNAL_READ_ONLY: {
    status: 503,
    source: 'internal',
    retryable: false,
    meaning: 'A write reached a journal that is read-only (file, mount, or opened read-only); HTTP 503. Nothing was written.',
    whatToDo: 'Make the file and its directory writable by piper, or point `storage.path` elsewhere.',
  },
  PIPER_JOURNAL_DISK_FULL: {
    status: 507,
    source: 'internal',
    retryable: true,
    meaning:
      'The disk is full, or the journal reached its size cap (`maxSizeBytes`); HTTP 507, retryable. Nothing of that write was kept; earlier events are intact.',
    whatToDo: 'Free disk space or raise the cap; `journal.dropped` events count what the buffered path lost.',
  },
  PIPER_JOURNAL_STORAGE_FAILED: {
    status: 500,
    source: 'internal',
    retryable: false,
    meaning:
      'Another SQLite error (I/O error, busy past the 5 s timeout, corruption), or a PostgreSQL one (connection lost or refused, statement or call timeout; `details.errcode` is the SQLSTATE); the message quotes the database.',
    whatToDo: 'Check the disk and the file; retry when `retryable`.',
  },
  PIPER_JOURNAL_CLOSED: {
    source: 'internal',
    retryable: false,
    meaning: 'The journal was used after `close()`.',
    whatToDo: 'A shutdown-order bug: close the journal last.',
  },
  PIPER_NOT_LEADER: {
    status: 409,
    source: 'operator',
    retryable: false,
    meaning:
      'A write reached a control plane that is not (or no longer) the leader: a rollout request sent to a follower, or a fenced journal write whose lease term or holder moved on (a leader deposed while stopped). Nothing was written; the message names the leader and its term.',
    whatToDo: 'Send the request to the leader the message names (its URL when it advertises one); a deposed leader steps down on its own.',
  },
  PIPER_JOURNAL_BAD_LEASE: {
    source: 'internal',
    retryable: false,
    meaning: 'A lease was asked for with an empty or overlong name or holder, or a ttl that is not a positive whole number of ms.',
    whatToDo: 'A bug in the caller: the message names the argument.',
  },
  PIPER_JOURNAL_BAD_POLICY: {
    source: 'config',
    retryable: false,
    meaning: 'An alert policy had an invalid window or threshold (short window under 1 s or not shorter than the long one, burn ≤ 0).',
    whatToDo: 'Fix the named field of the policy.',
  },
  PIPER_JOURNAL_BAD_FLAGS: {
    source: 'operator',
    retryable: false,
    meaning:
      '`piper events`/`incidents`/`postmortem` got conflicting or invalid flags (`--db` with `--admin`, `-o` with `--out-dir`, `--format`, `--tz`).',
    whatToDo: "See the command's `--help`.",
  },
  PIPER_JOURNAL_BAD_ADMIN_URL: {
    source: 'operator',
    retryable: false,
    meaning: '`--admin` was not a URL.',
    whatToDo: "Give piper up's admin URL, e.g. `http://127.0.0.1:9901`.",
  },
  PIPER_JOURNAL_REMOTE_FAILED: {
    source: 'upstream',
    retryable: true,
    meaning: "The control plane's journal API could not be reached or answered an error without a piper code.",
    whatToDo: 'Check `--admin`, `--token` and that `piper up` runs.',
  },
  PIPER_JOURNAL_POSTMORTEM_NOT_WRITTEN: {
    source: 'operator',
    retryable: false,
    meaning:
      "`piper postmortem` (or the demo) could not write the postmortem into its folder: not writable, not a folder, or 1000 copies of that incident's postmortem there already. Nothing was replaced.",
    whatToDo: 'Check the folder (`--out-dir`, `--data-dir`), or print it with `-o -`.',
  },
});

declare module '../core/piper-error.ts' {
  interface PiperErrorCodes extends Record<keyof typeof journalErrors, true> {}
}
