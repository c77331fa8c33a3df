import { formatDuration, formatSize } from '../../core/index.ts';
import type { GateResult, MigrationView } from '../../rollout/index.ts';
import { renderTable, type Style } from '../terminal-style.ts';

/**
 * The capacity gate's evaluation for people: the figures as a table, then every check that
 * failed with its numbers, the newer results that did not count and why, and the request mix the
 * certificate measured beside the route's observed traffic.
 */
export function gateReport(gate: MigrationView['gate'] | undefined, style: Style): string {
  if (!gate) return '';
  const out = [
    renderTable(
      ['pool', 'share', 'basis', 'load', 'projected', 'certified', 'headroom', 'allowed'],
      [
        [
          gate.pool,
          `${Math.round(gate.share * 100)}%`,
          gate.basis,
          rps(gate.basisRps),
          rps(gate.projectedRps),
          gate.capacityRps === null ? 'none' : rps(gate.capacityRps),
          `${gate.headroom}x`,
          gate.allowedRps === null ? '-' : rps(gate.allowedRps),
        ],
      ],
    ),
  ];
  // Older control planes answer without these; show what there is.
  for (const r of gate.refusals ?? []) out.push(`  ${style.red('✗')} ${r.message}`);
  for (const s of gate.skipped ?? []) {
    out.push(
      `  not used: capacity result #${s.eventId} (${rps(s.capacityRps)}, certified ${new Date(s.certifiedAt).toISOString()}): ${s.problems.map((p) => p.message).join('; ')}`,
    );
  }
  if (gate.mix) out.push(...mixLines(gate.mix));
  return out.join('\n');
}

/** `310/s`, `28.3/s`: the gate keeps every digit (28.285), a person reads three. */
function rps(v: number): string {
  return `${v >= 100 ? Math.round(v) : Number(v.toPrecision(3))}/s`;
}

function mixLines(mix: GateResult['mix']): string[] {
  const certified =
    mix.certified === null
      ? 'not recorded'
      : mix.certified
          .map((r) => `${r.method} ${r.path} ${Math.round(r.share * 100)}%${r.bodyBytes > 0 ? ` (${formatSize(r.bodyBytes)} body)` : ''}`)
          .join(', ');
  const o = mix.observed;
  const observed =
    o === null
      ? 'no traffic recorded'
      : `${o.requests} requests in the last ${formatDuration(o.windowMs)}` +
        (o.bytesInPerRequest === null || o.bytesOutPerRequest === null
          ? ''
          : `, ${formatSize(o.bytesInPerRequest)} in / ${formatSize(o.bytesOutPerRequest)} out per request`);
  return [`  request mix certified: ${certified}`, `  route traffic observed: ${observed} (shown, not judged)`];
}
