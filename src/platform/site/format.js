// Formatting shared by the pages (sizes in binary units, as the CLI prints them).

/** @param {number} bytes */
export function formatBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/**
 * A file stored as is has no score because nothing was compressed, not because it was too quick to time.
 * @param {number | null} w @param {string} codec
 */
export function formatWeissman(w, codec) {
  if (codec === 'identity') return '— (stored as is)';
  return w === null ? '— (too small to time)' : w.toFixed(2);
}

/** Upload progress for people: `42 % · 1.3 MiB of 3.0 MiB`. @param {number} loaded @param {number} total */
export function formatProgress(loaded, total) {
  // Rounded down, so 100 % means every byte was sent.
  const percent = total > 0 ? Math.floor((loaded / total) * 100) : 100;
  return `${percent} % · ${formatBytes(loaded)} of ${formatBytes(total)}`;
}

/** @param {number} seconds */
export function formatUptime(seconds) {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m ${s}s` : `${m}m ${s}s`;
}

/** Reads an API error body into a sentence. @param {XMLHttpRequest | Response} r @param {string} text */
export function errorText(r, text) {
  try {
    const body = JSON.parse(text);
    return `${body.error.message} (${body.error.code})`;
  } catch {
    return `HTTP ${r.status}`;
  }
}
