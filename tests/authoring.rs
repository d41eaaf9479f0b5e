//! Authoring (issue 17): `infra-dojo new` makes a folder `check` accepts and never overwrites one;
//! `serve --watch` needs a content folder; under --watch an edit of the folder is served without a
//! restart, a broken edit keeps the last good version served while the live-reload endpoint reports each
//! problem as file:line, and fixing it recovers; results of a question removed by a reload stay readable;
//! without --watch there is no script, no endpoint and no watcher.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;
use http_body_util::BodyExt;
use infra_dojo::content::source::ContentSource;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const BIN: &str = env!("CARGO_BIN_EXE_infra-dojo");

/// How long a change may take to be served: the watcher polls every 250 ms, so this is generous.
const DEADLINE: Duration = Duration::from_secs(15);

/// A content folder made by `new`, inside a temporary directory.
fn scaffolded() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("mycourse");
    infra_dojo::scaffold::create(&root, infra_dojo::content::Language::Ja).expect("scaffold");
    (dir, root)
}

/// An app serving `root` with --watch, its watcher running.
async fn watched(root: &Path) -> (TestApp, tokio::task::JoinHandle<()>) {
    let watcher = infra_dojo::web::watch::Watcher::new(root.to_path_buf());
    let settings = infra_dojo::web::state::Settings {
        watch: true,
        ..Default::default()
    };
    let app = common::app_with_db(
        &ContentSource::Dir(root.to_path_buf()),
        settings,
        |options| options,
    )
    .await;
    let task = watcher.spawn(app.state.clone());
    (app, task)
}

/// The content version a page says it shows.
fn page_version(page: &common::Reply) -> Option<String> {
    page.attrs("meta[name=infra-dojo-watch]", "content")
        .into_iter()
        .next()
}

/// An open `/_watch/events` stream.
struct Events {
    body: Body,
    buffer: String,
}

impl Events {
    async fn open(app: &TestApp) -> Events {
        let response = app
            .router
            .clone()
            .oneshot(
                Request::get("/_watch/events")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"].to_str().ok(),
            Some("text/event-stream")
        );
        Events {
            body: response.into_body(),
            buffer: String::new(),
        }
    }

    /// The next `status` event's data (keep-alive comments are skipped), waiting at most [`DEADLINE`].
    async fn next(&mut self) -> Value {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let raw: String = self.buffer.drain(..end + 2).collect();
                let mut event = None;
                let mut data = None;
                for line in raw.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        event = Some(v.to_string());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data = Some(v.to_string());
                    }
                }
                if event.as_deref() == Some("status") {
                    return serde_json::from_str(&data.expect("data")).expect("JSON data");
                }
                continue;
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .expect("an event before the deadline")
                .expect("the stream stays open")
                .expect("a frame");
            if let Ok(bytes) = frame.into_data() {
                self.buffer
                    .push_str(std::str::from_utf8(&bytes).expect("UTF-8"));
            }
        }
    }
}

/// The status a page connecting now is told.
async fn status(app: &TestApp) -> Value {
    Events::open(app).await.next().await
}

/// Polls `check` until it holds, failing after [`DEADLINE`] with `what`.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + DEADLINE;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The next status that reports problems.
async fn next_with_problems(events: &mut Events) -> Value {
    loop {
        let status = events.next().await;
        if !problems(&status).is_empty() {
            return status;
        }
    }
}

fn problems(status: &Value) -> Vec<String> {
    status["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            format!(
                "{}:{}: {}",
                p["file"].as_str().expect("file"),
                p["line"],
                p["message"].as_str().expect("message")
            )
        })
        .collect()
}

#[test]
fn new_makes_a_folder_that_check_accepts_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("mycourse");
    let made = Command::new(BIN)
        .arg("new")
        .arg(&root)
        .output()
        .expect("run");
    assert!(made.status.success(), "{made:?}");
    let stdout = String::from_utf8_lossy(&made.stdout);
    assert!(
        stdout.contains("notes.md") && stdout.contains("--watch"),
        "{stdout}"
    );

    let check = Command::new(BIN)
        .args(["check", "--content"])
        .arg(&root)
        .output()
        .expect("run");
    assert!(check.status.success(), "{check:?}");
    assert!(String::from_utf8_lossy(&check.stdout).contains("topics: 1, questions: 4"));

    // Again on the same folder: refused, nothing touched.
    let notes = std::fs::read_to_string(root.join("notes.md")).expect("notes");
    std::fs::write(root.join("notes.md"), "# 書きかけ\n").expect("edit");
    let again = Command::new(BIN)
        .arg("new")
        .arg(&root)
        .output()
        .expect("run");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("空のフォルダーではありません"),
        "{again:?}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("notes.md")).expect("notes"),
        "# 書きかけ\n"
    );
    assert_ne!(notes, "# 書きかけ\n");

    // A folder holding anything at all (here one unrelated file) is not empty either.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join("memo.txt"), "x").expect("write");
    let refused = Command::new(BIN)
        .arg("new")
        .arg(&other)
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(1));
    assert!(!other.join("notes.md").exists());
}

