/* Xietong service worker: caches the app shell so the app opens (and says it is offline)
 * without a network; pages themselves are always fetched fresh (they carry live data). */
var SHELL = "xietong-shell-v1";
var FILES = ["/static/app.css", "/static/live.js", "/static/icon.svg", "/static/icon-192.png",
             "/static/icon-512.png", "/static/alert.wav", "/static/offline.html"];

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(FILES); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== SHELL; }).map(function (k) {
      return caches.delete(k);
    }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (e) {
  var url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    e.respondWith(caches.match(e.request).then(function (hit) { return hit || fetch(e.request); }));
  } else if (e.request.mode === "navigate") {
    e.respondWith(fetch(e.request).catch(function () { return caches.match("/static/offline.html"); }));
  }
});
