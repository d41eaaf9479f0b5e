// Pipe widget (W8): `cat /var/log/messages | grep Error` system call by system call. Turns the
// server-rendered tables into an SVG of the three processes' descriptor tables and the 64 KiB pipe,
// with the shared step controls and 予想モード (predict the table after a call, how the pipeline ends,
// its $?). The Rust model is the truth: scenarios come from /api/widgets/pipe and every prediction is
// graded at /api/widgets/pipe/check. While a prediction is pending, no later step exists in the DOM.

import { fill, foldStatic, h, predictToggle, s, setPressed, showMessage, staticWhilePredicting, toggleButton } from "./lib/dom.js";
import { fetchLatest, postJSON } from "./lib/fetch.js";
import { hashInt, loadOrDefaults, onHashChange, readHash, writeHash } from "./lib/hash.js";
import { reducedMotion } from "./lib/motion.js";
import { stepper } from "./lib/stepper.js";

const NAME = "pipe";
const SIZE_MAX = 1048576;
const PIDS = [100, 101, 102];
const FD_SLOTS = 5;
const KIND = { tty: "端末", "pipe-r": "読み口", "pipe-w": "書き口", file: "messages", none: "—" };
const KIND_LONG = { tty: "端末", "pipe-r": "パイプの読み口", "pipe-w": "パイプの書き口", file: "/var/log/messages", none: "閉じている" };
const STATE = {
  running: "実行中", "blocked-write": "write() でブロック", "blocked-read": "read() でブロック",
  waiting: "wait() で待機", exited: "終了（ゾンビ）", reaped: "回収済み",
};
const OUTCOMES = [
  ["completes", "2 つとも自分で終了する"],
  ["sigpipe", "grep が先に終わり、cat が SIGPIPE で終わる"],
  ["grep-hangs", "grep が EOF を待ち続けて終わらない"],
  ["cat-hangs", "cat が write() で止まったまま終わらない"],
];
const fmt = (n) => n.toLocaleString("en-US");

/** A process's descriptors 0…4 as names (`none` when closed). */
const slots = (p) => Array.from({ length: FD_SLOTS }, (_, i) => (p?.fds.find((f) => f.fd === i)?.kind) || "none");

function procLabel(p) {
  if (!p) return "";
  if (p.state === "exited" || p.state === "reaped") {
    return `${p.state === "reaped" ? "回収済み" : "ゾンビ"}・${p.status}${p.signal ? `（${p.signal}）` : ""}`;
  }
  return STATE[p.state] || p.state;
}

