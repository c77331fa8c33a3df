import type { IncomingMessage } from 'node:http';
import { formatSize, PiperError } from '../core/index.ts';
import { ByteLimit, formatSizes, type OverLimit } from './byte-limit.ts';
import { type Codec, checkLevel, type LevelRange } from './codec.ts';
import { codecByName } from './codec-registry.ts';
import { platformErrors } from './platform-errors.ts';

/**
 * Refuses multipart bodies: the API takes the raw bytes as the body, so a form would be stored as
 * its envelope. (`application/x-www-form-urlencoded` is let through: it is what `curl --data-binary`
 * sends by default, and the bytes are taken as they are.)
 */
export function checkBodyType(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('multipart/')) {
    throw new PiperError(
      platformErrors.PIPER_PLATFORM_UNSUPPORTED_MEDIA_TYPE,
      `content-type ${type.split(';')[0]} is not accepted: send the file's raw bytes as the body (e.g. application/octet-stream)`,
    );
  }
}

/** Refuses a body whose declared length is over the limit before reading any of it (413 with `over`'s code). */
export function checkDeclaredLength(
  req: IncomingMessage,
  limit: number,
  what: string,
  over: OverLimit = platformErrors.PIPER_PLATFORM_TOO_LARGE,
): void {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) {
    const [size, max] = formatSizes(declared, limit);
    throw new PiperError(over, `${what} of ${size} is over the limit of ${max}`, { details: { size: declared, limit } });
  }
}

/** The body length a request declares in Content-Length, if it does. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  return Number.isFinite(declared) ? declared : undefined;
}

/**
 * Bounds the body of a request compressed at a slow level (see {@link LevelRange.slowFrom}):
 * refused from its Content-Length before it is read, else the returned stage stops it at the
 * limit. Undefined when the level is fast.
 */
export function slowLevelLimit(req: IncomingMessage, chosen: { codec: Codec; level: number }, limit: number): ByteLimit | undefined {
  const slowFrom = chosen.codec.levels.slowFrom;
  if (slowFrom === undefined || chosen.level < slowFrom) return undefined;
  const what = `a body compressed with ${chosen.codec.name} level ${chosen.level}`;
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) {
    throw new PiperError(
      platformErrors.PIPER_PLATFORM_LEVEL_TOO_EXPENSIVE,
      `${what} is over the limit of ${formatSize(limit)}: use a level below ${slowFrom} for large bodies`,
      { details: { size: declared, limit, codec: chosen.codec.name, level: chosen.level } },
    );
  }
  return new ByteLimit(limit, what, platformErrors.PIPER_PLATFORM_LEVEL_TOO_EXPENSIVE);
}

/** The `codec` and `level` query parameters: `auto` (or absent, when `fallback` is `auto`) returns undefined. */
export function codecParams(url: URL, fallback: string): { codec: Codec; level: number } | undefined {
  const name = url.searchParams.get('codec') ?? fallback;
  const levelText = url.searchParams.get('level');
  if (name === 'auto') {
    if (levelText !== null) {
      throw new PiperError(platformErrors.PIPER_PLATFORM_BAD_LEVEL, 'level cannot be set with codec=auto: auto picks the level too');
    }
    return undefined;
  }
  const codec = codecByName(name);
  let level: number | undefined;
  if (levelText !== null) {
    if (!/^-?\d+$/.test(levelText)) {
      throw new PiperError(platformErrors.PIPER_PLATFORM_BAD_LEVEL, `level "${levelText}" is not an integer`);
    }
    level = Number(levelText);
  }
  return { codec, level: checkLevel(codec, level) };
}

/** An integer query parameter within bounds, or its default. */
export function intParam(url: URL, key: string, min: number, max: number, fallback: number): number {
  const text = url.searchParams.get(key);
  if (text === null) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new PiperError(
      platformErrors.PIPER_PLATFORM_BAD_QUERY,
      `query parameter ${key}="${text}" must be an integer from ${min} to ${max}`,
    );
  }
  return n;
}
