// TCP handshake stepper (W1): turns the server-rendered tables into a ladder diagram with both ends'
// RFC 9293 states, a small state diagram, step controls and a predict-then-reveal mode. The model on the
// server is the truth: every scenario comes from the JSON API and every prediction is graded there.
// Nothing from the model goes through innerHTML; the page's CSP forbids inline styles, so only classes,
// SVG attributes and CSSOM properties are used.

import { foldStatic, h, predictToggle, s, setPressed, staticWhilePredicting, toggleButton } from "./lib/dom.js";
import { fetchLatest, postJSON } from "./lib/fetch.js";
import { loadOrDefaults, readHash as hashFor, writeHash as setHash } from "./lib/hash.js";
import { onMotionChange, reducedMotion } from "./lib/motion.js";
import { stepper } from "./lib/stepper.js";

const NAME = "handshake";
const SIDE = { client: "クライアント", server: "サーバー" };
const STATES = [
  "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
  "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
];
const FIELD_LABEL = { seq: "seq", ack: "ack", client_state: "クライアントの状態", server_state: "サーバーの状態" };
const FALLBACK_SCENARIOS = [
  ["normal", "通常の接続とデータ送信"], ["lost-syn", "SYN が失われる"], ["lost-ack", "最後の ACK が失われる"],
  ["closed-port", "閉じたポート（RST）"], ["simultaneous-open", "同時オープン"], ["close", "切断（FIN と TIME-WAIT）"],
];

// Ladder geometry (viewBox units). Wide: 400 units, scaled to the box. Narrower than that (a phone, or the
// desktop column) the ladder is as wide as its box, one unit a pixel, so its 12 px text stays 12 px: the
// ends move closer and, when they are too close for both numbers, seq and ack take a line each.
const HEAD = 56, DY = 24, PILLZ = 34;
const PILL_W = 100;
const WIDE = { W: 400, XC: 72, XS: 328, LABEL: 30, split: false };
const ladderGeometry = (px) => {
  if (!(px > 0) || px >= WIDE.W) return { ...WIDE, MID: (WIDE.XC + WIDE.XS) / 2 };
  const W = Math.max(280, Math.floor(px));
  // "seq=… ack=…" with two 10-digit numbers needs about 240 px between the ends.
  const split = W - 120 < 250;
  return { W, XC: 60, XS: W - 60, MID: W / 2, LABEL: split ? 43 : 30, split };
};
let G = ladderGeometry(0);

