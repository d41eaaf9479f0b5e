// Static rules vs a stateful filter (W9): turns the server-rendered tables into two lanes — the same
// packet through a static rule table and through conntrack — with the rule that decided highlighted, the
// packet's ct state, and the table as `conntrack -L` prints it after each packet. The model on the server
// is the truth: every run comes from the JSON API and every prediction is graded there. In 予想モード each
// packet is asked before it is shown; later packets, their verdicts, the table after them and the outcome
// are not in the DOM until the answer comes back (the static tables leave the DOM too). Nothing from the
// model goes through innerHTML; the page's CSP forbids inline styles.

import { fill, foldStatic, h, predictToggle, s, setPressed, staticWhilePredicting } from "./lib/dom.js";
import { fetchLatest, postJSON } from "./lib/fetch.js";
import { loadOrDefaults, onHashChange, readHash, writeHash } from "./lib/hash.js";
import { reducedMotion } from "./lib/motion.js";
import { stepper } from "./lib/stepper.js";

const NAME = "conntrack";
const STATES = ["NEW", "ESTABLISHED", "RELATED", "INVALID"];
const CLIENT = "192.168.1.10";

// Two lanes in a 380-unit viewBox: 16-unit text stays ≥ 12 px on a 360 px phone.
const W = 380;
const LANE = 140;
const XL = 66; // centre of the inside box
const XW = 190; // the filter
const XR = 314; // centre of the outside box

const endpoint = (addr, port) => (port === null ? addr : `${addr}:${port}`);
const ruleName = (rule) => (rule === "policy" ? "既定" : rule);
const verdictText = (v) => `${v.accept ? "✓ 通す" : "✗ 破棄"}（${ruleName(v.rule)}）`;

