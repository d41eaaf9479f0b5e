// The fork tree's drawing: the layout of a process tree (top-down, or left-to-right like pstree when
// that reads better in the space there is) and TreeView, one SVG tree whose nodes move smoothly from
// step to step. forktree.js decides what to draw; this file only draws it.

import { h as el, s as svgEl } from "../lib/dom.js";
import { reducedMotion as reduced } from "../lib/motion.js";

const W = 84, H = 40, M = 14; // node box and margin (SVG units)
const COL = 94, LEV = 80; // top-down: column width, level height
const LW = 106, ROW = 62; // left-to-right (pstree-like): level width, row height

// An SVG element appended to `parent` (the tree is built in place, node by node).
const sv = (tag, attrs, parent) => parent.appendChild(svgEl(tag, attrs));

/** The processes still in the table (running or zombie): reaped ones are gone. */
export const live = (procs) => procs.filter((p) => p.state !== "exited");
const INIT = { pid: 1, ppid: 0, program: "init", state: "running" };

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
    // A missing (ghost) process can have missing children too: the fork loop's grandchildren.
    const c = (kids.get(p.pid) || []).filter((k) => !seen.has(k));
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
export function plan(lists, avail) {
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
  // Trees are drawn at their own size (see TreeView.size): top-down when it fits, else the narrower way.
  if (sTd >= 1 || td.w <= lr.w) return { orient: "td", ...td };
  return { orient: "lr", ...lr };
}

export const withInit = (procs, ghosts = []) => [
  INIT,
  ...live(procs),
  // By PID, so a missing parent is placed before its missing children.
  ...[...ghosts].sort((a, b) => a.pid - b.pid).map((g) => ({ ...g, program: "?", state: "ghost", ghost: true })),
];

const textWidth = (s) => [...s].reduce((a, c) => a + (c.charCodeAt(0) > 255 ? 12 : 7.3), 10);

// One SVG process tree. Nodes are kept per PID so a step can move them smoothly.
export class TreeView {
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
    // Drawn at its own size: the smallest text is 12 px (the page's minimum for diagrams), so a tree wider
    // than its box scrolls inside it rather than shrinking.
    this.svg.setAttribute("viewBox", `0 0 ${frame.w} ${frame.h}`);
    this.svg.setAttribute("width", Math.round(frame.w));
    this.svg.setAttribute("height", Math.round(frame.h));
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
    n.pillBox = sv("rect", { y: H / 2 + 1, height: 17, rx: 8 }, n.pill);
    n.pillText = sv("text", { y: H / 2 + 14, "text-anchor": "middle" }, n.pill);
    // The clickable part: a transparent box over the node, named by its aria-label. The node's own text
    // stays a picture, so the button's name does not have to repeat the drawn words in their order.
    n.hit = sv("rect", { class: "ft-hit", x: -W / 2, y: -H / 2, width: W, height: H, rx: 6 }, g);
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
    g.setAttribute("role", click ? "group" : "img");
    g.setAttribute("aria-label", state);
    if (click) {
      n.hit.setAttribute("role", "button");
      n.hit.setAttribute("aria-label", `${state}: ${o.clickable}`);
      n.hit.setAttribute("tabindex", "0");
    } else {
      for (const a of ["role", "aria-label", "tabindex"]) n.hit.removeAttribute(a);
    }
  }
}
