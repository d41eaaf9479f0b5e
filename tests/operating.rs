//! What an operator relies on. `/metrics` is served on the `--metrics-bind` listener only, over real TCP:
//! page requests (the fast path's and the router's) and a graded quiz attempt show up with their route
//! patterns and statuses, a raw path never becomes a label, the public listener answers `/metrics` with
//! its ordinary Japanese 404, and without the flag the process listens on one port. Shutdown writes the
//! attempts still queued for the writer, and leaves the database file whole (the WAL checkpointed).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures_util::FutureExt;
use http_body_util::BodyExt;
use infra_dojo::server::Limits;
use infra_dojo::web::state::Settings;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A listener on a free loopback port serving `app` until the test ends.
async fn serve_on_loopback<A: infra_dojo::server::App>(app: A) -> SocketAddr {
    let listener = infra_dojo::server::bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(infra_dojo::server::serve(
        listener,
        app,
        Limits::default(),
        std::future::pending(),
    ));
    addr
}

/// An HTTP/1 client over TCP that keeps its cookies, like a browser.
struct TcpClient {
    http: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        Body,
    >,
    addr: SocketAddr,
    cookies: std::collections::BTreeMap<String, String>,
}

impl TcpClient {
    fn new(addr: SocketAddr) -> TcpClient {
        TcpClient {
            http: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http(),
            addr,
            cookies: Default::default(),
        }
    }

    async fn send(&mut self, method: &str, path: &str, form: Option<String>) -> common::Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header("cookie", jar.join("; "));
        }
        let body = match form {
            Some(form) => {
                req = req.header("content-type", "application/x-www-form-urlencoded");
                Body::from(form)
            }
            None => Body::empty(),
        };
        let res = self.http.request(req.body(body).unwrap()).await.unwrap();
        for set in res.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.to_string(), value.to_string());
        }
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        common::Reply {
            status,
            headers,
            bytes: bytes.len(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, path: &str) -> common::Reply {
        self.send("GET", path, None).await
    }
}

/// The sum of the samples of `name` whose labels include every one of `labels` (`k="v"`).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
            .then(|| value.parse::<f64>().unwrap())
        })
        .sum()
}

#[tokio::test]
async fn metrics_count_pages_and_attempts_by_route_pattern_on_their_own_listener() {
    let settings = Settings {
        metrics: true,
        ..Default::default()
    };
    let app = common::app_with_db(
        &infra_dojo::content::source::ContentSource::Embedded,
        settings,
        |o| o,
    )
    .await;
    let public = serve_on_loopback(infra_dojo::service(app.state.clone())).await;
    let private = serve_on_loopback(infra_dojo::web::metrics::router(app.state.clone())).await;

    // Anonymous pages and a static file: the fast path's answers.
    let mut reader = TcpClient::new(public);
    let mut page = common::Reply {
        status: StatusCode::OK,
        headers: Default::default(),
        bytes: 0,
        body: String::new(),
    };
    for _ in 0..3 {
        page = reader.get("/topics/tcp").await;
        assert_eq!(page.status, 200);
    }
    assert_eq!(reader.get("/").await.status, 200);
    let css = page.attrs("link[rel=stylesheet]", "href")[0].clone();
    assert_eq!(reader.get(&css).await.status, 200);
    // Through the router: an unknown topic (its pattern's 404), an unknown path, and /metrics, which the
    // public listener does not have: the ordinary Japanese 404 page.
    assert_eq!(reader.get("/topics/does-not-exist-xyz").await.status, 404);
    assert_eq!(reader.get("/no/such/path-qqq").await.status, 404);
    let public_metrics = reader.get("/metrics").await;
    assert_eq!(public_metrics.status, 404);
    assert!(
        public_metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        public_metrics.headers
    );
    assert!(
        public_metrics.body.contains("見つかりません"),
        "{}",
        public_metrics.body
    );
    assert!(!public_metrics.body.contains("http_requests_total"));

    // A guest answers the TCP quiz: graded and written by the attempt writer.
    let mut learner = TcpClient::new(public);
    let quiz = learner.get("/topics/tcp/quiz").await;
    assert_eq!(quiz.status, 200);
    let pairs = common::answer_quiz(&app, &quiz, &[]);
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let submitted = learner
        .send("POST", "/topics/tcp/quiz", Some(common::form_encode(&refs)))
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.body
    );
    assert_eq!(app.count("attempt").await, 1);

    let mut scraper = TcpClient::new(private);
    let scrape = scraper.get("/metrics").await;
    assert_eq!(scrape.status, 200);
    assert_eq!(
        scrape.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = &scrape.body;
    let requests = |method, route, status| {
        sample(
            text,
            "http_requests_total",
            &[("method", method), ("route", route), ("status", status)],
        )
    };
    assert!(requests("GET", "/topics/{slug}", "200") >= 3.0, "{text}");
    assert!(requests("GET", "/", "200") >= 1.0, "{text}");
    assert!(
        requests("GET", "/static/{version}/{*path}", "200") >= 1.0,
        "{text}"
    );
    assert!(requests("GET", "/topics/{slug}", "404") >= 1.0, "{text}");
    assert!(requests("GET", "fallback", "404") >= 2.0, "{text}");
    assert!(
        requests("GET", "/topics/{slug}/quiz", "200") >= 1.0,
        "{text}"
    );
    assert!(
        requests("POST", "/topics/{slug}/quiz", "303") >= 1.0,
        "{text}"
    );
    assert!(
        sample(text, "quiz_attempts_written_total", &[]) >= 1.0,
        "{text}"
    );
    assert!(
        sample(text, "quiz_writer_batch_size_count", &[]) >= 1.0,
        "{text}"
    );
    assert!(text.contains("\nquiz_writer_queue_depth "), "{text}");
    assert!(sample(text, "db_pool_connections", &[]) >= 1.0, "{text}");
    assert!(text.contains("\ndb_pool_idle_connections "), "{text}");
    assert!(
        sample(text, "process_start_time_seconds", &[]) > 1.7e9,
        "{text}"
    );
    // Durations as a histogram with buckets, per route pattern.
    assert!(
        sample(
            text,
            "http_request_duration_seconds_count",
            &[("route", "/topics/{slug}")]
        ) >= 4.0,
        "{text}"
    );
    assert!(
        sample(
            text,
            "http_request_duration_seconds_bucket",
            &[("route", "/topics/{slug}"), ("le", "+Inf")]
        ) >= 4.0,
        "{text}"
    );
    // No path a client sent is a label.
    for raw in [
        "does-not-exist-xyz",
        "path-qqq",
        "/topics/tcp\"",
        "/metrics\"",
    ] {
        assert!(!text.contains(raw), "{raw} leaked into a label:\n{text}");
    }

    // The metrics listener serves nothing else.
    assert_eq!(scraper.get("/").await.status, 404);
    assert_eq!(scraper.get("/topics/tcp").await.status, 404);
    assert_eq!(scraper.get("/healthz").await.status, 404);
}

