import type { MismatchPolicy } from '../journal/index.ts';

/**
 * What the journal of a `piper` run does with an event that does not match the event catalogue:
 * tests and development runs (`NODE_ENV=test` or `development`) refuse it, so a writer's wrong
 * field fails where it is written; any other run logs it and records the event as written.
 */
export function mismatchPolicy(env: Readonly<Record<string, string | undefined>>): MismatchPolicy {
  return env.NODE_ENV === 'test' || env.NODE_ENV === 'development' ? 'throw' : 'log';
}
