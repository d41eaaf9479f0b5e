// forktree widget: the process tree after fork / exec / exit / wait, drawn in SVG (facts.md W3).
// The truth is the Rust model (src/widgets/forktree.rs): this script fetches whole scenarios from
// /api/widgets/forktree, draws the tree of each step, and offers four ways to use it: step through,
// the final tree only, build the tree yourself (checked on the server), and "which action happened?".

const NS = "http://www.w3.org/2000/svg";
const W = 84, H = 40, M = 14; // node box and margin (SVG units)
const COL = 94, LEV = 80; // top-down: column width, level height
const LW = 106, ROW = 62; // left-to-right (pstree-like): level width, row height
const SCENARIOS = [
  ["bash-ls", "bash が ls を実行する"],
  ["fork-loop", "ループの中の fork()"],
  ["pipeline", "パイプライン cat | grep"],
  ["orphan", "孤児プロセスの引き取り"],
  ["random", "ランダムな fork と exit"],
];
const MODES = [
  ["step", "1 ステップずつ"],
  ["final", "最後のツリーだけ"],
  ["build", "ツリーを作る"],
  ["which", "どの操作？"],
];
const reduced = () => matchMedia("(prefers-reduced-motion: reduce)").matches;

function el(tag, attrs = {}, kids = [], ns) {
  const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of [].concat(kids)) if (k != null) e.append(k);
  return e;
}

const btn = (cls, text, attrs = {}) => el("button", { type: "button", class: cls, text, ...attrs });

// fetch → JSON, or an Error carrying the server's Japanese `error` message.
async function getJSON(url, init) {
  let r;
  try {
    r = await fetch(url, { ...init, headers: { Accept: "application/json", ...init?.headers } });
  } catch {
    throw new Error("サーバーに接続できませんでした。");
  }
  const j = await r.json().catch(() => null);
  if (!r.ok) throw new Error(j?.error || `サーバーがエラー ${r.status} を返しました`);
  return j;
}

function sv(tag, attrs, parent) {
  const e = el(tag, attrs, [], NS);
  parent.append(e);
  return e;
}

const live = (procs) => procs.filter((p) => p.state !== "exited");
const treeKey = (procs) =>
  live(procs)
    .map((p) => `${p.pid}/${p.ppid}/${p.program}/${p.state}`)
    .sort()
    .join(" ");
const INIT = { pid: 1, ppid: 0, program: "init", state: "running" };

// fork.py's names, as the model gives them in the random scenario: a, b, …, z, aa, …
function letter(i) {
  let s = "";
  for (;;) {
    s = String.fromCharCode(97 + (i % 26)) + s;
    if (i < 26) return s;
    i = Math.floor(i / 26) - 1;
  }
}

// Lays a tree out by depth and subtree width: each leaf takes one slot along the breadth axis, a
// parent sits over the middle of its children. "td" puts depth downwards, "lr" to the right.
function layout(list, orient) {
  const ids = new Set(list.map((p) => p.pid));
  const kids = new Map();
  for (const p of list.slice(1)) {
    const up = ids.has(p.ppid) && p.ppid !== p.pid ? p.ppid : 1;
    if (!kids.has(up)) kids.set(up, []);
    kids.get(up).push(p);
  }
  for (const c of kids.values()) c.sort((a, b) => a.pid - b.pid);
  const at = new Map();
  const seen = new Set();
  let slot = 0;
  let deep = 0;
  const walk = (p, d) => {
    seen.add(p);
    deep = Math.max(deep, d);
    const c = (p.ghost ? [] : kids.get(p.pid) || []).filter((k) => !seen.has(k));
    let b;
    if (!c.length) b = slot++;
    else {
      const bs = c.map((k) => walk(k, d + 1));
      b = (bs[0] + bs[bs.length - 1]) / 2;
    }
    at.set(p, { b, d });
    return b;
  };
  walk(list[0], 0);
  const n = Math.max(slot, 1);
  const td = orient === "td";
  const w = 2 * M + (td ? n * COL - (COL - W) : (deep + 1) * LW - (LW - W));
  const h = 2 * M + 26 + (td ? (deep + 1) * LEV - (LEV - H) : n * ROW - (ROW - H));
  const pos = new Map();
  for (const [p, { b, d }] of at) {
    const [x, y] = td ? [b * COL, d * LEV] : [d * LW, b * ROW];
    pos.set(p, { x: M + W / 2 + x, y: M + 10 + H / 2 + y });
  }
  return { pos, w, h };
}

// The orientation and frame (largest extent over all lists) that reads best in `avail` pixels.
function plan(lists, avail) {
  const ext = (o) =>
    lists.reduce(
      (a, l) => {
        const L = layout(l, o);
        return { w: Math.max(a.w, L.w), h: Math.max(a.h, L.h) };
      },
      { w: 0, h: 0 },
    );
  const td = ext("td");
  const lr = ext("lr");
  const sTd = avail / td.w;
  if (sTd >= 0.8 || sTd >= avail / lr.w) return { orient: "td", ...td };
  return { orient: "lr", ...lr };
}

const withInit = (procs, ghosts = []) => [
  INIT,
  ...live(procs),
  ...ghosts.map((g) => ({ ...g, program: "?", state: "ghost", ghost: true })),
];

const textWidth = (s) => [...s].reduce((a, c) => a + (c.charCodeAt(0) > 255 ? 10 : 6.1), 8);

