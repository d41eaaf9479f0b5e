// The step controls every widget shares, in one order — first, back, play/pause, next, last — then the
// speed and a counter; and the keys while focus is inside the widget: ←/→ one step, Home/End the ends,
// Space plays or pauses (a focused button keeps its own Space). A button that cannot act is
// aria-disabled rather than disabled, so keyboard focus stays on it instead of falling to the page, where
// ←/→ would turn to another topic.

import { h } from "./dom.js";

// [action, glyph, word, glyph after the word?, the key (title and aria-keyshortcuts)]. The word is the
// button's whole accessible name (the glyphs are hidden from screen readers), so it matches what is seen.
const BUTTONS = [
  ["first", "|◀", "最初", false, "Home"],
  ["back", "◀", "戻る", false, "ArrowLeft"],
  ["play", "▶", "再生", false, "Space"],
  ["next", "▶", "次へ", true, "ArrowRight"],
  ["last", "▶|", "最後", true, "End"],
];
const KEY_NAMES = { Home: "Home", ArrowLeft: "←", Space: "Space", ArrowRight: "→", End: "End" };
const SPEEDS = [
  ["0.5", "0.5×"],
  ["1", "1×"],
  ["2", "2×"],
];
// Playing moves on this soon after the button, so it visibly starts; then one step per interval.
const FIRST_TICK_MS = 300;

/**
 * Builds the controls and wires them and the keys to a widget. Options:
 * - `position()`: `{ step, first, last }` now, or null while nothing is loaded.
 * - `go(k)`: show step k (the widget clamps it, and may refuse to pass a predict question).
 * - `touch()`: called before anything the reader does (a widget writes its hash only after that).
 * - `interval`: ms per step when playing at 1×.
 * - `canPlay()`: false when playing makes no sense (predict mode); the play button is then aria-disabled.
 * - `active()`: false while the controls do not apply (another mode); keys are then left alone.
 * - `counter(pos)`: the counter's text; without it there is no counter.
 * - `onSpeed(speed)`: after the speed changes.
 * Returns `{ el, update, stop, toggle, speed() }`; call `update()` whenever the step changes.
 */
export function stepper(section, o) {
  const position = () => o.position();
  const canPlay = () => (o.canPlay ? o.canPlay() : true);
  const active = () => (o.active ? o.active() : true);
  const touch = () => o.touch && o.touch();
  let playing = false;
  let timer = 0;
  let speed = 1;

  const label = (button, glyph, word, after) => {
    const g = h("span", { "aria-hidden": "true", text: glyph });
    button.replaceChildren(...(after ? [word, " ", g] : [g, " ", word]));
  };
  const buttons = Object.fromEntries(
    BUTTONS.map(([action, glyph, word, after, key]) => {
      const b = h("button", { type: "button", "data-action": action, title: `${word} (${KEY_NAMES[key]})`, "aria-keyshortcuts": key === "Space" ? "Space" : key });
      label(b, glyph, word, after);
      return [action, b];
    }),
  );
  buttons.play.setAttribute("aria-pressed", "false");
  const speedSelect = h(
    "select",
    { name: "speed" },
    SPEEDS.map(([v, text]) => h("option", { value: v, text, selected: v === "1" })),
  );
  const counter = o.counter ? h("span", { class: "step-counter", "aria-hidden": "true" }) : null;
  const el = h(
    "div",
    { class: "step-controls widget-controls", role: "group", "aria-label": "ステップの操作" },
    BUTTONS.map(([action]) => buttons[action]),
    h("label", { class: "step-speed" }, "速さ ", speedSelect),
    counter,
  );

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(tick, ms);
  }

  function tick() {
    const before = position();
    if (!playing || !before) return;
    if (before.step >= before.last) return stop();
    o.go(before.step + 1);
    const after = position();
    // Stopped by the widget (a predict question) or at the end.
    if (!after || after.step === before.step || after.step >= after.last) return stop();
    schedule(o.interval / speed);
  }

  function play() {
    const pos = position();
    if (!pos || !canPlay()) return;
    if (pos.step >= pos.last) o.go(pos.first);
    playing = true;
    update();
    schedule(FIRST_TICK_MS);
  }

  function stop() {
    clearTimeout(timer);
    if (!playing) return;
    playing = false;
    update();
  }

  function toggle() {
    touch();
    if (playing) stop();
    else play();
  }

  /** A step the reader asked for: playing stops there. */
  function manual(k) {
    touch();
    stop();
    o.go(k);
  }

  function update() {
    const pos = position();
    const atStart = !pos || pos.step <= pos.first;
    const atEnd = !pos || pos.step >= pos.last;
    for (const [b, off] of [
      [buttons.first, atStart],
      [buttons.back, atStart],
      [buttons.next, atEnd],
      [buttons.last, atEnd],
      [buttons.play, !canPlay()],
    ]) {
      b.setAttribute("aria-disabled", String(off));
    }
    label(buttons.play, playing ? "⏸" : "▶", playing ? "一時停止" : "再生", false);
    buttons.play.setAttribute("aria-pressed", String(playing));
    if (counter) counter.textContent = pos ? o.counter(pos) : "";
  }

  const actions = {
    first: () => manual(position().first),
    back: () => manual(position().step - 1),
    play: toggle,
    next: () => manual(position().step + 1),
    last: () => manual(position().last),
  };
  for (const [action, b] of Object.entries(buttons)) {
    b.addEventListener("click", () => {
      if (b.getAttribute("aria-disabled") === "true" || !position()) return;
      actions[action]();
    });
  }
  speedSelect.addEventListener("change", () => {
    speed = Number(speedSelect.value) || 1;
    if (o.onSpeed) o.onSpeed(speed);
    if (playing) schedule(o.interval / speed);
  });

  const KEYS = { ArrowRight: "next", ArrowLeft: "back", Home: "first", End: "last" };
  section.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || !active() || !position()) return;
    const t = e.target;
    if (t instanceof Element && t.closest("input, select, textarea, [contenteditable]")) return;
    if (KEYS[e.key]) {
      e.preventDefault();
      actions[KEYS[e.key]]();
    } else if (e.key === " " && !(t instanceof Element && t.closest("button, summary, a"))) {
      e.preventDefault();
      toggle();
    }
  });

  update();
  return { el, update, stop, toggle, speed: () => speed };
}
