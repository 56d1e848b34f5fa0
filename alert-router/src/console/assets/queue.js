// The console's offline queue: actions taken without network, kept in IndexedDB until they are
// sent. Each item carries the Idempotency-Key made when the action was taken, so sending it again
// (after a lost answer, a reload, a second tab) is applied by the router once. Plain JS, no build
// step; used by app.js (window.SwQueue). Tokens are never stored here: an item is sent with the
// token of the same user when they are signed in.
'use strict';
(() => {
  const DB = 'streetwatch-console';
  const STORE = 'outbox';
  let opening = null;

  function open() {
    if (opening) return opening;
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => {
        const s = req.result.createObjectStore(STORE, { keyPath: 'key' });
        s.createIndex('at', 'at');
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => { opening = null; reject(req.error); };
    });
    return opening;
  }

  async function run(mode, fn) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const out = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(out && 'result' in out ? out.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  window.SwQueue = {
    /** Keep an action (its key, user, order, path and body; photos as Blobs). */
    add: (item) => run('readwrite', (s) => s.put(item)),
    /** Every queued action, oldest first. */
    all: () => run('readonly', (s) => s.index('at').getAll()),
    remove: (key) => run('readwrite', (s) => s.delete(key)),
  };
})();
