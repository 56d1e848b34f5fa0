// Live camera view of the department console: plain JS, no build step. app.js calls
// SwLive.init() after sign-in and puts SwLive.slot(order) on each work-order card; this file adds
// the Live buttons (on cards whose camera the user may watch, and in a camera list in the header)
// and the player: a one-time ticket from /api/live/cameras/<id>/ticket, sent as the first message
// of the camera's WebSocket (never in its URL: access logs keep URLs), opens the stream, and JSMpeg (the npm package, served by the router) decodes the
// MPEG-1 stream onto a canvas. The box streams only while someone watches.
'use strict';
(() => {
  const REFUSED = {
    SW_ROUTER_LIVE_TICKET_INVALID: '票据无效 · Ticket not valid',
    SW_ROUTER_LIVE_TICKET_CAMERA: '票据不属于此摄像头 · Ticket is for another camera',
    SW_ROUTER_LIVE_TICKET_EXPIRED: '票据已过期 · Ticket expired',
    SW_ROUTER_LIVE_TICKET_USED: '票据已使用 · Ticket already used',
    SW_ROUTER_LIVE_CAMERA_NOT_FOUND: '无权查看此摄像头 · Not a camera you may watch',
    SW_ROUTER_LIVE_VIEWERS_LIMIT: '观看人数已满 · Too many viewers on this camera',
    SW_ROUTER_LIVE_BOX_LIMIT: '前端设备实况路数已满 · The edge box streams its maximum already',
    SW_ROUTER_LIVE_GATEWAY_OFFLINE: '前端设备离线 · The camera’s edge box is offline',
    SW_ROUTER_LIVE_STREAM_FAILED: '摄像头无法取流 · The box cannot stream this camera',
    SW_ROUTER_LIVE_DISABLED: '未启用实况 · Live view not configured',
  };
  const $ = (id) => document.getElementById(id);
  const live = { ctx: null, cameras: new Map(), ready: false, player: null, source: null };

  const { el } = window.SwDom; // dom.js, loaded before this file

  async function api(method, path) {
    const res = await fetch(path, { method, headers: { authorization: `Bearer ${live.ctx.token}` } });
    const data = (res.headers.get('content-type') || '').includes('json') ? await res.json() : null;
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || res.statusText);
      err.code = data && data.error && data.error.code;
      throw err;
    }
    return data;
  }

  /**
   * JSMpeg's source interface over our WebSocket (its own WSSource hides the close code, and
   * reconnects with the same URL: our tickets open once).
   */
  class TicketSource {
    constructor(url, options) {
      this.url = url;
      this.ticket = options.ticket;
      this.onClosed = options.onClosed;
      this.onFirstData = options.onFirstData;
      this.destination = null;
      this.socket = null;
      this.streaming = true;
      this.established = false;
      this.completed = false;
      this.progress = 0;
    }
    connect(destination) { this.destination = destination; }
    start() {
      this.socket = new WebSocket(this.url);
      this.socket.binaryType = 'arraybuffer';
      this.socket.onopen = () => {
        this.progress = 1;
        this.socket.send(this.ticket); // the credential: first message, within live.ticketWait
      };
      this.socket.onmessage = (ev) => {
        if (!this.established) { this.established = true; if (this.onFirstData) this.onFirstData(); }
        if (this.destination) this.destination.write(ev.data);
      };
      this.socket.onclose = (ev) => { if (this.onClosed) this.onClosed(ev.code, ev.reason); };
    }
    resume() {}
    destroy() {
      this.onClosed = null;
      if (this.socket) this.socket.close(1000, 'viewer closed');
    }
  }

  function dialog() {
    let d = $('live-dialog');
    if (d) return d;
    d = el('dialog', { id: 'live-dialog', class: 'live-dialog' },
      el('div', { class: 'live-head' },
        el('h2', { id: 'live-title' }),
        el('button', { type: 'button', class: 'btn', id: 'live-close', onclick: () => closePlayer() }, '关闭 Close')),
      el('canvas', { id: 'live-canvas', width: '640', height: '360', 'data-frames': '0' }),
      el('p', { class: 'live-status', id: 'live-status', role: 'status' }),
      el('div', { class: 'live-list', id: 'live-list' }));
    d.addEventListener('close', () => closePlayer());
    document.body.append(d);
    return d;
  }

  function status(text, state, code) {
    const s = $('live-status');
    s.textContent = text;
    const d = $('live-dialog');
    d.dataset.state = state;
    if (code) d.dataset.code = code; else delete d.dataset.code;
  }

  function stopPlayer() {
    if (live.source) live.source.destroy();
    if (live.player) { try { live.player.destroy(); } catch { /* already gone */ } }
    live.player = null;
    live.source = null;
  }

  function closePlayer() {
    stopPlayer();
    const d = $('live-dialog');
    if (d && d.open) d.close();
  }

  async function open(cameraId) {
    const d = dialog();
    stopPlayer();
    $('live-list').replaceChildren();
    const cam = live.cameras.get(cameraId);
    $('live-title').textContent = `实况 Live · ${cam && cam.name ? `${cam.name} (${cameraId})` : cameraId}`;
    // A fresh canvas per opening (a WebGL context cannot be taken over by a 2D one and back).
    const old = $('live-canvas');
    const canvas = el('canvas', { id: 'live-canvas', width: '640', height: '360', 'data-frames': '0', 'data-camera': cameraId });
    old.replaceWith(canvas);
    if (!d.open) d.showModal();
    status('连接中 Connecting…', 'connecting');
    let t;
    try {
      t = await api('POST', `/api/live/cameras/${encodeURIComponent(cameraId)}/ticket`);
    } catch (e) {
      status(REFUSED[e.code] || e.message, 'refused', e.code);
      return;
    }
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${t.url}`;
    let frames = 0;
    live.player = new window.JSMpeg.Player(url, {
      canvas,
      audio: false,
      // The JS decoder: the console's CSP allows no WebAssembly compilation; 640 px at 10 fps is light.
      disableWebAssembly: true,
      preserveDrawingBuffer: true,
      pauseWhenHidden: false,
      videoBufferSize: 1024 * 1024,
      source: TicketSource,
      ticket: t.ticket,
      onFirstData: () => status('实时 Live', 'playing'),
      onClosed: (code, reason) => {
        if (code >= 4000) status(REFUSED[reason] || reason || `closed ${code}`, 'refused', reason);
        else status('连接已断开 · Disconnected', 'closed');
      },
      onVideoDecode: () => {
        frames++;
        canvas.dataset.frames = String(frames);
      },
    });
    live.source = live.player.source;
  }

  async function showList() {
    const d = dialog();
    stopPlayer();
    $('live-title').textContent = '实况摄像头 Live cameras';
    $('live-canvas').replaceWith(el('canvas', { id: 'live-canvas', width: '640', height: '360', 'data-frames': '0', hidden: true }));
    if (!d.open) d.showModal();
    status('加载中 Loading…', 'list');
    try { await refresh(); } catch (e) { status(REFUSED[e.code] || e.message, 'refused', e.code); return; }
    status(`${live.cameras.size} 个摄像头 cameras`, 'list');
    $('live-list').replaceChildren(...[...live.cameras.values()].map((c) => el('div', { class: 'live-row', 'data-camera': c.id },
      el('span', { class: `pill ${c.online ? 'live-on' : 'live-off'}`, text: c.online ? '在线 online' : '离线 offline' }),
      el('span', { class: 'live-name', text: c.name ? `${c.name} · ${c.id}` : c.id }),
      c.viewers ? el('span', { class: 'muted', text: `${c.viewers} 人在看 watching` }) : null,
      el('button', { type: 'button', class: 'btn primary', 'data-action': 'live', 'data-camera': c.id, disabled: !c.online, onclick: () => open(c.id) }, '实况 Live'))));
  }

  async function refresh() {
    const r = await api('GET', '/api/live/cameras');
    live.cameras = new Map(r.cameras.map((c) => [c.id, c]));
    live.ready = true;
    fillSlots(document);
  }

  function liveButton(cameraId) {
    return el('button', { type: 'button', class: 'btn', 'data-action': 'live', 'data-camera': cameraId, onclick: () => open(cameraId) }, `实况 Live ${cameraId}`);
  }

  function fillSlots(root) {
    for (const slot of root.querySelectorAll('.live-slot')) {
      const ids = (slot.dataset.cameras || '').split(',').filter((id) => live.cameras.has(id));
      slot.replaceChildren(...ids.map(liveButton));
    }
  }

  window.SwLive = {
    /** After sign-in: which cameras this user may watch; a header button for the list. */
    init(ctx) {
      live.ctx = ctx;
      refresh().then(() => {
        if (!live.cameras.size || $('live-cameras')) return;
        const who = $('who');
        who.insertBefore(el('button', { type: 'button', class: 'btn ghost', id: 'live-cameras', onclick: () => showList() }, '实况 Live'), who.querySelector('#logout'));
      }).catch(() => { /* no live view on this router, or not for this user: no buttons */ });
    },
    /** A card's place for its Live buttons (filled once the cameras are known). */
    slot(order) {
      const slot = el('span', { class: 'live-slot', 'data-cameras': ((order.site && order.site.cameraIds) || []).join(',') });
      if (live.ready) fillSlots({ querySelectorAll: () => [slot] });
      return slot;
    },
    open,
  };
})();
