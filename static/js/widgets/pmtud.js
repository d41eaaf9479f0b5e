// PMTUD simulator (W4): turns the server-rendered tables into a sequence diagram of the path
// A – FW – R1 – tunnel – R2 – B, with the settings (filter, IPv4/IPv6, MSS clamping, PLPMTUD, DF, the
// tunnel's MTU), the shared step controls and 予想モード. The model on the server is the truth: every
// run comes from the JSON API and every prediction is graded there. While a prediction is pending,
// nothing after the asked step is in the DOM — not the steps, not the outcome, not the static tables.
// Nothing from the model goes through innerHTML; the page's CSP forbids inline styles.

import { foldStatic, h, outWhilePredicting, predictToggle, s, setPressed, showMessage } from "./lib/dom.js";
import { getJSON, postJSON } from "./lib/fetch.js";
import { loadOrDefaults, onHashChange, readHash, writeHash } from "./lib/hash.js";
import { reducedMotion } from "./lib/motion.js";
import { stepper } from "./lib/stepper.js";

const NAME = "pmtud";
const NODE_LABEL = { a: "A", fw: "FW", r1: "R1", r2: "R2", b: "B" };
const FILTERS = [
  ["none", "ICMP を落とさない"],
  ["type3", "ICMP type 3 を落とす（IPv6 では Packet Too Big）"],
  ["echo", "Echo Request だけを落とす"],
  ["all", "ICMP をすべて落とす"],
];
const DEFAULTS = { filter: "none", ip: "4", clamp: "false", plpmtud: "false", df: "true", mtu: "1400" };
const KEYS = Object.keys(DEFAULTS);
const FATE_TEXT = {
  delivered: (st) => `${NODE_LABEL[st.stops_at]} に届く`,
  "too-big": () => "R1 で破棄（大きすぎる）",
  filtered: () => "FW で破棄（フィルタ）",
  fragmented: (st) => `R1 で分割（${st.fragments.join(" + ")}）して届く`,
  event: () => "",
};

// Diagram geometry (viewBox units). 16-unit text stays ≥ 12 px on a 360 px phone (the diagram is ≥ 290 px wide there).
const W = 380;
const X = { a: 22, fw: 86, r1: 150, r2: 298, b: 358 };
const HEAD = 72;
const ROW = 48;

/** The settings as query pairs, in a fixed order. */
const query = (q) => new URLSearchParams(KEYS.map((k) => [k, q[k]]));

