// forktree widget: the process tree after fork / exec / exit / wait, drawn in SVG (facts.md W3).
// The truth is the Rust model (src/widgets/forktree/): this script fetches whole scenarios from
// /api/widgets/forktree, draws the tree of each step, and offers four ways to use it: step through,
// the final tree only, build the tree yourself (checked on the server), and "which action happened?".

import { fill, foldStatic, h as el, staticWhilePredicting } from "./lib/dom.js";
import { getJSON, postJSON } from "./lib/fetch.js";
import { hashInt, onHashChange, readHash, writeHash as setHash } from "./lib/hash.js";
import { stepper } from "./lib/stepper.js";
import { live, plan, TreeView, withInit } from "./forktree/tree.js";

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
const btn = (cls, text, attrs = {}) => el("button", { type: "button", class: cls, text, ...attrs });

const treeKey = (procs) =>
  live(procs)
    .map((p) => `${p.pid}/${p.ppid}/${p.program}/${p.state}`)
    .sort()
    .join(" ");

// fork.py's names, as the model gives them in the random scenario: a, b, …, z, aa, …
function letter(i) {
  let s = "";
  for (;;) {
    s = String.fromCharCode(97 + (i % 26)) + s;
    if (i < 26) return s;
    i = Math.floor(i / 26) - 1;
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
  const restore = (q = readHash("forktree")) => {
    if (!q) return false;
    const num = (k, lo, hi, d) => hashInt(q, k, lo, hi, d);
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

  // ---- state and data
  const cache = new Map();
  let data = null;
  let token = 0;
  let build = null;
  let tool = "fork";
  let answered = null;
  let lastStep = -1;

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
    el("span", { class: "ft-key ft-key-z", text: "Z" }), " ゾンビ（終了したが親がまだ wait していない）　回収されたプロセスは消えます。",
  ]);
  const info = el("div", { class: "ft-info" });
  const infoHead = el("p", { class: "ft-info-head" });
  const desc = el("p", { class: "ft-desc" });
  const rets = el("p", { class: "ft-rets" });
  info.append(infoHead, desc, rets);
  // Steps 0…n in "1 ステップずつ" mode: step 0 is the tree before the first call.
  const controls = stepper(section, {
    position: () => data && { step: st.step, first: 0, last: data.steps.length },
    go: (k) => go(k),
    touch: () => {
      touched = true;
    },
    interval: 1200,
    active: () => st.mode === "step",
  });
  const stepList = el("ol", { class: "ft-steps", "aria-label": "ステップの一覧" });
  const liveLine = el("p", { class: "visually-hidden", "aria-live": "polite" });

  // build mode
  const toolFork = btn("ft-tool", "fork（子を足す）", { "data-tool": "fork" });
  const toolExit = btn("ft-tool", "exit（回収して消す）", { "data-tool": "exit" });
  const toolExec = btn("ft-tool", "exec（プログラムを置き換える）", { "data-tool": "exec" });
  const execProgram = el("select", { class: "ft-exec-program", "aria-label": "exec するプログラム" });
  const bUndo = btn("ft-undo", "元に戻す");
  const bClear = btn("ft-clear", "やり直す");
  const bCheck = btn("ft-check primary", "確認");
  const result = el("div", { class: "ft-result", "aria-live": "polite" });
  const buildBar = el("div", { class: "widget-controls ft-buildbar" }, [
    el("span", { class: "ft-tools", role: "group", "aria-label": "クリックしたときの操作" }, [toolFork, toolExit, toolExec, execProgram]),
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
  // The step controls sit above the diagram, as in every widget (handshake, ftp); the step list below.
  root.append(head, el("div", { class: "ft-params" }, [pN, pRandom, pSub]), error, problem, code,
    controls.el, buildBar, treeBox, pair, legend, info, result, choices, feedback, bNextQ, stepList, liveLine);
  const main = new TreeView(treeBox, "プロセスツリー", (pid) => buildClick(pid));
  const vBefore = new TreeView(before, "操作の前のツリー");
  const vAfter = new TreeView(after, "操作の後のツリー");

  // The tables write out every step and the final tree: out of the page while a question is open.
  const hideStatic = staticWhilePredicting(foldStatic(stat, "ft-table", "表で見る"));

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
    setHash("forktree", {
      ...Object.fromEntries(query()),
      mode: st.mode !== "step" && st.mode,
      step: st.mode === "step" && st.step,
      q: st.mode === "which" && st.q,
    });
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
      const b = btn("", t, { "data-step": k, onclick: () => ((touched = true), stop(), go(k)) });
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
    // Build and "which" are questions: no step list (each step's title is an answer) and no tables.
    hideStatic(m === "build" || m === "which");
    if (m !== "step") stepList.replaceChildren();
    else if (!stepList.children.length) fillSteps();
    controls.el.hidden = stepList.hidden = m !== "step";
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
    fill(infoHead,
      el("span", { class: "ft-count", text: `ステップ ${k} / ${total}` }),
      s ? el("span", { class: `ft-act ft-act-${s.action}`, text: s.action === "signal" ? "SIGCHLD" : s.action }) : null,
      el("span", { class: "ft-title", text: s ? stepTitle(s) : "最初の状態" }),
      el("span", { class: "ft-alive", text: `プロセス ${count} 個（init を除く）` }),
    );
    const text = s
      ? s.description
      : `最初の状態: ${live(now).map((p) => `${p.program}（PID ${p.pid}）`).join("、")} が動いています。親は init（PID 1）です。`;
    desc.textContent = text;
    rets.textContent = s?.returns.length
      ? `戻り値: ${s.returns.map((r) => `PID ${r.pid} では ${r.value}`).join("、")}`
      : "";
    rets.hidden = !rets.textContent;
    showCode(s?.code_line, s?.i);
    controls.update();
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
  // The tree to build: the final one, unless the scenario ends where it started (bash-ls: ls exits and
  // bash reaps it) — then the fullest tree on the way, the last step with the most processes, so that
  // checking the starting tree unchanged is not already right.
  function buildTarget() {
    if (treeKey(data.processes) !== treeKey(data.initial)) return null;
    let best = 0;
    data.snaps.forEach((snap, k) => {
      if (k && live(snap).length >= live(data.snaps[best]).length) best = k;
    });
    return best || null;
  }

  // The programs the scenario execs, for the exec tool.
  const execPrograms = () => [...new Set(data.steps.filter((s) => s.action === "exec").map((s) => s.program))];

  function resetBuild() {
    const procs = data.initial.map((p) => ({ ...p }));
    build = { procs, next: Math.max(...procs.map((p) => p.pid)) + 1, history: [], result: null };
  }

  function buildClick(pid) {
    if (st.mode !== "build" || !build) return;
    const parent = build.procs.find((p) => p.pid === pid);
    if (!parent) return;
    if (tool === "exec") {
      const program = execProgram.value;
      if (!program || parent.program === program) return;
      build.history.push({ procs: build.procs.map((p) => ({ ...p })), next: build.next });
      parent.program = program;
      liveLine.textContent = `PID ${pid} が execve(${program}) した。PID は ${pid} のまま。`;
      build.result = null;
      render(true);
      return;
    }
    if (tool === "fork" && build.procs.length >= 64) {
      result.replaceChildren(el("p", { class: "ft-bad", text: "プロセスは 64 個までにしてください。" }));
      return;
    }
    build.history.push({ procs: build.procs.map((p) => ({ ...p })), next: build.next });
    if (tool === "fork") {
      const pidNew = build.next++;
      const program = st.scenario === "random" ? letter(pidNew - 100) : parent.program;
      build.procs.push({ pid: pidNew, ppid: pid, program, state: "running" });
      liveLine.textContent = `PID ${pid} が fork() し、子 PID ${pidNew} ができました。`;
    } else {
      // Every node here descends from PID 100 (init is not clickable), so a subreaper bash adopts all.
      const adopter = st.scenario === "orphan" && st.subreaper && pid !== 100 ? 100 : 1;
      for (const c of build.procs) if (c.ppid === pid) c.ppid = adopter;
      build.procs = build.procs.filter((p) => p.pid !== pid);
      liveLine.textContent = `PID ${pid} が終了して回収されました。`;
    }
    build.result = null;
    render(true);
  }

  function actionList(upTo) {
    const ol = el("ol", { class: "ft-actions" });
    let prev = data.initial;
    for (const s of data.steps.slice(0, upTo ?? data.steps.length)) {
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
      const target = buildTarget();
      problem.append(
        el("p", {
          text: target
            ? "次の操作が終わった時点のプロセスツリーを作りましょう（シナリオの最後ではなく、プロセスがいちばん多い時点です）。"
            : "次の操作がすべて終わったときのプロセスツリーを作りましょう。",
        }),
        actionList(target ?? undefined),
      );
    }
    const programs = execPrograms();
    toolExec.hidden = execProgram.hidden = !programs.length;
    if (programs.length && execProgram.options.length !== programs.length) {
      execProgram.replaceChildren(...programs.map((p) => el("option", { value: p, text: p })));
    }
    problem.append(el("p", { class: "ft-hint", text: `ノードをクリック（Tab で選んで Enter でも可）すると fork して子ができます（PID は自動）。exit に切り替えると、クリックしたプロセスが終了して回収されます。${programs.length ? "exec では、クリックしたプロセスのプログラムが選んだものに置き換わります（PID はそのまま）。" : ""}` }));
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
    toolExec.setAttribute("aria-pressed", String(tool === "exec"));
    bUndo.disabled = !build.history.length;
    bClear.disabled = !build.history.length;
    result.replaceChildren();
    if (!r) {
      result.removeAttribute("data-correct");
      result.append(el("p", { class: "ft-hint", text: `いま init を除き ${build.procs.length} 個です。次の PID は ${build.next} です。` }));
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
    const target = buildTarget();
    if (target) body.step = target - 1;
    if (execPrograms().length) body.programs = build.procs.map((p) => ({ pid: p.pid, program: p.program }));
    if (st.scenario === "fork-loop") body.n = st.n;
    if (st.scenario === "random") Object.assign(body, { seed: st.seed, actions: st.actions, fork_share: st.share });
    bCheck.disabled = true;
    try {
      const j = await postJSON(`${api}/check`, body);
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
        el("p", { class: ok ? "ft-ok" : "ft-bad", text: ok ? `正解: ${stepTitle(s)}` : `ちがいます。正しくは「${stepTitle(s)}」です（ステップ ${k}）。` }),
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

  const stop = () => controls.stop();

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
  for (const t of [toolFork, toolExit, toolExec])
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
  onHashChange("forktree", (q) => restore(q) && show());
  if (fromHash) show();
  else load(true);
}
