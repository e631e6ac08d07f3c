// sailmerge review page. Renders the cluster cards page by page from the data
// embedded in the page, and records approve/reject decisions: through the
// review server's API when `sailmerge review` serves the page, else in this
// browser (localStorage) with a decisions.json download.
//
// Data: #plan-data is the index, parsed at once: per cluster
//   [id, risk, level, weakest link p, size, lost values, warning code
//    positions in warning_codes, status (new, changed, carried_over),
//    band (0 planned cluster, 1 candidate of the review band)],
// planned clusters first, each part riskiest first; `words` are the page's
// words in its language. #search-text holds each cluster's lower-cased
// searchable values as a JSON string, one line per index entry, read at the
// first search.
// The details are JSON documents, one per cluster and line, in index order,
// in chunks of `chunk` clusters: the first chunk (#cluster-details-0) comes
// before this script, so that the first cards render while the browser is
// still reading the rest of the page; the others follow it
// (.cluster-details, data-first = index of their first cluster) and are
// parsed only when a card needs one. Keys of a detail: id, why (risk
// reasons), p, members (profiles as arrays in the order of `fields`),
// survivor (position in members), reason (position in `terms`), steps ({m:
// method as a position in `terms`, p: [name, value, name, value, ...], a?:
// profile after the step, absent when it is the result}), result, golden?,
// lost ([step, user_id, field, value, kept]), warnings ([code, message]),
// evidence ({left, right, p, w, rules, x: explanation in plain words as
// a position in `explanations`, f: [[comparison, level, weight]]}, names
// and rules as positions in `terms`), previous? (the previous plan's cluster: [id, decision,
// reviewer, decided_at, note]), apart ([member, other, cluster, reviewer,
// decided_at, note]), applied ([member, survivor, cluster]).
//
// Safety rule: values from the export reach the DOM only as text
// (textContent / createTextNode / setAttribute on data-* and aria-*
// attributes), never as HTML.
(function () {
  'use strict';

  const started = performance.now();
  const DATA = JSON.parse(document.getElementById('plan-data').textContent);
  const INDEX = DATA.clusters;
  const ID = 0, RISK = 1, LEVEL = 2, P = 3, SIZE = 4, LOST = 5, CODES = 6, STATUS = 7, BAND = 8;
  const CHUNK = DATA.chunk;
  const parsedAt = performance.now();
  const FIELDS = DATA.fields;
  const TERMS = DATA.terms;
  const WORDS = DATA.words;
  const FIELD_INDEX = new Map(FIELDS.map((name, index) => [name, index]));
  const BY_ID = new Map(INDEX.map((entry, index) => [entry[ID], index]));
  const BY_FOLDED_ID = new Map(INDEX.map((entry, index) => [entry[ID].toLowerCase(), index]));
  const CODE_POSITION = new Map(DATA.warning_codes.map((entry, index) => [entry[0], index]));
  const STORAGE_KEY = 'sailmerge:decisions:' + DATA.plan_hash;
  const SEX = { '1': 'sex_male', '2': 'sex_female', '3': 'sex_other' };
  const NAME_FIELDS = ['last_name', 'first_name', 'middle_name'];
  const SECTIONS = { planned: 0, band: 1 };
  // Cards rendered before the browser first paints; the rest follow.
  const FIRST_PAINT_CARDS = 8;
  // Statuses say something only against a previous plan.
  const HAS_PREVIOUS = Boolean(DATA.history && DATA.history.previous_plan_hash);

  const state = {
    mode: 'file',            // 'file' or 'server'
    reviewer: '',
    decisions: new Map(),    // cluster id -> { decision, decided_at, reviewer, note? }
    pending: [],             // server mode: changes not yet saved, in click order
    saving: false,
    retryTimer: 0,
    section: 'planned',
    query: '',
    risk: '',
    status: '',
    warning: '',
    decision: 'undecided',
    sort: 'risk',
    pageSize: 50,
    page: 0,
    focus: null,             // a cluster id shown alone (URL fragment)
    current: -1,             // position in cardsShown of the keyboard's card
    filtered: null,          // positions in INDEX, in display order
    generation: 0,           // renders so far, to drop a stale deferred one
    bulk: null,              // { action, ids } awaiting confirmation
    cardsById: new Map(),    // cards on the current page
    cardsShown: [],          // their ids, in page order
  };

  // ---- the details, chunk by chunk ------------------------------------------

  const chunks = [];         // chunk number -> { element, lines? }
  function collectChunks() {
    const first = document.getElementById('cluster-details-0');
    if (first) chunks[0] = { element: first, lines: null };
    for (const element of document.querySelectorAll('script.cluster-details')) {
      chunks[Math.floor(Number(element.getAttribute('data-first')) / CHUNK)] = { element: element, lines: null };
    }
  }
  collectChunks();
  let pageComplete = document.readyState !== 'loading';

  // The cluster's details, or null while its chunk has not been read yet.
  function detail(index) {
    const chunk = chunks[Math.floor(index / CHUNK)];
    if (!chunk) return null;
    if (!chunk.lines) chunk.lines = chunk.element.textContent.split('\n');
    const cluster = JSON.parse(chunk.lines[index % CHUNK]);
    cluster.risk = INDEX[index][RISK];
    cluster.level = INDEX[index][LEVEL];
    cluster.status = INDEX[index][STATUS];
    cluster.band = INDEX[index][BAND] === 1;
    cluster.steps = cluster.steps.map((step) => {
      const params = [];
      for (let i = 0; i + 1 < step.p.length; i += 2) params.push([step.p[i], step.p[i + 1]]);
      return { method: TERMS[step.m], params, after: step.a };
    });
    return cluster;
  }

  let searchLines = null;
  function searchText(index) {
    if (!searchLines) {
      const element = document.getElementById('search-text');
      if (!element) return '';
      // One JSON string per line: one parse for them all.
      const text = element.textContent;
      searchLines = text ? JSON.parse('[' + text.split('\n').join(',') + ']') : [];
    }
    return searchLines[index] || '';
  }

  const $ = (id) => document.getElementById(id);

  // ---- small helpers ------------------------------------------------------

  // The page's words in its language; {name} is replaced by params.name.
  function T(key, params) {
    let text = WORDS[key] === undefined ? key : WORDS[key];
    if (params) for (const name of Object.keys(params)) text = text.split('{' + name + '}').join(String(params[name]));
    return text;
  }

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
  const label = (field) => (WORDS['field_' + field] === undefined ? field : WORDS['field_' + field]);
  const display = (field, value) => {
    if (value === null) return '—';
    if (field === 'sex' && SEX[value]) return value + ' (' + T(SEX[value]) + ')';
    return value;
  };
  const fullName = (row) => NAME_FIELDS.map((f) => valueOf(row, f)).filter((v) => v).join(' ');
  const grouped = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  const formatP = (p) => (p >= 0.99995 && p < 1 ? p.toFixed(6) : p.toFixed(4));
  const signed = (w) => (w > 0 ? '+' : w < 0 ? '−' : '') + Math.abs(w).toFixed(2);
  const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const fold = (text) => text.toLowerCase().replace(/ё/g, 'е');
  const count = (n, key) => T(key + (n === 1 ? '_one' : '_many'), { n: grouped(n) });
  const decisionWord = (decision) => T(decision === 'approve' ? 'approved' : decision === 'reject' ? 'rejected' : 'undecided');

  // ---- search, filter, sort ----------------------------------------------

  function applyFilters() {
    if (state.focus !== null) {
      state.filtered = BY_ID.has(state.focus) ? [BY_ID.get(state.focus)] : [];
      return;
    }
    const band = SECTIONS[state.section];
    const query = fold(state.query.trim());
    let queryDigits = state.query.replace(/\D/g, '');
    // Russian numbers are often written 8XXXXXXXXXX; exports hold 7XXXXXXXXXX.
    if (queryDigits.length === 11 && queryDigits[0] === '8') queryDigits = '7' + queryDigits.slice(1);
    const searchDigits = queryDigits.length >= 4 && queryDigits !== query;
    const code = CODE_POSITION.has(state.warning) ? CODE_POSITION.get(state.warning) : -1;
    const indices = [];
    for (let i = 0; i < INDEX.length; i++) {
      const entry = INDEX[i];
      if (entry[BAND] !== band) continue;
      if (state.risk && entry[LEVEL] !== state.risk) continue;
      if (state.status === 'fresh') { if (entry[STATUS] === 'carried_over') continue; }
      else if (state.status && entry[STATUS] !== state.status) continue;
      if (state.warning === '*lost') { if (entry[LOST] === 0) continue; }
      else if (state.warning === '*any') { if (entry[CODES].length === 0) continue; }
      else if (state.warning && !entry[CODES].includes(code)) continue;
      if (state.decision) {
        const decided = state.decisions.get(entry[ID]);
        if (state.decision === 'undecided' ? decided : !decided || decided.decision !== state.decision) continue;
      }
      if (query) {
        const text = searchText(i);
        if (!text.includes(query) && !(searchDigits && text.includes(queryDigits))) continue;
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

  // Renders the current page. With `first`, only that many cards now and
  // the rest in a task of their own: while the page is still being read,
  // the browser paints the first cards sooner.
  function renderPage(first) {
    const total = state.filtered.length;
    const pages = Math.max(1, Math.ceil(total / state.pageSize));
    state.page = Math.min(Math.max(0, state.page), pages - 1);
    const from = state.page * state.pageSize;
    const slice = state.filtered.slice(from, from + state.pageSize);
    const container = $('cards');
    const fragment = document.createDocumentFragment();
    state.cardsById.clear();
    state.cardsShown = [];
    const generation = ++state.generation;
    const now = first ? slice.slice(0, first) : slice;
    const waiting = !appendCards(fragment, now);
    if (!waiting && now.length < slice.length) {
      setTimeout(() => {
        if (generation !== state.generation) return;
        const rest = document.createDocumentFragment();
        if (!appendCards(rest, slice.slice(now.length))) rest.append(h('p', { class: 'notice' }, T('loading')));
        $('cards').append(rest);
        markCurrent(false);
      }, 0);
    }
    if (waiting) fragment.append(h('p', { class: 'notice' }, T('loading')));
    else if (INDEX.length === 0) fragment.append(h('p', { class: 'notice' }, T('nothing_found')));
    else if (total === 0) fragment.append(h('p', { class: 'notice' }, state.focus !== null ? T('no_such_cluster', { id: state.focus }) : T('no_match')));
    container.replaceChildren(fragment);
    state.current = Math.min(state.current, state.cardsShown.length - 1);
    markCurrent(false);
    const range = total ? grouped(from + 1) + '–' + grouped(from + slice.length) : '0';
    $('result-count').textContent = T('showing', { range: range, total: grouped(total), all: grouped(sectionSize()) });
    $('page-info').textContent = T('page_of', { page: grouped(state.page + 1), pages: grouped(pages) });
    $('page-prev').disabled = state.page === 0;
    $('page-next').disabled = state.page >= pages - 1;
    const bulkAllowed = state.section === 'planned' && state.focus === null;
    for (const id of ['bulk-approve', 'bulk-reject', 'bulk-clear']) {
      $(id).hidden = !bulkAllowed;
      $(id).disabled = total === 0;
    }
    $('band-note').hidden = state.section !== 'band';
    $('show-all').hidden = state.focus === null;
    for (const [section, button] of [['planned', $('tab-planned')], ['band', $('tab-band')]]) {
      button.setAttribute('aria-selected', String(section === state.section));
    }
  }

  // Appends the cards of `indices` to `fragment`; false when one's details
  // are not read yet.
  function appendCards(fragment, indices) {
    for (const index of indices) {
      const cluster = detail(index);
      if (!cluster) return false;
      const card = renderCard(cluster);
      state.cardsById.set(cluster.id, card);
      state.cardsShown.push(cluster.id);
      fragment.append(card);
    }
    return true;
  }

  function sectionSize() {
    const band = SECTIONS[state.section];
    let n = 0;
    for (const entry of INDEX) if (entry[BAND] === band) n++;
    return n;
  }

  function renderCard(cluster) {
    const card = h('article', { class: 'card' + (cluster.band ? ' candidate' : ''), 'data-cluster-id': cluster.id, tabindex: '-1' });
    const survivor = cluster.members[cluster.survivor];
    const name = fullName(cluster.result) || fullName(survivor) || T('no_name');
    card.append(h('div', { class: 'card-head' },
      // elementtiming: the browser records when a card's title is painted.
      h('span', { class: 'card-title', elementtiming: 'card' }, name),
      h('a', { class: 'card-id', href: '#' + cluster.id, title: T('link_title') }, cluster.id),
      h('span', { class: 'badge ' + cluster.level, title: T('risk_title', { score: cluster.risk }) }, T('risk_' + cluster.level) + ' · ' + cluster.risk),
      HAS_PREVIOUS ? h('span', { class: 'badge status ' + cluster.status, 'data-status': cluster.status }, T('status_' + cluster.status)) : null,
      cluster.band ? h('span', { class: 'badge band' }, T('candidate_badge')) : null,
      h('span', { class: 'badge' }, count(cluster.members.length, 'profiles')),
      h('span', { class: 'badge', title: T('weakest_title', { threshold: DATA.threshold }) }, T('weakest') + ' p = ' + formatP(cluster.p)),
      h('span', { class: 'badge decision-badge', hidden: true }),
      h('div', { class: 'card-actions' },
        h('button', { type: 'button', class: 'button approve', 'data-action': 'approve', 'aria-pressed': 'false', title: T('key_approve') }, T('approve')),
        h('button', { type: 'button', class: 'button reject', 'data-action': 'reject', 'aria-pressed': 'false', title: T('key_reject') }, T('reject')),
        h('button', { type: 'button', class: 'button subtle clear', 'data-action': 'clear', hidden: true, title: T('key_undo') }, T('undo')))));
    const decidedBy = h('p', { class: 'decided-by muted', hidden: true });
    card.append(decidedBy);
    if (cluster.why.length) card.append(h('p', { class: 'why' }, h('b', null, T('why_check') + ' '), cluster.why.join('; ') + '.'));
    const history = historyNotes(cluster);
    if (history) card.append(history);

    card.append(h('h3', null, T('profiles_side_by_side')), membersTable(cluster),
      h('p', { class: 'survivor-note muted' }, T('survivor') + ' ', h('code', null, survivor[0]), ': ', TERMS[cluster.reason] || T('chosen_by_planner'), '.'));
    const plan = h('div', null, h('h3', null, cluster.band ? T('calls_if_approved') : T('planned_calls')), stepsList(cluster));
    const issues = issuesList(cluster);
    if (issues) plan.append(h('h3', null, T('lost_and_warnings')), issues);
    card.append(h('div', { class: 'columns' }, h('div', null, h('h3', null, T('why_linked')), evidence(cluster)), plan));
    updateCardDecision(card, cluster.id);
    return card;
  }

  // What earlier runs say of the cluster: its decision in the previous
  // plan, profiles a reviewer kept apart, merges already applied.
  function historyNotes(cluster) {
    const list = h('ul', { class: 'history' });
    if (cluster.previous) {
      const [id, decision, reviewer, at, note] = cluster.previous;
      const what = decision
        ? T('previous_decided', { id: id, decision: decisionWord(decision), reviewer: reviewer || '?', at: at || '?' })
        : T('previous_undecided', { id: id });
      list.append(h('li', { class: 'previous ' + (decision || 'undecided') }, what, note ? ' — “' + note + '”' : ''));
    }
    for (const [member, other, id, reviewer, at, note] of cluster.apart || []) {
      list.append(h('li', { class: 'apart' }, T('kept_apart', { member: member, other: other, id: id, reviewer: reviewer, at: at }), note ? ' — “' + note + '”' : ''));
    }
    for (const [member, survivor, id] of cluster.applied || []) {
      list.append(h('li', { class: 'applied' }, member === survivor ? T('applied_survivor', { member: member, id: id }) : T('applied_merged', { member: member, survivor: survivor, id: id })));
    }
    return list.children.length ? list : null;
  }

  function membersTable(cluster) {
    const lost = new Set(cluster.lost.map((l) => l[1] + '\u0000' + l[2] + '\u0000' + l[3]));
    const survivor = cluster.members[cluster.survivor];
    const head = h('tr', null, h('th', null, T('field')));
    cluster.members.forEach((row, index) => {
      head.append(h('th', null, row[0], index === cluster.survivor ? h('span', { class: 'tag' }, T('survivor_tag')) : null));
    });
    head.append(h('th', null, T('after_merges')));
    if (cluster.golden) head.append(h('th', { title: T('preferred_title') }, T('preferred')));
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
          title: isLost ? T('value_lost') : null,
        }, display(field, value)));
      });
      const changed = result !== valueOf(survivor, field);
      tr.append(h('td', { class: 'result' + (changed ? ' changed' : '') + (result === null ? ' empty' : '') }, display(field, result)));
      if (cluster.golden) {
        const unreached = golden !== result;
        tr.append(h('td', { class: 'golden' + (golden === null ? ' empty' : '') + (unreached ? ' unreached' : '') }, display(field, golden)));
      }
      body.append(tr);
    }
    const table = h('div', { class: 'scroll' }, h('table', { class: 'members' }, h('thead', null, head), body));
    if (!cluster.golden) return table;
    return h('div', null, table, h('p', { class: 'golden-note' }, T('golden_note')));
  }

  function evidence(cluster) {
    const wrapper = h('div');
    if (cluster.evidence.length === 0) {
      wrapper.append(h('p', { class: 'muted' }, T('no_evidence')));
      return wrapper;
    }
    const pairs = cluster.evidence.map(pairEvidence);
    const shown = 3;
    wrapper.append(...pairs.slice(0, shown));
    if (pairs.length > shown) {
      wrapper.append(h('details', null, h('summary', null, count(pairs.length - shown, 'more_pairs')), ...pairs.slice(shown)));
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
        h('td', null, h('div', { class: 'weight-bar', title: signed(weight) + ' ' + T('bits') }, bar)),
        h('td', { class: 'num' }, signed(weight))));
    }
    if (Math.abs(prior) >= 0.005) {
      body.append(h('tr', { class: 'prior' }, h('td', null, T('prior')), h('td', { class: 'muted' }, T('base_rate')), h('td'), h('td', { class: 'num' }, signed(prior))));
    }
    body.append(h('tr', { class: 'total' }, h('td', null, T('total')), h('td', null, 'p = ' + formatP(pair.p)), h('td'), h('td', { class: 'num' }, signed(pair.w))));
    const bits = h('details', { class: 'bits' }, h('summary', null, T('show_bits')),
      h('table', { class: 'evidence-table' },
        h('thead', null, h('tr', null, h('th', null, T('comparison')), h('th', null, T('level')), h('th', null, T('weight')), h('th', { class: 'num' }, T('bits')))),
        body));
    return h('div', { class: 'evidence-pair' },
      h('div', { class: 'evidence-head' },
        h('b', null, pair.left + ' ↔ ' + pair.right),
        h('span', null, 'p = ' + formatP(pair.p)),
        h('span', { class: 'muted' }, T('found_by') + ' ' + (pair.rules.length ? pair.rules.map((rule) => TERMS[rule]).join(', ') : T('no_rule')))),
      h('p', { class: 'explanation' }, DATA.explanations[pair.x] || ''),
      bits);
  }

  function describeAddress(params, side) {
    const kinds = { uid: 'address_uid', phone: 'address_phone', email: 'address_email', oid: 'address_oid' };
    for (const [key, value] of params) {
      if (key.startsWith(side + '_') && kinds[key.slice(side.length + 1)]) return T(kinds[key.slice(side.length + 1)]) + ' ' + value;
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
        if (from && to) words = T('merge_into', { from: from, to: to });
      } else if (step.method === 'users/update') {
        words = T('update_fields', { fields: step.params.filter((p) => p[0] !== 'user_id' && p[0] !== 'origin_user_id' && p[0] !== 'phone' && p[0] !== 'email').map((p) => p[0]).join(', ') });
      }
      list.append(h('li', null, h('span', { class: 'method' }, step.method), words ? ' — ' + words + ' ' : ' ',
        step.params.map((p) => h('span', { class: 'param' }, p[0] + '=' + p[1]))));
    }
    const simulation = h('details', { class: 'simulation' }, h('summary', null, T('simulated')));
    simulation.addEventListener('toggle', () => {
      if (simulation.open && simulation.children.length === 1) simulation.append(simulationTable(cluster));
    });
    return h('div', null, list, simulation);
  }

  function simulationTable(cluster) {
    const before = cluster.members[cluster.survivor];
    const states = [before].concat(cluster.steps.map((s) => s.after || cluster.result));
    const head = h('tr', null, h('th', null, T('field')), h('th', null, T('before')), cluster.steps.map((s, i) => h('th', null, T('after_step', { n: i + 1 }))));
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
      list.append(h('li', { class: 'lost' }, h('span', { class: 'code' }, T('lost_code')),
        kept === null
          ? T('lost_value', { step: step, field: label(field).toLowerCase(), value: display(field, value), user: userId })
          : T('lost_value_kept', { step: step, field: label(field).toLowerCase(), value: display(field, value), user: userId, kept: display(field, kept) })));
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
    badge.textContent = decision === 'approve' ? '✓ ' + T('approved') : decision === 'reject' ? '✕ ' + T('rejected') : '';
    card.querySelector('[data-action="approve"]').setAttribute('aria-pressed', String(decision === 'approve'));
    card.querySelector('[data-action="reject"]').setAttribute('aria-pressed', String(decision === 'reject'));
    card.querySelector('[data-action="clear"]').hidden = !decision;
    const by = card.querySelector('.decided-by');
    by.hidden = !decided || !decided.reviewer;
    if (decided && decided.reviewer) {
      by.textContent = T('decided_by', { decision: decisionWord(decision), reviewer: decided.reviewer, at: decided.decided_at || '' }) +
        (decided.carried_from ? ' ' + T('carried_from', { id: decided.carried_from.cluster_id }) : '') +
        (decided.note ? ' — “' + decided.note + '”' : '');
    }
  }

  // ---- keyboard ---------------------------------------------------------------

  function markCurrent(scroll) {
    for (const card of $('cards').querySelectorAll('.card.current')) card.classList.remove('current');
    const id = state.cardsShown[state.current];
    const card = id === undefined ? null : state.cardsById.get(id);
    if (!card) return;
    card.classList.add('current');
    if (scroll) {
      const toolbar = $('toolbar').getBoundingClientRect().height;
      window.scrollTo(0, card.getBoundingClientRect().top + window.scrollY - toolbar - 8);
    }
  }

  function moveCurrent(step) {
    if (state.cardsShown.length === 0) return;
    let next = state.current + step;
    if (next >= state.cardsShown.length && state.page < Math.ceil(state.filtered.length / state.pageSize) - 1) {
      state.page++; renderPage(); state.current = 0;
    } else if (next < 0 && state.page > 0) {
      state.page--; renderPage(); state.current = state.cardsShown.length - 1;
    } else {
      state.current = Math.min(Math.max(0, next), state.cardsShown.length - 1);
    }
    markCurrent(true);
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA')) return;
    const id = state.cardsShown[state.current];
    switch (event.key) {
      case 'j': moveCurrent(1); break;
      case 'k': moveCurrent(-1); break;
      case 'a': if (id !== undefined) { decide([id], 'approve'); moveCurrent(1); } break;
      case 'r': if (id !== undefined) { decide([id], 'reject'); moveCurrent(1); } break;
      case 'u': if (id !== undefined) decide([id], null); break;
      case '/': $('search').focus(); break;
      default: return;
    }
    event.preventDefault();
  }

  // ---- decisions -------------------------------------------------------------

  // Records `decision` ('approve', 'reject' or null to clear) for `ids`.
  function decide(ids, decision) {
    const at = nowIso();
    for (const id of ids) {
      const before = state.decisions.get(id);
      if (decision) state.decisions.set(id, { decision: decision, decided_at: at, reviewer: state.reviewer });
      else state.decisions.delete(id);
      const card = state.cardsById.get(id);
      if (card) updateCardDecision(card, id);
      if (state.mode === 'server') state.pending.push({ cluster_id: id, decision: decision, expected: before ? before.decision : null });
    }
    updateTally();
    if (state.mode === 'server') flushToServer(); else saveLocally();
  }

  function updateTally() {
    let approved = 0;
    let rejected = 0;
    let total = 0;
    for (const entry of INDEX) {
      if (entry[BAND] !== 0) continue;
      total++;
      const decided = state.decisions.get(entry[ID]);
      if (!decided) continue;
      if (decided.decision === 'approve') approved++; else rejected++;
    }
    $('count-approved').textContent = grouped(approved);
    $('count-rejected').textContent = grouped(rejected);
    $('count-undecided').textContent = grouped(total - approved - rejected);
  }

  function setStatus(text, kind) {
    const status = $('save-status');
    status.textContent = text;
    status.setAttribute('data-state', kind);
  }

  // Takes decisions as the server's file holds them now.
  function takeServerDecisions(clusters) {
    for (const id of Object.keys(clusters)) {
      const now = clusters[id];
      if (now) state.decisions.set(id, now); else state.decisions.delete(id);
      const card = state.cardsById.get(id);
      if (card) updateCardDecision(card, id);
    }
    updateTally();
  }

  // Sends the unsaved changes in one request; one request at a time, so the
  // server writes them in the order they were made. Each names the decision
  // the page showed, and the server refuses the request if another writer
  // has changed one since: the page then shows what stands.
  async function flushToServer() {
    if (state.saving || state.pending.length === 0) return;
    clearTimeout(state.retryTimer);
    const batch = state.pending;
    state.pending = [];
    state.saving = true;
    setStatus(T('saving'), 'saving');
    let retry = false;
    try {
      const response = await fetch('api/decisions', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ updates: batch }),
      });
      const body = await response.json().catch(() => null);
      if (response.status === 409 && body) {
        const stands = {};
        for (const conflict of body.conflicts || []) stands[conflict.cluster_id] = conflict.current;
        // The whole request was refused: undo its other changes too.
        await refreshFromServer();
        takeServerDecisions(stands);
        setStatus(T('conflict', { message: body.error }), 'error');
      } else if (!response.ok) {
        retry = true;
        state.pending = batch.concat(state.pending);
        setStatus(T('not_saved', { message: (body && body.error) || ('HTTP ' + response.status) }), 'error');
      } else {
        takeServerDecisions(body.clusters);
        setStatus(T('saved_at', { time: new Date(body.decided_at).toLocaleTimeString() }), 'saved');
      }
    } catch (error) {
      retry = true;
      state.pending = batch.concat(state.pending);
      setStatus(T('not_saved', { message: error.message }), 'error');
    }
    state.saving = false;
    if (retry) state.retryTimer = setTimeout(flushToServer, 3000);
    else if (state.pending.length) flushToServer();
  }

  // Reads decisions.json through the server: decisions made elsewhere
  // (`approve`, another review) show up.
  async function refreshFromServer() {
    try {
      const response = await fetch('api/decisions', { headers: { Accept: 'application/json' } });
      if (!response.ok) return;
      const saved = await response.json();
      if (saved.plan_hash !== DATA.plan_hash || state.pending.length || state.saving) return;
      const now = {};
      for (const id of state.decisions.keys()) now[id] = null;
      Object.assign(now, saved.clusters);
      takeServerDecisions(now);
    } catch (error) {
      // The next refresh tries again.
    }
  }

  function saveLocally() {
    const stored = { reviewer: state.reviewer, clusters: Object.fromEntries(state.decisions) };
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(stored));
      setStatus(state.decisions.size ? T('kept_in_browser') : '', 'idle');
    } catch (error) {
      setStatus(T('cannot_keep', { error: error.name }), 'error');
    }
  }

  function loadLocally() {
    try {
      const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
      if (!stored) return;
      state.reviewer = typeof stored.reviewer === 'string' ? stored.reviewer : '';
      mergeDecisions(stored.clusters, state.reviewer);
    } catch (error) {
      // Nothing usable stored: start with no decisions.
    }
  }

  // Takes entries of a decisions.json `clusters` object for clusters of this plan.
  function mergeDecisions(clusters, fallbackReviewer) {
    let taken = 0;
    for (const id of Object.keys(clusters || {})) {
      const entry = clusters[id];
      if (!BY_ID.has(id) || !entry || (entry.decision !== 'approve' && entry.decision !== 'reject')) continue;
      const kept = { decision: entry.decision, decided_at: String(entry.decided_at || nowIso()), reviewer: String(entry.reviewer || fallbackReviewer || '') };
      if (typeof entry.note === 'string') kept.note = entry.note;
      if (entry.carried_from) kept.carried_from = entry.carried_from;
      state.decisions.set(id, kept);
      taken++;
    }
    return taken;
  }

  // The decisions as decisions.json, the schema `apply` reads.
  function decisionsFile() {
    const ids = Array.from(state.decisions.keys()).sort();
    const clusters = {};
    for (const id of ids) {
      const decided = Object.assign({}, state.decisions.get(id));
      if (!decided.reviewer) decided.reviewer = state.reviewer;
      clusters[id] = decided;
    }
    return {
      schema_version: 2,
      plan_hash: DATA.plan_hash,
      decided_at: nowIso(),
      clusters: clusters,
    };
  }

  function download() {
    if (!state.reviewer.trim()) {
      setStatus(T('enter_name'), 'error');
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
        setStatus(T('not_json', { file: file.name }), 'error');
        return;
      }
      if (!parsed || (parsed.schema_version !== 1 && parsed.schema_version !== 2) || typeof parsed.clusters !== 'object') {
        setStatus(T('not_decisions', { file: file.name }), 'error');
        return;
      }
      if (parsed.plan_hash !== DATA.plan_hash) {
        setStatus(T('other_plan', { file: file.name }), 'error');
        return;
      }
      mergeDecisions(parsed.clusters, typeof parsed.reviewer === 'string' ? parsed.reviewer : '');
      if (!state.reviewer && typeof parsed.reviewer === 'string') {
        state.reviewer = parsed.reviewer;
        $('reviewer').value = parsed.reviewer;
      }
      saveLocally();
      updateTally();
      rerender();
    };
    reader.readAsText(file);
  }

  // ---- wiring ----------------------------------------------------------------

  function rerender(first) {
    applyFilters();
    renderPage(first);
  }

  function askBulk(action) {
    const ids = state.filtered.map((i) => INDEX[i][ID]);
    if (ids.length === 0) return;
    state.bulk = { action: action, ids: ids };
    $('bulk-confirm-text').textContent = T('bulk_' + action, { n: grouped(ids.length) }) + (ids.length > state.pageSize ? ' ' + T('bulk_every_page') : '');
    $('bulk-confirm-yes').textContent = T('bulk_confirm_' + action, { n: grouped(ids.length) });
    $('bulk-confirm').hidden = false;
  }

  // `#C-10000017` shows that cluster alone.
  function followFragment() {
    const wanted = decodeURIComponent(location.hash.slice(1));
    if (!wanted) { state.focus = null; return; }
    const index = BY_ID.has(wanted) ? BY_ID.get(wanted) : BY_FOLDED_ID.get(wanted.toLowerCase());
    state.focus = index === undefined ? wanted : INDEX[index][ID];
    if (index !== undefined) state.section = INDEX[index][BAND] === 1 ? 'band' : 'planned';
    state.current = 0;
  }

  function wire() {
    $('filter-status').hidden = !HAS_PREVIOUS;
    for (const [code, n] of DATA.warning_codes) {
      $('filter-warning').append(h('option', { value: code }, code + ' (' + grouped(n) + ')'));
    }
    let searchTimer = 0;
    const refilter = () => { state.page = 0; state.current = -1; rerender(); };
    $('search').addEventListener('input', (event) => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => { state.query = event.target.value; refilter(); }, 150);
    });
    $('filter-risk').addEventListener('change', (e) => { state.risk = e.target.value; refilter(); });
    $('filter-status').addEventListener('change', (e) => { state.status = e.target.value; refilter(); });
    $('filter-warning').addEventListener('change', (e) => { state.warning = e.target.value; refilter(); });
    $('filter-decision').addEventListener('change', (e) => { state.decision = e.target.value; refilter(); });
    $('sort').addEventListener('change', (e) => { state.sort = e.target.value; refilter(); });
    $('page-size').addEventListener('change', (e) => { state.pageSize = Number(e.target.value) || 50; state.page = 0; renderPage(); });
    $('page-prev').addEventListener('click', () => { state.page--; renderPage(); $('clusters').scrollIntoView(); });
    $('page-next').addEventListener('click', () => { state.page++; renderPage(); $('clusters').scrollIntoView(); });
    for (const section of ['planned', 'band']) {
      $('tab-' + section).addEventListener('click', () => {
        if (state.focus !== null) history.replaceState(null, '', location.pathname + location.search);
        state.focus = null;
        state.section = section;
        refilter();
      });
    }
    $('show-all').addEventListener('click', () => {
      history.replaceState(null, '', location.pathname + location.search);
      state.focus = null;
      refilter();
    });
    window.addEventListener('hashchange', () => { followFragment(); rerender(); markCurrent(true); });
    $('cards').addEventListener('click', (event) => {
      const button = event.target.closest('button[data-action]');
      if (!button) return;
      const id = button.closest('[data-cluster-id]').getAttribute('data-cluster-id');
      state.current = state.cardsShown.indexOf(id);
      markCurrent(false);
      const action = button.getAttribute('data-action');
      decide([id], action === 'clear' ? null : action);
    });
    document.addEventListener('keydown', onKey);
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
      if (state.mode === 'server' && (state.pending.length || state.saving)) event.preventDefault();
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
        setStatus(T('server_other_plan'), 'error');
        return false;
      }
      state.reviewer = saved.reviewer || '';
      // The server's file is the record; what this browser kept in file
      // mode does not count here.
      state.decisions.clear();
      mergeDecisions(saved.clusters, '');
      return true;
    } catch (error) {
      return false;
    }
  }

  function timeFirstCard(renderStart) {
    const firstCard = performance.now();
    // Milliseconds since navigation start, read by the opening-time test;
    // firstFrameMs is the next frame after the cards are in the page.
    window.sailmergeTiming = {
      scriptStartMs: started, dataReadMs: parsedAt - started, renderMs: firstCard - renderStart, firstCardMs: firstCard,
    };
    document.documentElement.setAttribute('data-first-card-ms', firstCard.toFixed(1));
    requestAnimationFrame(() => { window.sailmergeTiming.firstFrameMs = performance.now(); });
  }

  function start() {
    wire();
    followFragment();
    loadLocally();
    $('reviewer').value = state.reviewer;
    updateTally();
    const renderStart = performance.now();
    rerender(FIRST_PAINT_CARDS);
    timeFirstCard(renderStart);
    if (state.focus !== null) markCurrent(true);
    const whenComplete = () => {
      pageComplete = true;
      collectChunks();
      rerender();
      document.documentElement.setAttribute('data-ready', 'true');
    };
    if (pageComplete) whenComplete(); else document.addEventListener('DOMContentLoaded', whenComplete);
    connectToServer().then((connected) => {
      if (connected) {
        state.mode = 'server';
        $('reviewer').value = state.reviewer;
        $('reviewer').disabled = true;
        $('reviewer').title = T('reviewer_from_server');
        setStatus(T('connected'), 'saved');
        updateTally();
        if (pageComplete) rerender();
        window.addEventListener('focus', refreshFromServer);
        setInterval(refreshFromServer, 15000);
      } else if (state.decisions.size) {
        setStatus(T('restored', { n: grouped(state.decisions.size) }), 'idle');
      }
      document.documentElement.setAttribute('data-mode', state.mode);
    });
  }

  // For tests and for scripting the page from the browser console.
  window.sailmerge = { decisionsFile: decisionsFile, decide: decide, mode: () => state.mode, refresh: refreshFromServer };
  start();
})();
