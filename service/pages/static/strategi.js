// /strategi while the behaviour tests run against the served version: look again every 5 s and
// show the result when the run is done (without JavaScript the page has a "Ladda om" link).
(function () {
  "use strict";
  var status = document.getElementById("korning");
  if (!status || status.dataset.state !== "pagar") return;
  window.setTimeout(function () { window.location.reload(); }, 5000);
})();
