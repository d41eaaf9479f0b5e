//! Shared by the integration tests, so each test reads like the story it tells: an app on a fresh
//! temporary SQLite file, or a fresh PostgreSQL database (`common::backend`) (`common::app()`), browser-like clients that keep their cookies, accounts made
//! the way people make them (`app.learner("aki")` signs up through the form, `app.instructor("teacher")`
//! is created as the CLI does and logs in through the form), "an instructor with a class"
//! (`teacher.create_class("1年A組")`), "a learner who answered" (`app.answer_topic(…)`), and the counts
//! tests check to see that nothing was written.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use infra_dojo::content::source::ContentSource;
use infra_dojo::store::{self, quiz::NewAnswer};
use sqlx::sqlite::SqliteConnectOptions;
use tower::ServiceExt;

pub mod backend;
pub mod widget_api;

/// Every test account's password.
pub const PASSWORD: &str = "correct horse battery";

/// An app with the embedded content and its own database file (removed with the `TempDir`).
pub struct TestApp {
    pub router: axum::Router,
    pub state: infra_dojo::web::state::AppState,
    /// What `--db` would say for this app's database: its file, or its PostgreSQL URL.
    pub database: String,
    _dir: std::sync::Arc<tempfile::TempDir>,
}

pub async fn app() -> TestApp {
    app_with(&ContentSource::Embedded).await
}

pub async fn app_with(source: &ContentSource) -> TestApp {
    app_with_db(source, Default::default(), |options| options).await
}

/// An app served as behind HTTPS (`--secure-cookies`).
pub async fn secure_app() -> TestApp {
    let settings = infra_dojo::web::state::Settings {
        secure_cookies: true,
        ..Default::default()
    };
    app_with_db(&ContentSource::Embedded, settings, |options| options).await
}

/// An app with these settings whose database connections are opened with `adjust`ed options (a page
/// limit, say).
pub async fn app_with_db(
    source: &ContentSource,
    settings: infra_dojo::web::state::Settings,
    adjust: impl FnOnce(SqliteConnectOptions) -> SqliteConnectOptions,
) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, database) = backend::fresh_db(dir.path(), adjust).await;
    let content = infra_dojo::load_content(source).expect("content loads");
    let state = infra_dojo::build_state(db, content, settings)
        .await
        .expect("state");
    TestApp {
        router: infra_dojo::app(state.clone()),
        state,
        database,
        _dir: std::sync::Arc::new(dir),
    }
}

impl TestApp {
    /// A second instance of the app on the same database, as a balancer's second upstream would be: its own
    /// pool, attempt writer, caches and memory; nothing shared with this one but the database.
    pub async fn another_instance(&self) -> TestApp {
        let db = infra_dojo::db::Db::open(std::path::Path::new(&self.database), true)
            .await
            .expect("open the same database");
        let content = infra_dojo::load_content(&ContentSource::Embedded).expect("content loads");
        let state = infra_dojo::build_state(db, content, self.state.settings.clone())
            .await
            .expect("state");
        TestApp {
            router: infra_dojo::app(state.clone()),
            state,
            database: self.database.clone(),
            _dir: self._dir.clone(),
        }
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body's length in bytes as sent (compressed, when the request asked for it).
    pub bytes: usize,
}

impl Reply {
    pub fn html(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.body)
    }

