// sched widget (W7): process states on a multicore machine. Turns the server-rendered tables into a
// diagram with one run queue per CPU (the notes draw a single queue), the tasks that sleep (S), wait for
// the disk (D), are stopped (T) or are zombies (Z), `ps` as it would print, and the count the load average
// takes (R + D). The Rust model is the truth: every scenario comes from /api/widgets/sched and every
// prediction is graded there. In predict mode nothing after the asked step is in the DOM: not the
// diagram, not the event list, not the static tables (they are taken out until the mode ends).

import { foldStatic, h, predictToggle, s, setPressed, showMessage, staticWhilePredicting } from "./lib/dom.js";
import { fetchLatest, postJSON } from "./lib/fetch.js";
import { hashInt, loadOrDefaults, onHashChange, readHash, writeHash } from "./lib/hash.js";
import { reducedMotion } from "./lib/motion.js";
import { stepper } from "./lib/stepper.js";

const NAME = "sched";
const FALLBACK = [
  ["lifecycle", "1 つのタスクの一生（R・S・D・T・Z）"],
  ["balance", "CPU ごとのキューとロードバランシング"],
  ["load", "ロードアベレージが数えるもの"],
];
const FIELDS = {
  stat: "タスクの状態（ps の STAT）",
  running: "同時に実行中のタスク数",
  load: "ロードアベレージが数えるタスク数（R + D）",
};
const STATS = [
  ["R", "R（実行中または実行可能）"],
  ["S", "S（割り込み可能なスリープ）"],
  ["D", "D（割り込み不可能なスリープ）"],
  ["T", "T（停止）"],
  ["Z", "Z（ゾンビ）"],
  ["-", "-（回収済み・ps に出ない）"],
];
const OFF_CPU = [
  ["S", "S 眠り"],
  ["D", "D I/O待ち"],
  ["T", "T 停止"],
  ["Z", "Z ゾンビ"],
];

// Diagram geometry (viewBox units). 14-unit text stays ≥ 12 px down to a 292 px wide box (a 360 px phone).
const W = 340, LABEL_W = 50, RUN_X = 58, CHIP_W = 60, Q_X = 126, Q_W = 48, GAP = 4, PER_ROW = 4;
const CHIP_H = 38, LANE_PAD = 6, TOP = 26;

