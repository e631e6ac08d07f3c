// sailmerge review page. Renders the cluster cards page by page from the data
// embedded in the page, and records approve/reject decisions: through the
// review server's API when `sailmerge review` serves the page, else in this
// browser (localStorage) with a decisions.json download.
//
// Data: #plan-data is the index, parsed at once: per cluster
//   [id, risk, level, weakest link p, size, lost values, warning code
//    positions in warning_codes, lower-cased search text], riskiest first.
// #cluster-details holds one JSON document per cluster and line, in index
// order, parsed only when its card is shown, so that 100,000 clusters open
// quickly. Keys of a detail: id, why (risk reasons), p, members (profiles
// as arrays in the order of `fields`), survivor (position in members),
// reason (position in `terms`), steps ({m: method as a position in `terms`,
// p: [name, value, name, value, ...], a?: profile after the step, absent
// when it is the result}), result, golden?, lost ([step, user_id, field,
// value, kept]), warnings ([code, message]), evidence ({left, right, p, w,
// rules, f: [[comparison, level, weight]]}, names and rules as positions in
// `terms`). Risk and level are the index entry's.
//
// Safety rule: values from the export reach the DOM only as text
// (textContent / createTextNode / setAttribute on data-* and aria-*
// attributes), never as HTML.
(function () {
  'use strict';

  const started = performance.now();
  const DATA = JSON.parse(document.getElementById('plan-data').textContent);
  const INDEX = DATA.clusters; // riskiest first
  // Positions in an index entry (risk and level, at 1 and 2, are read from the details).
  const ID = 0, P = 3, SIZE = 4, LOST = 5, CODES = 6, SEARCH = 7;
  const DETAILS = document.getElementById('cluster-details').textContent;
  const LINE_STARTS = new Float64Array(INDEX.length + 1);
  for (let i = 1, at = 0; i <= INDEX.length; i++) {
    const end = DETAILS.indexOf('\n', at);
    at = end === -1 ? DETAILS.length + 1 : end + 1;
    LINE_STARTS[i] = at;
  }
  const parsedAt = performance.now();
  const FIELDS = DATA.fields;
  const TERMS = DATA.terms;
  const FIELD_INDEX = new Map(FIELDS.map((name, index) => [name, index]));
  const BY_ID = new Map(INDEX.map((entry, index) => [entry[ID], index]));
  const CODE_POSITION = new Map(DATA.warning_codes.map((entry, index) => [entry[0], index]));
  const STORAGE_KEY = 'sailmerge:decisions:' + DATA.plan_hash;
  const LABELS = {
    user_id: 'User ID', origin_user_id: 'Origin ID', phone: 'Phone', email: 'E-mail',
    first_name: 'First name', middle_name: 'Patronymic', last_name: 'Last name',
    birth_date: 'Birth date', sex: 'Sex', register_date: 'Registered', points: 'Points'
  };
  const SEX = { '1': 'male', '2': 'female', '3': 'other' };
  const NAME_FIELDS = ['last_name', 'first_name', 'middle_name'];

  const state = {
    mode: 'file',            // 'file' or 'server'
    reviewer: '',
    decisions: new Map(),    // cluster id -> { decision, decided_at }
    pending: new Map(),      // server mode: cluster id -> decision or null, not yet saved
    saving: false,
    retryTimer: 0,
    query: '',
    warning: '',
    decision: '',
    sort: 'risk',
    pageSize: 50,
    page: 0,
    filtered: null,          // positions in INDEX, in display order
    bulk: null,              // { action, ids } awaiting confirmation
    cardsById: new Map(),    // cards on the current page
  };

  const $ = (id) => document.getElementById(id);

  // ---- small helpers ------------------------------------------------------

  // Builds an element. Strings and numbers among the children become text
  // nodes; `text` sets textContent. Never parses HTML.
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const key of Object.keys(props)) {
        const value = props[key];
        if (value === null || value === undefined || value === false) continue;
        if (key === 'class') node.className = value;
        else if (key === 'text') node.textContent = value;
        else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? '' : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'object' ? child : String(child));
    }
    return node;
  }

  const valueOf = (row, field) => {
    const index = FIELD_INDEX.get(field);
    const value = index === undefined ? null : row[index];
    return value === undefined ? null : value;
  };
  const label = (field) => LABELS[field] || field;
  const display = (field, value) => {
    if (value === null) return '—';
    if (field === 'sex' && SEX[value]) return value + ' (' + SEX[value] + ')';
    return value;
  };
  const fullName = (row) => NAME_FIELDS.map((f) => valueOf(row, f)).filter((v) => v).join(' ');
  const grouped = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  const formatP = (p) => (p >= 0.99995 && p < 1 ? p.toFixed(6) : p.toFixed(4));
  const signed = (w) => (w > 0 ? '+' : w < 0 ? '−' : '') + Math.abs(w).toFixed(2);
  const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const fold = (text) => text.toLowerCase().replace(/ё/g, 'е');
  const plural = (n, one, many) => grouped(n) + ' ' + (n === 1 ? one : many);

  // ---- search, filter, sort ----------------------------------------------

  // The cluster's details, parsed from its line, with the index's risk and
  // level and each step in full ({method, params: [[name, value]], after?}).
  function detail(index) {
    const cluster = JSON.parse(DETAILS.slice(LINE_STARTS[index], LINE_STARTS[index + 1] - 1));
    cluster.risk = INDEX[index][1];
    cluster.level = INDEX[index][2];
    cluster.steps = cluster.steps.map((step) => {
      const params = [];
      for (let i = 0; i + 1 < step.p.length; i += 2) params.push([step.p[i], step.p[i + 1]]);
      return { method: TERMS[step.m], params, after: step.a };
    });
    return cluster;
  }

  function applyFilters() {
    const query = fold(state.query.trim());
    let queryDigits = state.query.replace(/\D/g, '');
    // Russian numbers are often written 8XXXXXXXXXX; exports hold 7XXXXXXXXXX.
    if (queryDigits.length === 11 && queryDigits[0] === '8') queryDigits = '7' + queryDigits.slice(1);
    const searchDigits = queryDigits.length >= 4 && queryDigits !== query;
    const code = CODE_POSITION.has(state.warning) ? CODE_POSITION.get(state.warning) : -1;
    const indices = [];
    for (let i = 0; i < INDEX.length; i++) {
      const entry = INDEX[i];
      if (query && !entry[SEARCH].includes(query) && !(searchDigits && entry[SEARCH].includes(queryDigits))) continue;
      if (state.warning === '*lost') { if (entry[LOST] === 0) continue; }
      else if (state.warning === '*any') { if (entry[CODES].length === 0) continue; }
      else if (state.warning && !entry[CODES].includes(code)) continue;
      if (state.decision) {
        const decided = state.decisions.get(entry[ID]);
        if (state.decision === 'undecided' ? decided : !decided || decided.decision !== state.decision) continue;
      }
      indices.push(i);
    }
    const by = {
      margin: (a, b) => INDEX[a][P] - INDEX[b][P],
      size: (a, b) => INDEX[b][SIZE] - INDEX[a][SIZE],
      lost: (a, b) => INDEX[b][LOST] - INDEX[a][LOST],
      id: (a, b) => (INDEX[a][ID] < INDEX[b][ID] ? -1 : INDEX[a][ID] > INDEX[b][ID] ? 1 : 0),
    }[state.sort];
    if (by) indices.sort((a, b) => by(a, b) || a - b);
    state.filtered = indices;
  }

  // ---- cards ---------------------------------------------------------------

  function renderPage() {
    const total = state.filtered.length;
    const pages = Math.max(1, Math.ceil(total / state.pageSize));
    state.page = Math.min(Math.max(0, state.page), pages - 1);
    const from = state.page * state.pageSize;
    const slice = state.filtered.slice(from, from + state.pageSize);
    const container = $('cards');
    const fragment = document.createDocumentFragment();
    state.cardsById.clear();
    for (const index of slice) {
      const card = renderCard(detail(index));
      state.cardsById.set(INDEX[index][ID], card);
      fragment.append(card);
    }
    if (INDEX.length === 0) fragment.append(h('p', { class: 'notice' }, 'No duplicates were found: there is nothing to review.'));
    else if (total === 0) fragment.append(h('p', { class: 'notice' }, 'No cluster matches the search and filters.'));
    container.replaceChildren(fragment);
    $('result-count').textContent = total === INDEX.length
      ? 'Showing ' + (total ? grouped(from + 1) + '–' + grouped(from + slice.length) + ' of ' : '') + plural(total, 'cluster', 'clusters')
      : 'Showing ' + (total ? grouped(from + 1) + '–' + grouped(from + slice.length) + ' of ' : '') + plural(total, 'matching cluster', 'matching clusters') + ' (of ' + grouped(INDEX.length) + ')';
    $('page-info').textContent = 'Page ' + grouped(state.page + 1) + ' of ' + grouped(pages);
    $('page-prev').disabled = state.page === 0;
    $('page-next').disabled = state.page >= pages - 1;
    for (const id of ['bulk-approve', 'bulk-reject', 'bulk-clear']) $(id).disabled = total === 0;
  }

  function renderCard(cluster) {
    const card = h('article', { class: 'card', 'data-cluster-id': cluster.id });
    const survivor = cluster.members[cluster.survivor];
    const name = fullName(cluster.result) || fullName(survivor) || 'No name';
    card.append(h('div', { class: 'card-head' },
      h('span', { class: 'card-title' }, name),
      h('span', { class: 'card-id' }, cluster.id),
      h('span', { class: 'badge ' + cluster.level, title: 'Risk score ' + cluster.risk + ' of 100' }, cluster.level + ' risk · ' + cluster.risk),
      h('span', { class: 'badge' }, plural(cluster.members.length, 'profile', 'profiles')),
      h('span', { class: 'badge', title: 'Match probability of the weakest linking pair; threshold ' + DATA.threshold }, 'weakest link p = ' + formatP(cluster.p)),
      h('span', { class: 'badge decision-badge', hidden: true }),
      h('div', { class: 'card-actions' },
        h('button', { type: 'button', class: 'button approve', 'data-action': 'approve', 'aria-pressed': 'false' }, 'Approve'),
        h('button', { type: 'button', class: 'button reject', 'data-action': 'reject', 'aria-pressed': 'false' }, 'Reject'),
        h('button', { type: 'button', class: 'button subtle clear', 'data-action': 'clear', hidden: true }, 'Undo'))));
    if (cluster.why.length) card.append(h('p', { class: 'why' }, h('b', null, 'Why check it: '), cluster.why.join('; ') + '.'));

    card.append(h('h3', null, 'Profiles side by side'), membersTable(cluster),
      h('p', { class: 'survivor-note muted' }, 'Survivor ', h('code', null, survivor[0]), ': ', TERMS[cluster.reason] || 'chosen by the planner', '.'));
    const plan = h('div', null, h('h3', null, 'Planned calls, in order'), stepsList(cluster));
    const issues = issuesList(cluster);
    if (issues) plan.append(h('h3', null, 'Lost values and warnings'), issues);
    card.append(h('div', { class: 'columns' }, h('div', null, h('h3', null, 'Why they were linked'), evidence(cluster)), plan));
    updateCardDecision(card, cluster.id);
    return card;
  }

  function membersTable(cluster) {
    const lost = new Set(cluster.lost.map((l) => l[1] + '\u0000' + l[2] + '\u0000' + l[3]));
    const survivor = cluster.members[cluster.survivor];
    const head = h('tr', null, h('th', null, 'Field'));
    cluster.members.forEach((row, index) => {
      head.append(h('th', null, row[0], index === cluster.survivor ? h('span', { class: 'tag' }, 'survivor') : null));
    });
    head.append(h('th', null, 'After the merges'));
    if (cluster.golden) head.append(h('th', { title: 'The profile the planner aimed for; the merges cannot reach it exactly' }, 'Preferred'));
    const body = h('tbody');
    for (let f = 1; f < FIELDS.length; f++) {
      const field = FIELDS[f];
      const values = cluster.members.map((row) => valueOf(row, field));
      const result = valueOf(cluster.result, field);
      const golden = cluster.golden ? valueOf(cluster.golden, field) : null;
      if (values.every((v) => v === null) && result === null && golden === null) continue;
      // Points are added up by the merge, so differing balances are expected.
      const compared = field !== 'points';
      const distinct = new Set(values.filter((v) => v !== null));
      const tr = h('tr', { class: compared && distinct.size > 1 ? 'differs' : null }, h('th', null, label(field)));
      values.forEach((value, index) => {
        const userId = cluster.members[index][0];
        const isLost = value !== null && lost.has(userId + '\u0000' + field + '\u0000' + value);
        const differs = compared && value !== null && distinct.size > 1 && value !== result;
        tr.append(h('td', {
          class: 'member' + (value === null ? ' empty' : '') + (differs ? ' differs' : '') + (isLost ? ' lost' : ''),
          title: isLost ? 'This value will be lost' : null,
        }, display(field, value)));
      });
      const changed = result !== valueOf(survivor, field);
      tr.append(h('td', { class: 'result' + (changed ? ' changed' : '') + (result === null ? ' empty' : '') }, display(field, result)));
      if (cluster.golden) tr.append(h('td', { class: 'golden' + (golden === null ? ' empty' : '') }, display(field, golden)));
      body.append(tr);
    }
    return h('div', { class: 'scroll' }, h('table', { class: 'members' }, h('thead', null, head), body));
  }

  function evidence(cluster) {
    const wrapper = h('div');
    if (cluster.evidence.length === 0) {
      wrapper.append(h('p', { class: 'muted' }, 'The plan carries no pair evidence for this cluster.'));
      return wrapper;
    }
    const pairs = cluster.evidence.map(pairEvidence);
    const shown = 3;
    wrapper.append(...pairs.slice(0, shown));
    if (pairs.length > shown) {
      wrapper.append(h('details', null, h('summary', null, plural(pairs.length - shown, 'more linking pair', 'more linking pairs')), ...pairs.slice(shown)));
    }
    return wrapper;
  }

  function pairEvidence(pair) {
    const fieldSum = pair.f.reduce((sum, f) => sum + f[2], 0);
    // The total includes the prior (the base rate of matches among candidate
    // pairs); it is shown as its own row, without a bar, so that it does not
    // dwarf the comparisons.
    const prior = pair.w - fieldSum;
    const scale = Math.max(1, ...pair.f.map((f) => Math.abs(f[2])));
    const body = h('tbody');
    for (const [comparison, level, weight] of pair.f.map((f) => [TERMS[f[0]], TERMS[f[1]], f[2]])) {
      const bar = h('span', { class: weight >= 0 ? 'positive' : 'negative' });
      const width = (Math.abs(weight) / scale) * 50;
      bar.style.width = width + '%';
      bar.style.left = (weight >= 0 ? 50 : 50 - width) + '%';
      body.append(h('tr', null, h('td', null, label(comparison)), h('td', null, h('code', null, level)),
        h('td', null, h('div', { class: 'weight-bar', title: signed(weight) + ' bits' }, bar)),
        h('td', { class: 'num' }, signed(weight))));
    }
    if (Math.abs(prior) >= 0.005) {
      body.append(h('tr', { class: 'prior' }, h('td', null, 'Prior'), h('td', { class: 'muted' }, 'base rate'), h('td'), h('td', { class: 'num' }, signed(prior))));
    }
    body.append(h('tr', { class: 'total' }, h('td', null, 'Total'), h('td', null, 'p = ' + formatP(pair.p)), h('td'), h('td', { class: 'num' }, signed(pair.w))));
    return h('div', { class: 'evidence-pair' },
      h('div', { class: 'evidence-head' },
        h('b', null, pair.left + ' ↔ ' + pair.right),
        h('span', null, 'p = ' + formatP(pair.p)),
        h('span', { class: 'muted' }, 'found by ' + (pair.rules.length ? pair.rules.map((rule) => TERMS[rule]).join(', ') : 'no rule recorded'))),
      h('table', { class: 'evidence-table' },
        h('thead', null, h('tr', null, h('th', null, 'Comparison'), h('th', null, 'Level'), h('th', null, 'Weight'), h('th', { class: 'num' }, 'bits'))),
        body));
  }

  function describeAddress(params, side) {
    const kinds = { uid: 'profile', phone: 'phone', email: 'e-mail', oid: 'origin id' };
    for (const [key, value] of params) {
      if (key.startsWith(side + '_') && kinds[key.slice(side.length + 1)]) return kinds[key.slice(side.length + 1)] + ' ' + value;
    }
    return null;
  }

  function stepsList(cluster) {
    const list = h('ol', { class: 'steps' });
    for (const step of cluster.steps) {
      let words = null;
      if (step.method === 'users/merge') {
        const from = describeAddress(step.params, 'from');
        const to = describeAddress(step.params, 'to');
        if (from && to) words = 'merge ' + from + ' into ' + to;
      } else if (step.method === 'users/update') {
        words = 'update ' + step.params.filter((p) => p[0] !== 'user_id' && p[0] !== 'origin_user_id' && p[0] !== 'phone' && p[0] !== 'email').map((p) => p[0]).join(', ');
      }
      list.append(h('li', null, h('span', { class: 'method' }, step.method), words ? ' — ' + words + ' ' : ' ',
        step.params.map((p) => h('span', { class: 'param' }, p[0] + '=' + p[1]))));
    }
    const simulation = h('details', { class: 'simulation' }, h('summary', null, 'Simulated profile after each step'));
    simulation.addEventListener('toggle', () => {
      if (simulation.open && simulation.children.length === 1) simulation.append(simulationTable(cluster));
    });
    return h('div', null, list, simulation);
  }

  function simulationTable(cluster) {
    const before = cluster.members[cluster.survivor];
    const states = [before].concat(cluster.steps.map((s) => s.after || cluster.result));
    const head = h('tr', null, h('th', null, 'Field'), h('th', null, 'Before'), cluster.steps.map((s, i) => h('th', null, 'After step ' + (i + 1))));
    const body = h('tbody');
    for (let f = 1; f < FIELDS.length; f++) {
      const field = FIELDS[f];
      const values = states.map((row) => valueOf(row, field));
      if (values.every((v) => v === null)) continue;
      body.append(h('tr', null, h('th', null, label(field)), values.map((v, i) =>
        h('td', { class: (i > 0 && v !== values[i - 1] ? 'result changed' : 'member') + (v === null ? ' empty' : '') }, display(field, v)))));
    }
    return h('div', { class: 'scroll' }, h('table', { class: 'members' }, h('thead', null, head), body));
  }

  function issuesList(cluster) {
    if (cluster.lost.length === 0 && cluster.warnings.length === 0) return null;
    const list = h('ul', { class: 'issues' });
    for (const [step, userId, field, value, kept] of cluster.lost) {
      list.append(h('li', { class: 'lost' }, h('span', { class: 'code' }, 'lost'),
        'Step ' + step + ': ' + label(field).toLowerCase() + ' "' + display(field, value) + '" of profile ' + userId + ' will be lost' +
        (kept === null ? '.' : '; the merged profile keeps "' + display(field, kept) + '".')));
    }
    for (const [code, message] of cluster.warnings) {
      list.append(h('li', { class: 'warning' }, h('span', { class: 'code' }, code), message));
    }
    return list;
  }

  function updateCardDecision(card, id) {
    const decided = state.decisions.get(id);
    const decision = decided ? decided.decision : '';
    if (decision) card.setAttribute('data-decision', decision); else card.removeAttribute('data-decision');
    const badge = card.querySelector('.decision-badge');
    badge.hidden = !decision;
    badge.className = 'badge decision-badge ' + decision;
    badge.textContent = decision === 'approve' ? '✓ Approved' : decision === 'reject' ? '✕ Rejected' : '';
    card.querySelector('[data-action="approve"]').setAttribute('aria-pressed', String(decision === 'approve'));
    card.querySelector('[data-action="reject"]').setAttribute('aria-pressed', String(decision === 'reject'));
    card.querySelector('[data-action="clear"]').hidden = !decision;
  }

  // ---- decisions -------------------------------------------------------------

  // Records `decision` ('approve', 'reject' or null to clear) for `ids`.
  function decide(ids, decision) {
    const at = nowIso();
    for (const id of ids) {
      if (decision) state.decisions.set(id, { decision: decision, decided_at: at });
      else state.decisions.delete(id);
      const card = state.cardsById.get(id);
      if (card) updateCardDecision(card, id);
      if (state.mode === 'server') state.pending.set(id, decision);
    }
    updateTally();
    if (state.mode === 'server') flushToServer(); else saveLocally();
  }

  function updateTally() {
    let approved = 0;
    let rejected = 0;
    for (const entry of state.decisions.values()) {
      if (entry.decision === 'approve') approved++; else rejected++;
    }
    $('count-approved').textContent = grouped(approved);
    $('count-rejected').textContent = grouped(rejected);
    $('count-undecided').textContent = grouped(INDEX.length - approved - rejected);
  }

  function setStatus(text, kind) {
    const status = $('save-status');
    status.textContent = text;
    status.setAttribute('data-state', kind);
  }

  // Sends the unsaved decisions in one request; one request at a time, so the
  // server writes them in the order they were made. On failure they stay
  // pending and are retried.
  async function flushToServer() {
    if (state.saving || state.pending.size === 0) return;
    clearTimeout(state.retryTimer);
    const batch = new Map(state.pending);
    state.pending.clear();
    state.saving = true;
    setStatus('Saving…', 'saving');
    let failed = false;
    try {
      const response = await fetch('api/decisions', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ updates: Array.from(batch, ([id, decision]) => ({ cluster_id: id, decision: decision })) }),
      });
      if (!response.ok) throw new Error((await response.text()) || ('HTTP ' + response.status));
      const saved = await response.json();
      setStatus('Saved to decisions.json at ' + new Date(saved.decided_at).toLocaleTimeString(), 'saved');
    } catch (error) {
      failed = true;
      for (const [id, decision] of batch) if (!state.pending.has(id)) state.pending.set(id, decision);
      setStatus('Not saved (' + error.message + '); retrying — keep this tab open', 'error');
    }
    state.saving = false;
    if (failed) state.retryTimer = setTimeout(flushToServer, 3000);
    else if (state.pending.size) flushToServer();
  }

  function saveLocally() {
    const stored = { reviewer: state.reviewer, clusters: Object.fromEntries(state.decisions) };
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(stored));
      setStatus(state.decisions.size ? 'Kept in this browser — download decisions.json when done' : '', 'idle');
    } catch (error) {
      setStatus('This browser cannot keep the decisions (' + error.name + '): download decisions.json now', 'error');
    }
  }

  function loadLocally() {
    try {
      const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
      if (!stored) return;
      state.reviewer = typeof stored.reviewer === 'string' ? stored.reviewer : '';
      mergeDecisions(stored.clusters);
    } catch (error) {
      // Nothing usable stored: start with no decisions.
    }
  }

  // Takes entries of a decisions.json `clusters` object for clusters of this plan.
  function mergeDecisions(clusters) {
    let taken = 0;
    for (const id of Object.keys(clusters || {})) {
      const entry = clusters[id];
      if (!BY_ID.has(id) || !entry || (entry.decision !== 'approve' && entry.decision !== 'reject')) continue;
      state.decisions.set(id, { decision: entry.decision, decided_at: String(entry.decided_at || nowIso()) });
      taken++;
    }
    return taken;
  }

  // The decisions as decisions.json, the schema `apply` reads.
  function decisionsFile() {
    const ids = Array.from(state.decisions.keys()).sort();
    const clusters = {};
    for (const id of ids) clusters[id] = state.decisions.get(id);
    return {
      schema_version: 1,
      plan_hash: DATA.plan_hash,
      reviewer: state.reviewer,
      decided_at: nowIso(),
      clusters: clusters,
    };
  }

  function download() {
    if (!state.reviewer.trim()) {
      setStatus('Enter your name as reviewer first', 'error');
      $('reviewer').focus();
      return;
    }
    const text = JSON.stringify(decisionsFile(), null, 2) + '\n';
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const link = h('a', { href: url, download: 'decisions.json' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function importFile(file) {
    const reader = new FileReader();
    reader.onload = () => {
      let parsed;
      try { parsed = JSON.parse(String(reader.result)); } catch (error) {
        setStatus(file.name + ' is not JSON', 'error');
        return;
      }
      if (!parsed || parsed.schema_version !== 1 || typeof parsed.clusters !== 'object') {
        setStatus(file.name + ' is not a decisions.json file', 'error');
        return;
      }
      if (parsed.plan_hash !== DATA.plan_hash) {
        setStatus(file.name + ' was made on another plan; not imported', 'error');
        return;
      }
      const entries = Object.keys(parsed.clusters).filter((id) => BY_ID.has(id));
      for (const id of entries) {
        const decision = parsed.clusters[id] && parsed.clusters[id].decision;
        if (decision === 'approve' || decision === 'reject') decide([id], decision);
      }
      if (!state.reviewer && typeof parsed.reviewer === 'string') {
        state.reviewer = parsed.reviewer;
        $('reviewer').value = parsed.reviewer;
      }
      rerender();
    };
    reader.readAsText(file);
  }

  // ---- wiring ----------------------------------------------------------------

  function rerender() {
    applyFilters();
    renderPage();
  }

  function askBulk(action) {
    const ids = state.filtered.map((i) => INDEX[i][ID]);
    if (ids.length === 0) return;
    state.bulk = { action: action, ids: ids };
    const verb = { approve: 'Approve', reject: 'Reject', clear: 'Clear the decisions of' }[action];
    $('bulk-confirm-text').textContent = verb + ' all ' + plural(ids.length, 'cluster', 'clusters') +
      ' matching the current search and filters' + (ids.length > state.pageSize ? ', on every page' : '') + '?';
    $('bulk-confirm-yes').textContent = verb.split(' ')[0] + ' ' + grouped(ids.length);
    $('bulk-confirm').hidden = false;
  }

  function wire() {
    for (const [code, count] of DATA.warning_codes) {
      $('filter-warning').append(h('option', { value: code }, code + ' (' + grouped(count) + ')'));
    }
    let searchTimer = 0;
    $('search').addEventListener('input', (event) => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => { state.query = event.target.value; state.page = 0; rerender(); }, 150);
    });
    $('filter-warning').addEventListener('change', (e) => { state.warning = e.target.value; state.page = 0; rerender(); });
    $('filter-decision').addEventListener('change', (e) => { state.decision = e.target.value; state.page = 0; rerender(); });
    $('sort').addEventListener('change', (e) => { state.sort = e.target.value; state.page = 0; rerender(); });
    $('page-size').addEventListener('change', (e) => { state.pageSize = Number(e.target.value) || 50; state.page = 0; renderPage(); });
    $('page-prev').addEventListener('click', () => { state.page--; renderPage(); $('clusters').scrollIntoView(); });
    $('page-next').addEventListener('click', () => { state.page++; renderPage(); $('clusters').scrollIntoView(); });
    $('cards').addEventListener('click', (event) => {
      const button = event.target.closest('button[data-action]');
      if (!button) return;
      const id = button.closest('[data-cluster-id]').getAttribute('data-cluster-id');
      const action = button.getAttribute('data-action');
      decide([id], action === 'clear' ? null : action);
    });
    $('bulk-approve').addEventListener('click', () => askBulk('approve'));
    $('bulk-reject').addEventListener('click', () => askBulk('reject'));
    $('bulk-clear').addEventListener('click', () => askBulk('clear'));
    $('bulk-confirm-no').addEventListener('click', () => { state.bulk = null; $('bulk-confirm').hidden = true; });
    $('bulk-confirm-yes').addEventListener('click', () => {
      const bulk = state.bulk;
      state.bulk = null;
      $('bulk-confirm').hidden = true;
      if (!bulk) return;
      decide(bulk.ids, bulk.action === 'clear' ? null : bulk.action);
      if (state.decision) rerender();
    });
    $('reviewer').addEventListener('change', (e) => { state.reviewer = e.target.value.trim(); saveLocally(); });
    $('download-decisions').addEventListener('click', download);
    $('import-decisions').addEventListener('change', (e) => { if (e.target.files[0]) importFile(e.target.files[0]); e.target.value = ''; });
    window.addEventListener('beforeunload', (event) => {
      if (state.mode === 'server' && (state.pending.size || state.saving)) event.preventDefault();
    });
  }

  // Served by `sailmerge review`: the API answers with this plan's decisions.
  async function connectToServer() {
    if (location.protocol !== 'http:' && location.protocol !== 'https:') return false;
    try {
      const response = await fetch('api/decisions', { headers: { Accept: 'application/json' } });
      if (!response.ok) return false;
      const saved = await response.json();
      if (saved.plan_hash !== DATA.plan_hash) {
        setStatus('The server has another plan loaded; decisions stay in this browser', 'error');
        return false;
      }
      state.reviewer = saved.reviewer || '';
      mergeDecisions(saved.clusters);
      return true;
    } catch (error) {
      return false;
    }
  }

  async function start() {
    wire();
    if (await connectToServer()) {
      state.mode = 'server';
      $('reviewer').value = state.reviewer;
      $('reviewer').disabled = true;
      $('reviewer').title = 'Set with sailmerge review --reviewer';
      setStatus('Connected: decisions are saved to decisions.json as you click', 'saved');
    } else {
      loadLocally();
      $('reviewer').value = state.reviewer;
      if (state.decisions.size) setStatus('Restored ' + plural(state.decisions.size, 'decision', 'decisions') + ' kept in this browser', 'idle');
    }
    document.documentElement.setAttribute('data-mode', state.mode);
    updateTally();
    const renderStart = performance.now();
    rerender();
    const firstCard = performance.now();
    // Milliseconds since navigation start, read by the opening-time test.
    window.sailmergeTiming = {
      scriptStartMs: started, dataReadMs: parsedAt - started, renderMs: firstCard - renderStart, firstCardMs: firstCard,
    };
    document.documentElement.setAttribute('data-first-card-ms', firstCard.toFixed(1));
  }

  // For tests and for scripting the page from the browser console.
  window.sailmerge = { decisionsFile: decisionsFile, decide: decide, mode: () => state.mode };
  start();
})();