    /// Texts of every element matching `selector`.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let sel = scraper::Selector::parse(selector).expect("selector");
        self.html()
            .select(&sel)
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect()
    }

    /// An attribute of every element matching `selector`.
    pub fn attrs(&self, selector: &str, attr: &str) -> Vec<String> {
        let sel = scraper::Selector::parse(selector).expect("selector");
        self.html()
            .select(&sel)
            .filter_map(|e| e.value().attr(attr).map(str::to_string))
            .collect()
    }

    /// The cells (`th` and `td`) of every row matching `rows`, as trimmed texts: a table as a test
    /// reads it.
    pub fn rows(&self, rows: &str) -> Vec<Vec<String>> {
        let html = self.html();
        let rows = scraper::Selector::parse(rows).expect("selector");
        let cells = scraper::Selector::parse("th, td").expect("selector");
        html.select(&rows)
            .map(|r| {
                r.select(&cells)
                    .map(|c| c.text().collect::<String>().trim().to_string())
                    .collect()
            })
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    /// The database file.
    pub fn db_path(&self) -> std::path::PathBuf {
        self._dir.path().join("test.db")
    }

    pub async fn request(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Reply {
            status,
            headers,
            bytes: bytes.len(),

            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.request(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }
}

/// A browser-like client for router tests: keeps its cookies (session, CSRF) between requests.
pub struct Client<'a> {
    pub app: &'a TestApp,
    /// name → value, as the server last set them.
    pub cookies: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
    /// The peer address its requests come from (as `ConnectInfo`, like `serve` gives); none by default,
    /// which the app sees as "unknown".
    pub address: Option<std::net::SocketAddr>,
}

impl TestApp {
    pub fn client(&self) -> Client<'_> {
        Client {
            app: self,
            cookies: Default::default(),
            address: None,
        }
    }

    /// A client on its own machine at `ip` (`"198.51.100.7"`, `"2001:db8::1"`).
    pub fn client_at(&self, ip: &str) -> Client<'_> {
        Client {
            address: Some(std::net::SocketAddr::new(
                ip.parse().expect("an IP address"),
                40000,
            )),
            ..self.client()
        }
    }

    /// The same app with `change` applied to its state first (say, another password hashing limit).
    pub fn with_state(self, change: impl FnOnce(&mut infra_dojo::web::state::AppState)) -> TestApp {
        let mut state = self.state;
        change(&mut state);
        TestApp {
            router: infra_dojo::app(state.clone()),
            state,
            database: self.database,
            _dir: self._dir,
        }
    }
}

