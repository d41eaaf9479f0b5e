// signals widget (W5): who gets a signal and what happens. Turns the server-rendered tables into a
// diagram of the shell's process groups (the foreground job, background jobs, bash), marks which processes
// a keystroke or `kill` reaches and what each does with it (terminate, core, stop, handler, ignore,
// pending), and shows signal(7)'s table with the current signal's row. The Rust model is the truth: every
// run comes from /api/widgets/signals and every prediction is graded there. In predict mode nothing after
// the asked step is in the DOM (diagram, event list, the static tables).

import { foldStatic, h, predictToggle, s, setPressed, showMessage, staticWhilePredicting } from "./lib/dom.js";
import { fetchLatest, postJSON } from "./lib/fetch.js";
import { hashInt, loadOrDefaults, onHashChange, readHash, writeHash } from "./lib/hash.js";
import { reducedMotion } from "./lib/motion.js";
import { stepper } from "./lib/stepper.js";

const NAME = "signals";
const SCENARIOS = [
  ["ctrl-c", "Ctrl-C とパイプライン"],
  ["ctrl-z", "Ctrl-Z・bg とジョブ制御"],
  ["ctrl-backslash", "Ctrl-\\（SIGQUIT）"],
  ["kill", "kill と kill -9"],
  ["stop-cont", "kill -STOP と kill -CONT"],
];
const HANDLERS = [
  ["default", "既定の動作のまま"],
  ["catch", "ハンドラで捕捉（ログを書いて続ける）"],
  ["ignore", "無視（SIG_IGN）"],
  ["block", "ブロック（sigprocmask、あとで解除）"],
];
const FATES = {
  terminated: "終了する（シグナルで）",
  core: "終了してコアダンプ",
  stopped: "停止する（T）",
  continued: "再開する",
  handled: "ハンドラが動き、処理を続ける",
  ignored: "無視して何も起きない",
  pending: "ブロック中で保留（pending）になる",
  exited: "自分で exit する",
  reaped: "親に回収される",
  unaffected: "届かない（影響なし）",
};
// The same fates, short enough for a 160-unit box in the diagram.
const SHORT = {
  terminated: "終了", core: "終了（コアダンプ）", stopped: "停止", continued: "再開", handled: "ハンドラが動く",
  ignored: "無視", pending: "保留（pending）", exited: "自分で exit", reaped: "回収される",
};
const LIFE = { running: "実行中", stopped: "停止（T）", zombie: "ゾンビ（Z）", gone: "回収済み" };
const ARCH = ["x86・ARM", "Alpha・SPARC", "MIPS", "PA-RISC"];
const ACTIONS = { term: "Term 終了", core: "Core 終了＋コア", ign: "Ign 無視", stop: "Stop 停止", cont: "Cont 再開" };

// Diagram geometry (viewBox units). All text is 14 units: ≥ 12 px in a 292 px wide box (a 360 px phone).
const W = 340, CHIP_W = 160, CHIP_H = 84, GAP = 8, HEAD = 24, PAD = 6;

