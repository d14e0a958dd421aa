// New job: the form for POST /jobs. Validation is the API's: a 400 problem+json carries `fields` (path → message),
// shown next to each control and in a summary at the top.
import {api, el, fmtBytes, fmtCount, hideProblem, showProblem} from './api.js';

let $ = {};

const LABELS = {
  modelId: 'Model',
  'calibration.datasetId': 'Calibration dataset',
  'calibration.samples': 'Samples',
  'calibration.seqLen': 'Sequence length',
  alpha: 'Migration strength α',
  level: 'Level',
  weights: 'Weight scales',
  backend: 'Backend',
  'evaluation.datasetIds': 'Evaluation datasets',
  'evaluation.maxTokens': 'Max tokens',
  'evaluation.sequences': 'Masked-LM sequences',
  'benchmark.batchSizes': 'Batch sizes',
  'benchmark.seqLens': 'Sequence lengths',
  'benchmark.decodeTokens': 'Decode tokens',
  webhookUrl: 'Webhook URL',
};

export function init() {
  $ = {
    form: document.getElementById('job-form'),
    errors: document.getElementById('job-errors'),
    model: document.getElementById('job-model'),
    calib: document.getElementById('job-calib-dataset'),
    evalSets: document.getElementById('job-eval-datasets'),
    alpha: document.getElementById('job-alpha'),
    submit: document.getElementById('job-submit'),
    status: document.getElementById('job-status'),
  };
  $.form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  for (const r of $.form.querySelectorAll('input[name="alphaMode"]')) {
    r.addEventListener('change', syncAlpha);
  }
  $.alpha.addEventListener('focus', () => {
    $.form.querySelector('input[name="alphaMode"][value="value"]').checked = true;
    syncAlpha();
  });
  $.calib.addEventListener('change', () => {
    // Evaluate on the calibration text by default when nothing else is chosen.
    const boxes = [...$.evalSets.querySelectorAll('input[type="checkbox"]')];
    if (!boxes.some((b) => b.checked)) {
      const b = boxes.find((x) => x.value === $.calib.value);
      if (b) {
        b.checked = true;
      }
    }
  });
  syncAlpha();
}

function syncAlpha() {
  const mode = $.form.querySelector('input[name="alphaMode"]:checked').value;
  $.alpha.classList.toggle('dim', mode !== 'value');
}

export async function show(params) {
  hideProblem($.errors);
  $.status.textContent = '';
  let models = [];
  let datasets = [];
  try {
    [models, datasets] = await Promise.all([api('models'), api('datasets')]);
  } catch (e) {
    showProblem($.errors, e, {lead: e.status === 401 ? 'Set your API key first' : 'Could not load your models and datasets'});
  }
  const keepModel = params.model || $.model.value;
  $.model.replaceChildren(
      el('option', {value: '', text: models.length ? 'Choose a model…' : 'No models: upload one first'}),
      ...models.map((m) => el('option', {value: m.id,
        text: `${m.name} · ${m.architecture || m.format} · ${fmtCount(m.parameters)} params · ${m.dtype}`})));
  if (keepModel && models.some((m) => m.id === keepModel)) {
    $.model.value = keepModel;
  } else if (models.length === 1) {
    $.model.value = models[0].id;
  }
  const keepCalib = $.calib.value;
  $.calib.replaceChildren(
      el('option', {value: '', text: datasets.length ? 'Choose a dataset…' : 'No datasets: upload one first'}),
      ...datasets.map((d) => el('option', {value: d.id, text: `${d.name} · ${fmtBytes(d.sizeBytes)}`})));
  if (keepCalib && datasets.some((d) => d.id === keepCalib)) {
    $.calib.value = keepCalib;
  } else if (datasets.length) {
    $.calib.value = datasets[0].id;
  }
  const checked = new Set([...$.evalSets.querySelectorAll('input:checked')].map((b) => b.value));
  const legend = $.evalSets.querySelector('legend');
  $.evalSets.replaceChildren(legend);
  if (!datasets.length) {
    $.evalSets.append(el('p', {class: 'help empty', text: 'Upload a dataset first.'}));
  }
  datasets.forEach((d, i) => {
    const id = `job-eval-${i}`;
    $.evalSets.append(el('label', {class: 'choice', for: id},
        el('input', {type: 'checkbox', id, value: d.id, name: 'evaluation.datasetIds',
          checked: checked.size ? checked.has(d.id) : d.id === $.calib.value}),
        ` ${d.name}`));
  });
}

