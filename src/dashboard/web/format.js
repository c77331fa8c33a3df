// Number and time formatting for dense tables: short, fixed units, no locale surprises.

/** @param {number | null | undefined} ms epoch ms */
export function clockTime(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  return new Date(ms).toISOString().slice(11, 19);
}

/** @param {number | null | undefined} ms epoch ms */
export function dateTime(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** @param {number | null | undefined} ms a duration */
export function duration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** @param {number | null | undefined} v requests per second */
export function rate(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  if (v >= 10_000) return `${(v / 1000).toFixed(1)}k/s`;
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)}/s`;
}

/** @param {number | null | undefined} v a ratio 0..1 */
export function percent(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  const p = v * 100;
  if (p === 0) return '0%';
  if (p < 0.1) return `${p.toFixed(3)}%`;
  return `${p < 10 ? p.toFixed(2) : p.toFixed(1)}%`;
}

/** @param {number | null | undefined} v milliseconds */
export function millis(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  return `${v >= 10 ? Math.round(v) : v.toFixed(1)} ms`;
}