/// `new --language en` writes the same course in English, which `check` accepts and serves in English.
#[test]
fn new_in_english_makes_an_english_course() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("english");
    let made = Command::new(BIN)
        .args(["new", "--language", "en"])
        .arg(&root)
        .output()
        .expect("run");
    assert!(made.status.success(), "{made:?}");
    let course = std::fs::read_to_string(root.join("course.toml")).expect("course.toml");
    assert!(course.contains("language = \"en\""), "{course}");
    let check = Command::new(BIN)
        .args(["check", "--content"])
        .arg(&root)
        .output()
        .expect("run");
    assert!(check.status.success(), "{check:?}");
    assert!(String::from_utf8_lossy(&check.stdout).contains("topics: 1, questions: 4"));
    let bad = Command::new(BIN)
        .args(["new", "--language", "fr"])
        .arg(dir.path().join("french"))
        .output()
        .expect("run");
    assert_eq!(
        bad.status.code(),
        Some(2),
        "clap refuses an unknown language"
    );
    assert!(!dir.path().join("french").exists());
}

#[test]
fn watch_needs_a_content_folder() {
    let db = tempfile::tempdir().expect("temp dir");
    let out = Command::new(BIN)
        .args(["serve", "--watch", "--bind", "127.0.0.1:0", "--db"])
        .arg(db.path().join("x.db"))
        .env_remove("INFRA_DOJO_CONTENT")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--watch には --content DIR が必要です"),
        "{stderr}"
    );
    assert!(
        !db.path().join("x.db").exists(),
        "refused before opening anything"
    );
}