export function mount(section) {
  const root = section.querySelector("[data-widget-root]");
  const api = section.dataset.api;
  if (!root || !api) throw new Error("conntrack: no [data-widget-root] or data-api");
  const st = { scenario: "https", loose: true, data: null, step: 0, predict: false, answers: [], req: 0, anim: -1 };

  const staticBox = section.querySelector("[data-widget-static]");
  const scenarios = staticBox
    ? [...staticBox.querySelectorAll("[data-scenario]")].map((d) => [d.dataset.scenario, d.querySelector("summary").textContent.trim()])
    : [["https", "HTTPS"]];

  // ---- controls
  const scenarioSel = h("select", { name: "scenario" }, ...scenarios.map(([v, t]) => h("option", { value: v, text: t })));
  const looseBox = h("input", { type: "checkbox", name: "loose" });
  const predictBtn = predictToggle("ct-predict-toggle");
  const settings = h("div", { class: "ct-settings widget-controls" },
    h("label", { class: "ct-field" }, h("span", { text: "通信" }), scenarioSel),
    h("label", { class: "ct-check" }, looseBox, " nf_conntrack_tcp_loose = 1（既定）"),
    h("div", { class: "ct-predict-row" }, predictBtn,
      h("span", { class: "ct-muted", text: " パケットごとに、二つのフィルタの判定と ct state を先に予想します。" })));
  const error = h("p", { class: "ct-error widget-error", role: "alert", hidden: true });
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });

  // In 予想モード the learner may not step past the first packet not yet answered.
  const total = () => (st.data ? st.data.steps.length : 0);
  const gate = () => (st.predict ? Math.min(st.answers.length, total()) : total());
  const pending = () => st.predict && !!st.data && st.step === gate() && gate() < total();

  const controls = stepper(section, {
    position: () => st.data && { step: st.step, first: 0, last: gate() },
    go: (k) => go(k),
    interval: 1800,
    canPlay: () => !st.predict,
    counter: (pos) => `ステップ ${pos.step} / ${st.predict && gate() < total() ? "?" : total()}`,
  });

  const svg = s("svg", { class: "ct-svg", viewBox: `0 0 ${W} ${2 * LANE + 8}`, role: "img", "aria-labelledby": "ct-svg-title" });
  const predictBox = h("div", { class: "ct-predict", hidden: true });
  const feedback = h("div", { class: "ct-feedback", hidden: true, tabindex: "-1" });
  const detail = h("div", { class: "ct-detail" });
  const tableBox = h("div", { class: "ct-table" });
  const rulesBox = h("div", { class: "ct-rulesets" });
  const outcome = h("p", { class: "ct-outcome", hidden: true });
  const list = h("ol", { class: "ct-steps", "aria-label": "パケットの一覧" });
  root.replaceChildren(h("div", { class: "ct" },
    settings, error, controls.el, live,
    h("div", { class: "ct-main" }, h("figure", { class: "ct-figure" }, svg), h("div", { class: "ct-panel" }, predictBox, feedback, detail)),
    tableBox, outcome, rulesBox,
    h("details", { class: "ct-list-box", open: true }, h("summary", { text: "パケットの一覧（クリックでその段へ）" }), list)));

  // The lab's real captures print every packet's fate and conntrack -L: out of the DOM with the tables.
  const tablesOut = staticWhilePredicting(foldStatic(staticBox, "ct-tables", "表で見る（すべての通信）"));
  const syncFold = () => tablesOut(st.predict && gate() < total());

  // ---- the diagram
  function lane(i, title, x, show) {
    const top = i * LANE + 4;
    const y = top + 68;
    const g = s("g", { class: "ct-lane", "data-ct-lane": i ? "stateful" : "static" },
      s("text", { class: "ct-lane-title", x: 8, y: top + 18, text: title }),
      s("rect", { class: "ct-host", x: 6, y: top + 30, width: 120, height: 72, rx: 6 }),
      s("text", { class: "ct-host-label", x: XL, y: top + 50, "text-anchor": "middle", text: "内側" }),
      s("text", { class: "ct-addr", x: XL, y: top + 94, "text-anchor": "middle", text: CLIENT }),
      s("rect", { class: "ct-host", x: 254, y: top + 30, width: 120, height: 72, rx: 6 }),
      s("text", { class: "ct-host-label", x: XR, y: top + 50, "text-anchor": "middle", text: "外" }),
      s("rect", { class: "ct-wall", x: XW - 7, y: top + 26, width: 14, height: 80, rx: 3 }));
    if (!x) return g;
    const p = x.packet;
    const outside = p.dir === "out" ? p.dst : p.src;
    g.append(s("text", { class: "ct-addr", x: XR, y: top + 94, "text-anchor": "middle", text: outside }));
    const from = p.dir === "out" ? XL + 34 : XR - 34;
    const to = p.dir === "out" ? XR - 34 : XL + 34;
    const verdict = show ? (i ? x.stateful : x.static_verdict) : null;
    const stop = verdict && !verdict.accept ? XW : show ? to : XW + (p.dir === "out" ? -12 : 12);
    const cls = ["ct-pkt", show ? (verdict.accept ? "is-pass" : "is-drop") : "is-pending"];
    if (st.anim >= 0) cls.push("ct-anim");
    const dir = Math.sign(stop - from);
    const arrow = s("g", { class: cls.join(" ") }, s("line", { class: "ct-line", x1: from, y1: y, x2: stop, y2: y }));
    if (!show) arrow.append(s("text", { class: "ct-q", x: XW, y: top + 128, "text-anchor": "middle", text: "?" }));
    else if (!verdict.accept) arrow.append(s("text", { class: "ct-x", x: XW, y: y + 7, "text-anchor": "middle", text: "✗" }));
    else arrow.append(s("polygon", { class: "ct-head", points: "0,0 -9,-5 -9,5", transform: `translate(${stop} ${y}) rotate(${dir > 0 ? 0 : 180})` }));
    const ports = p.sport === null ? "ICMP" : `${p.sport} → ${p.dport}`;
    arrow.append(s("text", { class: "ct-what", x: XW, y: y - 10, "text-anchor": "middle", text: `${p.flags.length ? p.flags.join(",") : p.proto.toUpperCase()} ${ports}` }));
    if (show) {
      const label = i ? `${x.ct_state} → ${verdict.accept ? "通す" : "破棄"}（${ruleName(verdict.rule)}）` : `${verdict.accept ? "通す" : "破棄"}（${ruleName(verdict.rule)}）`;
      arrow.append(s("text", { class: "ct-verdict", x: XW, y: top + 126, "text-anchor": "middle", text: label }));
    }
    g.append(arrow);
    return g;
  }

  function renderSvg() {
    const i = pending() ? st.step : st.step - 1;
    const x = i >= 0 ? st.data.steps[i] : null;
    const show = !!x && !pending();
    svg.replaceChildren(
      s("title", { id: "ct-svg-title", text: x ? `パケット ${i + 1}: ${x.packet.what}` : "まだパケットはありません" }),
      lane(0, "静的フィルタ", x, show),
      lane(1, "ステートフル（conntrack）", x, show));
  }

  // ---- the text
  const pre = (lines, label) => h("pre", { class: "ct-lines", "aria-label": label, tabindex: "0" }, lines.length ? lines.join("\n") : "（空）");

  function renderDetail() {
    const d = st.data;
    if (pending()) {
      const x = d.steps[st.step];
      const p = x.packet;
      detail.replaceChildren(h("h3", { class: "ct-title", text: `パケット ${st.step + 1}（判定は予想のあとで）` }),
        h("p", { class: "ct-packet", text: `${p.dir === "out" ? "出" : "入"} ${endpoint(p.src, p.sport)} → ${endpoint(p.dst, p.dport)}　${p.what}` }));
      return;
    }
    if (st.step === 0) {
      detail.replaceChildren(h("h3", { class: "ct-title", text: "開始前" }),
        h("p", { text: d.initial_table.length ? "conntrack の表には、すでに HTTPS の接続があります。「次へ」か → キーで最初のパケットを流します。" : "conntrack の表は空です。「次へ」か → キーで最初のパケットを流します。" }));
      return;
    }
    const x = d.steps[st.step - 1];
    const p = x.packet;
    detail.replaceChildren(
      h("h3", { class: "ct-title", text: `パケット ${st.step}: ${x.note}` }),
      h("p", { class: "ct-packet", text: `${p.dir === "out" ? "出" : "入"} ${endpoint(p.src, p.sport)} → ${endpoint(p.dst, p.dport)}　${p.what}` }),
      h("dl", { class: "ct-verdicts" },
        h("dt", { text: "静的フィルタ" }), h("dd", { "data-ct-static": "", text: verdictText(x.static_verdict) }),
        h("dt", { text: "ct state" }), h("dd", { "data-ct-state": "", text: x.ct_state }),
        h("dt", { text: "ステートフル" }), h("dd", { "data-ct-stateful": "", text: verdictText(x.stateful) })),
      h("p", { class: "ct-explain", text: x.explain }),
      h("p", { class: "ct-source", text: `出典: ${x.source}` }));
  }

  function renderTable() {
    const d = st.data;
    const shown = st.step === 0 ? null : d.steps[st.step - 1];
    const lines = shown ? shown.table : d.initial_table;
    const expect = shown ? shown.expect : [];
    const when = st.step === 0 ? "開始前" : `パケット ${st.step} の後`;
    fill(tableBox,
      h("h3", { class: "ct-subtitle", text: `# conntrack -L（${when}）` }), pre(lines, "conntrack -L"),
      expect.length > 0 && h("h3", { class: "ct-subtitle", text: "# conntrack -L expect" }),
      expect.length > 0 && pre(expect, "conntrack -L expect"));
  }

  function renderRules() {
    const x = st.step > 0 && !pending() ? st.data.steps[st.step - 1] : null;
    const ruleList = (title, rules, hit) => h("div", { class: "ct-ruleset" },
      h("h3", { class: "ct-subtitle", text: title }),
      h("ol", { class: "ct-rules-list" }, ...rules.map((r) => {
        const li = h("li", { class: r.id === hit ? "is-hit" : "" }, h("span", { class: "ct-rule-id", text: ruleName(r.id) }), h("code", { text: r.text }));
        if (r.id === hit) li.setAttribute("aria-current", "true");
        return li;
      })));
    rulesBox.replaceChildren(
      ruleList("静的フィルタのルール", st.data.static_rules, x && x.static_verdict.rule),
      ruleList("ステートフル（nftables）", st.data.stateful_rules, x && x.stateful.rule));
  }

  function renderList() {
    const items = [];
    for (let i = 0; i < Math.min(gate(), total()); i++) {
      const x = st.data.steps[i];
      const b = h("button", { type: "button", text: `${i + 1}. ${x.packet.what} — 静的 ${x.static_verdict.accept ? "✓" : "✗"} / ${x.ct_state} ${x.stateful.accept ? "✓" : "✗"}` });
      if (i === st.step - 1) b.setAttribute("aria-current", "step");
      items.push(h("li", { "data-step": String(i + 1) }, b));
    }
    list.replaceChildren(...items);
  }

  // ---- 予想モード
  function radios(name, legend, options) {
    return h("fieldset", { class: "ct-pq" }, h("legend", { text: legend }),
      ...options.map(([v, t]) => h("label", { class: "ct-radio" }, h("input", { type: "radio", name, value: v }), ` ${t}`)));
  }

  function renderPredict() {
    setPressed(predictBtn, st.predict);
    predictBox.hidden = !st.predict;
    syncFold();
    if (!st.predict) return predictBox.replaceChildren();
    if (!pending()) {
      const done = gate() >= total();
      return predictBox.replaceChildren(h("p", { class: "ct-q-text", text: done ? "すべてのパケットを予想しました。通信を変えると、もう一度予想できます。" : "「次へ」で、まだ予想していないパケットへ進みます。" }));
    }
    const k = st.step;
    const stateSel = h("select", { name: "ct-state" }, h("option", { value: "", text: "選ぶ…" }), ...STATES.map((v) => h("option", { value: v, text: v })));
    const msg = h("p", { class: "ct-pmsg", role: "status" });
    const skip = h("button", { type: "button", class: "ct-skip", text: "答えを見る" });
    const form = h("form", { class: "ct-pform", novalidate: true },
      radios("ct-static", "静的フィルタは？", [["accept", "通す"], ["drop", "破棄"]]),
      radios("ct-stateful", "ステートフルなフィルタは？", [["accept", "通す"], ["drop", "破棄"]]),
      h("label", { class: "ct-pq ct-field" }, h("span", { text: "このパケットの ct state は？" }), stateSel),
      h("div", { class: "ct-pbuttons" }, h("button", { type: "submit", class: "primary", text: "答え合わせ" }), skip), msg);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      check(k, form, msg);
    });
    skip.addEventListener("click", () => {
      st.answers[k] = { skipped: true };
      go(k + 1);
      controls.el.querySelector("[data-action=next]").focus();
    });
    predictBox.replaceChildren(h("p", { class: "ct-q-text" }, h("strong", { text: `予想 パケット ${k + 1}: ` }), "このパケットはどう扱われる？"), form);
  }

  async function check(k, form, msg) {
    const pick = (name) => form.querySelector(`input[name=${name}]:checked`)?.value;
    const body = { scenario: st.scenario, loose: st.loose, step: k, static: pick("ct-static"), stateful: pick("ct-stateful"), state: form.querySelector("select[name=ct-state]").value };
    if (!body.static || !body.stateful || !body.state) {
      msg.textContent = "三つとも答えてください。";
      return;
    }
    msg.textContent = "採点中…";
    const req = st.req;
    const j = await postJSON(`${api}/check`, body).catch((e) => void (msg.textContent = e.message));
    if (!j || req !== st.req || !pending() || st.step !== k) return;
    st.answers[k] = { ...j, given: body };
    go(k + 1);
    feedback.focus({ preventScroll: true });
  }

  function renderFeedback() {
    const f = st.predict && st.step > 0 ? st.answers[st.step - 1] : null;
    if (!f || f.skipped) {
      feedback.hidden = true;
      return feedback.replaceChildren();
    }
    const g = f.given;
    const word = (v) => (v === "accept" ? "通す" : "破棄");
    feedback.hidden = false;
    feedback.className = `ct-feedback ${f.correct ? "is-right" : "is-wrong"}`;
    feedback.replaceChildren(
      h("p", { class: "ct-verdict-line" }, h("strong", { text: f.correct ? "✓ 正解" : "✗ 不正解" }),
        ` あなたの予想: 静的 ${word(g.static)}、ステートフル ${word(g.stateful)}、${g.state}`),
      h("p", {}, h("span", { text: f.correct ? "答え: " : "正しくは: " }), h("strong", { "data-ct-expected": "", text: f.expected })));
  }

  // ---- rendering and navigation
  function render() {
    if (!st.data) return;
    renderSvg();
    renderDetail();
    renderTable();
    renderRules();
    renderPredict();
    renderFeedback();
    renderList();
    const end = st.step === total() && !(st.predict && gate() < total());
    outcome.hidden = !end;
    outcome.textContent = end ? st.data.outcome.summary : "";
    setPressed(predictBtn, st.predict);
    controls.update();
    root.dataset.step = String(st.step);
  }

  function go(k, { user = true } = {}) {
    if (!st.data) return;
    const n = Math.min(Math.max(k, 0), gate());
    st.anim = n === st.step + 1 && !reducedMotion() ? n - 1 : -1;
    st.step = n;
    render();
    const x = st.step > 0 ? st.data.steps[st.step - 1] : null;
    live.textContent = pending() ? `パケット ${st.step + 1} を予想してください。` : x ? `パケット ${st.step}: ${x.note}。静的フィルタ ${verdictText(x.static_verdict)}、${x.ct_state}、${verdictText(x.stateful)}。` : "開始前。";
    if (user) save();
  }

  function save() {
    writeHash(NAME, { scenario: st.scenario, loose: st.loose ? "1" : "0", step: st.step, predict: st.predict && "1" });
  }

  function restore(p) {
    if (p.has("scenario")) st.scenario = p.get("scenario");
    st.loose = p.get("loose") !== "0";
    st.predict = p.get("predict") === "1";
    const n = Number.parseInt(p.get("step") || "0", 10);
    st.step = Number.isFinite(n) && n > 0 ? n : 0;
  }


  async function load() {
    const d = await fetchLatest(st, root, error, `${api}?${new URLSearchParams({ scenario: st.scenario, loose: String(st.loose) })}`);
    if (!d) return false;
    st.data = d;
    st.answers = [];
    st.step = Math.min(st.step, gate());
    scenarioSel.value = st.scenario;
    looseBox.checked = st.loose;
    render();
    root.dataset.state = "ready";
    return true;
  }

  async function change(fn) {
    controls.stop();
    fn();
    if (await load()) save();
  }
  scenarioSel.addEventListener("change", () => change(() => {
    st.scenario = scenarioSel.value;
    st.step = 0;
  }));
  looseBox.addEventListener("change", () => change(() => {
    st.loose = looseBox.checked;
  }));
  predictBtn.addEventListener("click", () => {
    controls.stop();
    st.predict = !st.predict;
    st.answers = [];
    if (st.data) st.step = Math.min(st.step, gate());
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
      Object.assign(st, { scenario: "https", loose: true, step: 0 });
      return load();
    });
    if (ok && fromHash) section.scrollIntoView({ block: "start" });
  })();
}