/// Every attempt queued before `close` is written, even when nobody waits for it any more (a request cut
/// off at the drain deadline), and the writer takes none after.
#[tokio::test]
async fn closing_the_writer_writes_every_queued_attempt_then_refuses() {
    let app = common::app().await;
    let user = app.learner("kai").await.id;
    let writer = infra_dojo::store::quiz::AttemptWriter::start(
        infra_dojo::db::writer_for(&app.state.db).await.unwrap(),
    )
    .unwrap();
    let attempt = |i: usize| infra_dojo::store::quiz::NewAttempt {
        token: format!("closing-{i}"),
        user_id: user,
        topic: "tcp".into(),
        seed: 1,
        duration_ms: 1000,
        answers: Vec::new(),
        now: infra_dojo::store::now(),
        review: false,
    };
    // Each submission is polled once — into the queue — and then dropped, as a cut connection drops it.
    for i in 0..40 {
        assert!(writer.record(attempt(i)).now_or_never().is_none());
    }
    writer.close().await;
    let stored: (i64,) =
        infra_dojo::on!(&app.state.db, pool => sqlx::query_as("select count(*) from attempt where token like 'closing-%'")
            .fetch_one(pool)
            .await)
            .unwrap();
    assert_eq!(stored.0, 40);
    let late = writer.record(attempt(99)).await;
    assert!(late.is_err(), "{late:?}");
    assert_eq!(app.count("attempt").await, 40);
}

