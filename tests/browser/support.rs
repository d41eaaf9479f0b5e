//! The harness: starts the app on 127.0.0.1:0 with a fresh database, a chromedriver on a free port, and a
//! Chromium session with the flags that work on this machine (see DESIGN.md). Also reads the browser's
//! console log, so a test can assert that a page raised no error, and holds the helpers every flow uses
//! ([`wait_for`], [`tap`], [`type_into`], [`sideways_scroll`]), so no test file keeps its own copy.
#![allow(dead_code)]

use crate::backend;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::net::TcpListener as StdListener;
use std::os::unix::process::CommandExt;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Desktop and phone widths used by the tests.
pub const DESKTOP: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (360, 780);

/// A running app, chromedriver and browser session. Dropping it stops chromedriver (and its Chromium).
pub struct Browser {
    pub client: Client,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    driver: Option<Child>,
    _profile: tempfile::TempDir,
    /// Shared with any [`Browser::another`] session on the same app.
    _app: std::sync::Arc<AppHandle>,
}

/// The app under test, served on a loopback port until dropped.
pub struct AppHandle {
    pub base: String,
    pub state: infra_dojo::web::state::AppState,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for AppHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves the app with the embedded content on a free loopback port.
pub async fn serve_app() -> AppHandle {
    serve_content(
        &infra_dojo::content::source::ContentSource::Embedded,
        Default::default(),
    )
    .await
}

/// Serves the app with this content and these settings (e.g. `watch` for `serve --watch`).
pub async fn serve_content(
    source: &infra_dojo::content::source::ContentSource,
    settings: infra_dojo::web::state::Settings,
) -> AppHandle {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, _) = backend::fresh_db(dir.path(), |options| options).await;
    let content = infra_dojo::load_content(source).expect("content");
    let state = infra_dojo::build_state(db, content, settings)
        .await
        .expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = infra_dojo::app(state.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    AppHandle {
        base,
        state,
        _dir: dir,
        task,
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Options for a browser session.
#[derive(Clone, Copy)]
pub struct Options {
    pub javascript: bool,
    pub size: (u32, u32),
}

impl Default for Options {
    fn default() -> Self {
        Options {
            javascript: true,
            size: DESKTOP,
        }
    }
}

impl Browser {
    /// A desktop-sized browser with JavaScript on.
    pub async fn start() -> Browser {
        Browser::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Browser {
        Browser::start_on(std::sync::Arc::new(serve_app().await), options).await
    }

    /// A browser on an app the test started itself (`serve_content`).
    pub async fn start_for(app: AppHandle, options: Options) -> Browser {
        Browser::start_on(std::sync::Arc::new(app), options).await
    }

    /// A second browser session (its own Chromium, cookies and window) on the same app, e.g. a learner
    /// answering while an instructor watches.
    pub async fn another(&self, options: Options) -> Browser {
        Browser::start_on(self._app.clone(), options).await
    }

    async fn start_on(app: std::sync::Arc<AppHandle>, options: Options) -> Browser {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(tool).exists(),
                "{tool} is missing: run `scripts/test`, which installs Debian's chromium and chromium-driver"
            );
        }
        let port = free_port();
        // Its own process group, so stopping it also stops the Chromium it started, even after a panic.
        let driver = Command::new(CHROMEDRIVER)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--hide-scrollbars".into(),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--window-size={},{}", options.size.0, options.size.1),
        ];
        if !options.javascript {
            args.push("--blink-settings=scriptEnabled=false".into());
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));

        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let mut builder =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
            builder.capabilities(caps.clone());
            match builder.connect(&webdriver).await {
                Ok(client) => break client,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot start a Chromium session: {e}"),
            }
        };
        client
            .set_window_size(options.size.0, options.size.1)
            .await
            .expect("window size");
        Browser {
            client,
            base: app.base.clone(),
            driver: Some(driver),

            _profile: profile,
            _app: app,
        }
    }

    pub fn app(&self) -> &AppHandle {
        &self._app
    }

    /// Opens a path of the app and waits for the page to load.
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("goto");
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.fragment() {
            Some(f) => format!("{}#{f}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Waits until the page's path is `path` (after a navigation started by a key or click).
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.client.current_url().await.expect("url");
            if now.path() == path {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "expected to reach {path}, still at {}",
                now.path()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        // A widget re-renders its diagram on every step: the element found may be replaced before its
        // text is read (a stale element). Then the selector is looked up again.
        for _ in 0..5 {
            let element = self
                .client
                .wait()
                .for_element(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css}: {e}"));
            match element.text().await {
                Ok(text) => return text,
                Err(fantoccini::error::CmdError::Standard(e))
                    if e.error == fantoccini::error::ErrorStatus::StaleElementReference => {}
                Err(e) => panic!("text of {css}: {e}"),
            }
        }
        panic!("{css}: replaced five times while its text was read")
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
            .len()
    }

    pub async fn click(&self, css: &str) {
        self.client
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Evaluates JavaScript in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.expect("execute")
    }

    /// Sends one key to whatever has focus (e.g. `"\u{E012}"` for ←, see `keys`).
    pub async fn press(&self, key: &str) {
        let active = self.client.active_element().await.expect("active element");
        active.send_keys(key).await.expect("send keys");
    }

    /// Browser console entries at SEVERE level since the last call.
    pub async fn console_errors(&self) -> Vec<String> {
        let entries = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .unwrap_or(Value::Null);
        entries
            .as_array()
            .map(|list| {
                list.iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .filter_map(|e| e["message"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A PNG of the viewport, written under `target/screenshots/` for a person to look at.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// A PNG of one element (scrolled into view), under `target/screenshots/` like [`Browser::screenshot`].
    pub async fn screenshot_of(&self, css: &str, name: &str) {
        self.eval(&format!(
            "document.querySelector({css:?}).scrollIntoView({{block: 'start'}}); return 1"
        ))
        .await;
        let png = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .screenshot()
            .await
            .expect("element screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Shows the page in `theme` ("light" or "dark"), as the theme button does.
    pub async fn set_theme(&self, theme: &str) {
        self.eval(&format!(
            "document.documentElement.dataset.theme = '{theme}'; return 1"
        ))
        .await;
    }

    /// Ends the session and stops chromedriver.
    pub async fn quit(mut self) {
        let _ = self.client.clone().close().await;
        kill_group(&mut self.driver);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(&mut self.driver);
    }
}

/// Kills chromedriver's whole process group (chromedriver and every Chromium process under it), once.
fn kill_group(driver: &mut Option<Child>) {
    if let Some(mut child) = driver.take() {
        let group = child.id();
        // `--` so the negative number is read as a process group, never as an option.
        if group > 1 {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{group}")])
                .status();
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Waits until `script` (a JS expression) is true, or fails with `what` after 10 s.
pub async fn wait_for(b: &Browser, script: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if b.eval(&format!("return !!({script})")).await == json!(true) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks `css` once it is there, after scrolling it to the middle of the window: chromedriver only
/// scrolls a target to an edge, where the sticky site header covers it.
pub async fn tap(b: &Browser, css: &str) {
    b.text(css).await;
    b.eval(&format!(
        "document.querySelector({css:?}).scrollIntoView({{block: 'center'}}); return 1"
    ))
    .await;
    b.click(css).await;
}

/// Replaces what the field `css` holds with `text`, typed as a user would.
pub async fn type_into(b: &Browser, css: &str, text: &str) {
    let field = b
        .client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

/// How far the page scrolls sideways, in CSS pixels (0 when it fits the window).
pub async fn sideways_scroll(b: &Browser) -> i64 {
    b.eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await
        .as_i64()
        .unwrap_or(i64::MAX)
}

/// WebDriver key codes.
pub mod keys {
    pub const LEFT: &str = "\u{E012}";
    pub const RIGHT: &str = "\u{E014}";
    pub const HOME: &str = "\u{E011}";
    pub const END: &str = "\u{E010}";
    pub const ENTER: &str = "\u{E007}";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const TAB: &str = "\u{E004}";
    pub const SPACE: &str = " ";
}

/// chromedriver's log endpoint (`POST /session/{id}/se/log`), which fantoccini does not wrap.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

/// axe-core's script (`scripts/install-axe` puts it under `tests/browser/axe/node_modules`), read once.
/// A missing file is installed here, so `cargo test --test browser` works on its own; if that fails the
/// test fails: accessibility checks are never skipped.
fn axe_source() -> &'static str {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let file = root.join("tests/browser/axe/node_modules/axe-core/axe.min.js");
        if !file.exists() {
            let status = Command::new(root.join("scripts/install-axe"))
                .status()
                .expect("run scripts/install-axe");
            assert!(
                status.success(),
                "scripts/install-axe failed: axe-core (npm) is needed for the accessibility checks"
            );
        }
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
    })
}

/// One axe-core finding, as the failure message lists it.
fn describe_violation(v: &Value) -> String {
    let targets: Vec<String> = v["nodes"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .take(6)
                .map(|n| {
                    let target = n["target"].to_string();
                    let why = n["failureSummary"]
                        .as_str()
                        .unwrap_or_default()
                        .lines()
                        .nth(1)
                        .unwrap_or_default()
                        .trim()
                        .to_string();
                    format!("      {target} {why}")
                })
                .collect()
        })
        .unwrap_or_default();
    format!(
        "  {} ({}, {} element(s)): {}\n{}",
        v["id"].as_str().unwrap_or("?"),
        v["impact"].as_str().unwrap_or("?"),
        v["nodes"].as_array().map_or(0, Vec::len),
        v["help"].as_str().unwrap_or_default(),
        targets.join("\n")
    )
}

/// The serious and critical axe-core violations on the page as it is now, in the theme it shows.
pub async fn axe_violations(b: &Browser) -> Vec<String> {
    // Injected over WebDriver, not by the page: the app's CSP stays as strict as it is.
    b.client
        .execute(
            &format!(
                "if (!window.axe) {{ {} }} return !!window.axe",
                axe_source()
            ),
            vec![],
        )
        .await
        .expect("inject axe-core");
    let result = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations), e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    result
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
                .map(describe_violation)
                .collect()
        })
        .unwrap_or_default()
}

/// Fails unless axe-core finds no serious or critical violation on the page as it is now, in the light
/// theme and in the dark one (switched the way the theme button does, then put back). `what` names the
/// page's state in the message, e.g. `"/topics/tcp after stepping"`. One line per check, for every test.
pub async fn assert_accessible(b: &Browser, what: &str) {
    let before = b
        .eval("return document.documentElement.dataset.theme || null")
        .await;
    let mut failures = Vec::new();
    for theme in ["light", "dark"] {
        b.eval(&format!(
            "document.documentElement.dataset.theme = '{theme}'; return 1"
        ))
        .await;
        let found = axe_violations(b).await;
        if !found.is_empty() {
            failures.push(format!("{what} ({theme}):\n{}", found.join("\n")));
        }
    }
    b.eval(&format!(
        "const t = {before}; if (t) document.documentElement.dataset.theme = t; else delete document.documentElement.dataset.theme; return 1"
    ))
    .await;
    assert!(
        failures.is_empty(),
        "axe-core: serious or critical violations\n{}",
        failures.join("\n")
    );
}

/// Lays the page out for `media` (`"print"`, or `""` for the screen again), through chromedriver's
/// DevTools bridge: what a printout shows, without a printer.
pub async fn emulate_media(b: &Browser, media: &str) {
    b.client
        .issue_cmd(Cdp {
            cmd: "Emulation.setEmulatedMedia",
            params: json!({ "media": media }),
        })
        .await
        .expect("emulate media");
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute`: one Chrome DevTools Protocol command.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()),
        )
    }
}

/// Diagram text drawn smaller than `min_px` CSS pixels inside `css` (an SVG or what holds one): each as
/// "text (size px)". Sizes are the font size times the SVG's scale on screen, so a viewBox shrunk to a
/// phone counts.
pub async fn small_diagram_text(b: &Browser, css: &str, min_px: f64) -> Vec<String> {
    let found = b
        .eval(&format!(
            "const out = [];
             for (const t of document.querySelectorAll({css:?} + ' svg text')) {{
               if (!t.textContent.trim() || !t.checkVisibility() || t.getBBox().width === 0) continue;
               const m = t.getScreenCTM();
               if (!m) continue;
               const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
               if (px < {min_px} - 0.05) out.push(`${{t.textContent.trim().slice(0, 30)}} (${{px.toFixed(1)}} px, .${{t.getAttribute('class') || t.parentNode.getAttribute('class')}})`);
             }}
             return out;"
        ))
        .await;
    found
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
