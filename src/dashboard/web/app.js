// Boots the page: session check and sign-in, the two live streams (telemetry windows, journal
// events) with backfill after a reconnect, light polling of state, and the hash router.

import { loadSession, onSignedOut, session, signIn, signOut } from './api.js';
import { badge, h, replace } from './element.js';
import { LiveStream } from './live-stream.js';
import {
  addEvent,
  addWindow,
  loadRecentEvents,
  loadRecentWindows,
  notify,
  refreshCapacity,
  refreshControl,
  refreshFleet,
  refreshSlo,
  refreshState,
  store,
  subscribe,
} from './store.js';
import { mountCapacity } from './views/capacity.js';
import { mountEvents } from './views/events.js';
import { mountIncident, mountIncidentList } from './views/incidents.js';
import { mountMigration, mountMigrationList } from './views/migrations.js';
import { mountOverview } from './views/overview.js';
import { mountPool } from './views/pool.js';

/** @typedef {import('./api.js').TelemetryWindow} TelemetryWindow */
/** @typedef {import('./api.js').JournalEvent} JournalEvent */

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
const status = /** @type {HTMLElement} */ (document.getElementById('status'));
const who = /** @type {HTMLElement} */ (document.getElementById('who'));
const control = /** @type {HTMLElement} */ (document.getElementById('control'));

/** @type {(() => void) | null} */
let unmount = null;
/** @type {(LiveStream<TelemetryWindow> | LiveStream<JournalEvent>)[]} */
let streams = [];
/** @type {ReturnType<typeof setInterval>[]} */
let timers = [];

/** Views by the first hash segment; each returns its cleanup. */
const VIEWS = {
  overview: () => mountOverview(main),
  pools: (/** @type {string[]} */ p) => mountPool(main, p[0] ?? ''),
  migrations: (/** @type {string[]} */ p) => (p[0] ? mountMigration(main, p[0]) : mountMigrationList(main)),
  incidents: (/** @type {string[]} */ p) => (p[0] ? mountIncident(main, p[0], p[1] === 'postmortem') : mountIncidentList(main)),
  capacity: () => mountCapacity(main),
  events: () => mountEvents(main),
};

function route() {
  if (session.role === null) return;
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const name = /** @type {keyof typeof VIEWS} */ (parts[0] && parts[0] in VIEWS ? parts[0] : 'overview');
  unmount?.();
  unmount = VIEWS[name](parts.slice(1));
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `piper · ${name}`;
}

function showSignIn(/** @type {string} */ problem = '') {
  stop();
  nav.hidden = true;
  replace(who);
  replace(status);
  replace(control);
  const token = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'token',
      type: 'password',
      name: 'token',
      autocomplete: 'current-password',
      required: true,
      'aria-describedby': 'token-help',
    })
  );
  const error = h('p', { class: 'error', role: 'alert', text: problem });
  const form = h(
    'form',
    { class: 'panel sign-in', 'aria-labelledby': 'sign-in-h' },
    h('h1', { id: 'sign-in-h', text: 'Sign in to piper' }),
    h('label', { for: 'token', text: 'Token' }),
    token,
    h('p', {
      id: 'token-help',
      class: 'muted',
      text: 'The admin token acts; the read-only token only looks. Both are in piper.yaml (admin.token, admin.readToken).',
    }),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await signIn(token.value);
      start();
    } catch (err) {
      error.textContent = /** @type {Error} */ (err).message;
      token.select();
    }
  });
  replace(main, form);
  token.focus();
}

/** Runs a refresh; a failing one shows in the status line instead of breaking the page. */
function attempt(/** @type {() => Promise<void>} */ fn) {
  fn().catch((/** @type {Error} */ err) => {
    if (session.role !== null) status.title = `last error: ${err.message}`;
  });
}

