import { PiperError } from './piper-error.ts';
import { coreErrors } from './core-errors.ts';

function unitError(kind: string, text: string, expected: string): PiperError {
  return new PiperError(coreErrors.PIPER_CORE_INVALID_UNIT, `invalid ${kind} "${text}": expected ${expected}`, {
    details: { kind, text, expected },
  });
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION_EXPECTED = 'a number with a unit, e.g. 250ms, 1m30s, 2h (units: ns, us, ms, s, m, h, d)';
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|min|s|m|h|d)/y;

/**
 * Parses a duration as written in config and flags (`250ms`, `1m30s`, `1.5s`) into milliseconds.
 * A bare `0` is allowed; any other bare number is refused because its unit would be a guess.
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  if (s === '') throw unitError('duration', text, DURATION_EXPECTED);
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < s.length) {
    const m = DURATION_PART.exec(s);
    if (m === null) throw unitError('duration', text, DURATION_EXPECTED);
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
  }
  return total;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};
const SIZE_EXPECTED = 'bytes with an optional unit, e.g. 512, 64KiB, 10MB, 1GiB (SI: kB MB GB TB; binary: KiB MiB GiB TiB)';

/** Parses a size (`64KiB`, `1GB`, `512`) into bytes. SI units are powers of 1000, IEC of 1024. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (m === null) throw unitError('size', text, SIZE_EXPECTED);
  const unit = (m[2] as string).toLowerCase();
  const factor = unit === '' ? 1 : SIZE_UNITS[unit];
  if (factor === undefined) throw unitError('size', text, SIZE_EXPECTED);
  return Math.round(Number(m[1]) * factor);
}

const RATE_PERIODS: Readonly<Record<string, number>> = { s: 1, sec: 1, m: 60, min: 60, h: 3600 };
const RATE_EXPECTED = 'a count per period, e.g. 500/s, 30k/min, 1.2M/h';

/** Parses a rate (`500/s`, `30k/min`) into events per second. */
export function parseRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)([kKmM]?)\s*\/\s*([a-z]+)\s*$/.exec(text);
  if (m === null) throw unitError('rate', text, RATE_EXPECTED);
  const period = RATE_PERIODS[m[3] as string];
  if (period === undefined) throw unitError('rate', text, RATE_EXPECTED);
  const suffix = (m[2] as string).toLowerCase();
  const scale = suffix === 'k' ? 1e3 : suffix === 'm' ? 1e6 : 1;
  return (Number(m[1]) * scale) / period;
}

/** Parses a percentage (`99.9%`) into a fraction (0.999). The `%` sign is required. */
export function parsePercent(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (m === null) throw unitError('percentage', text, 'a number followed by %, e.g. 99.9%');
  const value = Number(m[1]);
  if (value > 100) throw unitError('percentage', text, 'a value between 0% and 100%');
  // Round away binary float noise so 99.9% is exactly 0.999.
  return Number((value / 100).toPrecision(15));
}

/** Formats milliseconds for people: `850ms`, `1.2s`, `3m05s`, `6h00m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const totalS = Math.round(ms / 1000);
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m${String(totalS % 60).padStart(2, '0')}s`;
  const totalM = Math.round(totalS / 60);
  return `${Math.floor(totalM / 60)}h${String(totalM % 60).padStart(2, '0')}m`;
}

/** Formats bytes for people with binary units: `512 B`, `64.0 KiB`, `1.50 GiB`. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
