// DOM and SVG builders shared by the widget scripts. Nothing from a model goes through innerHTML: text is
// set as textContent and attributes through setAttribute; the page's CSP forbids inline styles, so widgets
// use classes, SVG attributes and CSSOM properties only.

const SVG_NS = "http://www.w3.org/2000/svg";

/** The one name of predict mode in every widget's controls and texts. */
export const PREDICT_MODE = "予想モード";

// Children as given: arrays are flattened, and null, undefined and false (an `a && node` that did not
// apply) are skipped, so `replaceChildren(null)` never prints "null".
const kids = (list) => list.flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false);

function build(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  node.append(...kids(children));
  return node;
}

/**
 * An HTML element. `attrs.text` sets textContent, `onclick`-style keys with a function add a listener,
 * `true` is an empty attribute, and null, undefined and false leave an attribute out.
 */
export const h = (tag, attrs = {}, ...children) => build(document.createElement(tag), attrs, children);

/** An SVG element, with the same conventions as `h`. */
export const s = (tag, attrs = {}, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

/** Replaces a node's children, skipping the same empty values as `h`. */
export function fill(node, ...children) {
  node.replaceChildren(...kids(children));
  return node;
}

/** A toggle button: `aria-pressed` says whether its mode is on. */
export const toggleButton = (cls, text) => h("button", { type: "button", class: cls, "aria-pressed": "false", text });

/** The button that turns predict mode on and off. */
export const predictToggle = (cls) => toggleButton(cls, PREDICT_MODE);

/** Shows `msg` in the message box `el`, or hides the box when there is none. */
export function showMessage(el, msg) {
  el.textContent = msg || "";
  el.hidden = !msg;
}

/** Sets a toggle button's state. */
export const setPressed = (button, on) => button.setAttribute("aria-pressed", String(!!on));

/**
 * Moves the server-rendered scenarios (the page without JavaScript, and its print view) into a closed
 * <details> below the diagram, opened again for printing. Returns the <details>.
 */
export function foldStatic(staticBox, cls, summary) {
  if (!staticBox) return null;
  const open = staticBox.closest("details");
  if (open) return open;
  const fold = h("details", { class: cls }, h("summary", { text: summary }));
  staticBox.before(fold);
  fold.append(staticBox);
  window.addEventListener("beforeprint", () => {
    fold.open = true;
  });
  return fold;
}

/**
 * Takes `node` out of the DOM while `pending(true)`, and puts it back at the same place after: hidden or
 * folded is not enough when the answer would still be in the page. Returns `(pending) => void`.
 */
export function outWhilePredicting(node, what = "back after the prediction") {
  const mark = document.createComment(` ${what} `);
  return (pending) => {
    if (!node) return;
    if (pending && node.isConnected) node.replaceWith(mark);
    else if (!pending && !node.isConnected && mark.isConnected) mark.replaceWith(node);
  };
}

/**
 * Takes the server-rendered scenarios (`foldStatic`'s <details>: every step of every scenario, written out)
 * out of the DOM while a prediction is pending, and puts them back after — and with them the widget's
 * real captures (`.widget-captures`), whose packets show every outcome too. Returns `(pending) => void`.
 */
export function staticWhilePredicting(fold) {
  const tables = outWhilePredicting(fold, "scenarios: back after the prediction");
  const captures = outWhilePredicting(
    fold?.closest(".widget")?.querySelector(".widget-captures"),
    "captures: back after the prediction",
  );
  return (pending) => {
    tables(pending);
    captures(pending);
  };
}
