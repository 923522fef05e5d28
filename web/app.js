// The cctv dashboard: reads only the public HTTP API (docs/http-api.md).
// Charts come from the counts routes, never from raw activities, so a
// table of any size draws as fast as a small one.
'use strict';

const BUCKET_SECONDS = { minute: 60, hour: 3600, day: 86400 };
const RANGES = {
  '1h': { span: 3600, bucket: 'minute' },
  '24h': { span: 86400, bucket: 'hour' },
  '7d': { span: 7 * 86400, bucket: 'hour' },
  '30d': { span: 30 * 86400, bucket: 'day' },
};
const REFRESH_MS = 5000;
const RECENT_LIMIT = 50;
// Enough of the busiest targets to fill their card beside the recent activity.
const TOP_TARGETS = 15;
const MAX_ATTRIBUTE_COLUMNS = 8;

const state = {
  table: localStorage.getItem('cctv.table') || '',
  target: '',
  range: RANGES[localStorage.getItem('cctv.range')] ? localStorage.getItem('cctv.range') : '24h',
  key: localStorage.getItem('cctv.key') || '',
  lookup: null,  // {by: 'target'|'actor', key}
  busy: false,
  again: false,  // something changed during a refresh: refresh once more after it
};
const $ = (id) => document.getElementById(id);
let chart = null;

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path) {
  const headers = state.key ? { Authorization: 'Bearer ' + state.key } : {};
  const response = await fetch(path, { headers });
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { /* not JSON */ }
  if (!response.ok) {
    if (response.status === 401 || response.status === 403) askForKey(body && body.error);
    throw new ApiError(response.status, (body && body.error) || response.statusText);
  }
  return body;
}

function status(text, bad) {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('bad', !!bad);
}

function askForKey(why) {
  const dialog = $('key-dialog');
  if (dialog.open) return;
  if (why) dialog.querySelector('p').textContent = why + '. Enter a key with the read scope; it stays in this browser.';
  $('key-input').value = state.key;
  dialog.showModal();
}

$('key-dialog').addEventListener('close', () => {
  if ($('key-dialog').returnValue !== 'ok') return;
  state.key = $('key-input').value.trim();
  localStorage.setItem('cctv.key', state.key);
  start();
});
$('key-button').addEventListener('click', () => askForKey());

function rangeQuery() {
  const r = RANGES[state.range];
  const to = Math.floor(Date.now() / 1000) + 1;
  return { from: to - r.span, to, bucket: r.bucket };
}

function enc(s) { return encodeURIComponent(s); }

