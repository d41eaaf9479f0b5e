// fetch for the widget API: JSON in and out, and every failure as an Error whose message is Japanese and
// can be shown as it is (the server's own `error` when it sent one).

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
