/**
 * The PostgreSQL journal's schema, as numbered migrations applied in order at open (one
 * transaction, under {@link MIGRATION_LOCK}); `schema_migrations` records which ran. Never edit a
 * released migration: add the next number. Text columns that are compared as ranges or sorted
 * use the "C" collation, so prefixes and key order are by code point, as in the SQLite store.
 */
export const POSTGRES_MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE events (
  id BIGSERIAL PRIMARY KEY,
  time BIGINT NOT NULL,
  kind TEXT COLLATE "C" NOT NULL,
  source TEXT NOT NULL,
  subject TEXT COLLATE "C" NOT NULL,
  data JSONB NOT NULL,
  actor TEXT NOT NULL
);
CREATE INDEX events_time ON events (time);
CREATE INDEX events_kind ON events (kind, id);
CREATE INDEX events_subject ON events (subject, id);
CREATE TABLE state (
  key TEXT COLLATE "C" PRIMARY KEY,
  value JSONB NOT NULL,
  event_id BIGINT NOT NULL
);
CREATE TABLE samples (
  route TEXT COLLATE "C" NOT NULL,
  time BIGINT NOT NULL,
  body JSONB NOT NULL,
  PRIMARY KEY (route, time)
);
CREATE INDEX samples_time ON samples (time);
`,
  },
  {
    version: 2,
    sql: `
CREATE TABLE leases (
  name TEXT COLLATE "C" PRIMARY KEY,
  holder TEXT NOT NULL,
  term BIGINT NOT NULL,
  info JSONB NOT NULL,
  expires_at BIGINT NOT NULL
);
`,
  },
];

/** Advisory lock keys (any constant bigint; these spell "piper" and a purpose). */
export const MIGRATION_LOCK = 0x7069706572_01;
/**
 * Taken by every appending transaction: ids come from a sequence, and without the lock a
 * transaction holding id 7 could commit after one holding id 8, so a reader following `afterId`
 * past 8 would never see 7. Holding it until commit makes ids visible in id order.
 */
export const APPEND_LOCK = 0x7069706572_02;
