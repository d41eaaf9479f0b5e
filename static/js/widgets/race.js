// Threads vs processes, and a lost update (W12): turns the server-rendered tables into a diagram of the
// two actors (threads T1/T2, or parent/child after fork) with their registers, the C line each runs, the
// memory holding counter (one shared cell, or two pages after copy-on-write) and the mutex; the learner
// picks one of the 20 orders. The Rust model is the truth: runs come from /api/widgets/race and
// predictions are graded there. In 予想モード nothing after the asked step is in the DOM — not its values,
// not the final value, not the table of 20 orders, not the server-rendered tables.

import { foldStatic, h, predictToggle, s, setPressed, staticWhilePredicting } from "./lib/dom.js";
import { fetchLatest, postJSON } from "./lib/fetch.js";
import { loadOrDefaults, onHashChange, readHash, writeHash } from "./lib/hash.js";
import { reducedMotion } from "./lib/motion.js";
import { stepper } from "./lib/stepper.js";

const NAME = "race";
const FIELD_LABEL = { value: "このステップの値", final: "最後に表示される counter", lost_orders: "加算が失われる順番の数" };
const VERB = { load: "読む", add: "計算する", store: "書く", print: "表示する", exit: "表示する" };
// Every order of three steps each, in the model's (lexicographic) order.
const ORDERS = (() => {
  const out = [];
  const walk = (a, b, acc) => {
    if (!a && !b) return out.push(acc);
    if (a) walk(a - 1, b, `${acc}1`);
    if (b) walk(a, b - 1, `${acc}2`);
  };
  walk(3, 3, "");
  return out;
})();
const OPS = ["r = counter;", "r = r + 1;", "counter = r;"];
// Diagram geometry (viewBox units): 300 wide, text ≥ 13 units, so ≥ 12 px on a 360 px phone.
const W = 300, H = 236, COL = [78, 222];

