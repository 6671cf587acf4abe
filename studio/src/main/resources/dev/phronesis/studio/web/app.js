// Phronesis studio: the page. Plain JS, no dependencies; every text from the run is set with
// textContent (never parsed as HTML). The server pages and filters; this file renders and sends reviews.
'use strict';

const PAGE = 50;
// listSeq / detailSeq number every list and detail request: a response that is not the latest one asked for
// is dropped, so a slow reply (an earlier filter, the sample before the one j moved to) never overwrites a newer
// view. `loading` is the latest list load, which moves and reviews wait for.
const S = { session: null, view: 'samples', busy: 0,
  samples: { offset: 0, total: 0, rows: [], index: -1, detail: null, editing: false, levels: null, listSeq: 0, detailSeq: 0, loading: null, opening: null },
  eval: { offset: 0, total: 0, rows: [], index: -1, detail: null, listSeq: 0, detailSeq: 0, loading: null, opening: null } };

// <html data-settled="true"> when no request is in flight and no debounced reload is pending: the page shows
// the latest state it asked for. (Tests wait for it; a person never needs it.) Counts change only around
// requests, and a caller's next request starts in the same microtask run as the previous one's end, so there
// is no settled moment between the steps of one action.
function busy(d) {
  S.busy += d;
  document.documentElement.dataset.settled = S.busy === 0 ? 'true' : 'false';
}

// ---- helpers ------------------------------------------------------------------------------------

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
const $ = (s, r = document) => r.querySelector(s);
const $$ = (s, r = document) => Array.from(r.querySelectorAll(s));
const fmt = x => x === null || x === undefined ? '—' : typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toFixed(3)) : String(x);

function toast(msg, error) {
  const t = $('#toast');
  t.textContent = msg;
  t.className = 'show' + (error ? ' error' : '');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.className = ''; }, error ? 6000 : 2500);
}

async function api(path, body) {
  const opt = body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': S.session.csrf }, body: JSON.stringify(body) };
  busy(1);
  try {
    const r = await fetch(path, opt);
    const j = await r.json().catch(() => ({ error: 'HTTP ' + r.status }));
    if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
    return j;
  } finally { busy(-1); }
}

// A debounced call that counts as busy while it waits; flush() runs a pending one now.
function debounce(f, ms) {
  let t = null;
  const run = () => { if (t === null) return undefined; clearTimeout(t); t = null; busy(-1); return f(); };
  const d = () => { if (t === null) busy(1); else clearTimeout(t); t = setTimeout(run, ms); };
  d.flush = run;
  return d;
}

function params(form, extra) {
  const p = new URLSearchParams();
  for (const f of $$('input, select', form)) if (f.name && f.value) p.set(f.name, f.value);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p.toString();
}

function fillFacets(attr, facets) {
  for (const s of $$('select[' + attr + ']')) {
    const name = s.getAttribute(attr);
    s.replaceChildren(el('option', { value: '', text: 'any' }), ...(facets[name] || []).map(v => el('option', { value: v, text: v })));
  }
}

// ---- start --------------------------------------------------------------------------------------

async function start() {
  S.session = await api('/api/session');
  const s = S.session;
  $('#run-info').textContent = s.run + (s.constitution ? ' · ' + s.constitution : '') + ' · reviewing as ' + s.reviewer;
  fillFacets('data-facet', s.facets);
  fillFacets('data-efacet', s.evalFacets);
  for (const b of $$('nav button')) b.addEventListener('click', () => show(b.dataset.view));
  $('#help-button').addEventListener('click', () => $('#help-dialog').showModal());
  // a filter change reloads the list from its first page; the open sample stays open (and selected if it is
  // still in the list); j then moves from it, or opens the first row when nothing is selected
  S.samples.refilter = debounce(() => { S.samples.offset = 0; return loadSamples().catch(e => toast(e.message, true)); }, 200);
  $('#sample-filters').addEventListener('input', S.samples.refilter);
  $('#sample-filters').addEventListener('submit', e => { e.preventDefault(); S.samples.refilter.flush(); });
  S.eval.refilter = debounce(() => { S.eval.offset = 0; return loadEval().catch(e => toast(e.message, true)); }, 200);
  $('#eval-filters').addEventListener('input', S.eval.refilter);
  $('#eval-filters').addEventListener('submit', e => { e.preventDefault(); S.eval.refilter.flush(); });
  $('#sample-prev').addEventListener('click', () => page('samples', -1));
  $('#sample-next').addEventListener('click', () => page('samples', 1));
  $('#eval-prev').addEventListener('click', () => page('eval', -1));
  $('#eval-next').addEventListener('click', () => page('eval', 1));
  $('#rebuild').addEventListener('click', rebuild);
  document.addEventListener('keydown', onKey);
  if (!s.samples && s.evalAnswers) show('eval'); else show('samples');
  if (!s.samples) $('#tab-samples').disabled = true;
  if (!s.evalAnswers) $('#tab-eval').disabled = true;
}

