import { errorText, formatBytes, formatProgress, formatWeissman } from './format.js';

const form = /** @type {HTMLFormElement} */ (document.getElementById('upload-form'));
const input = /** @type {HTMLInputElement} */ (document.getElementById('file-input'));
const drop = /** @type {HTMLElement} */ (document.getElementById('drop'));
const dropText = /** @type {HTMLElement} */ (document.getElementById('drop-text'));
const button = /** @type {HTMLButtonElement} */ (document.getElementById('upload-button'));
const codec = /** @type {HTMLSelectElement} */ (document.getElementById('codec'));
const progress = /** @type {HTMLProgressElement} */ (document.getElementById('progress'));
const status = /** @type {HTMLElement} */ (document.getElementById('upload-status'));
const result = /** @type {HTMLElement} */ (document.getElementById('result'));

/** @type {File | undefined} */
let chosen;

function choose(/** @type {File | undefined} */ file) {
  // An empty file is refused here, before anything is sent (the server refuses it too).
  const empty = file !== undefined && file.size === 0;
  chosen = empty ? undefined : file;
  button.disabled = chosen === undefined;
  dropText.textContent = file === undefined ? 'Drop a file here, or click to choose one' : `${file.name} (${formatBytes(file.size)})`;
  status.textContent = empty ? `${file.name} is empty (0 bytes): there is nothing to store. Choose another file.` : '';
}

input.addEventListener('change', () => choose(input.files?.[0]));
for (const type of ['dragenter', 'dragover']) {
  drop.addEventListener(type, (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
}
for (const type of ['dragleave', 'drop']) {
  drop.addEventListener(type, () => drop.classList.remove('over'));
}
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  choose(e.dataTransfer?.files?.[0]);
});

function show(/** @type {Record<string, any>} */ f) {
  const set = (/** @type {string} */ id, /** @type {string} */ text) => {
    /** @type {HTMLElement} */ (document.getElementById(id)).textContent = text;
  };
  set('r-name', f.name);
  set('r-size', formatBytes(f.size));
  set('r-stored', formatBytes(f.storedSize));
  set('r-codec', f.codec === 'identity' ? 'identity (stored as is)' : `${f.codec} level ${f.level}`);
  set('r-reason', f.codecReason);
  set('r-ratio', `${f.ratio.toFixed(2)}×`);
  set('r-weissman', formatWeissman(f.weissman, f.codec));
  set('r-time', `${f.elapsedMs.toFixed(0)} ms on the server${f.deduplicated ? ' (already stored: kept once)' : ''}`);
  set('r-id', f.id);
  const link = /** @type {HTMLAnchorElement} */ (document.getElementById('r-download'));
  link.href = f.url;
  link.download = f.name;
  result.hidden = false;
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (chosen === undefined) return;
  const file = chosen;
  const xhr = new XMLHttpRequest();
  xhr.open('POST', `/api/v1/files?name=${encodeURIComponent(file.name)}&codec=${encodeURIComponent(codec.value)}`);
  xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
  xhr.responseType = 'text';
  progress.hidden = false;
  progress.value = 0;
  result.hidden = true;
  button.disabled = true;
  status.textContent = formatProgress(0, file.size);
  xhr.upload.addEventListener('progress', (ev) => {
    if (!ev.lengthComputable) return;
    progress.value = Math.floor((ev.loaded / ev.total) * 100);
    status.textContent = formatProgress(ev.loaded, ev.total);
  });
  // Every byte is sent; the server finishes compressing, writes the file and answers.
  xhr.upload.addEventListener('load', () => {
    progress.removeAttribute('value');
    status.textContent = `Compressing… (all ${formatBytes(file.size)} sent)`;
  });
  xhr.addEventListener('load', () => {
    button.disabled = false;
    if (xhr.status === 200 || xhr.status === 201) {
      progress.value = 100;
      status.textContent = 'Done.';
      show(JSON.parse(xhr.responseText));
    } else {
      progress.hidden = true;
      status.textContent = `Upload failed: ${errorText(xhr, xhr.responseText)}`;
    }
  });
  xhr.addEventListener('error', () => {
    button.disabled = false;
    progress.hidden = true;
    status.textContent = 'Upload failed: the connection was lost.';
  });
  xhr.send(file);
});
