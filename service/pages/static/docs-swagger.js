/* Swagger UI for /openapi.json, from the bundle the service serves itself (/static/docs/). */
"use strict";
window.addEventListener("load", function () {
  window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: false,
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
    syntaxHighlight: { activated: false },
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