// One SVG process tree. Nodes are kept per PID so a step can move them smoothly.
class TreeView {
  constructor(host, label, onNode) {
    this.wrap = el("div", { class: "ft-svgwrap" });
    this.svg = sv("svg", { class: "ft-tree", role: "group", "aria-label": label }, this.wrap);
    this.gE = sv("g", {}, this.svg);
    this.gN = sv("g", {}, this.svg);
    this.nodes = new Map();
    this.edges = new Map();
    this.shown = new Map();
    this.onNode = onNode;
    host.append(this.wrap);
  }

  size(frame) {
    const avail = Math.max(this.wrap.clientWidth, 200);
    // Fit down to 70 %; smaller text is unreadable, so scroll at 80 %.
    let s = Math.min(1, avail / frame.w);
    if (s < 0.7) s = 0.8;
    this.svg.setAttribute("viewBox", `0 0 ${frame.w} ${frame.h}`);
    this.svg.setAttribute("width", Math.round(frame.w * s));
    this.svg.setAttribute("height", Math.round(frame.h * s));
  }

  node(key, p, fade) {
    const g = sv("g", { class: fade ? "ft-node ft-new" : "ft-node" }, this.gN);
    const n = { g };
    sv("rect", { class: "ft-box", x: -W / 2, y: -H / 2, width: W, height: H, rx: 6 }, g);
    n.l1 = sv("text", { class: "ft-l1", x: -W / 2 + 7, y: -3 }, g);
    n.pid = sv("tspan", { class: "ft-pid" }, n.l1);
    n.prog = sv("tspan", { class: "ft-prog", dx: 6 }, n.l1);
    n.l2 = sv("text", { class: "ft-l2", x: -W / 2 + 7, y: 13 }, g);
    n.st = sv("text", { class: "ft-st", x: W / 2 - 7, y: 13, "text-anchor": "end" }, g);
    n.tag = sv("text", { class: "ft-tag", x: -W / 2 + 2, y: -H / 2 - 4 }, g);
    n.pill = sv("g", { class: "ft-pill" }, g);
    n.pillBox = sv("rect", { y: H / 2 + 1, height: 15, rx: 7 }, n.pill);
    n.pillText = sv("text", { y: H / 2 + 12, "text-anchor": "middle" }, n.pill);
    const act = (e) => {
      if (!this.clickable || p.pid === 1 || p.ghost) return;
      if (e.type === "keydown" && e.key !== "Enter" && e.key !== " ") return;
      e.preventDefault();
      e.stopPropagation();
      this.onNode(p.pid);
    };
    g.addEventListener("click", act);
    g.addEventListener("keydown", act);
    this.nodes.set(key, n);
    return n;
  }

  // o: { frame, orient, animate, actor, child, pills: Map, changed: Set, adopted: Set,
  //      marks: Map pid → class, ghosts: [{pid, ppid}], subreaper: pid, clickable }
  render(procs, o) {
    const list = withInit(procs, o.ghosts);
    const L = layout(list, o.orient);
    const frame = o.frame || L;
    this.size(frame);
    const dx = o.orient === "td" ? (frame.w - L.w) / 2 : 0;
    this.clickable = !!o.clickable;
    this.orient = o.orient;
    const target = new Map();
    const keep = new Set();
    const keyOf = new Map();
    // A parent always comes before its children here (PIDs grow, real nodes before ghosts).
    for (const p of list) {
      const key = p.ghost ? `g${p.pid}` : String(p.pid);
      keyOf.set(p.pid, key);
      keep.add(key);
      const q = L.pos.get(p);
      target.set(key, { x: q.x + dx, y: q.y, up: p.pid === 1 ? null : keyOf.get(p.ppid) || "1" });
      let n = this.nodes.get(key);
      if (!n) {
        n = this.node(key, p, o.animate);
        const from = this.shown.get(String(p.ppid));
        if (!this.shown.has(key)) this.shown.set(key, from && o.animate ? { ...from } : { x: q.x + dx, y: q.y });
      }
      this.paint(n, p, o);
    }
    for (const [key, n] of this.nodes) {
      if (keep.has(key)) continue;
      this.nodes.delete(key);
      this.shown.delete(key);
      n.g.removeAttribute("data-pid");
      n.g.classList.add("ft-leaving");
      if (o.animate && !reduced()) setTimeout(() => n.g.remove(), 450);
      else n.g.remove();
    }
    for (const [key, e] of this.edges) {
      if (!keep.has(key) || target.get(key).up == null) {
        e.remove();
        this.edges.delete(key);
      }
    }
    for (const [key, t] of target) {
      if (t.up == null) continue;
      let e = this.edges.get(key);
      if (!e) {
        e = sv("path", { class: "ft-edge" }, this.gE);
        this.edges.set(key, e);
      }
      e.classList.toggle("ft-adopted", !!o.adopted?.has(+key)); // NaN for ghosts
      e.classList.toggle("ft-ghost-edge", key.startsWith("g"));
    }
    this.target = target;
    cancelAnimationFrame(this.raf);
    const start = new Map([...target.keys()].map((k) => [k, { ...(this.shown.get(k) || target.get(k)) }]));
    const t0 = performance.now();
    const dur = o.animate && !reduced() ? 380 : 0;
    const frameFn = (now) => {
      const f = dur ? Math.min(1, (now - t0) / dur) : 1;
      const e = f < 0.5 ? 2 * f * f : 1 - (-2 * f + 2) ** 2 / 2;
      for (const [k, t] of target) {
        const s = start.get(k);
        this.shown.set(k, { x: s.x + (t.x - s.x) * e, y: s.y + (t.y - s.y) * e });
      }
      this.draw();
      if (f < 1) this.raf = requestAnimationFrame(frameFn);
    };
    frameFn(t0);
    const r = o.reveal != null && target.get(String(o.reveal));
    const w = this.wrap;
    if (r && w.scrollWidth > w.clientWidth) {
      const x = (r.x * this.svg.width.baseVal.value) / frame.w;
      if (x < w.scrollLeft + W || x > w.scrollLeft + w.clientWidth - W) w.scrollLeft = x - w.clientWidth / 2;
    }
  }

