// Upload a model through the resumable chunked upload: POST /uploads declares the files, each file goes up in
// numbered parts (PUT …/parts/{n}, retried with back-off when a part fails), GET /uploads/{id} says which parts
// arrived (resume), POST …/complete has the server inspect the model.
import {api, ApiError, el, fmtBytes, fmtCount, fmtInt, fmtTime, hideProblem, showProblem, xhrSend, API} from './api.js';

const MAX_TRIES = 4;
const RESUME_STORAGE = 'sq.upload.resume';

let files = [];          // File objects chosen
let active = null;       // {id, files, partSize, controller} while uploading or paused
let $ = {};

export function init() {
  $ = {
    form: document.getElementById('upload-form'),
    drop: document.getElementById('drop-zone'),
    picker: document.getElementById('model-files'),
    dir: document.getElementById('model-dir'),
    table: document.getElementById('upload-files'),
    name: document.getElementById('model-name'),
    partSize: document.getElementById('part-size'),
    start: document.getElementById('upload-start'),
    resume: document.getElementById('upload-resume'),
    abort: document.getElementById('upload-abort'),
    progressBlock: document.getElementById('upload-progress-block'),
    progress: document.getElementById('upload-progress'),
    progressText: document.getElementById('upload-progress-text'),
    log: document.getElementById('upload-log'),
    error: document.getElementById('upload-error'),
    result: document.getElementById('upload-result'),
    models: document.querySelector('#models-table tbody'),
  };
  $.progressText.removeAttribute('aria-live'); // changes many times a second; the log announces milestones
  $.drop.addEventListener('click', () => $.picker.click());
  $.drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      $.picker.click();
    }
  });
  for (const type of ['dragenter', 'dragover']) {
    $.drop.addEventListener(type, (e) => {
      e.preventDefault();
      $.drop.classList.add('over');
    });
  }
  $.drop.addEventListener('dragleave', () => $.drop.classList.remove('over'));
  $.drop.addEventListener('drop', async (e) => {
    e.preventDefault();
    $.drop.classList.remove('over');
    addFiles(await droppedFiles(e.dataTransfer));
  });
  $.picker.addEventListener('change', () => addFiles([...$.picker.files]));
  $.dir.addEventListener('change', () => addFiles([...$.dir.files]));
  $.form.addEventListener('submit', (e) => {
    e.preventDefault();
    startUpload();
  });
  $.resume.addEventListener('click', () => resumeUpload());
  $.abort.addEventListener('click', () => abortUpload());
}

export async function show() {
  await refreshModels();
}

/** Files from a drop, walking dropped directories (Hugging Face model folders). */
async function droppedFiles(dt) {
  const entries = [...(dt.items || [])].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
  if (!entries.length) {
    return [...dt.files];
  }
  const out = [];
  async function walk(entry) {
    if (entry.isFile) {
      out.push(await new Promise((res, rej) => entry.file(res, rej)));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      let batch;
      do {
        batch = await new Promise((res, rej) => reader.readEntries(res, rej));
        for (const child of batch) {
          await walk(child);
        }
      } while (batch.length);
    }
  }
  for (const entry of entries) {
    await walk(entry);
  }
  return out;
}

function addFiles(list) {
  if (active && active.running) {
    return;
  }
  for (const f of list) {
    if (f.name.startsWith('.')) {
      continue; // .gitattributes and friends from a model directory
    }
    const same = files.findIndex((x) => x.name === f.name);
    if (same >= 0) {
      files[same] = f;
    } else {
      files.push(f);
    }
  }
  if (!$.name.value && files.length) {
    $.name.value = files[0].name.replace(/\.(bin|gguf|safetensors|json)$/i, '');
  }
  hideProblem($.error);
  $.result.hidden = true;
  renderFiles();
  log(`${files.length} file(s) ready: ${fmtBytes(totalBytes())} in all.`);
}

function totalBytes() {
  return files.reduce((s, f) => s + f.size, 0);
}

