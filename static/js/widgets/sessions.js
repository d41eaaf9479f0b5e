// Connection vs session timeline (W10): turns the server-rendered tables into a lane diagram — TCP
// connections, TLS handshakes, HTTP requests and the login session, time flowing down — with settings,
// step controls and a predict mode. The model on the server is the truth: every setup comes from the
// JSON API and every prediction is graded there. While a prediction is pending, no step of the run, no
// count and no outcome is in the DOM (the static tables are taken out too); they are drawn only after
// the server's answer. Nothing from the model goes through innerHTML, and there are no inline styles.

import { foldStatic, h, PREDICT_MODE, predictToggle, s, setPressed, showMessage, staticWhilePredicting } from "./lib/dom.js";
import { fetchLatest, postJSON } from "./lib/fetch.js";
import { hashInt, loadOrDefaults, onHashChange, readHash, writeHash as setHash } from "./lib/hash.js";
import { stepper } from "./lib/stepper.js";

const NAME = "sessions";
const CHOICES = {
  http: [["h1", "HTTP/1.1"], ["h2", "HTTP/2"]],
  balancer: [["l4", "L4（接続ごと）"], ["l7", "L7（リクエストごと）"]],
  store: [["memory", "各バックエンドのメモリ"], ["shared", "共有ストア"]],
};
const CHOICE_LABEL = { http: "HTTP", balancer: "バランサー", store: "セッションの置き場" };
const FLAGS = [["sticky", "スティッキー"], ["resume", "TLS 再開（チケット）"]];
const NUMBERS = [["before", "休止前のリクエスト", 1, 6], ["pause", "休止（秒）", 0, 600], ["after", "休止後のリクエスト", 1, 6]];
const KEYS = ["http", "balancer", "store", "sticky", "resume", "before", "pause", "after"];
const SESSION_TEXT = { created: "作成", found: "✓ 有効", lost: "✗ なし" };
const PREDICT_FIELDS = [
  ["connections", "TCP コネクションは何本？"],
  ["tls_full", "証明書を送る TLS ハンドシェイクは何回？"],
  ["requests", "HTTP リクエストは何件？"],
  ["sessions", "ログインセッションはいくつ？"],
];

// Diagram geometry (viewBox units): a time gutter, then four lanes; one row per step.
const W = 300, GUT = 44, LANE = 64, HEAD = 30, ROW = 34, BOX_W = 60, BOX_H = 24;
const LANES = [["tcp", "TCP"], ["tls", "TLS"], ["http", "HTTP"], ["session", "セッション"]];
const laneX = (i) => GUT + LANE * i + LANE / 2;
const rowY = (i) => HEAD + ROW * i + ROW / 2;
const secs = (ms) => `${(ms / 1000).toFixed(2)} 秒`;
const shortSecs = (ms) => (ms < 10000 ? `${(ms / 1000).toFixed(2)}s` : `${(ms / 1000).toFixed(1)}s`);

/** The short text of a step in its lane's box. */
function boxText(st) {
  if (st.kind === "open") return `開く #${st.conn}`;
  if (st.kind === "close") return `閉じる #${st.conn}`;
  if (st.kind === "tls-full") return "証明書";
  if (st.kind === "tls-resumed") return "再開";
  return `#${st.request}${st.stream ? ` s${st.stream}` : ""}→${st.backend}`;
}

/** Counts over the first k steps, the same rules as the model's totals. */
function countsUpTo(steps, k) {
  const c = { connections: 0, tls_full: 0, tls_resumed: 0, requests: 0, sessions: 0 };
  for (const st of steps.slice(0, k)) {
    if (st.kind === "open") c.connections++;
    if (st.kind === "tls-full") c.tls_full++;
    if (st.kind === "tls-resumed") c.tls_resumed++;
    if (st.kind === "request") c.requests++;
    if (st.session === "created") c.sessions++;
  }
  return c;
}

const countsText = (c) =>
  `接続 ${c.connections} 本・TLS ${c.tls_full + c.tls_resumed} 回（証明書つき ${c.tls_full}）・リクエスト ${c.requests} 件・ログインセッション ${c.sessions} 個`;

