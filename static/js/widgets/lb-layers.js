// L3/L4/L7 decision (W6): turns the server-rendered tables into a packet builder, a drawing of the packet's
// headers by layer, and a walk through the three devices — L3, then L4, then L7 — showing which fields each
// reads in this packet and whether it can apply the chosen rule. The model on the server is the truth: every
// packet is evaluated by the JSON API and every prediction is graded there. While a prediction is pending,
// no device's verdict and none of the static tables are in the DOM; they appear after the server's answer.
// Nothing from the model goes through innerHTML, and there are no inline styles.

import { foldStatic, h, PREDICT_MODE, predictToggle, s, setPressed, showMessage, staticWhilePredicting } from "./lib/dom.js";
import { fetchLatest, postJSON } from "./lib/fetch.js";
import { hashInt, loadOrDefaults, onHashChange, readHash, writeHash as setHash } from "./lib/hash.js";
import { stepper } from "./lib/stepper.js";

const NAME = "lb-layers";
const SELECTS = [
  ["payload", "中身", [["http", "HTTP"], ["custom-http", "HTTP の上の独自プロトコル"], ["postgres", "PostgreSQL（TCP の上）"], ["custom-tcp", "独自プロトコル（TCP の上）"]]],
  ["tls", "TLS", [["none", "なし（平文）"], ["tls", "TLS"], ["ech", "TLS + ECH"]]],
  ["method", "メソッド", [["GET", "GET"], ["POST", "POST"]]],
  ["host", "Host", [["shop.example", "shop.example"], ["api.example", "api.example"]]],
  ["path", "パス", [["/", "/"], ["/api/items", "/api/items"]]],
  ["rule", "ルール", [["dst-ip", "宛先 IP 203.0.113.10 → プール A"], ["port-5432", "宛先ポート 5432 → DB プール"], ["host-api", "Host が api.example → プール B"], ["path-api", "パスが /api で始まる → プール B"], ["cookie", "Cookie の lb=b → 同じバックエンド b"]]],
];
const CHECKS = [["terminate", "L7 バランサーが TLS を終端する"], ["cookie", "Cookie: lb=b を付ける"]];
const KEYS = ["payload", "tls", "terminate", "port", "method", "host", "path", "cookie", "rule"];
const HTTP_ONLY = ["method", "host", "path", "cookie"];
const PART = { ip: "IP ヘッダー（L3）", tcp: "TCP ヘッダー（L4）", tls: "TLS の ClientHello（平文で送られる）", app: "アプリケーションのデータ（L7）" };

// Packet drawing geometry (viewBox units; text 13, so at least 12 px on a 360 px phone).
const W = 300, PAD = 8, TITLE = 22, LINE = 21, GAP = 8;

