/* Fyller i formuläret från adressens fragment, t.ex. /#kommun=1884&ar=8&man=3 (länkar från
   journalsystemets CDS Hooks-kort). Fragmentet skickas aldrig till servern och tas bort ur
   adressfältet när formuläret är ifyllt, så att uppgifterna inte blir kvar i historiken. */
(function () {
  "use strict";

  function prefillFromFragment() {
    var hash = window.location.hash.replace(/^#/, "");
    if (!hash) { return false; }
    var params = new URLSearchParams(hash);
    var used = false;

    var kommun = document.getElementById("kommun");
    var code = params.get("kommun");
    if (kommun && code && /^\d{4}$/.test(code)) {
      for (var i = 0; i < kommun.options.length; i++) {
        if (kommun.options[i].value === code) { kommun.value = code; used = true; break; }
      }
    }

    function setNumber(id, value, max) {
      var input = document.getElementById(id);
      if (!input || value === null || !/^\d{1,3}$/.test(value) || Number(value) > max) { return; }
      input.value = String(Number(value));
      used = true;
    }
    setNumber("alder-ar", params.get("ar"), 18);
    setNumber("alder-man", params.get("man"), 11);

    var expecting = document.getElementById("vantar");
    if (expecting && params.get("vantar") === "1") {
      expecting.checked = true;
      expecting.dispatchEvent(new Event("change", { bubbles: true }));
      used = true;
    }

    (params.get("behov") || "").split(",").forEach(function (need) {
      if (!/^[a-z0-9_]{1,60}$/.test(need)) { return; }
      var box = document.getElementById("behov-" + need);
      if (box && box.type === "checkbox") { box.checked = true; used = true; }
    });

    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    return used;
  }

  window.prefillFromFragment = prefillFromFragment;
  if (prefillFromFragment()) {
    var form = document.getElementById("familj");
    if (form) {
      var note = document.createElement("p");
      note.id = "ifyllt-fran-journal";
      note.className = "hjalp";
      note.setAttribute("role", "status");
      note.textContent = "Kommun och ålder är ifyllda från journalsystemet. Kontrollera dem och kryssa i de behov du har sett.";
      form.insertBefore(note, form.firstChild);
    }
    var first = document.querySelector("#familj input[name=needs]");
    if (first) { first.focus(); }
  }
})();
