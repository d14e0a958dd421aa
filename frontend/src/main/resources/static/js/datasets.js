// Datasets: one multipart POST /datasets per text file, and the tenant's list.
import {api, el, fmtBytes, fmtTime, hideProblem, showProblem, xhrSend, API} from './api.js';

let $ = {};

export function init() {
  $ = {
    form: document.getElementById('dataset-form'),
    file: document.getElementById('dataset-file'),
    name: document.getElementById('dataset-name'),
    format: document.getElementById('dataset-format'),
    submit: document.getElementById('dataset-upload'),
    progressBlock: document.getElementById('dataset-progress-block'),
    progress: document.getElementById('dataset-progress'),
    progressText: document.getElementById('dataset-progress-text'),
    error: document.getElementById('dataset-error'),
    status: document.getElementById('dataset-status'),
    tbody: document.querySelector('#datasets-table tbody'),
  };
  $.progressText.removeAttribute('aria-live');
  $.form.addEventListener('submit', (e) => {
    e.preventDefault();
    upload();
  });
}

export async function show() {
  await refresh();
}

async function upload() {
  hideProblem($.error);
  $.status.textContent = '';
  const file = $.file.files[0];
  if (!file) {
    showProblem($.error, {message: 'Choose a text file first.'}, {lead: 'No file chosen'});
    $.file.focus();
    return;
  }
  const body = new FormData();
  body.append('file', file, file.name);
  if ($.name.value.trim()) {
    body.append('name', $.name.value.trim());
  }
  if ($.format.value) {
    body.append('format', $.format.value);
  }
  $.submit.disabled = true;
  $.progressBlock.hidden = false;
  $.status.className = 'status';
  $.status.textContent = `Uploading ${file.name}…`;
  try {
    const ds = await xhrSend('POST', `${API}/datasets`, body, {
      onProgress: (loaded, total) => {
        const t = total || file.size;
        $.progress.max = t;
        $.progress.value = loaded;
        $.progressText.textContent = `${fmtBytes(loaded)} of ${fmtBytes(t)} (${((100 * loaded) / t).toFixed(1)}%)`;
      },
    });
    $.progress.value = $.progress.max;
    $.status.className = 'status ok';
    $.status.textContent = `Dataset “${ds.name}” stored: ${fmtBytes(ds.sizeBytes)}, ${ds.format}.`;
    $.form.reset();
    await refresh(ds.id);
  } catch (e) {
    $.status.textContent = '';
    showProblem($.error, e, {lead: 'The dataset was rejected'});
    $.error.focus();
  } finally {
    $.submit.disabled = false;
  }
}

async function refresh(highlight) {
  let list;
  try {
    list = await api('datasets');
  } catch (e) {
    $.tbody.replaceChildren(el('tr', {}, el('td', {colspan: '6', class: 'empty', text: e.status === 401
        ? 'Set your API key to see your datasets.' : `Could not list datasets: ${e.message}`})));
    return;
  }
  if (!list.length) {
    $.tbody.replaceChildren(el('tr', {}, el('td', {colspan: '6', class: 'empty', text: 'No datasets yet.'})));
    return;
  }
  $.tbody.replaceChildren(...list.map((d) => el('tr', {class: d.id === highlight ? 'highlight' : '', dataset: {datasetId: d.id}},
      el('td', {}, el('strong', {text: d.name}), el('br'), el('span', {class: 'mono help', text: d.id})),
      el('td', {text: d.format}),
      el('td', {class: 'num', text: fmtBytes(d.sizeBytes)}),
      el('td', {class: 'mono'}, el('span', {class: 'truncate', title: d.sha256, text: d.sha256})),
      el('td', {text: fmtTime(d.createdAt)}),
      el('td', {class: 'actions-cell'}, el('button', {
        type: 'button', class: 'small danger', text: 'Delete', 'aria-label': `Delete ${d.name}`,
        onclick: async () => {
          if (!confirm(`Delete the dataset “${d.name}”?`)) {
            return;
          }
          try {
            await api(`datasets/${encodeURIComponent(d.id)}`, {method: 'DELETE'});
          } catch (e) {
            showProblem($.error, e, {lead: 'The dataset could not be deleted'});
          }
          refresh();
        },
      })))));
}
