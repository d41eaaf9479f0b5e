// SNMP manager and agent (W11): turns the server-rendered tables into a sequence diagram of PDUs between
// the manager and the agent (UDP 161 for requests, 162 for notifications), a panel with the PDU's
// variable bindings, the agent's MIB with the walk's position, a chart of the bits/s a poll computes, and
// 予想モード. The Rust model is the truth: every run comes from /api/widgets/snmp and every prediction is
// graded there. In 予想モード nothing after the asked step is in the DOM: not its arrow, not its values,
// not the outcome, not the tables (they are taken out of the page until the mode is left).

import { foldStatic, h, predictToggle, s, setPressed, staticWhilePredicting, toggleButton } from "./lib/dom.js";
import { fetchLatest, postJSON } from "./lib/fetch.js";
import { loadOrDefaults, onHashChange, readHash, writeHash } from "./lib/hash.js";
import { reducedMotion } from "./lib/motion.js";
import { stepper } from "./lib/stepper.js";

const NAME = "snmp";
const WHO = { manager: "マネージャー", agent: "エージェント" };
const FIELD_LABEL = {
  oid: "返ってくる OID", error_status: "error-status", count: "variable bindings の数",
  rate: "計算される bits/s", port: "宛先 UDP ポート", acked: "Response が返るか",
};
const ERRORS = ["noError", "noAccess", "notWritable", "noSuchName", "readOnly", "genErr", "authorizationError"];
// Which controls each scenario uses, and their choices.
const USES = {
  "walk-iftable": ["interfaces"], bulk: ["interfaces", "non_repeaters", "max_repetitions"],
  trap: ["lost"], inform: ["lost"], poll: ["interval", "rate_mbps", "hc"],
};
const CHOICES = {
  interfaces: [2, 3, 4], non_repeaters: [0, 1, 2, 3], max_repetitions: [0, 1, 2, 3, 4, 5, 6, 8, 10],
  interval: [10, 30, 60, 120, 300], rate_mbps: [10, 100, 500, 1000, 10000],
};
const PARAM_LABEL = {
  interfaces: "ifTable の行数", non_repeaters: "non-repeaters (N)", max_repetitions: "max-repetitions (M)",
  interval: "間隔（秒）", rate_mbps: "回線の速さ（Mbit/s）",
};
const DEFAULTS = { interfaces: 2, non_repeaters: 1, max_repetitions: 3, interval: 60, rate_mbps: 100, lost: false, hc: false };
const MIB_SCENARIOS = new Set(["get", "walk-system", "walk-iftable", "bulk", "set"]);

// Diagram geometry (viewBox units): 300 wide, so 13-unit text stays ≥ 12 px on a 360 px phone.
const W = 300, XM = 30, XA = 270, MID = (XM + XA) / 2, HEAD = 58, ROW = 62, EVENT = 46;

/** Text cut to about `max` half-width cells (a Japanese character counts two). */
function clip(text, max) {
  let out = "", cells = 0;
  for (const ch of text) {
    cells += ch.charCodeAt(0) > 0xff ? 2 : 1;
    if (cells > max) return `${out}…`;
    out += ch;
  }
  return out;
}

