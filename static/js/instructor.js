// infra-dojo instructor overview: keeps the live panel ("いまの回答状況", "Live answers") current by polling live.json every 5 s
// while the tab is visible. Without this script the panel shows the counts at page load and a reload link.

const POLL_MS = 5000;
// The course's language, as the page says it (the server writes the summaries in it already).
const english = document.documentElement.lang === "en";
/** One phrase in the course's language. */
const pick = (ja, en) => (english ? en : ja);
/** A count with its Japanese counter word ("3 人"); the bare number in English, as the page has it. */
const count = (n, counter) => (english ? `${n}` : `${n}${counter}`);
const panel = document.querySelector("[data-live-url]");

if (panel) {
  const url = panel.dataset.liveUrl;
  const summary = panel.querySelector("[data-live-summary]");
  const updated = panel.querySelector("[data-live-updated]");
  const questions = panel.querySelector("[data-live-questions]");
  const topics = panel.querySelector("[data-live-topics]");
  const auto = panel.querySelector("[data-live-auto]");
  const restart = panel.querySelector("[data-live-restart]");
  const rolling = panel.querySelector("[data-live-window]");
  // null: the rolling last 10 minutes; a number: count from that server time on.
  let since = null;
  let lastServerTime = Number(panel.dataset.since) || null;
  let timer = null;
  let previous = new Map();
  // Each poll's number: a response that comes back after a newer poll was sent (a slow rolling-window poll
  // finishing after "count from now") is dropped instead of overwriting the newer answer.
  let polls = 0;

  const cell = (text, className) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  };

  const render = (data) => {
    lastServerTime = data.server_time;
    summary.textContent = data.summary;
    updated.textContent = data.updated;
    const seen = new Map();
    const qRows = data.questions.map((q) => {
      const tr = document.createElement("tr");
      tr.dataset.question = q.question_id;
      tr.append(cell(q.topic_title), cell(q.label), cell(count(q.attempted, " 人"), "num"), cell(count(q.correct, " 人"), "num"));
      const key = `${q.attempted}/${q.correct}`;
      if (previous.size > 0 && previous.get(q.question_id) !== key) tr.classList.add("is-new");
      seen.set(q.question_id, key);
      return tr;
    });
    questions.replaceChildren(...qRows);
    previous = seen;
    topics.replaceChildren(
      ...data.topics.map((t) => {
        const tr = document.createElement("tr");
        tr.dataset.topic = t.topic;
        tr.append(cell(t.title), cell(count(t.learners, " 人"), "num"), cell(count(t.attempts, " 回"), "num"), cell(count(`${t.correct} / ${t.answers}`, " 問"), "num"));
        return tr;
      }),
    );
  };

  const poll = async () => {
    const target = since === null ? url : `${url}?since=${since}`;
    const mine = ++polls;
    try {
      const response = await fetch(target, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (mine !== polls) return;
      // An expired session is redirected to the login page, which is not JSON: say so and stop asking.
      if (response.redirected || !(response.headers.get("Content-Type") || "").includes("application/json")) {
        auto.textContent = pick(
          "ログインの期限が切れたため、自動更新を止めました。再読み込みしてください。",
          "Your session expired, so automatic updates stopped. Reload the page.",
        );
        stop();
        return;
      }
      if (!response.ok) {
        auto.textContent = pick(
          `自動更新に失敗しました（${response.status}）。再読み込みしてください。`,
          `Automatic update failed (${response.status}). Reload the page.`,
        );
        return;
      }
      const data = await response.json();
      if (mine !== polls) return;
      render(data);
      auto.textContent = pick("5 秒ごとに自動で更新しています。", "Updating automatically every 5 seconds.");
    } catch {
      auto.textContent = pick(
        "サーバーに接続できません。しばらくして再読み込みしてください。",
        "Cannot reach the server. Reload the page in a moment.",
      );
    }
  };

  const start = () => {
    if (timer === null) timer = window.setInterval(poll, POLL_MS);
  };
  const stop = () => {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
  };

  // A hidden tab costs the server nothing: stop, and catch up at once when it shows again.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      stop();
    } else {
      poll();
      start();
    }
  });

  restart.addEventListener("click", () => {
    // The server counts in whole seconds (answers at or after `since`): from the second after the last
    // update, so an answer already shown, made in that update's second, is not counted again.
    since = lastServerTime === null ? null : lastServerTime + 1;
    rolling.hidden = false;
    poll();
  });
  rolling.addEventListener("click", () => {
    since = null;
    rolling.hidden = true;
    poll();
  });

  auto.hidden = false;
  restart.hidden = false;
  panel.dataset.liveActive = "true";
  if (!document.hidden) start();
}