/// The real binary on a free port, optionally with `--metrics-bind` on another.
struct Binary {
    child: std::process::Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Binary {
    async fn start(args: &[String]) -> Binary {
        let dir = tempfile::tempdir().unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        // On PostgreSQL, the binary is served on a fresh database of the test cluster.
        let db = if common::backend::on_postgres() {
            common::backend::fresh_postgres_database().await
        } else {
            dir.path().join("t.db").display().to_string()
        };
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_infra-dojo"))
            .arg("serve")
            .args(["--bind", &addr.to_string()])
            .args(["--db", &db])
            .args(args)
            .env("RUST_LOG", "info")
            .env_remove("INFRA_DOJO_METRICS_BIND")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let binary = Binary { child, addr, dir };
        let started = Instant::now();
        let mut client = TcpClient::new(addr);
        loop {
            if client
                .http
                .get(format!("http://{addr}/healthz").parse().unwrap())
                .await
                .is_ok()
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "did not start: {}",
                binary.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = client.get("/healthz").await;
        binary
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// The TCP ports the process is listening on (its socket inodes in the LISTEN state).
    fn listening_ports(&self) -> Vec<u16> {
        let pid = self.child.id();
        let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
            .filter_map(|target| {
                let t = target.to_string_lossy().into_owned();
                Some(t.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
            })
            .collect();
        let mut ports = Vec::new();
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            for line in std::fs::read_to_string(table)
                .unwrap_or_default()
                .lines()
                .skip(1)
            {
                let f: Vec<&str> = line.split_whitespace().collect();
                // local_address is ADDR:PORT in hex; state 0A is LISTEN; field 9 is the inode.
                if f.len() > 9 && f[3] == "0A" && inodes.iter().any(|i| i == f[9]) {
                    let port = f[1].rsplit_once(':').unwrap().1;
                    ports.push(u16::from_str_radix(port, 16).unwrap());
                }
            }
        }
        ports.sort_unstable();
        ports
    }

    /// Sends SIGTERM and waits (at most 15 s) for a clean exit.
    async fn terminate(&mut self) {
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status:?}: {}", self.log());
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "still running: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_metrics_only_with_the_flag_and_stops_with_its_database_whole() {
    let without = Binary::start(&[]).await;
    assert_eq!(
        without.listening_ports(),
        vec![without.addr.port()],
        "{}",
        without.log()
    );
    drop(without);

    let metrics_addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut with = Binary::start(&["--metrics-bind".into(), metrics_addr.to_string()]).await;
    let mut expected = vec![with.addr.port(), metrics_addr.port()];
    expected.sort_unstable();
    assert_eq!(with.listening_ports(), expected, "{}", with.log());
    assert_eq!(
        TcpClient::new(with.addr).get("/topics/tcp").await.status,
        200
    );
    let scrape = TcpClient::new(metrics_addr).get("/metrics").await;
    assert_eq!(scrape.status, 200, "{}", with.log());
    assert!(
        sample(
            &scrape.body,
            "http_requests_total",
            &[("route", "/topics/{slug}"), ("status", "200")]
        ) >= 1.0,
        "{}",
        scrape.body
    );
    assert!(
        sample(
            &scrape.body,
            "infra_dojo_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ) == 1.0,
        "{}",
        scrape.body
    );
    assert_eq!(TcpClient::new(with.addr).get("/metrics").await.status, 404);

    // Stopped by SIGTERM, the last connection's close checkpoints the WAL: the .db file alone holds
    // everything (a plain copy of it after a stop is a complete backup). (PostgreSQL keeps its own files.)
    with.terminate().await;
    if common::backend::on_postgres() {
        return;
    }
    let wal = with.dir.path().join("t.db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "the WAL was left behind: {}",
        with.log()
    );
}

/// The addresses logins were counted against (the per-address throttle lane), sorted.
async fn throttled_addresses(app: &common::TestApp) -> Vec<String> {
    let rows: Vec<(String,)> =
        infra_dojo::on!(&app.state.db, pool => sqlx::query_as("select key from throttle where kind = 'login-address' order by key")
            .fetch_all(pool)
            .await)
            .unwrap();
    rows.into_iter().map(|(k,)| k).collect()
}

/// A failed login from `client` carrying `X-Forwarded-For: forwarded`.
async fn failed_login(client: &common::Client<'_>, forwarded: &str) {
    let csrf = client.csrf("/login").await;
    let mut req = client.form_request(
        "/login",
        &[
            ("csrf", &csrf),
            ("name", "nobody"),
            ("password", "wrong password"),
        ],
    );
    req.headers_mut()
        .insert("x-forwarded-for", forwarded.parse().unwrap());
    let reply = client.send(req).await;
    assert_ne!(
        reply.status,
        StatusCode::SEE_OTHER,
        "a wrong password signed in"
    );
}

/// Behind nginx every request comes from the proxy's address. With `--trusted-proxy` the throttle
/// counts the address the proxy saw (the last X-Forwarded-For entry; earlier entries are the client's
/// own say); from anyone else, and without the setting, the header changes nothing.
#[tokio::test]
async fn the_client_address_comes_from_x_forwarded_for_only_through_a_trusted_proxy() {
    let settings = Settings {
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()].into(),
        ..Default::default()
    };
    let app = common::app_with_db(
        &infra_dojo::content::source::ContentSource::Embedded,
        settings,
        |o| o,
    )
    .await;
    failed_login(&app.client_at("127.0.0.1"), "10.9.9.9, 198.51.100.7").await;
    // Not the proxy: its forged header is ignored.
    failed_login(&app.client_at("203.0.113.5"), "192.0.2.99").await;
    assert_eq!(
        throttled_addresses(&app).await,
        vec!["198.51.100.7".to_string(), "203.0.113.5".to_string()]
    );

    // Without the setting, the proxy's own address is all the app knows.
    let untrusting = common::app().await;
    failed_login(&untrusting.client_at("127.0.0.1"), "198.51.100.7").await;
    assert_eq!(
        throttled_addresses(&untrusting).await,
        vec!["127.0.0.1".to_string()]
    );
}
