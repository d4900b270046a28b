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

  // a form sent or a link followed (logging out) ends the session before this page is gone: no reload then
  var leaving = false;
  document.addEventListener("submit", function () { leaving = true; });
  window.addEventListener("pagehide", function () { leaving = true; });
  // a navigation under way (a link, the address bar) whose request ends this page's session (代理期已结束
  // closes the principal's sockets): reloading now would cancel it
  window.addEventListener("beforeunload", function () { leaving = true; });
  window.addEventListener("pageshow", function (e) { if (e.persisted) { leaving = false; badgesSoon(0); } });

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
    ws.onopen = function () { attempt = 0; setStatus("online"); };   // what was missed replays: counts follow
    ws.onmessage = function (m) { handle(JSON.parse(m.data)); };
    ws.onclose = function (e) {
      setStatus("offline");
      if (e.code === 4001) { if (!leaving) location.reload(); return; }   // session ended: the login page
      if (e.code === 4003) return;
      var wait = Math.random() * Math.min(30000, 500 * Math.pow(2, attempt++));   // backoff, full jitter
      setTimeout(connect, wait);
    };
  }

  function handle(f) {
    if (f.type === "hello") { if (!localStorage.getItem(key)) setLastId(f.last_id); return; }
    if (f.type === "reset") { setLastId(f.last_id); refresh(); badgesSoon(0); return; }
    if (f.type === "todo") {          // a document moved: the page's lists and the counts, as for an event
      if (!timer) timer = setTimeout(refresh, 150);
      badgesSoon(150 + Math.random() * 600);
      return;
    }
    if (typeof f.id !== "number" || f.id <= lastId()) return;
    setLastId(f.id);
    // a new item, its sender's reminder (催办) or a corrected re-send, for this unit: the banner and the sound
    if ((f.type === "item.issued" || f.type === "item.chased" || f.type === "item.reissued") && f.delivery && f.delivery.unit_id === unit) announce(f);
    if (!timer) timer = setTimeout(refresh, 150);
    badgesSoon(150 + Math.random() * 600);      // spread: every phone of a unit asks at once otherwise
  }

  // the tab bar's counts (待办, unread messages, the duty desk's escalations), from GET /api/badges
  var badgeTimer = null;
  window.addEventListener("online", function () { badgesSoon(0); });
  function badgesSoon(wait) {
    if (badgeTimer || !document.querySelector("[data-badge]")) return;
    badgeTimer = setTimeout(refreshBadges, wait);
  }
  function refreshBadges() {
    badgeTimer = null;
    if (navigator.onLine === false) return;     // no network: asked again when it is back ("online")
    fetch("/api/badges", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (counts) {
        if (!counts) return;
        if (counts.signed_in === false) { if (!leaving) location.reload(); return; }   // the login page
        document.querySelectorAll("[data-badge]").forEach(function (el) {
          var n = Number(counts[el.dataset.badge] || 0);
          el.textContent = n > 99 ? "99+" : String(n);
          el.hidden = n <= 0;
        });
      })
      .catch(function () {});
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
  // what they typed into its fields (both found by id). A region whose markup did not change is
  // left alone, so a tap on a link in it is never lost to a refresh that brought nothing new.
  function replaceKeeping(el, next) {
    if (next.innerHTML === el.liveHtml) return;
    el.liveHtml = next.innerHTML;
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

  // Each region's markup as the server sent it, before anyone opened or typed anything in it.
  document.querySelectorAll("[data-live]").forEach(function (el) { el.liveHtml = el.innerHTML; });

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
        document.dispatchEvent(new Event("xt:refreshed"));     // kept drafts go back into fresh forms
      })
      .catch(function () {});
  }

  if (banner) {
    banner.querySelector("button").addEventListener("click", function () { banner.hidden = true; });
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }
  badgesSoon(0);
  connect();
})();

