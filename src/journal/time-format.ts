// Times and durations as people read them in incidents and postmortems: exact to the second, the
// zone always named, and relative times signed so a row before the start is never mistaken for one after.

/** Formats a time to the second in the chosen zone, with the zone named: `2017-03-31 15:00:00 PDT`. */
export function formatTime(ms: number, timeZone = 'UTC'): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZoneName: 'short',
  }).formatToParts(new Date(ms));
  const p = (t: string): string => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour') === '24' ? '00' : p('hour')}:${p('minute')}:${p('second')} ${p('timeZoneName')}`;
}

/** The date part of {@link formatTime}: `2017-03-31`. */
export function formatDate(ms: number, timeZone = 'UTC'): string {
  return formatTime(ms, timeZone).slice(0, 10);
}

/** The wall-clock part of {@link formatTime}: `15:00:00`. */
export function formatClock(ms: number, timeZone = 'UTC'): string {
  return formatTime(ms, timeZone).slice(11, 19);
}

/**
 * Exact to the second: `6 h 02 min 05 s`, `52 s`; below ten seconds finer, since that is the scale
 * of an automatic rollback (`249 ms`, `1.8 s`).
 */
export function humanDuration(ms: number): string {
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  if (Math.abs(ms) < 9950) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min ${String(r).padStart(2, '0')} s` : `${m} min ${String(r).padStart(2, '0')} s`;
}

/**
 * A signed offset from a reference time, as precise as the scale needs: an automatic rollback
 * happens within a second (`+249 ms`), a gate decision minutes before (`−1 min 07 s`).
 */
export function relativeTime(ms: number): string {
  const sign = ms < 0 ? '−' : '+';
  const a = Math.abs(ms);
  if (a === 0) return '0 s';
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  // Below 59.95 s one decimal; above, whole seconds (so never "60.0 s").
  if (a < 59_950) return `${sign}${(a / 1000).toFixed(1)} s`;
  return `${sign}${humanDuration(a)}`;
}
