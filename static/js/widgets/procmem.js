// Process-components widget (W13): what a process is made of, as /proc shows it, and what fork, execve
// and a second thread do to each part. Turns the server-rendered tables into process cards — an SVG of
// the address space (/proc/PID/maps, high addresses on top) beside the descriptor table, credentials,
// cwd, signal dispositions and each thread's mask — with the shared step controls and 予想モード
// (predict every component's fate before the operation is shown, graded at /api/widgets/procmem/check).

import { fill, foldStatic, h, predictToggle, s, setPressed, staticWhilePredicting, toggleButton } from "./lib/dom.js";
import { fetchLatest, postJSON } from "./lib/fetch.js";
import { hashInt, loadOrDefaults, onHashChange, readHash, writeHash } from "./lib/hash.js";
import { stepper } from "./lib/stepper.js";

const NAME = "procmem";
const REGION = {
  text: "コード（text）", rodata: "読み取り専用", data: "データ（data）", bss: "bss", heap: "ヒープ",
  lib: "共有ライブラリ", anon: "無名 mmap", guard: "ガードページ", stack: "スタック",
};
// Which parts of the card a step's focus lights up.
const FOCUS = { text: ["text", "rodata"], data: ["data", "bss", "rodata"], heap: ["heap"], mmap: ["lib", "anon", "guard"], stack: ["stack"] };
const DISP = { default: "SIG_DFL（既定）", ignore: "SIG_IGN（無視）", handler: "ハンドラ" };
const FATES = [
  ["kept", "そのまま残る"], ["shared", "共有する（同じもの）"], ["copied", "コピーされる（別々）"], ["new", "新しい値になる"],
  ["replaced", "新しいプログラムのものに置き換わる"], ["reset", "既定の動作に戻る"], ["closed", "閉じられる"],
];
const FATE_LABEL = Object.fromEntries(FATES);
const SIGINT = [["handler", "ハンドラで捕まえる"], ["ignore", "無視（SIG_IGN）"], ["default", "既定（SIG_DFL）"]];
const W = 260, ROW = 22, TOP = 22;
const hex = (n) => n.toString(16);

/** A mapping's label: its bracketed name, a thread's stack, or what the region holds. */
function stackLabel(m, stacks) {
  if (m.path === "[heap]" || m.path === "[stack]") return m.path;
  const tid = stacks.get(`${hex(m.start)}-${hex(m.end)}`);
  return tid ? `TID ${tid} のスタック` : REGION[m.region];
}