function renderFiles(perFile = null) {
  const tbody = $.table.querySelector('tbody');
  tbody.replaceChildren();
  files.forEach((f, i) => {
    const done = perFile ? perFile[i] : 0;
    const pct = f.size ? Math.round((100 * done) / f.size) : 100;
    tbody.append(el('tr', {},
        el('td', {class: 'mono', text: f.name}),
        el('td', {class: 'num', text: fmtBytes(f.size)}),
        el('td', {}, el('progress', {max: '100', value: String(pct), 'aria-label': `${f.name} progress`}), ` ${pct}%`),
        el('td', {}, active && active.running ? '' : el('button', {
          type: 'button', class: 'small', 'aria-label': `Remove ${f.name}`, text: 'Remove',
          onclick: () => {
            files.splice(i, 1);
            renderFiles();
          },
        }))));
  });
  $.table.hidden = files.length === 0;
}

function log(text, kind = '') {
  $.log.append(el('li', {class: kind, text}));
  while ($.log.children.length > 8) {
    $.log.firstElementChild.remove();
  }
}

function signature(list) {
  return list.map((f) => `${f.name}:${f.size}:${f.lastModified}`).join('|');
}

function setRunning(running) {
  if (active) {
    active.running = running;
  }
  $.start.disabled = running;
  $.picker.disabled = running;
  $.dir.disabled = running;
  $.partSize.disabled = running;
  $.resume.hidden = running || !active;
  $.abort.hidden = !active;
  renderFiles(active ? active.perFile : null);
}

async function startUpload() {
  hideProblem($.error);
  $.result.hidden = true;
  if (!files.length) {
    showProblem($.error, {message: 'Drop the model files on the area above, or pick them with “Model files”.'},
        {lead: 'No files chosen'});
    $.picker.focus();
    return;
  }
  const empty = files.filter((f) => f.size === 0);
  if (empty.length) {
    showProblem($.error, {message: `Empty file(s): ${empty.map((f) => f.name).join(', ')}. Remove them and try again.`},
        {lead: 'These files cannot be uploaded'});
    return;
  }
  const name = $.name.value.trim() || files[0].name;
  const partSize = Number($.partSize.value);
  $.log.replaceChildren();
  // The same files picked again after an interruption continue the same upload.
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(RESUME_STORAGE) || 'null');
  } catch (e) {
    saved = null;
  }
  if (saved && saved.signature === signature(files) && saved.partSize === partSize) {
    active = {id: saved.id, partSize, perFile: files.map(() => 0), running: false};
    log(`Resuming the earlier upload ${saved.id.slice(0, 8)} of these files.`);
    return resumeUpload();
  }
  let upload;
  try {
    upload = await api('uploads', {
      method: 'POST',
      json: {kind: 'model', name, files: files.map((f) => ({path: f.name, size: f.size}))},
    });
  } catch (e) {
    showProblem($.error, e, {lead: 'The upload was refused'});
    log(`Refused: ${e.message}`, 'bad');
    return;
  }
  active = {id: upload.id, partSize, perFile: files.map(() => 0), running: false};
  sessionStorage.setItem(RESUME_STORAGE, JSON.stringify({id: upload.id, signature: signature(files), partSize}));
  log(`Upload ${upload.id.slice(0, 8)} started: ${files.length} file(s), ${fmtBytes(totalBytes())}, parts of ${fmtBytes(partSize)}.`);
  await sendAll(new Map());
}

/** Asks the server which parts arrived, then sends the rest. */
async function resumeUpload() {
  if (!active) {
    return;
  }
  hideProblem($.error);
  let status;
  try {
    status = await api(`uploads/${encodeURIComponent(active.id)}`);
  } catch (e) {
    showProblem($.error, e, {lead: 'The upload cannot be resumed'});
    if (e.status === 404) {
      sessionStorage.removeItem(RESUME_STORAGE);
      active = null;
      setRunning(false);
    }
    return;
  }
  if (status.status !== 'OPEN') {
    sessionStorage.removeItem(RESUME_STORAGE);
    if (status.resultId) {
      log('That upload had already completed.');
      active = null;
      setRunning(false);
      return showResult(status.resultId);
    }
    active = null;
    setRunning(false);
    return startUpload();
  }
  const have = new Map();
  for (const f of status.files) {
    for (const p of f.parts) {
      have.set(`${f.fileIndex}/${p.partNumber}`, p.sizeBytes);
    }
  }
  log(`The server has ${have.size} part(s) already; sending the rest.`);
  await sendAll(have);
}

