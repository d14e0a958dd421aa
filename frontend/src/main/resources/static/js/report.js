// Report: GET /jobs/{id}/report rendered as tables and ECharts charts (SVG renderer, so the numbers are in the
// DOM): perplexity per variant, latency over the batch × sequence grid with speed-ups, model size, the outlier atlas
// before/after smoothing, per-layer quantization error; plus the artifacts for download.
import {api, el, fmtBytes, fmtCount, fmtInt, fmtNum, fmtTime, getKey, hideProblem, shortId, showProblem} from './api.js';

const COLORS = {fp32: '#0072B2', fp16: '#56B4E9', naive: '#E69F00', o1: '#009E73', o2: '#009E73', o3: '#009E73',
  before: '#D55E00', after: '#009E73', speedup: '#CC79A7'};
const ORDER = ['fp32', 'fp16', 'naive', 'o1', 'o2', 'o3'];

let $ = {};
let charts = [];
let loadSeq = 0;

export function init() {
  $ = {
    heading: document.getElementById('report-heading'),
    error: document.getElementById('report-error'),
    status: document.getElementById('report-status'),
    body: document.getElementById('report-body'),
    meta: document.getElementById('report-meta'),
    cards: document.getElementById('report-cards'),
    artifacts: document.getElementById('artifact-list'),
    artifactStatus: document.getElementById('artifact-status'),
  };
  window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
}

export function hide() {
  disposeCharts();
}

function disposeCharts() {
  charts.forEach((c) => c.dispose());
  charts = [];
}

export function variantLabel(v) {
  const k = String(v).toLowerCase();
  if (k === 'fp32') {
    return 'FP32';
  }
  if (k === 'fp16') {
    return 'FP16 weights';
  }
  if (k === 'naive') {
    return 'Naive W8A8';
  }
  if (/^o[123]$/.test(k)) {
    return `SmoothQuant ${k.toUpperCase()}`;
  }
  return v;
}

function sortVariants(vs) {
  return [...vs].sort((a, b) => (ORDER.indexOf(a) + 99 * (ORDER.indexOf(a) < 0)) - (ORDER.indexOf(b) + 99 * (ORDER.indexOf(b) < 0)));
}

function pctDelta(v, base) {
  if (!base) {
    return null;
  }
  return (100 * (v - base)) / base;
}

function fmtPct(p) {
  if (p === null || p === undefined || !Number.isFinite(p)) {
    return '–';
  }
  return `${p >= 0 ? '+' : '−'}${Math.abs(p).toFixed(2)}%`;
}

function fmtX(r) {
  return r === null || r === undefined || !Number.isFinite(r) ? '–' : `${r.toFixed(2)}×`;
}

function geoMean(xs) {
  const ok = xs.filter((x) => Number.isFinite(x) && x > 0);
  return ok.length ? Math.exp(ok.reduce((s, x) => s + Math.log(x), 0) / ok.length) : null;
}

