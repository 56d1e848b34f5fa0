// Browser helpers shared by the department console (app.js) and the overview screen (screen.js): plain
// JS, no build step, served at /console/dom.js and /screen/dom.js and loaded by both pages before their own script.
// Text goes in with textContent only, never as HTML.
'use strict';
(() => {
  /**
   * `el('div', { class: 'card', text: 'x', onclick: fn, style: { '--w': '40%' } }, child, [more])`:
   * an element with attributes (false/null/undefined ones left out, true as a bare attribute),
   * event listeners for `on*` keys, CSSOM properties for `style` (allowed by the pages' CSP), and
   * children (nested arrays flattened; false/null/undefined skipped).
   */
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k === 'style') for (const [p, val] of Object.entries(v)) e.style.setProperty(p, val);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) e.append(k);
    return e;
  }

  /**
   * Read a text/event-stream body (the pages use fetch: EventSource cannot send Authorization)
   * until it ends, handing each event block (the lines between blank lines) to `onBlock`.
   */
  async function readEventBlocks(body, onBlock) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value.replace(/\r\n/g, '\n');
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        onBlock(buf.slice(0, i));
        buf = buf.slice(i + 2);
      }
    }
  }

  window.SwDom = { el, readEventBlocks };
})();
