// Department console: plain JS, no build step. Talks to /api with the user's bearer token and
// follows /api/stream (SSE read through fetch, because EventSource cannot send Authorization).
'use strict';
(() => {
  const L = {
    type: {
      illegal_parking: ['违停', 'Illegal parking'],
      street_vendor: ['游商经营', 'Street vendor'],
      shopfront_spillover: ['出店经营', 'Shopfront spillover'],
      dumping: ['垃圾乱堆', 'Dumped waste'],
      shop_red: ['红色商户', 'Red-rated shop'],
      camera_tampered: ['摄像头画面异常', 'Camera tampered'],
    },
    status: {
      dispatched: ['待签收', 'Dispatched'], signed: ['已签收', 'Signed'], handled: ['已处置', 'Handled'],
      verified: ['已核查', 'Verified'], closed: ['已结案', 'Closed'], returned: ['已退单', 'Returned'],
    },
    severity: { info: ['一般', 'Info'], warning: ['较重', 'Warning'], critical: ['紧急', 'Critical'] },
    step: { sign: ['签收时限', 'Sign by'], handle: ['处置时限', 'Handle by'], verify: ['核查时限', 'Verify by'] },
    action: {
      sign: ['签收', 'Sign'], handle: ['处置', 'Handle'], feedback: ['反馈', 'Feedback'], verify: ['核查通过', 'Verify'],
      reject: ['核查不通过', 'Reject'], close: ['结案', 'Close'], return: ['退单', 'Return'], redispatch: ['重新派遣', 'Re-dispatch'],
      mark_false_positive: ['误报', 'False positive'], mark_duplicate: ['重复', 'Duplicate'],
    },
    role: { staff: ['科员', 'staff'], head: ['负责人', 'head'], supervisor: ['指挥中心', 'supervisor'] },
    error: {
      SW_ROUTER_WO_INVALID_TRANSITION: '工单状态已变化 · The work order changed meanwhile',
      SW_ROUTER_WO_ROLE_FORBIDDEN: '无此权限 · Your role may not do this',
      SW_ROUTER_WO_NOT_FOUND: '工单不存在 · No such work order',
      SW_ROUTER_UPLOAD_TOO_LARGE: '照片过大 · Photo too large',
      SW_ROUTER_UPLOAD_TYPE: '仅支持 JPEG/PNG 照片 · Only JPEG/PNG photos',
      SW_ROUTER_IDEMPOTENCY_KEY_REUSED: '重复提交被拒绝 · Refused as a repeat of another request',
      SW_ROUTER_UPLOAD_TOO_MANY: '照片过多 · Too many photos',
      SW_ROUTER_RATE_LIMITED: '操作过于频繁 · Too many requests, retry shortly',
      SW_ROUTER_AUTH_INVALID: '令牌无效 · Token not valid',
      SW_ROUTER_AUTH_EXPIRED: '令牌已过期，请向管理员申请新令牌 · Token expired: ask for a new one',
    },
  };
  const FILTERS = [
    ['all', '全部', 'All'], ['dispatched', '待签收', 'To sign'], ['signed', '处置中', 'In progress'],
    ['handled', '待核查', 'To verify'], ['verified', '待结案', 'To close'], ['returned', '已退单', 'Returned'],
  ];
  const $ = (id) => document.getElementById(id);
  const bi = (pair, fallback) => (pair ? `${pair[0]} ${pair[1]}` : fallback);
  const state = {
    token: null, me: null, orders: new Map(), cards: new Map(), filter: 'all', lastId: null, ctrl: null, retryMs: 1000, fresh: new Set(),
    queued: new Map(), flushing: false, retryTimer: null,
  };

  const { el, readEventBlocks } = window.SwDom; // dom.js

  async function api(method, path, body) {
    const headers = { authorization: `Bearer ${state.token}` };
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) { headers['content-type'] = 'application/json'; payload = JSON.stringify(body); }
    const res = await netFetch(path, { method, headers, body: payload });
    const isJson = (res.headers.get('content-type') || '').includes('json');
    const data = isJson ? await res.json() : null;
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || res.statusText);
      err.code = data && data.error && data.error.code;
      err.status = res.status;
      throw err;
    }
    return data;
  }

  /** fetch, with a network failure (offline, connection lost, no answer) marked `network`. */
  async function netFetch(path, init) {
    try {
      return await fetch(path, init);
    } catch {
      const err = new Error('网络不可用 · Network unavailable');
      err.network = true;
      throw err;
    }
  }

  function toast(msg, bad) {
    const t = $('toast');
    t.textContent = msg;
    t.className = bad ? 'toast bad' : 'toast';
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, bad ? 6000 : 2500);
  }
  const errText = (e) => L.error[e.code] || e.message;

  // ---- time ---------------------------------------------------------------------------------
  let fmt;
  const time = (iso) => (iso ? fmt.format(new Date(iso)).replace(/\//g, '-') : '');

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
    fmt = new Intl.DateTimeFormat('zh-CN', {
      timeZone: me.console.timeZone, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
    });
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

  const isOpen = (o) =>
    ['dispatched', 'signed', 'handled', 'verified'].includes(o.status) ||
    (o.status === 'returned' && state.me.role === 'supervisor' && !o.redispatchedTo);

  function applyOrder(o, isNew) {
    const have = state.orders.get(o.id);
    if (have && have.version > o.version) return;
    if (o.redispatchedFrom) state.orders.delete(o.redispatchedFrom);
    if (isOpen(o)) {
      if (!have && isNew) state.fresh.add(o.id);
      state.orders.set(o.id, o);
    } else {
      state.orders.delete(o.id);
    }
    saveOrders();
    render();
  }

  function saveOrders() {
    try { sessionStorage.setItem('sw-orders', JSON.stringify([...state.orders.values()])); } catch { /* full: the offline start shows less */ }
  }

  // ---- rendering ---------------------------------------------------------------------------
  function renderFilters() {
    const nav = $('filters');
    nav.replaceChildren();
    for (const [key, zh, en] of FILTERS) {
      if (key === 'returned' && state.me.role !== 'supervisor') continue;
      const n = [...state.orders.values()].filter((o) => key === 'all' || o.status === key).length;
      nav.append(el('button', {
        type: 'button', class: 'chip', 'data-filter': key, 'aria-pressed': String(state.filter === key),
        onclick: () => { state.filter = key; render(); },
      }, `${zh} ${en}`, el('b', { text: String(n) })));
    }
  }

  function render() {
    renderFilters();
    const list = $('list');
    const shown = [...state.orders.values()]
      .filter((o) => state.filter === 'all' || o.status === state.filter)
      .sort((a, b) => (a.deadline ? Date.parse(a.deadline.at) : Infinity) - (b.deadline ? Date.parse(b.deadline.at) : Infinity) || b.number - a.number);
    const keep = new Set(shown.map((o) => o.id));
    for (const [id, card] of state.cards) if (!keep.has(id)) { card.remove(); state.cards.delete(id); }
    for (const o of shown) {
      let card = state.cards.get(o.id);
      if (!card || card.dataset.version !== String(o.version) || card.dataset.late !== String(isLate(o)) || card.dataset.queued !== String(state.queued.has(o.id))) {
        const next = renderCard(o);
        if (card) card.replaceWith(next);
        card = next;
        state.cards.set(o.id, card);
      }
      list.append(card);
    }
    $('empty').hidden = shown.length > 0;
  }

  const isLate = (o) => !!o.deadline && Date.parse(o.deadline.at) < Date.now();

  // The picture: a short-lived link the router issues for this user and this order (each view is
  // audited); asked for when the card is drawn, so it is fresh when the image loads.
  function evidenceBox(o, ev) {
    const note = (text) => el('span', { class: 'noimg', text });
    const box = el('div', { class: 'evidence' },
      note(!ev ? '无图片 No picture' : ev.stored ? '加载中 Loading…' : '图片留在前端设备 Picture stayed on the edge box'),
      ev && ev.cameraId ? el('span', { class: 'cam', text: ev.cameraId }) : null);
    if (!ev || !ev.stored) return box;
    api('POST', `/api/work-orders/${encodeURIComponent(o.id)}/evidence/${ev.index}/link?channel=console`).then((r) => {
      const img = el('img', { src: r.url, alt: '证据图片 evidence', onerror: (e) => e.currentTarget.closest('a').replaceWith(note('图片无法加载 Picture unavailable')) });
      box.firstChild.replaceWith(el('a', { href: r.url, target: '_blank', rel: 'noopener noreferrer' }, img));
    }).catch((err) => box.firstChild.replaceWith(note(err.code === 'SW_ROUTER_EVIDENCE_PENDING' ? '图片上传中 Picture on its way' : '图片无法加载 Picture unavailable')));
    return box;
  }

  function renderCard(o) {
    const ev = o.evidence[0];
    const site = o.site;
    const place = [
      site.zoneId && `区域 Zone ${site.zoneId}`,
      site.cameraIds.length && `摄像头 Camera ${site.cameraIds.join(', ')}`,
      site.gridId && `网格 Grid ${site.gridId}`,
      site.communityId && `社区 ${site.communityId}`,
      site.shopId && `商户 Shop ${site.shopId}`,
    ].filter(Boolean).join(' · ');
    const facts = el('dl', { class: 'facts' },
      el('dt', { text: '地点 Place' }), el('dd', { text: place }),
      el('dt', { text: '发生 Time' }), el('dd', { text: `${time(o.eventTime)} · 派遣 ${time(o.dispatchedAt)}` }),
    );
    if (o.deadline) {
      facts.append(el('dt', { text: bi(L.step[o.deadline.step], o.deadline.step) }),
        el('dd', { class: isLate(o) ? 'late' : '', text: `${time(o.deadline.at)}${isLate(o) ? ' · 已超时 overdue' : ''}` }));
    }
    if (site.location) facts.append(el('dt', { text: '位置 Map' }), el('dd', {}, mapOf(site.location)));
    if (o.clearedAt) facts.append(el('dt', { text: '核查依据' }), el('dd', { class: 'cleared', text: `现场已消除 cleared at ${time(o.clearedAt)}` }));
    if (o.feedback) facts.append(el('dt', { text: '处置反馈' }), el('dd', { text: o.feedback }));
    if (o.returnReason) facts.append(el('dt', { text: '退单原因' }), el('dd', { text: o.returnReason }));

    const waiting = state.queued.get(o.id);
    const buttons = (o.actions || []).map((a) => el('button', {
      type: 'button', class: `btn ${['sign', 'handle', 'verify', 'close'].includes(a) ? 'primary' : ['return', 'mark_false_positive', 'reject'].includes(a) ? 'danger' : ''}`,
      'data-action': a, disabled: !!waiting, onclick: (e) => act(o, a, e.currentTarget),
    }, bi(L.action[a], a)));
    buttons.push(el('button', { type: 'button', class: 'btn', 'data-action': 'details', onclick: (e) => details(o, e.currentTarget) }, '详情 Details'));
    if (window.SwLive) buttons.push(window.SwLive.slot(o)); // live camera view (live.js)

    const fresh = state.fresh.has(o.id);
    if (fresh) setTimeout(() => { state.fresh.delete(o.id); const c = state.cards.get(o.id); if (c) c.classList.remove('fresh'); }, 4000);
    return el('article', {
      class: `card wo${fresh ? ' fresh' : ''}${isLate(o) ? ' overdue' : ''}${waiting ? ' queued' : ''}`, 'data-id': o.id, 'data-status': o.status,
      'data-version': String(o.version), 'data-late': String(isLate(o)), 'data-queued': String(!!waiting),
    },
    evidenceBox(o, ev),
    el('div', { class: 'body' },
      el('div', { class: 'row1' },
        el('span', { class: 'type' }, L.type[o.type] ? L.type[o.type][0] : o.type, el('small', { text: L.type[o.type] ? L.type[o.type][1] : '' })),
        el('span', { class: `pill s-${o.status}`, text: bi(L.status[o.status], o.status) }),
        o.severity !== 'info' ? el('span', { class: `pill sev-${o.severity}`, text: bi(L.severity[o.severity], o.severity) }) : null,
        o.escalationLevel > 0 ? el('span', { class: 'pill esc', text: `已升级 L${o.escalationLevel}` }) : null,
        el('span', { class: 'num', text: `${state.me.role === 'supervisor' ? `${o.departmentId} · ` : ''}WO-${String(o.number).padStart(6, '0')}` })),
      el('div', { class: 'title', text: o.title, title: o.title }),
      facts,
      waiting ? el('div', { class: 'queue-note', text: `待发送 ${bi(L.action[waiting.action], waiting.action)} · queued, sent when online` }) : null,
      el('div', { class: 'actions' }, buttons)));
  }

  function mapOf(loc) {
    const text = `${loc.lat.toFixed(5)}, ${loc.lon.toFixed(5)}`;
    const link = el('a', { href: `geo:${loc.lat},${loc.lon}`, text });
    const m = state.me.console.map;
    if (!m) return link;
    const w = 96, h = 60;
    const x = ((loc.lon - m.minLon) / (m.maxLon - m.minLon)) * w;
    const y = h - ((loc.lat - m.minLat) / (m.maxLat - m.minLat)) * h;
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('width', String(w)); svg.setAttribute('height', String(h)); svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    for (let i = 1; i < 4; i++) {
      for (const [x1, y1, x2, y2] of [[(w * i) / 4, 0, (w * i) / 4, h], [0, (h * i) / 4, w, (h * i) / 4]]) {
        const l = document.createElementNS(ns, 'line');
        l.setAttribute('x1', x1); l.setAttribute('y1', y1); l.setAttribute('x2', x2); l.setAttribute('y2', y2); l.setAttribute('stroke', '#c9d6c3');
        svg.append(l);
      }
    }
    const pin = document.createElementNS(ns, 'path');
    pin.setAttribute('d', `M${x} ${y} l-5 -9 a6 6 0 1 1 10 0 z`);
    pin.setAttribute('fill', '#c0392b');
    svg.append(pin);
    return el('span', { class: 'map' }, svg, link);
  }

  async function details(o, button) {
    const card = button.closest('.wo');
    const old = card.querySelector('.history');
    if (old) { old.remove(); return; }
    try {
      const d = await api('GET', `/api/work-orders/${encodeURIComponent(o.id)}`);
      const list = el('ol', { class: 'history' }, d.history.map((h) => el('li', {
        text: `${time(h.at)} ${h.action} → ${bi(L.status[h.toStatus], h.toStatus)} · ${h.actor.id}${h.note ? ` · ${h.note}` : ''}`,
      })));
      if (d.photos.length) {
        const box = el('div', { class: 'photos' });
        for (const p of d.photos) {
          const res = await fetch(p.url, { headers: { authorization: `Bearer ${state.token}` } });
          if (res.ok) box.append(el('img', { src: URL.createObjectURL(await res.blob()), alt: '现场照片 photo' }));
        }
        list.append(el('li', {}, box));
      }
      card.querySelector('.body').append(list);
    } catch (e) { toast(errText(e), true); }
  }

  // ---- actions -----------------------------------------------------------------------------
  function dialog(title, fields) {
    return new Promise((resolve) => {
      const d = $('dialog');
      $('dialog-title').textContent = title;
      $('dialog-error').textContent = '';
      const box = $('dialog-fields');
      box.replaceChildren();
      const inputs = {};
      const picked = {};
      for (const f of fields) {
        let input;
        if (f.type === 'textarea') input = el('textarea', { name: f.name, required: f.required, maxlength: 2000 });
        else if (f.type === 'file') {
          // On a phone `capture` opens the rear camera; each shot is added to the list.
          input = el('input', { name: f.name, type: 'file', accept: 'image/*', capture: 'environment', class: 'visually-hidden' });
          const list = [];
          picked[f.name] = list;
          const previews = el('div', { class: 'previews', 'data-previews': f.name });
          input.addEventListener('change', () => {
            for (const file of input.files) {
              list.push(file);
              previews.append(el('img', { src: URL.createObjectURL(file), alt: file.name }));
            }
            input.value = '';
          });
          box.append(el('div', { class: 'photo-pick' },
            el('span', { class: 'muted', text: f.label }),
            el('label', { class: 'btn', for: `f-${f.name}`, text: '拍照 / 选择照片 Take or pick a photo' }), input, previews));
          input.id = `f-${f.name}`;
          inputs[f.name] = input;
          continue;
        } else if (f.type === 'select') input = el('select', { name: f.name, required: f.required }, f.options.map(([v, t]) => el('option', { value: v, text: t })));
        else input = el('input', { name: f.name, type: 'text', required: f.required, maxlength: 200 });
        inputs[f.name] = input;
        box.append(el('label', { for: `f-${f.name}`, text: f.label }), input);
        input.id = `f-${f.name}`;
      }
      const done = (v) => { d.close(); $('dialog-form').onsubmit = null; $('dialog-cancel').onclick = null; resolve(v); };
      $('dialog-cancel').onclick = () => done(null);
      $('dialog-form').onsubmit = async (e) => {
        e.preventDefault();
        const out = {};
        for (const f of fields) {
          const i = inputs[f.name];
          out[f.name] = f.type === 'file' ? picked[f.name] : i.value.trim();
          if (f.required && !out[f.name]) { $('dialog-error').textContent = `请填写 ${f.label}`; return; }
        }
        const ok = $('dialog-ok');
        ok.disabled = true;
        try {
          for (const f of fields) if (f.type === 'file') out[f.name] = await preparePhotos(out[f.name]);
        } catch (err) {
          $('dialog-error').textContent = err.message;
          return;
        } finally {
          ok.disabled = false;
        }
        done(out);
      };
      d.showModal();
      const first = box.querySelector('textarea, select, input:not([type=file])');
      if (first) first.focus();
    });
  }

  // ---- photos: a phone's camera makes 3-12 MB pictures; shrink those over the router's limit ----
  async function preparePhotos(files) {
    const lim = state.me.console.uploads || { maxFileBytes: 5 * 1024 * 1024, maxFiles: 4, allowedTypes: ['image/jpeg', 'image/png'] };
    if (files.length > lim.maxFiles) throw new Error(`最多 ${lim.maxFiles} 张照片 · At most ${lim.maxFiles} photos`);
    const out = [];
    for (const f of files) {
      if (lim.allowedTypes.includes(f.type) && f.size <= lim.maxFileBytes) out.push(f);
      else out.push(await shrink(f, lim.maxFileBytes));
    }
    return out;
  }

  async function shrink(file, maxBytes) {
    let bmp;
    try {
      bmp = await createImageBitmap(file);
    } catch {
      throw new Error(`无法读取照片 ${file.name}（请用 JPEG/PNG）· Cannot read ${file.name}: not a picture this phone can convert (use JPEG/PNG)`);
    }
    let scale = Math.min(1, 2048 / Math.max(bmp.width, bmp.height));
    let quality = 0.85;
    for (let i = 0; i < 6; i++) {
      const c = document.createElement('canvas');
      c.width = Math.max(1, Math.round(bmp.width * scale));
      c.height = Math.max(1, Math.round(bmp.height * scale));
      c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
      const blob = await new Promise((r) => c.toBlob(r, 'image/jpeg', quality));
      if (blob && blob.size <= maxBytes) return new File([blob], file.name.replace(/\.[^.]*$/, '') + '.jpg', { type: 'image/jpeg' });
      scale *= 0.7;
      quality = Math.max(0.6, quality - 0.1);
    }
    throw new Error(`照片过大 ${file.name} · Photo too large even when reduced`);
  }

  // ---- sending, and the offline queue ---------------------------------------------------------
  const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join(''));

  /** One action as a request: the same key every time it is sent, so the router applies it once. */
  async function send(item) {
    const headers = { authorization: `Bearer ${state.token}`, 'idempotency-key': item.key };
    let body;
    if (item.form) {
      body = new FormData();
      body.append('feedback', item.form.feedback);
      for (const f of item.form.files) body.append('photo', f.blob, f.name);
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(item.json);
    }
    const res = await netFetch(item.path, { method: 'POST', headers, body });
    const data = (res.headers.get('content-type') || '').includes('json') ? await res.json() : null;
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || res.statusText);
      err.code = data && data.error && data.error.code;
      err.status = res.status;
      throw err;
    }
    return data;
  }

  /** Errors worth sending again later: no network, router busy or down. */
  const transient = (e) => e.network || e.status === 429 || e.status >= 500;

  async function refreshQueued() {
    state.queued.clear();
    let items = [];
    try { items = window.SwQueue ? await window.SwQueue.all() : []; } catch { /* no IndexedDB: nothing queued */ }
    for (const i of items) if (state.me && i.userId === state.me.id) state.queued.set(i.woId, i);
    const badge = $('queued');
    badge.hidden = state.queued.size === 0;
    badge.textContent = `待发送 ${state.queued.size} queued`;
    if (state.me) render();
  }

  async function enqueue(item) {
    await window.SwQueue.add(item);
    await refreshQueued();
    toast('已离线保存，联网后自动发送 · Saved on the phone; sent when back online');
    // Online but no answer (the connection dropped): try again soon, not only at the next event.
    if (navigator.onLine !== false) setTimeout(flush, 2000);
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.ready.then((r) => r.sync && r.sync.register('sw-outbox')).catch(() => {});
    }
  }

  /** Send the queue, oldest first; stop at the first transient failure (the rest waits too). */
  async function flush() {
    if (state.flushing || !state.me || !window.SwQueue) return;
    state.flushing = true;
    try {
      const items = await window.SwQueue.all();
      for (const item of items) {
        if (item.userId !== state.me.id) continue;
        try {
          const d = await send(item);
          await window.SwQueue.remove(item.key);
          applyOrder(d, false);
          toast(`已发送 Sent: ${bi(L.action[item.action], item.action)} ✓ WO-${String(d.number).padStart(6, '0')}`);
        } catch (e) {
          if (transient(e) || e.status === 401) break;
          await window.SwQueue.remove(item.key); // refused for good (e.g. the order changed meanwhile): say so
          toast(`${bi(L.action[item.action], item.action)}: ${errText(e)}`, true);
        }
      }
    } catch { /* IndexedDB unavailable */ } finally {
      state.flushing = false;
      await refreshQueued();
    }
  }

  async function act(o, action, button) {
    const id = encodeURIComponent(o.id);
    let path = action;
    let body = {};
    let v;
    switch (action) {
      case 'verify': path = 'verify'; body = { result: 'pass' }; break;
      case 'reject':
        v = await dialog('核查不通过 Reject verification', [{ name: 'note', label: '原因 Reason', type: 'textarea', required: true }]);
        if (!v) return;
        path = 'verify'; body = { result: 'reject', note: v.note }; break;
      case 'handle':
      case 'feedback':
        v = await dialog(action === 'handle' ? '处置 Handle' : '反馈 Feedback', [
          { name: 'feedback', label: '处置情况 What was done', type: 'textarea', required: true },
          { name: 'photo', label: '现场照片 Photos of the scene', type: 'file' },
        ]);
        if (!v) return;
        body = { form: { feedback: v.feedback, files: v.photo.map((f) => ({ name: f.name, type: f.type, blob: f })) } };
        break;
      case 'return':
        v = await dialog('退单 Return to dispatcher', [{ name: 'reason', label: '退单原因 Reason (required)', type: 'textarea', required: true }]);
        if (!v) return;
        body = { reason: v.reason }; break;
      case 'mark_false_positive':
      case 'mark_duplicate':
        v = await dialog(action === 'mark_duplicate' ? '标记重复 Mark duplicate' : '标记误报 Mark false positive', [
          ...(action === 'mark_duplicate' ? [{ name: 'duplicateOf', label: '重复于告警 Duplicate of alert (optional)', type: 'text' }] : []),
          { name: 'note', label: '说明 Note (optional)', type: 'textarea' },
        ]);
        if (!v) return;
        path = 'mark';
        body = { kind: action === 'mark_duplicate' ? 'duplicate' : 'false_positive', ...(v.note ? { note: v.note } : {}), ...(v.duplicateOf ? { duplicateOf: v.duplicateOf } : {}) };
        break;
      case 'redispatch':
        v = await dialog('重新派遣 Re-dispatch', [
          { name: 'departmentId', label: '科室 Department', type: 'select', required: true, options: state.me.departments.map((d) => [d.id, d.name]) },
          { name: 'note', label: '说明 Note (optional)', type: 'textarea' },
        ]);
        if (!v) return;
        body = { departmentId: v.departmentId, ...(v.note ? { note: v.note } : {}) }; break;
      default: break;
    }
    const item = {
      key: newKey(), userId: state.me.id, woId: o.id, action, path: `/api/work-orders/${id}/${path}`, at: Date.now(),
      ...(body.form ? { form: body.form } : { json: body }),
    };
    button.disabled = true;
    try {
      const d = await send(item);
      applyOrder(d, false);
      toast(`${bi(L.action[action], action)} ✓ WO-${String(d.number).padStart(6, '0')}`);
    } catch (e) {
      // No answer (offline, or the connection dropped after sending): keep it and send it again
      // with the same key; the router applies it once either way.
      if (transient(e) && window.SwQueue) {
        try { await enqueue(item); return; } catch { /* no IndexedDB: report the failure below */ }
      }
      toast(errText(e), true);
      button.disabled = false;
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
