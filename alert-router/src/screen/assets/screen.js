// The overview screen (城市眼): plain JS, no build step. Reads /api/screen/stream (SSE through
// fetch: EventSource cannot send the Authorization header) and draws every figure with
// textContent only. Numbers are computed by the router (src/screen/figures.ts), never here.
'use strict';
(() => {
  const TYPE = {
    illegal_parking: ['违停', 'Illegal parking'],
    street_vendor: ['游商经营', 'Street vendor'],
    shopfront_spillover: ['出店经营', 'Shopfront spillover'],
    dumping: ['垃圾乱堆', 'Dumped waste'],
    shop_red: ['红色商户', 'Red-rated shop'],
  };
  const FLOW = { person: ['行人', 'People'], vehicle: ['车辆', 'Vehicles'], bicycle: ['非机动车', 'Bicycles'] };
  const SEVERITY = { info: ['一般', 'Info'], warning: ['较重', 'Warning'], critical: ['紧急', 'Critical'] };
  const $ = (id) => document.getElementById(id);
  const state = { token: null, retryMs: 1000, seen: null, snap: null, fmtDate: null, fmtTime: null, fmtShort: null, tz: null };

  const { el, readEventBlocks } = window.SwDom; // dom.js
  const typeName = (t) => (TYPE[t] ? TYPE[t] : [t, '']);
  const gridName = (g) => (g === null ? '未分网格' : g);
  const pct = (x) => (x === null ? '—' : `${Math.round(x * 100)}%`);
  function duration(s) {
    if (s === null) return '—';
    const m = Math.round(s / 60);
    if (m < 60) return `${m} 分钟`;
    return `${Math.floor(m / 60)} 小时 ${String(m % 60).padStart(2, '0')} 分`;
  }

  // ---- drawing ------------------------------------------------------------------------------
  function kpi(name, value, ...sub) {
    const k = document.querySelector(`[data-kpi="${name}"]`);
    k.querySelector('.value').textContent = value;
    k.querySelector('.sub').replaceChildren(...sub);
  }

  function draw(s) {
    state.snap = s;
    if (state.tz !== s.timeZone) {
      state.tz = s.timeZone;
      state.fmtDate = new Intl.DateTimeFormat('zh-CN', { timeZone: s.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short' });
      state.fmtTime = new Intl.DateTimeFormat('zh-CN', { timeZone: s.timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
      state.fmtShort = new Intl.DateTimeFormat('zh-CN', { timeZone: s.timeZone, hour: '2-digit', minute: '2-digit', hour12: false });
    }
    $('title').textContent = s.title;
    drawClock(s.asOf);
    const c = s.cameras.totals;
    const cams = c.online + c.offline + c.tampered + c.unknown;
    const silent = s.cameras.silent ?? 0;
    kpi('cameras', `${c.online}/${cams}`,
      el('span', { class: 'offline', text: `离线 ${c.offline}${silent ? `（无报告 ${silent}）` : ''}` }), ' · ', el('span', { class: 'tampered', text: `遮挡 ${c.tampered}` }),
      c.unknown ? ` · 未知 ${c.unknown}` : '');
    const v = s.violations;
    const top = v.byType[0];
    kpi('violations', String(v.total), top ? `最多 ${typeName(top.type)[0]} ${top.count}` : '暂无 none yet');
    const t = s.workOrders.total;
    kpi('open', String(t.open), `今日派遣 ${t.dispatchedToday} · 退单待派 ${t.returned}`);
    kpi('overdue', String(t.overdue), t.open ? `占在办 ${Math.round((t.overdue / t.open) * 100)}% of open` : '');
    kpi('closure', pct(t.closureRate), `${t.closedOfToday} / ${t.dispatchedToday} 已结案 closed`);
    kpi('median', t.medianCloseSeconds === null ? '—' : String(Math.round(t.medianCloseSeconds / 60)), `分钟 min · 今日结案 ${t.closedToday} 件 closed today`);

    drawGrids(s.cameras.grids);
    drawFlows(s.flows, s.asOf);
    drawHours(v.byHour, s.asOf);
    drawBars($('types'), v.byType.map((x) => ({ key: x.type, zh: typeName(x.type)[0], en: typeName(x.type)[1], n: x.count, attr: { 'data-type': x.type } })));
    drawBars($('gridbars'), v.byGrid.map((x) => ({ key: gridName(x.gridId), zh: gridName(x.gridId), en: '', n: x.count, attr: { 'data-grid': x.gridId === null ? '' : x.gridId } })));
    drawDepts(s);
    drawShops(s.shops);
    drawTicker(s.alerts);
  }

  function drawClock(asOf) {
    const d = new Date(asOf);
    $('date').textContent = state.fmtDate.format(d);
    $('time').textContent = state.fmtTime.format(d);
  }

  function drawGrids(grids) {
    const box = $('grids');
    if (!grids.length) return box.replaceChildren(el('p', { class: 'empty', text: '暂无摄像头数据 · No camera reports yet' }));
    box.replaceChildren(...grids.map((g) => {
      const on = g.cameras.filter((x) => x.state === 'online').length;
      return el('div', { class: 'grid', 'data-grid': g.gridId === null ? '' : g.gridId },
        el('div', { class: 'name' }, gridName(g.gridId), el('span', { class: 'count', text: `${on}/${g.cameras.length} 在线` })),
        el('div', { class: 'cams' }, g.cameras.map((x) => {
          // a camera nobody heard from shows as offline, with since when (the router's time zone)
          const hhmm = x.silentSince ? state.fmtShort.format(new Date(x.silentSince)) : null;
          const silent = hhmm ? `${hhmm} 起无报告 · no report since ${hhmm}` : null;
          return el('span', {
            class: 'cam', 'data-camera': x.cameraId, 'data-state': x.state, ...(silent && { 'data-silent-since': x.silentSince }),
            title: silent ?? `${x.state}${x.reason ? ` · ${x.reason}` : ''}${x.since ? ` · ${x.since}` : ''}`,
          }, x.cameraId, silent ? el('span', { class: 'silent', text: silent }) : '');
        })));
    }));
  }

  function drawHours(byHour, asOf) {
    const nowHour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: state.tz, hour: '2-digit', hour12: false }).format(new Date(asOf))) % 24;
    const max = Math.max(1, ...byHour);
    $('hours').replaceChildren(...byHour.map((n, h) => el('div', { class: `hour${h > nowHour ? ' future' : ''}`, 'data-hour': h, 'data-n': n },
      el('span', { class: 'n', text: n ? String(n) : '', style: { bottom: `calc(${(n / max) * 100}% + 2px)` } }),
      el('div', { class: 'bar', style: { height: `${(n / max) * 100}%` } }),
      el('span', { class: 'h', text: h % 3 === 0 ? String(h) : '' }))));
  }

  // People and vehicles crossing count lines: today's totals per class (in / out), and per local
  // hour one stacked bar of the classes (both directions).
  function drawFlows(f, asOf) {
    const flowName = (c) => (FLOW[c] ? FLOW[c] : [c, '']);
    if (!f.byClass.length) {
      $('flowclasses').replaceChildren(el('p', { class: 'empty', text: '暂无计数线数据 · No count lines reporting today' }));
      $('flowhours').replaceChildren();
      return;
    }
    $('flowclasses').replaceChildren(...f.byClass.map((c) => el('div', { class: 'fclass', 'data-flow-class': c.objectClass },
      el('span', { class: 'k' }, flowName(c.objectClass)[0], el('em', { text: flowName(c.objectClass)[1] })),
      el('span', { class: 'in', title: '进 in', text: String(c.in) }),
      el('span', { class: 'out', title: '出 out', text: String(c.out) }))));
    const nowHour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: state.tz, hour: '2-digit', hour12: false }).format(new Date(asOf))) % 24;
    const totals = Array.from({ length: 24 }, (_, h) => f.byHour.reduce((n, c) => n + (c.hours[h] || 0), 0));
    const max = Math.max(1, ...totals);
    $('flowhours').replaceChildren(...totals.map((n, h) => el('div', { class: `fhour${h > nowHour ? ' future' : ''}`, 'data-hour': h, 'data-n': n, title: `${h}:00 ${n}` },
      el('div', { class: 'stack', style: { height: `${(n / max) * 100}%` } },
        f.byHour.map((c) => (c.hours[h] ? el('div', { class: 'seg', 'data-flow-class': c.objectClass, style: { height: `${(c.hours[h] / n) * 100}%` } }) : null))),
      el('span', { class: 'h', text: h % 6 === 0 ? String(h) : '' }))));
  }

  function drawBars(box, rows) {
    if (!rows.length) return box.replaceChildren(el('p', { class: 'empty', text: '暂无 · none yet' }));
    const max = Math.max(1, ...rows.map((r) => r.n));
    box.replaceChildren(...rows.slice(0, 8).map((r) => el('div', { class: 'brow', ...r.attr },
      el('span', { class: 'k', title: r.key }, r.zh, r.en ? el('em', { text: r.en }) : null),
      el('div', { class: 'track' }, el('div', { class: 'fill', style: { width: `${(r.n / max) * 100}%` } })),
      el('span', { class: 'n', text: String(r.n) }))));
  }

  function drawDepts(s) {
    const names = new Map(s.departments.map((d) => [d.id, d.name]));
    const row = (d, total) => el('tr', { 'data-dept': total ? 'total' : d.departmentId, class: total ? 'total' : '' },
      el('td', { text: total ? '合计 Total' : names.get(d.departmentId) || d.departmentId }),
      el('td', { 'data-col': 'open', text: String(d.open) }),
      el('td', { 'data-col': 'overdue', class: d.overdue ? 'hot' : '', text: String(d.overdue) }),
      el('td', { 'data-col': 'closure', text: pct(d.closureRate) }),
      el('td', { 'data-col': 'median', text: d.medianCloseSeconds === null ? '—' : duration(d.medianCloseSeconds) }));
    $('depts').replaceChildren(...s.workOrders.departments.map((d) => row(d, false)), row(s.workOrders.total, true));
  }

  function drawShops(shops) {
    const box = $('shops');
    if (!shops.length) return box.replaceChildren(el('li', { class: 'empty', text: '暂无红黄商户 · No shops in red or yellow' }));
    box.replaceChildren(...shops.map((x) => el('li', { class: 'shop', 'data-shop': x.shopId, 'data-colour': x.colour },
      el('span', {}, x.shopId, el('em', { text: x.colour === 'red' ? '红 red' : '黄 yellow' })),
      el('span', { class: 'score', text: String(Math.round(x.score * 10) / 10) }))));
  }

  function drawTicker(alerts) {
    const first = state.seen === null;
    const seen = state.seen || new Set();
    $('ticker').replaceChildren(...(alerts.length ? alerts.map((a) => {
      const where = [a.gridId && `网格 ${a.gridId}`, a.zoneId && `区域 ${a.zoneId}`, a.shopId && `商户 ${a.shopId}`, a.cameraIds.join(',')].filter(Boolean).join(' · ');
      return el('li', { class: `alert${!first && !seen.has(a.alertId) ? ' new' : ''}`, 'data-alert': a.alertId, 'data-severity': a.severity },
        el('span', { class: 't', text: state.fmtShort.format(new Date(a.eventTime)) }),
        el('span', { class: 'ty', text: `${typeName(a.type)[0]} ${SEVERITY[a.severity] ? SEVERITY[a.severity][0] : ''}` }),
        el('span', { class: 'where', text: where || a.title, title: a.title }));
    }) : [el('li', { class: 'empty', text: '24 小时内无告警 · No alerts in the last 24 h' })]));
    state.seen = new Set(alerts.map((a) => a.alertId));
  }

  // ---- live stream --------------------------------------------------------------------------
  function setLive(s) {
    $('live').dataset.state = s;
    $('live-text').textContent = s === 'on' ? '实时 Live' : s === 'retry' ? '重连中 Reconnecting' : '连接中 Connecting';
  }

  async function connect() {
    try {
      const res = await fetch('/api/screen/stream', { headers: { authorization: `Bearer ${state.token}`, accept: 'text/event-stream' }, cache: 'no-store' });
      if (res.status === 401 || res.status === 403) {
        const body = await res.json().catch(() => null);
        return showLogin(res.status === 403 ? '此令牌无权查看大屏 · This token may not open the screen' : '令牌无效 · Token not valid', body);
      }
      if (!res.ok || !res.body) throw new Error(`stream ${res.status}`);
      $('login-view').hidden = true;
      $('screen').hidden = false;
      setLive('on');
      state.retryMs = 1000;
      await readEventBlocks(res.body, onBlock);
    } catch { /* reconnect below */ }
    setLive('retry');
    setTimeout(connect, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, 15000);
  }

  function onBlock(block) {
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (!data.length) return;
    const msg = JSON.parse(data.join('\n'));
    if (event === 'snapshot') draw(msg);
    else if (event === 'asof' && state.snap) drawClock(msg.asOf);
  }

  function showLogin(message) {
    sessionStorage.removeItem('sw-screen-token');
    state.token = null;
    $('screen').hidden = true;
    $('login-view').hidden = false;
    $('login-error').textContent = message;
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      $('login-error').textContent = '';
      state.token = $('token').value.trim();
      sessionStorage.setItem('sw-screen-token', state.token);
      connect();
    });
    const saved = sessionStorage.getItem('sw-screen-token');
    if (saved) { state.token = saved; connect(); }
  });
})();