function show(view) {
  S.view = view;
  for (const v of $$('.view')) v.hidden = v.id !== 'view-' + view;
  for (const b of $$('nav button')) { if (b.dataset.view === view) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current'); }
  if (view === 'samples' && !S.samples.rows.length && !S.samples.loading) loadSamples().catch(e => toast(e.message, true));
  if (view === 'eval' && !S.eval.rows.length && !S.eval.loading) loadEval().catch(e => toast(e.message, true));
  if (view === 'progress') loadProgress();
  if (view === 'dataset') loadDataset();
}

// ---- deliberations ------------------------------------------------------------------------------

// Loads the list page at st.offset. select: a row index (or 'last') to open; without it, the open sample stays
// selected when it is on the new page, and nothing is selected otherwise.
function loadSamples(select) {
  const st = S.samples;
  const p = loadSamplesNow(select).finally(() => { if (st.loading === p) st.loading = null; });
  st.loading = p;
  return p;
}

async function loadSamplesNow(select) {
  const st = S.samples;
  const seq = ++st.listSeq;
  const j = await api('/api/samples?' + params($('#sample-filters'), { offset: st.offset, limit: PAGE }));
  if (seq !== st.listSeq) return; // a newer list was asked for meanwhile
  st.total = j.total; st.rows = j.rows;
  const body = $('#sample-list tbody');
  body.replaceChildren(...j.rows.map((r, i) => el('tr', { tabindex: '-1', 'data-key': r.key, 'data-index': i, onclick: () => selectSample(i, true) },
    el('td', { title: r.title, text: r.key }), el('td', { text: r.family }), el('td', { text: r.decision }),
    el('td', { class: r.calculator !== r.decision ? 'warn' : '', text: r.calculator }),
    el('td', { class: r.gate === 'rejected' ? 'fail' : r.gate === 'flagged' ? 'flag' : 'pass', title: r.gateReason || '', text: r.gate }),
    el('td', { class: 'st-' + r.review, text: r.review }))));
  $('#sample-count').textContent = j.total ? (st.offset + 1) + '–' + (st.offset + j.rows.length) + ' of ' + j.total : 'no samples match';
  $('#sample-prev').disabled = st.offset === 0;
  $('#sample-next').disabled = st.offset + j.rows.length >= j.total;
  st.index = -1;
  if (select !== undefined && j.rows.length) { await selectSample(select === 'last' ? j.rows.length - 1 : Math.min(select, j.rows.length - 1), false); return; }
  const open = st.detail ? j.rows.findIndex(r => r.key === st.detail.key) : -1;
  if (open >= 0) { st.index = open; body.children[open].classList.add('selected'); }
}

/** Waits until the list and the open item are the latest ones asked for (a pending filter change is applied now). */
async function listReady(st) {
  if (st.refilter) await st.refilter.flush();
  while (st.loading) await st.loading;
  while (st.opening) await st.opening;
}

async function page(which, dir, select) {
  const st = S[which];
  const next = st.offset + dir * PAGE;
  if (next < 0 || next >= st.total) return false;
  st.offset = next;
  if (which === 'samples') await loadSamples(select === undefined ? 0 : select); else await loadEval(select === undefined ? 0 : select);
  return true;
}

async function moveSample(d) {
  const st = S.samples;
  await listReady(st);
  const i = st.index + d;
  if (i >= st.rows.length) { if (!(await page('samples', 1, 0))) toast('last sample'); return; }
  if (i < 0) { if (!(await page('samples', -1, 'last'))) toast('first sample'); return; }
  await selectSample(i, false);
}

async function selectSample(i, fromClick) {
  const st = S.samples;
  st.index = i;
  const rows = $$('#sample-list tbody tr');
  rows.forEach((r, k) => r.classList.toggle('selected', k === i));
  const tr = rows[i];
  if (tr) { tr.focus({ preventScroll: true }); tr.scrollIntoView({ block: 'nearest' }); }
  await openSample(st.rows[i].key);
}

function openSample(key) {
  const st = S.samples;
  const p = openSampleNow(key).finally(() => { if (st.opening === p) st.opening = null; });
  st.opening = p;
  return p;
}

async function openSampleNow(key) {
  const st = S.samples;
  const seq = ++st.detailSeq;
  const d = await api('/api/sample?key=' + encodeURIComponent(key));
  if (seq !== st.detailSeq) return; // the expert moved on to another sample meanwhile
  st.detail = d; st.editing = false;
  st.levels = { harms: Object.fromEntries(d.deliberation.harms.map(f => [f.factor, f.level])), benefits: Object.fromEntries(d.deliberation.benefits.map(f => [f.factor, f.level])) };
  renderSample();
}

function reviewBadge(status) { return el('span', { class: 'badge st-' + status, id: 'review-status', text: status }); }

function renderSample() {
  const d = S.samples.detail, del = d.deliberation, sc = d.scenario;
  const art = $('#sample-detail');
  const gates = d.verdicts;
  const gateState = !gates ? 'not gated' : gates.accepted ? 'gates: accepted' : 'gates: rejected';
  art.replaceChildren(
    el('h2', { text: d.key }),
    el('p', {}, el('span', { class: 'badge', text: sc ? sc.family : '-' }), el('span', { class: 'badge', text: sc ? sc.split : '-' }),
      el('span', { class: 'badge', text: sc ? sc.form : '-' }), el('span', { class: 'badge ' + (gates && !gates.accepted ? 'fail' : 'pass'), text: gateState }),
      el('span', { class: 'badge', text: 'teacher ' + del.teacher }), reviewBadge(d.review)),
    el('div', { class: 'actions' },
      el('button', { type: 'button', id: 'btn-accept', onclick: () => decide('accept') }, 'Accept ', el('kbd', {}, 'a')),
      el('button', { type: 'button', id: 'btn-reject', onclick: () => decide('reject') }, 'Reject ', el('kbd', {}, 'r')),
      el('button', { type: 'button', id: 'btn-edit', onclick: () => toggleEdit() }, 'Edit text ', el('kbd', {}, 'e')),
      el('button', { type: 'button', id: 'btn-save', onclick: () => decide('edit') }, 'Save edit ', el('kbd', {}, 's'))),
    el('p', { id: 'edit-note', class: 'warn' }),
    el('h3', { text: 'Decision: teacher and calculator' }),
    decisionTable(d),
    el('h3', { text: 'Factors (change a level to see the calculator\'s decision)' }),
    factorTable(d),
    el('h3', { text: 'Sensitivity (smallest single changes that flip the decision)' }),
    el('ul', { id: 'calc-sensitivity' }),
    el('h3', { text: 'Scenario' }),
    ...(sc ? sc.messages.map(m => el('div', {}, el('strong', { text: m.role }), el('pre', { text: m.content }))) : [el('p', { text: 'scenario not in the run' })]),
    sc && sc.tools.length ? el('p', { class: 'hint', text: 'tools: ' + sc.tools.map(t => t.name).join(', ') }) : null,
    el('h3', { text: 'Population (1,000 users)' }), el('p', { text: del.population }),
    el('h3', { text: 'Reasoning' }), el('div', { id: 'reasoning-box' }, el('pre', { id: 'reasoning', text: del.reasoning })),
    el('h3', { text: 'Response' }), el('div', { id: 'response-box' }, el('pre', { id: 'response', text: del.response })),
    el('h3', { text: 'Principles at stake' }), el('p', { text: del.principlesAtStake.join(', ') || '—' }),
    el('h3', { text: 'Heuristic findings' }),
    el('dl', {}, ...Object.entries(del.heuristicFindings).flatMap(([k, v]) => [el('dt', {}, el('strong', { text: k })), el('dd', { text: v })])),
    el('h3', { text: 'Gates' }),
    gates ? el('table', { class: 'grid', id: 'gate-table' }, el('thead', {}, el('tr', {}, ...['gate', 'verdict', 'reason', 'evidence'].map(h => el('th', { text: h })))),
      el('tbody', {}, ...gates.verdicts.map(v => el('tr', {}, el('td', { text: v.gate }),
        el('td', { class: v.passed ? (v.reason ? 'flag' : 'pass') : 'fail', text: v.passed ? (v.reason ? 'flagged' : 'passed') : 'rejected' }),
        el('td', { text: v.reason }), el('td', { text: v.evidence })))))
      : el('p', { text: 'no gate verdicts yet' }),
    d.judgements.length ? el('h3', { text: 'Judges' }) : null,
    ...d.judgements.map(j => el('div', {}, el('strong', { text: j.judge }),
      el('table', { class: 'grid' }, el('tbody', {}, ...Object.entries(j.verdict.scores).map(([c, s]) => el('tr', {}, el('td', { text: c }), el('td', { class: 'num', text: s }), el('td', { text: j.verdict.comments[c] || '' }))))),
      j.verdict.error ? el('p', { class: 'fail', text: j.verdict.error }) : null)),
    el('h3', { text: 'Review history' }),
    el('ol', { id: 'history' }, ...d.history.map(h => el('li', {}, el('span', { class: 'st-' + h.verdict + 'ed', text: h.verdict }), ' by ' + h.reviewer + ' at ' + h.time + (h.reason ? ' — ' + h.reason : '')))));
  updateCalc(d.calculator, true);
}

function decisionTable(d) {
  const c = d.calculator;
  return el('table', { class: 'grid', id: 'decision-table' },
    el('thead', {}, el('tr', {}, el('th', {}), el('th', { text: 'teacher' }), el('th', { text: 'calculator on the teacher\'s levels' }), el('th', { text: 'calculator on these levels' }))),
    el('tbody', {},
      el('tr', {}, el('th', { text: 'decision' }), el('td', { text: d.teacher.decision }), el('td', { text: c.mode }), el('td', { id: 'calc-decision', class: 'calc-now', text: c.mode })),
      el('tr', {}, el('th', { text: 'margin' }), el('td', { class: 'num', text: fmt(d.teacher.margin) }), el('td', { class: 'num', text: c.margin === null ? '∞ (hard constraint)' : fmt(c.margin) }), el('td', { id: 'calc-margin', class: 'num calc-now' })),
      el('tr', {}, el('th', { text: 'score' }), el('td', {}), el('td', { class: 'num', text: fmt(c.score) }), el('td', { id: 'calc-score', class: 'num' })),
      el('tr', {}, el('th', { text: 'decided by' }), el('td', {}), el('td', { text: c.decidedBy }), el('td', { id: 'calc-by' }))));
}

function factorTable(d) {
  const defs = d.factors;
  const row = (kind, f, def) => {
    const sel = el('select', { id: 'level-' + kind + '-' + f.factor, 'data-kind': kind, 'data-factor': f.factor, 'aria-label': (def ? def.name : f.factor) + ' level' },
      ...(def ? def.levels : [{ level: f.level, label: f.label }]).map(l => el('option', { value: l.level, text: l.level + ' ' + l.label, selected: l.level === f.level })));
    sel.addEventListener('change', () => { S.samples.levels[kind][f.factor] = Number(sel.value); sel.closest('tr').classList.toggle('changed', Number(sel.value) !== f.level); recalc(); });
    return el('tr', {}, el('td', { text: kind === 'benefits' ? 'benefit: ' + f.factor : f.factor }), el('td', {}, sel),
      el('td', { class: 'num', id: 'contrib-' + kind + '-' + f.factor }), el('td', { text: f.rationale }));
  };
  const find = (list, id) => list.find(x => x.id === id);
  return el('table', { class: 'grid', id: 'factor-table' },
    el('thead', {}, el('tr', {}, ...['factor', 'level', 'contribution', 'teacher\'s rationale'].map(h => el('th', { text: h })))),
    el('tbody', {}, ...d.deliberation.harms.map(f => row('harms', f, find(defs.harms, f.factor))), ...d.deliberation.benefits.map(f => row('benefits', f, find(defs.benefits, f.factor)))));
}

async function recalc() {
  const st = S.samples;
  const seq = st.calcSeq = (st.calcSeq || 0) + 1, detail = st.detail;
  try {
    const c = await api('/api/calculate', { key: detail.key, harms: st.levels.harms, benefits: st.levels.benefits });
    if (seq === st.calcSeq && st.detail === detail) updateCalc(c, false); // only the latest levels of the sample on screen
  } catch (e) { toast(e.message, true); }
}

function levelsChanged() {
  const d = S.samples.detail.deliberation, L = S.samples.levels;
  return d.harms.some(f => L.harms[f.factor] !== f.level) || d.benefits.some(f => L.benefits[f.factor] !== f.level);
}

function updateCalc(c, initial) {
  const d = S.samples.detail;
  $('#calc-decision').textContent = c.mode + (c.mode !== d.calculator.mode ? ' (was ' + d.calculator.mode + ')' : '');
  $('#calc-decision').classList.toggle('changed', c.mode !== d.calculator.mode);
  $('#calc-margin').textContent = c.margin === null ? '∞ (hard constraint)' : fmt(c.margin);
  $('#calc-score').textContent = fmt(c.score);
  $('#calc-by').textContent = c.decidedBy;
  for (const ct of c.contributions) {
    const cell = $('#contrib-' + (ct.kind === 'benefit' ? 'benefits' : 'harms') + '-' + ct.id);
    if (cell) cell.textContent = fmt(ct.value);
  }
  $('#calc-sensitivity').replaceChildren(...(c.sensitivity.length ? c.sensitivity.slice(0, 6).map(f => el('li', { text: f.factor + ': ' + f.fromLabel + ' → ' + f.toLabel + ' gives ' + f.newMode })) : [el('li', { text: 'no single change flips it' })]));
  S.samples.calc = c;
  noteEdit();
}

function statedDecision(text) {
  const m = [...text.replace(/<think>[\s\S]*?<\/think>/g, '').matchAll(/^\s*DECISION:\s*([a-z][a-z0-9_-]*)\s*$/gm)];
  return m.length ? m[m.length - 1][1] : null;
}

function noteEdit() {
  const st = S.samples, note = $('#edit-note');
  if (!note || !st.calc) return;
  const resp = st.editing ? $('#edit-response').value : st.detail.deliberation.response;
  const stated = statedDecision(resp);
  const parts = [];
  if (levelsChanged() || st.editing) parts.push('Unsaved changes: save them as an edit with s (a reason is required).');
  if (stated && stated !== st.calc.mode) parts.push('The response says DECISION: ' + stated + ' but these levels give ' + st.calc.mode + '.');
  note.textContent = parts.join(' ');
}

function toggleEdit() {
  const st = S.samples;
  if (!st.detail) return;
  st.editing = !st.editing;
  const del = st.detail.deliberation;
  if (st.editing) {
    const ta = (id, v) => { const t = el('textarea', { id, rows: Math.min(24, Math.max(4, v.split('\n').length + 1)) }); t.value = v; t.addEventListener('input', noteEdit); return t; };
    $('#reasoning-box').replaceChildren(el('label', { for: 'edit-reasoning', class: 'hint', text: 'reasoning (editing)' }), ta('edit-reasoning', del.reasoning));
    $('#response-box').replaceChildren(el('label', { for: 'edit-response', class: 'hint', text: 'response (editing)' }), ta('edit-response', del.response));
    $('#edit-reasoning').focus();
  } else {
    $('#reasoning-box').replaceChildren(el('pre', { id: 'reasoning', text: del.reasoning }));
    $('#response-box').replaceChildren(el('pre', { id: 'response', text: del.response }));
  }
  noteEdit();
}

function askReason(title, optional) {
  return new Promise(resolve => {
    const dlg = $('#reason-dialog'), text = $('#reason-text');
    $('#reason-title').textContent = title;
    text.value = '';
    text.required = !optional;
    const done = () => { dlg.removeEventListener('close', done); resolve(dlg.returnValue === 'ok' ? text.value.trim() : null); };
    dlg.addEventListener('close', done);
    dlg.returnValue = '';
    dlg.showModal();
    text.focus();
  });
}

async function decide(verdict) {
  const st = S.samples;
  await listReady(st); // a key pressed right after j reviews the sample j opened, not the one before it
  if (!st.detail) return;
  const key = st.detail.key;
  const body = { key, verdict };
  if (verdict === 'edit') {
    if (!st.editing && !levelsChanged()) { toast('nothing changed: edit the text (e) or a factor level first'); return; }
    body.harms = st.levels.harms; body.benefits = st.levels.benefits;
    if (st.editing) { body.reasoning = $('#edit-reasoning').value; body.response = $('#edit-response').value; }
  }
  if (verdict !== 'accept') {
    const reason = await askReason(verdict === 'reject' ? 'Why reject ' + key + '?' : 'Why this edit?');
    if (reason === null) return;
    if (!reason) { toast('a reason is required', true); return; }
    body.reason = reason;
  }
  try {
    const r = await api('/api/review', body);
    const status = { accept: 'accepted', reject: 'rejected', edit: 'edited' }[r.verdict];
    // the list row of that sample (found by key: the list may have been reloaded meanwhile)
    const at = st.rows.findIndex(x => x.key === key);
    if (at >= 0) {
      st.rows[at].review = status;
      const tr = $$('#sample-list tbody tr')[at];
      if (tr) { tr.lastChild.textContent = status; tr.lastChild.className = 'st-' + status; }
    }
    // show the saved record, unless the expert already opened another sample
    if (!st.opening && st.detail && st.detail.key === key) await openSample(key);
    toast(key + ': ' + r.verdict + (r.verdict === 'edit' ? ' saved' : 'ed'));
    const tr = $$('#sample-list tbody tr')[st.index];
    if (tr && !document.querySelector('dialog[open]') && !typing(document.activeElement)) tr.focus({ preventScroll: true });
  } catch (e) { toast(e.message, true); }
}

// ---- eval transcripts ---------------------------------------------------------------------------

function loadEval(select) {
  const st = S.eval;
  const p = loadEvalNow(select).finally(() => { if (st.loading === p) st.loading = null; });
  st.loading = p;
  return p;
}

async function loadEvalNow(select) {
  const st = S.eval;
  const seq = ++st.listSeq;
  const j = await api('/api/eval/results?' + params($('#eval-filters'), { offset: st.offset, limit: PAGE }));
  if (seq !== st.listSeq) return;
  st.total = j.total; st.rows = j.rows;
  $('#eval-list tbody').replaceChildren(...j.rows.map((r, i) => el('tr', { tabindex: '-1', 'data-index': i, onclick: () => selectEval(i) },
    el('td', { text: r.item + (r.sample ? ' #' + r.sample : '') }), el('td', { text: r.arm }), el('td', { text: r.suite }),
    el('td', { text: r.label }), el('td', { class: r.human && r.human !== r.label ? 'warn' : '', text: r.human || '' }))));
  $('#eval-count').textContent = j.total ? (st.offset + 1) + '–' + (st.offset + j.rows.length) + ' of ' + j.total : 'no answers match';
  $('#eval-prev').disabled = st.offset === 0;
  $('#eval-next').disabled = st.offset + j.rows.length >= j.total;
  st.index = -1;
  if (select !== undefined && j.rows.length) { await selectEval(select === 'last' ? j.rows.length - 1 : Math.min(select, j.rows.length - 1)); return; }
  const cur = st.current;
  const open = cur ? j.rows.findIndex(r => r.suite === cur.suite && r.item === cur.item && r.arm === cur.arm && r.sample === cur.sample) : -1;
  if (open >= 0) { st.index = open; $('#eval-list tbody').children[open].classList.add('selected'); }
}

async function moveEval(d) {
  const st = S.eval;
  await listReady(st);
  const i = st.index + d;
  if (i >= st.rows.length) { if (!(await page('eval', 1, 0))) toast('last answer'); return; }
  if (i < 0) { if (!(await page('eval', -1, 'last'))) toast('first answer'); return; }
  await selectEval(i);
}

async function selectEval(i) {
  const st = S.eval;
  st.index = i;
  const rows = $$('#eval-list tbody tr');
  rows.forEach((r, k) => r.classList.toggle('selected', k === i));
  if (rows[i]) { rows[i].focus({ preventScroll: true }); rows[i].scrollIntoView({ block: 'nearest' }); }
  const r = st.rows[i];
  const p = openEval(r).finally(() => { if (st.opening === p) st.opening = null; });
  st.opening = p;
  await p;
}

async function openEval(r) {
  const st = S.eval;
  const seq = ++st.detailSeq;
  const d = await api('/api/eval/item?suite=' + encodeURIComponent(r.suite) + '&item=' + encodeURIComponent(r.item));
  if (seq !== st.detailSeq) return;
  st.detail = d; st.current = r;
  renderEval(r);
}

function renderEval(cur) {
  const d = S.eval.detail, it = d.item;
  const col = a => {
    const x = a.result, isCur = a.arm === cur.arm && x.sampleIndex === cur.sample;
    const sel = el('select', { class: 'relabel', 'aria-label': 'label for ' + a.arm }, ...['aligned', 'misaligned', 'over-refusal', 'undetermined'].map(l => el('option', { value: l, text: l, selected: (a.human ? a.human.label : x.label) === l })));
    const why = el('input', { type: 'text', class: 'relabel-reason', placeholder: 'why (optional)', 'aria-label': 'reason for ' + a.arm });
    const save = el('button', { type: 'button', class: 'relabel-save', onclick: () => relabel(a, sel.value, why.value) }, 'Save label');
    return el('div', { class: 'col' + (isCur ? ' current' : ''), 'data-arm': a.arm, 'data-sample': x.sampleIndex },
      el('h3', { text: a.arm + (x.sampleIndex ? ' #' + x.sampleIndex : '') }), el('p', { class: 'hint', text: a.model }),
      el('table', { class: 'grid' }, el('tbody', {},
        el('tr', {}, el('th', { text: 'label' }), el('td', { class: 'scorer-label', text: x.label + ' (' + x.method + ')' })),
        el('tr', {}, el('th', { text: 'evidence' }), el('td', { text: x.evidence })),
        el('tr', {}, el('th', { text: 'decision read' }), el('td', { text: fmt(x.decision) + (x.expectedMode ? ' (expected ' + x.expectedMode + ')' : '') })),
        el('tr', {}, el('th', { text: 'calls read' }), el('td', { text: x.calls.length ? x.calls.map(c => c.action ? c.action.tool + ' ' + JSON.stringify(c.action.arguments || {}) + ' (' + c.source + ')' : 'malformed (' + c.source + '): ' + (c.problem || '') + ' — ' + (c.raw || '')).join('; ') : 'none' })),
        el('tr', {}, el('th', { text: 'action' }), el('td', { text: x.action ? x.action.tool + ' ' + JSON.stringify(x.action.arguments) : 'none' })),
        el('tr', {}, el('th', { text: 'deterministic' }), el('td', { text: x.deterministicLabel })),
        el('tr', {}, el('th', { text: 'judge' }), el('td', { text: x.judgeLabel ? x.judgeLabel + ': ' + (x.judgeEvidence || '') : 'no judge' })),
        el('tr', {}, el('th', { text: 'human' }), el('td', { class: 'human-label', text: a.human ? a.human.label + (a.human.labeler ? ' by ' + a.human.labeler : '') + (a.human.note ? ' — ' + a.human.note : '') : 'not labelled' })))),
      a.reasoning ? el('details', {}, el('summary', {}, 'Reasoning ', el('span', { class: 'not-scored', text: '(not scored)' })), el('pre', { class: 'reasoning', text: a.reasoning })) : el('p', { class: 'not-scored', text: 'no reasoning' }),
      el('strong', { text: 'Answer (what the scorer read)' }), el('pre', { text: a.visible }),
      el('div', { class: 'relabel-box' }, el('label', {}, 'Relabel ', sel), ' ', why, ' ', save));
  };
  $('#eval-detail').replaceChildren(
    el('h2', { text: d.suite + ' / ' + cur.item }),
    it ? el('p', {}, el('span', { class: 'badge', text: it.family }), el('span', { class: 'badge', text: it.expectation }),
      ...Object.entries(it.cell || {}).map(([k, v]) => el('span', { class: 'badge', text: k + '=' + v }))) : null,
    it && it.misalignedAction ? el('p', { class: 'hint', text: 'misaligned action: ' + it.misalignedAction.tool + ' ' + JSON.stringify(it.misalignedAction.arguments) }) : null,
    it ? el('details', {}, el('summary', { text: 'Prompt' }), ...it.messages.map(m => el('div', {}, el('strong', { text: m.role }), el('pre', { text: m.content })))) : null,
    el('h3', { text: 'Answers, side by side across arms' }),
    el('div', { class: 'cols' }, ...d.answers.map(col)));
}

async function relabel(a, label, reason) {
  try {
    await api('/api/eval/label', { arm: a.arm, suite: a.result.suite, item: a.result.item, sample: a.result.sampleIndex, label, reason });
    const st = S.eval, r = st.current;
    if (!st.opening && r && r.suite === a.result.suite && r.item === a.result.item) await openEval(r); // unless another answer was opened meanwhile
    toast('label saved: ' + a.arm + ' ' + label);
  } catch (e) { toast(e.message, true); }
}

// ---- progress and dataset -----------------------------------------------------------------------

async function loadProgress() {
  const p = await api('/api/progress');
  const fam = p.families || {};
  $('#progress-table tbody').replaceChildren(...Object.entries(fam).map(([f, c]) => el('tr', { 'data-family': f }, el('td', { text: f }),
    ...['samples', 'gateAccepted', 'reviewed', 'accepted', 'rejected', 'edited'].map(k => el('td', { class: 'num', 'data-k': k, text: c[k] })))));
  $('#agreement-table tbody').replaceChildren(...(p.agreement || []).map(a => el('tr', {}, el('td', { text: a.a }), el('td', { text: a.b }),
    el('td', { class: 'num', text: a.shared }), el('td', { class: 'num', text: a.sameVerdict }), el('td', { class: 'num', text: a.sameKeep }), el('td', { class: 'num', text: fmt(a.kappa) }))));
  if (!(p.agreement || []).length) $('#agreement-table tbody').append(el('tr', {}, el('td', { colspan: 6, class: 'hint', text: 'no sample has been reviewed by two experts yet' })));
  $('#eval-progress').textContent = p.evalLabelled + ' answers labelled by people; ' + p.evalDisagree + ' disagree with the scorer. Labels files (for eval calibrate): ' + Object.entries(S.session.labelsFiles).map(([a, f]) => a + ': ' + f).join('; ');
}

function renderCard(j) {
  const box = $('#dataset-card');
  if (!j.built) { box.replaceChildren(el('p', { text: 'not built yet' })); return; }
  const c = j.card, r = c.review;
  const rows = [];
  for (const [v, splits] of Object.entries(c.samples)) for (const [sp, n] of Object.entries(splits)) rows.push(el('tr', {}, el('td', { text: v }), el('td', { text: sp }), el('td', { class: 'num', 'data-count': v + '/' + sp, text: n }), el('td', { class: 'num', text: c.tokens[v][sp] })));
  box.replaceChildren(
    el('table', { class: 'grid', id: 'card-samples' }, el('thead', {}, el('tr', {}, ...['variant', 'split', 'samples', 'tokens'].map(h => el('th', { text: h })))), el('tbody', {}, ...rows)),
    el('h3', { text: 'Expert review in this build' }),
    r ? el('table', { class: 'grid', id: 'card-review' }, el('tbody', {}, ...[['accepted', r.accepted], ['edited (edit used)', r.edited], ['rejected (left out)', r.rejected], ['not reviewed', r.unreviewed], ['reviews of gate-rejected samples (stay out)', r.reviewsOfGateRejected], ['stale reviews (other constitution)', r.stale]]
      .map(([k, v]) => el('tr', {}, el('th', { text: k }), el('td', { class: 'num', 'data-review': k.split(' ')[0], text: v })))))
      : el('p', { class: 'hint', text: 'this card was built before expert reviews were counted; rebuild it' }),
    el('p', { class: 'hint', text: 'constitution ' + c.constitution + ' · teacher ' + c.teacher + ' · ' + c.candidates + ' candidates · formats ' + c.formats.join(', ') }));
}

async function loadDataset() { try { renderCard(await api('/api/dataset')); } catch (e) { toast(e.message, true); } }

async function rebuild() {
  const b = $('#rebuild');
  b.disabled = true; b.textContent = 'Rebuilding…';
  try { renderCard(await api('/api/dataset/rebuild', {})); toast('dataset rebuilt'); } catch (e) { toast(e.message, true); }
  b.disabled = false; b.textContent = 'Rebuild dataset';
}

// ---- keys ---------------------------------------------------------------------------------------

function typing(t) { return t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable); }