  draw() {
    for (const [k, n] of this.nodes) {
      const p = this.shown.get(k);
      if (p) n.g.setAttribute("transform", `translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})`);
    }
    for (const [k, e] of this.edges) {
      const t = this.target.get(k);
      const c = this.shown.get(k);
      const p = this.shown.get(t.up);
      if (!c || !p) continue;
      // Elbows: down, across, down (top-down) or right, along, right (left-to-right, as pstree).
      const [a, b] = this.orient === "td" ? [p.y + H / 2, c.y - H / 2] : [p.x + W / 2, c.x - W / 2];
      const m = Math.max(a + 4, b - 12);
      e.setAttribute("d", this.orient === "td" ? `M${p.x} ${a}V${m}H${c.x}V${b}` : `M${a} ${p.y}H${m}V${c.y}H${b}`);
    }
  }

  paint(n, p, o) {
    const g = n.g;
    const init = p.pid === 1;
    for (const k of ["pid", "ppid", "state", "program"]) g.setAttribute(`data-${k}`, p[k]);
    const mark = o.marks?.get(p.pid);
    const cls = {
      "ft-init": init,
      "ft-zombie": p.state === "zombie",
      "ft-ghost": p.ghost,
      "ft-actor": o.actor === p.pid,
      "ft-child": o.child === p.pid && o.actor !== p.pid,
      "ft-changed": !!o.changed?.has(p.pid),
      "ft-extra": mark === "extra",
      "ft-click": !!o.clickable && !init,
    };
    for (const [c, on] of Object.entries(cls)) g.classList.toggle(c, !!on);
    n.pid.textContent = p.pid;
    n.prog.textContent = p.ghost ? "" : p.program;
    n.l2.textContent = p.ghost ? "足りない" : `PPID ${p.ppid}`;
    n.st.textContent = p.ghost ? "" : p.state === "zombie" ? "Z" : "R";
    n.tag.textContent = o.subreaper === p.pid ? "subreaper" : "";
    let pill = o.pills?.get(p.pid);
    if (mark === "extra") pill = "余分";
    if (p.ghost) pill = `親 ${p.ppid}`;
    n.pill.classList.toggle("ft-on", !!pill);
    if (pill) {
      const w = textWidth(pill);
      n.pillText.textContent = pill;
      n.pillBox.setAttribute("x", -w / 2);
      n.pillBox.setAttribute("width", w);
    }
    const what = p.ghost ? "足りない" : p.state === "zombie" ? "ゾンビ" : "実行中";
    const state = `PID ${p.pid} ${n.prog.textContent}、親 PID ${p.ppid}、${what}${mark === "extra" ? "、余分" : ""}`;
    const click = o.clickable && !init && !p.ghost;
    g.setAttribute("role", click ? "button" : "img");
    g.setAttribute("aria-label", click ? `${state}: ${o.clickable}` : state);
    if (click) g.setAttribute("tabindex", "0");
    else g.removeAttribute("tabindex");
  }
}

function stepTitle(s) {
  const who = `PID ${s.pid} が `;
  if (s.action === "fork") return `${who}fork() → 子 PID ${s.child}`;
  if (s.action === "exec") return `${who}execve(${s.program})`;
  if (s.action === "signal") return `SIGCHLD → PID ${s.pid}`;
  return `${who}${s.action}()${s.action === "wait" && s.child ? ` → ${s.child} を回収` : ""}`;
}

// The values shown on the nodes for one step: what each call returned, in which process.
function pillsOf(s) {
  const m = new Map();
  if (!s) return m;
  const fn = s.action === "exec" ? "execve" : s.action;
  for (const r of s.returns) m.set(r.pid, (m.has(r.pid) ? `${m.get(r.pid)},` : `${fn}()=`) + r.value);
  if (!m.has(s.pid)) m.set(s.pid, s.action === "signal" ? "SIGCHLD" : s.action === "wait" ? "wait() 待ち" : `${fn}()`);
  return m;
}

const anyOf = (a) => (a.length ? a[Math.floor(Math.random() * a.length)] : 0);
const same = (a, b) => a.action === b.action && a.pid === b.pid;
const choiceLabel = (c) => `PID ${c.pid} が ${c.action === "exec" ? "execve" : c.action}()`;

