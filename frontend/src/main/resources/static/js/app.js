// The single-page app: hash routes to the views, the API key page, and the key banner.
import {api, ApiError, getKey, setKey} from './api.js';
import * as upload from './upload.js';
import * as datasets from './datasets.js';
import * as newJob from './newjob.js';
import * as jobs from './jobs.js';
import * as report from './report.js';

const views = {
  home: {title: 'Home', show: showHome},
  key: {title: 'API key', show: showKey},
  upload: {title: 'Upload model', show: upload.show},
  datasets: {title: 'Datasets', show: datasets.show},
  'new-job': {title: 'New job', show: newJob.show},
  jobs: {title: 'Jobs', show: jobs.show, hide: jobs.hide},
  report: {title: 'Report', show: report.show, hide: report.hide},
  notfound: {title: 'Not found', show: () => {}},
};

let current = null;

function parseRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const params = Object.fromEntries(new URLSearchParams(query));
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) {
    return {name: 'home', params};
  }
  if (parts.length === 1 && ['key', 'upload', 'datasets', 'jobs'].includes(parts[0])) {
    return {name: parts[0], params};
  }
  if (parts[0] === 'jobs' && parts[1] === 'new' && parts.length === 2) {
    return {name: 'new-job', params};
  }
  if (parts[0] === 'jobs' && parts.length === 3 && parts[2] === 'report') {
    return {name: 'report', params: {...params, id: decodeURIComponent(parts[1])}};
  }
  return {name: 'notfound', params};
}

async function route() {
  const {name, params} = parseRoute();
  if (current && current !== name && views[current].hide) {
    views[current].hide();
  }
  for (const section of document.querySelectorAll('main > .view')) {
    section.hidden = section.id !== `view-${name}`;
  }
  for (const a of document.querySelectorAll('nav a[data-nav]')) {
    const active = a.dataset.nav === name || (name === 'report' && a.dataset.nav === 'jobs');
    if (active) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
  document.title = `SmoothQuant · ${views[name].title}`;
  const first = current === null;
  current = name;
  updateKeyBanner();
  if (!first) {
    const h1 = document.querySelector(`#view-${name} h1`);
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({preventScroll: true});
      window.scrollTo(0, 0);
    }
  }
  try {
    await views[name].show(params);
  } catch (e) {
    console.warn('view failed', e); // shown in the view's own problem box where it has one
  }
}

function updateKeyBanner() {
  const has = !!getKey();
  const needs = !['home', 'key', 'notfound'].includes(current);
  document.getElementById('key-banner').hidden = has || !needs;
  document.getElementById('key-nav').classList.toggle('key-set', has);
}

// ---- home ----

async function showHome() {
  const el = document.getElementById('health');
  try {
    const res = await fetch('/actuator/health');
    const body = await res.json();
    el.textContent = `Service is ${body.status}.`;
  } catch (e) {
    el.textContent = 'Service health could not be read.';
  }
}

// ---- API key ----

function showKey() {
  const input = document.getElementById('api-key');
  input.value = getKey();
  const status = document.getElementById('key-status');
  status.className = 'status';
  status.textContent = getKey() ? 'A key is stored for this session.' : 'No key stored.';
}

function initKeyForm() {
  const form = document.getElementById('key-form');
  const input = document.getElementById('api-key');
  const status = document.getElementById('key-status');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    if (!key) {
      status.className = 'status bad';
      status.textContent = 'Paste a key first.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    status.className = 'status';
    status.textContent = 'Checking the key…';
    const previous = getKey();
    setKey(key);
    try {
      const models = await api('models');
      status.className = 'status ok';
      status.textContent = `Key saved for this session. It works: ${models.length} model(s) visible.`;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        setKey(previous);
        status.className = 'status bad';
        status.textContent = `The service refused this key: ${e.message}`;
        input.setAttribute('aria-invalid', 'true');
      } else {
        status.className = 'status';
        status.textContent = `Key saved, but it could not be checked: ${e.message}`;
      }
    }
  });
  document.getElementById('key-forget').addEventListener('click', () => {
    setKey('');
    input.value = '';
    status.className = 'status';
    status.textContent = 'Key forgotten.';
  });
}

document.addEventListener('sq:key-changed', updateKeyBanner);
initKeyForm();
upload.init();
datasets.init();
newJob.init();
jobs.init();
report.init();
window.addEventListener('hashchange', route);
route();
