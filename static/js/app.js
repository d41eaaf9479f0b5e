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
  // The page's language is the course's (English notes get English chrome). The button says what it does
  // in visible text only, so its accessible name is what a reader sees.
  const english = root.lang === "en";
  const text = toggle.querySelector(".theme-toggle-text");
  const icon = toggle.querySelector(".theme-toggle-icon");
  const label = () => {
    const dark = effective() === "dark";
    if (english) text.textContent = dark ? "Light theme" : "Dark theme";
    else text.textContent = `${dark ? "ライト" : "ダーク"}テーマにする`;
    icon.textContent = dark ? "☀" : "☾";
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

// Phone menu: the link that jumps to the course navigation (after the page) becomes a button that opens
// it as a drawer over the page. While it is open the rest of the page is inert, Esc or the close button
// shuts it, and focus goes back to the button.
const navLink = document.querySelector("a[data-nav-toggle]");
const nav = document.getElementById("course-nav");
if (navLink && nav) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = navLink.className;
  button.dataset.navToggle = "";
  button.textContent = navLink.textContent;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", nav.id);
  navLink.replaceWith(button);
  const close = document.createElement("button");
  close.type = "button";
  close.className = "nav-close";
  close.textContent = navLink.dataset.closeLabel || "閉じる";
  nav.prepend(close);
  const outside = () => [...document.body.children].filter((el) => el !== nav && !el.contains(nav) && el.tagName !== "SCRIPT");
  const behind = () => [...outside(), ...[...nav.parentElement.children].filter((el) => el !== nav)];
  const setOpen = (open) => {
    button.setAttribute("aria-expanded", String(open));
    document.documentElement.classList.toggle("nav-open", open);
    for (const el of behind()) el.inert = open;
    if (open) (nav.querySelector("a[aria-current]") || nav.querySelector("a"))?.focus();
    else button.focus();
  };
  button.addEventListener("click", () => setOpen(button.getAttribute("aria-expanded") !== "true"));
  close.addEventListener("click", () => setOpen(false));
  // A tap on the dimmed page beside the drawer (inert, so the event lands on the document) closes it.
  document.addEventListener("click", (event) => {
    if (button.getAttribute("aria-expanded") === "true" && !nav.contains(event.target) && event.target !== button) setOpen(false);
  });
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      event.preventDefault();
      setOpen(false);
    }
  });
  // Wider than a phone the navigation is beside the page: a drawer left open closes.
  window.matchMedia("(min-width: 960px)").addEventListener("change", (e) => {
    if (e.matches && button.getAttribute("aria-expanded") === "true") setOpen(false);
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
