/** One line of a chart. */
export interface ChartSeries {
  name: string;
  color: string;
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
}

/** Options of a line chart. */
export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Horizontal reference line (e.g. a latency bound). */
  reference?: { value: number; label: string };
  /** Right end of the x axis (default: a round number at or above the largest x). */
  xMax?: number;
  /** Vertical lines at these x values (events such as a restarted backend). */
  markers?: readonly { x: number; label: string }[];
}

/** Escapes text for HTML and SVG. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A round number ≥ x for axis tops (1, 2, 5 × 10^k). */
function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const k = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * k >= x) return m * k;
  return 10 * k;
}

/** Renders series as an inline SVG line chart (no script, no external resource). */
export function lineChart(series: readonly ChartSeries[], o: ChartOptions): string {
  const w = o.width ?? 760;
  const h = o.height ?? 260;
  const m = { l: 60, r: 16, t: 28, b: 40 };
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = o.xMax ?? niceCeil(Math.max(1, ...xs));
  const yMax = niceCeil(Math.max(o.reference?.value ?? 0, ...ys, 0) * 1.05);
  const sx = (x: number) => m.l + (x / xMax) * (w - m.l - m.r);
  const sy = (y: number) => h - m.b - (y / yMax) * (h - m.t - m.b);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${escapeXml(o.title)}">`,
  );
  parts.push(`<text x="${m.l}" y="18" font-size="14" font-weight="bold">${escapeXml(o.title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    parts.push(`<line x1="${m.l}" x2="${w - m.r}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.l - 6}" y="${(sy(y) + 4).toFixed(1)}" font-size="11" text-anchor="end">${formatTick(y)}</text>`);
    const x = (xMax * i) / 4;
    parts.push(`<text x="${sx(x).toFixed(1)}" y="${h - m.b + 16}" font-size="11" text-anchor="middle">${formatTick(x)}</text>`);
  }
  parts.push(`<text x="${(m.l + w - m.r) / 2}" y="${h - 6}" font-size="11" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  parts.push(
    `<text x="14" y="${(m.t + h - m.b) / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 14 ${(m.t + h - m.b) / 2})">${escapeXml(o.yLabel)}</text>`,
  );
  if (o.reference !== undefined) {
    const y = sy(o.reference.value).toFixed(1);
    parts.push(`<line x1="${m.l}" x2="${w - m.r}" y1="${y}" y2="${y}" stroke="#c00" stroke-dasharray="6 4"/>`);
    parts.push(
      `<text x="${w - m.r}" y="${Number(y) - 4}" font-size="11" text-anchor="end" fill="#c00">${escapeXml(o.reference.label)}</text>`,
    );
  }
  for (const mk of o.markers ?? []) {
    const x = sx(mk.x).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${m.t}" y2="${h - m.b}" stroke="#999" stroke-dasharray="2 3"><title>${escapeXml(mk.label)}</title></line>`,
    );
  }
  series.forEach((s, i) => {
    if (s.points.length > 0) {
      const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
    }
    const lx = m.l + 10 + i * 170;
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${m.t + 4}" y2="${m.t + 4}" stroke="${s.color}" stroke-width="2"/>`);
    parts.push(`<text x="${lx + 22}" y="${m.t + 8}" font-size="11">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function formatTick(v: number): string {
  if (v >= 10_000) return `${(v / 1000).toFixed(0)}k`;
  if (v >= 1000) return `${(v / 1000).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
