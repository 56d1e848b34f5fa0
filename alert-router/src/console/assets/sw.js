// Service worker of the department console (scope /console). It keeps the page's own files so the
// installed app opens without network, and asks open pages to send their offline queue when the
// browser says the network is back (Background Sync, where the browser has it). It never touches
// /api: actions, the live stream and photos go to the router or into the page's queue.
'use strict';
const CACHE = 'streetwatch-console-v2';
const SHELL = [
  '/console', '/console/core.js', '/console/board.js', '/console/dialog.js', '/console/actions.js', '/console/app.js',
  '/console/dom.js', '/console/app.css', '/console/queue.js', '/console/manifest.webmanifest',
  '/console/icon-192.png', '/console/icon-512.png', '/console/icon-maskable-512.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

// The shell: network first (a new version shows at once), the cached copy when offline.
self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || !SHELL.includes(url.pathname)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const res = await fetch(req);
      if (res.ok) await cache.put(url.pathname, res.clone());
      return res;
    } catch (err) {
      const hit = await cache.match(url.pathname);
      if (hit) return hit;
      throw err;
    }
  })());
});

self.addEventListener('sync', (event) => {
  if (event.tag !== 'sw-outbox') return;
  event.waitUntil((async () => {
    for (const c of await self.clients.matchAll({ type: 'window' })) c.postMessage({ type: 'flush' });
  })());
});