export function mount(section) {
  const root = section.querySelector("[data-widget-root]");
  const api = section.dataset.api;
  if (!root || !api) throw new Error("pmtud: no [data-widget-root] or data-api");
  const st = { q: { ...DEFAULTS }, data: null, step: 0, predict: false, answered: null, req: 0, anim: -1 };

  // Named setups come from the server-rendered tables, so they stay the model's.
  const staticBox = section.querySelector("[data-widget-static]");
  const presets = staticBox
    ? [...staticBox.querySelectorAll("[data-scenario]")].map((d) => [d.dataset.scenario, d.querySelector("summary").textContent.trim()])
    : [];

  // ---- controls
  const field = (label, control, cls = "pm-field") => h("label", { class: cls }, h("span", { text: label }), control);
  const presetSel = h("select", { name: "scenario" },
    ...presets.map(([v, t]) => h("option", { value: v, text: t })), h("option", { value: "", text: "（自分で設定）" }));
  const filterSel = h("select", { name: "filter" }, ...FILTERS.map(([v, t]) => h("option", { value: v, text: t })));
  const ipSel = h("select", { name: "ip" }, h("option", { value: "4", text: "IPv4" }), h("option", { value: "6", text: "IPv6" }));
  const box = (name) => h("input", { type: "checkbox", name });
  const clampBox = box("clamp");
  const plpBox = box("plpmtud");
  const dfBox = box("df");
  const mtuInput = h("input", { type: "number", name: "mtu", min: "1280", max: "1499", step: "1", inputmode: "numeric", class: "pm-mtu" });
  const predictBtn = predictToggle("pm-predict-toggle");
  const settings = h("div", { class: "pm-settings widget-controls" },
    field("シナリオ", presetSel, "pm-field pm-wide"),
    field("A の前の FW", filterSel, "pm-field pm-wide"),
    field("IP", ipSel),
    field("トンネル MTU", mtuInput),
    h("label", { class: "pm-check" }, clampBox, " R1 で MSS クランプ"),
    h("label", { class: "pm-check" }, plpBox, " A で PLPMTUD"),
    h("label", { class: "pm-check" }, dfBox, " DF を立てる"),
    h("div", { class: "pm-predict-row" }, predictBtn,
      h("span", { class: "pm-muted", text: " 大きなセグメントを送る直前で止めて、結果を予想します。" })));
  const error = h("p", { class: "pm-error widget-error", role: "alert", hidden: true });
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });

  // While a prediction is pending the learner may not step past the asked step.
  const ask = () => (st.data ? st.data.ask_step : 0);
  const pending = () => st.predict && !st.answered && !!st.data;
  const lastStep = () => (pending() ? ask() : st.data.steps.length);

  const controls = stepper(section, {
    position: () => st.data && { step: st.step, first: 0, last: lastStep() },
    go: (k) => go(k),
    interval: 1700,
    canPlay: () => !pending(),
    counter: (pos) => `ステップ ${pos.step} / ${pending() ? "?" : st.data.steps.length}`,
  });

  const svg = s("svg", { class: "pm-svg", role: "img", "aria-labelledby": "pm-svg-title", preserveAspectRatio: "xMidYMin meet" });
  const figure = h("figure", { class: "pm-figure" }, svg);
  const detail = h("div", { class: "pm-detail" });
  const predictBox = h("div", { class: "pm-predict", hidden: true });
  const feedback = h("div", { class: "pm-feedback", hidden: true, tabindex: "-1" });
  const outcome = h("p", { class: "pm-outcome", hidden: true });
  const panel = h("div", { class: "pm-panel" }, predictBox, feedback, detail, outcome);
  const list = h("ol", { class: "pm-steps", "aria-label": "パケットの一覧" });
  const listBox = h("details", { class: "pm-list-box", open: true }, h("summary", { text: "パケットの一覧（クリックでその段へ）" }), list);
  root.replaceChildren(h("div", { class: "pm" }, settings, error, controls.el, live, h("div", { class: "pm-main" }, figure, panel), listBox));

  // The static tables hold every outcome: folded away, and out of the DOM while a prediction is pending.
  const fold = foldStatic(staticBox, "pm-tables", "表で見る（名前の付いた設定すべて）");
  const foldSpot = document.createComment("pmtud tables");
  // The lab's real captures show outcomes too: out of the DOM with the tables.
  const hideCaptures = outWhilePredicting(section.querySelector(".widget-captures"), "captures: back after the prediction");

  // ---- predict mode

  function syncFold() {
    if (!fold) return;
    if (pending() && fold.isConnected) fold.replaceWith(foldSpot);
    else if (!pending() && foldSpot.isConnected) foldSpot.replaceWith(fold);
    hideCaptures(pending());
  }

  function renderPredict() {
    setPressed(predictBtn, st.predict);
    predictBox.hidden = !st.predict;
    syncFold();
    if (!st.predict) return predictBox.replaceChildren();
    if (st.answered) {
      return predictBox.replaceChildren(h("p", { class: "pm-q", text: `${st.answered.skipped ? "答えを表示しました" : "予想に答えました"}。設定を変えると、もう一度予想できます。` }));
    }
    const k = ask();
    if (st.step < k) {
      return predictBox.replaceChildren(h("p", { class: "pm-q", text: `予想モード: ステップ ${k + 1}（大きなセグメント）の手前で止めて、結果を予想してもらいます。「次へ」で進んでください。` }));
    }
    const big = st.data.steps[k];
    const radios = [["true", "完了する"], ["false", "完了しない"]].map(([v, t]) =>
      h("label", { class: "pm-radio" }, h("input", { type: "radio", name: "pm-completes", value: v }), ` ${t}`));
    const pmtu = h("input", { type: "number", name: "pm-pmtu", min: "1280", max: "1500", step: "1", inputmode: "numeric", autocomplete: "off", class: "pm-mtu" });
    const msg = h("p", { class: "pm-pmsg", role: "status" });
    const skip = h("button", { type: "button", class: "pm-skip", text: "答えを見る" });
    const form = h("form", { class: "pm-pform", novalidate: true },
      h("fieldset", { class: "pm-pq" }, h("legend", { text: "大きな転送は完了する？" }), ...radios),
      h("label", { class: "pm-pq pm-field" }, h("span", { text: "最後に A が記録している経路 MTU は？" }), pmtu),
      h("div", { class: "pm-pbuttons" }, h("button", { type: "submit", class: "primary", text: "答え合わせ" }), skip),
      msg);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      check(form, msg);
    });
    skip.addEventListener("click", () => {
      st.answered = { skipped: true };
      go(k + 1);
      controls.el.querySelector("[data-action=next]").focus();
    });
    predictBox.replaceChildren(
      h("p", { class: "pm-q" }, h("strong", { text: `予想 ステップ ${k + 1}: ` }),
        `次に A が ${big.size} バイトのセグメントを送ります${big.df === null ? "" : `（DF=${big.df ? 1 : 0}）`}。ここまでの様子と設定から、結果を答えてください。`),
      form);
  }

  async function check(form, msg) {
    const k = ask();
    const completes = form.querySelector("input[name=pm-completes]:checked")?.value;
    const pmtuText = form.querySelector("input[name=pm-pmtu]").value.trim();
    if (!completes) return void (msg.textContent = "転送が完了するかどうかを選んでください。");
    if (!/^\d{1,4}$/.test(pmtuText) || +pmtuText < 1280 || +pmtuText > 1500) {
      msg.textContent = "経路 MTU は 1280〜1500 の整数で答えてください。";
      return;
    }
    msg.textContent = "採点中…";
    const q = st.q;
    const body = {
      filter: q.filter, ip: +q.ip, clamp: q.clamp === "true", plpmtud: q.plpmtud === "true", df: q.df === "true", mtu: +q.mtu,
      completes: completes === "true", pmtu: +pmtuText,
    };
    const req = st.req;
    const j = await postJSON(`${api}/check`, body).catch((e) => void (msg.textContent = e.message));
    // The settings changed meanwhile: this verdict is for another run.
    if (!j || req !== st.req || !pending()) return;
    st.answered = { ...j, completes: body.completes, pmtu: body.pmtu };
    go(k + 1);
    feedback.focus({ preventScroll: true });
  }

  function renderFeedback() {
    const f = st.answered;
    if (!st.predict || !f || f.skipped) {
      feedback.hidden = true;
      return feedback.replaceChildren();
    }
    feedback.hidden = false;
    feedback.className = `pm-feedback ${f.correct ? "is-right" : "is-wrong"}`;
    feedback.replaceChildren(
      h("p", { class: "pm-verdict" }, h("strong", { text: f.correct ? "✓ 正解" : "✗ 不正解" }),
        ` あなたの予想: 転送は${f.completes ? "完了する" : "完了しない"}、経路 MTU ${f.pmtu}`),
      h("p", {}, h("span", { text: f.correct ? "答え: " : "正しくは: " }), h("strong", { "data-pm-expected": "", text: f.expected })),
      h("p", { class: "pm-explain", text: f.explain }));
  }

  // ---- the diagram
  function stepRow(x, i, pendingRow) {
    const y = HEAD + i * ROW + 30;
    const cls = ["pm-row", `pm-kind-${x.kind}`, `pm-fate-${pendingRow ? "pending" : x.fate}`];
    if (!pendingRow && i === st.step - 1) cls.push("pm-current");
    if (i === st.anim) cls.push("pm-anim");
    const g = s("g", { class: cls.join(" "), "data-pm-step": String(i) });
    if (x.fate === "event" && !pendingRow) {
      const cx = X[x.from] + 16;
      g.append(
        s("g", { class: "pm-clock", "aria-hidden": "true" }, s("circle", { cx, cy: y, r: 7 }), s("path", { d: `M${cx},${y - 4} V${y} H${cx + 3}` })),
        s("text", { class: "pm-label", x: cx + 13, y: y + 5, text: x.label }));
      return g;
    }
    const x1 = X[x.from];
    const bad = x.fate === "too-big" || x.fate === "filtered";
    const x2 = pendingRow ? X.r1 - 30 : X[x.stops_at];
    const dir = Math.sign(x2 - x1) || 1;
    const tip = x2 - dir * (bad ? 0 : 2);
    if (x.fate === "fragmented" && !pendingRow) {
      g.append(s("line", { class: "pm-line", x1, y1: y, x2: X.r1, y2: y }));
      for (const dy of [-4, 4]) g.append(s("line", { class: "pm-line pm-frag", x1: X.r1, y1: y, x2: tip, y2: y + dy }));
    } else {
      g.append(s("line", { class: "pm-line", x1, y1: y, x2: tip, y2: y }));
    }
    if (pendingRow) g.append(s("text", { class: "pm-q-mark", x: x2 + 12, y: y + 6, text: "?" }));
    else if (bad) g.append(s("text", { class: "pm-x", x: x2, y: y + 6, "text-anchor": "middle", text: "✗" }));
    else g.append(s("polygon", { class: "pm-head", points: "0,0 -9,-5 -9,5", transform: `translate(${tip} ${y}) rotate(${dir > 0 ? 0 : 180})` }));
    const mid = Math.min(Math.max((x1 + x2) / 2, 70), W - 70);
    g.append(s("text", { class: "pm-label", x: mid, y: y - 8, "text-anchor": "middle", text: x.label }));
    return g;
  }

  function renderSvg(shown, pendingIndex) {
    const d = st.data;
    const rows = shown + (pendingIndex >= 0 ? 1 : 0);
    const height = HEAD + Math.max(rows, 1) * ROW + 12;
    svg.setAttribute("viewBox", `0 0 ${W} ${height}`);
    const parts = [
      s("title", { id: "pm-svg-title", text: `経路と送ったパケット: ${d.label}、${st.step} ステップ目まで` }),
      s("rect", { class: "pm-tunnel", x: X.r1 - 4, y: 29, width: X.r2 - X.r1 + 8, height: 25, rx: 12 }),
      s("text", { class: "pm-tunnel-label", x: (X.r1 + X.r2) / 2, y: 47, "text-anchor": "middle", text: `トンネル MTU ${d.mtu}` }),
    ];
    for (const [key, label] of Object.entries(NODE_LABEL)) {
      parts.push(s("line", { class: "pm-life", x1: X[key], y1: 58, x2: X[key], y2: height }));
      parts.push(s("text", { class: `pm-node pm-node-${key}`, x: X[key], y: 20, "text-anchor": "middle", text: label }));
    }
    parts.push(s("text", { class: "pm-mtu-label", x: (X.a + X.r1) / 2, y: 47, "text-anchor": "middle", text: `MTU ${d.link_mtu}` }));
    for (let i = 0; i < shown; i++) parts.push(stepRow(d.steps[i], i, false));
    if (pendingIndex >= 0) parts.push(stepRow(d.steps[pendingIndex], pendingIndex, true));
    svg.replaceChildren(...parts);
  }

  function renderDetail() {
    const d = st.data;
    const i = st.step - 1;
    const state = (pmtu, mss) => h("dl", { class: "pm-state" },
      h("dt", { text: "A の経路 MTU" }), h("dd", { "data-pm-pmtu": "", text: String(pmtu) }),
      h("dt", { text: "A の MSS" }), h("dd", { "data-pm-mss": "", text: String(mss) }));
    if (i < 0) {
      detail.replaceChildren(
        h("h3", { class: "pm-title", text: `開始前（${d.label}）` }),
        h("p", { text: `A と B のリンク MTU は ${d.link_mtu}、途中のトンネルは ${d.mtu} です。A はまだ経路の途中の MTU を知りません。「次へ」か → キーで最初のパケットを送ります。` }),
        state(d.link_mtu, d.link_mtu - d.overhead));
      return;
    }
    const x = d.steps[i];
    detail.replaceChildren(
      h("h3", { class: "pm-title", text: `ステップ ${st.step}: ${x.note}` }),
      h("p", { class: "pm-fate", text: `${NODE_LABEL[x.from]}${x.fate === "event" ? "" : ` → ${NODE_LABEL[x.to]}`}　${x.size ? `${x.size} バイト` : ""}${x.df === null ? "" : `　DF=${x.df ? 1 : 0}`}　${FATE_TEXT[x.fate](x)}` }),
      h("p", { class: "pm-explain", text: x.explain }),
      h("p", { class: "pm-source", text: `出典: ${x.source}` }),
      state(x.pmtu, x.mss));
  }

  function buildList(shown) {
    const items = [];
    for (let i = 0; i < shown; i++) {
      const x = st.data.steps[i];
      const fate = FATE_TEXT[x.fate](x);
      const b = h("button", { type: "button", text: `${i + 1}. ${x.label}${fate ? ` — ${fate}` : ""}` });
      if (i === st.step - 1) b.setAttribute("aria-current", "step");
      items.push(h("li", { "data-step": String(i + 1), class: x.fate === "too-big" || x.fate === "filtered" ? "pm-bad" : "" }, b));
    }
    list.replaceChildren(...items);
  }

  function render() {
    const d = st.data;
    if (!d) return;
    const shown = pending() ? Math.min(st.step, ask()) : st.step;
    const pendingIndex = pending() && st.step >= ask() ? ask() : -1;
    renderSvg(shown, pendingIndex);
    renderDetail();
    renderPredict();
    renderFeedback();
    buildList(shown);
    const end = !pending() && st.step === d.steps.length;
    outcome.hidden = !end;
    outcome.textContent = end ? d.outcome.summary : "";
    outcome.className = `pm-outcome ${d.outcome.completes ? "is-right" : "is-wrong"}`;
    controls.update();
    root.dataset.step = String(st.step);
  }

  function announce() {
    const d = st.data;
    if (!d) return;
    live.textContent = st.step === 0 ? "開始前。" : `ステップ ${st.step}: ${d.steps[st.step - 1].note}。`;
  }

  function go(k, { user = true } = {}) {
    if (!st.data) return;
    const max = lastStep();
    const n = Math.min(Math.max(k, 0), max);
    st.anim = n === st.step + 1 && !reducedMotion() ? n - 1 : -1;
    st.step = n;
    render();
    announce();
    if (user) save();
  }

  // ---- settings, loading, the hash
  function syncControls() {
    const q = st.q;
    filterSel.value = q.filter;
    ipSel.value = q.ip;
    clampBox.checked = q.clamp === "true";
    plpBox.checked = q.plpmtud === "true";
    dfBox.checked = q.df === "true";
    dfBox.disabled = q.ip === "6";
    mtuInput.value = q.mtu;
    presetSel.value = st.data && presets.some(([v]) => v === st.data.scenario) ? st.data.scenario : "";
  }

  function fromData(d) {
    return { filter: d.filter, ip: d.ipv6 ? "6" : "4", clamp: String(d.clamp), plpmtud: String(d.plpmtud), df: String(d.df), mtu: String(d.mtu) };
  }

  const showError = (msg) => showMessage(error, msg);

  /** Loads a run (`url` defaults to the current settings); keeps the step where it can. */
  async function load(url) {
    const id = ++st.req;
    root.dataset.state = "loading";
    let d;
    try {
      d = await getJSON(url || `${api}?${query(st.q)}`);
    } catch (e) {
      if (id !== st.req) return false;
      showError(e.message);
      syncControls();
      root.dataset.state = st.data ? "ready" : "error";
      return false;
    }
    if (id !== st.req) return false;
    showError("");
    st.data = d;
    st.q = fromData(d);
    st.answered = null;
    st.step = Math.min(st.step, lastStep());
    syncControls();
    render();
    root.dataset.state = "ready";
    return true;
  }

  function save() {
    writeHash(NAME, { ...st.q, step: st.step, predict: st.predict && "1" });
  }

  function restore(p) {
    for (const k of KEYS) if (p.has(k)) st.q[k] = p.get(k);
    st.predict = p.get("predict") === "1";
    const n = Number.parseInt(p.get("step") || "0", 10);
    st.step = Number.isFinite(n) && n > 0 ? n : 0;
  }

  async function change(key, value) {
    controls.stop();
    st.q[key] = value;
    if (key === "ip" && value === "6") st.q.df = "true";
    if (await load()) save();
  }

  presetSel.addEventListener("change", async () => {
    if (!presetSel.value) return;
    controls.stop();
    if (await load(`${api}?${new URLSearchParams({ scenario: presetSel.value })}`)) save();
  });
  filterSel.addEventListener("change", () => change("filter", filterSel.value));
  ipSel.addEventListener("change", () => change("ip", ipSel.value));
  clampBox.addEventListener("change", () => change("clamp", String(clampBox.checked)));
  plpBox.addEventListener("change", () => change("plpmtud", String(plpBox.checked)));
  dfBox.addEventListener("change", () => change("df", String(dfBox.checked)));
  // The server checks the range and answers a bad value with a Japanese message naming `mtu`.
  mtuInput.addEventListener("change", () => change("mtu", mtuInput.value.trim()));
  predictBtn.addEventListener("click", () => {
    controls.stop();
    st.predict = !st.predict;
    st.answered = null;
    if (st.data) st.step = Math.min(st.step, lastStep());
    render();
    save();
  });
  list.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-step]");
    if (!li) return;
    controls.stop();
    go(Number(li.dataset.step));
  });
  onHashChange(NAME, async (p) => {
    restore(p);
    controls.stop();
    await load();
  });

  const fromHash = readHash(NAME);
  if (fromHash) restore(fromHash);
  (async () => {
    const ok = await loadOrDefaults(fromHash, error, () => load(), () => {
      st.q = { ...DEFAULTS };
      st.step = 0;
      return load();
    });
    if (ok) announce();
    if (ok && fromHash) section.scrollIntoView({ block: "start" });
  })();
}
