// Quiz page enhancement. Without it the page works: ordering questions use a "n 番目" select per item, and
// a post with unanswered questions comes back from the server with a summary to confirm. With it:
// - each ordering list gets ↑/↓ buttons (keyboard-usable) and a "この順番で答える" button; until the learner
//   moves an item or accepts the order, its selects stay at "—", so an untouched ordering is unanswered;
// - each question gets a "確認" button: the server grades that question alone and its feedback appears at
//   once (the first answer checked is the one that counts, kept on the server);
// - "1 問ずつ" shows one question at a time, check then next, as Khan Academy does;
// - before sending, unanswered questions are listed and the learner decides (Moodle's summary);
// - the time spent on each question is measured from focus and input, sent in the hidden t.<id> field.

export function mount(form) {
  const lists = form.querySelectorAll("[data-order]");
  for (const list of lists) enhanceOrder(list);
  // The page's instructions name the selects, which are out of sight now.
  const hint = document.querySelector("[data-order-hint]");
  if (hint && lists.length) {
    hint.textContent = t(
      "並べ替えは、項目を ↑↓ で動かすと回答になります。最初の順番のままでよければ「この順番で答える」を押してください。",
      "An ordering counts as answered once you move an item with ↑↓, or press “Answer with this order” to keep the order shown.",
    );
  }
  for (const q of form.querySelectorAll("[data-question]")) addCheck(form, q);
  oneAtATime(form);
  confirmUnanswered(form);
  trackTime(form);
}

// The page's language is the course's (English notes get English pages).
const english = document.documentElement.lang === "en";
const t = (ja, en) => (english ? en : ja);

// Children as given, without the empty values a `cond ? node : null` leaves (append would print "null").
const kids = (list) => list.filter((c) => c !== null && c !== undefined && c !== false);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  node.append(...kids(children));
  return node;
}

const fill = (node, ...children) => node.replaceChildren(...kids(children));

function enhanceOrder(list) {
  list.classList.add("is-enhanced");
  const selects = () => [...list.querySelectorAll("select")];
  // The selects stay in the form (they are what is posted) but out of sight: the buttons set them, so
  // Tab skips them and screen readers hear the item and its buttons instead.
  for (const s of selects()) {
    s.tabIndex = -1;
    s.setAttribute("aria-hidden", "true");
  }
  const how = list.closest("fieldset")?.querySelector("[data-order-how]");
  if (how) how.textContent = t("（正しい順に並べる）", "(put them in the right order)");
  // A form sent back for confirmation may carry positions already: show them in that order.
  const given = selects().map((s) => Number(s.value) || 0);
  const complete = given.every((p) => p > 0) && new Set(given).size === given.length;
  if (complete) {
    const items = [...list.children];
    items.sort((a, b) => Number(a.querySelector("select").value) - Number(b.querySelector("select").value));
    list.append(...items);
  }
  list.dataset.answered = complete ? "1" : "";
  const status = el("p", { class: "order-status", "aria-live": "polite" });
  const accept = el("button", { type: "button", class: "order-accept", "data-order-accept": "" });
  accept.textContent = t("この順番で答える", "Answer with this order");
  const sync = () => {
    const answered = list.dataset.answered === "1";
    [...list.children].forEach((item, i) => {
      const select = item.querySelector("select");
      if (select) select.value = answered ? String(i + 1) : "";
      const up = item.querySelector("[data-move=up]");
      const down = item.querySelector("[data-move=down]");
      if (up) up.disabled = i === 0;
      if (down) down.disabled = i === list.children.length - 1;
    });
    status.textContent = answered
      ? t("回答済み: この順番で採点します。", "Answered: this order will be graded.")
      : t("未回答: 項目を動かすか「この順番で答える」を押すと回答になります。", "Unanswered: move an item, or press “Answer with this order”.");
    status.classList.toggle("is-answered", answered);
    accept.hidden = answered;
  };
  accept.addEventListener("click", () => {
    list.dataset.answered = "1";
    sync();
    // The button goes away: focus stays in the list, on its first move button.
    list.querySelector("[data-move]:not(:disabled)")?.focus();
    list.dispatchEvent(new Event("input", { bubbles: true }));
  });
  for (const item of list.children) {
    const text = item.querySelector(".order-text")?.textContent ?? "";
    const controls = el("span", { class: "order-controls" });
    for (const [dir, label, symbol] of english
      ? [["up", "up", "↑"], ["down", "down", "↓"]]
      : [["up", "上へ", "↑"], ["down", "下へ", "↓"]]) {
      const button = el("button", { type: "button", "data-move": dir, "aria-label": english ? `Move “${text}” ${label}` : `「${text}」を${label}` });
      button.textContent = symbol;
      button.addEventListener("click", () => {
        const sibling = dir === "up" ? item.previousElementSibling : item.nextElementSibling;
        if (!sibling) return;
        if (dir === "up") list.insertBefore(item, sibling);
        else list.insertBefore(sibling, item);
        list.dataset.answered = "1";
        sync();
        button.disabled ? item.querySelector("button:not(:disabled)")?.focus() : button.focus();
        const position = [...list.children].indexOf(item) + 1;
        announce(list, english ? `Moved “${text}” to position ${position}` : `「${text}」を ${position} 番目に移動しました`);
        list.dispatchEvent(new Event("input", { bubbles: true }));
      });
      controls.append(button);
    }
    item.append(controls);
  }
  list.after(status, accept);
  sync();
}

