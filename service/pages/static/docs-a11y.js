/* Accessibility fixes on top of Swagger UI's and ReDoc's own markup, kept as the UI re-renders:
   scrollable code examples reachable by keyboard, and a name on every unlabelled select. */
"use strict";
(function () {
  function fix(root) {
    var blocks = root.querySelectorAll("pre.microlight, .highlight-code pre, pre");
    for (var i = 0; i < blocks.length; i++) {
      if (!blocks[i].hasAttribute("tabindex")) {
        blocks[i].setAttribute("tabindex", "0");
        if (!blocks[i].hasAttribute("aria-label")) blocks[i].setAttribute("aria-label", "Kodexempel");
      }
    }
    var selects = root.querySelectorAll("select");
    for (var j = 0; j < selects.length; j++) {
      var s = selects[j];
      if (!s.hasAttribute("aria-label") && !s.hasAttribute("aria-labelledby") && !(s.id && root.querySelector("label[for='" + s.id + "']"))) {
        s.setAttribute("aria-label", s.classList.contains("examples-select-element") ? "Välj exempel" : "Välj");
      }
    }
  }
  var scheduled = false;
  new MutationObserver(function () {
    if (scheduled) return;
    scheduled = true;
    window.requestAnimationFrame(function () { scheduled = false; fix(document); });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
