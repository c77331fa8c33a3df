import { formatSize } from '../core/index.ts';
import { compressedFormat } from './compressed-formats.ts';
import type { ProbeResult } from './sample-probe.ts';

/** Below this many bytes a whole file that did not compress is called too small rather than incompressible. */
export const TOO_SMALL_TO_GAIN = 512;

/**
 * Why a file is stored as is (codec `identity`), as a stable word for programs:
 * `asked` (codec=identity), `already-compressed` (its first bytes name a compressed format and no
 * codec gained), `too-small` (a whole file under {@link TOO_SMALL_TO_GAIN} bytes that no codec
 * shrank: their framing costs more than they save), `incompressible` (no codec reached the
 * minimum ratio), `earlier-upload` (the same content was stored as is before, for its own reason).
 */
export type StoredAsIs = 'asked' | 'already-compressed' | 'too-small' | 'incompressible' | 'earlier-upload';

/** The word and the sentence for the answer and the page. */
export interface StoredAsIsReason {
  kind: StoredAsIs;
  text: string;
}

/**
 * Explains why `auto` stored a file as is, from what it measured: `probes` of every candidate on
 * `sample`, which is the `whole` file or its start.
 */
export function storedAsIsReason(sample: Buffer, whole: boolean, probes: readonly ProbeResult[], minRatio: number): StoredAsIsReason {
  const best = probes.reduce<ProbeResult | undefined>((a, b) => (a === undefined || b.ratio > a.ratio ? b : a), undefined);
  const measured =
    best === undefined
      ? 'no codec was measured'
      : best.ratio < 1
        ? `every codec would have grown it (the best, ${best.codec.name} ${best.level}, by ${percent(1 / best.ratio - 1)})`
        : `the best codec (${best.codec.name} ${best.level}) saved only ${percent(1 - 1 / best.ratio)} (ratio ${best.ratio.toFixed(3)}, under the ${minRatio} needed)`;
  const format = compressedFormat(sample);
  if (format !== undefined) return { kind: 'already-compressed', text: `stored as is: already compressed (${format} data); ${measured}` };
  if (whole && sample.length < TOO_SMALL_TO_GAIN) {
    return {
      kind: 'too-small',
      text: `stored as is: too small to gain at ${formatSize(sample.length)}, a codec's own framing costs more than it saves; ${measured}`,
    };
  }
  const on = whole ? 'on the whole file' : `on its first ${formatSize(sample.length)}`;
  return { kind: 'incompressible', text: `stored as is: incompressible ${on}; ${measured}` };
}

/** A share as people read it: `0.4 %`, `75 %`, and `under 0.1 %` rather than a misleading `0.0 %`. */
function percent(share: number): string {
  const p = share * 100;
  if (p < 0.1) return 'under 0.1 %';
  return `${p < 10 ? p.toFixed(1) : p.toFixed(0)} %`;
}
