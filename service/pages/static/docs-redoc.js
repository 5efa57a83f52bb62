/* ReDoc for /openapi.json, from the bundle the service serves itself (/static/docs/), with
   colours that meet WCAG AA contrast. */
"use strict";
window.addEventListener("load", function () {
  window.Redoc.init("/openapi.json", {
    hideDownloadButton: false,
    theme: {
      colors: {
        primary: { main: "#12324f" },
        success: { main: "#1e6b34" },
        error: { main: "#b3261e" },
        text: { primary: "#1a1a1a", secondary: "#4a4a4a" },
        http: { get: "#0b4fa3", post: "#1e6b34", put: "#8a4b00", delete: "#b3261e" }
      },
      typography: {
        code: { color: "#8a1c14", backgroundColor: "#f2f2f2" },
        links: { color: "#0b4fa3" },
        headings: { fontFamily: "system-ui, sans-serif" },
        fontFamily: "system-ui, sans-serif"
      },
      rightPanel: { backgroundColor: "#1f2a33", textColor: "#ffffff" }
    }
  }, document.getElementById("redoc"));
});