export function mount(section) {
  const root = section.querySelector("[data-widget-root]");
  const api = section.dataset.api;
  if (!root || !api) throw new Error("procmem: no [data-widget-root] or data-api");
  const st = { scenario: "anatomy", cloexec: true, sigint: "handler", predict: false, step: 0, data: null, feedback: null, req: 0 };

  const staticBox = section.querySelector("[data-widget-static]");
  const scenarios = staticBox
    ? [...staticBox.querySelectorAll("[data-scenario]")].map((d) => [d.dataset.scenario, d.querySelector("summary")?.textContent.trim() || d.dataset.scenario])
    : [["anatomy", "プロセスの中身"]];
  const scenarioSel = h("select", { id: "pm-scenario", class: "pm-scenario" }, scenarios.map(([v, t]) => h("option", { value: v, text: t })));
  const sigintSel = h("select", { id: "pm-sigint", class: "pm-sigint" }, SIGINT.map(([v, t]) => h("option", { value: v, text: t })));
  const cloexecBtn = toggleButton("pm-cloexec", "fd 4 に FD_CLOEXEC");
  const predictBtn = predictToggle("pm-predict-toggle");
  const toolbar = h("div", { class: "pm-toolbar widget-controls" },
    h("label", { class: "pm-field pm-field-scenario", for: "pm-scenario" }, h("span", { text: "シナリオ" }), scenarioSel),
    h("label", { class: "pm-field", for: "pm-sigint" }, h("span", { text: "SIGINT" }), sigintSel),
    cloexecBtn, predictBtn);
  const error = h("p", { class: "pm-error widget-error", role: "alert", hidden: true });
  const controls = stepper(section, {
    position: () => st.data && { step: st.step, first: 0, last: st.data.steps.length },
    go: (k) => go(k),
    interval: 2200,
    canPlay: () => !st.predict,
    counter: (pos) => (st.predict ? `ステップ ${pos.step}` : `ステップ ${pos.step} / ${pos.last}`),
  });
  const cards = h("div", { class: "pm-cards" });
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const feedbackBox = h("div", { class: "pm-feedback", hidden: true, tabindex: "-1" });
  const predictBox = h("div", { class: "pm-predict", hidden: true });
  const detail = h("div", { class: "pm-detail" });
  const fatesBox = h("div", { class: "pm-fates" });
  const list = h("ol", { class: "pm-steps", start: "0" });
  const listBox = h("details", { class: "pm-list-box", open: true }, h("summary", { text: "手順の一覧（クリックでその段へ）" }), list);
  root.replaceChildren(h("div", { class: "pm" }, toolbar, error, controls.el, cards, feedbackBox, predictBox, detail, fatesBox, live, listBox));
  root.dataset.state = "loading";
  // The static tables (no-JS and print) are folded away; in 予想モード they leave the DOM, since they
  // hold every answer.
  // The lab's real records below the widget go with them: they show every fate too.
  const tablesOut = staticWhilePredicting(foldStatic(staticBox, "pm-tables", "表で見る"));
  const placeTables = () => tablesOut(st.predict);

  async function load({ keepStep = false } = {}) {
    const q = new URLSearchParams({ scenario: st.scenario, cloexec: String(st.cloexec), sigint: st.sigint });
    const data = await fetchLatest(st, root, error, `${api}?${q}`);
    if (!data) return false;
    st.data = data;
    st.step = keepStep && !st.predict ? Math.min(Math.max(st.step, 0), data.steps.length) : 0;
    st.feedback = null;
    render();
    root.dataset.state = "ready";
    return true;
  }

  const pending = () => {
    const x = st.predict && st.data && st.data.steps[st.step];
    return x && x.ask ? x : null;
  };

  function go(k) {
    if (!st.data) return;
    k = Math.min(Math.max(k, 0), st.data.steps.length);
    // In 予想モード the question stops the way forward until it is answered (or the answer is shown).
    if (st.predict && k > st.step) k = pending() ? st.step : st.step + 1;
    if (k !== st.step) {
      st.step = k;
      if (st.feedback && st.feedback.step !== k - 1) st.feedback = null;
    }
    render();
    live.textContent = st.step === 0 ? "開始: fork や execve の前のプロセスです。" : `ステップ ${st.step}: ${st.data.steps[st.step - 1].note}。`;
    save();
  }

  function save() {
    writeHash(NAME, { scenario: st.scenario, cloexec: !st.cloexec && "0", sigint: st.sigint !== "handler" && st.sigint, step: st.step, predict: st.predict && "1" });
  }

  const current = () => (st.step === 0 ? null : st.data.steps[st.step - 1]);

  function render() {
    const d = st.data;
    if (!d) return;
    scenarioSel.value = st.scenario;
    sigintSel.value = st.sigint;
    setPressed(cloexecBtn, st.cloexec);
    setPressed(predictBtn, st.predict);
    placeTables();
    root.dataset.step = String(st.step);
    controls.update();
    const x = current();
    const procs = x ? x.processes : d.initial;
    cards.replaceChildren(...procs.map((p, i) => card(p, x, procs.length > 1 ? (i === 0 ? "親" : "子") : "")));
    renderDetail(x);
    renderFates(x);
    renderPredict();
    renderFeedback();
    renderList();
  }

  function renderList() {
    const d = st.data;
    const upto = st.predict ? st.step : d.steps.length;
    const items = [h("li", { "data-step": "0" }, h("button", { type: "button", text: "開始（操作の前）", "aria-current": st.step === 0 ? "step" : null }))];
    for (let i = 0; i < upto; i++) {
      items.push(h("li", { "data-step": String(i + 1) }, h("button", { type: "button", text: d.steps[i].call, "aria-current": st.step === i + 1 ? "step" : null })));
    }
    list.replaceChildren(...items);
  }

  /** The address space as an SVG: one row per /proc/PID/maps line, high addresses on top. */
  function addressSpace(p, focus) {
    const maps = [...p.maps].reverse();
    // A second thread's stack is an anonymous mapping; name it after its thread.
    const stacks = new Map(p.threads.map((t) => [t.stack, t.tid]));
    const H = TOP + maps.length * ROW + 22;
    const lit = new Set(FOCUS[focus] || []);
    const parts = [
      s("title", { text: `PID ${p.pid} のアドレス空間（/proc/${p.pid}/maps）` }),
      s("text", { class: "pm-axis", x: 4, y: 14, text: "高位アドレス ↑" }),
      s("text", { class: "pm-axis", x: 4, y: H - 6, text: "低位アドレス ↓" }),
    ];
    maps.forEach((m, i) => {
      const y = TOP + i * ROW;
      parts.push(s("g", { class: `pm-map pm-r-${m.region}${lit.has(m.region) ? " pm-lit" : ""}`, "data-pm-region": m.region },
        s("rect", { x: 2, y, width: W - 4, height: ROW - 2, rx: 3 }),
        s("text", { class: "pm-map-label", x: 8, y: y + 15, text: stackLabel(m, stacks) }),
        s("text", { class: "pm-map-addr", x: W - 8, y: y + 15, "text-anchor": "end", text: `${m.perms} ${hex(m.start)}` })));
    });
    return s("svg", { class: "pm-svg", viewBox: `0 0 ${W} ${H}`, width: String(W), height: String(H), role: "img" }, ...parts);
  }

  function card(p, x, role) {
    const focus = x?.focus;
    const lit = (name) => (focus === name ? " pm-lit" : "");
    const row = (...cells) => h("tr", {}, ...cells.map((c) => h("td", { text: c })));
    const fdRows = p.fds.map((f) => row(String(f.fd), f.target, f.cloexec ? "あり" : "—"));
    const fds = h("table", { class: `pm-table pm-fds${lit("fds")}` }, h("caption", { text: "ファイル記述子" }),
      h("thead", {}, h("tr", {}, h("th", { text: "fd" }), h("th", { text: "指す先" }), h("th", { text: "CLOEXEC" }))),
      h("tbody", {}, ...fdRows));
    const kv = h("dl", { class: "pm-kv" },
      h("dt", { class: lit("creds"), text: "資格情報" }), h("dd", { class: lit("creds"), "data-pm": "creds", text: `uid=${p.uid} gid=${p.gid}` }),
      h("dt", { class: lit("cwd"), text: "カレントディレクトリ" }), h("dd", { class: lit("cwd"), "data-pm": "cwd", text: p.cwd }));
    const sigs = h("table", { class: `pm-table pm-sigs${lit("signals")}` }, h("caption", { text: "シグナルの処理方法（プロセス単位）" }),
      h("tbody", {}, ...p.signals.map((g) => h("tr", { "data-pm-signal": g.signal }, h("td", { text: `${g.signal}（${g.number}）` }), h("td", { text: DISP[g.disposition] })))));
    const threads = h("table", { class: `pm-table pm-threads${lit("signals")}` }, h("caption", { text: "スレッドとシグナルマスク（スレッドごと）" }),
      h("tbody", {}, ...p.threads.map((t) => h("tr", { "data-pm-tid": String(t.tid) }, h("td", { text: `TID ${t.tid}` }), h("td", { text: `マスク {${t.mask.join(", ")}}` })))));
    const title = h("h3", { class: `pm-card-title${lit("pid")}` }, role ? h("span", { class: "pm-role", text: role }) : null,
      ` ${p.program}`, h("span", { class: "pm-ids", text: ` PID ${p.pid}・PPID ${p.ppid}・スレッド ${p.threads.length}` }));
    const space = h("figure", { class: "pm-space" }, addressSpace(p, focus), h("figcaption", { text: `/proc/${p.pid}/maps（アドレスは例）` }));
    return h("section", { class: "pm-card", "data-pm-pid": String(p.pid), "aria-label": `PID ${p.pid}` },
      title, h("div", { class: "pm-card-body" }, space, h("div", { class: "pm-attrs" }, fds, kv, sigs, threads)));
  }

  function renderDetail(x) {
    if (!x) {
      fill(detail, h("h3", { class: "pm-title", text: "開始" }),
        h("p", { text: "bash（PID 100）が起動した /usr/local/bin/server（PID 200）です。「次へ」か → キーで進みます。" }));
      return;
    }
    fill(detail,
      h("h3", { class: "pm-title", text: `ステップ ${st.step}${st.predict ? "" : ` / ${st.data.steps.length}`}` }),
      h("p", { class: "pm-call" }, h("code", { text: x.call })),
      h("p", { class: "pm-note", text: x.note }),
      h("p", { class: "pm-explain", text: x.explain }),
      h("p", { class: "pm-source", text: `出典: ${x.source}` }));
  }

  function renderFates(x) {
    if (!x || !x.fates.length) return void fatesBox.replaceChildren();
    fill(fatesBox, h("div", { class: "table-scroll", tabindex: "0" }, h("table", { class: "pm-table pm-fate-table" },
      h("caption", { text: "各構成要素がどうなったか" }),
      h("thead", {}, h("tr", {}, ...["構成要素", "前", "後", "どうなるか"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, ...x.fates.map((f) => h("tr", { "data-pm-fate": f.component },
        h("th", { scope: "row", text: f.label }), h("td", { text: f.before }), h("td", { text: f.after }),
        h("td", { class: `pm-fate pm-f-${f.fate}`, text: FATE_LABEL[f.fate] })))))));
  }

  function renderPredict() {
    predictBox.hidden = !st.predict;
    if (!st.predict) return void predictBox.replaceChildren();
    const x = pending();
    if (!x) {
      const none = st.data.steps.every((t) => !t.ask);
      fill(predictBox, h("p", { class: "pm-q", text: none ? "このシナリオに予想の問いはありません。fork・execve・スレッドのシナリオを選んでください。" : st.step >= st.data.steps.length ? "最後まで表示しました。「最初」で初めから予想できます。" : "このステップに問いはありません。「次へ」で進みます。" }));
      return;
    }
    const k = st.step;
    const sels = x.fates.map((f) => h("select", { class: "pm-fatesel", "data-component": f.component, "aria-label": f.label, required: true },
      h("option", { value: "", text: "選ぶ…" }), FATES.map(([v, t]) => h("option", { value: v, text: t }))));
    const msg = h("p", { class: "pm-pmsg", role: "status" });
    const form = h("form", { class: "pm-pform" },
      h("div", { class: "table-scroll", tabindex: "0" }, h("table", { class: "pm-table" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "構成要素" }), h("th", { scope: "col", text: "今" }), h("th", { scope: "col", text: "予想" }))),
        h("tbody", {}, ...x.fates.map((f, i) => h("tr", {}, h("th", { scope: "row", text: f.label }), h("td", { text: f.before }), h("td", {}, sels[i])))))),
      h("div", { class: "pm-pbuttons" },
        h("button", { type: "submit", class: "primary pm-check", text: "答え合わせ" }),
        h("button", { type: "button", class: "pm-skip", text: "答えを見る", onclick: () => { st.feedback = null; st.step = k + 1; render(); save(); } })));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (sels.some((sel) => !sel.value)) { msg.textContent = "すべての構成要素について選んでください。"; return; }
      msg.textContent = "採点中…";
      const answer = Object.fromEntries(sels.map((sel) => [sel.dataset.component, sel.value]));
      let j;
      try {
        j = await postJSON(`${api}/check`, { scenario: st.scenario, cloexec: st.cloexec, sigint: st.sigint, step: k, answer });
      } catch (err) {
        msg.textContent = err.message;
        return;
      }
      if (st.step !== k) return;
      st.feedback = { step: k, ...j };
      st.step = k + 1;
      render();
      live.textContent = `${j.score} / ${j.total} 正解。`;
      save();
      feedbackBox.focus({ preventScroll: true });
    });
    fill(predictBox, h("p", { class: "pm-q" }, h("strong", { text: `予想 ステップ ${k + 1}: ` }), h("code", { text: x.call }),
      " を呼ぶと、新しいプロセス（またはスレッド）では各構成要素がどうなりますか？"), form, msg);
  }

  function renderFeedback() {
    const f = st.feedback;
    if (!f || f.step !== st.step - 1) { feedbackBox.hidden = true; feedbackBox.replaceChildren(); return; }
    feedbackBox.hidden = false;
    feedbackBox.className = `pm-feedback ${f.correct ? "pm-right" : "pm-wrong"}`;
    const wrong = f.rows.filter((r) => !r.correct);
    fill(feedbackBox,
      h("p", { class: "pm-verdict" }, h("strong", { text: f.correct ? "✓ 全問正解" : `✗ ${f.score} / ${f.total} 正解` })),
      wrong.length ? h("ul", { class: "pm-wrong-list" }, ...wrong.map((r) => h("li", { "data-pm-wrong": r.component },
        h("strong", { text: r.label }), `: あなたの答え「${FATE_LABEL[r.given]}」、正しくは「${r.expected_label}」。${r.why}（${r.source}）`))) : null);
  }

  // ---- events
  list.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-step]");
    if (!li) return;
    controls.stop();
    go(Number(li.dataset.step));
  });
  const reload = async () => {
    controls.stop();
    if (await load()) save();
  };
  scenarioSel.addEventListener("change", () => { st.scenario = scenarioSel.value; reload(); });
  sigintSel.addEventListener("change", () => { st.sigint = sigintSel.value; reload(); });
  cloexecBtn.addEventListener("click", () => { st.cloexec = !st.cloexec; reload(); });
  predictBtn.addEventListener("click", () => {
    st.predict = !st.predict;
    controls.stop();
    st.feedback = null;
    if (st.predict) st.step = 0;
    render();
    save();
  });
  onHashChange(NAME, (p) => { fromHash(p); load({ keepStep: true }); });

  function fromHash(p) {
    if (p.has("scenario")) st.scenario = p.get("scenario");
    st.cloexec = p.get("cloexec") !== "0";
    st.sigint = p.get("sigint") || "handler";
    st.predict = p.get("predict") === "1";
    st.step = hashInt(p, "step", 0, 50, 0);
  }

  const p = readHash(NAME);
  if (p) fromHash(p);
  (async () => {
    const ok = await loadOrDefaults(p, error, () => load({ keepStep: !!p }), () => {
      Object.assign(st, { scenario: "anatomy", cloexec: true, sigint: "handler", step: 0 });
      return load();
    });
    if (ok && p) section.scrollIntoView({ block: "start" });
  })();
}