function announce(list, message) {
  let live = list.parentElement.querySelector("[data-order-live]");
  if (!live) {
    live = el("p", { class: "visually-hidden", "aria-live": "polite", "data-order-live": "" });
    list.after(live);
  }
  live.textContent = message;
}

// Whether a question has an answer on the page (a checked one has its answer kept on the server).
function answered(q) {
  if (q.dataset.checked === "1") return true;
  const kind = q.dataset.kind;
  if (kind === "single" || kind === "multiple") return !!q.querySelector("input:checked");
  if (kind === "order") return q.querySelector("[data-order]")?.dataset.answered === "1";
  const input = q.querySelector("input[type=text]");
  return !!input && input.value.trim() !== "";
}

// ---- 確認: one question graded at once
function addCheck(form, q) {
  const url = form.dataset.check;
  if (!url) return;
  const fieldset = q.querySelector("fieldset");
  const bar = el("p", { class: "check-bar" });
  const button = el("button", { type: "button", class: "check-button", "data-check-question": q.dataset.question });
  button.textContent = t("確認", "Check");
  const msg = el("span", { class: "check-msg", role: "status" });
  const feedback = el("div", { class: "check-feedback", "aria-live": "polite", tabindex: "-1", hidden: true });
  bar.append(button, " ", msg);
  fieldset.append(bar, feedback);
  button.addEventListener("click", async () => {
    if (!answered(q)) {
      msg.textContent = t("答えを選ぶか入力してから「確認」を押してください。", "Choose or type an answer first.");
      return;
    }
    const body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    body.set("token", form.elements.token.value);
    body.set("q", q.dataset.question);
    for (const input of q.querySelectorAll("input[name], select[name]")) {
      if (!/^[ao]\./.test(input.name)) continue;
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) continue;
      body.append(input.name, input.value);
    }
    button.disabled = true;
    msg.textContent = t("採点中…", "Grading…");
    let res, j;
    try {
      res = await fetch(url, { method: "POST", headers: { accept: "application/json" }, body });
      j = await res.json().catch(() => null);
    } catch {
      j = null;
    }
    if (!res || !res.ok || !j || j.error) {
      button.disabled = false;
      msg.textContent = (j && j.error) || t("確認できませんでした。もう一度お試しください。", "The check failed. Try again.");
      return;
    }
    msg.textContent = "";
    showFeedback(q, feedback, j);
    // Checked: the kept answer is the one graded, so the inputs are done.
    q.dataset.checked = "1";
    for (const input of q.querySelectorAll("input:not([type=hidden]), select, [data-move], [data-order-accept]")) input.disabled = true;
    button.hidden = true;
    q.dispatchEvent(new CustomEvent("quiz:checked", { bubbles: true }));
    feedback.focus({ preventScroll: true });
  });
}

