// Downloads that need a request the browser's own link cannot make (a POST with a body, the
// CSRF token) or whose failure should be told on the page: fetch the file, then save it under
// the name the server gives (Content-Disposition).
import { csrfToken, errorOf } from "./api.js";

/** The file name of a Content-Disposition header (its UTF-8 `filename*` first), or null. */
export function filenameOf(header) {
  if (!header) return null;
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (extended) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // a malformed escape: fall back to the plain name
    }
  }
  const plain = /filename="([^"]*)"/i.exec(header) || /filename=([^;]+)/i.exec(header);
  return plain ? plain[1].trim() : null;
}

/**
 * Fetch `path` (GET, or POST with the JSON `body`) and save the answer as a file; resolves to
 * its name. An error answer rejects with the API's error (its message for people).
 */
export async function download(path, { body = undefined, fallback = "download" } = {}) {
  const method = body === undefined ? "GET" : "POST";
  const headers = {};
  if (method === "POST") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = csrfToken();
  }
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) {
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    throw errorOf({ status: response.status, data });
  }
  const blob = await response.blob();
  const name = filenameOf(response.headers.get("content-disposition")) || fallback;
  const href = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = href;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return name;
}