export function mount(section) {
  const root = section.querySelector("[data-widget-root]");
  const api = section.dataset.api;
  if (!root || !api) throw new Error("signals: no [data-widget-root] or data-api");
  const uid = section.id || NAME;
  const st = { scenario: "ctrl-c", handler: "default", step: 0, predict: false, data: null, feedback: null, field: "fate", pid: null, req: 0 };
  let touched = false;

  const scenarioSel = h("select", { id: `${uid}-scenario`, class: "sig-scenario" }, SCENARIOS.map(([v, t]) => h("option", { value: v, text: t })));
  const handlerSel = h("select", { id: `${uid}-handler`, class: "sig-handler" }, HANDLERS.map(([v, t]) => h("option", { value: v, text: t })));
  const handlerLabel = h("span", { text: "grep の SIGINT" });
  const predictBtn = predictToggle("sig-predict-toggle");
  const toolbar = h("div", { class: "sig-toolbar widget-controls" },
    h("label", { class: "sig-field sig-field-wide", for: `${uid}-scenario` }, h("span", { text: "シナリオ" }), scenarioSel),
    h("label", { class: "sig-field sig-field-wide", for: `${uid}-handler` }, handlerLabel, handlerSel),
    predictBtn);
  const controls = stepper(section, {
    position: () => st.data && { step: st.step, first: 0, last: st.data.steps.length },
    go: (k) => go(k),
    touch: () => (touched = true),
    interval: 2400,
    canPlay: () => !st.predict,
    counter: (pos) => `ステップ ${pos.step} / ${pos.last}`,
  });
  const svg = s("svg", { class: "sig-svg", role: "img", "aria-labelledby": `${uid}-svg-title`, preserveAspectRatio: "xMidYMin meet" });
  const figure = h("figure", { class: "sig-fig" }, svg,
    h("figcaption", { text: "枠は 1 つのプロセスグループ（ジョブ）。⚡ はこのステップでシグナルが届いたプロセスです。" }));
  const tableBox = h("div", { class: "sig-table-box table-scroll", tabindex: "0" });
  const detail = h("div", { class: "sig-detail" });
  const predictBox = h("div", { class: "sig-predict", hidden: true });
  const feedbackBox = h("div", { class: "sig-feedback", hidden: true });
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const error = h("p", { class: "widget-error", role: "alert", hidden: true });
  const list = h("ol", { class: "sig-steps-list", start: "0" });
  const listBox = h("details", { class: "sig-list-box" }, h("summary", { text: "操作の一覧（クリックでその段へ）" }), list);
  const main = h("div", { class: "sig-main" }, figure, h("div", { class: "sig-side" }, feedbackBox, predictBox, detail));
  // The table needs the full width: nine columns.
  root.replaceChildren(h("div", { class: "sig" }, toolbar, error, controls.el, main, tableBox, live, listBox));
  root.dataset.state = "loading";

  const staticBox = section.querySelector("[data-widget-static]");
  // The lab's real records below the widget leave with the tables: they show every fate too.
  const hideStatic = staticWhilePredicting(foldStatic(staticBox, "sig-tables", "表で見る（すべてのシナリオ）"));

  function fromHash(p) {
    if (!p) return false;
    if (p.has("scenario")) st.scenario = p.get("scenario");
    if (p.has("handler")) st.handler = p.get("handler");
    st.step = hashInt(p, "step", 0, 20, 0);
    st.predict = p.get("predict") === "1";
    return true;
  }
  function saveHash() {
    if (!touched) return;
    writeHash(NAME, { scenario: st.scenario, handler: st.handler, step: st.step, predict: st.predict && "1" });
  }

  async function load({ keepStep = false } = {}) {
    const data = await fetchLatest(st, root, error, `${api}?${new URLSearchParams({ scenario: st.scenario, handler: st.handler })}`);
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
    k = Math.min(Math.max(k, 0), st.data.steps.length);
    if (st.predict && k > st.step + 1) k = st.step + 1;
    if (k !== st.step) {
      if (st.feedback && st.feedback.step !== k - 1) st.feedback = null;
      st.pid = null;
    }
    st.step = k;
    render();
    announce();
    saveHash();
  }

  const at = (k) => (k === 0 ? { processes: st.data.initial, foreground: st.data.initial_foreground, deliveries: [], targets: [] } : st.data.steps[k - 1]);
  const nameOf = (pid) => {
    const p = st.data.initial.find((x) => x.pid === pid);
    return p ? `${p.comm} (PID ${pid})` : `PID ${pid}`;
  };

  function announce(prefix = "") {
    if (!st.data) return;
    const m = at(st.step);
    const fates = m.deliveries.filter((d) => d.fate !== "unaffected").map((d) => `${nameOf(d.pid)} は${FATES[d.fate]}`);
    live.textContent = st.step === 0 ? `${prefix}開始時。` : `${prefix}ステップ ${st.step}: ${m.action}。${fates.join("、")}。`;
  }

  function render() {
    const d = st.data;
    if (!d) return;
    scenarioSel.value = st.scenario;
    handlerSel.value = st.handler;
    handlerLabel.textContent = `${nameOf(d.program).split(" ")[0]} の ${d.handler_signal}`;
    setPressed(predictBtn, st.predict);
    setStatic(!st.predict);
    controls.update();
    root.dataset.step = String(st.step);
    const m = at(st.step);
    drawSvg(m);
    drawTable(m);
    drawDetail(m);
    drawPredict();
    drawFeedback();
    drawList();
  }

  function dispLine(p, sig) {
    if (p.blocked.includes(sig)) return `${sig}: ブロック`;
    if (p.ignored.includes(sig)) return `${sig}: 無視`;
    if (p.caught.includes(sig)) return `${sig}: 捕捉`;
    return "";
  }

  function drawSvg(m) {
    const d = st.data;
    const fateOf = (pid) => m.deliveries.find((x) => x.pid === pid)?.fate || "unaffected";
    const groups = [];
    for (const p of m.processes) {
      let g = groups.find((x) => x.pgid === p.pgid);
      if (!g) groups.push((g = { pgid: p.pgid, procs: [] }));
      g.procs.push(p);
    }
    const sigText = m.signal ? `${m.signal}（${m.signo}）` : "シグナルなし";
    const parts = [
      s("title", { id: `${uid}-svg-title`, text: st.step === 0 ? "開始時のプロセスグループ" : `${m.action}: ${sigText}` }),
      s("rect", { class: "sig-sender", x: 0, y: 0, width: W, height: 44, rx: 6 }),
      s("text", { class: "sig-sender-text", x: 8, y: 18, text: st.step === 0 ? "端末: bash のジョブ" : m.action }),
      s("text", { class: "sig-sender-sub", x: 8, y: 37, text: st.step === 0 ? `フォアグラウンド: グループ ${m.foreground}` : `${m.sender || "—"} → ${sigText}` }),
    ];
    let y = 54;
    for (const g of groups) {
      const rows = Math.ceil(g.procs.length / 2);
      const gh = HEAD + rows * (CHIP_H + GAP) - GAP + PAD * 2;
      const fg = g.pgid === m.foreground;
      parts.push(s("g", { class: `sig-group${fg ? " sig-fg" : ""}`, "data-pgid": String(g.pgid) },
        s("rect", { x: 0, y, width: W, height: gh, rx: 8 }),
        s("text", { class: "sig-group-head", x: 8, y: y + 18, text: `グループ ${g.pgid}${fg ? "（フォアグラウンド）" : ""}` })));
      g.procs.forEach((p, i) => {
        const x = (i % 2) * (CHIP_W + GAP + 4) + 4;
        const cy = y + HEAD + PAD + Math.floor(i / 2) * (CHIP_H + GAP);
        const f = fateOf(p.pid);
        const hit = m.targets.includes(p.pid);
        const disp = dispLine(p, d.handler_signal) || (p.pid === 100 ? "INT・CHLD: 捕捉" : "");
        const pend = p.pending.length ? `保留: ${p.pending.join(",")}` : "";
        parts.push(s("g", { class: `sig-proc sig-life-${p.life} sig-fate-${f}${hit ? " sig-hit" : ""}`, "data-pid": String(p.pid), "data-fate": f },
          s("rect", { x, y: cy, width: CHIP_W, height: CHIP_H, rx: 6 }),
          s("text", { class: "sig-comm", x: x + 8, y: cy + 18, text: `${hit ? "⚡ " : ""}${p.comm} (${p.pid})` }),
          s("text", { class: "sig-life", x: x + 8, y: cy + 37, text: LIFE[p.life] }),
          s("text", { class: "sig-disp", x: x + 8, y: cy + 56, text: pend || disp }),
          s("text", { class: "sig-fate", x: x + 8, y: cy + 75, text: f === "unaffected" ? "" : `→ ${SHORT[f]}` })));
      });
      y += gh + GAP;
    }
    svg.setAttribute("viewBox", `0 0 ${W} ${y}`);
    svg.replaceChildren(...parts);
    svg.classList.toggle("sig-animate", !reducedMotion());
  }

  function drawTable(m) {
    const rows = st.data.table.map((r) =>
      h("tr", { class: r.signal === m.signal ? "sig-current" : null, "data-signal": r.signal },
        h("th", { scope: "row", text: r.signal }),
        ...r.numbers.map((n) => h("td", { text: String(n) })),
        h("td", { text: r.varies ? "違う" : "同じ" }),
        h("td", { text: ACTIONS[r.default_action] || r.default_action }),
        h("td", { text: r.catchable ? "できる" : "できない" })));
    tableBox.replaceChildren(h("table", { class: "sig-disp-table" },
      h("caption", { text: "signal(7) の番号と既定の動作（今のステップのシグナルの行に色）" }),
      h("thead", {}, h("tr", {}, ...["シグナル", ...ARCH, "番号", "既定", "捕捉など"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, rows)));
  }

  function drawDetail(m) {
    if (st.step === 0) {
      const fgNames = st.data.initial.filter((p) => p.pgid === st.data.initial_foreground).map((p) => p.comm).join(" と ");
      detail.replaceChildren(h("h3", { class: "sig-detail-title", text: "開始時" }),
        h("p", { text: `端末のフォアグラウンドはグループ ${st.data.initial_foreground}（${fgNames}）です。「次へ」か → キーで最初の操作に進みます。` }));
      return;
    }
    detail.replaceChildren(
      h("h3", { class: "sig-detail-title", text: `ステップ ${st.step} / ${st.data.steps.length}: ${m.action}` }),
      h("p", { class: "sig-explain", text: m.explain }),
      h("p", { class: "sig-source" }, "出典: ", h("cite", { text: m.source })));
  }

  function drawList() {
    const n = st.predict ? st.step : st.data.steps.length;
    const items = [h("li", { "data-step": "0" }, h("button", { type: "button", text: "開始時" }))];
    for (let i = 0; i < n; i++) items.push(h("li", { "data-step": String(i + 1) }, h("button", { type: "button", text: st.data.steps[i].action })));
    items[Math.min(st.step, items.length - 1)].firstChild.setAttribute("aria-current", "step");
    list.replaceChildren(...items);
  }

  function setStatic(shown) {
    hideStatic(!shown);
  }

  function drawPredict() {
    const d = st.data;
    const k = st.step;
    predictBox.hidden = !st.predict;
    if (!st.predict) return predictBox.replaceChildren();
    if (k >= d.steps.length) return predictBox.replaceChildren(h("p", { text: "最後まで進みました。「最初」から、もう一度予想できます。" }));
    const next = d.steps[k];
    // Only what is known before the step: the processes now, and whether the action sends a signal.
    const procs = at(k).processes.filter((p) => p.life !== "gone");
    if (st.field === "signo" && next.signo === null) st.field = "fate";
    if (st.pid === null || !procs.some((p) => p.pid === st.pid)) st.pid = procs.some((p) => p.pid === d.program) ? d.program : procs[0].pid;
    const hadFocus = predictBox.contains(document.activeElement);
    const fieldSel = h("select", { class: "sig-pfield", "aria-label": "予想する項目" },
      h("option", { value: "fate", text: "プロセスがどうなるか", selected: st.field === "fate" }),
      next.signo !== null && h("option", { value: "signo", text: "シグナルの番号（x86）", selected: st.field === "signo" }));
    fieldSel.addEventListener("change", () => {
      st.field = fieldSel.value;
      drawPredict();
    });
    const pidSel = st.field === "fate"
      ? h("select", { class: "sig-ppid", "aria-label": "どのプロセス" }, procs.map((p) => h("option", { value: String(p.pid), text: nameOf(p.pid), selected: p.pid === st.pid })))
      : null;
    if (pidSel) pidSel.addEventListener("change", () => (st.pid = Number(pidSel.value)));
    const input = st.field === "fate"
      ? h("select", { class: "sig-answer", "aria-label": "予想" }, h("option", { value: "", text: "どうなる？…" }), Object.entries(FATES).map(([v, t]) => h("option", { value: v, text: t })))
      : h("input", { class: "sig-answer", type: "number", min: "1", max: "64", inputmode: "numeric", "aria-label": "シグナルの番号" });
    const msg = h("p", { class: "sig-pmsg", role: "status" });
    const form = h("form", { class: "sig-pform" }, fieldSel, pidSel, input,
      h("button", { type: "submit", class: "primary", text: "答え合わせ" }),
      h("button", { type: "button", class: "sig-skip", text: "答えを見る" }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      check(k, st.field, st.pid, input.value, msg);
    });
    form.querySelector(".sig-skip").addEventListener("click", () => {
      touched = true;
      go(k + 1);
    });
    predictBox.replaceChildren(
      h("p", { class: "sig-q" }, h("strong", { text: `予想 ステップ ${k + 1}: ` }), `次の操作は「${next.action}」。${st.field === "fate" ? "このとき、選んだプロセスはどうなる？" : "送られるシグナルの番号（x86）は？"}`),
      form, msg);
    if (hadFocus) input.focus({ preventScroll: true });
  }

  function drawFeedback() {
    const f = st.feedback;
    feedbackBox.hidden = !f;
    if (!f) return feedbackBox.replaceChildren();
    feedbackBox.className = `sig-feedback ${f.correct ? "sig-right" : "sig-wrong"}`;
    feedbackBox.replaceChildren(
      h("p", { class: "sig-verdict" }, h("strong", { text: f.correct ? "✓ 正解" : "✗ 不正解" }),
        ` ステップ ${f.step + 1}: ${f.what}`,
        f.correct ? "" : h("span", {}, "。正しくは ", h("strong", { "data-sig-expected": f.expected, text: f.label }))),
      h("p", { class: "sig-source" }, "出典: ", h("cite", { text: f.source })));
  }

  async function check(k, field, pid, answer, msg) {
    touched = true;
    answer = String(answer).trim();
    if (!answer) {
      msg.textContent = field === "fate" ? "どうなるかを選んでください。" : "1〜64 の整数を入力してください。";
      return;
    }
    msg.textContent = "採点中…";
    const body = { scenario: st.scenario, handler: st.handler, step: k, field, answer };
    if (field === "fate") body.pid = pid;
    let j;
    try {
      j = await postJSON(`${api}/check`, body);
    } catch (e) {
      msg.textContent = e.message;
      return;
    }
    if (st.step !== k || !st.predict) return;
    const what = field === "fate" ? `${nameOf(pid)} は「${FATES[answer]}」と予想` : `番号は ${answer} と予想`;
    st.feedback = { step: k, what, correct: j.correct, expected: j.expected, label: j.expected_label, source: j.source };
    go(k + 1);
    announce(j.correct ? "正解。" : `不正解。正しくは ${j.expected_label}。`);
  }

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
    st.handler = handlerSel.value;
    st.step = 0;
    if (await load()) {
      announce();
      saveHash();
    }
  };
  scenarioSel.addEventListener("change", reload);
  handlerSel.addEventListener("change", reload);
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

  const hashed = fromHash(readHash(NAME));
  (async () => {
    const ok = await loadOrDefaults(hashed, error, () => load({ keepStep: hashed }), () => {
      Object.assign(st, { scenario: "ctrl-c", handler: "default", step: 0, predict: false });
      return load();
    });
    if (ok && hashed) section.scrollIntoView({ block: "start" });
  })();
}