/// `application/x-www-form-urlencoded` encoding of pairs.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.*".contains(&b) {
                    (b as char).to_string()
                } else if b == b' ' {
                    "+".into()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl TestApp {
    /// Sends all `requests` at once, each on its own clone of the router, and returns their statuses.
    pub async fn all_at_once(&self, requests: Vec<Request<Body>>) -> Vec<StatusCode> {
        let mut set = tokio::task::JoinSet::new();
        for req in requests {
            let router = self.router.clone();
            set.spawn(async move { router.oneshot(req).await.expect("infallible").status() });
        }
        let mut statuses = Vec::new();
        while let Some(status) = set.join_next().await {
            statuses.push(status.expect("request task"));
        }
        statuses
    }
}

impl Client<'_> {
    /// `req` as this client sends it: its cookies, its peer address.
    pub fn prepare(&self, mut req: Request<Body>) -> Request<Body> {
        if let Some(header) = self.cookie_header() {
            req.headers_mut().insert("cookie", header.parse().unwrap());
        }
        if let Some(address) = self.address {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(address));
        }
        req
    }

    /// A form POST as this client would send it, to send later (say, many at once).
    pub fn form_request(&self, uri: &str, pairs: &[(&str, &str)]) -> Request<Body> {
        self.prepare(
            Request::post(uri)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(form_encode(pairs)))
                .unwrap(),
        )
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let req = self.prepare(req);
        let reply = self.app.request(req).await;
        let mut jar = self.cookies.lock().unwrap();
        for set in reply.headers.get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            // A removal is an expired cookie, or one with Max-Age=0. Only the attributes say so: a random
            // value (a CSRF token, a session id) may well contain "1970", and reading the whole line made
            // about one fresh client in two thousand lose its token (a 403 in the auth and quiz tests).
            if attributes.contains("Max-Age=0") || attributes.contains("1970") {
                jar.remove(name);
            } else {
                jar.insert(name.to_string(), value.to_string());
            }
        }
        reply
    }

    /// The `Cookie` header this client sends, if it has any cookie.
    pub fn cookie_header(&self) -> Option<String> {
        let jar = self.cookies.lock().unwrap();
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_form(&self, uri: &str, pairs: &[(&str, &str)]) -> Reply {
        let req = Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form_encode(pairs)))
            .unwrap();
        self.send(req).await
    }

    pub async fn post_json(&self, uri: &str, json: &serde_json::Value) -> Reply {
        let req = Request::post(uri)
            .header("content-type", "application/json")
            .body(Body::from(json.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// The CSRF token of the first form on a page.
    pub async fn csrf(&self, uri: &str) -> String {
        self.get(uri)
            .await
            .attrs("input[name=csrf]", "value")
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no csrf on {uri}"))
    }

    /// Form fields given as owned pairs (a quiz answered by `answer_quiz`), posted.
    pub async fn post_pairs(&self, uri: &str, pairs: &[(String, String)]) -> Reply {
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post_form(uri, &refs).await
    }

    /// Signs up (and so signs in) a learner shown as "{name} さん".
    pub async fn sign_up(&self, name: &str) -> Reply {
        self.sign_up_as(name, &format!("{name} さん")).await
    }

    /// Signs up (and so signs in) a learner with the display name of our choosing.
    pub async fn sign_up_as(&self, name: &str, display_name: &str) -> Reply {
        let csrf = self.csrf("/signup").await;
        self.post_form(
            "/signup",
            &[
                ("csrf", &csrf),
                ("name", name),
                ("display_name", display_name),
                ("password", PASSWORD),
                ("next", "/me"),
            ],
        )
        .await
    }

    /// Logs in through the login form.
    pub async fn log_in(&self, name: &str, password: &str) -> Reply {
        let csrf = self.csrf("/login").await;
        self.post_form(
            "/login",
            &[("csrf", &csrf), ("name", name), ("password", password)],
        )
        .await
    }

    /// Creates a class through the instructor's form; its id and join code.
    pub async fn create_class(&self, name: &str) -> (i64, String) {
        let csrf = self.csrf("/instructor").await;
        let reply = self
            .post_form("/instructor/classes", &[("csrf", &csrf), ("name", name)])
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let id: i64 = reply
            .header("location")
            .and_then(|l| l.strip_prefix("/instructor/classes/"))
            .and_then(|id| id.parse().ok())
            .expect("the new class's page");
        let class = store::classes::by_id(&self.app.state.db, id)
            .await
            .unwrap()
            .expect("the class");
        (id, class.join_code)
    }

    /// Joins a class with its code, through the form on `/me`.
    pub async fn join_class(&self, code: &str) -> Reply {
        let csrf = self.csrf("/me").await;
        self.post_form("/me/classes/join", &[("csrf", &csrf), ("code", code)])
            .await
    }
}

/// A signed-in account: its client (cookies and all) and its user id. Derefs to the client, so
/// `teacher.get(…)` reads as the teacher opening a page.
pub struct Account<'a> {
    pub client: Client<'a>,
    pub id: i64,
}

impl<'a> std::ops::Deref for Account<'a> {
    type Target = Client<'a>;

    fn deref(&self) -> &Client<'a> {
        &self.client
    }
}

impl TestApp {
    /// Rows in `table`, which may carry a filter: `count("app_user where role <> 'guest'")`.
    pub async fn count(&self, table: &str) -> i64 {
        let (n,): (i64,) = infra_dojo::on!(&self.state.db, pool => sqlx::query_as(&format!("select count(*) from {table}"))
            .fetch_one(pool)
            .await)
            .unwrap();
        n
    }

    /// The id of the account with this login name.
    pub async fn user_id(&self, name: &str) -> i64 {
        store::users::by_name(&self.state.db, name)
            .await
            .unwrap()
            .expect("an account with that name")
            .user_id
    }

    /// Moves every throttle lane of `kind` back by `ms`, as if that much time had passed since its last
    /// attempt (tests never sleep through a throttle).
    pub async fn time_passes(&self, kind: &str, ms: i64) {
        infra_dojo::on!(&self.state.db, pool => sqlx::query("update throttle set last_at = last_at - $1 where kind = $2")
            .bind(ms)
            .bind(kind)
            .execute(pool)
            .await.map(|r| r.rows_affected()))
            .unwrap();
    }

