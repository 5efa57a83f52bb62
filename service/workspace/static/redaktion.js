// /redaktion: progress of Kontrollera and Effekt without reloading by hand. Without JavaScript
// the page offers an "Uppdatera" link instead; nothing else depends on this file.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var text = box.querySelector(".status-text");
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (bar) { bar.value = Math.round((s.progress || 0) * 100); }
        if (text && s.step) { text.textContent = s.step; }
        if (s.state === "done" || s.state === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 600);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 400);
})();