export function mount(section) {
  const root = section.querySelector("[data-widget-root]");
  const api = section.dataset.api;
  if (!root || !api) throw new Error("sched: no [data-widget-root] or data-api");
  // One widget on two pages: ids carry the section's id, so they stay unique on either page.
  const uid = section.id || NAME;
  const st = { scenario: "lifecycle", cpus: 2, tasks: 5, step: 0, predict: false, data: null, feedback: null, field: "stat", req: 0 };
  let touched = false;

  const staticBox = section.querySelector("[data-widget-static]");
  let scenarios = staticBox
    ? [...staticBox.querySelectorAll("[data-scenario]")].map((d) => [d.dataset.scenario, (d.querySelector("summary")?.textContent || d.dataset.scenario).trim()])
    : [];
  if (!scenarios.length) scenarios = FALLBACK;

  // ---- controls
  const scenarioSel = h("select", { id: `${uid}-scenario`, class: "sched-scenario" },
    scenarios.map(([v, t]) => h("option", { value: v, text: t })));
  const cpusSel = h("select", { id: `${uid}-cpus`, class: "sched-cpus-select" },
    [1, 2, 3, 4].map((n) => h("option", { value: String(n), text: `${n} 個` })));
  const tasksSel = h("select", { id: `${uid}-tasks`, class: "sched-tasks-select" },
    [1, 2, 3, 4, 5, 6, 7, 8].map((n) => h("option", { value: String(n), text: `${n} 個` })));
  const tasksField = h("label", { class: "sched-field", for: `${uid}-tasks` }, h("span", { text: "計算タスク" }), tasksSel);
  const predictBtn = predictToggle("sched-predict-toggle");
  const toolbar = h("div", { class: "sched-toolbar widget-controls" },
    h("label", { class: "sched-field sched-field-wide", for: `${uid}-scenario` }, h("span", { text: "シナリオ" }), scenarioSel),
    h("label", { class: "sched-field", for: `${uid}-cpus` }, h("span", { text: "CPU" }), cpusSel),
    tasksField, predictBtn);

  const controls = stepper(section, {
    position: () => st.data && { step: st.step, first: 0, last: st.data.steps.length },
    go: (k) => go(k),
    touch: () => (touched = true),
    interval: 2200,
    canPlay: () => !st.predict,
    counter: (pos) => `ステップ ${pos.step} / ${pos.last}`,
  });

  const counts = h("p", { class: "sched-counts", "aria-live": "off" });
  const svg = s("svg", { class: "sched-svg", role: "img", "aria-labelledby": `${uid}-svg-title`, preserveAspectRatio: "xMidYMin meet" });
  const figure = h("figure", { class: "sched-fig" }, svg,
    h("figcaption", { text: "CPU ごとに実行中のタスク（濃い色）と、その CPU の実行待ちキュー（→ の右）。メモの図と違い、キューは CPU の数だけあります。" }));
  const psBox = h("div", { class: "sched-ps table-scroll", tabindex: "0" });
  const detail = h("div", { class: "sched-detail" });
  const predictBox = h("div", { class: "sched-predict", hidden: true });
  const feedbackBox = h("div", { class: "sched-feedback", hidden: true });
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const error = h("p", { class: "widget-error", role: "alert", hidden: true });
  const list = h("ol", { class: "sched-steps-list", start: "0" });
  const listBox = h("details", { class: "sched-list-box" }, h("summary", { text: "出来事の一覧（クリックでその段へ）" }), list);
  const main = h("div", { class: "sched-main" }, figure, h("div", { class: "sched-side" }, psBox, feedbackBox, predictBox, detail));
  root.replaceChildren(h("div", { class: "sched" }, toolbar, error, controls.el, counts, main, live, listBox));
  root.dataset.state = "loading";

  // The lab's real records below the widget leave with the tables: they show the states too.
  const hideStatic = staticWhilePredicting(foldStatic(staticBox, "sched-tables", "表で見る（CPU 2 個）"));

  // ---- hash
  function fromHash(p) {
    if (!p) return false;
    if (p.has("scenario")) st.scenario = p.get("scenario");
    st.cpus = hashInt(p, "cpus", 1, 4, st.cpus);
    st.tasks = hashInt(p, "tasks", 1, 8, st.tasks);
    st.step = hashInt(p, "step", 0, 99, 0);
    st.predict = p.get("predict") === "1";
    return true;
  }
  function saveHash() {
    if (!touched) return;
    writeHash(NAME, { scenario: st.scenario, cpus: st.cpus, tasks: st.scenario === "balance" && st.tasks, step: st.step, predict: st.predict && "1" });
  }

  // ---- data
  async function load({ keepStep = false } = {}) {
    const q = new URLSearchParams({ scenario: st.scenario, cpus: String(st.cpus), tasks: String(st.tasks) });
    const data = await fetchLatest(st, root, error, `${api}?${q}`);
    if (!data) return false;
    st.data = data;
    st.step = keepStep ? Math.min(Math.max(st.step, 0), data.steps.length) : 0;
    st.feedback = null;
    render();
    root.dataset.state = "ready";
    return true;
  }

  function go(k) {
    if (!st.data) return;
    const n = st.data.steps.length;
    k = Math.min(Math.max(k, 0), n);
    // Predict mode never skips past the question: the next step comes from the check (or 答えを見る).
    if (st.predict && k > st.step + 1) k = st.step + 1;
    if (k !== st.step && st.feedback && st.feedback.step !== k - 1) st.feedback = null;
    st.step = k;
    render();
    announce();
    saveHash();
  }

  // ---- what the machine looks like after k steps
  function at(k) {
    const d = st.data;
    if (k === 0) return { tasks: d.initial_tasks, cpus: d.initial_cpus, running: d.initial_running, load: d.initial_load, pulls: [] };
    return d.steps[k - 1];
  }
  const countOf = (m, letter) => m.tasks.filter((t) => t.stat === letter).length;
  const taskName = (m, pid) => {
    const t = m.tasks.find((x) => x.pid === pid);
    return t ? `${t.comm} (PID ${pid})` : `PID ${pid}`;
  };

  function announce(prefix = "") {
    if (!st.data) return;
    const m = at(st.step);
    const what = st.step === 0 ? "開始時" : `ステップ ${st.step}: ${m.event}`;
    live.textContent = `${prefix}${what}。実行中 ${m.running}、R + D = ${m.load}。`;
  }

  function render() {
    const d = st.data;
    if (!d) return;
    scenarioSel.value = st.scenario;
    cpusSel.value = String(st.cpus);
    tasksSel.value = String(st.tasks);
    tasksField.hidden = st.scenario !== "balance";
    setPressed(predictBtn, st.predict);
    setStaticShown(!st.predict);
    controls.update();
    root.dataset.step = String(st.step);
    const m = at(st.step);
    const prev = st.step > 0 ? at(st.step - 1) : null;
    const r = countOf(m, "R"), dd = countOf(m, "D");
    counts.replaceChildren(
      h("span", { class: "sched-count", "data-sched-running": String(m.running) }, `実行中 ${m.running} / CPU ${d.cpus} 個`),
      h("span", { class: "sched-count", "data-sched-load": String(m.load) }, "uptime が数える数 ", h("strong", { text: `R ${r} + D ${dd} = ${m.load}` })));
    drawSvg(m, prev);
    drawPs(m, prev);
    drawDetail(m);
    drawPredict();
    drawFeedback();
    drawList();
  }

  function changedPids(m, prev) {
    const out = new Set();
    if (!prev) return out;
    for (const t of m.tasks) {
      const p = prev.tasks.find((x) => x.pid === t.pid);
      if (!p || p.stat !== t.stat || p.cpu !== t.cpu) out.add(t.pid);
    }
    for (const c of m.cpus) if (c.current !== prev.cpus[c.id]?.current && c.current !== null) out.add(c.current);
    return out;
  }

  function chip(x, y, w, t, cls, changed) {
    return s("g", { class: `sched-chip ${cls}${changed ? " sched-changed" : ""}`, "data-pid": String(t.pid), "data-stat": t.stat },
      s("rect", { x, y, width: w, height: CHIP_H, rx: 6 }),
      s("text", { x: x + w / 2, y: y + 16, "text-anchor": "middle", class: "sched-comm", text: t.comm }),
      s("text", { x: x + w / 2, y: y + 32, "text-anchor": "middle", class: "sched-pid", text: String(t.pid) }));
  }

  function drawSvg(m, prev) {
    const changed = changedPids(m, prev);
    const byPid = (pid) => m.tasks.find((t) => t.pid === pid);
    const parts = [
      s("title", { id: `${uid}-svg-title`, text: `CPU ${m.cpus.length} 個、実行中 ${m.running}、R + D = ${m.load}` }),
      s("text", { x: 2, y: 16, class: "sched-head", text: "CPU" }),
      s("text", { x: RUN_X, y: 16, class: "sched-head", text: "実行中" }),
      s("text", { x: Q_X, y: 16, class: "sched-head", text: "→ 実行待ちキュー" }),
    ];
    let y = TOP;
    for (const c of m.cpus) {
      const rows = Math.max(1, Math.ceil(c.queue.length / PER_ROW));
      const laneH = rows * (CHIP_H + GAP) - GAP + LANE_PAD * 2;
      const pulled = (m.pulls || []).some((p) => p.to === c.id);
      parts.push(s("g", { class: `sched-lane${pulled ? " sched-pulled" : ""}`, "data-cpu": String(c.id) },
        s("rect", { class: "sched-lane-bg", x: 0, y, width: W, height: laneH, rx: 6 }),
        s("text", { class: "sched-cpu", x: 6, y: y + LANE_PAD + 24, text: `CPU ${c.id}` })));
      const cy = y + LANE_PAD;
      if (c.current !== null) parts.push(chip(RUN_X, cy, CHIP_W, byPid(c.current), "sched-on", changed.has(c.current)));
      else parts.push(s("text", { class: "sched-idle", x: RUN_X + CHIP_W / 2, y: cy + 24, "text-anchor": "middle", text: "アイドル" }));
      c.queue.forEach((pid, i) => {
        const qx = Q_X + (i % PER_ROW) * (Q_W + GAP);
        const qy = cy + Math.floor(i / PER_ROW) * (CHIP_H + GAP);
        parts.push(chip(qx, qy, Q_W, byPid(pid), "sched-queued", changed.has(pid)));
      });
      for (const p of m.pulls || []) {
        if (p.to !== c.id) continue;
        parts.push(s("text", { class: "sched-pull-note", x: W - 4, y: y + laneH - 4, "text-anchor": "end", text: `← CPU ${p.from} から引き取り` }));
      }
      y += laneH + GAP;
    }
    y += 10;
    parts.push(s("text", { x: 2, y: y + 4, class: "sched-head", text: "CPU の外（キューにもいない）" }));
    y += 12;
    for (const [letter, label] of OFF_CPU) {
      const ts = m.tasks.filter((t) => t.stat === letter);
      // An empty row is a thin band: the states stay in view without taking the diagram's height.
      const rows = Math.ceil(ts.length / 4);
      const h0 = rows ? rows * (CHIP_H + GAP) - GAP + LANE_PAD * 2 : 26;
      parts.push(s("rect", { class: `sched-off sched-off-${letter}`, x: 0, y, width: W, height: h0, rx: 6 }),
        s("text", { class: "sched-off-label", x: 6, y: y + (rows ? LANE_PAD + 24 : 18), text: label }));
      ts.forEach((t, i) => {
        const x = RUN_X + 18 + (i % 4) * (CHIP_W + GAP);
        const cy = y + LANE_PAD + Math.floor(i / 4) * (CHIP_H + GAP);
        parts.push(chip(x, cy, CHIP_W, t, `sched-st-${letter}`, changed.has(t.pid)));
      });
      y += h0 + GAP;
    }
    svg.setAttribute("viewBox", `0 0 ${W} ${y}`);
    svg.replaceChildren(...parts);
    svg.classList.toggle("sched-animate", !reducedMotion());
  }

  function drawPs(m, prev) {
    const changed = changedPids(m, prev);
    const rows = m.tasks.filter((t) => t.stat !== "-").map((t) =>
      h("tr", { class: changed.has(t.pid) ? "sched-row-changed" : null, "data-pid": String(t.pid) },
        h("td", { text: String(t.pid) }),
        h("td", { class: "sched-stat", text: t.stat }),
        h("td", { text: t.cpu === null ? "-" : String(t.cpu) }),
        h("td", { text: t.comm }),
        h("td", { class: "sched-wait", text: t.waiting || "" })));
    psBox.replaceChildren(h("table", { class: "sched-ps-table" },
      h("caption", { text: "ps -o pid,stat,psr,comm（PSR はそのタスクの CPU）" }),
      h("thead", {}, h("tr", {}, ...["PID", "STAT", "PSR", "COMMAND", "待っているもの"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, rows)));
  }

  function drawDetail(m) {
    if (st.step === 0) {
      detail.replaceChildren(h("h3", { class: "sched-detail-title", text: "開始時" }),
        h("p", { text: "「次へ」か → キーで最初の出来事に進みます。" }));
      return;
    }
    detail.replaceChildren(
      h("h3", { class: "sched-detail-title", text: `ステップ ${st.step} / ${st.data.steps.length}` }),
      h("p", { class: "sched-event", text: m.event }),
      h("p", { class: "sched-explain", text: m.explain }),
      h("p", { class: "sched-source" }, "出典: ", h("cite", { text: m.source })));
  }

  function drawList() {
    const n = st.predict ? st.step : st.data.steps.length;
    const items = [h("li", { "data-step": "0" }, h("button", { type: "button", text: "開始時" }))];
    for (let i = 0; i < n; i++) {
      items.push(h("li", { "data-step": String(i + 1) }, h("button", { type: "button", text: st.data.steps[i].event })));
    }
    for (const li of items) {
      const b = li.firstChild;
      if (Number(li.dataset.step) === st.step) b.setAttribute("aria-current", "step");
    }
    list.replaceChildren(...items);
  }

  // The static tables hold every step: out of the page while a prediction is pending.
  function setStaticShown(shown) {
    hideStatic(!shown);
  }

  function drawPredict() {
    const d = st.data;
    const k = st.step;
    predictBox.hidden = !st.predict;
    if (!st.predict) return predictBox.replaceChildren();
    if (k >= d.steps.length) {
      return predictBox.replaceChildren(h("p", { text: "最後まで進みました。「最初」から、もう一度予想できます。" }));
    }
    const next = d.steps[k];
    const hadFocus = predictBox.contains(document.activeElement);
    const fieldSel = h("select", { class: "sched-pfield", "aria-label": "予想する項目" },
      Object.entries(FIELDS).map(([v, t]) => h("option", { value: v, text: t, selected: v === st.field })));
    fieldSel.addEventListener("change", () => {
      st.field = fieldSel.value;
      drawPredict();
    });
    const who = taskName(at(k), next.pid);
    const input = st.field === "stat"
      ? h("select", { class: "sched-answer", "aria-label": `${who} の STAT` }, h("option", { value: "", text: "STAT を選ぶ…" }),
          STATS.map(([v, t]) => h("option", { value: v, text: t })))
      : h("input", { class: "sched-answer", type: "number", min: "0", max: "99", inputmode: "numeric", "aria-label": FIELDS[st.field] });
    const msg = h("p", { class: "sched-pmsg", role: "status" });
    const form = h("form", { class: "sched-pform" }, fieldSel, input,
      h("button", { type: "submit", class: "primary", text: "答え合わせ" }),
      h("button", { type: "button", class: "sched-skip", text: "答えを見る" }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      check(k, st.field, next.pid, input.value, msg);
    });
    form.querySelector(".sched-skip").addEventListener("click", () => {
      touched = true;
      go(k + 1);
    });
    const ask = st.field === "stat" ? `この後、${who} の STAT は？` : st.field === "running" ? "この後、同時に実行中のタスクはいくつ？" : "この後、uptime が数える R + D はいくつ？";
    predictBox.replaceChildren(
      h("p", { class: "sched-q" }, h("strong", { text: `予想 ステップ ${k + 1}: ` }), `次の出来事は「${next.event}」。${ask}`),
      form, msg);
    if (hadFocus) input.focus({ preventScroll: true });
  }

  function drawFeedback() {
    const f = st.feedback;
    feedbackBox.hidden = !f;
    if (!f) return feedbackBox.replaceChildren();
    feedbackBox.className = `sched-feedback ${f.correct ? "sched-right" : "sched-wrong"}`;
    feedbackBox.replaceChildren(
      h("p", { class: "sched-verdict" }, h("strong", { text: f.correct ? "✓ 正解" : "✗ 不正解" }),
        ` ステップ ${f.step + 1} の${FIELDS[f.field]}: あなたの答え「${f.answer}」`,
        f.correct ? "" : h("span", {}, "、正しくは ", h("strong", { "data-sched-expected": "", text: f.expected }))),
      h("p", { class: "sched-source" }, "出典: ", h("cite", { text: f.source })));
  }

  async function check(k, field, pid, answer, msg) {
    touched = true;
    answer = String(answer).trim();
    if (!answer) {
      msg.textContent = field === "stat" ? "STAT を選んでください。" : "0〜99 の整数を入力してください。";
      return;
    }
    msg.textContent = "採点中…";
    const body = { scenario: st.scenario, cpus: st.cpus, tasks: st.tasks, step: k, field, answer };
    if (field === "stat") body.pid = pid;
    let j;
    try {
      j = await postJSON(`${api}/check`, body);
    } catch (e) {
      msg.textContent = e.message;
      return;
    }
    if (st.step !== k || !st.predict) return;
    st.feedback = { step: k, field, answer, correct: j.correct, expected: j.expected, source: j.source };
    go(k + 1);
    announce(j.correct ? "正解。" : `不正解。正しくは ${j.expected}。`);
  }

  // ---- events
  list.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-step]");
    if (!li) return;
    touched = true;
    controls.stop();
    go(Number(li.dataset.step));
  });
  const reload = async () => {
    touched = true;
    controls.stop();
    st.scenario = scenarioSel.value;
    st.cpus = Number(cpusSel.value);
    st.tasks = Number(tasksSel.value);
    st.step = 0;
    if (await load()) {
      announce();
      saveHash();
    }
  };
  for (const sel of [scenarioSel, cpusSel, tasksSel]) sel.addEventListener("change", reload);
  predictBtn.addEventListener("click", () => {
    touched = true;
    controls.stop();
    st.predict = !st.predict;
    st.feedback = null;
    render();
    saveHash();
  });
  onHashChange(NAME, async (p) => {
    fromHash(p);
    controls.stop();
    if (await load({ keepStep: true })) announce();
  });

  // ---- start
  const hashed = fromHash(readHash(NAME));
  (async () => {
    const ok = await loadOrDefaults(hashed, error, () => load({ keepStep: hashed }), () => {
      Object.assign(st, { scenario: "lifecycle", cpus: 2, tasks: 5, step: 0, predict: false });
      return load();
    });
    if (ok && hashed) section.scrollIntoView({ block: "start" });
  })();
}
