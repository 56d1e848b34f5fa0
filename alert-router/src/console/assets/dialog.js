// Department console, the action dialog: its fields, and the photos a phone takes (shrunk to the
// router's limit). Plain JS, no build step; reads window.SwConsole (core.js) and adds dialog.
'use strict';
(() => {
  const C = window.SwConsole; // core.js
  const { $, state } = C;
  const { el } = window.SwDom; // dom.js

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

  Object.assign(C, { dialog });
})();
