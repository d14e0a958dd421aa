// Jobs: the tenant's jobs with live progress from the Server-Sent Events stream (GET /jobs/{id}/events; EventSource
// cannot send headers, so the key goes as ?access_token=), and cancel / restart.
import {api, el, fmtDuration, fmtTime, getKey, hideProblem, shortId, showProblem, API} from './api.js';

const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
const WATCHDOG_MS = 8000;
let $ = {};
const streams = new Map();   // job id → EventSource or polling timer
const rows = new Map();      // job id → <tr>
let modelNames = new Map();
let visible = false;

export function init() {
  $ = {
    tbody: document.querySelector('#jobs-table tbody'),
    empty: document.getElementById('jobs-empty'),
    error: document.getElementById('jobs-error'),
    live: document.getElementById('jobs-live'),
  };
  document.getElementById('jobs-refresh').addEventListener('click', () => show(lastParams));
}

let lastParams = {};

export async function show(params) {
  lastParams = params;
  visible = true;
  hideProblem($.error);
  let jobs;
  try {
    const [list, models] = await Promise.all([api('jobs'), api('models').catch(() => [])]);
    jobs = list;
    modelNames = new Map(models.map((m) => [m.id, m.name]));
  } catch (e) {
    showProblem($.error, e, {lead: e.status === 401 ? 'Set your API key first' : 'Could not list jobs'});
    $.tbody.replaceChildren();
    return;
  }
  if (!visible) {
    return;
  }
  stopAll();
  rows.clear();
  $.tbody.replaceChildren(...jobs.map((j) => {
    const tr = el('tr', {dataset: {jobId: j.id}});
    rows.set(j.id, tr);
    render(tr, j);
    if (j.id === params.highlight) {
      tr.classList.add('highlight');
    }
    return tr;
  }));
  $.empty.hidden = jobs.length > 0;
  for (const j of jobs) {
    if (!FINAL.has(j.status)) {
      follow(j.id);
    }
  }
}

export function hide() {
  visible = false;
  stopAll();
}

function stopAll() {
  for (const id of [...streams.keys()]) {
    stop(id);
  }
}

function stop(id) {
  const s = streams.get(id);
  if (s instanceof EventSource) {
    s.close();
  } else if (s) {
    clearTimeout(s);
  }
  streams.delete(id);
}

function follow(id) {
  stop(id);
  const url = `${API}/jobs/${encodeURIComponent(id)}/events?access_token=${encodeURIComponent(getKey())}`;
  const es = new EventSource(url);
  streams.set(id, es);
  // A stream that stays silent for long is checked with a plain GET, so a stalled stream cannot freeze the row.
  let lastEvent = Date.now();
  const watchdog = setInterval(async () => {
    if (streams.get(id) !== es) {
      clearInterval(watchdog);
      return;
    }
    if (Date.now() - lastEvent < WATCHDOG_MS) {
      return;
    }
    lastEvent = Date.now();
    try {
      const job = await api(`jobs/${encodeURIComponent(id)}`);
      update(job);
      if (FINAL.has(job.status)) {
        stop(id);
      }
    } catch (e) {
      // keep the stream; the next tick tries again
    }
  }, 1000);
  es.addEventListener('progress', (ev) => {
    lastEvent = Date.now();
    let job;
    try {
      job = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    update(job);
    if (FINAL.has(job.status)) {
      stop(id); // the server ends the stream after the final status; do not let EventSource reconnect
    }
  });
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED && streams.get(id) === es) {
      // The stream was refused or dropped for good: fall back to polling the job.
      streams.delete(id);
      poll(id);
    }
  };
}

function poll(id) {
  const timer = setTimeout(async () => {
    if (!visible) {
      return;
    }
    try {
      const job = await api(`jobs/${encodeURIComponent(id)}`);
      update(job);
      if (!FINAL.has(job.status)) {
        poll(id);
      } else {
        streams.delete(id);
      }
    } catch (e) {
      streams.delete(id);
    }
  }, 2000);
  streams.set(id, timer);
}

function update(job) {
  const tr = rows.get(job.id);
  if (!tr) {
    return;
  }
  const before = tr.dataset.status + '/' + tr.dataset.step;
  render(tr, job);
  const after = tr.dataset.status + '/' + tr.dataset.step;
  if (before !== after) {
    $.live.textContent = FINAL.has(job.status)
        ? `Job ${shortId(job.id)} ${job.status.toLowerCase()}.`
        : `Job ${shortId(job.id)}: ${job.currentStep || 'queued'}, ${Math.round(job.percent || 0)}%.`;
  }
}