function intOrUndefined(id) {
  const v = document.getElementById(id).value.trim();
  return v === '' ? undefined : Number(v);
}

function list(id) {
  const v = document.getElementById(id).value.trim();
  if (!v) {
    return undefined;
  }
  // Anything that is not a whole number goes up as null, and the API names the field that is wrong.
  return v.split(/[\s,;]+/).filter(Boolean).map((t) => (/^-?\d+$/.test(t) ? Number(t) : null));
}

export function specFromForm() {
  const mode = $.form.querySelector('input[name="alphaMode"]:checked').value;
  const spec = {
    modelId: $.model.value || null,
    calibration: {
      datasetId: $.calib.value || null,
      samples: intOrUndefined('job-samples'),
      seqLen: intOrUndefined('job-seqlen'),
    },
    alpha: mode === 'default' ? null : mode === 'auto' ? 'auto' : $.alpha.value.trim(),
    level: $.form.querySelector('input[name="level"]:checked').value,
    weights: document.getElementById('job-weights').value,
    evaluation: {
      datasetIds: [...$.evalSets.querySelectorAll('input:checked')].map((b) => b.value),
      maxTokens: intOrUndefined('job-max-tokens'),
      sequences: intOrUndefined('job-sequences'),
    },
    benchmark: {
      batchSizes: list('job-batches'),
      seqLens: list('job-seqlens'),
      decodeTokens: intOrUndefined('job-decode'),
    },
    backend: document.getElementById('job-backend').value,
  };
  const hook = document.getElementById('job-webhook').value.trim();
  if (hook) {
    spec.webhookUrl = hook;
  }
  return spec;
}

function clearFieldErrors() {
  for (const p of $.form.querySelectorAll('.field-error')) {
    p.hidden = true;
    p.textContent = '';
  }
  for (const c of $.form.querySelectorAll('[aria-invalid]')) {
    c.removeAttribute('aria-invalid');
  }
}

function controlFor(field) {
  const direct = $.form.querySelector(`[data-field="${CSS.escape(field)}"]`);
  if (direct) {
    return direct;
  }
  if (field === 'level') {
    return $.form.querySelector('fieldset.levels');
  }
  if (field === 'evaluation.datasetIds') {
    return $.evalSets;
  }
  return null;
}

function showFieldErrors(err) {
  const fields = (err.problem && err.problem.fields) || {};
  const items = [];
  let first = null;
  for (const [field, message] of Object.entries(fields)) {
    // "calibration.datasetId" and also nested paths like "benchmark.seqLens[2]".
    const base = field.replace(/\[\d+]$/, '');
    const slot = $.form.querySelector(`[data-error-for="${CSS.escape(base)}"]`);
    const control = controlFor(base);
    if (slot) {
      slot.textContent = `${LABELS[base] || base}: ${message}`;
      slot.hidden = false;
    }
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      first = first || control;
    }
    const focusTarget = control && control.matches('fieldset') ? control.querySelector('input') : control;
    items.push(el('li', {},
        focusTarget ? el('a', {href: '#', onclick: (e) => {
          e.preventDefault();
          focusTarget.focus();
        }, text: LABELS[base] || field}) : el('code', {text: field}),
        `: ${message}`));
  }
  $.errors.replaceChildren(
      el('p', {class: 'problem-title', text: err.problem?.title || 'The job was refused'}),
      items.length ? el('ul', {}, items) : el('p', {class: 'problem-detail', text: err.message}),
      el('p', {class: 'help', text: `HTTP ${err.status}${err.problem?.type ? ' · ' + err.problem.type : ''}`}));
  $.errors.hidden = false;
  $.errors.focus();
  return first;
}

async function submit() {
  hideProblem($.errors);
  clearFieldErrors();
  $.status.className = 'status';
  $.status.textContent = 'Submitting…';
  $.submit.disabled = true;
  try {
    const job = await api('jobs', {method: 'POST', json: specFromForm()});
    $.status.className = 'status ok';
    $.status.textContent = `Job ${job.id.slice(0, 8)} submitted.`;
    location.hash = `#/jobs?highlight=${encodeURIComponent(job.id)}`;
  } catch (e) {
    $.status.textContent = '';
    if (e.problem && e.problem.fields) {
      showFieldErrors(e);
    } else {
      showProblem($.errors, e, {lead: 'The job was refused'});
      $.errors.focus();
    }
  } finally {
    $.submit.disabled = false;
  }
}
