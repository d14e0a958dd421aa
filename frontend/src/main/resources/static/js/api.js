// The public REST API (/api/v1) as the UI uses it: the key in session storage, JSON calls, problem+json errors,
// and small formatting helpers shared by the views.

const KEY_STORAGE = 'sq.apiKey';
export const API = '/api/v1';

export function getKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || '';
  } catch (e) {
    return '';
  }
}

export function setKey(key) {
  if (key) {
    sessionStorage.setItem(KEY_STORAGE, key);
  } else {
    sessionStorage.removeItem(KEY_STORAGE);
  }
  document.dispatchEvent(new CustomEvent('sq:key-changed'));
}

/** An error response from the API, carrying its RFC 9457 problem (detail, title, type, fields, …). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function problemOf(res) {
  const text = await res.text();
  try {
    const body = JSON.parse(text);
    if (body && typeof body === 'object') {
      if (!body.detail && body.error) {
        body.detail = `${body.error} (${res.status})`;
      }
      return body;
    }
  } catch (e) {
    // not JSON: fall through
  }
  return {status: res.status, title: res.statusText || `HTTP ${res.status}`, detail: text ? text.slice(0, 500) : `HTTP ${res.status}`};
}

/** Calls the API with the session's key; returns the parsed JSON (or text), throws ApiError on a non-2xx answer. */
export async function api(path, {method = 'GET', json, body, headers = {}, raw = false} = {}) {
  const h = {...headers};
  const key = getKey();
  if (key) {
    h.Authorization = `Bearer ${key}`;
  } else {
    // Every /api/ call needs a key: say so without a request the service would refuse.
    throw new ApiError(401, {title: 'No API key', detail: 'Paste your API key on the API key page first.'});
  }
  let payload = body;
  if (json !== undefined) {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(json);
  }
  let res;
  try {
    res = await fetch(path.startsWith('/') ? path : `${API}/${path}`, {method, headers: h, body: payload});
  } catch (e) {
    throw new ApiError(0, {title: 'Network error', detail: `The service could not be reached (${e.message}).`});
  }
  if (!res.ok) {
    throw new ApiError(res.status, await problemOf(res));
  }
  if (raw) {
    return res;
  }
  if (res.status === 204) {
    return null;
  }
  const type = res.headers.get('Content-Type') || '';
  return type.includes('json') ? res.json() : res.text();
}

/**
 * Sends a body with XMLHttpRequest so upload progress can be shown. Resolves with the parsed JSON answer; rejects
 * with an ApiError (status 0 for a network failure or an abort).
 */
export function xhrSend(method, path, body, {onProgress, contentType, signal, failBeforeSend = false} = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    const key = getKey();
    if (key) {
      xhr.setRequestHeader('Authorization', `Bearer ${key}`);
    }
    if (contentType) {
      xhr.setRequestHeader('Content-Type', contentType);
    }
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    if (onProgress) {
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : null);
    }
    xhr.onload = () => {
      let parsed = null;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch (e) {
        parsed = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(parsed);
      } else {
        const problem = parsed && typeof parsed === 'object' ? parsed
            : {title: `HTTP ${xhr.status}`, detail: (xhr.responseText || '').slice(0, 500) || `HTTP ${xhr.status}`};
        if (!problem.detail && problem.error) {
          problem.detail = `${problem.error} (${xhr.status})`;
        }
        reject(new ApiError(xhr.status, problem));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, {title: 'Network error', detail: 'The connection failed while sending.'}));
    xhr.onabort = () => reject(new ApiError(0, {title: 'Interrupted', detail: 'The request was interrupted before it completed.'}));
    if (signal) {
      if (signal.aborted) {
        reject(new ApiError(0, {title: 'Aborted', detail: 'Aborted.', aborted: true}));
        return;
      }
      signal.addEventListener('abort', () => xhr.abort(), {once: true});
    }
    xhr.send(body);
    if (failBeforeSend) {
      // Test hook (see upload.js): behaves exactly like a connection that dropped mid-part.
      xhr.abort();
    }
  });
}

// ---- rendering helpers ----

/** Creates an element: el('td', {class: 'num', text: '3'}, child…). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) {
      continue;
    }
    if (k === 'text') {
      e.textContent = v;
    } else if (k === 'class') {
      e.className = v;
    } else if (k === 'dataset') {
      Object.assign(e.dataset, v);
    } else if (k.startsWith('on') && typeof v === 'function') {
      e.addEventListener(k.slice(2), v);
    } else {
      e.setAttribute(k, v === true ? '' : v);
    }
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) {
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
  return e;
}

/** Fills a problem box (role=alert) from an ApiError or any error: title, detail and the extra members. */
export function showProblem(box, err, {lead} = {}) {
  const p = err && err.problem ? err.problem : {title: 'Error', detail: String(err && err.message ? err.message : err)};
  box.replaceChildren();
  box.append(el('p', {class: 'problem-title', text: lead || p.title || 'The request was refused'}));
  if (p.detail) {
    box.append(el('p', {class: 'problem-detail', text: p.detail}));
  }
  const skip = new Set(['type', 'title', 'status', 'detail', 'instance', 'fields', 'timestamp', 'error', 'path', 'aborted']);
  const extras = Object.entries(p).filter(([k, v]) => !skip.has(k) && v !== null && typeof v !== 'object');
  if (p.fields && typeof p.fields === 'object') {
    for (const [k, v] of Object.entries(p.fields)) {
      extras.push([k, v]);
    }
  }
  if (extras.length) {
    box.append(el('ul', {}, extras.map(([k, v]) => el('li', {}, el('code', {text: k}), ': ', String(v)))));
  }
  if (err && err.status) {
    box.append(el('p', {class: 'help', text: `HTTP ${err.status}${p.type ? ' · ' + p.type : ''}`}));
  }
  box.hidden = false;
}

export function hideProblem(box) {
  box.hidden = true;
  box.replaceChildren();
}

export function fmtBytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) {
    return '–';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[i]}`;
}

export function fmtCount(n) {
  if (n === null || n === undefined) {
    return '–';
  }
  if (n >= 1e9) {
    return `${(n / 1e9).toFixed(2)} B`;
  }
  if (n >= 1e6) {
    return `${(n / 1e6).toFixed(2)} M`;
  }
  if (n >= 1e3) {
    return `${(n / 1e3).toFixed(1)} K`;
  }
  return String(n);
}

export function fmtInt(n) {
  return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US');
}

export function fmtNum(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(Number(v))) {
    return '–';
  }
  return Number(v).toFixed(digits);
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) {
    return '';
  }
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m} min ${s % 60} s`;
  }
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function fmtTime(iso) {
  if (!iso) {
    return '–';
  }
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function shortId(id) {
  return id ? id.slice(0, 8) : '';
}
