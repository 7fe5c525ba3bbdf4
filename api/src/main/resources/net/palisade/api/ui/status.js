'use strict';
// The status page: every data call carries the bearer token in the Authorization header. The token lives in this
// tab's sessionStorage only (see docs/security.md): never in a URL, never in a cookie. EventSource cannot send
// headers, so the event stream is read with fetch() and parsed here (text/event-stream, with Last-Event-ID resume).
(() => {
  const KEY = 'palisade.api.token';
  const SHOWN_EVENTS = 50;
  const HISTORY = 24 * 3600 * 1000;   // the event list starts with the last day's events
  const POLL_MS = 5000;               // bytes move without events: the table is re-read this often
  const RETRY_MS = 2000;

  const $ = id => document.getElementById(id);
  let token = null;
  let lastId = null;        // the offset of the last event seen: the stream resumes after it
  let session = null;       // AbortController of the running session (stream and polling)
  let refreshTimer = null;

  class Unauthorized extends Error {}

  async function call(path, signal) {
    const r = await fetch(path, {
      headers: {Authorization: 'Bearer ' + token, Accept: 'application/json'},
      cache: 'no-store', credentials: 'omit', signal,
    });
    if (r.status === 401) {
      throw new Unauthorized('the token is not valid (401)');
    }
    return r;
  }

  async function json(path, signal) {
    const r = await call(path, signal);
    if (!r.ok) {
      throw new Error(path + ': HTTP ' + r.status);
    }
    return r.json();
  }

  // green: up and (with ping) reachable; amber: part of the way (IKE SA without Child SA, or up but the ping is
  // lost); red: no IKE SA (down, or still connecting); grey: an operator switched it off.
  function colour(t) {
    if (t.admin === 'down') return 'grey';
    switch (t.status) {
      case 'up': return t.reachability === 'unreachable' ? 'amber' : 'green';
      case 'no-child-sa': return 'amber';
      default: return 'red';
    }
  }

  const hex = n => (typeof n === 'number') ? '0x' + n.toString(16).padStart(8, '0') : String(n);

  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function renderTunnels(list) {
    const body = $('tunnel-rows');
    body.replaceChildren();
    for (const t of list.filter(t => t.configured)) {
      const tr = document.createElement('tr');
      const c = colour(t);
      tr.dataset.label = t.label;
      tr.dataset.status = t.status;
      tr.dataset.colour = c;
      const dot = document.createElement('span');
      dot.className = 'dot ' + c;
      dot.title = c;
      cell(tr, '').appendChild(dot);
      cell(tr, t.label, 'mono');
      const state = t.status + (t.reachability ? ' (' + t.reachability + ')' : '') + (t.admin === 'down' ? ', admin down' : '');
      cell(tr, state, 'state');
      // the peer of the IKE SA; without one, the configured peers (tried in turn)
      const configured = t.config ? (t.config.peers ? t.config.peers.join(' ') : t.config.peer) : null;
      cell(tr, t.peer || (configured ? configured + ' (not connected)' : '—'), 'mono peer');
      const sas = cell(tr, '', 'mono sas');
      if (t.ikeSa) {
        const d = document.createElement('div');
        d.textContent = 'IKE ' + t.ikeSa;
        sas.appendChild(d);
      }
      for (const sa of t.sas || []) {
        const d = document.createElement('div');
        d.textContent = sa.id + ' in ' + hex(sa.spi && sa.spi.inbound) + ' out ' + hex(sa.spi && sa.spi.outbound);
        sas.appendChild(d);
      }
      const k = t.counters;
      cell(tr, k ? k.in.bytes + ' / ' + k.out.bytes : '—', 'num bytes');
      cell(tr, k ? k.in.packets + ' / ' + k.out.packets : '—', 'num');
      cell(tr, t.since ? new Date(t.since).toLocaleString() : '');
      cell(tr, t.lastFailure || '');
      body.appendChild(tr);
    }
    $('no-tunnels').hidden = body.children.length > 0;
  }

  function renderCluster(c) {
    const s = $('cluster');
    if (!c) {
      s.hidden = true;
      return;
    }
    s.hidden = false;
    const lease = c.lease || {};
    // "sole": a node alone, always active, without a lease (docs/api.md)
    $('cluster-summary').textContent = 'this node ' + (c.self || '?') + ': ' + (c.role || '?')
        + (c.role === 'sole' ? ' (alone: always active, no lease)'
            : '; active: ' + (c.active || 'nobody') + (lease.epoch != null ? '; lease epoch ' + lease.epoch : '')
              + (lease.expires ? ', expires ' + new Date(lease.expires).toLocaleTimeString() : ''));
    const body = $('cluster-members');
    body.replaceChildren();
    for (const m of c.members || []) {
      const tr = document.createElement('tr');
      cell(tr, m.address, 'mono');
      cell(tr, m.status);
      cell(tr, m.reachable ? 'yes' : 'no');
      cell(tr, m.active ? 'active' : '');
      body.appendChild(tr);
    }
  }

  function describe(e) {
    const parts = [];
    for (const f of ['peer', 'from', 'to', 'reason', 'detail', 'ikeSa', 'replaced', 'replacement']) {
      if (e[f] != null && typeof e[f] !== 'object') parts.push(f + '=' + e[f]);
    }
    if (e.sa && e.sa.id) parts.push('sa=' + e.sa.id);
    return parts.join(' ');
  }

  function addEvent(e) {
    const ol = $('events');
    if (ol.querySelector('li[data-offset="' + e.offset + '"]')) return;
    const li = document.createElement('li');
    li.dataset.offset = e.offset;
    li.dataset.type = e.type;
    li.dataset.label = e.label;
    li.textContent = (e.time ? new Date(e.time).toISOString().replace('T', ' ').replace('Z', '') : '') + '  '
        + e.label + '  ' + e.type + '  cause=' + e.cause + '  ' + describe(e);
    ol.insertBefore(li, ol.firstChild);
    while (ol.children.length > SHOWN_EVENTS) ol.removeChild(ol.lastChild);
    if (lastId === null || e.offset > lastId) lastId = e.offset;
  }

  async function refresh(signal) {
    renderTunnels(await json('/v1/tunnels', signal));
    const r = await call('/v1/cluster', signal);
    renderCluster(r.ok ? await r.json() : null); // a node without a pair (or an older one) answers 404
    $('error').textContent = '';
  }

  function scheduleRefresh(signal) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => refresh(signal).catch(fail), 200);
  }

  async function history(signal) {
    const since = new Date(Date.now() - HISTORY).toISOString();
    let after = null;
    let recent = [];
    for (let page = 0; page < 20; page++) {
      const q = '/v1/events?limit=1000&since=' + encodeURIComponent(since) + (after === null ? '' : '&after=' + after);
      const list = await json(q, signal);
      recent = recent.concat(list).slice(-SHOWN_EVENTS);
      if (list.length < 1000) break;
      after = list[list.length - 1].offset;
    }
    recent.forEach(addEvent);
  }

  function setLive(on, text) {
    const l = $('live');
    l.className = 'live ' + (on ? 'on' : 'off');
    l.textContent = text;
  }

  const pause = (ms, signal) => new Promise(resolve => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, {once: true});
  });

  // One SSE event block: "id:", "event:", "data:" lines, a blank line ends it; ":" lines are comments.
  function dispatch(block, signal) {
    if (block.id !== null && /^\d+$/.test(block.id)) lastId = Math.max(lastId ?? -1, Number(block.id));
    if (block.data.length === 0 || block.data.join('') === '') return; // the heartbeat
    addEvent(JSON.parse(block.data.join('\n')));
    scheduleRefresh(signal);
  }

  async function stream(signal) {
    while (!signal.aborted) {
      try {
        const headers = {Authorization: 'Bearer ' + token, Accept: 'text/event-stream'};
        if (lastId !== null) headers['Last-Event-ID'] = String(lastId);
        const r = await fetch('/v1/events/stream', {headers, cache: 'no-store', credentials: 'omit', signal});
        if (r.status === 401) throw new Unauthorized('the token is not valid (401)');
        if (!r.ok || !r.body) throw new Error('event stream: HTTP ' + r.status);
        setLive(true, 'live');
        scheduleRefresh(signal); // what happened while the stream was away
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        let block = {id: null, data: []};
        for (;;) {
          const {value, done} = await reader.read();
          if (done) break;
          buffer += value;
          let nl;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).replace(/\r$/, '');
            buffer = buffer.slice(nl + 1);
            if (line === '') {
              dispatch(block, signal);
              block = {id: null, data: []};
              continue;
            }
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') block.data.push(val);
            else if (field === 'id') block.id = val;
          }
        }
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof Unauthorized) return fail(e);
        $('error').textContent = String(e.message || e);
      }
      setLive(false, 'stream: reconnecting');
      await pause(RETRY_MS, signal);
    }
  }

  function fail(e) {
    if (e instanceof Unauthorized) {
      signOut(e.message);
    } else if (!(e && e.name === 'AbortError')) {
      $('error').textContent = String(e.message || e);
    }
  }

  async function open() {
    const ctl = new AbortController();
    session = ctl;
    $('login').hidden = true;
    $('main').hidden = false;
    $('forget').hidden = false;
    $('node').textContent = location.host;
    try {
      await refresh(ctl.signal);
      await history(ctl.signal);
    } catch (e) {
      fail(e);
      if (e instanceof Unauthorized) return;
    }
    stream(ctl.signal);
    const poll = setInterval(() => refresh(ctl.signal).catch(fail), POLL_MS);
    ctl.signal.addEventListener('abort', () => clearInterval(poll), {once: true});
  }

  function signOut(why) {
    if (session) session.abort();
    session = null;
    token = null;
    lastId = null;
    sessionStorage.removeItem(KEY);
    $('events').replaceChildren();
    $('tunnel-rows').replaceChildren();
    $('main').hidden = true;
    $('forget').hidden = true;
    $('login').hidden = false;
    setLive(false, 'stream: not connected');
    $('login-error').textContent = why || '';
    $('token').focus();
  }

  async function signIn(ev) {
    ev.preventDefault();
    const candidate = $('token').value.trim();
    $('token').value = '';
    if (!candidate) return;
    token = candidate;
    try {
      await json('/v1/tunnels'); // checked before it is kept
    } catch (e) {
      token = null;
      $('login-error').textContent = e instanceof Unauthorized ? 'That token is not valid.' : String(e.message || e);
      return;
    }
    sessionStorage.setItem(KEY, candidate);
    $('login-error').textContent = '';
    open();
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('login').addEventListener('submit', signIn);
    $('forget').addEventListener('click', () => signOut(''));
    token = sessionStorage.getItem(KEY);
    if (token) open(); else signOut('');
  });
})();
