import type { Clock } from '../core/index.ts';
import { type AutoPolicy, chooseCodec } from './auto-codec.ts';
import type { Codec } from './codec.ts';
import { type ProbeResult, probeCodec } from './sample-probe.ts';
import { type StoredAsIs, storedAsIsReason } from './stored-as-is.ts';
import { weissmanScore } from './weissman-score.ts';
import { gzipCodec } from './zlib-codecs.ts';

/** How an upload will be stored, decided from a sample of its start. */
export interface UploadPlan {
  codec: Codec;
  level: number;
  /** Why this codec, for people. */
  reason: string;
  /** Why the file is stored as is, when `codec` is identity; null when it is compressed. */
  storedAsIs: StoredAsIs | null;
  /** The Weissman score of the whole upload, estimated from the sample; null when it cannot be scored. */
  score: (size: number) => number | null;
}

/**
 * Decides codec and level (measuring candidates when `explicit` is undefined, i.e. `auto`) and
 * prepares the Weissman estimate against gzip 6: ratios from the sample, times from the sample
 * scaled linearly to the whole input, in milliseconds (docs/platform.md, "Weissman score").
 * `whole` says the sample is the whole file (it ended before the sample size).
 */
export async function planUpload(
  sample: Buffer,
  whole: boolean,
  explicit: { codec: Codec; level: number } | undefined,
  policy: AutoPolicy,
  clock: Clock,
): Promise<UploadPlan> {
  let codec: Codec;
  let level: number;
  let reason: string;
  let storedAsIs: StoredAsIs | null = null;
  let probes: ProbeResult[];
  if (explicit === undefined) {
    const choice = await chooseCodec(sample, policy, clock);
    ({ codec, level, reason, probes } = choice);
    if (codec.name === 'identity') ({ kind: storedAsIs, text: reason } = storedAsIsReason(sample, whole, probes, policy.minRatio));
  } else {
    ({ codec, level } = explicit);
    reason = codec.name === 'identity' ? 'stored as is: codec=identity was asked for' : `codec=${codec.name} level ${level} was asked for`;
    if (codec.name === 'identity') storedAsIs = 'asked';
    probes = codec.name === 'identity' || sample.length === 0 ? [] : [await probeCodec(sample, codec, level, clock)];
  }
  const mine = probes.find((p) => p.codec === codec && p.level === level);
  const ref =
    probes.find((p) => p.codec === gzipCodec && p.level === 6) ??
    (mine === undefined ? undefined : await probeCodec(sample, gzipCodec, 6, clock));
  const score = (size: number): number | null => {
    if (mine === undefined || ref === undefined || sample.length === 0) return null;
    const scale = size / sample.length;
    return (
      weissmanScore({ ratio: mine.ratio, timeMs: mine.timeMs * scale, referenceRatio: ref.ratio, referenceTimeMs: ref.timeMs * scale }) ??
      null
    );
  };
  return { codec, level, reason, storedAsIs, score };
}
