import { PiperError } from '../core/index.ts';
import type { Codec, CodecName } from './codec.ts';
import { brotliCodec, gzipCodec, identityCodec, zstdCodec } from './zlib-codecs.ts';
import { platformErrors } from './platform-errors.ts';

/** Every codec, by name. */
export const codecs: Readonly<Record<CodecName, Codec>> = {
  identity: identityCodec,
  gzip: gzipCodec,
  brotli: brotliCodec,
  zstd: zstdCodec,
};

const ALIASES: Readonly<Record<string, CodecName>> = {
  identity: 'identity',
  none: 'identity',
  gzip: 'gzip',
  gz: 'gzip',
  brotli: 'brotli',
  br: 'brotli',
  zstd: 'zstd',
  zst: 'zstd',
};

/** Finds a codec by name or content-coding token (`br`, `gzip`, `zstd`), or throws PIPER_PLATFORM_UNKNOWN_CODEC. */
export function codecByName(name: string): Codec {
  const key = ALIASES[name.trim().toLowerCase()];
  if (key === undefined) {
    throw new PiperError(
      platformErrors.PIPER_PLATFORM_UNKNOWN_CODEC,
      `unknown codec "${name}": expected one of gzip, brotli (br), zstd, identity`,
      {
        details: { codec: name },
      },
    );
  }
  return codecs[key];
}

/** The codec for an HTTP content-coding token, or undefined when piper does not speak it. */
export function codecByContentEncoding(token: string): Codec | undefined {
  const t = token.trim().toLowerCase();
  return Object.values(codecs).find((c) => c.contentEncoding === t);
}
