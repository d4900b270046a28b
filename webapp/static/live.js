/* Xietong live updates: one websocket per page, resumed by event id, no framework.
 * Regions marked data-live="…" are refreshed from the server when an event arrives;
 * a new 特急 notice for the clerk's unit shows a banner and plays a sound. */
(function () {
  "use strict";
  var body = document.body;
  if (!body.dataset.unit || !("WebSocket" in window)) return;
  var unit = Number(body.dataset.unit);
  var key = "xt.last_id." + body.dataset.user;
  var statusEl = document.getElementById("live-status");
  var banner = document.getElementById("live-banner");
  var sound = new Audio("/static/alert.wav");
  var attempt = 0;
  var timer = null;

  function lastId() { return Number(localStorage.getItem(key) || 0); }
  function setLastId(id) { localStorage.setItem(key, String(id)); }

  function setStatus(state) {
    if (!statusEl) return;
    statusEl.dataset.state = state;
    statusEl.textContent = statusEl.dataset[state] || state;
  }

  function connect() {
    setStatus("connecting");
    var since = localStorage.getItem(key);
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws" +
      (since ? "?since=" + encodeURIComponent(since) : "");
    var ws = new WebSocket(url);
    ws.onopen = function () { attempt = 0; setStatus("online"); };
    ws.onmessage = function (m) { handle(JSON.parse(m.data)); };
    ws.onclose = function (e) {
      setStatus("offline");
      if (e.code === 4001) { location.reload(); return; }      // session ended: the login page
      if (e.code === 4003) return;
      var wait = Math.random() * Math.min(30000, 500 * Math.pow(2, attempt++));   // backoff, full jitter
      setTimeout(connect, wait);
    };
  }

  function handle(f) {
    if (f.type === "hello") { if (!localStorage.getItem(key)) setLastId(f.last_id); return; }
    if (f.type === "reset") { setLastId(f.last_id); refresh(); return; }
    if (typeof f.id !== "number" || f.id <= lastId()) return;
    setLastId(f.id);
    if (f.type === "item.issued" && f.delivery && f.delivery.unit_id === unit) announce(f);
    if (!timer) timer = setTimeout(refresh, 150);
  }

  function announce(f) {
    if (!banner || !f.item) return;
    var link = banner.querySelector("a");
    link.href = "/items/" + f.item.id;
    link.textContent = (banner.dataset[f.item.urgency] || "") + " " + f.item.title;
    banner.dataset.urgency = f.item.urgency;
    banner.hidden = false;
    if (f.item.urgency === "extra_urgent") {
      var played = sound.play();
      if (played && played.catch) played.catch(function () {});  // autoplay may be blocked: the banner stays
      if (navigator.vibrate) navigator.vibrate([300, 100, 300]);
    }
  }

  // A refreshed region keeps what the person was doing in it: the <details> they opened and
  // what they typed into its fields (both found by id).
  function replaceKeeping(el, next) {
    var open = [], typed = [];
    el.querySelectorAll("details[open][id]").forEach(function (d) { open.push(d.id); });
    el.querySelectorAll("input[id], textarea[id], select[id]").forEach(function (f) {
      if (f.value !== f.defaultValue || f === document.activeElement) typed.push([f.id, f.value, f === document.activeElement]);
    });
    el.innerHTML = next.innerHTML;
    open.forEach(function (id) { var d = document.getElementById(id); if (d && el.contains(d)) d.open = true; });
    typed.forEach(function (t) {
      var f = document.getElementById(t[0]);
      if (!f || !el.contains(f)) return;
      f.value = t[1];
      if (t[2]) f.focus();
    });
  }

  // A region that shows time left (the duty board) is also refreshed now and then without events.
  document.querySelectorAll("[data-live][data-refresh-seconds]").forEach(function (el) {
    var every = Math.max(10, Number(el.dataset.refreshSeconds) || 60) * 1000;
    setInterval(function () { if (!timer && !document.hidden) refresh(); }, every);
  });

  function refresh() {
    timer = null;
    var regions = document.querySelectorAll("[data-live]");
    if (!regions.length) return;
    fetch(location.href, { credentials: "same-origin", headers: { "X-Live-Refresh": "1" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        regions.forEach(function (el) {
          var next = fresh.querySelector('[data-live="' + el.dataset.live + '"]');
          if (next) replaceKeeping(el, next);
        });
      })
      .catch(function () {});
  }

  if (banner) {
    banner.querySelector("button").addEventListener("click", function () { banner.hidden = true; });
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }
  connect();
  document.querySelectorAll("button[data-print]").forEach(function (b) {   // registers print on A4
    b.addEventListener("click", function () { window.print(); });
  });
})();
