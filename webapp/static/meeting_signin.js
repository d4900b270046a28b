// The organiser's 签到 screen: a new QR code (and who signed in) every few seconds, before the code
// expires; the page's <meta refresh> does the same without scripts.
(function () {
  "use strict";
  var box = document.getElementById("signin-screen");
  if (!box) return;
  function bj(iso) {      // "12-05 09:30", Beijing time (UTC+8, no daylight saving), as the |bj filter
    if (!iso) return "";
    var d = new Date(new Date(iso).getTime() + 8 * 3600 * 1000);
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return two(d.getUTCMonth() + 1) + "-" + two(d.getUTCDate()) + " " + two(d.getUTCHours()) + ":" + two(d.getUTCMinutes());
  }
  function tick() {
    fetch(box.dataset.api, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        var doc = new DOMParser().parseFromString(d.qr_svg, "image/svg+xml");   // the server's SVG of our link
        var svg = doc.documentElement;
        if (svg && svg.nodeName.toLowerCase() === "svg") {
          document.getElementById("signin-qr").replaceChildren(document.importNode(svg, true));
        }
        document.getElementById("signin-url").href = d.url;
        document.getElementById("signin-count").textContent = String(d.signed_in.length);
        var list = document.getElementById("signin-list");
        list.replaceChildren.apply(list, d.signed_in.map(function (p) {   // as the server draws them
          var li = document.createElement("li");
          var at = document.createElement("span");
          at.className = "muted small";
          at.textContent = bj(p.signed_in_at);
          li.append(p.unit + " " + p.name + " ", at);
          return li;
        }));
      })
      .catch(function () {});
  }
  setInterval(tick, 10000);
})();