export function mount(section) {
  const root = section.querySelector("[data-widget-root]");
  const api = section.dataset.api;
  if (!root || !api) throw new Error("pipe: no [data-widget-root] or data-api");
  const st = { scenario: "pipeline", size: 150000, pipefail: false, matches: true, predict: false, step: 0, data: null, feedback: null, req: 0 };

  // Scenario names and labels come from the server-rendered tables, so they stay the model's.
  const staticBox = section.querySelector("[data-widget-static]");
  const scenarios = staticBox
    ? [...staticBox.querySelectorAll("[data-scenario]")].map((d) => [d.dataset.scenario, d.querySelector("summary")?.textContent.trim() || d.dataset.scenario])
    : [["pipeline", "cat | grep の全体の流れ"]];

  const scenarioSel = h("select", { id: "pp-scenario", class: "pp-scenario" }, scenarios.map(([v, t]) => h("option", { value: v, text: t })));
  const sizeIn = h("input", { id: "pp-size", class: "pp-size", type: "number", min: "0", max: String(SIZE_MAX), step: "1", inputmode: "numeric" });
  const pipefailBtn = toggleButton("pp-pipefail", "pipefail");
  const matchesBtn = toggleButton("pp-matches", "Error の行がある");
  const predictBtn = predictToggle("pp-predict-toggle");
  const toolbar = h("div", { class: "pp-toolbar widget-controls" },
    h("label", { class: "pp-field", for: "pp-scenario" }, h("span", { text: "シナリオ" }), scenarioSel),
    h("label", { class: "pp-field pp-size-field", for: "pp-size" }, h("span", { text: "ログの大きさ（バイト）" }), sizeIn),
    pipefailBtn, matchesBtn, predictBtn);
  const command = h("pre", { class: "pp-command" });
  const error = h("p", { class: "pp-error widget-error", role: "alert", hidden: true });
  const controls = stepper(section, {
    position: () => st.data && { step: st.step, first: 0, last: st.data.steps.length },
    go: (k) => go(k),
    interval: 1800,
    canPlay: () => !st.predict,
    counter: (pos) => (st.predict ? `ステップ ${pos.step}` : `ステップ ${pos.step} / ${pos.last}`),
  });
  const svg = s("svg", { class: "pp-svg", role: "img", "aria-labelledby": "pp-svg-title" });
  const figure = h("div", { class: "pp-figure" }, svg);
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const feedbackBox = h("div", { class: "pp-feedback", hidden: true });
  const predictBox = h("div", { class: "pp-predict", hidden: true });
  const detail = h("div", { class: "pp-detail" });
  const list = h("ol", { class: "pp-steps", start: "0" });
  const listBox = h("details", { class: "pp-list-box", open: true }, h("summary", { text: "システムコールの一覧（クリックでその段へ）" }), list);
  root.replaceChildren(h("div", { class: "pp" }, toolbar, command, error, controls.el, figure, live, feedbackBox, predictBox, detail, listBox));
  root.dataset.state = "loading";
  // The static tables stay in the page (no-JS and print view), folded away; in 予想モード they leave the
  // DOM, since they hold every later step and the ending.
  // The lab's real records below the widget go with them: they show every ending too.
  const tablesOut = staticWhilePredicting(foldStatic(staticBox, "pp-tables", "表で見る（ログ 150,000 バイトの例）"));
  const placeTables = () => tablesOut(st.predict);


  function query() {
    return new URLSearchParams({ scenario: st.scenario, size: String(st.size), pipefail: String(st.pipefail), matches: String(st.matches) });
  }

  async function load({ keepStep = false } = {}) {
    const data = await fetchLatest(st, root, error, `${api}?${query()}`);
    if (!data) return false;
    st.data = data;
    st.step = keepStep && !st.predict ? Math.min(Math.max(st.step, 0), data.steps.length) : 0;
    st.feedback = null;
    render();
    root.dataset.state = "ready";
    return true;
  }

  // ---- navigation. Step 0 is the shell alone; step k is after the model's steps[k-1].
  const pending = () => {
    const x = st.predict && st.data && st.data.steps[st.step];
    return x && x.ask ? x : null;
  };

  function go(k, { user = true } = {}) {
    if (!st.data) return;
    k = Math.min(Math.max(k, 0), st.data.steps.length);
    // In 予想モード a question stops the way forward until it is answered (or the answer is shown).
    if (st.predict && k > st.step) k = Math.min(k, pending() ? st.step : st.step + 1);
    if (k !== st.step) {
      st.step = k;
      if (st.feedback && st.feedback.step !== k - 1) st.feedback = null;
    }
    render();
    announce();
    if (user) save();
  }

  function save() {
    writeHash(NAME, { scenario: st.scenario, size: st.size, pipefail: st.pipefail && "1", matches: !st.matches && "0", step: st.step, predict: st.predict && "1" });
  }

  function announce() {
    const d = st.data;
    if (!d) return;
    live.textContent = st.step === 0 ? "開始: bash だけがいて、0, 1, 2 は端末です。" : `ステップ ${st.step}: ${d.steps[st.step - 1].note}。`;
  }

  // ---- rendering
  function procsAt(k) {
    return k === 0 ? st.data.initial : st.data.steps[k - 1].processes;
  }

  function render() {
    const d = st.data;
    if (!d) return;
    scenarioSel.value = st.scenario;
    sizeIn.value = String(st.size);
    setPressed(pipefailBtn, st.pipefail);
    setPressed(matchesBtn, st.matches);
    setPressed(predictBtn, st.predict);
    command.textContent = `$ ${d.command}`;
    placeTables();
    root.dataset.step = String(st.step);
    controls.update();
    renderDiagram();
    renderDetail();
    renderPredict();
    renderFeedback();
    renderList();
  }

  function renderList() {
    const d = st.data;
    // In 予想モード only the steps already shown get a button: later ones do not exist yet.
    const upto = st.predict ? st.step : d.steps.length;
    const items = [h("li", { "data-step": "0" }, h("button", { type: "button", text: "開始（bash だけ）", "aria-current": st.step === 0 ? "step" : null }))];
    for (let i = 0; i < upto; i++) {
      const x = d.steps[i];
      items.push(h("li", { "data-step": String(i + 1), class: i < st.step ? "pp-done" : null },
        h("button", { type: "button", text: `${x.pid}: ${x.call}`, "aria-current": st.step === i + 1 ? "step" : null })));
    }
    list.replaceChildren(...items);
  }

  // Geometry from the figure's width, so the SVG is drawn at scale 1 and its text keeps its size.
  function geometry() {
    const W = Math.max(280, Math.min(720, Math.floor(figure.clientWidth || 320)));
    const wide = W >= 560;
    const bw = wide ? 180 : Math.floor((W - 18) / 2);
    const rows = 18, head = 38, bh = head + FD_SLOTS * rows + 6;
    const top = 22;
    const boxes = wide
      ? { 100: [(W - bw) / 2, top], 101: [8, top + bh + 40], 102: [W - bw - 8, top + bh + 40] }
      : { 100: [(W - bw) / 2, top], 101: [6, top + bh + 30], 102: [W - bw - 6, top + bh + 30] };
    const pipeY = wide ? top + bh + 40 + bh / 2 : top + 2 * bh + 70;
    const pipe = wide ? { x1: 8 + bw + 40, x2: W - bw - 8 - 40, y: pipeY } : { x1: 40, x2: W - 40, y: pipeY };
    return { W, H: Math.max(pipeY + 58, boxes[101][1] + bh + 10), bw, bh, rows, head, boxes, pipe, wide };
  }

  function renderDiagram() {
    const g = geometry();
    const k = st.step;
    const procs = procsAt(k);
    const before = k > 0 ? procsAt(k - 1) : procs;
    const cur = k > 0 ? st.data.steps[k - 1] : null;
    const pipe = cur ? cur.pipe : null;
    svg.setAttribute("viewBox", `0 0 ${g.W} ${g.H}`);
    svg.setAttribute("width", String(g.W));
    svg.setAttribute("height", String(g.H));
    const title = cur ? `ステップ ${k}: ${cur.note}` : "開始: bash だけ";
    const parts = [s("title", { id: "pp-svg-title", text: title })];
    const wEnd = [g.pipe.x1, g.pipe.y], rEnd = [g.pipe.x2, g.pipe.y];
    const links = [];
    for (const pid of PIDS) {
      const p = procs.find((x) => x.pid === pid);
      const [x, y] = g.boxes[pid];
      if (!p) {
        parts.push(s("g", { class: "pp-proc pp-absent" },
          s("rect", { x, y, width: g.bw, height: g.bh, rx: 6 }),
          s("text", { x: x + g.bw / 2, y: y + g.bh / 2, "text-anchor": "middle", text: `PID ${pid}（まだない）` })));
        continue;
      }
      const old = before.find((x2) => x2.pid === pid);
      const now = slots(p), was = old ? slots(old) : null;
      const gone = p.state === "exited" || p.state === "reaped";
      const box = s("g", { class: `pp-proc pp-${p.state}${cur && cur.pid === pid ? " pp-actor" : ""}`, "data-pp-proc": String(pid) },
        s("rect", { class: "pp-box", x, y, width: g.bw, height: g.bh, rx: 6 }),
        s("text", { class: "pp-name", x: x + 8, y: y + 16, text: `${p.program} (${pid})` }),
        s("text", { class: "pp-state", x: x + 8, y: y + 32, text: procLabel(p) }));
      now.forEach((kind, fd) => {
        const ry = y + g.head + fd * g.rows;
        const changed = was && was[fd] !== kind && k > 0;
        box.append(s("g", { class: `pp-fd pp-k-${kind}${changed ? " pp-changed" : ""}${changed && !reducedMotion() ? " pp-anim" : ""}`, "data-pp-fd": `${pid}:${fd}` },
          s("rect", { x: x + 4, y: ry, width: g.bw - 8, height: g.rows - 2, rx: 3 }),
          s("text", { class: "pp-fdn", x: x + 10, y: ry + 13, text: String(fd) }),
          s("text", { class: "pp-fdk", x: x + 30, y: ry + 13, text: KIND[kind] })));
        if (!gone && (kind === "pipe-w" || kind === "pipe-r")) {
          const side = x + g.bw / 2 < (kind === "pipe-w" ? wEnd[0] : rEnd[0]) ? x + g.bw - 4 : x + 4;
          links.push([side, ry + 8, kind === "pipe-w" ? wEnd : rEnd, kind]);
        }
      });
      parts.push(box);
    }
    if (pipe && pipe.exists) {
      for (const [x1, y1, [x2, y2], kind] of links) {
        const my = (y1 + y2) / 2;
        parts.push(s("path", { class: `pp-link pp-link-${kind}`, d: `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}` }));
      }
      const len = g.pipe.x2 - g.pipe.x1, full = pipe.bytes / pipe.capacity;
      parts.push(s("g", { class: `pp-pipe${pipe.bytes >= pipe.capacity ? " pp-full" : ""}`, "data-pp-pipe": String(pipe.bytes) },
        s("rect", { class: "pp-tube", x: g.pipe.x1, y: g.pipe.y - 12, width: len, height: 24, rx: 12 }),
        s("rect", { class: "pp-fill", x: g.pipe.x1, y: g.pipe.y - 12, width: Math.max(0, len * full), height: 24, rx: full > 0.05 ? 12 : 2 }),
        s("text", { class: "pp-end", x: g.pipe.x1, y: g.pipe.y + 30, "text-anchor": "start", text: `書き口 ×${pipe.writers}` }),
        s("text", { class: "pp-end", x: g.pipe.x2, y: g.pipe.y + 30, "text-anchor": "end", text: `読み口 ×${pipe.readers}` }),
        s("text", { class: "pp-bytes", x: (g.pipe.x1 + g.pipe.x2) / 2, y: g.pipe.y + 48, "text-anchor": "middle", text: `${fmt(pipe.bytes)} / ${fmt(pipe.capacity)} バイト` }),
        s("text", { class: "pp-dir", x: (g.pipe.x1 + g.pipe.x2) / 2, y: g.pipe.y + 5, "text-anchor": "middle", text: "→ パイプ →" })));
    }
    if (cur && (cur.kind === "signal" || cur.kind === "hang")) {
      const [x, y] = g.boxes[cur.pid];
      parts.push(s("text", { class: "pp-badge", x: x + g.bw / 2, y: y - 6, "text-anchor": "middle", text: cur.kind === "signal" ? "SIGPIPE" : "終わらない" }));
    }
    svg.replaceChildren(...parts);
  }

  function renderDetail() {
    const d = st.data;
    if (st.step === 0) {
      fill(detail, h("h3", { class: "pp-title", text: "開始" }),
        h("p", { text: "bash だけがいて、ファイル記述子 0（標準入力）、1（標準出力）、2（標準エラー出力）は端末を指しています。「次へ」か → キーで最初のシステムコールへ進みます。" }));
      return;
    }
    const x = d.steps[st.step - 1];
    fill(detail,
      h("h3", { class: "pp-title", text: `ステップ ${st.step}${st.predict ? "" : ` / ${d.steps.length}`}` }),
      h("p", { class: "pp-call" }, h("code", { text: `${x.pid}: ${x.call}` }), ` ${x.result}`),
      h("p", { class: "pp-note", text: x.note }),
      h("p", { class: "pp-explain", text: x.explain }),
      h("p", { class: "pp-source", text: `出典: ${x.source}` }),
      st.step === d.steps.length ? h("p", { class: "pp-summary", "data-pp-summary": "" }, h("strong", { text: "結末: " }), d.summary) : null);
  }

  function renderPredict() {
    const d = st.data;
    const x = pending();
    predictBox.hidden = !st.predict;
    if (!st.predict) return void predictBox.replaceChildren();
    if (!x) {
      fill(predictBox, h("p", { class: "pp-q", text: st.step >= d.steps.length ? "最後まで表示しました。「最初」で初めから予想できます。" : "このステップに問いはありません。「次へ」で進みます。" }));
      return;
    }
    const k = st.step;
    const msg = h("p", { class: "pp-pmsg", role: "status" });
    let form, read;
    if (x.ask === "fds") {
      const prev = procsAt(k).find((p) => p.pid === x.subject);
      const start = slots(prev);
      const sels = start.map((kind, fd) => h("select", { class: "pp-fdsel", "data-fd": String(fd), "aria-label": `fd ${fd}` },
        ["tty", "pipe-r", "pipe-w", "file", "none"].map((v) => h("option", { value: v, text: KIND_LONG[v], selected: v === kind }))));
      form = h("form", { class: "pp-pform pp-fdform" },
        ...sels.map((sel, fd) => h("label", { class: "pp-fdpick" }, h("span", { text: `fd ${fd}` }), sel)));
      read = () => sels.map((sel) => sel.value).join(",");
      const who = x.kind === "fork" ? `新しくできる子 ${x.subject}` : `PID ${x.subject}`;
      predictBox.replaceChildren(h("p", { class: "pp-q" }, h("strong", { text: `予想 ステップ ${k + 1}: ` }),
        `${x.pid} が `, h("code", { text: x.call }), ` を呼びます。呼んだ後の ${who} のファイル記述子 0〜4 は？`), form, msg);
    } else if (x.ask === "outcome") {
      const radios = OUTCOMES.map(([v, t]) => h("label", { class: "pp-radio" }, h("input", { type: "radio", name: "pp-outcome", value: v }), ` ${t}`));
      form = h("form", { class: "pp-pform" }, h("fieldset", {}, h("legend", { text: "この後どうなりますか？" }), ...radios));
      read = () => form.querySelector("input:checked")?.value || "";
      predictBox.replaceChildren(h("p", { class: "pp-q" }, h("strong", { text: `予想 ステップ ${k + 1}: ` }),
        "bash は ", h("code", { text: x.call }), " で 2 つの子を待ちます。ここから cat と grep が動きます。パイプラインはどう終わりますか？"), form, msg);
    } else {
      const input = h("input", { class: "pp-status-in", type: "text", inputmode: "numeric", autocomplete: "off", "aria-label": "$? の予想", placeholder: "0〜255" });
      form = h("form", { class: "pp-pform" }, h("span", { text: "$? =" }), input);
      read = () => input.value.trim();
      predictBox.replaceChildren(h("p", { class: "pp-q" }, h("strong", { text: `予想 ステップ ${k + 1}: ` }),
        `bash が 2 つの子を回収します${st.pipefail ? "（pipefail あり）" : "（pipefail なし）"}。パイプラインの終了ステータス $? は？`), form, msg);
    }
    form.append(h("button", { type: "submit", class: "primary pp-check", text: "答え合わせ" }),
      h("button", { type: "button", class: "pp-skip", text: "答えを見る", onclick: () => { st.feedback = null; st.step = k + 1; render(); announce(); save(); } }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      check(k, x.ask, read(), msg);
    });
  }

  async function check(k, field, answer, msg) {
    if (!answer) { msg.textContent = field === "outcome" ? "どれか 1 つを選んでください。" : "0〜255 の整数を入力してください。"; return; }
    if (field === "status" && !/^\d{1,3}$/.test(answer)) { msg.textContent = "0〜255 の整数で答えてください。"; return; }
    msg.textContent = "採点中…";
    const body = { scenario: st.scenario, size: st.size, pipefail: st.pipefail, matches: st.matches, step: k, field, answer };
    let j;
    try {
      j = await postJSON(`${api}/check`, body);
    } catch (e) {
      msg.textContent = e.message;
      return;
    }
    if (st.step !== k) return;
    st.feedback = { step: k, field, answer, ...j };
    st.step = k + 1;
    render();
    live.textContent = j.correct ? "正解。" : `不正解。正しくは ${j.expected_label}。`;
    save();
    feedbackBox.focus({ preventScroll: true });
  }

  function renderFeedback() {
    const f = st.feedback;
    if (!f || f.step !== st.step - 1) { feedbackBox.hidden = true; feedbackBox.replaceChildren(); return; }
    feedbackBox.hidden = false;
    feedbackBox.tabIndex = -1;
    feedbackBox.className = `pp-feedback ${f.correct ? "pp-right" : "pp-wrong"}`;
    const given = f.field === "fds" ? f.answer.split(",").map((v, i) => `${i}: ${KIND_LONG[v] || v}`).join("、")
      : f.field === "outcome" ? (OUTCOMES.find(([v]) => v === f.answer) || [f.answer, f.answer])[1] : `$? = ${f.answer}`;
    fill(feedbackBox,
      h("p", { class: "pp-verdict" }, h("strong", { text: f.correct ? "✓ 正解" : "✗ 不正解" }), ` あなたの答え: ${given}`),
      f.correct ? null : h("p", { class: "pp-expected" }, "正しくは ", h("strong", { "data-pp-expected": "", text: f.expected_label })),
      f.wrong_fds && f.wrong_fds.length ? h("p", { text: `違っていた記述子: ${f.wrong_fds.join(", ")}` }) : null,
      h("p", { class: "pp-explain", text: f.explain }),
      h("p", { class: "pp-source", text: `出典: ${f.source}` }));
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
    if (await load()) { announce(); save(); }
  };
  scenarioSel.addEventListener("change", () => { st.scenario = scenarioSel.value; reload(); });
  sizeIn.addEventListener("change", () => {
    const n = Number(sizeIn.value);
    if (!Number.isInteger(n) || n < 0 || n > SIZE_MAX) {
      showMessage(error, `ログの大きさは 0〜${fmt(SIZE_MAX)} バイトの整数で指定してください。`);
      return;
    }
    st.size = n;
    reload();
  });
  pipefailBtn.addEventListener("click", () => { st.pipefail = !st.pipefail; reload(); });
  matchesBtn.addEventListener("click", () => { st.matches = !st.matches; reload(); });
  predictBtn.addEventListener("click", () => {
    st.predict = !st.predict;
    controls.stop();
    st.feedback = null;
    if (st.predict) st.step = 0;
    render();
    save();
  });
  new ResizeObserver(() => st.data && renderDiagram()).observe(figure);
  onHashChange(NAME, (p) => { fromHash(p); load({ keepStep: true }); });

  function fromHash(p) {
    if (p.has("scenario")) st.scenario = p.get("scenario");
    st.size = hashInt(p, "size", 0, SIZE_MAX, st.size);
    st.pipefail = p.get("pipefail") === "1";
    st.matches = p.get("matches") !== "0";
    st.predict = p.get("predict") === "1";
    st.step = hashInt(p, "step", 0, 200, 0);
  }

  const p = readHash(NAME);
  if (p) fromHash(p);
  (async () => {
    const ok = await loadOrDefaults(p, error, () => load({ keepStep: !!p }), () => {
      Object.assign(st, { scenario: "pipeline", size: 150000, pipefail: false, matches: true, step: 0 });
      return load();
    });
    if (!ok) return;
    announce();
    if (p) section.scrollIntoView({ block: "start" });
  })();
}
