import { errorText, formatBytes, formatUptime } from './format.js';

const set = (/** @type {string} */ id, /** @type {string} */ text) => {
  /** @type {HTMLElement} */ (document.getElementById(id)).textContent = text;
};

async function probe(/** @type {string} */ path) {
  try {
    const r = await fetch(path, { cache: 'no-store' });
    return r.ok ? 'ok' : `not ok: ${errorText(r, await r.text())}`;
  } catch {
    return 'unreachable';
  }
}

async function refresh() {
  set('s-health', await probe('/healthz'));
  set('s-ready', await probe('/readyz'));
  try {
    const r = await fetch('/api/v1/status', { cache: 'no-store' });
    const s = await r.json();
    if (!r.ok) return;
    set('s-version', s.version);
    set('s-uptime', formatUptime(s.uptimeSeconds));
    set('s-files', String(s.files));
    set('s-bytes', formatBytes(s.bytes));
    set('s-stored', formatBytes(s.storedBytes));
    set(
      's-inflight',
      `${s.inFlight} (queued ${s.queued}, receiving ${s.receiving}, limit ${s.maxConcurrency}${s.capacityRps === null ? '' : `, ${s.capacityRps} req/s`})`,
    );
  } catch {
    set('s-version', 'unreachable');
  }
}

void refresh();
setInterval(() => void refresh(), 5000);
