// fetch for the widget API: JSON in and out, and every failure as an Error whose message is Japanese and
// can be shown as it is (the server's own `error` when it sent one).

import { showMessage } from "./dom.js";

const OFFLINE = "サーバーに接続できませんでした。通信を確かめて、もう一度お試しください。";

async function request(url, init) {
  let res;
  try {
    res = await fetch(url, { ...init, headers: { accept: "application/json", ...init.headers } });
  } catch {
    throw new Error(OFFLINE);
  }
  const body = await res.json().catch(() => null);
  if (!res.ok || body === null) {
    throw new Error((body && body.error) || `サーバーがエラーを返しました（HTTP ${res.status}）。`);
  }
  return body;
}

/** GET `url` and its JSON. */
export const getJSON = (url) => request(url, {});

/**
 * POST `body` as JSON and read the JSON answer. A string is sent as it is: a u64 seed written into it
 * by hand stays exact, where JSON.stringify would round it to a double.
 */
export const postJSON = (url, body) =>
  request(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

/**
 * GET a widget's run from `url` so that the latest call wins. `st.req` counts the calls (a check in
 * flight compares it too, to drop an answer for a run no longer shown); `root`'s data-state is
 * "loading", and after a failure "ready" while an older run (`st.data`) is still drawn, else "error";
 * the failure's message shows in `errorBox`, cleared on success. Resolves to the JSON, or null when
 * the call failed or a later one overtook it.
 */
export async function fetchLatest(st, root, errorBox, url) {
  const id = ++st.req;
  root.dataset.state = "loading";
  let data;
  try {
    data = await getJSON(url);
  } catch (e) {
    if (id !== st.req) return null;
    showMessage(errorBox, e.message);
    root.dataset.state = st.data ? "ready" : "error";
    return null;
  }
  if (id !== st.req) return null;
  showMessage(errorBox, "");
  return data;
}