const fmtTime = (ms) => {
  if (ms < 1000) return `${ms} ms`;
  return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, "")} 秒`;
};
const flagsText = (st) => (st.flags.length ? st.flags.join(",") : "タイマー");
const other = (side) => (side === "client" ? "server" : "client");
const num = (v) => (v === null || v === undefined ? "—" : String(v));

/** Splits the model's explanation so "a+1 = 3141592654" and "(+1 は SYN の分)" stand out. */
function explainNodes(text) {
  const out = [];
  const re = /([abuv]\+\d+ = \d+|（\+1 は [A-Z]+ の分）)/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) out.push(document.createTextNode(text.slice(last, m.index)));
    out.push(h("strong", { class: "hs-sym", text: m[0] }));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

/** Rows of the ladder: two segments sent at the same moment from opposite ends cross in one row. */
function layout(steps) {
  const rows = [];
  let y = HEAD;
  steps.forEach((st, i) => {
    const prev = rows[rows.length - 1];
    const p = steps[i - 1];
    if (prev && prev.kind === "single" && p && st.flags.length && p.flags.length && !p.lost &&
        st.time_ms === p.time_ms && st.from !== p.from) {
      prev.kind = "cross";
      prev.steps.push(i);
      y += G.LABEL;
      prev.h += G.LABEL;
      return;
    }
    const kind = st.flags.length ? "single" : "timer";
    const hgt = kind === "single" ? G.LABEL + DY + PILLZ : 44 + PILLZ;
    rows.push({ kind, steps: [i], top: y, h: hgt });
    y += hgt;
  });
  return { rows, height: y + 8 };
}

/** Which field to ask about before step `st` is revealed; the learner may pick another. */
function defaultField(st, before) {
  if (!st.flags.length) return "client_state";
  const recv = `${other(st.from)}_state`;
  if (st.lost) return recv;
  if (st.ack !== null) return "ack";
  if (st[recv] !== before[recv]) return recv;
  const send = `${st.from}_state`;
  if (st[send] !== before[send]) return send;
  return st.seq !== null ? "seq" : "client_state";
}

function availableFields(st) {
  const f = [];
  if (st.ack !== null) f.push("ack");
  if (st.seq !== null) f.push("seq");
  f.push("client_state", "server_state");
  return f;
}

// RFC 9293 Figure 5, reduced: box centres in a 316×300 viewBox.
const SD = {
  CLOSED: [158, 18], LISTEN: [60, 60], "SYN-SENT": [256, 60], "SYN-RECEIVED": [60, 102],
  ESTABLISHED: [158, 144], "FIN-WAIT-1": [60, 186], "CLOSE-WAIT": [256, 186], "FIN-WAIT-2": [60, 228],
  CLOSING: [158, 228], "LAST-ACK": [256, 228], "TIME-WAIT": [60, 270],
};
const SD_W = 100, SD_H = 24;
const SD_EDGES = [
  ["CLOSED", "LISTEN"], ["CLOSED", "SYN-SENT"], ["LISTEN", "SYN-RECEIVED"], ["SYN-SENT", "SYN-RECEIVED"],
  ["SYN-SENT", "ESTABLISHED"], ["SYN-RECEIVED", "ESTABLISHED"], ["ESTABLISHED", "FIN-WAIT-1"],
  ["ESTABLISHED", "CLOSE-WAIT"], ["FIN-WAIT-1", "FIN-WAIT-2"], ["FIN-WAIT-1", "CLOSING"],
  ["CLOSE-WAIT", "LAST-ACK"], ["FIN-WAIT-2", "TIME-WAIT"], ["CLOSING", "TIME-WAIT"],
];
// Edges drawn along the margins (back to CLOSED), as polylines.
const SD_ROUTES = {
  "TIME-WAIT>CLOSED": [[10, 270], [5, 270], [5, 18], [108, 18]],
  "LAST-ACK>CLOSED": [[306, 228], [311, 228], [311, 18], [208, 18]],
  "SYN-SENT>CLOSED": [[230, 49], [200, 29]],
};

function clipToBox([cx, cy], dx, dy) {
  const t = Math.min(dx ? SD_W / 2 / Math.abs(dx) : Infinity, dy ? SD_H / 2 / Math.abs(dy) : Infinity);
  return [cx + dx * t, cy + dy * t];
}

export function mount(section) {
  const root = section.querySelector("[data-widget-root]");
  const api = section.dataset.api;
  if (!root || !api) throw new Error("handshake: no [data-widget-root] or data-api");
  const st = {
    scenario: "normal", seed: "0", relative: false, predict: false, step: 0,
    data: null, anim: -1, frame: 0, feedback: null, field: null, req: 0,
  };

  // Scenario names and labels come from the server-rendered tables, so they stay the model's.
  const staticBox = section.querySelector("[data-widget-static]");
  let scenarios = staticBox
    ? [...staticBox.querySelectorAll("[data-scenario]")].map((d) => [
        d.dataset.scenario, (d.querySelector("summary")?.textContent || d.dataset.scenario).trim(),
      ])
    : [];
  if (!scenarios.length) scenarios = FALLBACK_SCENARIOS;

  // ---- build the controls once
  const scenarioSel = h("select", { class: "hs-scenario", id: "hs-scenario" },
    ...scenarios.map(([v, label]) => h("option", { value: v, text: label })));
  const relBtn = toggleButton("hs-relative", "相対番号");
  const isnBtn = h("button", { type: "button", class: "hs-new-isn", text: "新しい ISN" });
  const predictBtn = predictToggle("hs-predict-toggle");
  const toolbar = h("div", { class: "hs-toolbar widget-controls" },
    h("label", { class: "hs-field", for: "hs-scenario" }, h("span", { text: "シナリオ" }), scenarioSel),
    relBtn, isnBtn, predictBtn);
  const isnLine = h("p", { class: "hs-isn" });
  const nowClient = h("span", { class: "hs-state", "data-hs-now": "client" });
  const nowServer = h("span", { class: "hs-state", "data-hs-now": "server" });
  const now = h("p", { class: "hs-now" },
    h("span", { class: "hs-now-client" }, h("span", { class: "hs-now-label", text: "クライアント" }), nowClient),
    h("span", { class: "hs-now-server" }, h("span", { class: "hs-now-label", text: "サーバー" }), nowServer));

  // Steps 0…n: step 0 is the state before the first segment.
  const controls = stepper(section, {
    position: () => st.data && { step: st.step, first: 0, last: st.data.steps.length },
    go: (k) => go(k),
    interval: 1800,
    canPlay: () => !st.predict,
    counter: (pos) => `ステップ ${pos.step} / ${pos.last}`,
  });

  const ladder = s("svg", { class: "hs-ladder", role: "img", "aria-labelledby": "hs-ladder-title", preserveAspectRatio: "xMidYMin meet" });
  const ladderBox = h("div", { class: "hs-ladder-box" }, ladder);
  const sd = s("svg", { class: "hs-sd", viewBox: "0 0 316 300", role: "img", "aria-labelledby": "hs-sd-title" });
  const sdBox = h("figure", { class: "hs-sd-box" }, sd,
    h("figcaption", {},
      h("span", { class: "hs-key hs-key-client", text: "C" }), " クライアント　",
      h("span", { class: "hs-key hs-key-server", text: "S" }), " サーバー　（RFC 9293 の状態遷移図の一部）"));
  const live = h("p", { class: "hs-live visually-hidden", "aria-live": "polite" });
  const error = h("p", { class: "hs-error widget-error", role: "alert", hidden: true });
  const predictBox = h("div", { class: "hs-predict", hidden: true });
  const feedbackBox = h("div", { class: "hs-feedback", hidden: true });
  const detail = h("div", { class: "hs-detail" });
  const panel = h("div", { class: "hs-panel" }, live, feedbackBox, predictBox, detail);
  const list = h("ol", { class: "hs-steps", start: "0" });
  const listBox = h("details", { class: "hs-list-box", open: true },
    h("summary", { text: "セグメントの一覧（クリックでその段へ）" }), list);
  const mainGrid = h("div", { class: "hs-main" }, ladderBox, panel, sdBox);
  const ui = h("div", { class: "hs" }, toolbar, isnLine, error, now, controls.el, mainGrid, listBox);
  root.replaceChildren(ui);
  root.dataset.state = "loading";

  // The static tables stay in the page (no-JS and print view), folded away.
  const hideStatic = staticWhilePredicting(foldStatic(staticBox, "hs-tables", "表で見る（ISN は例の値 a, b）"));
  // The step list, built once per scenario; in predict mode only the steps shown so far are in the page.
  let listItems = [];

  // ---- state <-> URL hash
  function readHash() {
    const p = hashFor(NAME);
    if (!p) return false;
    if (p.has("scenario")) st.scenario = p.get("scenario");
    if (p.has("seed")) st.seed = p.get("seed");
    st.relative = ["1", "true"].includes(p.get("relative"));
    st.predict = ["1", "true"].includes(p.get("predict"));
    const n = parseInt(p.get("step") || "0", 10);
    st.step = Number.isFinite(n) && n > 0 ? n : 0;
    return true;
  }
  function writeHash() {
    setHash(NAME, {
      scenario: st.scenario, seed: st.seed, step: st.step, relative: st.relative && "1", predict: st.predict && "1",
    });
  }


  async function load({ keepStep = false } = {}) {
    const q = new URLSearchParams({ scenario: st.scenario, seed: st.seed, relative: String(st.relative) });
    const data = await fetchLatest(st, root, error, `${api}?${q}`);
    if (!data) return false;
    st.data = data;
    const n = data.steps.length;
    st.step = keepStep ? Math.min(Math.max(st.step, 0), n) : 0;
    st.feedback = null;
    st.field = null;
    st.anim = -1;
    scenarioSel.value = st.scenario;
    buildList();
    render();
    root.dataset.state = "ready";
    return true;
  }

  // ---- navigation
  function go(n, { user = true } = {}) {
    if (!st.data) return;
    const max = st.data.steps.length;
    n = Math.min(Math.max(n, 0), max);
    st.anim = n === st.step + 1 && !reducedMotion() ? n - 1 : -1;
    if (n !== st.step) {
      st.step = n;
      st.field = null;
      if (st.feedback && st.feedback.step !== n - 1) st.feedback = null;
    }
    render();
    announce();
    if (user) writeHash();
  }

  function announce(prefix = "") {
    if (!st.data) return;
    const n = st.data.steps.length;
    let text;
    if (st.step === 0) {
      const i = st.data.initial;
      text = `開始: クライアント ${i.client_state}、サーバー ${i.server_state}。`;
    } else {
      const x = st.data.steps[st.step - 1];
      text = `ステップ ${st.step} / ${n}: ${x.note}。クライアント ${x.client_state}、サーバー ${x.server_state}。`;
    }
    live.textContent = prefix + text;
  }

  // ---- rendering
  function statesAt(k) {
    if (!st.data) return null;
    if (k === 0) return st.data.initial;
    const x = st.data.steps[k - 1];
    return { client_state: x.client_state, server_state: x.server_state };
  }

  function render() {
    const d = st.data;
    if (!d) return;
    const n = d.steps.length;
    const cur = statesAt(st.step);
    nowClient.textContent = cur.client_state;
    nowServer.textContent = cur.server_state;
    isnLine.replaceChildren(
      `クライアント ISN a = ${d.client_isn}、サーバー ISN b = ${d.server_isn}（seed ${st.seed}）`,
      st.relative ? h("span", { class: "hs-rel-note", text: " 相対番号: seq/ack は各側の ISN を 0 として表示" }) : "",
    );
    setPressed(relBtn, st.relative);
    setPressed(predictBtn, st.predict);
    controls.update();
    root.dataset.step = String(st.step);
    renderLadder();
    renderStateDiagram();
    renderDetail();
    renderPredict();
    renderFeedback();
    // Predict mode asks about the next segment: no later step (flags, loss, retransmission) may be in the
    // page, nor the tables below that write every step out.
    const pending = st.predict && st.step < st.data.steps.length;
    hideStatic(pending);
    list.replaceChildren(...listItems.filter((li) => !pending || Number(li.dataset.step) <= st.step));
    for (const li of list.children) {
      const k = Number(li.dataset.step);
      const b = li.firstChild;
      if (k === st.step) b.setAttribute("aria-current", "step");
      else b.removeAttribute("aria-current");
      li.classList.toggle("hs-done", k <= st.step);
    }
  }

  function buildList() {
    const d = st.data;
    const items = [h("li", { "data-step": "0" }, h("button", { type: "button", text: "開始時の状態" }))];
    d.steps.forEach((x, i) => {
      const dir = x.flags.length ? (x.from === "client" ? "C → S" : "S → C") : (x.from === "client" ? "C" : "S");
      const label = `${dir} ${flagsText(x)}${x.lost ? " ✗ 消失" : ""}（t=${fmtTime(x.time_ms)}）`;
      items.push(h("li", { "data-step": String(i + 1) }, h("button", { type: "button", text: label })));
    });
    listItems = items;
    list.replaceChildren(...items);
  }

  function pill(x, y, state, side, changed, late) {
    return s("g", { class: `hs-pill hs-pill-${side}${changed ? " hs-changed" : ""}${late ? " hs-late" : ""}`, "data-hs-pill": side },
      s("rect", { x: x - PILL_W / 2, y: y - 10, width: PILL_W, height: 20, rx: 10 }),
      s("text", { x, y: y + 4, "text-anchor": "middle", text: state }));
  }

  function arrowHead(x, y, angle) {
    return s("polygon", { class: "hs-head", points: "0,0 -9,-4.5 -9,4.5", transform: `translate(${x} ${y}) rotate(${angle})` });
  }

  /** One segment as an arrow with its flags and numbers; labels above (or below for the second of a crossing pair). */
  function segment(i, y0, labelPos, pending) {
    const x = st.data.steps[i];
    const { XC, XS, MID } = G;
    const x1 = x.from === "client" ? XC : XS;
    const x2full = x.from === "client" ? XS - 1 : XC + 1;
    const lost = x.lost && !pending;
    const x2 = lost ? MID : x2full;
    const y2 = lost ? y0 + DY / 2 : y0 + DY;
    const angle = (Math.atan2(y2 - y0, x2 - x1) * 180) / Math.PI;
    const cls = ["hs-seg", `hs-from-${x.from}`];
    if (lost) cls.push("hs-lost");
    if (pending) cls.push("hs-pending");
    else if (i === st.step - 1) cls.push("hs-current");
    const g = s("g", { class: cls.join(" "), "data-hs-seg": String(i) });
    g.append(s("line", { class: "hs-line", x1, y1: y0, x2, y2 }));
    if (!lost) g.append(arrowHead(x2, y2, angle));
    else g.append(s("text", { class: "hs-x hs-late", x: x2, y: y2 + 5, "text-anchor": "middle", text: "✗" }));
    const resend = st.data.steps.slice(0, i).some((p) => p.from === x.from && p.seq === x.seq && p.flags.join() === x.flags.join());
    let line1 = flagsText(x);
    if (x.len) line1 += `  ${x.len} バイト`;
    const tags = [resend && "再送", lost && "消失"].filter(Boolean);
    if (tags.length) line1 += `（${tags.join("・")}）`;
    const seq = pending ? "seq=?" : `seq=${num(x.seq)}`;
    const ack = pending ? "ack=?" : x.ack !== null ? `ack=${x.ack}` : "";
    // Narrow: seq and ack on lines of their own.
    const nums = G.split ? [seq, ack].filter(Boolean) : [ack ? `${seq}  ${ack}` : seq];
    if (pending) line1 = `${line1} ?`;
    let anchor = "middle", lx = MID, ly;
    if (labelPos === "above-left") { anchor = "start"; lx = XC + 8; }
    if (labelPos === "below-right") { anchor = "end"; lx = XS - 8; }
    ly = labelPos === "below-right" ? y0 + DY + 14 : y0 - 16 - (G.split ? 13 : 0);
    g.append(
      s("text", { class: "hs-flags", x: lx, y: ly, "text-anchor": anchor, text: line1 }),
      ...nums.map((t, k) => s("text", { class: "hs-nums", x: lx, y: ly + 13 * (k + 1), "text-anchor": anchor, text: t })),
      s("text", { class: "hs-time", x: 2, y: y0 + 4, text: `t=${fmtTime(x.time_ms)}` }),
    );
    return g;
  }

  function timerMark(i, top, pending) {
    const x = st.data.steps[i];
    const cls = `hs-timer${pending ? " hs-pending" : i === st.step - 1 ? " hs-current" : ""}`;
    const { XC, XS } = G;
    const side = x.from === "server" ? XS : XC;
    const tx = x.from === "server" ? XS - 10 : XC + 10;
    const anchor = x.from === "server" ? "end" : "start";
    const cx = x.from === "server" ? tx - 6 : tx + 6, cy = top + 14;
    const textX = x.from === "server" ? tx - 18 : tx + 18;
    return s("g", { class: cls, "data-hs-seg": String(i) },
      s("line", { class: "hs-line", x1: side, y1: top + 4, x2: side, y2: top + 40 }),
      s("g", { class: "hs-clock", "aria-hidden": "true" },
        s("circle", { cx, cy, r: 6.5 }),
        s("path", { d: `M${cx},${cy - 4} V${cy} H${cx + 3}` })),
      s("text", { class: "hs-flags", x: textX, y: top + 18, "text-anchor": anchor, text: pending ? "タイマー ?" : "2MSL のタイマーが切れる" }),
      s("text", { class: "hs-nums", x: textX, y: top + 32, "text-anchor": anchor, text: pending ? "" : "セグメントは送らない" }),
      s("text", { class: "hs-time", x: 2, y: top + 22, text: `t=${fmtTime(x.time_ms)}` }));
  }

  function renderLadder() {
    cancelAnimationFrame(st.frame);
    const d = st.data;
    G = ladderGeometry(ladder.getBoundingClientRect().width - 2);
    const { W, XC, XS, LABEL } = G;
    const { rows, height } = layout(d.steps);
    ladder.setAttribute("viewBox", `0 0 ${W} ${height}`);
    const parts = [
      s("title", { id: "hs-ladder-title", text: `シーケンス図: ${scenarioSel.selectedOptions[0]?.textContent || st.scenario}、${st.step} / ${d.steps.length} ステップ` }),
      s("text", { class: "hs-col hs-col-client", x: XC, y: 16, "text-anchor": "middle", text: "クライアント（A）" }),
      s("text", { class: "hs-col hs-col-server", x: XS, y: 16, "text-anchor": "middle", text: "サーバー（B）" }),
      s("line", { class: "hs-axis", x1: XC, y1: 49, x2: XC, y2: height }),
      s("line", { class: "hs-axis", x1: XS, y1: 49, x2: XS, y2: height }),
      pill(XC, 38, d.initial.client_state, "client", false, false),
      pill(XS, 38, d.initial.server_state, "server", false, false),
    ];
    let animEl = null;
    for (const row of rows) {
      const shown = row.steps.filter((i) => i < st.step);
      const pendingHere = st.predict && row.steps.includes(st.step) ? st.step : -1;
      if (!shown.length && pendingHere < 0) continue;
      const y0 = row.top + LABEL;
      for (const i of row.steps) {
        if (i >= st.step && i !== pendingHere) continue;
        const pending = i === pendingHere;
        const pos = row.kind === "cross" ? (i === row.steps[0] ? "above-left" : "below-right") : "above";
        const el = row.kind === "timer" ? timerMark(i, row.top, pending) : segment(i, y0, pos, pending);
        if (i === st.anim) animEl = el;
        parts.push(el);
      }
      if (shown.length) {
        const last = shown[shown.length - 1];
        const before = statesAt(row.steps[0]);
        const after = statesAt(last + 1);
        const py = row.top + row.h - 17;
        const late = shown.includes(st.anim);
        parts.push(pill(XC, py, after.client_state, "client", after.client_state !== before.client_state, late));
        parts.push(pill(XS, py, after.server_state, "server", after.server_state !== before.server_state, late));
      }
    }
    ladder.replaceChildren(...parts);
    if (animEl) animate(animEl);
  }

  /** Draws the newest arrow from its sender towards the receiver; the rest fades in on arrival (CSS). */
  function animate(g) {
    const dur = 700 / controls.speed();
    root.style.setProperty("--hs-dur", `${dur}ms`);
    g.classList.add("hs-anim");
    const line = g.querySelector(".hs-line");
    const head = g.querySelector(".hs-head");
    if (!line || g.classList.contains("hs-timer")) return;
    const [x1, y1, x2, y2] = ["x1", "y1", "x2", "y2"].map((a) => Number(line.getAttribute(a)));
    const angle = (Math.atan2(y2 - y1, x2 - x1) * 180) / Math.PI;
    const t0 = performance.now();
    const stepFrame = (t) => {
      const p = Math.min(1, (t - t0) / dur);
      const x = x1 + (x2 - x1) * p, y = y1 + (y2 - y1) * p;
      line.setAttribute("x2", x);
      line.setAttribute("y2", y);
      if (head) head.setAttribute("transform", `translate(${x} ${y}) rotate(${angle})`);
      if (p < 1) st.frame = requestAnimationFrame(stepFrame);
    };
    line.setAttribute("x2", x1);
    line.setAttribute("y2", y1);
    st.frame = requestAnimationFrame(stepFrame);
  }

  function renderStateDiagram() {
    const cur = statesAt(st.step);
    const prev = st.step > 0 ? statesAt(st.step - 1) : null;
    const taken = new Set();
    if (prev) {
      for (const side of ["client", "server"]) {
        const k = `${side}_state`;
        if (prev[k] !== cur[k]) taken.add(`${prev[k]}>${cur[k]}`);
      }
    }
    const parts = [
      s("title", { id: "hs-sd-title", text: `状態遷移図: クライアント ${cur.client_state}、サーバー ${cur.server_state}` }),
      s("defs", {}, s("marker", { id: "hs-sd-arrow", viewBox: "0 0 8 8", refX: "7", refY: "4", markerWidth: "6", markerHeight: "6", orient: "auto-start-reverse" },
        s("path", { d: "M0,0 L8,4 L0,8 z", class: "hs-sd-tip" }))),
    ];
    for (const [a, b] of SD_EDGES) {
      const [ax, ay] = SD[a], [bx, by] = SD[b];
      const dx = bx - ax, dy = by - ay;
      const [sx, sy] = clipToBox(SD[a], dx, dy);
      const [ex, ey] = clipToBox(SD[b], -dx, -dy);
      parts.push(s("line", { class: `hs-sd-edge${taken.has(`${a}>${b}`) ? " hs-taken" : ""}`, x1: sx, y1: sy, x2: ex, y2: ey, "marker-end": "url(#hs-sd-arrow)" }));
    }
    for (const [key, pts] of Object.entries(SD_ROUTES)) {
      parts.push(s("polyline", { class: `hs-sd-edge hs-sd-return${taken.has(key) ? " hs-taken" : ""}`, points: pts.map((p) => p.join(",")).join(" "), fill: "none", "marker-end": "url(#hs-sd-arrow)" }));
    }
    for (const name of STATES) {
      const [cx, cy] = SD[name];
      const c = cur.client_state === name, sv = cur.server_state === name;
      const cls = ["hs-sd-state"];
      if (c) cls.push("hs-sd-client");
      if (sv) cls.push("hs-sd-server");
      const g = s("g", { class: cls.join(" "), "data-hs-sd": name },
        s("rect", { x: cx - SD_W / 2, y: cy - SD_H / 2, width: SD_W, height: SD_H, rx: 4 }),
        s("text", { x: cx, y: cy + 4.5, "text-anchor": "middle", text: name }));
      if (c) g.append(s("circle", { class: "hs-sd-tag-client", cx: cx - SD_W / 2, cy: cy - SD_H / 2, r: 8.5 }),
        s("text", { class: "hs-sd-tag", x: cx - SD_W / 2, y: cy - SD_H / 2 + 4.5, "text-anchor": "middle", text: "C" }));
      if (sv) g.append(s("circle", { class: "hs-sd-tag-server", cx: cx + SD_W / 2, cy: cy - SD_H / 2, r: 8.5 }),
        s("text", { class: "hs-sd-tag", x: cx + SD_W / 2, y: cy - SD_H / 2 + 4.5, "text-anchor": "middle", text: "S" }));
      parts.push(g);
    }
    sd.replaceChildren(...parts);
  }

  function renderDetail() {
    const d = st.data;
    if (st.step === 0) {
      const i = d.initial;
      detail.replaceChildren(
        h("h3", { class: "hs-detail-title", text: "開始時の状態" }),
        h("p", { text: `クライアント ${i.client_state}、サーバー ${i.server_state}。「次へ」か → キーで最初のセグメントを送ります。` }),
      );
      return;
    }
    const x = d.steps[st.step - 1];
    const before = statesAt(st.step - 1);
    const row = (label, value, field) => [h("dt", { text: label }), h("dd", { text: value, "data-hs-field": field })];
    const change = (side) => {
      const k = `${side}_state`;
      return before[k] === x[k] ? `${x[k]}（変化なし）` : `${before[k]} → ${x[k]}`;
    };
    const dir = x.flags.length ? `${SIDE[x.from]} → ${SIDE[other(x.from)]}` : `${SIDE[x.from]}（タイマー）`;
    detail.replaceChildren(
      h("h3", { class: "hs-detail-title", text: `ステップ ${st.step} / ${d.steps.length}（t=${fmtTime(x.time_ms)}）` }),
      h("p", { class: `hs-note${x.lost ? " hs-note-lost" : ""}`, text: x.note }),
      h("dl", { class: "hs-fields" },
        ...row("向き", dir, "dir"),
        ...row("フラグ", x.flags.length ? x.flags.join(",") : "なし", "flags"),
        ...row("seq", num(x.seq), "seq"),
        ...row("ack", num(x.ack), "ack"),
        ...(x.len ? row("データ", `${x.len} バイト`, "len") : []),
        ...row("クライアント", change("client"), "client_state"),
        ...row("サーバー", change("server"), "server_state")),
      h("p", { class: "hs-explain" }, ...explainNodes(x.explain)),
    );
  }

  function renderPredict() {
    const d = st.data;
    const k = st.step;
    if (!st.predict || k >= d.steps.length) {
      predictBox.hidden = !st.predict;
      predictBox.replaceChildren(st.predict ? h("p", { class: "hs-q", text: "最後まで表示しました。「最初」で初めから予想できます。" }) : "");
      return;
    }
    const x = d.steps[k];
    const before = statesAt(k);
    const fields = availableFields(x);
    if (!st.field || !fields.includes(st.field)) st.field = defaultField(x, before);
    const hadFocus = predictBox.contains(document.activeElement);
    const what = x.flags.length
      ? `${SIDE[x.from]} → ${SIDE[other(x.from)]} の ${x.flags.join(",")}${x.len ? `（${x.len} バイト）` : ""}${x.lost ? "。このセグメントは途中で失われる" : ""}`
      : `${SIDE[x.from]}のタイマーが切れる（セグメントなし）`;
    const fieldSel = h("select", { class: "hs-pfield", "aria-label": "予想する項目" },
      ...fields.map((f) => h("option", { value: f, text: FIELD_LABEL[f], selected: f === st.field })));
    fieldSel.addEventListener("change", () => { st.field = fieldSel.value; renderPredict(); });
    const isState = st.field.endsWith("_state");
    const input = isState
      ? h("select", { class: "hs-answer", "aria-label": "予想", required: true },
          h("option", { value: "", text: "状態を選ぶ…" }), ...STATES.map((n) => h("option", { value: n, text: n })))
      : h("input", { class: "hs-answer", type: "text", inputmode: "numeric", autocomplete: "off", spellcheck: "false", "aria-label": "予想", placeholder: "数（無ければ「なし」）" });
    const msg = h("p", { class: "hs-pmsg", role: "status" });
    const form = h("form", { class: "hs-pform" },
      h("span", { text: "予想:" }), fieldSel, h("span", { text: "=" }), input,
      h("button", { type: "submit", class: "primary hs-check", text: "答え合わせ" }),
      h("button", { type: "button", class: "hs-skip", text: "答えを見る" }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      check(k, st.field, input.value, msg);
    });
    form.querySelector(".hs-skip").addEventListener("click", () => go(k + 1));
    const ask = isState
      ? `${x.flags.length ? "このセグメントの後の" : "この後の"}${FIELD_LABEL[st.field]}は？`
      : `このセグメントの ${st.field === "ack" ? "ack（相手から次に欲しい番号）" : "seq"} は？`;
    predictBox.hidden = false;
    predictBox.replaceChildren(
      h("p", { class: "hs-q" }, h("strong", { text: `予想 ステップ ${k + 1}: ` }), `次は ${what}。${ask}`),
      form, msg);
    if (hadFocus) input.focus({ preventScroll: true });
  }

  function renderFeedback() {
    const f = st.feedback;
    if (!f) { feedbackBox.hidden = true; feedbackBox.replaceChildren(); return; }
    feedbackBox.hidden = false;
    feedbackBox.className = `hs-feedback ${f.correct ? "hs-right" : "hs-wrong"}`;
    feedbackBox.replaceChildren(
      h("p", { class: "hs-verdict" },
        h("strong", { text: f.correct ? "✓ 正解" : "✗ 不正解" }),
        ` ステップ ${f.step + 1} の ${FIELD_LABEL[f.field]}: あなたの答え「${f.answer}」`,
        f.correct ? "" : h("span", { class: "hs-expected" }, "、正しくは ", h("strong", { "data-hs-expected": "", text: f.expected }))),
      h("p", { class: "hs-explain" }, ...explainNodes(f.explain)));
  }

  async function check(k, field, answer, msg) {
    answer = answer.trim();
    if (!answer) { msg.textContent = field.endsWith("_state") ? "状態を選んでください。" : "数を入力してください（番号が無いなら「なし」）。"; return; }
    if (!field.endsWith("_state") && !/^([0-9０-９,，_ ]+|なし|無し|-|null|none)$/i.test(answer)) {
      msg.textContent = "0〜4294967295 の整数で答えてください（番号が無いなら「なし」）。";
      return;
    }
    if (!/^\d{1,20}$/.test(st.seed)) return;
    msg.textContent = "採点中…";
    const body = `{"scenario":${JSON.stringify(st.scenario)},"seed":${st.seed},"relative":${st.relative},"step":${k},"field":${JSON.stringify(field)},"answer":${JSON.stringify(answer)}}`;
    const j = await postJSON(`${api}/check`, body).catch((e) => void (msg.textContent = e.message));
    if (!j) return;
    if (st.step !== k) return;
    st.feedback = { step: k, field, answer, correct: j.correct, expected: j.expected, explain: j.explain };
    go(k + 1);
    announce(j.correct ? "正解です。" : `不正解です。正しくは ${j.expected} です。`);
  }

  // ---- events
  const on = (el, ev, fn) => el.addEventListener(ev, fn);
  on(list, "click", (e) => {
    const li = e.target.closest("li[data-step]");
    if (!li) return;
    controls.stop();
    go(Number(li.dataset.step));
  });
  on(scenarioSel, "change", async () => {
    controls.stop();
    st.scenario = scenarioSel.value;
    st.step = 0;
    if (await load()) { announce(); writeHash(); }
  });
  on(relBtn, "click", async () => {
    st.relative = !st.relative;
    if (await load({ keepStep: true })) { announce(); writeHash(); }
  });
  on(isnBtn, "click", async () => {
    const a = new Uint32Array(1);
    crypto.getRandomValues(a);
    st.seed = String((a[0] % 2147483646) + 1);
    if (await load({ keepStep: true })) { announce(); writeHash(); }
  });
  on(predictBtn, "click", () => {
    st.predict = !st.predict;
    controls.stop();
    st.feedback = null;
    st.field = null;
    render();
    writeHash();
  });
  onMotionChange(() => render());
  // The ladder's geometry follows its width (see ladderGeometry): a rotated phone draws it again.
  new ResizeObserver(() => {
    if (st.data && ladderGeometry(ladder.getBoundingClientRect().width - 2).W !== G.W) renderLadder();
  }).observe(ladderBox);
  // A link to another widget state on this same page changes only the hash.
  on(window, "hashchange", async () => {
    if (!readHash()) return;
    controls.stop();
    if (await load({ keepStep: true })) { announce(); section.scrollIntoView({ block: "start" }); }
  });

  // ---- start
  const fromHash = readHash();
  (async () => {
    const ok = await loadOrDefaults(fromHash, error, () => load({ keepStep: fromHash }), () => {
      Object.assign(st, { scenario: "normal", seed: "0", relative: false, step: 0 });
      return load();
    });
    if (!ok) return;
    announce();
    if (fromHash) section.scrollIntoView({ block: "start" });
  })();
}
