// The API docs page: Swagger UI (its bundle is loaded by the template) over our OpenAPI document.
import { csrfToken } from "../lib/api.js";

export function init() {
  const root = document.getElementById("swagger-ui");
  if (!window.SwaggerUIBundle) {
    root.textContent = "The API explorer could not load. The OpenAPI document is at /api/v1/openapi.json.";
    return;
  }
  window.SwaggerUIBundle({
    url: root.dataset.spec || "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // "Try it out" sends changes with the CSRF token, like the rest of the app.
    requestInterceptor: (request) => {
      if (!["GET", "HEAD", "OPTIONS"].includes((request.method || "GET").toUpperCase())) {
        request.headers["X-CSRF-Token"] = csrfToken();
      }
      return request;
    },
  });
}
