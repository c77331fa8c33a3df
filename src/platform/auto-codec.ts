import type { Clock } from '../core/index.ts';
import type { Codec } from './codec.ts';
import { type ProbeResult, probeCodec } from './sample-probe.ts';
import { brotliCodec, gzipCodec, identityCodec, zstdCodec } from './zlib-codecs.ts';

/** What `auto` optimises: the best ratio within a speed budget, or the fastest codec that saves enough. */
export interface AutoPolicy {
  objective: 'ratio' | 'speed';
  /**
   * Speed budget (objective `ratio`): compression speed at least this multiple of gzip level 6's,
   * both measured on the same sample one after the other. Relative, because absolute MB/s on a
   * sample swings several-fold with the machine's load.
   */
  minRelativeSpeed: number;
  /** Below this ratio the input is stored as `identity`: compressing would save too little (or grow it). */
  minRatio: number;
}

/** The default: best ratio among codecs at least as fast as gzip 6; store as is below a 1.05 ratio. */
export const DEFAULT_AUTO_POLICY: AutoPolicy = { objective: 'ratio', minRelativeSpeed: 1, minRatio: 1.05 };

/** The candidates `auto` measures, each at its on-the-fly level. gzip 6 doubles as the Weissman reference. */
export const AUTO_CANDIDATES: readonly { codec: Codec; level: number }[] = [
  { codec: zstdCodec, level: 3 },
  { codec: brotliCodec, level: 5 },
  { codec: gzipCodec, level: 6 },
];

/** The decision of `auto`, with the measurements behind it. */
export interface AutoChoice {
  codec: Codec;
  level: number;
  probes: ProbeResult[];
  reason: string;
}

/** Picks among already measured probes (pure, so the policy is testable without timing). */
export function pickCodec(probes: readonly ProbeResult[], policy: AutoPolicy): Omit<AutoChoice, 'probes'> {
  const useful = probes.filter((p) => p.ratio >= policy.minRatio);
  if (useful.length === 0) {
    const best = Math.max(0, ...probes.map((p) => p.ratio));
    return { codec: identityCodec, level: 0, reason: `no codec reached ratio ${policy.minRatio} (best ${best.toFixed(3)}): stored as is` };
  }
  if (policy.objective === 'speed') {
    const fastest = useful.reduce((a, b) => (b.mbPerSecond > a.mbPerSecond ? b : a));
    return { codec: fastest.codec, level: fastest.level, reason: `fastest codec with ratio ≥ ${policy.minRatio}` };
  }
  const ref = probes.find((p) => p.codec.name === 'gzip' && p.level === 6);
  const budget = (ref?.mbPerSecond ?? 0) * policy.minRelativeSpeed;
  const fast = useful.filter((p) => p.mbPerSecond >= budget);
  if (fast.length === 0) {
    const fastest = useful.reduce((a, b) => (b.mbPerSecond > a.mbPerSecond ? b : a));
    return { codec: fastest.codec, level: fastest.level, reason: `no codec met the speed budget: fastest chosen` };
  }
  const best = fast.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  return { codec: best.codec, level: best.level, reason: `best ratio among codecs at ≥ ${policy.minRelativeSpeed}× gzip-6 speed` };
}

/** Measures every candidate on the sample (one after another, so they do not share the threadpool) and picks. */
export async function chooseCodec(sample: Buffer, policy: AutoPolicy, clock: Clock): Promise<AutoChoice> {
  const probes: ProbeResult[] = [];
  for (const c of AUTO_CANDIDATES) probes.push(await probeCodec(sample, c.codec, c.level, clock));
  return { ...pickCodec(probes, policy), probes };
}

/**
 * Runs every candidate once on a small buffer. The first compression of each codec in a process
 * pays for allocation and threadpool start-up (measured 10–40× slower), which would skew the
 * first `auto` choices.
 */
export async function warmCodecs(clock: Clock): Promise<void> {
  const text = Buffer.from('piper warms its codecs before it measures them; '.repeat(1400));
  for (const c of AUTO_CANDIDATES) await probeCodec(text, c.codec, c.level, clock);
}