export function mount(section) {
  const root = section.querySelector("[data-widget-root]");
  const api = section.dataset.api;
  if (!root || !api) throw new Error("race: no [data-widget-root] or data-api");
  const st = { scenario: "threads", schedule: "121212", predict: false, step: 0, data: null, field: null, feedback: null, req: 0 };
  const staticBox = section.querySelector("[data-widget-static]");
  const scenarios = staticBox
    ? [...staticBox.querySelectorAll("details[data-scenario]")].map((d) => [d.dataset.scenario, d.querySelector("summary").textContent.trim()])
    : [["threads", "threads"]];

  const scenarioSel = h("select", { id: "rc-scenario" }, scenarios.map(([v, t]) => h("option", { value: v, text: t })));
  const orderSel = h("select", { id: "rc-order", class: "rc-order" }, ORDERS.map((o) => h("option", { value: o, text: o.split("").join(" ") })));
  const randomBtn = h("button", { type: "button", class: "rc-random", text: "ランダムな順番" });
  const predictBtn = predictToggle("rc-predict-toggle");
  const toolbar = h("div", { class: "rc-toolbar widget-controls" },
    h("label", { class: "rc-param rc-scenario-box", for: "rc-scenario" }, h("span", { text: "プログラム" }), scenarioSel),
    h("label", { class: "rc-param", for: "rc-order" }, h("span", { text: "順番（1 と 2 が 3 回ずつ）" }), orderSel),
    randomBtn, predictBtn);
  const controls = stepper(section, {
    position: () => st.data && { step: st.step, first: 0, last: st.data.steps.length },
    go: (k) => go(k),
    interval: 1300,
    canPlay: () => !st.predict,
    counter: (p) => `ステップ ${p.step} / ${p.last}`,
  });
  const error = h("p", { class: "widget-error", role: "alert", hidden: true });
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const svg = s("svg", { class: "rc-diagram", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "rc-title" });
  // It may scroll sideways, so it takes focus: keyboard users can scroll it too (axe: scrollable-region-focusable).
  const code = h("pre", { class: "rc-code code", tabindex: "0", "aria-label": "プログラム" });
  const feedbackBox = h("div", { class: "rc-feedback", hidden: true });
  const predictBox = h("div", { class: "rc-predict", hidden: true });
  const detail = h("div", { class: "rc-detail" });
  const outcome = h("p", { class: "rc-outcome outcome", hidden: true });
  const ordersBox = h("details", { class: "rc-orders-box" }, h("summary", { text: "20 通りの順番と結果" }));
  root.replaceChildren(h("div", { class: "rc" }, toolbar, error, controls.el,
    h("div", { class: "rc-main" }, h("div", { class: "rc-fig" }, svg, code),
      h("div", { class: "rc-panel" }, live, feedbackBox, predictBox, detail, outcome)),
    ordersBox));
  root.dataset.state = "loading";

  // The tables stay folded away (no-JS view, print); in 予想モード they leave the DOM.
  // The lab's real records below the widget go with them (they tell whether updates are lost).
  const tablesOut = staticWhilePredicting(foldStatic(staticBox, "rc-tables", "表で見る（順番 121212）"));
  const placeTables = () => tablesOut(st.predict);

  function fromHash(p) {
    if (!p) return false;
    if (p.has("scenario")) st.scenario = p.get("scenario");
    if (p.has("schedule")) st.schedule = p.get("schedule");
    st.predict = p.get("predict") === "1";
    const n = Number.parseInt(p.get("step") || "0", 10);
    st.step = Number.isFinite(n) && n > 0 ? n : 0;
    return true;
  }
  const saveHash = () => writeHash(NAME, { scenario: st.scenario, schedule: st.schedule, step: st.step, predict: st.predict && "1" });

  async function load({ keepStep = false } = {}) {
    const data = await fetchLatest(st, root, error, `${api}?${new URLSearchParams({ scenario: st.scenario, schedule: st.schedule })}`);
    if (!data) return false;
    st.data = data;
    st.step = keepStep ? Math.min(Math.max(st.step, 0), data.steps.length) : 0;
    st.feedback = null;
    st.field = null;
    scenarioSel.value = st.scenario;
    orderSel.value = st.schedule;
    render();
    root.dataset.state = "ready";
    return true;
  }

  function go(k, { user = true } = {}) {
    if (!st.data) return;
    k = Math.min(Math.max(k, 0), st.data.steps.length);
    if (k !== st.step) {
      st.step = k;
      st.field = null;
      if (st.feedback && st.feedback.step !== k - 1) st.feedback = null;
    }
    render();
    const d = st.data;
    live.textContent = st.step === 0 ? "開始前。" : `ステップ ${st.step} / ${d.steps.length}: ${d.steps[st.step - 1].note}。`;
    if (user) saveHash();
  }

  const nameOf = (id) => st.data.actors[id - 1].name;

  function render() {
    const d = st.data;
    if (!d) return;
    placeTables();
    setPressed(predictBtn, st.predict);
    controls.update();
    root.dataset.step = String(st.step);
    code.textContent = d.code;
    renderDiagram();
    renderDetail();
    renderPredict();
    renderFeedback();
    renderOrders();
    const done = st.step >= d.steps.length;
    outcome.hidden = !done;
    outcome.textContent = done ? d.outcome : "";
  }

  function renderDiagram() {
    const d = st.data;
    const cur = st.step > 0 ? d.steps[st.step - 1] : null;
    const pending = st.predict && st.step < d.steps.length ? d.steps[st.step] : null;
    const regs = cur ? cur.registers : [null, null];
    const memory = cur ? cur.memory : [{ label: "プロセスのメモリ", value: d.start, seen_by: [1] }];
    const created = st.step > 0;
    const parts = [s("title", { id: "rc-title", text: `${st.step} / ${d.steps.length} ステップ: ${cur ? cur.note : "開始前"}` })];
    d.actors.forEach((a, i) => {
      const x = COL[i];
      const alive = i === 0 || created;
      const acting = cur && cur.actor === a.id;
      const asked = pending && pending.actor === a.id;
      const g = s("g", { class: `rc-actor rc-actor-${a.id}${alive ? "" : " rc-absent"}${acting ? " rc-acting" : ""}`, "data-rc-actor": String(a.id) },
        s("text", { class: "rc-name", x, y: 18, "text-anchor": "middle", text: a.name }),
        s("text", { class: "rc-ids", x, y: 35, "text-anchor": "middle", text: d.scenario === "fork" ? `PID ${a.pid}` : `PID ${a.pid} / TID ${a.tid}` }),
        s("rect", { class: "rc-reg", x: x - 56, y: 44, width: 112, height: 28, rx: 5 }),
        s("text", { class: "rc-reg-text", x, y: 63, "text-anchor": "middle", "data-rc-reg": String(a.id), text: alive ? `r = ${regs[i] ?? "?"}` : "（まだない）" }));
      OPS.forEach((line, k) => {
        const active = (acting && cur.code.startsWith(line.slice(0, 8)) && ["load", "add", "store"][k] === cur.op) || (asked && ["load", "add", "store"][k] === pending.op);
        g.append(s("text", { class: `rc-op${active ? (asked ? " rc-op-asked" : " rc-op-now") : ""}`, x, y: 94 + k * 18, "text-anchor": "middle", text: asked && active ? `${line} ?` : line }));
      });
      if (cur && cur.blocked === a.id) g.append(s("text", { class: "rc-sleep", x, y: 152, "text-anchor": "middle", text: "ロック待ちで眠っている" }));
      parts.push(g);
    });
    if (d.scenario === "mutex") {
      const holder = cur && cur.lock ? `mutex: ${nameOf(cur.lock)} が保持` : "mutex: 空き";
      parts.push(s("text", { class: "rc-lock", x: W / 2, y: 170, "text-anchor": "middle", text: holder }));
    }
    const cells = memory.length === 1 ? [[8, 292]] : [[8, 142], [158, 292]];
    memory.forEach((m, k) => {
      const [x1, x2] = cells[k];
      parts.push(s("g", { class: "rc-mem", "data-rc-mem": String(k) },
        s("rect", { x: x1, y: 180, width: x2 - x1, height: 48, rx: 6 }),
        s("text", { class: "rc-mem-value", x: (x1 + x2) / 2, y: 201, "text-anchor": "middle", text: `counter = ${m.value}` }),
        s("text", { class: "rc-mem-label", x: (x1 + x2) / 2, y: 220, "text-anchor": "middle", text: m.label })));
    });
    // load: memory → register; store: register → memory.
    if (cur && (cur.op === "load" || cur.op === "store")) {
      // Drawn along the outer edge of the actor's column, clear of its code lines.
      const i = cur.actor - 1;
      const x = i ? COL[1] + 64 : COL[0] - 64;
      const [y1, y2] = cur.op === "load" ? [178, 76] : [76, 178];
      parts.push(s("line", { class: `rc-flow${reducedMotion() ? "" : " rc-anim"}`, x1: x, y1, x2: x, y2, "marker-end": "url(#rc-tip)" }));
    }
    parts.unshift(s("defs", {}, s("marker", { id: "rc-tip", viewBox: "0 0 8 8", refX: "7", refY: "4", markerWidth: "7", markerHeight: "7", orient: "auto" },
      s("path", { d: "M0,0 L8,4 L0,8 z", class: "rc-tip" }))));
    svg.replaceChildren(...parts);
  }

  function renderDetail() {
    const d = st.data;
    if (st.step === 0) {
      detail.replaceChildren(h("h3", { class: "rc-detail-title", text: "開始前" }),
        h("p", { text: `counter = ${d.start}。「次へ」か → キーで 1 ステップずつ進めます。` }));
      return;
    }
    const x = d.steps[st.step - 1];
    detail.replaceChildren(
      h("h3", { class: "rc-detail-title", text: `ステップ ${st.step} / ${d.steps.length}: ${nameOf(x.actor)}` }),
      h("p", { class: "rc-note", text: x.note }),
      h("p", {}, h("code", { class: "rc-line", text: x.code })),
      h("p", { class: "rc-explain", text: x.explain }),
      h("p", { class: "rc-source", text: `出典: ${x.source}` }));
  }

  function renderPredict() {
    const d = st.data;
    const k = st.step;
    if (!st.predict || k >= d.steps.length) {
      predictBox.hidden = !st.predict;
      predictBox.replaceChildren(st.predict ? h("p", { class: "rc-q", text: "最後まで表示しました。「最初」で初めから予想できます。" }) : "");
      return;
    }
    const x = d.steps[k];
    const hadFocus = predictBox.contains(document.activeElement);
    if (!st.field || !x.ask.includes(st.field)) st.field = k === 0 ? "final" : x.ask[0];
    const fieldSel = h("select", { class: "rc-pfield", "aria-label": "予想する項目" },
      x.ask.map((f) => h("option", { value: f, text: FIELD_LABEL[f], selected: f === st.field })));
    fieldSel.addEventListener("change", () => { st.field = fieldSel.value; renderPredict(); });
    const input = h("input", { class: "rc-answer", type: "text", inputmode: "numeric", autocomplete: "off", "aria-label": "予想", placeholder: "整数" });
    const msg = h("p", { class: "rc-pmsg", role: "status" });
    const form = h("form", { class: "rc-pform" }, h("span", { text: "予想:" }), fieldSel, h("span", { text: "=" }), input,
      h("button", { type: "submit", class: "primary rc-check", text: "答え合わせ" }),
      h("button", { type: "button", class: "rc-skip", text: "答えを見る" }));
    form.addEventListener("submit", (e) => { e.preventDefault(); check(k, st.field, input.value, msg); });
    form.querySelector(".rc-skip").addEventListener("click", () => go(k + 1));
    const ask = {
      value: `${nameOf(x.actor)} が「${x.code}」を実行します。このステップで${VERB[x.op] || "扱う"}値は？`,
      final: `最後に ${nameOf(1)} が表示する counter は？`,
      lost_orders: "20 通りの順番のうち、加算が 1 回分失われるのはいくつ？",
    }[st.field];
    predictBox.hidden = false;
    predictBox.replaceChildren(h("p", { class: "rc-q" }, h("strong", { text: `予想 ステップ ${k + 1}: ` }), ask), form, msg);
    if (hadFocus) input.focus({ preventScroll: true });
  }

  function renderFeedback() {
    const f = st.feedback;
    feedbackBox.hidden = !f;
    if (!f) return feedbackBox.replaceChildren();
    feedbackBox.className = `rc-feedback ${f.correct ? "rc-right" : "rc-wrong"}`;
    feedbackBox.replaceChildren(
      h("p", { class: "rc-verdict" }, h("strong", { text: f.correct ? "✓ 正解" : "✗ 不正解" }),
        ` ${FIELD_LABEL[f.field]}: あなたの答え「${f.answer}」`,
        f.correct ? "" : h("span", {}, "、正しくは ", h("strong", { "data-rc-expected": "", text: f.expected }))),
      h("p", { class: "rc-explain", text: f.explain }), h("p", { class: "rc-source", text: `出典: ${f.source}` }));
  }

  async function check(k, field, answer, msg) {
    answer = answer.trim();
    if (!/^[0-9０-９]{1,6}$/.test(answer)) { msg.textContent = "0 以上の整数で答えてください。"; return; }
    msg.textContent = "採点中…";
    let j;
    try {
      j = await postJSON(`${api}/check`, { scenario: st.scenario, schedule: st.schedule, step: k, field, answer });
    } catch (e) {
      msg.textContent = e.message;
      return;
    }
    if (st.step !== k || !st.predict) return;
    st.feedback = { step: k, field, answer, ...j };
    // A value question reveals its step; a question about the whole run keeps the place.
    if (field === "value") go(k + 1);
    else render();
    live.textContent = j.correct ? "正解。" : `不正解。正しくは ${j.expected}。`;
  }

  function renderOrders() {
    const d = st.data;
    // The outcomes of all 20 orders would answer the question: not in the page while predicting.
    ordersBox.hidden = st.predict;
    if (st.predict) return ordersBox.replaceChildren(ordersBox.firstChild);
    const rows = d.orders.map((o) => {
      const b = h("button", { type: "button", class: "rc-pick", "data-order": o.schedule, text: o.schedule.split("").join(" ") });
      if (o.schedule === d.schedule) b.setAttribute("aria-current", "true");
      return h("tr", { class: o.lost ? "lost" : "" }, h("td", {}, b), h("td", { text: String(o.final_value) }), h("td", { text: o.lost ? "はい" : "いいえ" }));
    });
    ordersBox.replaceChildren(ordersBox.firstChild, h("div", { class: "table-scroll", tabindex: "0", "aria-label": "20 通りの順番と結果" }, h("table", { class: "rc-orders" },
      h("caption", { text: `加算が失われる順番: ${d.lost_orders} / ${d.orders.length}` }),
      h("thead", {}, h("tr", {}, ["順番", "最後の値", "失われる"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, rows))));
  }

  // ---- events
  const reload = async () => {
    controls.stop();
    if (await load()) { go(0, { user: false }); saveHash(); }
  };
  scenarioSel.addEventListener("change", () => { st.scenario = scenarioSel.value; reload(); });
  orderSel.addEventListener("change", () => { st.schedule = orderSel.value; reload(); });
  randomBtn.addEventListener("click", () => {
    const a = new Uint32Array(1);
    crypto.getRandomValues(a);
    st.schedule = ORDERS[a[0] % ORDERS.length];
    reload();
  });
  ordersBox.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-order]");
    if (!b) return;
    st.schedule = b.dataset.order;
    reload();
  });
  predictBtn.addEventListener("click", () => {
    st.predict = !st.predict;
    controls.stop();
    st.feedback = null;
    st.field = null;
    render();
    saveHash();
  });
  onHashChange(NAME, async (p) => {
    fromHash(p);
    controls.stop();
    if (await load({ keepStep: true })) section.scrollIntoView({ block: "start" });
  });

  const hashed = fromHash(readHash(NAME));
  (async () => {
    const ok = await loadOrDefaults(hashed, error, () => load({ keepStep: hashed }), () => {
      Object.assign(st, { scenario: "threads", schedule: "121212", step: 0 });
      return load();
    });
    if (ok && hashed) section.scrollIntoView({ block: "start" });
  })();
}