function showFeedback(q, box, j) {
  const state = j.correct ? "is-correct" : j.credit > 0 ? "is-partial" : "is-wrong";
  const verdict = j.correct ? t("✓ 正解", "✓ Correct") : j.credit > 0 ? t("△ 部分正解", "△ Partly right") : t("✗ 不正解", "✗ Wrong");
  const rows = [
    [t("あなたの答え", "Your answer"), j.given],
    j.correct ? null : [t("正解", "Right answer"), j.expected],
    j.rule ? [t("得点", "Credit"), `${t(`1 点中 ${j.credit}%`, `${j.credit}% of the point`)}`] : null,
  ].filter(Boolean);
  const dl = el("dl", { class: "result-detail" });
  for (const [k, v] of rows) dl.append(el("dt", { text: k }), el("dd", { text: v }));
  if (j.why_wrong.length) {
    const ul = el("ul");
    for (const w of j.why_wrong) ul.append(el("li", { text: w }));
    dl.append(el("dt", { text: t("どこが違うか", "What is wrong") }), el("dd", {}, ul));
  }
  dl.append(el("dt", { text: t("解説", "Explanation") }), el("dd", { text: j.explanation }, " ", el("span", { class: "source", text: t("出典: ", "Source: ") + j.source })));
  box.className = `check-feedback result-item ${state}`;
  fill(box,
    el("p", { class: "result-head" }, el("strong", { class: "mark", text: verdict })),
    j.note ? el("p", { class: "notice", text: j.note }) : null,
    dl,
    el("p", {}, el("a", { href: j.notes_href, text: t("ノートのこの箇所を読む", "Read this part of the notes") })),
  );
  box.hidden = false;
}

// ---- 1 問ずつ: one question on screen at a time
function oneAtATime(form) {
  const questions = [...form.querySelectorAll("[data-question]")];
  if (questions.length < 2 || !form.dataset.check) return;
  const toggle = el("button", { type: "button", class: "one-toggle", "aria-pressed": "false" });
  toggle.textContent = t("1 問ずつ解く（確認しながら）", "One question at a time (check as you go)");
  const nav = el("p", { class: "one-nav", hidden: true });
  const prev = el("button", { type: "button", "data-one": "prev" });
  prev.textContent = t("← 前の問題", "← Previous");
  const next = el("button", { type: "button", "data-one": "next" });
  next.textContent = t("次の問題 →", "Next →");
  const where = el("span", { class: "one-where", "aria-live": "polite" });
  nav.append(prev, " ", where, " ", next);
  form.before(el("p", { class: "one-bar" }, toggle));
  form.querySelector(".questions").after(nav);
  let at = 0;
  const show = (focus) => {
    const on = toggle.getAttribute("aria-pressed") === "true";
    form.classList.toggle("one-at-a-time", on);
    nav.hidden = !on;
    questions.forEach((q, i) => q.classList.toggle("is-current", i === at));
    prev.disabled = at === 0;
    next.disabled = at === questions.length - 1;
    where.textContent = t(`${questions.length} 問中 ${at + 1} 問目`, `Question ${at + 1} of ${questions.length}`);
    if (on && focus) questions[at].querySelector("legend")?.scrollIntoView({ block: "nearest" });
  };
  toggle.addEventListener("click", () => {
    toggle.setAttribute("aria-pressed", String(toggle.getAttribute("aria-pressed") !== "true"));
    show(true);
  });
  // Another part of the page (the unanswered summary) asks for a question: show that one.
  form.addEventListener("quiz:show", (event) => {
    const i = questions.indexOf(event.detail);
    if (i >= 0) (at = i), show(false);
  });
  prev.addEventListener("click", () => ((at = Math.max(0, at - 1)), show(true)));
  next.addEventListener("click", () => ((at = Math.min(questions.length - 1, at + 1)), show(true)));
  show(false);
}

