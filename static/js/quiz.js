// Quiz page enhancement. Without it the page works: ordering questions use a "n 番目" select per item.
// With it, each ordering list gets ↑/↓ buttons (keyboard-usable; the hidden selects follow the visible order),
// and the time spent on each question is measured from focus and input, sent in the hidden t.<id> field.

export function mount(form) {
  for (const list of form.querySelectorAll("[data-order]")) enhanceOrder(list);
  trackTime(form);
}

// The page's language is the course's (English notes get English pages).
const english = document.documentElement.lang === "en";

function enhanceOrder(list) {
  list.classList.add("is-enhanced");
  const sync = () => {
    [...list.children].forEach((item, i) => {
      const select = item.querySelector("select");
      if (select) select.value = String(i + 1);
      const up = item.querySelector("[data-move=up]");
      const down = item.querySelector("[data-move=down]");
      if (up) up.disabled = i === 0;
      if (down) down.disabled = i === list.children.length - 1;
    });
  };
  for (const item of list.children) {
    const text = item.querySelector(".order-text")?.textContent ?? "";
    // The select still carries the answer, but it is hidden now: out of the tab order and the
    // accessibility tree, so the buttons are the only stops.
    const select = item.querySelector("select");
    if (select) {
      select.tabIndex = -1;
      select.setAttribute("aria-hidden", "true");
    }
    const controls = document.createElement("span");
    controls.className = "order-controls";
    for (const [dir, label, symbol] of english
      ? [["up", "up", "↑"], ["down", "down", "↓"]]
      : [["up", "上へ", "↑"], ["down", "下へ", "↓"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.move = dir;
      button.textContent = symbol;
      button.setAttribute("aria-label", english ? `Move “${text}” ${label}` : `「${text}」を${label}`);
      button.addEventListener("click", () => {
        const sibling = dir === "up" ? item.previousElementSibling : item.nextElementSibling;
        if (!sibling) return;
        if (dir === "up") list.insertBefore(item, sibling);
        else list.insertBefore(sibling, item);
        sync();
        button.disabled ? item.querySelector("button:not(:disabled)")?.focus() : button.focus();
        const position = [...list.children].indexOf(item) + 1;
        announce(list, english ? `Moved “${text}” to position ${position}` : `「${text}」を ${position} 番目に移動しました`);
      });
      controls.append(button);
    }
    item.append(controls);
  }
  sync();
}

function announce(list, message) {
  let live = list.parentElement.querySelector("[data-order-live]");
  if (!live) {
    live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    live.dataset.orderLive = "";
    list.after(live);
  }
  live.textContent = message;
}

function trackTime(form) {
  const spent = new Map();
  let current = null;
  let since = performance.now();
  const switchTo = (question) => {
    const now = performance.now();
    if (current) spent.set(current, (spent.get(current) ?? 0) + (now - since));
    current = question;
    since = now;
  };
  form.addEventListener("focusin", (e) => switchTo(e.target.closest("[data-question]")));
  form.addEventListener("input", (e) => {
    const q = e.target.closest("[data-question]");
    if (q !== current) switchTo(q);
  });
  form.addEventListener("submit", () => {
    switchTo(null);
    for (const q of form.querySelectorAll("[data-question]")) {
      const field = q.querySelector("[data-time]");
      if (field && spent.has(q)) field.value = String(Math.round(spent.get(q)));
    }
  });
}