    /// A learner who signed up through the form, shown as "{name} さん".
    pub async fn learner(&self, name: &str) -> Account<'_> {
        self.learner_as(name, &format!("{name} さん")).await
    }

    /// A learner who signed up through the form with the display name of our choosing.
    pub async fn learner_as(&self, name: &str, display_name: &str) -> Account<'_> {
        let client = self.client();
        let reply = client.sign_up_as(name, display_name).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let id = self.user_id(name).await;
        Account { client, id }
    }

    /// An instructor shown as "{name} 先生": created as `infra-dojo user add --instructor` does (no one
    /// signs up as an instructor), then logged in through the form.
    pub async fn instructor(&self, name: &str) -> Account<'_> {
        self.instructor_as(name, &format!("{name} 先生")).await
    }

    /// An instructor with the display name of our choosing.
    pub async fn instructor_as(&self, name: &str, display_name: &str) -> Account<'_> {
        let hash = infra_dojo::auth::password::hash(PASSWORD).unwrap();
        let id = store::users::create(
            &self.state.db,
            name,
            display_name,
            &hash,
            infra_dojo::auth::Role::Instructor,
            store::now(),
        )
        .await
        .unwrap();
        let client = self.client();
        let reply = client.log_in(name, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        Account { client, id }
    }

    /// Stores an attempt of `user` on `topic` made at `at` with these answers (numbered in order), as
    /// the quiz would have.
    pub async fn record(
        &self,
        token: &str,
        user: i64,
        topic: &str,
        at: i64,
        mut answers: Vec<NewAnswer>,
    ) {
        for (i, a) in answers.iter_mut().enumerate() {
            a.position = i as i64;
        }
        store::quiz::record_attempt(&self.state.db, token, user, topic, 42, 5000, &answers, at)
            .await
            .unwrap();
    }

    /// A learner who answered: an attempt at every question of `topic`, wrong on the questions at the
    /// `wrong` positions and right on the rest, made at `at` (seed 42). What each answer was graded.
    pub async fn answer_topic(
        &self,
        user: i64,
        topic: &str,
        wrong: &[usize],
        at: i64,
    ) -> Vec<infra_dojo::quiz::grade::Graded> {
        let seed = 42u64;
        let mut answers = Vec::new();
        let mut graded = Vec::new();
        for (i, q) in self.state.content().quizzes.topic(topic).iter().enumerate() {
            let r = answer(q, seed, !wrong.contains(&i));
            let g = infra_dojo::quiz::grade::grade(q, seed, &r).unwrap();
            assert_eq!(g.correct, !wrong.contains(&i), "{}", q.id);
            answers.push(NewAnswer {
                question_id: q.id.clone(),
                position: i as i64,
                response: serde_json::to_string(&r).unwrap(),
                correct: g.correct,
                credit: g.credit,
                misconception: g.misconception.clone(),
                time_ms: 1000 * (i as i64 + 1),
            });
            graded.push(g);
        }
        self.record(&format!("t-{user}-{topic}-{at}"), user, topic, at, answers)
            .await;
        graded
    }
}

/// The server's view of a quiz page's form: its sealed `token` opened with the app's key, as the server
/// opens it when the form comes back. Tests use it to answer through the page's opaque option tokens.
pub fn quiz_form(app: &TestApp, page: &Reply) -> infra_dojo::quiz::form::AttemptForm {
    let sealed = page
        .attrs("form[data-quiz] input[name=token]", "value")
        .into_iter()
        .next()
        .expect("a quiz form");
    app.state
        .quiz_forms
        .open(infra_dojo::quiz::form::Purpose::Quiz, &sealed)
        .expect("the page's form opens")
}