// ---- the summary before sending
function confirmUnanswered(form) {
  const box = el("div", { class: "unanswered-summary notice", role: "alertdialog", "aria-labelledby": "unanswered-js-title", tabindex: "-1", hidden: true });
  form.querySelector(".quiz-submit")?.before(box);
  form.addEventListener("submit", (event) => {
    if (event.submitter?.name === "confirm_blank" || form.dataset.confirmed === "1") return;
    const questions = [...form.querySelectorAll("[data-question]")];
    const missing = questions.filter((q) => !answered(q));
    for (const q of questions) q.classList.toggle("is-unanswered", missing.includes(q));
    if (!missing.length) return;
    event.preventDefault();
    // A question hidden by "1 問ずつ" is brought on screen before the link scrolls to it.
    const reveal = (q) => form.dispatchEvent(new CustomEvent("quiz:show", { detail: q }));
    const links = missing.flatMap((q, i) => {
      const a = el("a", { href: `#${q.id}`, text: `${t("問 ", "Q")}${q.dataset.number}` });
      a.addEventListener("click", () => reveal(q));
      return [i ? t("、", ", ") : "", a];
    });
    const all = missing.length === questions.length;
    // The review loop asks one question: nothing to list, only to answer.
    const single = questions.length === 1;
    const back = el("button", { type: "button", "data-unanswered": "back" });
    back.textContent = t("戻って答える", "Go back and answer");
    back.addEventListener("click", () => {
      box.hidden = true;
      const first = missing[0];
      reveal(first);
      first.querySelector("input:not([type=hidden]):not(:disabled), select:not([tabindex='-1']), button:not(:disabled):not([hidden])")?.focus();
    });
    const anyway = el("button", { type: "button", class: "primary", "data-unanswered": "submit" });
    anyway.textContent = t("未回答のまま採点する", "Grade it as it is");
    anyway.addEventListener("click", () => {
      form.dataset.confirmed = "1";
      if (!form.querySelector("input[name=confirm_blank]")) form.append(el("input", { type: "hidden", name: "confirm_blank", value: "1" }));
      form.requestSubmit();
    });
    fill(box,
      el("h2", { id: "unanswered-js-title", text: single ? t("まだ答えていません", "Not answered yet") : all ? t("まだ 1 問も答えていません", "Nothing is answered yet") : t("未回答の問題があります", "Some questions are unanswered") }),
      single ? null : el("p", {}, t(`${questions.length} 問中 ${missing.length} 問に答えがありません: `, `${missing.length} of ${questions.length} questions have no answer: `), ...links),
      all
        ? el("p", { text: single ? t("答えを選ぶか入力してから、もう一度押してください。", "Choose or type an answer, then press the button again.") : t("答えてから採点してください。", "Answer something, then check.") })
        : el("p", { text: t("未回答の問題は 0 点になります。", "An unanswered question earns 0.") }),
      el("p", { class: "actions" }, back, all ? null : " ", all ? null : anyway),
    );
    box.hidden = false;
    box.focus();
  });
}

function trackTime(form) {
  const spent = new Map();
  let current = null;
  let since = performance.now();
  const switchTo = (question) => {
    const now = performance.now();
    if (current) spent.set(current, (spent.get(current) ?? 0) + (now - since));
    current = question;
    since = now;
  };
  form.addEventListener("focusin", (e) => switchTo(e.target.closest("[data-question]")));
  form.addEventListener("input", (e) => {
    const q = e.target.closest("[data-question]");
    if (q !== current) switchTo(q);
  });
  form.addEventListener("submit", () => {
    switchTo(null);
    for (const q of form.querySelectorAll("[data-question]")) {
      const field = q.querySelector("[data-time]");
      if (field && spent.has(q)) field.value = String(Math.round(spent.get(q)));
    }
  });
}