async function sendAll(have) {
  const {id, partSize} = active;
  const controller = new AbortController();
  active.controller = controller;
  setRunning(true);
  $.progressBlock.hidden = false;
  const total = totalBytes();
  const started = performance.now();
  let sentThisSession = 0;
  const perFile = active.perFile;
  const draw = (inFlight = 0) => {
    const done = perFile.reduce((a, b) => a + b, 0) + inFlight;
    const pct = total ? (100 * done) / total : 100;
    $.progress.max = total;
    $.progress.value = done;
    const secs = (performance.now() - started) / 1000;
    const rate = secs > 0.2 ? (sentThisSession + inFlight) / secs : 0;
    $.progressText.textContent = `${fmtBytes(done)} of ${fmtBytes(total)} (${pct.toFixed(1)}%)`
        + (rate ? ` · ${fmtBytes(rate)}/s` : '');
    $.progressText.dataset.bytes = String(done);
    $.progressText.dataset.percent = pct.toFixed(1);
  };
  try {
    for (let fi = 0; fi < files.length; fi++) {
      const f = files[fi];
      const parts = Math.max(1, Math.ceil(f.size / partSize));
      perFile[fi] = 0;
      for (let n = 1; n <= parts; n++) {
        const from = (n - 1) * partSize;
        const to = Math.min(f.size, from + partSize);
        if (have.get(`${fi}/${n}`) === to - from) {
          perFile[fi] += to - from;
          draw();
          continue;
        }
        await sendPart(id, fi, n, parts, f, from, to, (loaded) => draw(loaded), controller);
        perFile[fi] += to - from;
        sentThisSession += to - from;
        draw();
        renderFiles(perFile);
      }
      log(`${f.name}: all ${parts} part(s) received.`);
    }
  } catch (e) {
    setRunning(false);
    if (e.problem && e.problem.aborted) {
      return;
    }
    showProblem($.error, e, {lead: 'The upload stopped'});
    $.error.focus();
    log(`Stopped: ${e.message} Press “Resume upload” to send the missing parts.`, 'bad');
    return;
  }
  draw();
  log('All bytes sent. The server is checking the model…');
  try {
    const done = await api(`uploads/${encodeURIComponent(id)}/complete`, {method: 'POST'});
    sessionStorage.removeItem(RESUME_STORAGE);
    active = null;
    setRunning(false);
    log('The model was accepted.');
    await showResult(done.resultId);
  } catch (e) {
    setRunning(false);
    const lead = e.status === 422 ? 'The server rejected the model' : 'The upload could not be completed';
    showProblem($.error, e, {lead});
    log(`${lead}: ${e.message}`, 'bad');
    if (e.status === 422 || e.status === 400) {
      // The files themselves are wrong: resuming cannot help, start over with other files.
      sessionStorage.removeItem(RESUME_STORAGE);
      api(`uploads/${encodeURIComponent(id)}`, {method: 'DELETE'}).catch(() => {});
      const sent = active.perFile;
      active = null;
      setRunning(false);
      renderFiles(sent);
    }
    $.error.focus();
  }
}