const fmtTime = (ms) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(3).replace(/\.?0+$/, "")} 秒`);
const fmtBps = (n) => `${Number(n).toLocaleString("ja-JP")} bit/s`;
const vbText = (v) => (v.value ? `${v.name} = ${v.value}` : `${v.name}${v.syntax === "Null" ? "" : ` (${v.syntax})`}`);

export function mount(section) {
  const root = section.querySelector("[data-widget-root]");
  const api = section.dataset.api;
  if (!root || !api) throw new Error("snmp: no [data-widget-root] or data-api");
  const st = { scenario: "get", ...DEFAULTS, predict: false, step: 0, data: null, field: null, feedback: null, req: 0 };

  const staticBox = section.querySelector("[data-widget-static]");
  const scenarios = staticBox
    ? [...staticBox.querySelectorAll("details[data-scenario]")].map((d) => [d.dataset.scenario, d.querySelector("summary").textContent.trim()])
    : [["get", "GetRequest"]];

  // ---- controls
  const scenarioSel = h("select", { id: "sn-scenario", class: "sn-scenario" },
    scenarios.map(([v, t]) => h("option", { value: v, text: t })));
  const selects = {};
  const paramBoxes = {};
  for (const key of Object.keys(CHOICES)) {
    selects[key] = h("select", { id: `sn-${key}`, "data-param": key });
    paramBoxes[key] = h("label", { class: "sn-param", for: `sn-${key}` }, h("span", { text: PARAM_LABEL[key] }), selects[key]);
  }
  const lostBtn = toggleButton("sn-lost", "1 回目の通知を失う");
  const hcBtn = toggleButton("sn-hc", "64 ビットの ifHCInOctets を読む");
  paramBoxes.lost = lostBtn;
  paramBoxes.hc = hcBtn;
  const predictBtn = predictToggle("sn-predict-toggle");
  const toolbar = h("div", { class: "sn-toolbar widget-controls" },
    h("label", { class: "sn-param sn-scenario-box", for: "sn-scenario" }, h("span", { text: "シナリオ" }), scenarioSel),
    Object.values(paramBoxes), predictBtn);
  const controls = stepper(section, {
    position: () => st.data && { step: st.step, first: 0, last: st.data.steps.length },
    go: (k) => go(k),
    interval: 1500,
    canPlay: () => !st.predict,
    counter: (pos) => `ステップ ${pos.step} / ${pos.last}`,
  });
  const error = h("p", { class: "widget-error sn-error", role: "alert", hidden: true });
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const ladder = s("svg", { class: "sn-ladder", role: "img", "aria-labelledby": "sn-ladder-title" });
  const chart = s("svg", { class: "sn-chart", role: "img", "aria-labelledby": "sn-chart-title", viewBox: "0 0 300 150" });
  const chartBox = h("figure", { class: "sn-chart-box", hidden: true }, chart,
    h("figcaption", {}, h("span", { class: "sn-key sn-key-calc" }), " 計算した bits/s　", h("span", { class: "sn-key sn-key-real" }), " 実際の bits/s"));
  const feedbackBox = h("div", { class: "sn-feedback", hidden: true });
  const predictBox = h("div", { class: "sn-predict", hidden: true });
  const detail = h("div", { class: "sn-detail" });
  const outcome = h("p", { class: "sn-outcome outcome", hidden: true });
  // It scrolls on its own, so it takes focus: keyboard users can scroll it too (axe: scrollable-region-focusable).
  const mibList = h("ol", { class: "sn-mib", tabindex: "0", "aria-label": "エージェントの MIB" });
  const mibBox = h("details", { class: "sn-mib-box", open: true }, h("summary", { text: "エージェントの MIB（OID の辞書順）" }), mibList);
  const stepList = h("ol", { class: "sn-steps", start: "0" });
  const stepBox = h("details", { class: "sn-steps-box" }, h("summary", { text: "ステップの一覧" }), stepList);
  root.replaceChildren(h("div", { class: "sn" }, toolbar, error, controls.el,
    h("div", { class: "sn-main" },
      h("div", { class: "sn-ladder-box" }, ladder, chartBox),
      h("div", { class: "sn-panel" }, live, feedbackBox, predictBox, detail, outcome, mibBox)),
    stepBox));
  root.dataset.state = "loading";

  // The tables stay in the page folded away (no-JS view, print); in 予想モード they leave the DOM.
  const fold = foldStatic(staticBox, "sn-tables", "表で見る（既定の値）");
  // The lab's real captures show every PDU and reply: out of the DOM with the tables.
  const tablesOut = staticWhilePredicting(fold);
  const placeTables = () => tablesOut(st.predict);

  // ---- state <-> hash
  function fromHash(p) {
    if (!p) return false;
    if (p.has("scenario")) st.scenario = p.get("scenario");
    for (const key of Object.keys(CHOICES)) if (p.has(key)) st[key] = p.get(key);
    st.lost = p.get("lost") === "1";
    st.hc = p.get("hc") === "1";
    st.predict = p.get("predict") === "1";
    const n = Number.parseInt(p.get("step") || "0", 10);
    st.step = Number.isFinite(n) && n > 0 ? n : 0;
    return true;
  }
  function saveHash() {
    const used = USES[st.scenario] || [];
    const e = { scenario: st.scenario };
    for (const key of used) e[key] = key === "lost" || key === "hc" ? (st[key] ? "1" : null) : st[key];
    Object.assign(e, { step: st.step, predict: st.predict && "1" });
    writeHash(NAME, e);
  }
  const query = () => {
    const q = new URLSearchParams({ scenario: st.scenario });
    for (const key of USES[st.scenario] || []) q.set(key, String(st[key]));
    return q;
  };

  function syncControls() {
    scenarioSel.value = st.scenario;
    const used = new Set(USES[st.scenario] || []);
    for (const [key, box] of Object.entries(paramBoxes)) box.hidden = !used.has(key);
    for (const [key, sel] of Object.entries(selects)) {
      const values = CHOICES[key].map(String);
      if (!values.includes(String(st[key]))) values.push(String(st[key]));
      sel.replaceChildren(...values.map((v) => h("option", { value: v, text: v, selected: v === String(st[key]) })));
    }
    setPressed(lostBtn, st.lost);
    setPressed(hcBtn, st.hc);
    setPressed(predictBtn, st.predict);
  }

  async function load({ keepStep = false } = {}) {
    const data = await fetchLatest(st, root, error, `${api}?${query()}`);
    if (!data) return false;
    st.data = data;
    st.step = keepStep ? Math.min(Math.max(st.step, 0), data.steps.length) : 0;
    st.feedback = null;
    st.field = null;
    syncControls();
    render();
    root.dataset.state = "ready";
    return true;
  }

  function go(k, { user = true } = {}) {
    if (!st.data) return;
    const n = st.data.steps.length;
    k = Math.min(Math.max(k, 0), n);
    if (k !== st.step) {
      st.step = k;
      st.field = null;
      if (st.feedback && st.feedback.step !== k - 1) st.feedback = null;
    }
    render();
    announce();
    if (user) saveHash();
  }

  function announce(prefix = "") {
    const d = st.data;
    if (!d) return;
    live.textContent = prefix + (st.step === 0 ? "開始前。" : `ステップ ${st.step} / ${d.steps.length}: ${d.steps[st.step - 1].note}。`);
  }

  // ---- rendering
  function render() {
    const d = st.data;
    if (!d) return;
    placeTables();
    controls.update();
    root.dataset.step = String(st.step);
    renderLadder();
    renderChart();
    renderDetail();
    renderPredict();
    renderFeedback();
    renderMib();
    renderList();
    const done = st.step >= d.steps.length;
    outcome.hidden = !done;
    outcome.textContent = done ? d.outcome : "";
  }

  /** The rows drawn: every revealed step, and in 予想モード the asked one as a placeholder. */
  function layout() {
    const d = st.data;
    const upto = Math.min(d.steps.length, st.step + (st.predict ? 1 : 0));
    let y = HEAD;
    const rows = [];
    for (let i = 0; i < upto; i++) {
      const x = d.steps[i];
      const hgt = x.kind === "pdu" ? ROW : EVENT;
      rows.push({ i, top: y, pending: i === st.step });
      y += hgt;
    }
    return { rows, height: y + 8 };
  }

  function arrow(x, top, i, pending) {
    const right = x.from === "manager";
    const x1 = right ? XM : XA, x2full = right ? XA - 2 : XM + 2;
    const lost = x.lost && !pending;
    const x2 = lost ? MID + (right ? 30 : -30) : x2full;
    const y1 = top + 44, y2 = top + (lost ? 51 : 58);
    const angle = (Math.atan2(y2 - y1, x2 - x1) * 180) / Math.PI;
    const cls = ["sn-pdu", `sn-from-${x.from}`];
    if (pending) cls.push("sn-pending");
    else if (i === st.step - 1) cls.push("sn-current");
    if (lost) cls.push("sn-lost");
    const label = pending ? `${x.pdu} ?` : `${x.pdu}${x.non_repeaters !== null ? ` N=${x.non_repeaters} M=${x.max_repetitions}` : ""}`;
    const port = pending ? "UDP ?" : `UDP ${x.src_port} → ${x.dst_port}`;
    let sub = "";
    if (!pending) {
      if (x.error_status && x.error_status !== "noError") sub = `${x.error_status} (index ${x.error_index})`;
      else if (x.varbinds.length) {
        // The binding that tells the story: a notification's snmpTrapOID, a poll's counter, else the first.
        const main = x.pdu === "SNMPv2-Trap" || x.pdu === "InformRequest" ? 1 : st.scenario === "poll" ? x.varbinds.length - 1 : 0;
        sub = `${vbText(x.varbinds[main])}${x.varbinds.length > 1 ? ` 他 ${x.varbinds.length - 1}` : ""}`;
      }
    }
    const g = s("g", { class: cls.join(" "), "data-sn-step": String(i) },
      s("line", { class: "sn-line", x1, y1, x2, y2 }),
      lost ? s("text", { class: "sn-x", x: x2, y: y2 + 5, "text-anchor": "middle", text: "✗" })
        : s("polygon", { class: "sn-head", points: "0,0 -9,-4.5 -9,4.5", transform: `translate(${x2} ${y2}) rotate(${angle})` }),
      s("text", { class: "sn-label", x: MID, y: top + 13, "text-anchor": "middle", text: clip(label, 28) }),
      s("text", { class: "sn-port", x: MID, y: top + 26, "text-anchor": "middle", text: port }),
      s("text", { class: "sn-sub", x: MID, y: top + 39, "text-anchor": "middle", text: clip(sub, 30) }));
    return g;
  }

  function eventBox(x, top, i, pending) {
    const atAgent = x.from === "agent";
    const cls = ["sn-event", `sn-from-${x.from}`, pending ? "sn-pending" : i === st.step - 1 ? "sn-current" : ""].filter(Boolean);
    const bw = 196, bx = atAgent ? XA + 12 - bw : XM - 12;
    return s("g", { class: cls.join(" "), "data-sn-step": String(i) },
      s("rect", { x: bx, y: top + 6, width: bw, height: EVENT - 12, rx: 6 }),
      s("text", { class: "sn-ev-text", x: bx + bw / 2, y: top + 27, "text-anchor": "middle", text: pending ? `${WHO[x.from]}で何かが起きる ?` : clip(x.rate ? `計算: ${fmtBps(x.rate.bits_per_second)}` : x.note, 27) }));
  }

  function renderLadder() {
    const d = st.data;
    const { rows, height } = layout();
    ladder.setAttribute("viewBox", `0 0 ${W} ${height}`);
    const label = scenarioSel.selectedOptions[0]?.textContent || st.scenario;
    const parts = [
      s("title", { id: "sn-ladder-title", text: `シーケンス図: ${label}、${st.step} / ${d.steps.length} ステップ` }),
      s("text", { class: "sn-col sn-col-manager", x: XM - 4, y: 16, text: "マネージャー" }),
      s("text", { class: "sn-col sn-col-agent", x: XA + 4, y: 16, "text-anchor": "end", text: "エージェント" }),
      s("text", { class: "sn-addr", x: XM - 4, y: 32, text: `${d.manager}  :162 待受` }),
      s("text", { class: "sn-addr", x: XA + 4, y: 48, "text-anchor": "end", text: `${d.agent}  :161 待受` }),
      s("line", { class: "sn-axis sn-axis-manager", x1: XM, y1: HEAD - 4, x2: XM, y2: height }),
      s("line", { class: "sn-axis sn-axis-agent", x1: XA, y1: HEAD - 4, x2: XA, y2: height }),
    ];
    let newest = null;
    for (const r of rows) {
      const x = d.steps[r.i];
      const el = x.kind === "pdu" ? arrow(x, r.top, r.i, r.pending) : eventBox(x, r.top, r.i, r.pending);
      if (r.i === st.step - 1) newest = el;
      parts.push(el);
    }
    ladder.replaceChildren(...parts);
    if (newest && !reducedMotion()) newest.classList.add("sn-anim");
  }

  function renderChart() {
    const d = st.data;
    const shown = d.steps.slice(0, st.step).filter((x) => x.rate).map((x) => x.rate);
    chartBox.hidden = st.scenario !== "poll";
    if (chartBox.hidden) return;
    const max = Math.max(1, ...shown.flatMap((r) => [r.bits_per_second, r.actual_bits_per_second]));
    const parts = [s("title", { id: "sn-chart-title", text: `ポーリングで計算した bits/s と実際の bits/s（${shown.length} 回分）` }),
      s("line", { class: "sn-axis", x1: 30, y1: 120, x2: 292, y2: 120 })];
    shown.forEach((r, k) => {
      const x0 = 40 + k * 64;
      const bar = (v, dx, cls) => {
        const hgt = Math.max(1, (v / max) * 96);
        return s("rect", { class: cls, x: x0 + dx, y: 120 - hgt, width: 24, height: hgt });
      };
      parts.push(bar(r.bits_per_second, 0, `sn-bar-calc${r.bits_per_second !== r.actual_bits_per_second ? " sn-bar-wrong" : ""}`),
        bar(r.actual_bits_per_second, 26, "sn-bar-real"),
        s("text", { class: "sn-chart-label", x: x0 + 25, y: 138, "text-anchor": "middle", text: `${k + 1} 回目${r.ambiguous ? " ✗" : ""}` }));
    });
    if (!shown.length) parts.push(s("text", { class: "sn-chart-label", x: 150, y: 70, "text-anchor": "middle", text: "2 回目のポーリングから計算します" }));
    chart.replaceChildren(...parts);
  }

  function renderDetail() {
    const d = st.data;
    if (st.step === 0) {
      detail.replaceChildren(h("h3", { class: "sn-detail-title", text: "開始前" }),
        h("p", { text: "「次へ」か → キーで最初のステップを表示します。" }));
      return;
    }
    const x = d.steps[st.step - 1];
    const row = (k, v, key) => (v === null || v === undefined || v === "" ? [] : [h("dt", { text: k }), h("dd", { text: String(v), "data-sn-field": key })]);
    const to = x.from === "manager" ? "agent" : "manager";
    const parts = [
      h("h3", { class: "sn-detail-title", text: `ステップ ${st.step} / ${d.steps.length}（t=${fmtTime(x.time_ms)}）` }),
      h("p", { class: `sn-note${x.lost ? " sn-note-lost" : ""}`, text: x.note }),
      h("dl", { class: "sn-fields" },
        row("向き", x.kind === "pdu" ? `${WHO[x.from]} → ${WHO[to]}${x.lost ? "（消失）" : ""}` : `${WHO[x.from]}（イベント）`, "dir"),
        row("PDU", x.pdu, "pdu"),
        row("UDP", x.kind === "pdu" ? `${x.src_port} → ${x.dst_port}` : null, "port"),
        row("コミュニティ", x.community, "community"),
        row("request-id", x.request_id, "request_id"),
        row("non-repeaters / max-repetitions", x.non_repeaters !== null ? `${x.non_repeaters} / ${x.max_repetitions}` : null, "bulk"),
        row("error-status / index", x.error_status ? `${x.error_status} / ${x.error_index}` : null, "error_status")),
    ];
    if (x.varbinds.length) {
      parts.push(h("div", { class: "table-scroll", tabindex: "0" }, h("table", { class: "sn-vb" },
        h("caption", { text: `variable bindings（${x.varbinds.length} 個）` }),
        h("thead", {}, h("tr", {}, ["名前 / OID", "型", "値"].map((t) => h("th", { scope: "col", text: t })))),
        h("tbody", {}, x.varbinds.map((v) => h("tr", {},
          h("td", {}, h("code", { text: v.name }), h("br"), h("code", { class: "sn-vb-oid", text: v.oid })),
          h("td", { text: v.syntax }), h("td", { text: v.value })))))));
    }
    if (x.rate) {
      const r = x.rate;
      parts.push(h("dl", { class: "sn-fields sn-rate" },
        row("差（オクテット）", `${r.current} − ${r.previous}${r.wrapped ? ` + 2^${r.counter_bits}` : ""} = ${r.delta}`, "delta"),
        row("経過時間", `${r.seconds} 秒（sysUpTime の差 ÷ 100）`, "seconds"),
        row("計算した速さ", fmtBps(r.bits_per_second), "rate"),
        row("実際の速さ", `${fmtBps(r.actual_bits_per_second)}${r.ambiguous ? "（2 周以上した: 計算は誤り）" : ""}`, "actual")));
    }
    parts.push(h("p", { class: "sn-explain", text: x.explain }), h("p", { class: "sn-source", text: `出典: ${x.source}` }));
    detail.replaceChildren(...parts);
  }

  function renderPredict() {
    const d = st.data;
    const k = st.step;
    if (!st.predict || k >= d.steps.length) {
      predictBox.hidden = !st.predict;
      predictBox.replaceChildren(st.predict ? h("p", { class: "sn-q", text: "最後まで表示しました。「最初」で初めから予想できます。" }) : "");
      return;
    }
    const x = d.steps[k];
    const hadFocus = predictBox.contains(document.activeElement);
    const what = x.kind === "pdu"
      ? `${WHO[x.from]}が ${x.pdu} を送ります${x.lost ? "（この datagram は途中で失われます）" : ""}。`
      : `${WHO[x.from]}の側で出来事が起きます。`;
    if (!x.ask.length) {
      const show = h("button", { type: "button", class: "primary sn-reveal", text: "見る" });
      show.addEventListener("click", () => go(k + 1));
      predictBox.hidden = false;
      predictBox.replaceChildren(h("p", { class: "sn-q" }, h("strong", { text: `ステップ ${k + 1}: ` }), `${what}予想する項目はありません。`), show);
      if (hadFocus) show.focus({ preventScroll: true });
      return;
    }
    if (!st.field || !x.ask.includes(st.field)) st.field = x.ask[0];
    const fieldSel = h("select", { class: "sn-pfield", "aria-label": "予想する項目" },
      x.ask.map((f) => h("option", { value: f, text: FIELD_LABEL[f], selected: f === st.field })));
    fieldSel.addEventListener("change", () => { st.field = fieldSel.value; renderPredict(); });
    let input;
    if (st.field === "error_status") {
      input = h("select", { class: "sn-answer", "aria-label": "予想" }, h("option", { value: "", text: "選ぶ…" }), ERRORS.map((e) => h("option", { value: e, text: e })));
    } else if (st.field === "acked") {
      input = h("select", { class: "sn-answer", "aria-label": "予想" }, h("option", { value: "", text: "選ぶ…" }),
        h("option", { value: "はい", text: "はい（Response が返る）" }), h("option", { value: "いいえ", text: "いいえ（返らない）" }));
    } else {
      const hint = { oid: "例: sysDescr.0 か 1.3.6.1.2.1.1.1.0", rate: "bit/s の整数", count: "個数", port: "ポート番号" }[st.field];
      input = h("input", { class: "sn-answer", type: "text", autocomplete: "off", spellcheck: "false", "aria-label": "予想", placeholder: hint, inputmode: st.field === "oid" ? "text" : "numeric" });
    }
    const msg = h("p", { class: "sn-pmsg", role: "status" });
    const form = h("form", { class: "sn-pform" }, h("span", { text: "予想:" }), fieldSel, h("span", { text: "=" }), input,
      h("button", { type: "submit", class: "primary sn-check", text: "答え合わせ" }),
      h("button", { type: "button", class: "sn-skip", text: "答えを見る" }));
    form.addEventListener("submit", (e) => { e.preventDefault(); check(k, st.field, input.value, msg); });
    form.querySelector(".sn-skip").addEventListener("click", () => go(k + 1));
    const ask = {
      oid: "この Response に入る OID は？", error_status: "この Response の error-status は？",
      count: "この Response の variable binding はいくつ？", rate: "このポーリングで計算される bits/s は？",
      port: "この datagram の宛先 UDP ポートは？", acked: "この通知に Response は返る？",
    }[st.field];
    predictBox.hidden = false;
    predictBox.replaceChildren(h("p", { class: "sn-q" }, h("strong", { text: `予想 ステップ ${k + 1}: ` }), `${what}${ask}`), form, msg);
    if (hadFocus) input.focus({ preventScroll: true });
  }

  function renderFeedback() {
    const f = st.feedback;
    feedbackBox.hidden = !f;
    if (!f) return feedbackBox.replaceChildren();
    feedbackBox.className = `sn-feedback ${f.correct ? "sn-right" : "sn-wrong"}`;
    feedbackBox.replaceChildren(
      h("p", { class: "sn-verdict" }, h("strong", { text: f.correct ? "✓ 正解" : "✗ 不正解" }),
        ` ステップ ${f.step + 1} の${FIELD_LABEL[f.field]}: あなたの答え「${f.answer}」`,
        f.correct ? "" : h("span", {}, "、正しくは ", h("strong", { "data-sn-expected": "", text: f.expected }))),
      h("p", { class: "sn-explain", text: f.explain }), h("p", { class: "sn-source", text: `出典: ${f.source}` }));
  }

  async function check(k, field, answer, msg) {
    answer = answer.trim();
    if (!answer) { msg.textContent = "答えを入力するか選んでください。"; return; }
    msg.textContent = "採点中…";
    const body = { scenario: st.scenario, step: k, field, answer };
    for (const key of USES[st.scenario] || []) body[key] = key === "lost" || key === "hc" ? !!st[key] : Number(st[key]);
    let j;
    try {
      j = await postJSON(`${api}/check`, body);
    } catch (e) {
      msg.textContent = e.message;
      return;
    }
    if (st.step !== k || !st.predict) return;
    st.feedback = { step: k, field, answer, ...j };
    go(k + 1);
    announce(j.correct ? "正解。" : `不正解。正しくは ${j.expected}。`);
  }

  function renderMib() {
    const d = st.data;
    mibBox.hidden = !MIB_SCENARIOS.has(st.scenario);
    if (mibBox.hidden) return;
    // OIDs the agent has returned so far; in 予想モード only those are listed, so the list never gives
    // away the next OID of a walk.
    const seen = new Set();
    d.steps.slice(0, st.step).forEach((x) => { if (x.pdu === "Response") x.varbinds.forEach((v) => seen.add(v.oid)); });
    const cur = st.step > 0 && d.steps[st.step - 1].pdu === "Response" ? new Set(d.steps[st.step - 1].varbinds.map((v) => v.oid)) : new Set();
    const rows = d.mib.filter((m) => !st.predict || seen.has(m.oid));
    mibList.replaceChildren(...rows.map((m) => h("li", { class: `${seen.has(m.oid) ? "sn-seen" : ""}${cur.has(m.oid) ? " sn-here" : ""}`, "data-oid": m.oid },
      h("code", { class: "sn-mib-name", text: m.name }), " ", h("code", { class: "sn-mib-oid", text: m.oid }), ` ${m.value}`)));
    if (st.predict) mibList.append(h("li", { class: "sn-mib-note", text: "予想モードでは、まだ返っていないオブジェクトは表示しません。" }));
  }

  function renderList() {
    const d = st.data;
    const upto = st.predict ? st.step : d.steps.length;
    const items = [h("li", { "data-step": "0" }, h("button", { type: "button", text: "開始前" }))];
    for (let i = 0; i < upto; i++) {
      const x = d.steps[i];
      const t = x.kind === "pdu" ? `${x.from === "manager" ? "M → A" : "A → M"} ${x.pdu}${x.lost ? " ✗" : ""}` : `${x.from === "manager" ? "M" : "A"}: ${clip(x.note, 28)}`;
      const b = h("button", { type: "button", text: t });
      if (i + 1 === st.step) b.setAttribute("aria-current", "step");
      items.push(h("li", { "data-step": String(i + 1) }, b));
    }
    if (st.step === 0) items[0].firstChild.setAttribute("aria-current", "step");
    stepList.replaceChildren(...items);
  }

  // ---- events
  stepList.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-step]");
    if (!li) return;
    controls.stop();
    go(Number(li.dataset.step));
  });
  const reload = async (keepStep) => {
    controls.stop();
    if (await load({ keepStep })) { announce(); saveHash(); }
  };
  scenarioSel.addEventListener("change", () => { st.scenario = scenarioSel.value; st.step = 0; reload(false); });
  for (const [key, sel] of Object.entries(selects)) sel.addEventListener("change", () => { st[key] = sel.value; reload(false); });
  lostBtn.addEventListener("click", () => { st.lost = !st.lost; reload(false); });
  hcBtn.addEventListener("click", () => { st.hc = !st.hc; reload(false); });
  predictBtn.addEventListener("click", () => {
    st.predict = !st.predict;
    controls.stop();
    st.feedback = null;
    st.field = null;
    setPressed(predictBtn, st.predict);
    render();
    saveHash();
  });
  onHashChange(NAME, async (p) => {
    fromHash(p);
    controls.stop();
    if (await load({ keepStep: true })) section.scrollIntoView({ block: "start" });
  });

  // ---- start
  const hashed = fromHash(readHash(NAME));
  syncControls();
  (async () => {
    const ok = await loadOrDefaults(hashed, error, () => load({ keepStep: hashed }), () => {
      Object.assign(st, { scenario: "get", ...DEFAULTS, step: 0 });
      return load();
    });
    if (!ok) return;
    announce();
    if (hashed) section.scrollIntoView({ block: "start" });
  })();
}
