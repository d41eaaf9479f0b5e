// FTP active/passive widget: draws the model's connections (src/widgets/ftp/, GET /api/widgets/ftp) as an
// SVG diagram with the client, its NAT and firewall, the server's firewall and the server; steps through the
// model's walkthrough with the command/reply transcript in sync; and calls GET /api/widgets/ftp/port for the
// PORT/PASV arithmetic. Every fact shown comes from the model; this file only lays it out. Its predict mode
// stops before the data connection appears and asks who opens it, to which port (and, when a NAT or firewall
// could stop it, whether it arrives); POST /api/widgets/ftp/check grades that on the server.

import { fill, foldStatic, h as el, predictToggle, s as sv, setPressed, showMessage, staticWhilePredicting } from "./lib/dom.js";
import { getJSON, postJSON } from "./lib/fetch.js";
import { readHash as hashFor, writeHash as setHash } from "./lib/hash.js";
import { reducedMotion } from "./lib/motion.js";
import { stepper } from "./lib/stepper.js";

const MODES = [
  ["active", "アクティブ（PORT）"],
  ["passive", "パッシブ（PASV）"],
  ["epsv", "拡張パッシブ（EPSV）"],
];
const CLIENT_FW = [
  ["none", "なし"],
  ["stateless", "ステートレス"],
  ["stateful", "ステートフル"],
  ["helper", "ステートフル + FTP ヘルパー"],
];
const SERVER_FW = [
  ["only21", "21 番だけ開ける"],
  ["passive-range", "21 番とパッシブ範囲を開ける"],
];
// Short forms for the boxes in the diagram.
const CLIENT_FW_SHORT = { stateless: "ステートレス", stateful: "ステートフル", helper: "ステートフル + ヘルパー" };
const SERVER_FW_SHORT = { only21: "開: 21 番だけ", "passive-range": "開: 21 番 + パッシブ範囲" };
// What each client firewall does (facts.md §9), shown under the controls.
const CLIENT_FW_NOTE = {
  stateless: "ステートレス（静的フィルタ）: 外向きは許可、内向きは ACK ビットの立ったパケットだけを許可します。外から来る新しい接続の SYN は通りません。",
  stateful: "ステートフル: conntrack が流れを記録し、記録した流れの戻り（ESTABLISHED）だけを通します。制御接続の中身（PORT/PASV）は読みません。",
  helper: "FTP ヘルパー付き: ヘルパーが制御接続の PORT/PASV/EPRT/EPSV を読み、そこで知らされたデータ接続を RELATED として通します（Linux 4.7 以降は ct helper set などで明示的に付ける）。",
};
const DEFAULTS = { mode: "active", client_nat: "false", client_fw: "none", server_fw: "passive-range" };
const KEYS = ["mode", "client_nat", "client_fw", "server_fw"];
const WHO = { client: "クライアント", server: "サーバー" };
const PURPOSE = { control: "制御接続", data: "データ接続" };
const STEP_MS = 2600;

// Diagram geometry (viewBox units): the client on top, the server at the bottom, the middleboxes as bars
// between them; the control connection runs down one lane, the data connection down the other.
// Wide, the diagram is 372 units, scaled up to its box. In a narrower box (a phone, or the column beside
// the transcript) it is as wide as the box, one unit a pixel, so its 12 px text stays 12 px: the lanes
// move left and a few labels take a shorter form or another place.
const WIDE_W = 372;
const H = 448;
const geometry = (px) => {
  if (!(px > 0) || px >= WIDE_W) return { W: WIDE_W, LANE: { control: 190, data: 300 }, narrow: false };
  const W = Math.max(300, Math.floor(px));
  return { W, LANE: { control: 164, data: W - 48 }, narrow: true };
};
const CLIENT_BOX = [8, 78];
const SERVER_BOX = [370, 440];
const BAR = { cfw: [104, 146], nat: [160, 202], sfw: [302, 344] };
const INTERNET_Y = 238;
const CLIENT_END = CLIENT_BOX[1] + 9;
const SERVER_END = SERVER_BOX[0] - 9;

// "198.51.100.7:21" for one end of a connection.
const hostPort = (c, side) => `${c[side + "_addr"]}:${c[side + "_port"]}`;

