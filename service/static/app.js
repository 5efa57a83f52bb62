/* Föräldraskapsstöd: the form on / posts to /v1/recommendations and shows the answer.
   Every piece of data is put in the page with textContent, never as HTML. */
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

  var LEVELS = [
    { key: "universell", title: "Grön – universell nivå", text: "Främjande och förebyggande stöd som erbjuds alla föräldrar." },
    { key: "selektiv", title: "Gul – selektiv nivå", text: "Stöd till föräldrar i en riskgrupp, för att vända en negativ utveckling." },
    { key: "indikerad", title: "Röd – indikerad nivå", text: "Ofta individuellt stöd när barnet visar tydliga problem eller föräldern har stort behov av stöd." }
  ];
  var AVAILABILITY = {
    "finns": "Finns i kommunen",
    "saknas": "Saknas i kommunen",
    "okänd": "Okänt om insatsen finns i kommunen"
  };
  var SEVERITY = { critical: "Viktigt", warning: "Observera", info: "Information" };
  // Which error element shows an error for an API field name.
  var FIELD_ERRORS = { kommun: "fel-kommun", age_months: "fel-alder", expecting: "fel-alder", needs: "fel-behov" };
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

  function sourceText(source) {
    if (!source) return "";
    var title = source.title || source.document || "";
    return title + (source.section ? ", avsnitt " + source.section : "");
  }

  function renderInsats(rec) {
    var item = el("li", "insats");
    item.appendChild(el("h4", "insats-namn", rec.name));
    var avail = rec.availability in AVAILABILITY ? rec.availability : "okänd";
    var badge = el("p", "tillgang tillgang-" + (avail === "okänd" ? "okand" : avail), AVAILABILITY[avail]);
    item.appendChild(badge);
    item.appendChild(el("p", "motivering", rec.rationale));
    var facts = el("dl", "fakta");
    function fact(term, value) {
      if (!value) return;
      facts.appendChild(el("dt", null, term));
      facts.appendChild(el("dd", null, value));
    }
    fact("Källa", sourceText(rec.source));
    fact("Kontakt", rec.contact);
    fact("Form", rec.format);
    fact("Utförare", rec.provider);
    if (rec.status === "antagande") fact("Obs", "Bygger på ett antagande, inte en uttrycklig källa.");
    item.appendChild(facts);
    return item;
  }

  function renderDecision(data) {
    var nodes = [];
    var kommunName = kommun.options[kommun.selectedIndex] ? kommun.options[kommun.selectedIndex].text : "";
    var notices = Array.isArray(data.notices) ? data.notices : [];
    notices.forEach(function (n) {
      var box = el("div", "notis notis-" + n.severity);
      if (n.severity === "critical") box.setAttribute("role", "alert");
      var strong = el("strong", null, (SEVERITY[n.severity] || "Information") + ": ");
      box.appendChild(strong);
      box.appendChild(document.createTextNode(n.text));
      nodes.push(box);
    });
    var recs = Array.isArray(data.recommendations) ? data.recommendations : [];
    var summary = el("p", "sammanfattning",
      recs.length + (recs.length === 1 ? " insats" : " insatser") + " för en familj i " + kommunName +
      ". Högsta nivå: " + data.level + ".");
    nodes.push(summary);
    LEVELS.forEach(function (level) {
      var mine = recs.filter(function (r) { return r.level === level.key; });
      if (!mine.length) return;
      var section = el("section", "niva niva-" + level.key);
      section.setAttribute("aria-labelledby", "niva-" + level.key);
      var heading = el("h3", "niva-rubrik", level.title);
      heading.id = "niva-" + level.key;
      section.appendChild(heading);
      section.appendChild(el("p", "niva-text", level.text));
      var list = el("ul", "insatser");
      mine.forEach(function (rec) { list.appendChild(renderInsats(rec)); });
      section.appendChild(list);
      nodes.push(section);
    });
    if (!recs.length) nodes.push(el("p", "tom", "Regelpaketet har ingen insats för den här familjen."));
    if (data.ruleset) {
      nodes.push(el("p", "regelpaket", "Regelpaket: " + data.ruleset.name + " " + data.ruleset.version));
    }
    result.replaceChildren.apply(result, nodes);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var body = buildBody();
    if (!body) { focusFirstError(); return; }
    submit.disabled = true;
    result.setAttribute("aria-busy", "true");
    fetch("/v1/recommendations", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok && data) {
          renderDecision(data);
        } else {
          showApiErrors(data);
          focusFirstError();
        }
      });
    }).catch(function () {
      showError("fel-formular", "Tjänsten svarar inte. Försök igen om en stund.");
    }).then(function () {
      submit.disabled = false;
      result.removeAttribute("aria-busy");
    });
  });
})();
