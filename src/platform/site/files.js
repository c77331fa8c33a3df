import { errorText, formatBytes, formatWeissman } from './format.js';

const PAGE = 25;
const body = /** @type {HTMLElement} */ (document.getElementById('files-body'));
const summary = /** @type {HTMLElement} */ (document.getElementById('files-summary'));
const prev = /** @type {HTMLButtonElement} */ (document.getElementById('prev'));
const next = /** @type {HTMLButtonElement} */ (document.getElementById('next'));
let offset = 0;

function cell(/** @type {string} */ text, /** @type {string} */ cls = '') {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

async function remove(/** @type {string} */ id, /** @type {string} */ name) {
  if (!confirm(`Delete ${name}?`)) return;
  const r = await fetch(`/api/v1/files/${id}`, { method: 'DELETE' });
  if (!r.ok) summary.textContent = `Delete failed: ${errorText(r, await r.text())}`;
  await load();
}

async function load() {
  const r = await fetch(`/api/v1/files?limit=${PAGE}&offset=${offset}`);
  const text = await r.text();
  if (!r.ok) {
    summary.textContent = `Could not list files: ${errorText(r, text)}`;
    return;
  }
  const page = JSON.parse(text);
  body.replaceChildren();
  for (const f of page.files) {
    const tr = document.createElement('tr');
    const name = document.createElement('td');
    const a = document.createElement('a');
    a.href = f.url;
    a.download = f.name;
    a.textContent = f.name;
    name.append(a);
    const actions = document.createElement('td');
    const del = document.createElement('button');
    del.type = 'button';
    del.textContent = 'Delete';
    del.className = 'secondary';
    del.addEventListener('click', () => void remove(f.id, f.name));
    actions.append(del);
    tr.append(
      name,
      cell(formatBytes(f.size), 'num'),
      cell(formatBytes(f.storedSize), 'num'),
      cell(f.codec === 'identity' ? 'identity' : `${f.codec}-${f.level}`),
      cell(`${f.ratio.toFixed(2)}×`, 'num'),
      cell(formatWeissman(f.weissman, f.codec), 'num'),
      cell(new Date(f.createdAt).toLocaleString()),
      actions,
    );
    body.append(tr);
  }
  summary.textContent =
    page.total === 0 ? 'No files yet: upload one.' : `${page.total} file(s); showing ${offset + 1}–${offset + page.files.length}.`;
  prev.disabled = offset === 0;
  next.disabled = page.nextOffset === null;
}

prev.addEventListener('click', () => {
  offset = Math.max(0, offset - PAGE);
  void load();
});
next.addEventListener('click', () => {
  offset += PAGE;
  void load();
});
void load();