function start() {
  nav.hidden = false;
  replace(
    who,
    h('span', { class: `badge ${session.role === 'admin' ? 'warn' : 'muted'}`, text: session.role === 'admin' ? 'admin' : 'read-only' }),
    ' ',
    h('button', { type: 'button', class: 'link', onclick: () => signOut().finally(() => showSignIn()) }, 'Sign out'),
  );
  refreshDataPlanes();
  attempt(refreshCapacity);
  attempt(refreshSlo);
  attempt(loadRecentWindows);
  attempt(loadRecentEvents);
  /** @type {Record<string, string>} */
  const previous = {};
  const onStatus = (/** @type {string} */ name) => (/** @type {string} */ s) => {
    // After a reconnect, fetch what the stream missed while it was down.
    if (s === 'live' && previous[name] === 'retrying')
      attempt(() => (name === 'windows' ? loadRecentWindows(true) : loadRecentEvents(true)));
    previous[name] = s;
    store.streams[name] = s;
    renderStatus();
  };
  streams = [
    new LiveStream('/api/v1/windows/stream', 'window', addWindow, onStatus('windows')),
    new LiveStream('/api/v1/events/stream', 'journal', onJournal, onStatus('events')),
  ];
  // Burn rates move every second but matter over minutes: a 5 s poll is enough.
  timers = [setInterval(refreshDataPlanes, 2000), setInterval(() => attempt(refreshSlo), 5000), setInterval(renderStatus, 1000)];
  route();
}

/** What steers traffic: the data plane's state, the fleet's members and who leads, read together. */
function refreshDataPlanes() {
  attempt(refreshState);
  attempt(refreshFleet);
  attempt(refreshControl);
}

/** @param {JournalEvent} e */
function onJournal(e) {
  addEvent(e);
  if (/^(split\.|backend\.|pool\.|deadman\.|leader\.)/.test(e.kind)) refreshDataPlanes();
  if (e.kind === 'capacity.result') attempt(refreshCapacity);
  if (e.kind.startsWith('alert.')) attempt(refreshSlo);
}

/** This control plane's role in the header: leader at its term, or a follower naming the leader. */
function renderControl() {
  const c = store.control;
  if (c === null) return replace(control);
  const title = `this control plane: ${c.name}, lease ${c.leaseMs / 1000} s`;
  if (c.role === 'leader') return replace(control, h('span', { title }, badge('leader', 'ok'), ` term ${c.term ?? '—'}`));
  const leader =
    c.leader === null
      ? 'no leader yet'
      : `leader is ${c.leader.holder} (term ${c.leader.term})${c.leader.url ? ` at ${c.leader.url}` : ''}`;
  replace(control, h('span', { title }, badge('follower', 'info'), ' ', h('span', { class: 'muted', text: leader })));
}

function renderStatus() {
  const states = Object.values(store.streams);
  const last = store.windows.at(-1);
  const age = last ? Date.now() - (last.start + (last.durationMs || 1000)) : null;
  let text = 'live';
  let tone = 'ok';
  if (states.includes('retrying')) {
    text = 'reconnecting…';
    tone = 'warn';
  } else if (states.includes('connecting')) {
    text = 'connecting…';
    tone = 'muted';
  } else if (age !== null && age > 5000) {
    text = `no telemetry for ${Math.round(age / 1000)} s`;
    tone = 'warn';
  }
  status.className = `stream-status ${tone}`;
  status.textContent = text;
}

function stop() {
  unmount?.();
  unmount = null;
  for (const s of streams) s.close();
  for (const t of timers) clearInterval(t);
  streams = [];
  timers = [];
  store.streams = {};
  store.control = null;
  notify('stream');
  notify('control');
}

// Number keys switch views, as in most consoles; never while typing in a field.
document.addEventListener('keydown', (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey || session.role === null) return;
  const target = /** @type {HTMLElement} */ (e.target);
  if (target.closest('input, select, textarea, dialog')) return;
  const link = nav.querySelector(`a[aria-keyshortcuts="${e.key}"]`);
  if (link instanceof HTMLAnchorElement) {
    location.hash = link.hash;
    main.focus();
  }
});

window.addEventListener('hashchange', () => {
  route();
  main.focus({ preventScroll: true });
});
onSignedOut(() => showSignIn('Your session ended. Sign in again.'));
subscribe(['control'], renderControl);

loadSession()
  .then((role) => (role === null ? showSignIn() : start()))
  .catch((err) => showSignIn(`Could not reach piper: ${err.message}`));
