import { z } from 'zod';
import { coreErrors, isPiperError, parseDuration, parsePercent, parseRate, parseSize, PiperError } from '../core/index.ts';

function unit(parse: (text: string) => number, description: string, example: string) {
  return z
    .union([z.string(), z.number().nonnegative()])
    .transform((value, ctx) => {
      if (typeof value === 'number') return value;
      try {
        return parse(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: isPiperError(err) ? err.message : String(err) });
        return z.NEVER;
      }
    })
    .meta({ description: `${description}, e.g. ${example}` });
}

/** A duration such as `250ms` or `1m30s`, parsed to milliseconds (a bare number is milliseconds). */
export const duration = () => unit(parseDuration, 'A duration (bare numbers are milliseconds)', '250ms, 1m30s');
/** A size such as `64KiB` or `1GB`, parsed to bytes. */
export const size = () => unit(parseSize, 'A size in bytes with an optional unit', '64KiB, 10MB, 1GiB');
/** A rate such as `500/s` or `30k/min`, parsed to events per second. */
export const rate = () => unit(parseRate, 'A rate (bare numbers are per second)', '500/s, 30k/min');
/** Bytes per second such as `1KiB/s` or `500B/s`, parsed to bytes per second (a bare number is bytes per second). */
export const byteRate = () =>
  unit(
    (text) => {
      const m = /^(.+?)\s*\/\s*s\s*$/.exec(text);
      if (m === null) {
        throw new PiperError(
          coreErrors.PIPER_CORE_INVALID_UNIT,
          `invalid byte rate "${text}": expected a size per second, e.g. 1KiB/s, 500B/s`,
          {
            details: { kind: 'byte rate', text },
          },
        );
      }
      return parseSize(m[1] as string);
    },
    'Bytes per second (bare numbers are bytes per second)',
    '1KiB/s, 500B/s',
  );
/** A percentage such as `99.9%`, parsed to a fraction (a bare number is already a fraction). */
export const percent = () =>
  z
    .union([z.string(), z.number().min(0).max(1)])
    .transform((value, ctx) => {
      if (typeof value === 'number') return value;
      try {
        return parsePercent(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: isPiperError(err) ? err.message : String(err) });
        return z.NEVER;
      }
    })
    .meta({ description: 'A percentage such as 99.9% (a bare number is a fraction between 0 and 1)' });
