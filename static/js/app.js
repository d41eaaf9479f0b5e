// infra-dojo page script: keyboard shortcuts, the theme toggle, and mounting widgets.
// Everything here is an enhancement: every page works without it.

const isTyping = (el) =>
  el instanceof HTMLElement &&
  (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) || el.closest("[data-widget]") !== null);

// ←/→ move between topics (not while typing or inside a widget, which has its own keys);
// "/" or "s" focus the search box; Esc leaves it.
document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  const search = document.getElementById("site-search");
  if (event.key === "Escape" && document.activeElement === search) {
    search.blur();
    return;
  }
  if (isTyping(document.activeElement)) return;
  if ((event.key === "/" || event.key === "s") && search) {
    event.preventDefault();
    search.focus();
    search.select();
    return;
  }
  if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
    const rel = event.key === "ArrowLeft" ? "prev" : "next";
    const link = document.querySelector(`a[rel="${rel}"]`);
    if (link) {
      event.preventDefault();
      window.location.href = link.href;
    }
  }
});

// Theme: follows the system until the reader chooses; the choice is a cookie the server reads, so the
// next page arrives in the right colours without any inline script.
const toggle = document.querySelector("[data-theme-toggle]");
if (toggle) {
  const root = document.documentElement;
  const effective = () =>
    root.dataset.theme || (window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  // The page's language is the course's (English notes get English chrome).
  const english = root.lang === "en";
  const label = () => {
    const dark = effective() === "dark";
    if (english) {
      toggle.textContent = dark ? "Light theme" : "Dark theme";
      toggle.setAttribute("aria-label", dark ? "Switch to the light theme" : "Switch to the dark theme");
    } else {
      const next = dark ? "ライト" : "ダーク";
      toggle.textContent = `${next}テーマ`;
      toggle.setAttribute("aria-label", `${next}テーマに切り替える`);
    }
  };
  toggle.hidden = false;
  label();
  toggle.addEventListener("click", () => {
    const next = effective() === "dark" ? "light" : "dark";
    root.dataset.theme = next;
    document.cookie = `theme=${next}; path=/; max-age=31536000; SameSite=Lax`;
    label();
  });
}

// Widgets: each `[data-widget=name]` block is server-rendered HTML; its module enhances it. A widget that
// fails keeps its static HTML and says so, and never breaks the page.
for (const el of document.querySelectorAll("[data-widget]")) {
  const name = el.dataset.widget;
  if (!/^[a-z0-9-]+$/.test(name)) continue;
  import(`./widgets/${name}.js`)
    .then((mod) => mod.mount(el))
    .catch((error) => {
      console.error(`widget ${name} failed`, error);
      const note = document.createElement("p");
      note.className = "widget-error";
      note.textContent =
        document.documentElement.lang === "en"
          ? "The diagram could not start. The table below says the same."
          : "図解を動かせませんでした。下の表で同じ内容を読めます。";
      el.prepend(note);
    });
}

// The quiz page's and the review loop's own enhancements.
const quiz = document.querySelector("form[data-quiz], form[data-review]");
if (quiz) {
  import("./quiz.js").then((mod) => mod.mount(quiz)).catch((error) => console.error("quiz script failed", error));
}
