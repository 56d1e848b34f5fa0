// Department console, shared core: labels, the page's state, the API client, toasts and times.
// Plain JS, no build step; loaded after dom.js and before board.js, dialog.js, actions.js and
// app.js, which read it as window.SwConsole.
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


  async function api(method, path, body) {
    const headers = { authorization: `Bearer ${state.token}` };
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) { headers['content-type'] = 'application/json'; payload = JSON.stringify(body); }
    return answer(await netFetch(path, { method, headers, body: payload }));
  }

  /** A response's JSON body, or the router's error (message, code, status) thrown. */
  async function answer(res) {
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
  /** Times are shown in the console's zone (from /api/me), set once at start. */
  function setTimeZone(timeZone) {
    fmt = new Intl.DateTimeFormat('zh-CN', {
      timeZone, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
    });
  }

  window.SwConsole = { L, FILTERS, $, bi, state, api, answer, netFetch, toast, errText, time, setTimeZone };
})();
