// /redaktion: progress of Kontrollera and Effekt without reloading by hand, and a size check
// before a text is sent. Without JavaScript the page offers an "Uppdatera" link instead, and the
// server answers a too large text with a page that says so; nothing else depends on this file.
(function () {
  "use strict";
  // a form with data-max-bytes: refuse to send more than the server takes, keeping the text
  Array.prototype.forEach.call(document.querySelectorAll("form[data-max-bytes]"), function (form) {
    form.addEventListener("submit", function (ev) {
      var max = parseInt(form.getAttribute("data-max-bytes"), 10);
      var size = new URLSearchParams(new FormData(form)).toString().length;
      var old = form.querySelector(".storlek-fel");
      if (old) { old.parentNode.removeChild(old); }
      if (size <= max) { return; }
      ev.preventDefault();
      var p = document.createElement("p");
      p.className = "fel storlek-fel";
      p.setAttribute("role", "alert");
      p.textContent = "Inte skickat: texten är " + (size / 1048576).toFixed(1).replace(".", ",") +
        " MiB, och redaktionen tar emot högst " + (max / 1048576) + " MiB. Texten finns kvar; korta den och spara igen.";
      form.insertBefore(p, form.firstChild);
      p.scrollIntoView();
    });
  });
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