export function mount(section) {
  const root = section.querySelector("[data-widget-root]");
  const api = section.dataset.api;
  if (!root || !api) throw new Error("lb-layers: no [data-widget-root] or data-api");
  const st = { scenario: "path-http", query: null, data: null, step: 0, predict: false, verdict: null, req: 0 };
  const pending = () => st.predict && !st.verdict;

  const staticBox = section.querySelector("[data-widget-static]");
  const scenarios = staticBox
    ? [...staticBox.querySelectorAll("[data-scenario]")].map((d) => [d.dataset.scenario, d.querySelector("summary")?.textContent.trim() || d.dataset.scenario])
    : [["path-http", "path-http"]];

  // ---- controls
  const scenarioSel = h("select", { id: "lb-scenario" }, scenarios.map(([v, t]) => h("option", { value: v, text: t })));
  const inputs = {};
  const fields = [];
  for (const [key, label, options] of SELECTS) {
    inputs[key] = h("select", { id: `lb-${key}`, name: key }, options.map(([v, t]) => h("option", { value: v, text: t })));
    fields.push(h("label", { class: `lb-field lb-f-${key}`, for: `lb-${key}` }, h("span", { text: label }), inputs[key]));
  }
  inputs.port = h("input", { type: "number", id: "lb-port", name: "port", min: 1, max: 65535, step: 1, inputmode: "numeric", required: true });
  fields.splice(2, 0, h("label", { class: "lb-field lb-num", for: "lb-port" }, h("span", { text: "宛先ポート" }), inputs.port));
  for (const [key, text] of CHECKS) {
    inputs[key] = h("input", { type: "checkbox", id: `lb-${key}`, name: key });
    fields.push(h("label", { class: "lb-check", for: `lb-${key}` }, inputs[key], h("span", { text })));
  }
  const predictBtn = predictToggle("lb-predict-toggle");
  const toolbar = h("div", { class: "lb-toolbar widget-controls" },
    h("label", { class: "lb-field lb-scenario", for: "lb-scenario" }, h("span", { text: "シナリオ" }), scenarioSel), predictBtn);
  const builder = h("details", { class: "lb-builder widget-controls" },
    h("summary", { text: "パケットとルールを組み立てる" }), h("div", { class: "lb-grid" }, fields));
  const packetLine = h("p", { class: "lb-line", "data-lb-packet": "" });
  const error = h("p", { class: "widget-error", role: "alert", hidden: true });
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const predictBox = h("div", { class: "lb-predict", hidden: true });
  const feedback = h("div", { class: "lb-feedback", hidden: true, tabindex: "-1" });

  const controls = stepper(section, {
    position: () => (st.data && !pending() ? { step: st.step, first: 0, last: st.data.devices.length } : null),
    go: (k) => go(k),
    interval: 1800,
    canPlay: () => !pending(),
    active: () => !pending(),
    counter: (pos) => (pos.step ? `L${st.data.devices[pos.step - 1].layer} の装置（${pos.step} / ${pos.last}）` : `パケット（0 / ${pos.last}）`),
  });

  const chips = h("ol", { class: "lb-chips", "aria-label": "各層の判断" });
  const svg = s("svg", { class: "lb-packet", role: "img", "aria-labelledby": "lb-packet-title", preserveAspectRatio: "xMidYMin meet" });
  const figure = h("figure", { class: "lb-figure" }, svg,
    h("figcaption", { text: "太い枠がいまの装置の読める項目、★ がルールの判断に使う項目、「暗号:」の灰色の項目は TLS で暗号化されていて鍵が無いと読めず、「復号:」は TLS を終端した装置が復号して読める項目です。" }));
  const detail = h("div", { class: "lb-detail" });
  const stage = h("div", { class: "lb-stage" }, figure, h("div", { class: "lb-panel" }, feedback, chips, detail));
  root.replaceChildren(h("div", { class: "lb" }, toolbar, builder, packetLine, error, live, predictBox, controls.el, stage));
  root.dataset.state = "loading";
  // The static tables, and the lab's real captures (they show which backend answered), leave the page
  // while a prediction is pending.
  const tablesOut = staticWhilePredicting(foldStatic(staticBox, "lb-tables", "表で見る（10 のシナリオ）"));

  // ---- state <-> URL hash
  function fromHash(p) {
    if (p.has("scenario")) st.scenario = p.get("scenario");
    const q = {};
    for (const k of KEYS) if (p.has(k)) q[k] = p.get(k);
    st.query = Object.keys(q).length ? q : null;
    st.predict = p.get("predict") === "1";
    st.step = hashInt(p, "step", 0, 3, 0);
  }
  function writeHash() {
    setHash(NAME, { scenario: st.scenario, ...(st.query || {}), step: pending() ? null : st.step, predict: st.predict && "1" });
  }

  async function load({ keepStep = false } = {}) {
    const q = new URLSearchParams({ scenario: st.scenario, ...(st.query || {}) });
    const data = await fetchLatest(st, root, error, `${api}?${q}`);
    if (!data) return false;
    st.data = data;
    st.verdict = null;
    st.step = keepStep ? Math.min(Math.max(st.step, 0), data.devices.length) : 0;
    scenarioSel.value = st.scenario;
    const p = data.params;
    for (const k of KEYS) {
      if (inputs[k].type === "checkbox") inputs[k].checked = !!p[k];
      else inputs[k].value = String(p[k]);
    }
    const isHttp = p.payload === "http" || p.payload === "custom-http";
    for (const k of [...HTTP_ONLY, "tls", "terminate"]) inputs[k].disabled = !isHttp;
    render();
    root.dataset.state = "ready";
    return true;
  }

  function go(k) {
    if (!st.data || pending()) return;
    st.step = Math.min(Math.max(k, 0), st.data.devices.length);
    render();
    announce();
    writeHash();
  }

  function announce(prefix = "") {
    if (!st.data || pending()) return;
    const d = st.data.devices[st.step - 1];
    live.textContent = prefix + (d ? `L${d.layer}: ${d.can_apply ? "使える" : "使えない"}。${d.decision || ""}` : "パケットの中身。");
  }

  // ---- rendering
  function render() {
    const d = st.data;
    if (!d) return;
    setPressed(predictBtn, st.predict);
    packetLine.replaceChildren(h("strong", { text: "パケット: " }), d.packet_line, h("br"), h("strong", { text: "ルール: " }), `「${d.rule_label}」`);
    controls.update();
    root.dataset.step = pending() ? "" : String(st.step);
    root.dataset.pending = String(pending());
    tablesOut(pending());
    renderPredict();
    renderFeedback();
    const dev = pending() ? null : d.devices[st.step - 1] || null;
    renderPacket(dev);
    renderChips();
    renderDetail(dev);
  }

  function renderPacket(dev) {
    const d = st.data;
    const seen = new Set(dev ? dev.sees : []);
    const parts = ["ip", "tcp", "tls", "app"].map((p) => [p, d.fields.filter((f) => f.part === p)]).filter(([, list]) => list.length);
    const out = [s("title", { id: "lb-packet-title", text: `パケットの中身${dev ? `。L${dev.layer} の装置が読める項目を強調` : ""}` })];
    let y = PAD;
    for (const [part, list] of parts) {
      const hgt = TITLE + LINE * list.length + 6;
      out.push(s("rect", { class: `lb-part lb-part-${part}`, x: PAD, y, width: W - 2 * PAD, height: hgt, rx: 6 }),
        s("text", { class: "lb-part-title", x: PAD + 8, y: y + 16, text: PART[part] }));
      list.forEach((f, i) => {
        const fy = y + TITLE + LINE * i;
        const cls = ["lb-f"];
        const read = dev && seen.has(f.key);
        // Inside TLS: unreadable, unless this device terminates TLS and so reads it decrypted.
        const lock = f.encrypted ? (read ? "復号: " : "暗号: ") : "";
        if (f.encrypted && !read) cls.push("lb-enc");
        if (read) cls.push("lb-seen");
        if (dev && dev.uses === f.key) cls.push("lb-key");
        out.push(s("g", { class: cls.join(" "), "data-lb-field": f.key },
          s("rect", { x: PAD + 4, y: fy, width: W - 2 * PAD - 8, height: LINE - 3, rx: 3 }),
          s("text", { class: "lb-f-label", x: PAD + 10, y: fy + 13.5, text: `${dev && dev.uses === f.key ? "★ " : ""}${lock}${f.label}` }),
          s("text", { class: "lb-f-value", x: W - PAD - 10, y: fy + 13.5, "text-anchor": "end", text: short(f.value) })));
      });
      y += hgt + GAP;
    }
    svg.setAttribute("viewBox", `0 0 ${W} ${y}`);
    svg.replaceChildren(...out);
  }

  function short(v) {
    return v.length > 22 ? `${v.slice(0, 21)}…` : v;
  }

  /** One chip per device already passed: the future ones are not in the DOM. */
  function renderChips() {
    if (pending()) return chips.replaceChildren();
    chips.replaceChildren(...st.data.devices.slice(0, st.step).map((dv, i) =>
      h("li", { class: `lb-chip ${dv.can_apply ? "lb-yes" : "lb-no"}${i === st.step - 1 ? " lb-current" : ""}`, "data-lb-layer": String(dv.layer) },
        h("button", { type: "button", "data-step": String(i + 1), text: `L${dv.layer} ${dv.can_apply ? "✓ 使える" : "✗ 使えない"}` }))));
  }

  function renderDetail(dev) {
    if (pending()) return detail.replaceChildren();
    if (!dev) {
      detail.replaceChildren(h("h3", { class: "lb-title", text: "パケット" }),
        h("p", { text: "IP・TCP・（TLS）・アプリケーションの順に重なったパケットです。「次へ」か → キーで、L3、L4、L7 の装置がそれぞれ何を読めるかを見ます。" }));
      return;
    }
    const last = st.step === st.data.devices.length;
    detail.replaceChildren(
      h("h3", { class: "lb-title", text: `L${dev.layer}: ${dev.label}` }),
      h("p", { class: `lb-verdict ${dev.can_apply ? "lb-yes" : "lb-no"}`, "data-lb-verdict": "", text: dev.can_apply ? `✓ 使える — ${dev.decision}` : "✗ このルールは使えない" }),
      h("p", { class: "lb-explain", text: dev.explain }),
      h("p", { class: "lb-source" }, h("span", { text: "出典: " }), h("cite", { text: dev.source })),
      last ? h("p", { class: "lb-outcome", "data-lb-outcome": "", text: st.data.outcome }) : "");
  }

  // ---- predict mode
  function renderPredict() {
    predictBox.hidden = !st.predict;
    if (!st.predict) return predictBox.replaceChildren();
    if (st.verdict) {
      predictBox.replaceChildren(h("p", { class: "lb-q", text: "採点しました。各層の判断を確かめてください。パケットやルールを変えると、もう一度予想できます。" }));
      return;
    }
    const boxes = [3, 4, 7].map((l) => h("label", { class: "lb-check" }, h("input", { type: "checkbox", name: "layers", value: String(l) }), h("span", { text: `L${l}` })));
    const msg = h("p", { class: "lb-pmsg", role: "status" });
    const form = h("form", { class: "lb-pform" },
      h("fieldset", { class: "lb-layers-set" }, h("legend", { text: "このルールを使える装置の層（いくつでも。無ければ何も選ばない）" }), boxes),
      h("button", { type: "submit", class: "primary", text: "答え合わせ" }), msg);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      check(form, msg);
    });
    predictBox.replaceChildren(h("p", { class: "lb-q" }, h("strong", { text: `${PREDICT_MODE}: ` }),
      "上のパケットとルールで、L3・L4・L7 のどの装置がこのルールを使えるでしょうか。"), form);
  }

  async function check(form, msg) {
    const layers = [...form.querySelectorAll("input[name=layers]:checked")].map((i) => Number(i.value));
    const body = { scenario: st.scenario, layers };
    if (st.query) {
      for (const k of KEYS) {
        const v = st.query[k];
        if (v === undefined) continue;
        body[k] = k === "terminate" || k === "cookie" ? v === "true" : k === "port" ? Number(v) : v;
      }
    }
    msg.textContent = "採点中…";
    const asked = st.req;
    const j = await postJSON(`${api}/check`, body).catch((e) => void (msg.textContent = e.message));
    if (!j || asked !== st.req) return;
    st.verdict = j;
    st.step = st.data.devices.length;
    render();
    writeHash();
    announce(j.correct ? "正解。" : `不正解。正しくは ${j.expected}。`);
    feedback.focus({ preventScroll: true });
  }

  function renderFeedback() {
    const v = st.verdict;
    feedback.hidden = !v;
    if (!v) return feedback.replaceChildren();
    feedback.className = `lb-feedback ${v.correct ? "lb-right" : "lb-wrong"}`;
    feedback.replaceChildren(
      h("p", {}, h("strong", { text: v.correct ? "✓ 正解" : "✗ 不正解" }), `　使えるのは ${v.expected}`),
      h("ul", { class: "lb-verdicts" }, v.layers.map((l) =>
        h("li", { class: l.correct ? "lb-yes" : "lb-no", "data-lb-check": String(l.layer) },
          `${l.correct ? "✓" : "✗"} L${l.layer}: あなた「${l.given ? "使える" : "使えない"}」${l.correct ? "" : `、正しくは「${l.expected ? "使える" : "使えない"}」`}`))),
      h("p", { class: "lb-explain", text: v.explain }));
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
      if (k === "port" && !inputs.port.checkValidity()) {
        showMessage(error, "宛先ポートは 1〜65535 の整数で指定してください。");
        return;
      }
      controls.stop();
      const q = {};
      for (const key of KEYS) {
        if (inputs[key].disabled) continue;
        q[key] = inputs[key].type === "checkbox" ? String(inputs[key].checked) : inputs[key].value;
      }
      // A new payload or TLS setting takes its usual port, as the model does when none is given.
      if (k === "payload" || k === "tls") delete q.port;
      if (k === "payload") delete q.tls;
      st.query = q;
      if (await load({ keepStep: true })) { announce(); writeHash(); }
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
  chips.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-step]");
    if (b) go(Number(b.dataset.step));
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
      Object.assign(st, { scenario: "path-http", query: null, step: 0 });
      return load();
    });
    if (!ok) return;
    announce();
    if (p) section.scrollIntoView({ block: "start" });
  })();
}
