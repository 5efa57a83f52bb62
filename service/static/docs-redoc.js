/* ReDoc for /openapi.json, from the bundle the service serves itself (/static/docs/). */
"use strict";
window.addEventListener("load", function () {
  window.Redoc.init("/openapi.json", { hideDownloadButton: false, disableSearch: false },
                    document.getElementById("redoc"));
});