/// A right (or, with `right` false, a wrong) response to `q` in an attempt with `seed`.
pub fn answer(
    q: &infra_dojo::quiz::bank::Question,
    seed: u64,
    right: bool,
) -> infra_dojo::quiz::grade::Response {
    use infra_dojo::quiz::bank::Kind;
    use infra_dojo::quiz::grade::Response;
    match &q.kind {
        Kind::Single { options } | Kind::Multiple { options } => Response::Choice(
            (0..options.len())
                .filter(|&i| options[i].correct == right)
                .take(if right { options.len() } else { 1 })
                .collect(),
        ),
        Kind::Order { items, .. } => Response::Order(if right {
            (0..items.len()).collect()
        } else {
            (0..items.len()).rev().collect()
        }),
        Kind::Numeric { answer, .. } => Response::Text(if right {
            answer.to_string()
        } else {
            (answer + 1.0).to_string()
        }),
        Kind::Text { answers, .. } => Response::Text(if right {
            answers[0].clone()
        } else {
            "まちがい".into()
        }),
        Kind::Generated { generator } => {
            let seed = infra_dojo::quiz::present::question_seed(seed, &q.id);
            let a = generator.instance(seed).answer;
            Response::Text(if right { a } else { a + 1 }.to_string())
        }
    }
}

/// The form fields that post `response` to `q` through the attempt's option tokens.
pub fn response_fields(
    form: &infra_dojo::quiz::form::AttemptForm,
    q: &infra_dojo::quiz::bank::Question,
    response: &infra_dojo::quiz::grade::Response,
) -> Vec<(String, String)> {
    use infra_dojo::quiz::grade::Response;
    let id = &q.id;
    match response {
        Response::Choice(chosen) => chosen
            .iter()
            .map(|&i| (format!("a.{id}"), form.choice_token(id, i)))
            .collect(),
        Response::Order(order) => order
            .iter()
            .enumerate()
            .map(|(position, &i)| {
                (
                    format!("o.{id}.{}", form.choice_token(id, i)),
                    (position + 1).to_string(),
                )
            })
            .collect(),
        Response::Text(text) => vec![(format!("a.{id}"), text.clone())],
        Response::Blank => Vec::new(),
    }
}

/// Every field of a quiz page answered through its form: right, except the questions named in `wrong`.
pub fn answer_quiz(app: &TestApp, page: &Reply, wrong: &[&str]) -> Vec<(String, String)> {
    let form = quiz_form(app, page);
    let hidden =
        |name: &str| page.attrs(&format!("form[data-quiz] input[name={name}]"), "value")[0].clone();
    let mut pairs = vec![
        ("csrf".to_string(), hidden("csrf")),
        ("token".to_string(), hidden("token")),
    ];
    let content = app.state.content();
    for id in &form.question_ids {
        let q = content.quizzes.question(id).expect("a bank question");
        let response = answer(q, form.seed(), !wrong.contains(&id.as_str()));
        pairs.extend(response_fields(&form, q, &response));
    }
    pairs
}

/// A response as it crossed the wire: status, headers, and the body's bytes undecoded.
pub struct RawReply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub raw: axum::body::Bytes,
}

impl RawReply {
    /// The body decoded from its `Content-Encoding` (br, gzip or none), as a browser reads it.
    pub fn decoded(&self) -> String {
        use std::io::Read;
        let mut out = Vec::new();
        match self
            .headers
            .get("content-encoding")
            .map(|v| v.to_str().unwrap())
        {
            None => out.extend_from_slice(&self.raw),
            Some("br") => {
                brotli::Decompressor::new(&self.raw[..], 4096)
                    .read_to_end(&mut out)
                    .expect("brotli");
            }
            Some("gzip") => {
                flate2::read::GzDecoder::new(&self.raw[..])
                    .read_to_end(&mut out)
                    .expect("gzip");
            }
            Some(other) => panic!("unexpected coding {other}"),
        }
        String::from_utf8(out).expect("utf-8")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends `req` to `service` (the router, or `infra_dojo::service`: what `serve` runs, fast path in
/// front) and keeps the body as sent.
pub async fn raw<S>(service: S, req: Request<Body>) -> RawReply
where
    S: tower::Service<
            Request<Body>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        >,
{
    let res = service.oneshot(req).await.expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let raw = res.into_body().collect().await.expect("body").to_bytes();
    RawReply {
        status,
        headers,
        raw,
    }
}

/// A GET with these headers.
pub fn get_with(uri: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut req = Request::get(uri);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.body(Body::empty()).expect("request")
}

/// What browsers send.
pub const BROWSER_ENCODINGS: &str = "gzip, deflate, br, zstd";
