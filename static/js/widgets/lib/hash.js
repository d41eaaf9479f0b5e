// A widget's state in the URL hash (`#w=<name>&key=value…`), so a link or a reload shows the same view.
// replaceState keeps stepping out of the browser's history.

import { showMessage } from "./dom.js";

/** The hash's parameters when they are for widget `name`, else null. */
export function readHash(name) {
  const params = new URLSearchParams(location.hash.slice(1));
  return params.get("w") === name ? params : null;
}

/** Writes `entries` (in their order, after `w`) to the hash; null, undefined and false are left out. */
export function writeHash(name, entries) {
  const params = new URLSearchParams({ w: name });
  for (const [k, v] of Object.entries(entries)) {
    if (v !== undefined && v !== null && v !== false) params.set(k, String(v));
  }
  history.replaceState(history.state, "", `#${params}`);
}

/** Calls `fn(params)` when a link on the page changes the hash to another state of widget `name`. */
export function onHashChange(name, fn) {
  window.addEventListener("hashchange", () => {
    const params = readHash(name);
    if (params) fn(params);
  });
}

/** An integer parameter clamped to lo…hi, or `fallback` when it is missing or not a number. */
export function hashInt(params, key, lo, hi, fallback) {
  const v = Number.parseInt(params.get(key) ?? "", 10);
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : fallback;
}

/**
 * Loads the run the URL hash named, or else the default one: `load()` first; when that fails and the
 * hash named a run (`hashed`), `loadDefaults()` puts the defaults back and loads them, and the first
 * failure's message stays in `errorBox`, so the learner sees why the link did not open. Resolves to
 * whether a run is shown.
 */
export async function loadOrDefaults(hashed, errorBox, load, loadDefaults) {
  if (await load()) return true;
  if (!hashed) return false;
  const msg = errorBox.textContent;
  const ok = await loadDefaults();
  showMessage(errorBox, msg);
  return ok;
}