function fmtTime(iso) {
  const d = new Date(iso);
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function fmtNumber(n) { return Number(n).toLocaleString(); }

async function loadTables() {
  const { tables } = await api('/v1/tables');
  const select = $('table');
  select.replaceChildren(...tables.map((t) => new Option(t, t)));
  if (!tables.includes(state.table)) state.table = tables[0] || '';
  select.value = state.table;
  return tables;
}

function legendOnLatest(u) {
  if (u.cursor.idx == null && u.data[0].length > 0) u.setLegend({ idx: u.data[0].length - 1 });
}

function drawChart(series, bucket) {
  state.bucketSeconds = BUCKET_SECONDS[bucket];
  const xs = series.map((p) => Date.parse(p.start) / 1000);
  const counts = series.map((p) => p.count);
  const uniques = series.map((p) => p.unique_actors);
  const data = [xs, counts, uniques];
  const width = $('chart').clientWidth || 800;
  if (chart && chart.series.length === 3) {
    chart.setData(data);
    return;
  }
  if (chart) chart.destroy();
  const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined;
  chart = new uPlot({
    width,
    height: 300,
    cursor: { drag: { x: false, y: false } },
    // The legend shows the latest bucket until the pointer picks another,
    // and again once it leaves, instead of "--".
    hooks: { ready: [legendOnLatest], setData: [legendOnLatest], setCursor: [legendOnLatest] },
    // Half a bucket of room each side: bars are centred on their bucket's start.
    scales: { x: { time: true, range: (u, min, max) => [min - state.bucketSeconds / 2, max + state.bucketSeconds / 2] }, n: { range: (u, min, max) => [0, Math.max(1, max)] } },
    axes: [
      { stroke: '#6b7280', grid: { stroke: '#f0f1f3' } },
      { scale: 'n', stroke: '#6b7280', grid: { stroke: '#f0f1f3' }, values: (u, v) => v.map(fmtNumber), size: 60 },
    ],
    series: [
      {},
      { label: 'activities', scale: 'n', stroke: '#2563eb', fill: 'rgba(37,99,235,0.25)', paths: bars, points: { show: false } },
      { label: 'unique actors', scale: 'n', stroke: '#f59e0b', width: 2, points: { show: false } },
    ],
  }, data, $('chart'));
}

async function loadChart() {
  const q = rangeQuery();
  const target = state.target ? '&target=' + enc(state.target) : '';
  const result = await api(`/v1/${enc(state.table)}/counts?bucket=${q.bucket}&from=${q.from}&to=${q.to}&unique=true${target}`);
  drawChart(result.series, result.bucket);
  const total = result.series.reduce((s, p) => s + p.count, 0);
  $('chart-title').textContent = state.target ? `Activity on ${state.target}` : `Activity in ${state.table}`;
  $('chart-totals').textContent = `${fmtNumber(total)} activities · per ${result.bucket}`;
}

async function loadTop() {
  const q = rangeQuery();
  const { targets } = await api(`/v1/${enc(state.table)}/top?from=${q.from}&to=${q.to}&limit=${TOP_TARGETS}`);
  const max = targets.length ? targets[0].count : 1;
  const list = $('top');
  list.replaceChildren(...targets.map((t) => {
    const li = document.createElement('li');
    li.title = t.target;
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = (100 * t.count / max).toFixed(1) + '%';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = t.target;
    const n = document.createElement('span');
    n.className = 'n';
    n.textContent = fmtNumber(t.count);
    li.append(bar, name, n);
    li.addEventListener('click', () => setTarget(t.target));
    return li;
  }));
  if (!targets.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'No activity in this range';
    list.replaceChildren(li);
  }
  $('targets').replaceChildren(...targets.map((t) => new Option(t.target)));
  $('top-range').textContent = 'last ' + state.range;
  return targets;
}

async function loadRecent(topTargets) {
  let by = 'target', key = state.target;
  if (state.lookup) ({ by, key } = state.lookup);
  else if (!key && topTargets.length) key = topTargets[0].target;
  const body = $('recent').tBodies[0], head = $('recent').tHead;
  const emptyRow = (text) => {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.className = 'empty';
    td.textContent = text;
    tr.append(td);
    body.replaceChildren(tr);
  };
  if (!key) {
    $('recent-title').textContent = 'Recent activity';
    head.replaceChildren();
    emptyRow('Nothing recorded in this range yet');
    return;
  }
  const { activities } = await api(`/v1/${enc(state.table)}/activities?${by}=${enc(key)}&limit=${RECENT_LIMIT}`);
  $('recent-title').textContent = `Recent activity ${by === 'actor' ? 'by' : 'on'} ${key}`;
  const names = [];
  for (const a of activities) {
    for (const name of Object.keys(a.attributes || {})) {
      if (!names.includes(name) && names.length < MAX_ATTRIBUTE_COLUMNS) names.push(name);
    }
  }
  const tr = document.createElement('tr');
  for (const h of ['time', 'actor', 'target', ...names]) {
    const th = document.createElement('th');
    th.textContent = h;
    tr.append(th);
  }
  head.replaceChildren(tr);
  body.replaceChildren(...activities.map((a) => {
    const row = document.createElement('tr');
    const cell = (text, cls) => {
      const td = document.createElement('td');
      if (cls) td.className = cls;
      td.textContent = text;
      row.append(td);
      return td;
    };
    cell(fmtTime(a.time), 'time').title = a.time;
    const link = (text, onClick) => {
      const td = cell('');
      const el = document.createElement('a');
      el.textContent = text;
      el.addEventListener('click', onClick);
      td.append(el);
    };
    link(a.actor, () => lookUp('actor', a.actor));
    link(a.target, () => setTarget(a.target));
    for (const name of names) {
      const v = (a.attributes || {})[name];
      cell(v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
    return row;
  }));
  if (!activities.length) emptyRow(`No activity ${by === 'actor' ? 'by' : 'on'} ${key}`);
}

async function refresh() {
  if (!state.table) return;
  if (state.busy) {
    state.again = true;
    return;
  }
  state.busy = true;
  state.again = false;
  try {
    const [, top] = await Promise.all([loadChart(), loadTop()]);
    await loadRecent(top);
    status('updated ' + new Date().toLocaleTimeString());
  } catch (e) {
    status(e.message, true);
  } finally {
    state.busy = false;
  }
  if (state.again) refresh();
}

function setTarget(target) {
  state.target = target;
  state.lookup = null;
  $('target').value = target;
  refresh();
}

function lookUp(by, key) {
  state.lookup = key ? { by, key } : null;
  $('lookup-by').value = by;
  $('lookup-key').value = key;
  refresh();
}

$('table').addEventListener('change', (e) => {
  state.table = e.target.value;
  localStorage.setItem('cctv.table', state.table);
  state.target = '';
  state.lookup = null;
  $('target').value = '';
  refresh();
});
$('target').addEventListener('change', (e) => setTarget(e.target.value.trim()));
$('lookup').addEventListener('submit', (e) => {
  e.preventDefault();
  lookUp($('lookup-by').value, $('lookup-key').value.trim());
});
for (const button of document.querySelectorAll('.ranges button')) {
  button.classList.toggle('on', button.dataset.range === state.range);
  button.addEventListener('click', () => {
    state.range = button.dataset.range;
    localStorage.setItem('cctv.range', state.range);
    for (const b of document.querySelectorAll('.ranges button')) b.classList.toggle('on', b === button);
    refresh();
  });
}
window.addEventListener('resize', () => {
  if (chart) chart.setSize({ width: $('chart').clientWidth, height: 300 });
});
setInterval(async () => {
  if (!$('auto').checked || document.hidden) return;
  // A table made since the page loaded shows up too.
  if (!state.table) return start();
  refresh();
}, REFRESH_MS);

async function start() {
  try {
    const tables = await loadTables();
    if (!tables.length) {
      status('no tables yet: record an activity (POST /v1/{table}/activities)');
      return;
    }
    await refresh();
  } catch (e) {
    status(e.message, true);
  }
}

start();