function render(tr, j) {
  tr.dataset.status = j.status;
  tr.dataset.step = j.currentStep || '';
  tr.dataset.percent = String(j.percent ?? 0);
  const spec = j.spec || {};
  const steps = j.steps || [];
  const stepIndex = steps.indexOf(j.currentStep);
  const pct = Math.max(0, Math.min(100, j.percent || 0));
  const took = j.startedAt && j.finishedAt ? (new Date(j.finishedAt) - new Date(j.startedAt)) / 1000 : null;
  const stepText = j.status === 'QUEUED' ? 'waiting for a runner'
      : j.status === 'COMPLETED' ? `done${took !== null ? ` in ${fmtDuration(took)}` : ''}`
      : j.currentStep ? `${j.currentStep}${stepIndex >= 0 ? ` (step ${stepIndex + 1} of ${steps.length})` : ''}` : '';
  const eta = j.status === 'RUNNING' && j.etaSeconds > 0 ? ` · ETA about ${fmtDuration(j.etaSeconds)}` : '';
  const report = `#/jobs/${encodeURIComponent(j.id)}/report`;
  const modelName = modelNames.get(j.modelId) || shortId(j.modelId);
  // Progress events re-render the row often: keep the buttons (and a click in progress on them) while they still apply.
  const actionsKey = `${j.status}|${!!j.cancelRequested}`;
  const keep = tr.dataset.actionsKey === actionsKey ? tr.lastElementChild : null;
  tr.dataset.actionsKey = actionsKey;
  tr.replaceChildren(
      el('td', {},
          j.status === 'COMPLETED' ? el('a', {href: report, class: 'mono', text: shortId(j.id), 'aria-label': `Report of job ${shortId(j.id)}`})
              : el('span', {class: 'mono', text: shortId(j.id)}),
          el('br'), el('span', {class: 'help', text: fmtTime(j.createdAt)})),
      el('td', {text: modelName}),
      el('td', {},
          `${spec.level || ''} · α ${spec.alpha ?? 'default'} · ${spec.weights || ''} weights`, el('br'),
          el('span', {class: 'help', text: `${spec.backend || ''} · calib ${spec.calibration?.samples ?? '?'}×${spec.calibration?.seqLen ?? '?'}`})),
      el('td', {}, el('span', {class: `badge ${j.status}`, text: j.status})),
      el('td', {class: 'job-progress'},
          el('progress', {max: '100', value: String(pct), 'aria-label': `Job ${shortId(j.id)} progress`}),
          el('p', {class: 'progress-text'},
              el('span', {class: 'job-percent', text: `${pct.toFixed(0)}%`}),
              stepText ? ` · ${stepText}` : '', eta),
          j.message && j.status !== 'COMPLETED' && j.status !== 'RUNNING'
              ? el('p', {class: 'job-message', text: j.message}) : null,
          j.cancelRequested && !FINAL.has(j.status) ? el('p', {class: 'help', text: 'Cancelling…'}) : null),
      keep || el('td', {class: 'actions-cell'},
          j.status === 'COMPLETED' ? el('a', {class: 'button small primary', href: report, text: 'Report'}) : null,
          !FINAL.has(j.status) ? el('button', {type: 'button', class: 'small danger', text: 'Cancel',
            'aria-label': `Cancel job ${shortId(j.id)}`, disabled: j.cancelRequested || undefined,
            onclick: () => act(j.id, 'cancel')}) : null,
          j.status === 'FAILED' || j.status === 'CANCELLED' ? el('button', {type: 'button', class: 'small', text: 'Restart',
            'aria-label': `Restart job ${shortId(j.id)}`, onclick: () => act(j.id, 'restart')}) : null));
}

async function act(id, action) {
  hideProblem($.error);
  try {
    const job = await api(`jobs/${encodeURIComponent(id)}/${action}`, {method: 'POST'});
    if (job && job.id) {
      update(job);
    }
    if (job && !FINAL.has(job.status)) {
      follow(id); // (re)open the stream: a restarted job runs again, a cancelled one reports its end
    }
    $.live.textContent = `Job ${shortId(id)}: ${action} requested.`;
  } catch (e) {
    showProblem($.error, e, {lead: `Could not ${action} job ${shortId(id)}`});
  }
}
