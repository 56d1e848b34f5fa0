// Department console: plain JS, no build step. Talks to /api with the user's bearer token and
// follows /api/stream (SSE read through fetch, because EventSource cannot send Authorization).
// The page's scripts, in load order: dom.js, queue.js, live.js, core.js (labels, state, API
// client), board.js (orders and cards), dialog.js (dialog, photos), actions.js (sending, offline
// queue), then this file: login, the event stream, start.
'use strict';
(() => {
  const C = window.SwConsole; // core.js
  const { L, $, bi, state, api, errText, setTimeZone, render, renderFilters, applyOrder, saveOrders, flush, refreshQueued } = C;
  const { readEventBlocks } = window.SwDom; // dom.js

  // ---- login -------------------------------------------------------------------------------
  async function login(token) {
    state.token = token;
    try {
      state.me = await api('GET', '/api/me');
      sessionStorage.setItem('sw-me', JSON.stringify(state.me));
    } catch (e) {
      const cached = e.network && sessionStorage.getItem('sw-token') === token && sessionStorage.getItem('sw-me');
      if (cached) {
        // Opened without network (the service worker served the page): the last known orders,
        // actions go to the offline queue.
        state.me = JSON.parse(cached);
        for (const o of JSON.parse(sessionStorage.getItem('sw-orders') || '[]')) state.orders.set(o.id, o);
        return start();
      }
      state.token = null;
      sessionStorage.removeItem('sw-token');
      $('login-error').textContent = e.code === 'SW_ROUTER_AUTH_EXPIRED' ? errText(e) : e.status === 401 ? '令牌无效 · Token not valid' : errText(e);
      return;
    }
    sessionStorage.setItem('sw-token', token);
    start();
  }

  function start() {
    const me = state.me;
    setTimeZone(me.console.timeZone);
    $('title').textContent = me.console.title;
    const dept = me.departments.find((d) => d.id === me.departmentId);
    $('dept').textContent = me.role === 'supervisor' ? '全部科室 All departments' : (dept ? dept.name : me.departmentId);
    $('user').textContent = `${me.name} · ${bi(L.role[me.role], me.role)}`;
    $('login-view').hidden = true;
    $('board-view').hidden = false;
    $('who').hidden = false;
    renderFilters();
    render();
    connect();
    refreshQueued().then(flush);
    if (window.SwLive) window.SwLive.init({ token: state.token, me: state.me }); // live camera view (live.js)
  }

  function logout() {
    sessionStorage.removeItem('sw-token');
    sessionStorage.removeItem('sw-me');
    sessionStorage.removeItem('sw-orders');
    if (state.ctrl) state.ctrl.abort();
    location.reload();
  }

  // ---- live stream -------------------------------------------------------------------------
  function setLive(s) {
    $('live').dataset.state = s;
    $('live-text').textContent =
      s === 'on' ? '实时 Live' : s === 'offline' ? '离线 Offline' : s === 'retry' ? '重连中 Reconnecting' : '连接中 Connecting';
  }

  async function connect() {
    const ctrl = new AbortController();
    state.ctrl = ctrl;
    try {
      const headers = { authorization: `Bearer ${state.token}`, accept: 'text/event-stream' };
      if (state.lastId) headers['last-event-id'] = state.lastId;
      const res = await fetch('/api/stream', { headers, signal: ctrl.signal, cache: 'no-store' });
      if (res.status === 401) return logout();
      if (!res.ok || !res.body) throw new Error(`stream ${res.status}`);
      setLive('on');
      state.retryMs = 1000;
      flush();
      await readEventBlocks(res.body, onBlock);
    } catch {
      if (ctrl.signal.aborted) return;
    }
    setLive(navigator.onLine === false ? 'offline' : 'retry');
    state.retryTimer = setTimeout(() => { state.retryTimer = null; connect(); }, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, 15000);
  }

  /** The network is back: reconnect now (not at the end of the backoff) and send the queue. */
  function onOnline() {
    if (!state.me) return;
    if (state.retryTimer) {
      clearTimeout(state.retryTimer);
      state.retryTimer = null;
      state.retryMs = 1000;
      connect();
    }
    flush();
  }

  function onBlock(block) {
    let event = 'message';
    let id = null;
    const data = [];
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (id) state.lastId = id;
    if (!data.length) return;
    const msg = JSON.parse(data.join('\n'));
    if (event === 'snapshot') {
      state.orders.clear();
      for (const o of msg.orders) state.orders.set(o.id, o);
      saveOrders();
      render();
    } else if (event === 'workorder') {
      applyOrder(msg.order, msg.event.action === 'dispatched');
    }
  }

  // ---- start -------------------------------------------------------------------------------
  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      $('login-error').textContent = '';
      login($('token').value.trim());
    });
    $('logout').addEventListener('click', logout);
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', () => setLive('offline'));
    setInterval(() => { if (state.me) render(); }, 30000);
    setInterval(() => { if (state.queued.size) flush(); }, 20000);
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.register('/console/sw.js', { scope: '/console' }).catch(() => { /* http on a LAN address: no offline shell */ });
      navigator.serviceWorker.addEventListener('message', (e) => { if (e.data && e.data.type === 'flush') flush(); });
    }
    const saved = sessionStorage.getItem('sw-token');
    if (saved) login(saved);
  });
})();