/* Back never loses what was typed: form fields are kept in sessionStorage (per page, form and field)
 * as they are typed, put back when the page is shown again, and forgotten when the form is sent.
 * Passwords, one-time codes and hidden fields are never kept. */
(function () {
  "use strict";
  var store;
  try { store = window.sessionStorage; store.setItem("xt.probe", "1"); store.removeItem("xt.probe"); }
  catch (e) { return; }
  var SKIP_TYPES = { password: 1, hidden: 1, file: 1, submit: 1, button: 1, reset: 1, image: 1 };
  var SKIP_NAMES = /(^csrf_token$|^code$|password|^next$)/;
  var SKIP_ACTIONS = /^\/(login|logout|lang)\b/;

  function formOf(el) { return el.form || null; }
  function keptForm(form) {
    return form && (form.method || "").toLowerCase() === "post" && !form.hasAttribute("data-no-draft") &&
      !SKIP_ACTIONS.test(form.getAttribute("action") || "");
  }
  function kept(el) {
    if (!el.name || SKIP_NAMES.test(el.name) || SKIP_TYPES[(el.type || "").toLowerCase()]) return false;
    if ((el.getAttribute("autocomplete") || "").indexOf("one-time-code") >= 0) return false;
    return keptForm(formOf(el));
  }
  function prefix(form) {
    var op = form.querySelector('input[type="hidden"][name="op"]');
    return "xt.draft:" + location.pathname + "|" + (form.getAttribute("action") || "") + "|" + (op ? op.value : "") + "|";
  }
  function keyOf(el) {
    var choice = el.type === "checkbox" || el.type === "radio";
    return prefix(el.form) + el.name + (choice ? "=" + el.value : "");
  }
  function save(e) {
    var el = e.target;
    if (!el || !el.form || !kept(el)) return;
    if (el.type === "radio") {            // one of a group: the others are now off
      el.form.querySelectorAll('input[type="radio"][name="' + el.name + '"]').forEach(function (r) {
        store.setItem(keyOf(r), r.checked ? "1" : "0");
      });
      return;
    }
    store.setItem(keyOf(el), el.type === "checkbox" ? (el.checked ? "1" : "0") : el.value);
  }
  function restore() {
    document.querySelectorAll("form").forEach(function (form) {
      if (!keptForm(form)) return;
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!kept(el)) return;
        var v = store.getItem(keyOf(el));
        if (v === null) return;
        if (el.type === "checkbox" || el.type === "radio") { el.checked = v === "1"; return; }
        if (el.value === v) return;
        el.value = v;
        var box = el.closest("details");
        if (box && v) box.open = true;      // a reason typed in a folded section: unfold it again
      });
    });
  }
  function forget(e) {
    var form = e.target;
    if (!keptForm(form)) return;
    var p = prefix(form), gone = [];
    for (var i = 0; i < store.length; i++) { var k = store.key(i); if (k && k.indexOf(p) === 0) gone.push(k); }
    gone.forEach(function (k) { store.removeItem(k); });
  }
  document.addEventListener("input", save, true);
  document.addEventListener("change", save, true);
  document.addEventListener("submit", forget, true);
  window.addEventListener("pageshow", restore);
  document.addEventListener("xt:refreshed", restore);
  restore();
})();

/* Small page helpers: the chosen files' names beside a file picker in the page's language, and the
 * seconds until an authenticator shows a fresh one-time code. */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input || input.type !== "file" || !input.closest(".file-pick")) return;
    var out = input.closest(".file-pick").querySelector(".file-names");
    if (!out) return;
    var names = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    out.textContent = names.length ? names.join("、") : (out.dataset.none || "");
  });
  document.querySelectorAll("button[data-print]").forEach(function (b) {   // registers print on A4
    b.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll(".otp-wait[data-seconds]").forEach(function (box) {
    var left = Number(box.dataset.seconds) || 0;
    var shown = box.querySelector(".countdown");
    var tick = setInterval(function () {
      left -= 1;
      if (left > 0) { if (shown) shown.textContent = String(left); return; }
      clearInterval(tick);
      box.textContent = box.dataset.done || "";
      box.classList.add("ready");
    }, 1000);
  });
})();