export function mount(section) {
  const root = section.querySelector("[data-widget-root]");
  const staticPart = section.querySelector("[data-widget-static]");
  const api = section.dataset.api;
  if (!root || !api) throw new Error("ftp widget: missing root or data-api");

  const state = {
    query: { ...DEFAULTS },
    data: null,
    step: 0,
    prevStep: -1,
    request: 0,
    touched: false,
    predict: false,
    // The server's verdict once the learner has answered (or { skipped: true }); null while asking.
    answered: null,
  };

  // ------------------------------------------------------------------ controls
  const modeButtons = MODES.map(([value, label]) =>
    el("button", { type: "button", "data-mode": value, "aria-pressed": "false", text: label }),
  );
  const natBox = el("input", { type: "checkbox", name: "client_nat" });
  const select = (name, options) =>
    el("select", { name }, ...options.map(([value, label]) => el("option", { value, text: label })));
  const cfwSelect = select("client_fw", CLIENT_FW);
  const sfwSelect = select("server_fw", SERVER_FW);
  const fwNote = el("p", { class: "ftp-fw-note", hidden: true });

  const predictBtn = predictToggle("ftp-predict-toggle");
  const toggles = el(
    "div",
    { class: "ftp-toggles" },
    el("fieldset", { class: "ftp-modes" }, el("legend", { text: "モード" }), el("div", { class: "ftp-seg" }, ...modeButtons)),
    el("label", { class: "ftp-check" }, natBox, " クライアントが NAT の内側（192.168.1.10）"),
    el("label", { class: "ftp-field" }, el("span", { text: "クライアント側ファイアウォール" }), cfwSelect),
    el("label", { class: "ftp-field" }, el("span", { text: "サーバー側ファイアウォール" }), sfwSelect),
    el("div", { class: "ftp-predict-row" }, predictBtn, el("span", { class: "ftp-muted", text: " データ接続が現れる前に止めて、どうなるかを予想します。" })),
  );

  const errorBox = el("p", { class: "ftp-error widget-error", role: "alert", hidden: true });

  // Steps 0…n−1, one per step of the model's walkthrough.
  const controls = stepper(section, {
    position: () => state.data && { step: state.step, first: 0, last: state.data.steps.length - 1 },
    go: (k) => go(k, true),
    touch: () => {
      state.touched = true;
    },
    interval: STEP_MS,
    // While a prediction is pending the total stays out: a blocked data connection ends the session sooner.
    counter: (pos) => (gate() === Infinity ? `ステップ ${pos.step + 1} / ${pos.last + 1}` : `ステップ ${pos.step + 1}`),
    onSpeed: (speed) => section.style.setProperty("--ftp-dur", `${Math.round(700 / speed)}ms`),
  });
  const live = el("p", { class: "visually-hidden", "aria-live": "polite" });

  // ------------------------------------------------------------------ predict mode
  const radios = (name, legend, options) =>
    el(
      "fieldset",
      { class: "ftp-pq" },
      el("legend", { text: legend }),
      ...options.map(([value, label]) => el("label", { class: "ftp-radio" }, el("input", { type: "radio", name, value }), ` ${label}`)),
    );
  const openerSet = radios("ftp-opener", "データ接続を開くのはどちら？", [["client", "クライアント"], ["server", "サーバー"]]);
  const portInput = el("input", { type: "number", name: "ftp-port", min: 1, max: 65535, step: 1, inputmode: "numeric", autocomplete: "off", class: "ftp-port-input" });
  const portField = el("label", { class: "ftp-pq ftp-field" }, el("span", { class: "ftp-pq-label", text: "接続先のポート番号は？" }), portInput);
  const reachSet = radios("ftp-reaches", "届く？", [["true", "届く"], ["false", "ブロックされる"]]);
  const pMsg = el("p", { class: "ftp-pmsg", role: "status" });
  const skipBtn = el("button", { type: "button", class: "ftp-skip", text: "答えを見る" });
  const askForm = el(
    "form",
    { class: "ftp-pform", novalidate: true },
    openerSet, portField, reachSet,
    el("div", { class: "ftp-pbuttons" }, el("button", { type: "submit", class: "primary", text: "答え合わせ" }), skipBtn),
    pMsg,
  );
  const pQ = el("p", { class: "ftp-q" });
  const feedback = el("div", { class: "ftp-feedback", "aria-live": "polite", tabindex: "-1" });
  const predictBox = el("div", { class: "ftp-predict", hidden: true }, pQ, askForm, feedback);

  const svg = sv("svg", { class: "ftp-svg", viewBox: `0 0 ${WIDE_W} ${H}`, role: "img", "aria-labelledby": "ftp-svg-title" });
  const figure = el("figure", { class: "ftp-figure" }, svg);

  const transcript = el("ol", { class: "ftp-transcript", "aria-label": "コマンドと応答" });
  const nowTitle = el("h3", { class: "ftp-now-title" });
  const nowText = el("p", { class: "ftp-now-text" });
  const side = el(
    "div",
    { class: "ftp-side" },
    el("h3", { class: "ftp-side-title", text: "制御接続のやりとり" }),
    transcript,
    el("div", { class: "ftp-now" }, nowTitle, nowText),
  );
  const stage = el("div", { class: "ftp-stage" }, figure, side);

  const conns = el("ul", { class: "ftp-conns", "aria-label": "コネクション" });
  const outcome = el("p", { class: "ftp-outcome", hidden: true });
  const helperNote = el(
    "p",
    { class: "ftp-helper-note", hidden: true },
    el("span", { class: "ftp-helper-text" }),
    " ",
    el("a", { href: "/topics/firewall", text: "ファイアーウォールの機能（動的ポートフィルタリング）へ" }),
  );
  const stepList = el("ol", { class: "ftp-steplist", "aria-label": "ステップ一覧" });

  // ------------------------------------------------------------------ calculator
  const input = (name, label, attrs = {}) =>
    el("label", { class: "ftp-field" }, el("span", { text: label }), el("input", { type: "text", name, autocomplete: "off", spellcheck: "false", ...attrs }));
  const portForm = el(
    "form",
    { class: "ftp-calc-form", "data-calc": "port" },
    input("port", "ポート番号", { inputmode: "numeric", placeholder: "50000", size: 7 }),
    el("button", { type: "submit", text: "p1, p2 に分ける" }),
  );
  const pForm = el(
    "form",
    { class: "ftp-calc-form", "data-calc": "p" },
    input("p1", "p1", { inputmode: "numeric", placeholder: "195", size: 4 }),
    input("p2", "p2", { inputmode: "numeric", placeholder: "80", size: 4 }),
    el("button", { type: "submit", text: "ポートにする" }),
  );
  const replyForm = el(
    "form",
    { class: "ftp-calc-form ftp-calc-reply", "data-calc": "reply" },
    input("reply", "227 / 229 の応答行（PORT も可）", { placeholder: "227 Entering Passive Mode (198,51,100,7,195,80)" }),
    el("button", { type: "submit", text: "読む" }),
  );
  const calcOut = el("output", { class: "ftp-calc-result", "aria-live": "polite" });
  const calcError = el("p", { class: "ftp-calc-error widget-error", role: "alert", hidden: true });
  const calc = el(
    "section",
    { class: "ftp-calc", "aria-labelledby": "ftp-calc-title" },
    el("h3", { id: "ftp-calc-title", text: "ポート番号の計算（PORT / 227 / 229）" }),
    el("p", { class: "ftp-calc-hint", text: "ポート = p1 × 256 + p2 です。p1 = ⌊ポート ÷ 256⌋、p2 = ポート mod 256 です。" }),
    portForm, pForm, replyForm, calcOut, calcError,
  );

  root.replaceChildren(toggles, fwNote, errorBox, controls.el, live, predictBox, stage, conns, outcome, helperNote, stepList, calc);

  // The server-rendered tables stay in the page (no-JS and print view), folded away.
  const hideStatic = staticWhilePredicting(foldStatic(staticPart, "ftp-tables", "表で見る"));
  // Built once per session, put in the page only up to the last step the learner may see.
  let lines = [];
  let stepItems = [];

  // ------------------------------------------------------------------ state → URL
  function writeHash() {
    if (!state.touched) return;
    setHash("ftp", { ...Object.fromEntries(KEYS.map((k) => [k, state.query[k]])), step: state.step, predict: state.predict && "1" });
  }

  function readHash() {
    const q = hashFor("ftp");
    if (!q) return null;
    const query = { ...DEFAULTS };
    for (const k of KEYS) if (q.has(k)) query[k] = q.get(k);
    const step = Number.parseInt(q.get("step") ?? "0", 10);
    return { query, step: Number.isFinite(step) ? step : 0, predict: q.get("predict") === "1" };
  }

  // ------------------------------------------------------------------ loading
  const showError = (msg) => showMessage(errorBox, msg);

  // The API's answer, or its Japanese error, as { body } or { error }.
  async function getJson(url) {
    try {
      return { body: await getJSON(url) };
    } catch (e) {
      return { error: e.message };
    }
  }

  // Fetches the session for `query`; shows it at `step` (a number, or "last").
  async function load(query, step) {
    const id = ++state.request;
    section.dataset.ftpLoading = "true";
    root.dataset.state = "loading"; // as every widget marks it (tests and tools wait on it)
    const q = new URLSearchParams();
    for (const k of KEYS) q.set(k, query[k]);
    const { body, error } = await getJson(`${api}?${q}`);
    if (id !== state.request) return false;
    delete section.dataset.ftpLoading;
    if (error) {
      showError(error);
      syncToggles();
      root.dataset.state = state.data ? "ready" : "error";
      return false;
    }
    showError("");
    state.data = body;
    state.query = {
      mode: body.mode,
      client_nat: String(body.client_nat),
      client_fw: body.client_fw,
      server_fw: body.server_fw,
    };
    const last = body.steps.length - 1;
    state.prevStep = -1;
    state.step = step === "last" ? last : Math.max(0, Math.min(last, step | 0));
    // A new setup asks again, right before its data connection.
    resetPredict();
    if (state.predict) state.step = Math.min(state.step, gate());
    buildForData();
    update(false);
    root.dataset.state = "ready";
    return true;
  }

  // A control changed: the new result is shown at its last step, so the effect of the toggle is visible
  // at once; the learner can step back through it.
  function change(key, value) {
    stop();
    state.touched = true;
    load({ ...state.query, [key]: value }, "last");
  }

  for (const b of modeButtons) b.addEventListener("click", () => change("mode", b.dataset.mode));
  natBox.addEventListener("change", () => change("client_nat", String(natBox.checked)));
  cfwSelect.addEventListener("change", () => change("client_fw", cfwSelect.value));
  sfwSelect.addEventListener("change", () => change("server_fw", sfwSelect.value));

  function syncToggles() {
    const q = state.query;
    for (const b of modeButtons) b.setAttribute("aria-pressed", String(b.dataset.mode === q.mode));
    natBox.checked = q.client_nat === "true";
    if (CLIENT_FW.some(([v]) => v === q.client_fw)) cfwSelect.value = q.client_fw;
    if (SERVER_FW.some(([v]) => v === q.server_fw)) sfwSelect.value = q.server_fw;
    const note = CLIENT_FW_NOTE[q.client_fw];
    fwNote.hidden = !note;
    fwNote.textContent = note ? `クライアント側 FW — ${note}` : "";
  }

  // ------------------------------------------------------------------ stepping
  function go(step, animate = false) {
    if (!state.data) return;
    const last = state.data.steps.length - 1;
    let next = Math.max(0, Math.min(last, step));
    // Predict mode: no further than the step before the data connection until the learner answers.
    if (next > gate()) {
      next = gate();
      if (state.step === next) pMsg.textContent = "先に予想を答えてください（「答えを見る」で先に進めます）。";
    }
    state.prevStep = state.step;
    state.step = next;
    update(animate && next === state.prevStep + 1);
  }

  // A step the learner picked from the list: playing stops there.
  function manual(step) {
    stop();
    state.touched = true;
    go(step, true);
  }

  const stop = () => controls.stop();

  // ------------------------------------------------------------------ rendering
  function buildForData() {
    const d = state.data;
    syncToggles();
    lines = d.transcript.map((line, i) => {
        const li = el(
          "li",
          { "data-step": line.step, "data-from": line.from, "data-line": i },
          el("span", { class: "ftp-who", text: line.from === "client" ? "クライアント →" : "← サーバー" }),
          " ",
          el("code", { id: `ftp-line-${i}`, text: line.text }),
        );
        if (/^(227|229|PORT)\b/.test(line.text)) {
          // Named by its visible word; the line it reads is its description.
          const b = el("button", { type: "button", class: "ftp-to-calc", text: "計算", title: "この行を計算機で読む", "aria-describedby": `ftp-line-${i}` });
          b.addEventListener("click", () => {
            replyForm.elements.reply.value = line.text;
            runCalc("reply");
            calc.scrollIntoView({ block: "nearest", behavior: reducedMotion() ? "auto" : "smooth" });
          });
          li.append(" ", b);
        }
        return li;
      });
    stepItems = d.steps.map((s, i) => {
      const b = el("button", { type: "button", class: "ftp-steplink", "data-step": i }, `${i + 1}. ${s.title}`);
      b.addEventListener("click", () => manual(i));
      return el("li", {}, b);
    });
    const helper = d.client_fw === "helper";
    helperNote.hidden = !helper;
    if (helper) {
      const cmd = d.mode === "active" ? "PORT を" : d.mode === "epsv" ? "229 応答を" : "227 応答を";
      helperNote.querySelector(".ftp-helper-text").textContent =
        `FTP ヘルパー: クライアント側のファイアウォールは制御接続の ${cmd}読んでデータ接続のポートを知り、その接続を RELATED として通します。`;
    }
  }

  // The first step at which connection `c` appears.
  function firstStepOf(c) {
    return state.data.steps.findIndex((s) => s.connection === c);
  }

  // The step in which the client announces (PORT) or learns (227/229) the data port.
  function announceStep() {
    const line = state.data.transcript.find((l) => /^(PORT|EPRT|227|229) /.test(l.text));
    return line ? line.step : -1;
  }

  function update(animate) {
    const d = state.data;
    const step = state.step;
    const last = d.steps.length - 1;
    const cur = d.steps[step];
    if (reducedMotion()) animate = false;

    controls.update();
    nowTitle.textContent = `${step + 1}. ${cur.title}`;
    // While the question is open the step's text would give the answer away (e.g. RETR: "the server opens…").
    const asking = state.predict && !state.answered && step === gate();
    nowText.textContent = asking ? "（このステップの説明は、予想に答えたあとに表示します）" : cur.explain;
    renderPredict(asking);
    // While a prediction is pending, nothing after the gate is in the page at all: not the later steps,
    // their replies (425…), the connections they open, nor the outcome. Dimmed would still tell.
    const pending = gate() !== Infinity;
    const limit = pending ? gate() : last;
    hideStatic(pending);
    transcript.replaceChildren(...lines.filter((li) => Number(li.dataset.step) <= limit));
    stepList.replaceChildren(...stepItems.filter((_, i) => i <= limit));

    for (const li of transcript.children) {
      const s = Number(li.dataset.step);
      li.classList.toggle("is-current", s === step);
      li.classList.toggle("is-future", s > step);
      if (s === step) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    }
    for (const b of stepList.querySelectorAll("button")) {
      if (Number(b.dataset.step) === step) b.setAttribute("aria-current", "step");
      else b.removeAttribute("aria-current");
    }

    // The connection list: what is open so far, who opened it, from which port to which, and the verdict.
    fill(conns,
      ...d.connections.map((c, i) => {
        const at = firstStepOf(i);
        const shown = at !== -1 && at <= step;
        if (!shown && pending) return null;
        const li = el("li", { "data-purpose": c.purpose, "data-opener": c.opener, "data-shown": String(shown) });
        li.classList.toggle("is-blocked", shown && c.blocked);
        li.classList.toggle("is-current", cur.connection === i);
        li.append(el("strong", { text: PURPOSE[c.purpose] }), " ");
        if (!shown) {
          li.append(el("span", { class: "ftp-muted", text: `ステップ ${at + 1} で開く` }));
          return li;
        }
        li.append(
          el("span", { class: "ftp-opener", text: `${WHO[c.opener]}が開く: ` }),
          el("code", { class: "ftp-endpoints", text: `${WHO[c.opener]} ${hostPort(c, "from")} → ${WHO[c.opener === "client" ? "server" : "client"]} ${hostPort(c, "to")}` }),
          " ",
        );
        if (c.blocked) {
          li.append(el("span", { class: "ftp-verdict bad", text: "✗ 遮断" }), el("span", { class: "ftp-reason", text: ` ${c.reason}` }));
        } else {
          li.append(el("span", { class: "ftp-verdict ok", text: c.related ? "✓ 通過（RELATED）" : "✓ 通過" }));
        }
        return li;
      }),
    );

    const failed = d.connections.some((c) => c.blocked);
    outcome.hidden = step !== last;
    outcome.textContent = step === last ? d.outcome : "";
    outcome.classList.toggle("bad", failed);
    outcome.classList.toggle("ok", !failed);

    draw(animate);

    let say = `ステップ ${step + 1}${pending ? "" : ` / ${d.steps.length}`}: ${cur.title}`;
    if (cur.connection !== null && cur.connection !== undefined) {
      const c = d.connections[cur.connection];
      say += `。${PURPOSE[c.purpose]} ${hostPort(c, "from")} → ${hostPort(c, "to")} は${c.blocked ? "遮断" : "通過"}`;
    }
    live.textContent = say;
    section.dataset.step = String(step);
    writeHash();
  }

  // ------------------------------------------------------------------ predict mode
  function dataStep() {
    return state.data ? firstStepOf(state.data.connections.findIndex((c) => c.purpose === "data")) : -1;
  }

  // The last step the learner may see: the one before the data connection while a question is open.
  function gate() {
    const k = dataStep();
    return state.predict && !state.answered && k > 0 ? k - 1 : Infinity;
  }

  // Can a NAT or firewall stop the data connection here? Then the question also asks whether it arrives.
  function mayBlock() {
    const q = state.query;
    return q.client_nat === "true" || q.client_fw !== "none" || q.server_fw === "only21";
  }

  function resetPredict() {
    state.answered = null;
    askForm.reset();
    pMsg.textContent = "";
    feedback.replaceChildren();
    feedback.className = "ftp-feedback";
  }

  function renderPredict(asking) {
    setPressed(predictBtn, state.predict);
    predictBox.hidden = !state.predict;
    if (!state.predict) return;
    const k = dataStep();
    const hadFocus = askForm.contains(document.activeElement);
    askForm.hidden = !asking;
    reachSet.hidden = !mayBlock();
    for (const i of reachSet.querySelectorAll("input")) i.disabled = !mayBlock();
    if (state.answered) pQ.textContent = `${state.answered.skipped ? "答えを表示しました" : "予想に答えました"}。「次へ」で続きを見られます。設定を変えると、もう一度予想できます。`;
    else if (asking) {
      const announce = state.query.mode === "active" ? "PORT" : state.query.mode === "epsv" ? "229 応答" : "227 応答";
      pQ.textContent = `予想: 次のステップ ${k + 1} でデータ接続が開きます。ここまでのやりとり（${announce}）から、どうなるかを答えてください。`;
    } else pQ.textContent = `予想モード: ステップ ${k + 1} の手前で止めて、データ接続について予想してもらいます。「次へ」で進んでください。`;
    if (hadFocus && !asking) feedback.focus({ preventScroll: true });
  }

  const checked = (set) => set.querySelector("input:checked")?.value;

  async function check() {
    const k = gate();
    const opener = checked(openerSet);
    const portText = portInput.value.trim();
    const reaches = mayBlock() ? checked(reachSet) : "none";
    if (!opener) return ask("データ接続を開く側を選んでください。", openerSet.querySelector("input"));
    if (!/^\d{1,5}$/.test(portText) || +portText < 1 || +portText > 65535) {
      return ask("ポート番号は 1〜65535 の整数で答えてください。", portInput);
    }
    if (!reaches) return ask("届くかどうかを選んでください。", reachSet.querySelector("input"));
    const body = { ...state.query, client_nat: state.query.client_nat === "true", opener, port: +portText };
    if (reaches !== "none") body.reaches = reaches === "true";
    pMsg.textContent = "採点中…";
    const j = await postJSON(`${api}/check`, body).catch((e) => void (pMsg.textContent = e.message));
    if (!j) return;
    // The learner changed the setup or stepped away meanwhile: this verdict is stale.
    if (gate() !== k || state.step !== k) return;
    pMsg.textContent = "";
    state.answered = j;
    const mine = `${WHO[opener]}が開く、ポート ${portText}${body.reaches === undefined ? "" : body.reaches ? "、届く" : "、ブロックされる"}`;
    feedback.className = `ftp-feedback ${j.correct ? "is-right" : "is-wrong"}`;
    feedback.replaceChildren(
      el("p", { class: "ftp-pverdict" }, el("strong", { text: j.correct ? "✓ 正解" : "✗ 不正解" }), ` あなたの予想: ${mine}`),
      el("p", { class: "ftp-pexpected" }, el("span", { text: j.correct ? "答え: " : "正しくは: " }), el("strong", { "data-ftp-expected": "", text: j.expected })),
      el("p", { class: "ftp-pexplain", text: j.explain }),
    );
    go(k + 1, true);
    feedback.focus({ preventScroll: true });
  }

  function ask(message, focus) {
    pMsg.textContent = message;
    focus.focus();
  }

  predictBtn.addEventListener("click", () => {
    stop();
    state.predict = !state.predict;
    state.touched = true;
    resetPredict();
    if (!state.data) return renderPredict(false);
    // Turned on: jump to the question (an earlier step stays where it is).
    if (state.predict) go(Math.min(state.step, gate()));
    else update(false);
  });
  askForm.addEventListener("submit", (event) => {
    event.preventDefault();
    check();
  });
  skipBtn.addEventListener("click", () => {
    const k = gate();
    state.answered = { skipped: true };
    pMsg.textContent = "";
    go(k + 1, true);
    controls.el.querySelector("[data-action=next]").focus();
  });

  // ------------------------------------------------------------------ the diagram
  // The geometry follows the diagram's width (see geometry): drawn again when that changes.
  let drawnWidth = 0;
  new ResizeObserver(() => {
    if (state.data && geometry(svg.getBoundingClientRect().width).W !== drawnWidth) draw(false);
  }).observe(svg);

  function draw(animate) {
    const d = state.data;
    const step = state.step;
    const cur = d.steps[step];
    const nat = d.client_nat;
    const cfw = d.client_fw;
    const helper = cfw === "helper";
    const announced = announceStep();
    const { W, LANE, narrow } = geometry(svg.getBoundingClientRect().width);
    drawnWidth = W;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const g = [];

    const defs = sv("defs");
    for (const kind of ["fg", "cur", "bad"]) {
      const m = sv("marker", { id: `ftp-arrow-${kind}`, class: `ftp-arrow-${kind}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 5, markerHeight: 5, orient: "auto-start-reverse" });
      m.append(sv("path", { d: "M0,0 L10,5 L0,10 z" }));
      defs.append(m);
    }
    g.push(defs);

    const text = (x, y, s, cls, anchor) => sv("text", { x, y, class: cls, "text-anchor": anchor }, s);
    const tag = (x, y, s, cls, anchor = "start") => {
      const grp = sv("g", { class: `ftp-tag ${cls}` });
      const w = Math.max(30, [...s].reduce((n, ch) => n + (ch.charCodeAt(0) > 0xff ? 12 : 7.3), 0) + 10);
      const x0 = anchor === "end" ? x - w : x;
      grp.append(sv("rect", { x: x0, y: y - 13, width: w, height: 17, rx: 4 }), text(x0 + w / 2, y, s, "ftp-tag-text", "middle"));
      return grp;
    };

    // Hosts.
    const host = (y0, y1, name, addr, sub, kind) => {
      const grp = sv("g", { class: `ftp-host ftp-host-${kind}` });
      grp.append(sv("rect", { x: 8, y: y0, width: W - 16, height: y1 - y0, rx: 8 }));
      grp.append(text(18, y0 + 24, name, "ftp-name"));
      grp.append(text(18, y0 + 44, addr, "ftp-mono"));
      if (sub) grp.append(text(18, y0 + 60, sub, "ftp-sub"));
      return grp;
    };
    g.push(host(CLIENT_BOX[0], CLIENT_BOX[1], "クライアント", nat ? "192.168.1.10" : "203.0.113.5", nat ? "プライベートアドレス" : null, "client"));
    g.push(host(SERVER_BOX[0], SERVER_BOX[1], "サーバー", "198.51.100.7", null, "server"));

    // Middleboxes.
    const bar = ([y0, y1], name, setting, present, id) => {
      const grp = sv("g", { class: `ftp-mbox${present ? "" : " is-absent"}`, "data-box": id });
      grp.append(sv("rect", { x: 8, y: y0, width: W - 16, height: y1 - y0, rx: 5 }));
      grp.append(text(18, y0 + 17, name, present ? "ftp-bar-name" : "ftp-sub"));
      if (setting) grp.append(text(18, y0 + 33, setting, "ftp-sub"));
      return grp;
    };
    g.push(bar(BAR.cfw, cfw === "none" ? "クライアント側 FW なし" : "クライアント側 FW", CLIENT_FW_SHORT[cfw], cfw !== "none", "cfw"));
    g.push(bar(BAR.nat, nat ? "NAT" : "NAT なし", nat ? `${narrow ? "公開" : "公開アドレス"} 203.0.113.5` : null, nat, "nat"));
    g.push(bar(BAR.sfw, "サーバー側 FW", SERVER_FW_SHORT[d.server_fw], true, "sfw"));
    g.push(text(18, INTERNET_Y, "インターネット", "ftp-sub ftp-internet"));
    // Lane names with who opens each connection.
    d.connections.forEach((c, i) => {
      const x = LANE[c.purpose] - 8;
      const at = firstStepOf(i);
      g.push(text(x, INTERNET_Y + 22, c.purpose === "control" ? "制御" : "データ", "ftp-lane", "end"));
      if (at !== -1 && at <= step) g.push(text(x, INTERNET_Y + 37, `${WHO[c.opener]}が開く`, "ftp-lane ftp-lane-opener", "end"));
    });

    // The helper reads the announcement and expects the data connection (facts.md §9).
    const dataIdx = d.connections.findIndex((c) => c.purpose === "data");
    const data = d.connections[dataIdx];
    const dataShown = dataIdx !== -1 && firstStepOf(dataIdx) !== -1 && firstStepOf(dataIdx) <= step;
    if (helper && announced !== -1 && step >= announced) {
      const now = step === announced ? " is-now" : "";
      const cmd = d.mode === "active" ? "PORT" : d.mode === "epsv" ? "229" : "227";
      g.push(tag(LANE.control + 8, BAR.cfw[0] + 17, `${cmd} を読む`, `ftp-tag-helper${now}`));
      if (dataShown && data.related) {
        g.push(tag(LANE.data - 8, BAR.cfw[0] + 35, "RELATED", "ftp-tag-related", "end"));
      } else if (gate() === Infinity) {
        // (Not while the port is the open question.)
        g.push(tag(LANE.data - 8, BAR.cfw[0] + 35, `:${data.to_port} を予期`, `ftp-tag-helper${now}`, "end"));
      }
      if (nat && d.mode === "active") {
        // Narrow, right of the control lane there is no room: the tag goes left of it, beside "NAT".
        const [x, anchor] = narrow ? [LANE.control - 8, "end"] : [LANE.control + 8, "start"];
        g.push(tag(x, BAR.nat[0] + 17, "PORT を書き換え", `ftp-tag-helper${now}`, anchor));
      }
    }

    // Connections.
    d.connections.forEach((c, i) => {
      const at = firstStepOf(i);
      if (at === -1 || at > step) return;
      const x = LANE[c.purpose];
      const fromClient = c.opener === "client";
      const y1 = fromClient ? CLIENT_END : SERVER_END;
      let y2 = fromClient ? SERVER_END : CLIENT_END;
      if (c.blocked) {
        // Where the SYN dies: inbound at the client's NAT or firewall, or at the server's firewall.
        y2 = fromClient ? BAR.sfw[0] - 10 : (nat ? BAR.nat[1] : BAR.cfw[1]) + 10;
      }
      const current = cur.connection === i;
      const fresh = animate && current && at === step;
      const cls = ["ftp-conn", c.blocked && "is-blocked", current && "is-current", c.related && "is-related", fresh && "ftp-draw"].filter(Boolean).join(" ");
      const kind = c.blocked ? "bad" : current ? "cur" : "fg";
      g.push(sv("line", { x1: x, y1, x2: x, y2, pathLength: 1, class: cls, "data-purpose": c.purpose, "data-opener": c.opener, "marker-end": c.blocked ? null : `url(#ftp-arrow-${kind})` }));
      // Ports on the hosts' edges: the opener's source port and the destination port.
      const port = (y, p, role) => {
        const grp = sv("g", { class: `ftp-port${c.blocked && role === "to" ? " is-unreached" : ""}`, "data-purpose": c.purpose, "data-role": role });
        grp.append(sv("rect", { x: x - 24, y: y - 8, width: 48, height: 16, rx: 3 }), text(x, y + 4, String(p), "ftp-mono ftp-port-text", "middle"));
        return grp;
      };
      const clientY = CLIENT_BOX[1];
      const serverY = SERVER_BOX[0];
      g.push(port(fromClient ? clientY : serverY, c.from_port, "from"));
      g.push(port(fromClient ? serverY : clientY, c.to_port, "to"));
      if (c.blocked) {
        const grp = sv("g", { class: `ftp-x${fresh ? " ftp-pop" : ""}` });
        grp.append(
          sv("circle", { cx: x, cy: y2, r: 9 }),
          sv("path", { d: `M${x - 4},${y2 - 4} L${x + 4},${y2 + 4} M${x + 4},${y2 - 4} L${x - 4},${y2 + 4}` }),
          text(x + 14, y2 + 4, "遮断", "ftp-x-label"),
        );
        g.push(grp);
      }
    });

    // Commands and replies of this step travel along the control lane.
    if (animate) {
      const lines = d.transcript.filter((l) => l.step === step);
      lines.forEach((l, j) => {
        const down = l.from === "client";
        g.push(sv("circle", { cx: LANE.control, cy: down ? CLIENT_END : SERVER_END, r: 5, class: `ftp-msg ${down ? "ftp-msg-down" : "ftp-msg-up"} ftp-msg-${j}` }));
      });
    }

    const title = sv("title", { id: "ftp-svg-title" });
    const parts = d.connections
      .filter((_, i) => firstStepOf(i) !== -1 && firstStepOf(i) <= step)
      .map((c) => `${PURPOSE[c.purpose]}: ${WHO[c.opener]}が ${hostPort(c, "from")} から ${hostPort(c, "to")} へ開く${c.blocked ? "（遮断）" : ""}`);
    title.textContent = `FTP の図（${MODES.find(([m]) => m === d.mode)[1]}）。${parts.join("。") || "まだ接続はありません"}`;
    svg.replaceChildren(title, ...g);
  }

  // ------------------------------------------------------------------ calculator
  async function runCalc(kind) {
    const q = new URLSearchParams();
    if (kind === "port") q.set("port", portForm.elements.port.value.trim());
    else if (kind === "p") {
      q.set("p1", pForm.elements.p1.value.trim());
      q.set("p2", pForm.elements.p2.value.trim());
    } else q.set("reply", replyForm.elements.reply.value.trim());
    const { body, error } = await getJson(`${api}/port?${q}`);
    calcError.hidden = !error;
    calcError.textContent = error || "";
    calcOut.replaceChildren();
    if (error) return;
    const row = (label, value) => el("div", { class: "ftp-calc-row" }, el("span", { text: label }), el("strong", { class: "ftp-mono", text: value }));
    if (body.addr) calcOut.append(row("アドレス（h1.h2.h3.h4）", body.addr));
    calcOut.append(row("ポート", String(body.port)), row("p1,p2", `${body.p1},${body.p2}`), el("p", { class: "ftp-arith", text: body.arithmetic }));
    if (kind === "port") {
      pForm.elements.p1.value = String(body.p1);
      pForm.elements.p2.value = String(body.p2);
    } else portForm.elements.port.value = String(body.port);
  }
  for (const form of [portForm, pForm, replyForm]) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      runCalc(form.dataset.calc);
    });
  }

  // ------------------------------------------------------------------ start
  const fromHash = readHash();
  syncToggles();
  if (fromHash) {
    state.touched = true;
    state.predict = fromHash.predict;
    load(fromHash.query, fromHash.step).then((ok) => {
      if (!ok) {
        // A bad link: keep its error on screen and show the default example.
        const message = errorBox.textContent;
        load({ ...DEFAULTS }, 0).then(() => showError(message));
      }
      section.scrollIntoView({ block: "start" });
    });
  } else {
    load({ ...DEFAULTS }, 0);
  }
}