export function mount(section) {
  const root = section.querySelector("[data-widget-root]");
  const api = section.dataset.api;
  if (!root || !api) throw new Error("sessions: no [data-widget-root] or data-api");
  const st = { scenario: "keepalive", query: null, data: null, step: 0, predict: false, verdict: null, req: 0 };
  const pending = () => st.predict && !st.verdict;

  // Scenario names and labels come from the server-rendered tables, so they stay the model's.
  const staticBox = section.querySelector("[data-widget-static]");
  const scenarios = staticBox
    ? [...staticBox.querySelectorAll("[data-scenario]")].map((d) => [d.dataset.scenario, d.querySelector("summary")?.textContent.trim() || d.dataset.scenario])
    : [["keepalive", "keepalive"]];

  // ---- controls
  const scenarioSel = h("select", { id: "ss-scenario" }, scenarios.map(([v, t]) => h("option", { value: v, text: t })));
  const inputs = {};
  const fields = [];
  for (const [key, options] of Object.entries(CHOICES)) {
    inputs[key] = h("select", { id: `ss-${key}`, name: key }, options.map(([v, t]) => h("option", { value: v, text: t })));
    fields.push(h("label", { class: "ss-field", for: `ss-${key}` }, h("span", { text: CHOICE_LABEL[key] }), inputs[key]));
  }
  for (const [key, text] of FLAGS) {
    inputs[key] = h("input", { type: "checkbox", id: `ss-${key}`, name: key });
    fields.push(h("label", { class: "ss-check", for: `ss-${key}` }, inputs[key], h("span", { text })));
  }
  for (const [key, text, min, max] of NUMBERS) {
    inputs[key] = h("input", { type: "number", id: `ss-${key}`, name: key, min, max, step: 1, inputmode: "numeric", required: true });
    fields.push(h("label", { class: "ss-field ss-num", for: `ss-${key}` }, h("span", { text }), inputs[key]));
  }
  const predictBtn = predictToggle("ss-predict-toggle");
  const toolbar = h("div", { class: "ss-toolbar widget-controls" },
    h("label", { class: "ss-field ss-scenario", for: "ss-scenario" }, h("span", { text: "シナリオ" }), scenarioSel), predictBtn);
  const settings = h("details", { class: "ss-settings widget-controls" },
    h("summary", { text: "設定を変える（HTTP・バランサー・セッション・休止）" }), h("div", { class: "ss-grid" }, fields));
  const setupLine = h("p", { class: "ss-setup-line" });
  const error = h("p", { class: "widget-error", role: "alert", hidden: true });
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });

  const controls = stepper(section, {
    position: () => (st.data && !pending() ? { step: st.step, first: 0, last: st.data.steps.length } : null),
    go: (k) => go(k),
    interval: 1500,
    canPlay: () => !pending(),
    active: () => !pending(),
    counter: (pos) => `ステップ ${pos.step} / ${pos.last}`,
  });

  const svg = s("svg", { class: "ss-diagram", role: "img", "aria-labelledby": "ss-diagram-title", preserveAspectRatio: "xMidYMin meet" });
  const diagram = h("figure", { class: "ss-figure" }, svg,
    h("figcaption", { text: "時間は上から下へ。#n はリクエストの番号、s は HTTP/2 のストリーム ID、→A/B は応答したバックエンド。TLS の「証明書」はフルハンドシェイク、「再開」はチケットによる再開です。縦の帯は TCP 接続とログインセッションの続く間です。" }));
  const detail = h("div", { class: "ss-detail" });
  const predictBox = h("div", { class: "ss-predict" });
  const feedback = h("div", { class: "ss-feedback", hidden: true });
  const list = h("ol", { class: "ss-steps" });
  const listBox = h("details", { class: "ss-list-box" }, h("summary", { text: "できごとの一覧（クリックでその段へ）" }), list);
  const stage = h("div", { class: "ss-stage" }, diagram, h("div", { class: "ss-panel" }, feedback, detail));
  const ui = h("div", { class: "ss" }, toolbar, settings, setupLine, error, live, predictBox, controls.el, stage, listBox);
  root.replaceChildren(ui);
  root.dataset.state = "loading";
  // The static tables, and the lab's real captures (they show which backend answered), leave the page
  // while a prediction is pending.
  const tablesOut = staticWhilePredicting(foldStatic(staticBox, "ss-tables", "表で見る（6 つのシナリオ）"));


  // ---- state <-> URL hash
  function fromHash(p) {
    if (p.has("scenario")) st.scenario = p.get("scenario");
    const q = {};
    for (const k of KEYS) if (p.has(k)) q[k] = p.get(k);
    st.query = Object.keys(q).length ? q : null;
    st.predict = p.get("predict") === "1";
    st.step = hashInt(p, "step", 0, 99, 0);
  }
  function writeHash() {
    setHash(NAME, { scenario: st.scenario, ...(st.query || {}), step: pending() ? null : st.step, predict: st.predict && "1" });
  }


  /** The query of the current setup: the scenario, and every setting when the learner changed one. */
  function query() {
    return new URLSearchParams({ scenario: st.scenario, ...(st.query || {}) });
  }

  async function load({ keepStep = false } = {}) {
    const data = await fetchLatest(st, root, error, `${api}?${query()}`);
    if (!data) return false;
    st.data = data;
    st.verdict = null;
    st.step = keepStep ? Math.min(Math.max(st.step, 0), data.steps.length) : 0;
    scenarioSel.value = st.scenario;
    const p = data.params;
    const values = { http: p.http, balancer: p.balancer, store: p.store, sticky: p.sticky, resume: p.resume, before: p.before, after: p.after, pause: p.pause_s };
    for (const k of KEYS) {
      if (inputs[k].type === "checkbox") inputs[k].checked = values[k];
      else inputs[k].value = String(values[k]);
    }
    render();
    root.dataset.state = "ready";
    return true;
  }

  function go(k) {
    if (!st.data || pending()) return;
    st.step = Math.min(Math.max(k, 0), st.data.steps.length);
    render();
    announce();
    writeHash();
  }

  function announce(prefix = "") {
    const d = st.data;
    if (!d || pending()) return;
    const x = d.steps[st.step - 1];
    live.textContent = prefix + (x ? `ステップ ${st.step} / ${d.steps.length}: ${x.title}。` : "開始前。");
  }

  // ---- rendering
  function render() {
    const d = st.data;
    if (!d) return;
    setPressed(predictBtn, st.predict);
    setupLine.textContent = `いまの設定: ${d.setup}。アイドルタイムアウト ${d.idle_timeout_s} 秒、TLS を終端するのは${d.tls_end}。`;
    controls.update();
    root.dataset.step = pending() ? "" : String(st.step);
    root.dataset.pending = String(pending());
    // A pending prediction: no step, count or outcome of the run anywhere in the page.
    tablesOut(pending());
    renderPredict();
    renderFeedback();
    if (pending()) {
      stage.hidden = true;
      listBox.hidden = true;
      svg.replaceChildren();
      detail.replaceChildren();
      list.replaceChildren();
      return;
    }
    stage.hidden = false;
    listBox.hidden = false;
    renderDiagram();
    renderDetail();
    renderList();
  }

  function renderDiagram() {
    const steps = st.data.steps;
    const shown = steps.slice(0, st.step);
    const height = HEAD + ROW * Math.max(shown.length, 1) + 8;
    svg.setAttribute("viewBox", `0 0 ${W} ${height}`);
    const parts = [
      s("title", { id: "ss-diagram-title", text: `タイムライン: ${st.data.label}、${st.step} / ${steps.length} ステップ` }),
      ...LANES.map(([, label], i) => s("text", { class: "ss-lane-name", x: laneX(i), y: 19, "text-anchor": "middle", text: label })),
      ...LANES.map((_, i) => s("line", { class: "ss-lane-line", x1: laneX(i), y1: HEAD, x2: laneX(i), y2: height })),
    ];
    // Bands: each TCP connection from its open to its close (or the last row shown), and the login
    // session from its creation on — the session band runs on across the connections' gap.
    const bands = [];
    shown.forEach((x, i) => {
      if (x.kind === "open") bands.push({ lane: 0, from: i, to: shown.length - 1, cls: `ss-band-conn ss-conn-${x.conn}` });
      if (x.kind === "close") {
        const b = bands.findLast((b) => b.lane === 0);
        if (b) b.to = i;
      }
      if (x.session === "created") bands.push({ lane: 3, from: i, to: shown.length - 1, cls: "ss-band-session" });
    });
    for (const b of bands) {
      parts.push(s("rect", { class: `ss-band ${b.cls}`, x: laneX(b.lane) - 5, y: rowY(b.from), width: 10, height: rowY(b.to) - rowY(b.from), rx: 5 }));
    }
    shown.forEach((x, i) => {
      const y = rowY(i);
      const prev = shown[i - 1];
      if (prev && x.t_ms - prev.t_ms >= 10000) {
        parts.push(s("line", { class: "ss-gap", x1: 0, y1: y - ROW / 2, x2: W, y2: y - ROW / 2 }));
      }
      const cur = i === st.step - 1 ? " ss-current" : "";
      parts.push(s("text", { class: `ss-time${cur}`, x: 1, y: y + 4, text: shortSecs(x.t_ms) }));
      const lane = x.lane === "tcp" ? 0 : x.lane === "tls" ? 1 : 2;
      parts.push(box(laneX(lane), y, boxText(x), `ss-box ss-${x.kind}${cur}`, i));
      if (x.session) {
        parts.push(box(laneX(3), y, SESSION_TEXT[x.session], `ss-box ss-session-${x.session}${cur}`, i));
        parts.push(s("line", { class: "ss-link", x1: laneX(2) + BOX_W / 2, y1: y, x2: laneX(3) - BOX_W / 2, y2: y }));
      }
    });
    svg.replaceChildren(...parts);
  }

  function box(x, y, text, cls, i) {
    return s("g", { class: cls, "data-ss-step": String(i) },
      s("rect", { x: x - BOX_W / 2, y: y - BOX_H / 2, width: BOX_W, height: BOX_H, rx: 5 }),
      s("text", { x, y: y + 4.5, "text-anchor": "middle", text }));
  }

  function renderDetail() {
    const d = st.data;
    const c = countsUpTo(d.steps, st.step);
    const so = h("p", { class: "ss-so-far", "data-ss-counts": "" }, h("strong", { text: "ここまで: " }), countsText(c));
    if (st.step === 0) {
      detail.replaceChildren(h("h3", { class: "ss-detail-title", text: "開始前" }),
        h("p", { text: "「次へ」か → キーで、最初のできごと（TCP 接続を開く）に進みます。" }), so);
      return;
    }
    const x = d.steps[st.step - 1];
    const end = st.step === d.steps.length;
    detail.replaceChildren(
      h("h3", { class: "ss-detail-title", text: `ステップ ${st.step} / ${d.steps.length}（${secs(x.t_ms)}）` }),
      h("p", { class: `ss-title${x.session === "lost" ? " ss-bad" : ""}`, "data-ss-title": "", text: x.title }),
      h("p", { class: "ss-explain", text: x.explain }),
      h("p", { class: "ss-source" }, h("span", { text: "出典: " }), h("cite", { text: x.source })),
      so,
      end ? h("p", { class: `ss-outcome ${d.survives ? "ss-good" : "ss-bad"}`, "data-ss-outcome": "", text: d.outcome }) : "",
    );
  }

  function renderList() {
    const items = st.data.steps.map((x, i) =>
      h("li", { "data-step": String(i + 1) }, h("button", { type: "button", text: `${shortSecs(x.t_ms)} ${x.title}`, "aria-current": i + 1 === st.step ? "step" : null })));
    list.replaceChildren(...items);
  }

  // ---- predict mode
  function renderPredict() {
    predictBox.hidden = !st.predict;
    if (!st.predict) return predictBox.replaceChildren();
    if (st.verdict) {
      predictBox.replaceChildren(h("p", { class: "ss-q" }, "採点しました。タイムラインで確かめてください。設定を変えると、もう一度予想できます。"));
      return;
    }
    const hadFocus = predictBox.contains(document.activeElement);
    const nums = PREDICT_FIELDS.map(([key, label]) =>
      h("label", { class: "ss-field ss-num", for: `ss-p-${key}` }, h("span", { text: label }),
        h("input", { type: "number", id: `ss-p-${key}`, name: key, min: 0, max: 99, step: 1, inputmode: "numeric", required: true })));
    const yesNo = h("fieldset", { class: "ss-survives" }, h("legend", { text: "ログインは最後まで続く？" }),
      ...[["true", "続く"], ["false", "途中で失われる"]].map(([v, t]) =>
        h("label", { class: "ss-check" }, h("input", { type: "radio", name: "survives", value: v, required: true }), h("span", { text: t }))));
    const msg = h("p", { class: "ss-pmsg", role: "status" });
    const form = h("form", { class: "ss-pform" }, h("div", { class: "ss-grid" }, nums), yesNo,
      h("button", { type: "submit", class: "primary", text: "答え合わせ" }), msg);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      check(form, msg);
    });
    predictBox.replaceChildren(
      h("p", { class: "ss-q" }, h("strong", { text: `${PREDICT_MODE}: ` }),
        "上の設定で、ブラウザーがログインしてリクエストを送り、休んでまた送ります。タイムラインを見る前に数えてください。"),
      form);
    if (hadFocus) form.querySelector("input")?.focus({ preventScroll: true });
  }

  async function check(form, msg) {
    const fd = new FormData(form);
    const body = { scenario: st.scenario, ...typedQuery() };
    for (const [key] of PREDICT_FIELDS) {
      const v = Number(fd.get(key));
      if (fd.get(key) === "" || !Number.isInteger(v) || v < 0 || v > 99) {
        msg.textContent = "数は 0〜99 の整数で入れてください。";
        return;
      }
      body[key] = v;
    }
    if (!fd.get("survives")) {
      msg.textContent = "ログインが続くかどうかを選んでください。";
      return;
    }
    body.survives = fd.get("survives") === "true";
    msg.textContent = "採点中…";
    const asked = st.req;
    const j = await postJSON(`${api}/check`, body).catch((e) => void (msg.textContent = e.message));
    if (!j || asked !== st.req) return;
    st.verdict = j;
    st.step = st.data.steps.length;
    render();
    writeHash();
    announce(j.correct ? "全問正解。" : "不正解があります。");
    feedback.focus({ preventScroll: true });
  }

  /** The settings as the check body types them. */
  function typedQuery() {
    if (!st.query) return {};
    const q = {};
    for (const k of KEYS) {
      const v = st.query[k];
      if (v === undefined) continue;
      if (k === "sticky" || k === "resume") q[k] = v === "true";
      else if (["before", "after", "pause"].includes(k)) q[k] = Number(v);
      else q[k] = v;
    }
    return q;
  }

  function renderFeedback() {
    const v = st.verdict;
    feedback.hidden = !v;
    if (!v) return feedback.replaceChildren();
    feedback.className = `ss-feedback ${v.correct ? "ss-right" : "ss-wrong"}`;
    feedback.setAttribute("tabindex", "-1");
    feedback.replaceChildren(
      h("p", { class: "ss-verdict" }, h("strong", { text: v.correct ? "✓ 全問正解" : "✗ 違うところがあります" })),
      h("ul", { class: "ss-verdicts" }, v.verdicts.map((x) =>
        h("li", { class: x.correct ? "ss-good" : "ss-bad", "data-ss-verdict": x.field },
          `${x.correct ? "✓" : "✗"} ${x.label}: あなた「${x.given}」`, x.correct ? "" : `、正しくは「${x.expected}」`))),
      h("p", { class: "ss-explain", text: v.explain }));
  }

  // ---- events
  scenarioSel.addEventListener("change", async () => {
    controls.stop();
    st.scenario = scenarioSel.value;
    st.query = null;
    if (await load()) { announce(); writeHash(); }
  });
  for (const k of KEYS) {
    inputs[k].addEventListener("change", async () => {
      const el = inputs[k];
      if (el.type === "number" && !el.checkValidity()) {
        showMessage(error, `${el.closest("label").textContent.trim()} は ${el.min}〜${el.max} の整数で指定してください。`);
        return;
      }
      controls.stop();
      st.query = Object.fromEntries(KEYS.map((key) => [key, inputs[key].type === "checkbox" ? String(inputs[key].checked) : inputs[key].value]));
      if (await load()) { announce(); writeHash(); }
    });
  }
  predictBtn.addEventListener("click", () => {
    controls.stop();
    st.predict = !st.predict;
    st.verdict = null;
    if (!st.predict) st.step = 0;
    render();
    writeHash();
  });
  list.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-step]");
    if (!li) return;
    controls.stop();
    go(Number(li.dataset.step));
  });
  onHashChange(NAME, async (p) => {
    fromHash(p);
    controls.stop();
    if (await load({ keepStep: true })) section.scrollIntoView({ block: "start" });
  });

  // ---- start
  const p = readHash(NAME);
  if (p) fromHash(p);
  (async () => {
    const ok = await loadOrDefaults(p, error, () => load({ keepStep: !!p }), () => {
      Object.assign(st, { scenario: "keepalive", query: null, step: 0 });
      return load();
    });
    if (!ok) return;
    announce();
    if (p) section.scrollIntoView({ block: "start" });
  })();
}