/* The issue form's quick select (快速选择): all / none / a group ticks the main recipients at once, with
 * no round trip; saving and deleting one's own groups go through the JSON API, so nothing typed or
 * chosen (files included) is lost. Without script the same buttons submit the form, which comes back
 * with the choice applied. */
(function () {
  "use strict";
  var form = document.getElementById("issue-form");
  var pickers = document.getElementById("pickers");
  if (!form || !pickers) return;
  var status = document.getElementById("group-status");
  function boxes(name) { return Array.prototype.slice.call(form.querySelectorAll('input[name="' + name + '"]')); }
  function tick(ids, on) {
    boxes("main_units").forEach(function (c) {
      var want = ids === null ? on : (ids.indexOf(c.value) >= 0 ? true : c.checked);
      if (c.checked !== want) { c.checked = want; c.dispatchEvent(new Event("change", { bubbles: true })); }
    });
    boxes("copy_units").forEach(function (c) {      // a unit is main or copied, not both
      var main = form.querySelector('input[name="main_units"][value="' + c.value + '"]');
      if (main && main.checked && c.checked) { c.checked = false; c.dispatchEvent(new Event("change", { bubbles: true })); }
    });
  }
  function say(text, bad) {
    if (!status) return;
    status.textContent = text; status.hidden = false;
    status.className = "small " + (bad ? "error-text" : "notice");
  }
  function api(path, body) {
    var token = form.querySelector('input[name="csrf_token"]').value;
    return fetch(path, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token, "Accept": "application/json" },
      body: JSON.stringify(body || {}) }).then(function (r) {
      return r.json().then(function (data) { if (!r.ok) throw new Error(data.error ? data.error.message : r.status); return data; });
    });
  }
  function groupButtons(g) {
    var span = document.createElement("span");
    span.className = "group"; span.dataset.group = g.id;
    var pick = document.createElement("button");
    pick.type = "submit"; pick.className = "pick"; pick.name = "pick"; pick.value = g.key;
    pick.formNoValidate = true; pick.dataset.units = g.unit_ids.join(","); pick.textContent = g.name;
    var drop = document.createElement("button");
    drop.type = "submit"; drop.className = "drop"; drop.name = "pick"; drop.value = "delete-" + g.id;
    drop.formNoValidate = true; drop.textContent = "×";
    var label = (pickers.dataset.deleteLabel || "× {name}").replace("{name}", g.name);
    drop.setAttribute("aria-label", label);
    span.appendChild(pick); span.appendChild(drop);
    return span;
  }
  form.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest('button[name="pick"]') : null;
    if (!b) return;
    var v = b.value;
    if (v === "all" || v === "none") { e.preventDefault(); tick(null, v === "all"); return; }
    if (b.dataset.units !== undefined) { e.preventDefault(); tick(b.dataset.units.split(","), true); return; }
    if (v === "save") {
      e.preventDefault();
      var name = form.querySelector('input[name="group_name"]');
      var ids = boxes("main_units").filter(function (c) { return c.checked; }).map(function (c) { return Number(c.value); });
      api("/api/recipient-groups", { name: name.value, unit_ids: ids }).then(function (data) {
        pickers.appendChild(groupButtons(data.group));
        say((pickers.dataset.savedLabel || "{name}").replace("{name}", data.group.name));
        name.value = "";
      }).catch(function (err) { say(err.message, true); });
      return;
    }
    if (v.indexOf("delete-") === 0) {
      e.preventDefault();
      api("/api/recipient-groups/" + v.slice(7) + "/delete").then(function (data) {
        var span = b.closest(".group");
        if (span) span.remove();
        say((pickers.dataset.deletedLabel || "{name}").replace("{name}", data.deleted.name));
      }).catch(function (err) { say(err.message, true); });
    }
  });
})();
