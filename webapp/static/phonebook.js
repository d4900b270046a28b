// 通讯录: the 复制 buttons copy a number (shown only where the browser can copy; without script the
// number is plain text to long-press)
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    button.hidden = false;
    var label = button.textContent;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        button.textContent = button.dataset.copied || "✓";
        setTimeout(function () { button.textContent = label; }, 1500);
      });
    });
  });
})();
