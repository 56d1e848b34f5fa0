// Department console, the board: the open orders (kept from the stream) and their cards. Plain JS,
// no build step; reads window.SwConsole (core.js) and adds render, renderFilters and applyOrder.
'use strict';
(() => {
  const C = window.SwConsole; // core.js
  const { L, FILTERS, $, bi, state, api, toast, errText, time } = C;
  const { el } = window.SwDom; // dom.js
  const act = (o, action, button) => C.act(o, action, button); // actions.js, loaded after this file

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

  Object.assign(C, { render, renderFilters, applyOrder, saveOrders });
})();
