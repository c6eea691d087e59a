// The one way the browser talks to the JSON API: same-origin fetch, JSON in and out, the CSRF
// token on every change, errors as ApiError with the server's message.

const CSRF_COOKIE = "belvedere_csrf";
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** An error answer of the API: HTTP status, stable code, message for people, the whole body. */
export class ApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** The double-submit CSRF token the server set as a cookie. */
export function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return "";
}

/** A URL with query parameters (those null or undefined are left out). */
export function url(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * Send a request and read its JSON answer without judging the status:
 * resolves to {status, ok, data}. Network failures reject with an ApiError of status 0.
 */
export async function send(method, path, body = undefined, { signal } = {}) {
  const headers = { Accept: "application/json" };
  if (!SAFE.has(method)) headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(
      0,
      "network_error",
      "The server could not be reached. Check your network and try again.",
    );
  }
  let data = null;
  if (response.status !== 204) {
    const text = await response.text();
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = {
        error: { code: "bad_response", message: `The server answered ${response.status} without JSON.` },
      };
    }
  }
  if (response.status === 401 && data?.error?.code === "not_signed_in") signInAgain();
  return { status: response.status, ok: response.ok, data };
}

/** The error of a failed answer, as an ApiError. */
export function errorOf({ status, data }) {
  const error = data?.error || {};
  return new ApiError(
    status,
    error.code || "http_error",
    error.message || `Request failed (HTTP ${status}).`,
    data,
  );
}

/** Send a request; resolve to its JSON on success, reject with an ApiError otherwise. */
export async function request(method, path, body = undefined, options = {}) {
  const answer = await send(method, path, body, options);
  if (!answer.ok) throw errorOf(answer);
  return answer.data;
}

export const get = (path, params, options) => request("GET", url(path, params), undefined, options);
export const post = (path, body = {}, options) => request("POST", path, body, options);
export const patch = (path, body = {}, options) => request("PATCH", path, body, options);
export const del = (path, options) => request("DELETE", path, undefined, options);

let signingOut = false;

/** Signing out on purpose: requests that fail for want of a session no longer redirect. */
export function signOutStarted() {
  signingOut = true;
}

/** The session ended (expired, or signed out elsewhere): back to the sign-in page, then here. */
function signInAgain() {
  if (signingOut || location.pathname === "/login") return;
  location.assign(url("/login", { next: location.pathname + location.search }));
}