// A small seeded generator (an LCG), so a question shows the same choices after a reload.
function rng(seed) {
  let a = seed >>> 0;
  return () => (a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296;
}

export function mount(section) {
  const api = section.dataset.api;
  const root = section.querySelector("[data-widget-root]");
  const stat = section.querySelector("[data-widget-static]");
  const st = { scenario: "bash-ls", n: 2, seed: 1, actions: 8, share: 70, subreaper: false, mode: "step", step: 0, q: 0 };
  let touched = false;
  const on = (b, fn) => b.addEventListener("click", () => {
    touched = true;
    fn();
  });
  // Restores the view from `#w=forktree&scenario=…&n=…&step=…` (on load, and when a link changes it).
  const restore = () => {
    const q = new URLSearchParams(location.hash.slice(1));
    if (q.get("w") !== "forktree") return false;
    const num = (k, lo, hi, d) => {
      const v = parseInt(q.get(k) ?? "", 10);
      return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : d;
    };
    st.scenario = SCENARIOS.some(([s]) => s === q.get("scenario")) ? q.get("scenario") : "bash-ls";
    st.mode = MODES.some(([m]) => m === q.get("mode")) ? q.get("mode") : "step";
    st.n = num("n", 1, 5, st.n);
    st.seed = num("seed", 0, 2 ** 31, st.seed);
    st.actions = num("actions", 1, 30, st.actions);
    st.share = num("fork_share", 0, 100, st.share);
    st.subreaper = q.get("subreaper") === "true";
    st.step = num("step", 0, 999, 0);
    st.q = num("q", 0, 999, 0);
    return (touched = true);
  };
  const fromHash = restore();

  // ---- the controls
  const scenarioSel = el("select", { id: "ft-scenario" },
    SCENARIOS.map(([v, t]) => el("option", { value: v, text: t })));
  const modeBtns = MODES.map(([m, t]) => btn("ft-mode", t, { "data-mode": m }));
  const nInput = el("input", { type: "number", id: "ft-n", min: 1, max: 5, class: "ft-num" });
  const nMinus = btn("ft-n-minus", "−", { "aria-label": "N を 1 減らす" });
  const nPlus = btn("ft-n-plus", "+", { "aria-label": "N を 1 増やす" });
  const seedInput = el("input", { type: "number", id: "ft-seed", min: 0, class: "ft-num ft-seed" });
  const newSeed = btn("ft-newseed", "新しい seed");
  const actInput = el("input", { type: "number", id: "ft-actions", min: 1, max: 30, class: "ft-num" });
  const shareInput = el("input", { type: "range", id: "ft-share", min: 0, max: 100, step: 5 });
  const shareOut = el("output", { for: "ft-share", class: "ft-share-out" });
  const subBox = el("input", { type: "checkbox", id: "ft-subreaper" });
  const lab = (id, text) => el("label", { for: id, text });
  const pN = el("div", { class: "ft-param" }, [lab("ft-n", "N ="), nMinus, nInput, nPlus]);
  const pRandom = el("div", { class: "ft-param" }, [
    el("span", {}, [lab("ft-seed", "seed "), seedInput]), newSeed,
    el("span", {}, [lab("ft-actions", "操作の数 "), actInput]),
    el("span", { class: "ft-share" }, [lab("ft-share", "fork の割合 "), shareInput, shareOut]),
  ]);
  const pSub = el("div", { class: "ft-param ft-p-sub" }, [
    subBox, lab("ft-subreaper", " bash を子サブリーパーにする（prctl PR_SET_CHILD_SUBREAPER）"),
  ]);
  const error = el("p", { class: "ft-error", role: "alert", hidden: true });
  const problem = el("div", { class: "ft-problem", hidden: true });
  const code = el("pre", { class: "ft-code", hidden: true });
  const treeBox = el("div", { class: "ft-treebox" });
  const legend = el("p", { class: "ft-legend" }, [
    el("span", { class: "ft-key ft-key-run", text: "R" }), " 実行中　",
    el("span", { class: "ft-key ft-key-z", text: "Z" }), " ゾンビ（終了したが親がまだ wait していない）　回収されたプロセスは消える。",
  ]);
  const info = el("div", { class: "ft-info" });
  const infoHead = el("p", { class: "ft-info-head" });
  const desc = el("p", { class: "ft-desc" });
  const rets = el("p", { class: "ft-rets" });
  info.append(infoHead, desc, rets);
  const bFirst = btn("ft-first", "|◀ 最初");
  const bPrev = btn("ft-prev", "◀ 戻る");
  const bPlay = btn("ft-play", "▶ 再生", { "aria-pressed": "false" });
  const bNext = btn("ft-next", "次へ ▶");
  const bLast = btn("ft-last", "最後 ▶|");
  const speedSel = el("select", { class: "ft-speed", "aria-label": "再生の速さ" },
    [["2400", "ゆっくり"], ["1200", "ふつう"], ["600", "はやい"]].map(([v, t]) => el("option", { value: v, text: t })));
  speedSel.value = "1200";
  const controls = el("div", { class: "widget-controls ft-controls" }, [bFirst, bPrev, bPlay, bNext, bLast, speedSel]);
  const stepList = el("ol", { class: "ft-steps", "aria-label": "ステップの一覧" });
  const liveLine = el("p", { class: "visually-hidden", "aria-live": "polite" });

  // build mode
  const toolFork = btn("ft-tool", "fork（子を足す）", { "data-tool": "fork" });
  const toolExit = btn("ft-tool", "exit（回収して消す）", { "data-tool": "exit" });
  const bUndo = btn("ft-undo", "元に戻す");
  const bClear = btn("ft-clear", "やり直す");
  const bCheck = btn("ft-check primary", "確認");
  const result = el("div", { class: "ft-result", "aria-live": "polite" });
  const buildBar = el("div", { class: "widget-controls ft-buildbar" }, [
    el("span", { class: "ft-tools", role: "group", "aria-label": "クリックしたときの操作" }, [toolFork, toolExit]),
    bUndo, bClear, bCheck,
  ]);

  // which mode
  const pair = el("div", { class: "ft-pair" });
  const before = el("figure", { class: "ft-fig" }, el("figcaption", { text: "前" }));
  const after = el("figure", { class: "ft-fig" }, el("figcaption", { text: "後" }));
  pair.append(before, after);
  const choices = el("div", { class: "ft-choices", role: "group", "aria-label": "起きた操作の候補" });
  const feedback = el("div", { class: "ft-feedback", "aria-live": "polite" });
  const bNextQ = btn("ft-nextq", "次の問題");

  const head = el("div", { class: "ft-bar" }, [
    el("span", {}, [el("label", { for: "ft-scenario", text: "シナリオ " }), scenarioSel]),
    el("span", { class: "ft-modes", role: "group", "aria-label": "問題の形式" }, modeBtns),
  ]);
  root.append(head, el("div", { class: "ft-params" }, [pN, pRandom, pSub]), error, problem, code,
    treeBox, pair, legend, info, controls, buildBar, result, choices, feedback, bNextQ, stepList, liveLine);
  const main = new TreeView(treeBox, "プロセスツリー", (pid) => buildClick(pid));
  const vBefore = new TreeView(before, "操作の前のツリー");
  const vAfter = new TreeView(after, "操作の後のツリー");

  if (stat && !stat.closest("details.ft-table")) {
    const d = el("details", { class: "ft-table" }, el("summary", { text: "表で見る" }));
    stat.before(d);
    d.append(stat);
    window.addEventListener("beforeprint", () => (d.open = true));
  }

  // ---- state and data
  const cache = new Map();
  let data = null;
  let token = 0;
  let timer = null;
  let build = null;
  let tool = "fork";
  let answered = null;
  let lastStep = -1;

  const query = () => {
    const q = new URLSearchParams({ scenario: st.scenario });
    if (st.scenario === "fork-loop") q.set("n", st.n);
    if (st.scenario === "random") {
      q.set("seed", st.seed);
      q.set("actions", st.actions);
      q.set("fork_share", st.share);
    }
    if (st.scenario === "orphan" && st.subreaper) q.set("subreaper", "true");
    return q;
  };

  function writeHash() {
    if (!touched) return;
    const q = query();
    const h = new URLSearchParams({ w: "forktree" });
    for (const [k, v] of q) h.set(k, v);
    if (st.mode !== "step") h.set("mode", st.mode);
    if (st.mode === "step") h.set("step", st.step);
    if (st.mode === "which") h.set("q", st.q);
    history.replaceState(null, "", `#${h}`);
  }

  async function load(keepStep) {
    stop();
    const qs = query().toString();
    const mine = ++token;
    let d = cache.get(qs);
    if (!d) {
      root.dataset.state = "loading";
      try {
        d = await getJSON(`${api}?${qs}`);
        cache.set(qs, d);
      } catch (e) {
        if (mine === token) {
          root.dataset.state = "error";
          error.textContent = e.message;
          error.hidden = false;
        }
        return;
      }
    }
    if (mine !== token) return;
    error.hidden = true;
    root.dataset.state = "ready";
    data = d;
    data.snaps = [data.initial, ...data.steps.map((s) => s.processes)];
    if (!keepStep) {
      st.step = 0;
      st.q = 0;
    }
    st.step = Math.min(st.step, data.steps.length);
    build = null;
    answered = null;
    lastStep = -1;
    fillSteps();
    render();
  }

  function syncControls() {
    scenarioSel.value = st.scenario;
    for (const b of modeBtns) b.setAttribute("aria-pressed", String(b.dataset.mode === st.mode));
    nInput.value = st.n;
    nMinus.disabled = st.n <= 1;
    nPlus.disabled = st.n >= 5;
    seedInput.value = st.seed;
    actInput.value = st.actions;
    shareInput.value = st.share;
    shareOut.textContent = `${st.share}%`;
    subBox.checked = st.subreaper;
    pN.hidden = st.scenario !== "fork-loop";
    pRandom.hidden = st.scenario !== "random";
    pSub.hidden = st.scenario !== "orphan";
  }

  function fillSteps() {
    stepList.replaceChildren();
    const items = [["0. 最初の状態", 0], ...data.steps.map((s, i) => [`${i + 1}. ${stepTitle(s)}`, i + 1])];
    for (const [t, k] of items) {
      const b = btn("", t, { "data-step": k, onclick: () => ((touched = true), go(k)) });
      stepList.append(el("li", {}, b));
    }
  }

  const avail = (view) => Math.max(view.wrap.clientWidth || root.clientWidth, 200);

  function showCode(line, i) {
    code.replaceChildren();
    if (data.code == null) {
      code.hidden = true;
      return;
    }
    code.hidden = false;
    if (st.scenario !== "fork-loop") {
      code.append(el("code", { text: `$ ${data.code}` }));
      return;
    }
    const lines = data.code.replace(/\n$/, "").split("\n");
    const c = el("code");
    lines.forEach((t, k) => {
      const cur = line === k + 1;
      c.append(el("span", { class: cur ? "ft-line ft-cur" : "ft-line", "data-line": k + 1 }, [
        el("span", { class: "ft-ln", text: String(k + 1).padStart(2), "aria-hidden": "true" }), ` ${t}`,
        cur && i != null ? el("span", { class: "ft-i", text: ` ← i = ${i}` }) : null,
      ]), "\n");
    });
    code.append(c);
  }

  function render(animate = false) {
    syncControls();
    if (!data) return;
    const m = st.mode;
    controls.hidden = stepList.hidden = m !== "step";
    info.hidden = m !== "step" && m !== "final";
    treeBox.hidden = m === "which";
    pair.hidden = choices.hidden = feedback.hidden = bNextQ.hidden = m !== "which";
    buildBar.hidden = result.hidden = m !== "build";
    problem.hidden = m !== "build" && m !== "which";
    if (m === "step") renderStep(animate);
    else if (m === "final") renderFinal();
    else if (m === "build") renderBuild(animate);
    else renderWhich();
    writeHash();
  }

  function renderStep(animate) {
    const k = st.step;
    const s = k ? data.steps[k - 1] : null;
    const prev = data.snaps[Math.max(0, k - 1)];
    const now = data.snaps[k];
    // PIDs whose program (exec) or parent (adoption) this step changed.
    const diff = (f) => s && new Set(now.filter((p) => prev.some((q) => q.pid === p.pid && q[f] !== p[f])).map((p) => p.pid));
    const f = plan(data.snaps.map((x) => withInit(x)), avail(main));
    main.render(now, {
      frame: f, orient: f.orient, animate: animate && Math.abs(k - lastStep) === 1,
      actor: s?.pid, child: s?.child, pills: pillsOf(s), reveal: s?.child ?? s?.pid, changed: diff("program"),
      adopted: diff("ppid"), subreaper: st.scenario === "orphan" && st.subreaper ? 100 : null,
    });
    lastStep = k;
    const total = data.steps.length;
    const count = live(now).length;
    infoHead.replaceChildren(
      el("span", { class: "ft-count", text: `ステップ ${k} / ${total}` }),
      s ? el("span", { class: `ft-act ft-act-${s.action}`, text: s.action === "signal" ? "SIGCHLD" : s.action }) : null,
      el("span", { class: "ft-title", text: s ? stepTitle(s) : "最初の状態" }),
      el("span", { class: "ft-alive", text: `プロセス ${count} 個（init を除く）` }),
    );
    const text = s
      ? s.description
      : `最初の状態: ${live(now).map((p) => `${p.program} (PID ${p.pid})`).join("、")} が動いている。親は init (PID 1)。`;
    desc.textContent = text;
    rets.textContent = s?.returns.length
      ? `戻り値: ${s.returns.map((r) => `PID ${r.pid} では ${r.value}`).join("、")}`
      : "";
    rets.hidden = !rets.textContent;
    showCode(s?.code_line, s?.i);
    bFirst.disabled = bPrev.disabled = k === 0;
    bNext.disabled = bLast.disabled = k === total;
    for (const b of stepList.querySelectorAll("button")) {
      b.classList.toggle("ft-cur", Number(b.dataset.step) === k);
      b.removeAttribute("aria-current");
    }
    const cur = stepList.querySelector(".ft-cur");
    if (cur) {
      cur.setAttribute("aria-current", "step");
      const li = cur.parentElement;
      const top = li.offsetTop - stepList.scrollTop;
      if (top < 0 || top + li.offsetHeight > stepList.clientHeight) stepList.scrollTop = li.offsetTop - stepList.clientHeight / 2;
    }
    liveLine.textContent = `ステップ ${k} / ${total}。${s ? stepTitle(s) : "最初の状態"}。${text}`;
  }

  function renderFinal() {
    const fin = data.processes;
    const f = plan([withInit(fin)], avail(main));
    main.render(fin, { frame: f, orient: f.orient });
    showCode();
    const head = `最後のツリー: init を除き ${live(fin).length} 個のプロセス`;
    infoHead.replaceChildren(el("span", { class: "ft-title", text: head }));
    desc.textContent = `途中の ${data.steps.length} ステップは隠しています（「1 ステップずつ」で見られます）。`;
    rets.hidden = true;
    liveLine.textContent = head;
  }

  // ---- build the tree
  function resetBuild() {
    const procs = data.initial.map((p) => ({ ...p }));
    build = { procs, next: Math.max(...procs.map((p) => p.pid)) + 1, history: [], result: null };
  }

  function buildClick(pid) {
    if (st.mode !== "build" || !build) return;
    const parent = build.procs.find((p) => p.pid === pid);
    if (!parent) return;
    if (tool === "fork" && build.procs.length >= 64) {
      result.replaceChildren(el("p", { class: "ft-bad", text: "プロセスは 64 個までにしてください。" }));
      return;
    }
    build.history.push({ procs: build.procs.map((p) => ({ ...p })), next: build.next });
    if (tool === "fork") {
      const pidNew = build.next++;
      const program = st.scenario === "random" ? letter(pidNew - 100) : parent.program;
      build.procs.push({ pid: pidNew, ppid: pid, program, state: "running" });
      liveLine.textContent = `PID ${pid} が fork() し、子 PID ${pidNew} ができた。`;
    } else {
      // Every node here descends from PID 100 (init is not clickable), so a subreaper bash adopts all.
      const adopter = st.scenario === "orphan" && st.subreaper && pid !== 100 ? 100 : 1;
      for (const c of build.procs) if (c.ppid === pid) c.ppid = adopter;
      build.procs = build.procs.filter((p) => p.pid !== pid);
      liveLine.textContent = `PID ${pid} が終了して回収された。`;
    }
    build.result = null;
    render(true);
  }

  function actionList() {
    const ol = el("ol", { class: "ft-actions" });
    let prev = data.initial;
    for (const s of data.steps) {
      if (treeKey(prev) !== treeKey(s.processes)) ol.append(el("li", { text: stepTitle(s).replace(/ → .*/, s.action === "wait" ? " で回収" : "") }));
      prev = s.processes;
    }
    return ol;
  }

  function renderBuild(animate) {
    if (!build) resetBuild();
    problem.replaceChildren();
    if (st.scenario === "fork-loop") {
      problem.append(el("p", { text: `N = ${st.n} のこのプログラムが最後まで動いたときのプロセスツリーを作りましょう。` }));
    } else {
      problem.append(el("p", { text: "次の操作がすべて終わったときのプロセスツリーを作りましょう。" }), actionList());
    }
    problem.append(el("p", { class: "ft-hint", text: "ノードをクリック（Tab で選んで Enter でも可）すると fork して子ができます（PID は自動）。exit に切り替えると、クリックしたプロセスが終了して回収されます。" }));
    showCode();
    const r = build.result;
    const marks = new Map();
    let ghosts = [];
    if (r) {
      for (const x of r.extra) if (build.procs.some((p) => p.pid === x.pid && p.ppid === x.ppid)) marks.set(x.pid, "extra");
      ghosts = r.missing.filter((x) => !build.procs.some((p) => p.pid === x.pid));
    }
    const list = withInit(build.procs, ghosts);
    const f = plan([list], avail(main));
    main.render(build.procs, {
      frame: f, orient: f.orient, animate, marks, ghosts, clickable: `クリックで ${tool}`,
    });
    toolFork.setAttribute("aria-pressed", String(tool === "fork"));
    toolExit.setAttribute("aria-pressed", String(tool === "exit"));
    bUndo.disabled = !build.history.length;
    bClear.disabled = !build.history.length;
    result.replaceChildren();
    if (!r) {
      result.removeAttribute("data-correct");
      result.append(el("p", { class: "ft-hint", text: `いま init を除き ${build.procs.length} 個。次の PID は ${build.next}。` }));
      return;
    }
    result.setAttribute("data-correct", String(r.correct));
    result.append(el("p", { class: r.correct ? "ft-ok" : "ft-bad", text: r.correct ? r.explain : `不正解: ${r.explain}` }));
    // The diagram marks extra (red) and missing (dotted) nodes; a node under the wrong parent needs words.
    const lines = r.missing
      .filter((x) => build.procs.some((p) => p.pid === x.pid))
      .map((x) => `PID ${x.pid} の親は PID ${x.ppid} です（あなたのツリーでは PID ${build.procs.find((p) => p.pid === x.pid).ppid}）。`);
    if (lines.length) result.append(el("ul", {}, lines.map((t) => el("li", { text: t }))));
    result.append(btn("ft-show", "正しいツリーを 1 ステップずつ見る", { onclick: () => setMode("step") }));
  }

  async function check() {
    const body = {
      scenario: st.scenario,
      subreaper: st.scenario === "orphan" && st.subreaper,
      processes: build.procs.map((p) => ({ pid: p.pid, ppid: p.ppid })),
    };
    if (st.scenario === "fork-loop") body.n = st.n;
    if (st.scenario === "random") Object.assign(body, { seed: st.seed, actions: st.actions, fork_share: st.share });
    bCheck.disabled = true;
    try {
      const j = await getJSON(`${api}/check`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      build.result = j;
      render(false);
      liveLine.textContent = `${j.correct ? "正解" : "不正解"}。${j.explain}`;
    } catch (e) {
      result.replaceChildren(el("p", { class: "ft-bad", text: e.message }));
    } finally {
      bCheck.disabled = false;
    }
  }

  // ---- which action happened?
  const candidates = () => {
    const out = [];
    data.steps.forEach((s, i) => {
      if (["fork", "exec", "exit", "wait"].includes(s.action) && treeKey(data.snaps[i]) !== treeKey(s.processes)) out.push(i + 1);
    });
    return out;
  };

  function nextQuestion() {
    const c = candidates();
    const pool = c.length > 1 ? c.filter((k) => k !== st.q) : c;
    st.q = anyOf(pool);
    answered = null;
    render();
  }

  // The right action and three wrong ones, the nearest first: the same call by a relative of the
  // caller (the child instead of the parent), or another call by the same process.
  function makeChoices(s, prev, k) {
    const rand = rng(k * 7919 + st.scenario.length * 31 + st.n + st.seed);
    const all = [];
    // Any running process could have called any of the four, so even a one-process tree offers four.
    for (const p of prev.filter((x) => x.state === "running")) {
      for (const action of ["fork", "exit", "wait", "exec"]) all.push({ action, pid: p.pid });
    }

    const me = prev.find((x) => x.pid === s.pid);
    const near = (c) => c.pid === s.child || prev.some((x) => x.pid === c.pid && (x.ppid === s.pid || x.pid === me?.ppid));
    const score = (c) => (c.action === s.action ? (near(c) ? 0 : 2) : c.pid === s.pid ? 1 : 3) + rand();
    const sortBy = (list, key) => list.map((c) => [key(c), c]).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
    const wrong = sortBy(all.filter((c) => !same(s, c)), score).slice(0, 3);
    return sortBy([{ action: s.action, pid: s.pid }, ...wrong], rand);
  }

  function renderWhich() {
    const c = candidates();
    if (!c.includes(st.q)) st.q = anyOf(c);
    problem.replaceChildren(el("p", { text: "「前」のツリーが「後」になりました。どのプロセスが何をしたでしょう？" }));
    showCode();
    choices.replaceChildren();
    feedback.replaceChildren();
    if (!st.q) return; // cannot happen: every scenario starts with a fork
    const k = st.q;
    const s = data.steps[k - 1];
    const prev = data.snaps[k - 1];
    const f = plan([withInit(prev), withInit(s.processes)], avail(vBefore));
    vBefore.render(prev, { frame: f, orient: f.orient });
    vAfter.render(s.processes, { frame: f, orient: f.orient, actor: answered ? s.pid : null, child: answered ? s.child : null });
    for (const ch of makeChoices(s, prev, k)) {
      const b = btn("ft-choice", choiceLabel(ch), { "data-action": ch.action, "data-pid": ch.pid, disabled: !!answered });
      if (answered) b.classList.toggle(same(s, ch) ? "ft-right" : "ft-wrong", same(s, ch) || same(answered, ch));
      else
        on(b, () => {
          answered = ch;
          render();
          liveLine.textContent = `${same(s, ch) ? "正解" : "ちがいます"}。${s.description}`;
        });
      choices.append(b);
    }
    if (answered) {
      const ok = same(s, answered);
      feedback.setAttribute("data-correct", String(ok));
      feedback.append(
        el("p", { class: ok ? "ft-ok" : "ft-bad", text: ok ? `正解: ${stepTitle(s)}` : `ちがいます。正しくは「${stepTitle(s)}」（ステップ ${k}）。` }),
        el("p", { text: s.description }),
      );
    } else feedback.removeAttribute("data-correct");
  }

  // ---- stepping
  function go(k, animate = true) {
    if (!data) return;
    st.step = Math.max(0, Math.min(data.steps.length, k));
    render(animate);
  }

  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
    bPlay.textContent = "▶ 再生";
    bPlay.setAttribute("aria-pressed", "false");
  }

  function play() {
    if (timer) return stop();
    if (!data || st.mode !== "step") return;
    if (st.step >= data.steps.length) go(0, false);
    bPlay.textContent = "‖ 一時停止";
    bPlay.setAttribute("aria-pressed", "true");
    timer = setInterval(() => {
      if (st.step >= data.steps.length) stop();
      else go(st.step + 1);
    }, Number(speedSel.value));
  }

  function setMode(m) {
    stop();
    st.mode = m;
    if (m === "build") build = null;
    if (m === "which") answered = null;
    render();
  }

  function change(fn) {
    touched = true;
    fn();
    syncControls();
    load(false);
  }

  on(bFirst, () => go(0));
  on(bPrev, () => go(st.step - 1));
  on(bNext, () => go(st.step + 1));
  on(bLast, () => go(data ? data.steps.length : 0));
  on(bPlay, play);
  speedSel.addEventListener("change", () => {
    if (timer) {
      stop();
      play();
    }
  });
  for (const b of modeBtns) on(b, () => setMode(b.dataset.mode));
  scenarioSel.addEventListener("change", () => change(() => (st.scenario = scenarioSel.value)));
  const setN = (v) => change(() => (st.n = Math.min(5, Math.max(1, v || 1))));
  on(nMinus, () => setN(st.n - 1));
  on(nPlus, () => setN(st.n + 1));
  nInput.addEventListener("change", () => setN(parseInt(nInput.value, 10)));
  seedInput.addEventListener("change", () => change(() => (st.seed = parseInt(seedInput.value, 10) || 0)));
  on(newSeed, () => change(() => (st.seed = Math.floor(Math.random() * 100000))));
  actInput.addEventListener("change", () => change(() => (st.actions = parseInt(actInput.value, 10) || 1)));
  shareInput.addEventListener("input", () => (shareOut.textContent = `${shareInput.value}%`));
  shareInput.addEventListener("change", () => change(() => (st.share = Number(shareInput.value))));
  subBox.addEventListener("change", () => change(() => (st.subreaper = subBox.checked)));
  for (const t of [toolFork, toolExit])
    on(t, () => {
      tool = t.dataset.tool;
      render();
    });
  on(bUndo, () => {
    const h = build?.history.pop();
    if (h) Object.assign(build, h, { result: null });
    render(true);
  });
  on(bClear, () => {
    resetBuild();
    render(true);
  });
  on(bCheck, check);
  on(bNextQ, nextQuestion);

  section.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || st.mode !== "step" || !data) return;
    const t = e.target;
    if (t instanceof HTMLElement && t.matches("input, select, textarea")) return;
    const key = e.key;
    if (key === "ArrowRight") go(st.step + 1);
    else if (key === "ArrowLeft") go(st.step - 1);
    else if (key === "Home") go(0);
    else if (key === "End") go(data.steps.length);
    else if (key === " " && !(t instanceof HTMLElement && t.matches("button, summary, a"))) play();
    else return;
    touched = true;
    if (key !== " " && timer) stop();
    e.preventDefault();
  });

  let pending = 0;
  let width = root.clientWidth;
  new ResizeObserver(() => {
    if (root.clientWidth === width) return;
    width = root.clientWidth;
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => data && render(false));
  }).observe(root);

  syncControls();
  const show = () => load(true).then(() => section.scrollIntoView({ block: "start" }));
  addEventListener("hashchange", () => restore() && show());
  if (fromHash) show();
  else load(true);
}