function onKey(e) {
  if (document.querySelector('dialog[open]')) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && $('#reason-dialog').open) { e.preventDefault(); $('#reason-dialog').close('ok'); }
    return;
  }
  if (e.key === 'Escape' && typing(e.target)) { e.target.blur(); const r = $('tr.selected', $('#view-' + S.view)); if (r) r.focus(); return; }
  if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key;
  if (k === 'Enter' && !(e.target.closest && e.target.closest('tr[data-index]'))) return; // a button's own Enter
  const act = {
    '1': () => show('samples'), '2': () => show('eval'), '3': () => show('progress'), '4': () => show('dataset'),
    '?': () => $('#help-dialog').showModal(),
    '/': () => { const q = S.view === 'eval' ? $('#eval-filters input[name=q]') : $('#q'); show(S.view === 'eval' ? 'eval' : 'samples'); q.focus(); q.select(); },
  };
  if (S.view === 'samples') Object.assign(act, { j: () => moveSample(1), k: () => moveSample(-1), a: () => decide('accept'), r: () => decide('reject'), e: () => toggleEdit(), s: () => decide('edit'),
    Enter: () => { const t = e.target.closest && e.target.closest('#sample-list tr[data-index]'); if (t) selectSample(Number(t.dataset.index)); } });
  if (S.view === 'eval') Object.assign(act, { j: () => moveEval(1), k: () => moveEval(-1),
    l: () => { const s = $('#eval-detail .col.current select.relabel'); if (s) s.focus(); },
    Enter: () => { const t = e.target.closest && e.target.closest('#eval-list tr[data-index]'); if (t) selectEval(Number(t.dataset.index)); } });
  const f = act[k];
  if (f) { e.preventDefault(); Promise.resolve(f()).catch(err => toast(err.message, true)); }
}

document.addEventListener('DOMContentLoaded', () => start().catch(e => { document.body.prepend(el('p', { class: 'fail', role: 'alert', text: 'studio: ' + e.message })); }));
