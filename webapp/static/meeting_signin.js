// The organiser's 签到 screen: a new QR code (and who signed in) every few seconds, before the code
// expires; the page's <meta refresh> does the same without scripts.
(function () {
  "use strict";
  var box = document.getElementById("signin-screen");
  if (!box) return;
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
        list.replaceChildren.apply(list, d.signed_in.map(function (p) {
          var li = document.createElement("li");
          li.textContent = p.unit + " " + p.name;
          return li;
        }));
      })
      .catch(function () {});
  }
  setInterval(tick, 10000);
})();
