// Department console, actions: each sent once with its idempotency key, kept in the offline queue
// (queue.js) while the router cannot be reached. Plain JS, no build step; reads window.SwConsole
// (core.js, board.js, dialog.js) and adds act, flush and refreshQueued.
'use strict';
(() => {
  const C = window.SwConsole; // core.js
  const { L, $, bi, state, answer, netFetch, toast, errText, render, applyOrder, dialog } = C;

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
    return answer(await netFetch(item.path, { method: 'POST', headers, body }));
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

  Object.assign(C, { act, flush, refreshQueued });
})();
