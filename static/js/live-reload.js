// Live reload for authors, loaded only when the server runs with `serve --watch` (base.html adds it then).
// The server sends its whole status on connect and after every change of the content folder
// (src/web/live_reload.rs): the version it serves, and the problems of the newest files on disk. This page
// reloads when the version is not the one it was made from, and otherwise lists the problems over the
// page until they are fixed. The DOM is built with textContent only: problem messages quote the author's
// files, which are text, never markup.

const meta = document.querySelector('meta[name="infra-dojo-watch"]');
const pageVersion = meta ? meta.content : "";

let overlay = null;
// The problem list the reader closed, so the same list does not open again on a reconnect.
let dismissed = "";

const where = (problem) => (problem.line > 0 ? `${problem.file}:${problem.line}` : String(problem.file));

const hide = () => {
  if (overlay) overlay.hidden = true;
};

const show = (problems) => {
  const key = JSON.stringify(problems);
  if (problems.length === 0) {
    dismissed = "";
    hide();
    return;
  }
  if (key === dismissed) return;
  if (!overlay) {
    overlay = document.createElement("section");
    overlay.className = "live-reload-overlay";
    overlay.setAttribute("role", "alert");
    overlay.setAttribute("aria-labelledby", "live-reload-title");
    document.body.append(overlay);
    overlay.addEventListener("click", (event) => {
      if (event.target instanceof Element && event.target.closest(".live-reload-close")) {
        dismissed = overlay.dataset.problems || "";
        hide();
      }
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && overlay && !overlay.hidden) {
        dismissed = overlay.dataset.problems || "";
        hide();
      }
    });
  }
  overlay.dataset.problems = key;

  const head = document.createElement("div");
  head.className = "live-reload-head";
  const title = document.createElement("h2");
  title.id = "live-reload-title";
  title.textContent = `コンテンツに問題があります（${problems.length} 件）`;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "live-reload-close";
  close.textContent = "閉じる";
  head.append(title, close);

  const note = document.createElement("p");
  note.textContent =
    "表示しているのは、最後に問題なく読み込めた版です。ファイルを直して保存すると、このページは自動で読み込み直されます。";

  const list = document.createElement("ol");
  list.className = "live-reload-problems";
  for (const problem of problems) {
    const item = document.createElement("li");
    const code = document.createElement("code");
    code.className = "live-reload-where";
    code.textContent = where(problem);
    item.append(code, document.createTextNode(`: ${problem.message}`));
    list.append(item);
  }

  overlay.replaceChildren(head, note, list);
  overlay.hidden = false;
};

if (pageVersion && "EventSource" in window) {
  // EventSource reconnects by itself; a restarted server has a new version, so the page reloads then too.
  const events = new EventSource("/_watch/events");
  events.addEventListener("status", (event) => {
    let status;
    try {
      status = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!status || typeof status.version !== "string") return;
    if (status.version !== pageVersion) {
      events.close();
      window.location.reload();
      return;
    }
    show(Array.isArray(status.problems) ? status.problems : []);
  });
}
