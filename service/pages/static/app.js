/* Föräldraskapsstöd: progressive enhancement of the form on /. Without JavaScript the form posts
   to / and the server answers with the whole page. With it, the same form body is posted with
   `X-Svar: fragment` and the server's answer (HTML it rendered and escaped) replaces the old one;
   errors (the API's 422 body) are shown next to their fields with textContent. */
"use strict";
(function () {
  var form = document.getElementById("familj");
  if (!form) return;
  var result = document.getElementById("resultat");
  var kommun = document.getElementById("kommun");
  var years = document.getElementById("alder-ar");
  var months = document.getElementById("alder-man");
  var expecting = document.getElementById("vantar");
  var submit = document.getElementById("skicka");

  // Which error element shows an error for an API field name.
  var FIELD_ERRORS = { kommun: "fel-kommun", age_months: "fel-alder", expecting: "fel-alder", needs: "fel-behov",
                       alder: "fel-alder", behov: "fel-behov", formular: "fel-formular" };
  var FIELD_INPUT = { "fel-kommun": kommun, "fel-alder": years, "fel-behov": null, "fel-formular": null };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function syncExpecting() {
    var on = expecting.checked;
    years.disabled = on;
    months.disabled = on;
  }
  expecting.addEventListener("change", syncExpecting);
  form.addEventListener("reset", function () {
    window.setTimeout(function () {
      syncExpecting();
      clearErrors();
      result.replaceChildren(el("p", "tom", "Fyll i formuläret för att se rekommendationer."));
      markFresh();
    }, 0);
  });
  syncExpecting();

  function clearErrors() {
    Object.keys(FIELD_INPUT).forEach(function (id) {
      var box = document.getElementById(id);
      box.textContent = "";
      box.hidden = true;
    });
    [kommun, years, months].forEach(function (input) { input.removeAttribute("aria-invalid"); });
  }

  function showError(id, text) {
    var box = document.getElementById(id);
    box.textContent = box.textContent ? box.textContent + " " + text : text;
    box.hidden = false;
    var input = FIELD_INPUT[id];
    if (input) input.setAttribute("aria-invalid", "true");
    if (id === "fel-alder") months.setAttribute("aria-invalid", "true");
  }

  function focusFirstError() {
    var order = ["fel-kommun", "fel-alder", "fel-behov", "fel-formular"];
    for (var i = 0; i < order.length; i++) {
      var box = document.getElementById(order[i]);
      if (!box.hidden) {
        var target = FIELD_INPUT[order[i]] || document.querySelector("#familj input[name=needs]") || box;
        if (target === years && years.disabled) target = expecting;
        target.focus();
        return;
      }
    }
  }

  function readNumber(input) {
    var raw = input.value.trim();
    if (raw === "") return null;
    if (!/^\d+$/.test(raw)) return NaN;
    return parseInt(raw, 10);
  }

  /* Client-side checks, in Swedish; the service checks again and its 422 is shown the same way. */
  function buildBody() {
    var ok = true;
    var body = { kommun: kommun.value, needs: [] };
    if (!kommun.value) { showError("fel-kommun", "Välj en kommun."); ok = false; }
    if (expecting.checked) {
      body.expecting = true;
    } else {
      var y = readNumber(years);
      var m = readNumber(months);
      if (m === null) m = 0;
      if (y === null) {
        showError("fel-alder", "Ange barnets ålder i år och månader, eller kryssa i att familjen väntar barn.");
        ok = false;
      } else if (isNaN(y) || isNaN(m) || y > 18 || m > 11) {
        showError("fel-alder", "Åldern ska vara 0–18 år och 0–11 månader, i hela tal.");
        ok = false;
      } else if (y * 12 + m > 216) {
        showError("fel-alder", "Stödet gäller barn upp till 18 år.");
        ok = false;
      } else {
        body.age_months = y * 12 + m;
      }
    }
    var boxes = form.querySelectorAll("input[name=needs]:checked");
    for (var i = 0; i < boxes.length; i++) body.needs.push(boxes[i].value);
    return ok ? body : null;
  }

  function showApiErrors(data) {
    var items = (data && Array.isArray(data.errors)) ? data.errors : [];
    if (!items.length) {
      var msg = data && typeof data.message === "string" ? data.message.split(" / ")[0] : "Något gick fel.";
      showError("fel-formular", msg);
      return;
    }
    items.forEach(function (item) {
      var field = String(item.field || "").split(/[.\[]/)[0];
      var id = FIELD_ERRORS[field] || "fel-formular";
      showError(id, String(item.sv || item.message || "Ogiltigt värde."));
    });
  }

  /* The answer comes from the server as HTML (service/pages/answer.py renders it for both ways the
     form is sent), so the page shows exactly what the form gives without JavaScript. */
  function showAnswer(html) {
    result.innerHTML = html;
    markFresh();
    var heading = document.getElementById("svar-rubrik");
    var print = document.getElementById("skriv-ut");
    if (print) {
      print.parentNode.hidden = false;
      print.addEventListener("click", function () { window.print(); });
    }
    if (heading) {
      // the answer's heading at the top of the screen, so the highest level shows below it
      heading.scrollIntoView({ block: "start" });
      heading.focus({ preventScroll: true });
    }
  }

  /* A changed form marks the answer on screen as out of date (visible and for screen readers). */
  var stale = document.getElementById("inaktuell");
  var section = document.getElementById("resultat-sektion");
  function hasAnswer() { return !!document.getElementById("svar-rubrik"); }
  function markStale() {
    if (!hasAnswer() || !stale.hidden) return;
    stale.hidden = false;
    section.classList.add("inaktuell");
    result.setAttribute("aria-describedby", "inaktuell");
  }
  function markFresh() {
    stale.hidden = true;
    section.classList.remove("inaktuell");
    result.removeAttribute("aria-describedby");
  }
  form.addEventListener("input", markStale);
  form.addEventListener("change", markStale);
  if (hasAnswer()) {
    var printButton = document.getElementById("skriv-ut");
    if (printButton) {
      printButton.parentNode.hidden = false;
      printButton.addEventListener("click", function () { window.print(); });
    }
  }

  function formBody() {
    var params = new URLSearchParams();
    params.append("kommun", kommun.value);
    if (expecting.checked) {
      params.append("vantar", "on");
    } else {
      params.append("alder_ar", years.value.trim());
      params.append("alder_man", months.value.trim());
    }
    var boxes = form.querySelectorAll("input[name=needs]:checked");
    for (var i = 0; i < boxes.length; i++) params.append("needs", boxes[i].value);
    return params.toString();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var body = buildBody();
    if (!body) { focusFirstError(); return; }
    submit.disabled = true;
    result.setAttribute("aria-busy", "true");
    fetch("/", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Svar": "fragment" },
      body: formBody()
    }).then(function (response) {
      if (response.ok) {
        return response.text().then(showAnswer);
      }
      return response.json().catch(function () { return null; }).then(function (data) {
        showApiErrors(data);
        focusFirstError();
      });
    }).catch(function () {
      showError("fel-formular", "Tjänsten svarar inte. Försök igen om en stund.");
    }).then(function () {
      submit.disabled = false;
      result.removeAttribute("aria-busy");
    });
  });
})();