#[tokio::test]
async fn without_watch_there_is_no_script_and_no_endpoint() {
    let (_dir, root) = scaffolded();
    let app = common::app_with(&ContentSource::Dir(root)).await;
    assert!(app.state.live_reload.is_none());
    for path in ["/", "/topics/tcp-states"] {
        let page = app.get(path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page_version(&page), None, "{path}");
        assert!(!page.body.contains("live-reload"), "{path}");
    }
    assert_eq!(
        app.get("/_watch/events").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_served_and_a_broken_edit_keeps_the_last_good_version() {
    let (_dir, root) = scaffolded();
    let (app, watcher) = watched(&root).await;

    // Pre-rendered (anonymous topic) and per-request (home) pages both carry the script and the version.
    let page = app.get("/topics/tcp-states").await;
    let v0 = page_version(&page).expect("a version in the page");
    assert_eq!(
        page_version(&app.get("/").await).as_deref(),
        Some(v0.as_str())
    );
    let script = page.attrs("script[src$='/js/live-reload.js']", "src");
    assert_eq!(script.len(), 1);
    assert_eq!(app.get(&script[0]).await.status, StatusCode::OK);
    let first = status(&app).await;
    assert_eq!(first["version"], v0.as_str());
    assert_eq!(problems(&first), Vec::<String>::new());

    // 1. An edit of the notes, and a new supplement: served without a restart.
    let notes_path = root.join("notes.md");
    let notes = std::fs::read_to_string(&notes_path).expect("notes");
    std::fs::write(
        &notes_path,
        format!("{notes}- 書き足した一行: CLOSE-WAIT は相手の FIN を受け取った側の状態\n"),
    )
    .expect("edit notes");
    std::fs::create_dir(root.join("supplements")).expect("mkdir");
    std::fs::write(
        root.join("supplements/tcp-states.md"),
        "状態は `ss -tan` で見られます。\n",
    )
    .expect("supplement");
    eventually("the edited notes and the supplement are served", || async {
        let page = app.get("/topics/tcp-states").await;
        page.body.contains("書き足した一行") && page.body.contains("ss -tan")
    })
    .await;
    let page = app.get("/topics/tcp-states").await;
    // The compressed bytes are made again with each version too, and the fast path serves them.
    for encoding in ["br", "gzip"] {
        let packed = common::raw(
            infra_dojo::service(app.state.clone()),
            common::get_with("/topics/tcp-states", &[("accept-encoding", encoding)]),
        )
        .await;
        assert_eq!(packed.header("content-encoding"), Some(encoding));
        assert_eq!(packed.decoded(), page.body);
    }
    let v1 = page_version(&page).expect("version");
    assert_ne!(v1, v0, "a new version, so open pages reload");
    assert_eq!(status(&app).await["version"], v1.as_str());

    // 2. A broken edit: an annotation anchored to a phrase that is not in the notes. A page listening
    // since before is told where; nothing new is served, not even the notes saved with it.
    let mut listening = Events::open(&app).await;
    assert_eq!(listening.next().await["version"], v1.as_str());
    let annotation_path = root.join("annotations/tcp-states.md");
    let annotation = std::fs::read_to_string(&annotation_path).expect("annotation");
    std::fs::write(
        &annotation_path,
        annotation.replace("TIME-WAIT は 2×MSL 続く", "ノートにない一文"),
    )
    .expect("break the anchor");
    std::fs::write(&notes_path, format!("{notes}- 壊れている間に書いた一行\n"))
        .expect("edit notes");
    let broken = next_with_problems(&mut listening).await;
    let listed = problems(&broken);
    let anchor = format!(
        "{}:1: anchor \"ノートにない一文\" がトピック \"TCP の状態\" のノートに見つかりません",
        annotation_path.display()
    );
    assert_eq!(listed, vec![anchor]);
    assert_eq!(
        broken["version"],
        v1.as_str(),
        "still the last good version"
    );
    // A page opened now gets the same report at once.
    assert_eq!(problems(&status(&app).await), listed);
    let page = app.get("/topics/tcp-states").await;
    assert_eq!(page_version(&page).as_deref(), Some(v1.as_str()));
    assert!(page.body.contains("書き足した一行"));
    assert!(!page.body.contains("壊れている間に書いた一行"));

    // 3. The anchor fixed, but the question bank no longer TOML: the report moves to the bank's line.
    std::fs::write(&annotation_path, &annotation).expect("fix the anchor");
    let quiz_path = root.join("quizzes/tcp-states.toml");
    let quiz = std::fs::read_to_string(&quiz_path).expect("quiz");
    std::fs::write(&quiz_path, format!("{quiz}\n[[question]\n")).expect("break the TOML");
    let broken = loop {
        let status = next_with_problems(&mut listening).await;
        if problems(&status) != listed {
            break status;
        }
    };
    let listed = problems(&broken);
    let bank = format!(
        "{}:{}: 問題ファイルを読めません",
        quiz_path.display(),
        quiz.lines().count() + 2
    );
    assert!(
        listed.len() == 1 && listed[0].starts_with(&bank),
        "{bank} in {listed:#?}"
    );
    assert_eq!(broken["version"], v1.as_str());

    // 4. Fixed: the newest notes are served, and the report is gone.
    std::fs::write(&quiz_path, &quiz).expect("fix the TOML");
    let fixed = loop {
        let status = listening.next().await;
        if status["version"] != v1.as_str() {
            break status;
        }
    };
    assert_eq!(problems(&fixed), Vec::<String>::new());
    let page = app.get("/topics/tcp-states").await;
    assert_eq!(page_version(&page).as_deref(), fixed["version"].as_str());
    assert!(page.body.contains("壊れている間に書いた一行"));
    assert_eq!(page.texts(".annotation").len(), 1);
    watcher.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_of_a_question_removed_by_a_reload_stay_readable() {
    let (_dir, root) = scaffolded();
    let (app, watcher) = watched(&root).await;
    let c = app.client();
    c.sign_up("author").await;
    let page = c.get("/topics/tcp-states/quiz").await;
    assert_eq!(page.status, StatusCode::OK);
    let pairs = common::answer_quiz(&app, &page, &[]);
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = c.post_form("/topics/tcp-states/quiz", &refs).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let results_url = done.header("location").expect("location").to_string();
    assert_eq!(c.get(&results_url).await.texts(".result-item").len(), 4);

    // The author deletes the last question (the order one).
    let quiz_path = root.join("quizzes/tcp-states.toml");
    let quiz = std::fs::read_to_string(&quiz_path).expect("quiz");
    let cut = quiz.rfind("[[question]]").expect("a question");
    std::fs::write(&quiz_path, &quiz[..cut]).expect("remove a question");
    eventually("the shorter bank is served", || async {
        app.state.content().quizzes.topic("tcp-states").len() == 3
    })
    .await;

    let results = c.get(&results_url).await;
    assert_eq!(results.status, StatusCode::OK);
    assert_eq!(results.texts(".result-item").len(), 3);
    assert_eq!(c.get("/me").await.status, StatusCode::OK);
    assert_eq!(c.get("/me/review").await.status, StatusCode::OK);
    watcher.abort();
}