function chart(id, option, ariaLabel) {
  const node = document.getElementById(id);
  node.setAttribute('aria-label', ariaLabel);
  const existing = window.echarts.getInstanceByDom(node);
  if (existing) {
    existing.dispose();
  }
  const c = window.echarts.init(node, null, {renderer: 'svg'});
  c.setOption({
    animation: false,
    textStyle: {fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', color: '#1b1f24'},
    grid: {left: 64, right: 24, top: 48, bottom: 48, containLabel: true},
    tooltip: {trigger: 'axis', axisPointer: {type: 'shadow'}},
    legend: {top: 0},
    aria: {enabled: true},
    ...option,
  });
  charts.push(c);
  return c;
}

export async function show(params) {
  const seq = ++loadSeq;
  disposeCharts();
  hideProblem($.error);
  $.body.hidden = true;
  $.heading.textContent = `Report of job ${shortId(params.id)}`;
  $.status.textContent = 'Loading the report…';
  let report;
  let job;
  try {
    [job, report] = await Promise.all([api(`jobs/${encodeURIComponent(params.id)}`), api(`jobs/${encodeURIComponent(params.id)}/report`)]);
  } catch (e) {
    if (seq !== loadSeq) {
      return;
    }
    $.status.textContent = '';
    showProblem($.error, e, {lead: e.status === 409 ? 'The report is not ready' : 'Could not load the report'});
    if (e.status === 409) {
      $.error.append(el('p', {}, el('a', {href: '#/jobs', text: 'Follow the job on the Jobs page'})));
    }
    return;
  }
  if (seq !== loadSeq) {
    return;
  }
  if (!window.echarts) {
    showProblem($.error, {message: 'The chart library did not load; the tables below still show every number.'},
        {lead: 'Charts unavailable'});
  }
  $.body.hidden = false;
  const name = report.model?.name || shortId(job.modelId);
  $.heading.textContent = `Report: ${name}, ${report.quantization?.level || job.spec?.level || ''}`;
  document.title = `SmoothQuant · Report ${name}`;
  renderMeta(job, report);
  const sqVariant = (report.quantization?.level || job.spec?.level || 'o1').toLowerCase();
  const cards = [];
  const guard = (what, fn) => {
    try {
      fn();
    } catch (e) {
      console.warn(`report section ${what} failed`, e);
      showProblem($.error, {message: `${what}: ${e.message}`}, {lead: 'Part of the report could not be drawn'});
    }
  };
  guard('accuracy', () => renderAccuracy(report, sqVariant, cards));
  guard('latency', () => renderLatency(report, sqVariant, cards));
  guard('size', () => renderSize(report, cards));
  guard('atlas', () => renderAtlas(report, cards));
  guard('errors', () => renderErrors(report));
  $.cards.replaceChildren(...cards);
  $.status.textContent = `Report of job ${shortId(params.id)} loaded.`;
  await renderArtifacts(params.id);
}

function renderMeta(job, r) {
  const spec = r.spec || job.spec || {};
  const q = r.quantization || {};
  const cal = r.calibration || {};
  const bench = r.benchmark || {};
  const facts = [
    ['Model', `${r.model?.name ?? '–'} (${r.model?.architecture ?? r.model?.format ?? '?'})`],
    ['Parameters', r.model?.parameters ? `${fmtCount(r.model.parameters)} · ${r.model.dtype ?? ''}` : '–'],
    ['Level', q.level ?? spec.level],
    ['α', `${q.alpha ?? r.smoothing?.alpha ?? '–'}${spec.alpha === 'auto' ? ' (auto, per site)' : spec.alpha == null ? ' (family default)' : ''}`],
    ['Weight scales', q.weights ?? spec.weights],
    ['INT8 kernel', q.kernel ?? '–'],
    ['Calibration', `${cal.sequences ?? spec.calibration?.samples ?? '?'} × ${cal.seqLen ?? spec.calibration?.seqLen ?? '?'} tokens${cal.dataset ? ` of ${cal.dataset}` : ''}`],
    ['Benchmark', `${bench.backend ?? spec.backend ?? '?'}${bench.device ? ` (${bench.device})` : bench.threads ? `, ${bench.threads} threads` : ''}`
        + `${bench.fallback ? ` · CPU because ${bench.fallback}` : ''}`],
    ['Job', `${job.id}`],
    ['Finished', fmtTime(job.finishedAt)],
  ];
  $.meta.replaceChildren(...facts.map(([k, v]) => el('div', {}, el('dt', {text: k}), el('dd', {text: v ?? '–'}))));
}

function stat(label, value, sub, cls = '') {
  return el('div', {class: 'stat'}, el('p', {class: 'label', text: label}), el('p', {class: `value ${cls}`, text: value}),
      sub ? el('p', {class: 'sub', text: sub}) : null);
}

// ---- accuracy ----

const METRIC_LABELS = {perplexity: 'Perplexity', mlm: 'Masked-LM accuracy'};
const metricLabel = (m) => METRIC_LABELS[m] ?? m;

/** Change against FP32: percent for perplexity (lower is better), points of accuracy for masked LMs (higher). */
function delta(metric, value, base) {
  if (metric === 'mlm') {
    const d = value - base;
    return Number.isFinite(d) ? {text: `${d >= 0 ? '+' : ''}${fmtNum(d, 4)}`, worse: d < -0.015} : {text: '—', worse: false};
  }
  const d = pctDelta(value, base);
  return d === null ? {text: '—', worse: false} : {text: fmtPct(d), worse: d > 1};
}

function renderAccuracy(r, sqVariant, cards) {
  const results = (r.evaluation?.results || []).filter((x) => Number.isFinite(x.value));
  // One group per dataset (and per metric, should a report carry more than one).
  const metrics = [...new Set(results.map((x) => x.metric || 'perplexity'))];
  const group = (x) => (x.datasetName || x.datasetId) + (metrics.length > 1 ? ` · ${metricLabel(x.metric)}` : '');
  const datasets = [...new Set(results.map(group))];
  const variants = sortVariants([...new Set(results.map((x) => x.variant))]);
  const value = (ds, v) => results.find((x) => group(x) === ds && x.variant === v);
  const metric = metrics.length === 1 ? metrics[0] : 'value';
  const mlm = metrics.includes('mlm');

  const thead = document.querySelector('#table-perplexity thead');
  thead.replaceChildren(el('tr', {}, el('th', {scope: 'col', text: 'Dataset'}), el('th', {scope: 'col', text: 'Variant'}),
      el('th', {scope: 'col', class: 'num', text: metricLabel(metric)}),
      ...(mlm ? [el('th', {scope: 'col', class: 'num', text: 'Pseudo-perplexity'})] : []),
      el('th', {scope: 'col', class: 'num', text: 'Δ vs FP32'}),
      el('th', {scope: 'col', class: 'num', text: mlm ? 'Masked tokens' : 'Tokens'})));
  const rows = [];
  for (const ds of datasets) {
    const base = value(ds, 'fp32')?.value;
    for (const v of variants) {
      const x = value(ds, v);
      if (!x) {
        continue;
      }
      const d = v === 'fp32' ? {text: '—', worse: false} : delta(x.metric || 'perplexity', x.value, base);
      rows.push(el('tr', {dataset: {variant: v, dataset: ds}},
          el('td', {text: ds}), el('th', {scope: 'row', text: variantLabel(v)}),
          el('td', {class: 'num ppl', dataset: {value: String(x.value)}, text: fmtNum(x.value, x.metric === 'mlm' ? 4 : 3)}),
          ...(mlm ? [el('td', {class: 'num', text: fmtNum(x.pseudoPerplexity, 3)})] : []),
          el('td', {class: `num ${d.worse ? 'worse' : ''}`, text: d.text}),
          el('td', {class: 'num', text: fmtInt(x.tokens)})));
    }
  }
  document.querySelector('#table-perplexity tbody').replaceChildren(...rows);

  if (window.echarts) {
    chart('chart-perplexity', {
      xAxis: {type: 'category', data: datasets},
      yAxis: {type: 'value', name: metricLabel(metric), nameTextStyle: {align: 'left'}},
      series: variants.map((v) => ({
        name: variantLabel(v), type: 'bar', itemStyle: {color: COLORS[v]}, barMaxWidth: 56,
        data: datasets.map((ds) => value(ds, v)?.value ?? null),
        label: {show: true, position: 'top', formatter: (p) => fmtNum(p.value, mlm ? 3 : 2)},
      })),
    }, `Bar chart of ${metricLabel(metric)} per dataset: ${datasets.map((ds) => `${ds}: ${variants.map((v) =>
      `${variantLabel(v)} ${fmtNum(value(ds, v)?.value, 2)}`).join(', ')}`).join('; ')}.`);
  }

  const ds0 = datasets[0];
  if (ds0) {
    const base = value(ds0, 'fp32')?.value;
    const sq = value(ds0, sqVariant);
    const naive = value(ds0, 'naive');
    if (sq !== undefined) {
      const d = delta(sq.metric || 'perplexity', sq.value, base);
      cards.push(stat(`${metricLabel(sq.metric || 'perplexity')}, ${variantLabel(sqVariant)}`, fmtNum(sq.value, 3),
          `FP32 ${fmtNum(base, 3)} (${d.text}) on ${ds0}`, d.worse ? 'worse' : ''));
    }
    if (naive !== undefined) {
      cards.push(stat(`${metricLabel(naive.metric || 'perplexity')}, naive W8A8`, fmtNum(naive.value, 3),
          `${delta(naive.metric || 'perplexity', naive.value, base).text} vs FP32`));
    }
  }
}

// ---- latency ----

function renderLatency(r, sqVariant, cards) {
  // on a GPU the FP original runs in FP16 end to end, not as FP16 weights on an FP32 CPU pass
  const latLabel = (v) => (r.benchmark?.backend === 'cuda' && v === 'fp16' ? 'FP16' : variantLabel(v));
  const pts = r.benchmark?.points || [];
  const variants = sortVariants([...new Set(pts.map((p) => p.variant))]);
  const grid = [];
  for (const p of pts) {
    if (!grid.some((g) => g.batch === p.batch && g.seqLen === p.seqLen)) {
      grid.push({batch: p.batch, seqLen: p.seqLen});
    }
  }
  grid.sort((a, b) => a.batch - b.batch || a.seqLen - b.seqLen);
  const cat = grid.map((g) => `b${g.batch} × ${g.seqLen}`);
  const at = (v, g) => pts.find((p) => p.variant === v && p.batch === g.batch && p.seqLen === g.seqLen);
  const int8 = variants.includes(sqVariant) ? sqVariant : variants.find((v) => v !== 'fp32' && v !== 'fp16');
  const kernels = [...new Set(pts.map((p) => `${latLabel(p.variant)}: ${p.kernel}`))];
  // the GPU's baseline is FP16 (the paper's comparison), the CPU's FP32
  const base = variants.includes('fp32') ? 'fp32' : 'fp16';
  document.getElementById('lat-help').textContent = `Times measured on the runner (${r.benchmark?.backend ?? '?'}`
      + `${r.benchmark?.device ? `: ${r.benchmark.device}` : r.benchmark?.threads ? `, ${r.benchmark.threads} threads` : ''}); kernels ${kernels.join(', ')}.`
      + `${r.benchmark?.fallback ? ` Measured on the CPU because ${r.benchmark.fallback}.` : ''}`
      + `${r.benchmark?.batchSemantics ? ` Batches: ${r.benchmark.batchSemantics}.` : ''} Speed-up = ${latLabel(base)} time / INT8 time.`;

  const prefillSpeedups = grid.map((g) => (at(base, g)?.prefillMs ?? NaN) / (at(int8, g)?.prefillMs ?? NaN));
  const decodeSpeedups = grid.map((g) => (at(base, g)?.decodeMsPerToken ?? NaN) / (at(int8, g)?.decodeMsPerToken ?? NaN));

  // peak memory: weights + KV cache + what a prefill allocates on the CPU, every device buffer on the GPU
  const peakMb = (p) => (p?.memory?.peakBytes ?? NaN) / 1e6;
  const memoryRatios = grid.map((g) => peakMb(at(int8, g)) / peakMb(at(base, g)));
  const top = el('tr', {}, el('td'),
      el('th', {scope: 'colgroup', colspan: String(variants.length + 1), class: 'group', text: 'Prefill (ms)'}),
      el('th', {scope: 'colgroup', colspan: String(variants.length + 1), class: 'group', text: 'Decode (ms per token)'}),
      el('th', {scope: 'colgroup', colspan: String(variants.length + 1), class: 'group', text: 'Peak memory (MB)'}));
  const head = el('tr', {}, el('th', {scope: 'col', text: 'Batch × seq'}));
  for (let k = 0; k < 3; k++) {
    for (const v of variants) {
      head.append(el('th', {scope: 'col', class: 'num', text: latLabel(v)}));
    }
    head.append(el('th', {scope: 'col', class: 'num', text: k < 2 ? 'Speed-up' : 'INT8 / base'}));
  }
  document.querySelector('#table-latency thead').replaceChildren(top, head);
  document.querySelector('#table-latency tbody').replaceChildren(...grid.map((g, i) => {
    const tr = el('tr', {dataset: {batch: String(g.batch), seqLen: String(g.seqLen)}}, el('th', {scope: 'row', text: cat[i]}));
    for (const v of variants) {
      tr.append(el('td', {class: 'num', text: fmtNum(at(v, g)?.prefillMs, 2)}));
    }
    tr.append(el('td', {class: `num speedup ${prefillSpeedups[i] >= 1 ? 'better' : 'worse'}`, text: fmtX(prefillSpeedups[i])}));
    for (const v of variants) {
      tr.append(el('td', {class: 'num', text: fmtNum(at(v, g)?.decodeMsPerToken, 3)}));
    }
    tr.append(el('td', {class: `num speedup ${decodeSpeedups[i] >= 1 ? 'better' : 'worse'}`, text: fmtX(decodeSpeedups[i])}));
    for (const v of variants) {
      tr.append(el('td', {class: 'num', text: fmtNum(peakMb(at(v, g)), 1)}));
    }
    tr.append(el('td', {class: `num memory-ratio ${memoryRatios[i] <= 1 ? 'better' : 'worse'}`, text: fmtX(memoryRatios[i])}));
    return tr;
  }));

  if (window.echarts) {
    const latencyChart = (id, field, unit, speedups, title) => chart(id, {
      title: {text: title, left: 'center', top: 22, textStyle: {fontSize: 13, fontWeight: 600}},
      legend: {top: 0, type: 'scroll'},
      grid: {left: 56, right: 56, top: 64, bottom: 40, containLabel: true},
      xAxis: {type: 'category', data: cat, name: 'batch × seq', nameLocation: 'middle', nameGap: 28},
      yAxis: [{type: 'value', name: unit}, {type: 'value', name: 'speed-up ×', splitLine: {show: false},
        axisLabel: {formatter: (v) => `${v}×`}}],
      series: [
        ...variants.map((v) => ({
          name: latLabel(v), type: 'bar', itemStyle: {color: v === 'naive' ? COLORS.naive : COLORS[v]}, barMaxWidth: 40,
          data: grid.map((g) => at(v, g)?.[field] ?? null),
        })),
        {name: `speed-up ${latLabel(int8)}`, type: 'line', yAxisIndex: 1, itemStyle: {color: COLORS.speedup},
          symbolSize: 8, data: speedups.map((s) => (Number.isFinite(s) ? Number(s.toFixed(3)) : null)),
          label: {show: true, position: 'top', formatter: (p) => `${Number(p.value).toFixed(2)}×`}},
      ],
    }, `${title}: ${grid.map((g, i) => `${cat[i]}: ${variants.map((v) => `${latLabel(v)} ${fmtNum(at(v, g)?.[field], 2)} ${unit}`).join(', ')}, speed-up ${fmtX(speedups[i])}`).join('; ')}.`);
    latencyChart('chart-prefill', 'prefillMs', 'ms', prefillSpeedups, 'Prefill time (lower is better)');
    latencyChart('chart-decode', 'decodeMsPerToken', 'ms/token', decodeSpeedups, 'Decode time per token');
  }
  if (grid.length) {
    cards.push(stat(`Prefill speed-up, ${latLabel(int8)}`, fmtX(geoMean(prefillSpeedups)),
        `geometric mean over ${grid.length} grid point(s); best ${fmtX(Math.max(...prefillSpeedups.filter(Number.isFinite)))}`));
    cards.push(stat(`Decode speed-up, ${latLabel(int8)}`, fmtX(geoMean(decodeSpeedups)),
        `per generated token, geometric mean`));
  }
}

// ---- size ----

function renderSize(r, cards) {
  const q = r.quantization || {};
  const fp = q.fpBytes;
  const i8 = q.int8Bytes;
  const model = r.model?.sizeBytes;
  const ratio = fp && i8 ? fp / i8 : null;
  const rows = [
    ['Linear weights, FP', fp], ['Linear weights, INT8 (with scales)', i8], ['Uploaded model files', model],
  ];
  if (model && fp && i8) {
    rows.push(['Model after quantization (estimate)', model - fp + i8]);
  }
  document.querySelector('#table-size tbody').replaceChildren(...rows.map(([k, v]) => el('tr', {},
      el('th', {scope: 'row', text: k}), el('td', {class: 'num', text: fmtBytes(v)}), el('td', {class: 'num', text: fmtInt(v)}))),
  el('tr', {}, el('th', {scope: 'row', text: 'Compression of the linear weights'}), el('td', {class: 'num', text: fmtX(ratio)}), el('td')));
  if (window.echarts && fp && i8) {
    const labels = ['FP32 linear weights', 'INT8 linear weights'];
    chart('chart-size', {
      legend: {show: false},
      grid: {left: 16, right: 96, top: 16, bottom: 16, containLabel: true},
      tooltip: {trigger: 'item', formatter: (p) => `${p.name}: ${fmtBytes(p.value)}`},
      xAxis: {type: 'value', axisLabel: {formatter: (v) => fmtBytes(v)}},
      yAxis: {type: 'category', data: labels, inverse: true},
      series: [{type: 'bar', barMaxWidth: 36, data: [{value: fp, itemStyle: {color: COLORS.fp32}}, {value: i8, itemStyle: {color: COLORS.o1}}],
        label: {show: true, position: 'right', formatter: (p) => fmtBytes(p.value)}}],
    }, `Model size: FP linear weights ${fmtBytes(fp)}, INT8 ${fmtBytes(i8)}, ${fmtX(ratio)} smaller.`);
  }
  if (ratio) {
    cards.push(stat('Linear weights', `${fmtBytes(fp)} → ${fmtBytes(i8)}`, `${fmtX(ratio)} smaller`, 'better'));
  }
}

// ---- outlier atlas ----

function renderAtlas(r, cards) {
  const atlas = r.smoothing?.atlas || [];
  const alphas = r.smoothing?.alphas || {};
  const sites = atlas.map((a) => a.site);
  const before = atlas.map((a) => a.before?.ratio ?? null);
  const after = atlas.map((a) => (a.after ? a.after.ratio : null));
  const head = el('tr', {}, ...['Site', 'Channels', 'α', 'Before max', 'Before median', 'Before max/median',
    'After max', 'After median', 'After max/median', 'Top outlier channels'].map((t, i) =>
    el('th', {scope: 'col', class: i === 0 || i === 9 ? '' : 'num', text: t})));
  document.querySelector('#table-atlas thead').replaceChildren(head);
  document.querySelector('#table-atlas tbody').replaceChildren(...atlas.map((a) => el('tr', {dataset: {site: a.site}},
      el('th', {scope: 'row', class: 'mono', text: a.site + (a.smoothed === false ? ' (not smoothed)' : '')}),
      el('td', {class: 'num', text: fmtInt(a.channels)}),
      el('td', {class: 'num', text: alphas[a.site] !== undefined ? fmtNum(alphas[a.site], 2) : '–'}),
      el('td', {class: 'num', text: fmtNum(a.before?.max, 3)}), el('td', {class: 'num', text: fmtNum(a.before?.median, 3)}),
      el('td', {class: 'num', text: fmtNum(a.before?.ratio, 2)}),
      el('td', {class: 'num', text: fmtNum(a.after?.max, 3)}), el('td', {class: 'num', text: fmtNum(a.after?.median, 3)}),
      el('td', {class: 'num', text: fmtNum(a.after?.ratio, 2)}),
      el('td', {class: 'mono', text: (a.topBefore || []).map((t) => `#${t.index} (${fmtNum(t.absMax, 2)})`).join(', ')}))));
  if (window.echarts && atlas.length) {
    const all = [...before, ...after].filter((x) => Number.isFinite(x) && x > 0);
    const log = all.length && Math.max(...all) / Math.min(...all) > 30;
    chart('chart-atlas', {
      legend: {top: 0},
      grid: {left: 56, right: 24, top: 48, bottom: sites.length > 24 ? 72 : 56, containLabel: true},
      xAxis: {type: 'category', data: sites, axisLabel: {rotate: sites.length > 8 ? 45 : 0, fontFamily: 'ui-monospace, monospace'}},
      yAxis: {type: log ? 'log' : 'value', name: 'max / median of channel |X|max', min: log ? undefined : 0},
      dataZoom: sites.length > 40 ? [{type: 'slider', bottom: 4, end: Math.min(100, (4000 / sites.length))}] : undefined,
      series: [
        {name: 'before smoothing', type: 'bar', itemStyle: {color: COLORS.before}, data: before},
        {name: 'after smoothing', type: 'bar', itemStyle: {color: COLORS.after},
          // Sites the method leaves alone (no preceding norm to fold the factors into) keep their outliers.
          data: atlas.map((a, i) => (a.smoothed === false ? {value: after[i], itemStyle: {color: '#8c959f'}} : after[i]))},
      ],
    }, `Outlier severity per site before and after smoothing: ${atlas.map((a, i) => `${a.site} ${fmtNum(before[i], 2)} → ${fmtNum(after[i], 2)}`).join(', ')}.`);
    const mb = geoMean(before);
    const ma = geoMean(after);
    cards.push(stat('Outlier severity (max/median)', `${fmtNum(mb, 2)} → ${fmtNum(ma, 2)}`,
        `geometric mean over ${atlas.length} linear inputs, before → after smoothing`));
  }
}

// ---- per-layer error ----

function renderErrors(r) {
  const errs = r.quantization?.linearErrors || [];
  document.querySelector('#table-errors tbody').replaceChildren(...errs.map((e) => el('tr', {},
      el('td', {class: 'mono', text: e.tensor}), el('td', {class: 'mono', text: e.site ?? '–'}),
      el('td', {class: 'num', text: Number.isFinite(e.relativeMse) ? e.relativeMse.toExponential(3) : '–'}))));
  if (!window.echarts || !errs.length) {
    return;
  }
  const parsed = errs.map((e) => {
    const m = /(?:layers|blk|layer|h|block)\.(\d+)\.(.+?)(?:\.weight)?$/.exec(e.tensor);
    return m ? {layer: Number(m[1]), kind: m[2].split('.').pop(), v: e.relativeMse} : null;
  });
  const positive = errs.map((e) => e.relativeMse).filter((v) => v > 0);
  const logAxis = positive.length === errs.length;
  if (parsed.every(Boolean)) {
    const layers = [...new Set(parsed.map((p) => p.layer))].sort((a, b) => a - b);
    const kinds = [...new Set(parsed.map((p) => p.kind))];
    chart('chart-errors', {
      legend: {top: 0, type: 'scroll'},
      tooltip: {trigger: 'axis', valueFormatter: (v) => (v === null || v === undefined ? '–' : Number(v).toExponential(2))},
      xAxis: {type: 'category', name: 'layer', nameLocation: 'middle', nameGap: 28, data: layers.map(String)},
      yAxis: {type: logAxis ? 'log' : 'value', name: 'relative MSE', axisLabel: {formatter: (v) => Number(v).toExponential(0)}},
      series: kinds.map((k) => ({
        name: k, type: 'line', symbolSize: 7,
        data: layers.map((l) => parsed.find((p) => p.layer === l && p.kind === k)?.v ?? null),
      })),
    }, `Relative MSE per layer for ${kinds.join(', ')}; the largest is ${Math.max(...positive).toExponential(2)}.`);
  } else {
    chart('chart-errors', {
      legend: {show: false},
      xAxis: {type: 'category', data: errs.map((e) => e.tensor), axisLabel: {rotate: 60}},
      yAxis: {type: logAxis ? 'log' : 'value', name: 'relative MSE'},
      series: [{type: 'bar', data: errs.map((e) => e.relativeMse), itemStyle: {color: COLORS.o1}}],
    }, `Relative MSE per linear layer, ${errs.length} layers.`);
  }
}

// ---- artifacts ----

async function renderArtifacts(jobId) {
  $.artifactStatus.textContent = '';
  let list = [];
  try {
    list = await api(`jobs/${encodeURIComponent(jobId)}/artifacts`);
  } catch (e) {
    $.artifactStatus.textContent = `Could not list the artifacts: ${e.message}`;
  }
  const items = [
    {name: `report-${jobId}.csv`, label: 'Report tables (CSV)', url: `/api/v1/jobs/${encodeURIComponent(jobId)}/report.csv`},
    ...list.map((a) => ({name: a.name, label: a.name, url: a.url, size: a.sizeBytes, expiresAt: a.expiresAt})),
  ];
  $.artifacts.replaceChildren(...items.map((a) => {
    const absolute = /^https?:/i.test(a.url);
    const link = el('a', {href: a.url, download: a.name.split('/').pop(), dataset: {artifact: a.name},
      text: a.label, onclick: absolute ? undefined : (ev) => {
        ev.preventDefault();
        download(a);
      }});
    return el('li', {}, link, a.size !== undefined ? el('span', {class: 'size', text: ` · ${fmtBytes(a.size)}`}) : null,
        a.expiresAt ? el('span', {class: 'size', text: ` · link valid until ${fmtTime(a.expiresAt)}`}) : null);
  }));
}

/** Artifacts on the local store stream through the API, which needs the key: fetch with it, then save the blob. */
async function download(a) {
  $.artifactStatus.className = 'status';
  $.artifactStatus.textContent = `Downloading ${a.name}…`;
  try {
    const res = await fetch(a.url, {headers: {Authorization: `Bearer ${getKey()}`}});
    if (!res.ok) {
      throw new Error(`HTTP ${res.status}`);
    }
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const tmp = el('a', {href: url, download: a.name.split('/').pop()});
    document.body.append(tmp);
    tmp.click();
    tmp.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    $.artifactStatus.className = 'status ok';
    $.artifactStatus.textContent = `Downloaded ${a.name} (${fmtBytes(blob.size)}).`;
  } catch (e) {
    $.artifactStatus.className = 'status bad';
    $.artifactStatus.textContent = `Download of ${a.name} failed: ${e.message}`;
  }
}
