// localStorage that never throws (private windows, full quota, disabled storage).

const PREFIX = "belvedere.";

export function load(key, fallback = null) {
  try {
    const value = localStorage.getItem(PREFIX + key);
    return value === null ? fallback : value;
  } catch {
    return fallback;
  }
}

export function save(key, value) {
  try {
    if (value === null || value === undefined) localStorage.removeItem(PREFIX + key);
    else localStorage.setItem(PREFIX + key, String(value));
  } catch {
    // Storage is a convenience: the page works without it.
  }
}

/** A JSON value kept under `key`; `fallback` when absent or unreadable. */
export function loadJSON(key, fallback = null) {
  try {
    const value = JSON.parse(load(key, "null"));
    return value === null ? fallback : value;
  } catch {
    return fallback;
  }
}

export function saveJSON(key, value) {
  save(key, value === null || value === undefined ? null : JSON.stringify(value));
}