async function sendPart(id, fi, n, parts, f, from, to, onProgress, controller) {
  const url = `${API}/uploads/${encodeURIComponent(id)}/files/${fi}/parts/${n}`;
  for (let attempt = 1; ; attempt++) {
    try {
      // Test hook: window.__sqFailNextParts = k makes the next k part sends fail like a dropped connection.
      const fail = (window.__sqFailNextParts || 0) > 0;
      if (fail) {
        window.__sqFailNextParts--;
      }
      return await xhrSend('PUT', url, f.slice(from, to), {
        contentType: 'application/octet-stream', onProgress, signal: controller.signal, failBeforeSend: fail,
      });
    } catch (e) {
      if (controller.signal.aborted) {
        throw new ApiError(0, {title: 'Aborted', detail: 'Aborted.', aborted: true});
      }
      const retriable = e.status === 0 || e.status >= 500 || e.status === 408 || e.status === 429;
      if (!retriable || attempt >= MAX_TRIES) {
        throw e;
      }
      const wait = 500 * 2 ** (attempt - 1);
      log(`Part ${n} of ${parts} of ${f.name} failed (${e.message}); retrying in ${(wait / 1000).toFixed(1)} s `
          + `(try ${attempt + 1} of ${MAX_TRIES}).`, 'warn');
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

async function abortUpload() {
  if (!active) {
    return;
  }
  const id = active.id;
  active.controller?.abort();
  sessionStorage.removeItem(RESUME_STORAGE);
  active = null;
  setRunning(false);
  $.progressBlock.hidden = true;
  try {
    await api(`uploads/${encodeURIComponent(id)}`, {method: 'DELETE'});
    log('Upload aborted; its parts were deleted.');
  } catch (e) {
    log(`Abort: ${e.message}`, 'warn');
  }
}

async function showResult(modelId) {
  let m;
  try {
    m = await api(`models/${encodeURIComponent(modelId)}`);
  } catch (e) {
    showProblem($.error, e);
    return;
  }
  const facts = [
    ['Name', m.name], ['Format', m.format], ['Architecture', m.architecture],
    ['Parameters', `${fmtCount(m.parameters)} (${fmtInt(m.parameters)})`], ['dtype', m.dtype],
    ['Layers', m.layers], ['Hidden size', m.hiddenSize], ['Vocabulary', fmtInt(m.vocabSize)],
    ['Max sequence length', fmtInt(m.maxSeqLen)], ['Size', fmtBytes(m.sizeBytes)], ['Model id', m.id],
  ];
  const dl = document.getElementById('upload-result-facts');
  dl.replaceChildren(...facts.map(([k, v]) => el('div', {dataset: {fact: k}}, el('dt', {text: k}),
      el('dd', {text: v === null || v === undefined ? '–' : String(v)}))));
  const tbody = document.querySelector('#upload-result-files tbody');
  tbody.replaceChildren(...(m.files || []).map((f) => el('tr', {},
      el('td', {class: 'mono', text: f.path}), el('td', {class: 'num', text: fmtBytes(f.sizeBytes)}),
      el('td', {class: 'mono', text: f.sha256}))));
  document.getElementById('upload-result-job').href = `#/jobs/new?model=${encodeURIComponent(m.id)}`;
  $.result.hidden = false;
  $.result.dataset.modelId = m.id;
  files = [];
  $.picker.value = '';
  $.dir.value = '';
  $.name.value = '';
  renderFiles();
  await refreshModels();
  $.result.querySelector('h2').setAttribute('tabindex', '-1');
  $.result.querySelector('h2').focus();
}

async function refreshModels() {
  let models;
  try {
    models = await api('models');
  } catch (e) {
    $.models.replaceChildren(el('tr', {}, el('td', {colspan: '8', class: 'empty', text: e.status === 401
        ? 'Set your API key to see your models.' : `Could not list models: ${e.message}`})));
    return;
  }
  if (!models.length) {
    $.models.replaceChildren(el('tr', {}, el('td', {colspan: '8', class: 'empty', text: 'No models yet.'})));
    return;
  }
  $.models.replaceChildren(...models.map((m) => el('tr', {dataset: {modelId: m.id}},
      el('td', {}, el('strong', {text: m.name}), el('br'), el('span', {class: 'mono help', text: m.id})),
      el('td', {text: `${m.architecture || '–'} (${m.format || '–'})`}),
      el('td', {class: 'num', text: fmtCount(m.parameters)}),
      el('td', {text: m.dtype || '–'}),
      el('td', {class: 'num', text: m.layers ?? '–'}),
      el('td', {class: 'num', text: fmtBytes(m.sizeBytes)}),
      el('td', {text: fmtTime(m.createdAt)}),
      el('td', {class: 'actions-cell'},
          el('a', {class: 'button small', href: `#/jobs/new?model=${encodeURIComponent(m.id)}`, text: 'New job',
            'aria-label': `New job with ${m.name}`}),
          el('button', {type: 'button', class: 'small danger', text: 'Delete', 'aria-label': `Delete ${m.name}`,
            onclick: async () => {
              if (!confirm(`Delete the model “${m.name}” and its stored files?`)) {
                return;
              }
              try {
                await api(`models/${encodeURIComponent(m.id)}`, {method: 'DELETE'});
              } catch (e) {
                showProblem($.error, e, {lead: 'The model could not be deleted'});
              }
              refreshModels();
            }})))));
}
