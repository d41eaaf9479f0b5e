//! The connection layer on a real loopback port (`infra_dojo::server::serve` on 127.0.0.1:0): slow
//! clients are cut off at the header deadline, idle keep-alive connections close, connection caps
//! refuse the excess and keep serving everyone else, handlers see the peer address, and shutdown
//! drains in-flight requests but never waits past its deadline. Loopback has all of 127.0.0.0/8, so a
//! "client" is a source address: 127.0.0.2 can be the attacker while 127.0.0.1 checks /healthz.

mod common;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use infra_dojo::server::{Limits, Stopped};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A server running on a task, with the means to stop it.
struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Stopped>,
}

impl Running {
    async fn start(app: Router, limits: Limits) -> Running {
        let listener = infra_dojo::server::bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(infra_dojo::server::serve(listener, app, limits, async {
            let _ = stopped.await;
        }));
        Running {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Signals shutdown (as SIGTERM would) and waits, at most `limit`, for `serve` to return.
    async fn shut_down(&mut self, limit: Duration) -> (Stopped, Duration) {
        let started = Instant::now();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let stopped = tokio::time::timeout(limit, &mut self.task)
            .await
            .expect("serve returned within the limit")
            .unwrap();
        (stopped, started.elapsed())
    }
}

fn limits(header_timeout: Duration) -> Limits {
    Limits {
        header_timeout,
        write_timeout: Duration::from_secs(5),
        max_connections: 200,
        max_connections_per_client: 64,
        shutdown_timeout: Duration::from_secs(5),
    }
}

/// A connection to `server` from the loopback address `127.0.0.<from>`.
async fn connect_from(from: u8, server: SocketAddr) -> TcpStream {
    try_connect_from(from, server).await.unwrap()
}

/// A connection attempt: a server that refuses a connection over its cap may reset it before the
/// client's `connect` returns.
async fn try_connect_from(from: u8, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, from), 0)))?;
    socket.connect(server).await
}

/// Reads until the server closes the connection (EOF or reset), for at most `limit`. Returns how long
/// that took, or `None` if the connection was still open at the end.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// One request on its own connection from `127.0.0.<from>`: the status code and the body.
async fn get_from(from: u8, server: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = connect_from(from, server).await;
    request(&mut stream, path, true).await
}

/// One GET on `stream`; with `close`, the connection ends after it.
async fn request(stream: &mut TcpStream, path: &str, close: bool) -> (u16, String) {
    let connection = if close { "close" } else { "keep-alive" };
    let (status, _, body) = exchange(
        stream,
        &format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: {connection}\r\n\r\n"),
    )
    .await;
    (status, body)
}

/// Sends `raw` on `stream` and reads the response: status, head, and a `Content-Length` body.
async fn exchange(stream: &mut TcpStream, raw: &str) -> (u16, String, String) {
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = tokio::time::timeout_at(deadline.into(), stream.read(&mut buf))
            .await
            .expect("response within 10 s")
            .unwrap();
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            let length: usize = header(head, "content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length || n == 0 {
                let status = head[9..12].parse().unwrap();
                return (status, head.to_string(), text[end + 4..].to_string());
            }
        }
        assert!(n > 0, "connection closed before the response: {text:?}");
    }
}

/// A header's value in a response head.
fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (n, value) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

fn echo_peer() -> Router {
    Router::new()
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(800)).await;
                "done"
            }),
        )
}

#[tokio::test]
async fn headers_sent_a_line_at_a_time_are_cut_off_at_the_deadline() {
    let mut server = Running::start(echo_peer(), limits(Duration::from_millis(500))).await;
    let stream = connect_from(2, server.addr).await;
    let (mut read, mut write) = stream.into_split();
    let started = Instant::now();
    // The slowloris: a request line, then one header line every 100 ms, for at most 5 s.
    let trickle = tokio::spawn(async move {
        let _ = write.write_all(b"GET /healthz HTTP/1.1\r\n").await;
        for i in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if write
                .write_all(format!("X-Slow-{i}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
    });
    let mut buf = [0u8; 1024];
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(6), read.read(&mut buf)).await {
            Err(_) => break None,
            Ok(Ok(0)) | Ok(Err(_)) => break Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    };
    trickle.abort();
    let closed = closed.expect("the trickling connection was never closed");
    assert!(
        closed >= Duration::from_millis(400) && closed < Duration::from_secs(3),
        "closed after {closed:?}, deadline 500 ms"
    );
    server.shut_down(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn idle_keep_alive_connections_close_after_the_header_deadline() {
    let mut server = Running::start(echo_peer(), limits(Duration::from_millis(600))).await;
    let mut stream = connect_from(1, server.addr).await;
    assert_eq!(request(&mut stream, "/healthz", false).await.0, 200);
    // Still usable right after a response…
    assert_eq!(request(&mut stream, "/healthz", false).await.0, 200);
    // …and closed when it stays idle past the deadline.
    let closed = closed_within(&mut stream, Duration::from_secs(5))
        .await
        .expect("idle keep-alive connection never closed");
    assert!(
        closed >= Duration::from_millis(450),
        "closed after {closed:?}"
    );
    server.shut_down(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn one_client_cannot_take_every_connection() {
    let mut server = Running::start(
        echo_peer(),
        Limits {
            max_connections_per_client: 4,
            ..limits(Duration::from_secs(1))
        },
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect_from(2, server.addr).await);
    }
    // Connections over the per-client cap are closed at once; the first four are kept.
    let mut refused = 0;
    for _ in 0..8 {
        match try_connect_from(2, server.addr).await {
            Err(_) => refused += 1,
            Ok(mut stream) => {
                if closed_within(&mut stream, Duration::from_millis(500))
                    .await
                    .is_some()
                {
                    refused += 1;
                }
            }
        }
    }
    assert_eq!(refused, 8);
    for stream in held.iter_mut().take(4) {
        assert_eq!(
            closed_within(stream, Duration::from_millis(100)).await,
            None
        );
    }
    // Everybody else is served meanwhile.
    assert_eq!(
        get_from(1, server.addr, "/healthz").await,
        (200, "ok".into())
    );
    // The four held ones go at the header deadline, and the client may connect again.
    for stream in held.iter_mut().take(4) {
        assert!(
            closed_within(stream, Duration::from_secs(5))
                .await
                .is_some()
        );
    }
    assert_eq!(get_from(2, server.addr, "/healthz").await.0, 200);
    server.shut_down(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn at_the_total_cap_with_every_connection_busy_a_new_one_is_refused() {
    let mut server = Running::start(
        echo_peer(),
        Limits {
            max_connections: 3,
            ..limits(Duration::from_secs(5))
        },
    )
    .await;
    let addr = server.addr;
    let slow: Vec<_> = (2..5)
        .map(|from| tokio::spawn(async move { get_from(from, addr, "/slow").await }))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    if let Ok(mut over) = try_connect_from(7, addr).await {
        assert!(
            closed_within(&mut over, Duration::from_millis(300))
                .await
                .is_some(),
            "a connection over the total cap was kept"
        );
    }
    // The requests in progress were not disturbed, and their places are free again afterwards.
    for request in slow {
        assert_eq!(request.await.unwrap(), (200, "done".into()));
    }
    assert_eq!(get_from(7, addr, "/healthz").await.0, 200);
    server.shut_down(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn at_the_total_cap_the_connection_idle_longest_makes_room() {
    let mut server = Running::start(
        echo_peer(),
        Limits {
            max_connections: 4,
            ..limits(Duration::from_secs(10))
        },
    )
    .await;
    // Three connections that never send a request (a slowloris), then a browser's keep-alive one.
    let mut silent = Vec::new();
    for from in 2..5 {
        silent.push(connect_from(from, server.addr).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut browser = connect_from(1, server.addr).await;
    assert_eq!(request(&mut browser, "/healthz", false).await.0, 200);
    // Nothing is idle for a second yet: a newcomer is refused…
    if let Ok(mut early) = try_connect_from(7, server.addr).await {
        assert!(
            closed_within(&mut early, Duration::from_millis(300))
                .await
                .is_some()
        );
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // …a second later it takes the place of the oldest silent one.
    assert_eq!(
        get_from(7, server.addr, "/healthz").await,
        (200, "ok".into())
    );
    assert!(
        closed_within(&mut silent[0], Duration::from_millis(500))
            .await
            .is_some(),
        "the oldest idle connection was kept"
    );
    assert_eq!(
        closed_within(&mut silent[1], Duration::from_millis(50)).await,
        None
    );
    assert_eq!(request(&mut browser, "/healthz", false).await.0, 200);
    server.shut_down(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn handlers_see_the_peer_address() {
    let mut server = Running::start(echo_peer(), limits(Duration::from_secs(5))).await;
    assert_eq!(
        get_from(5, server.addr, "/peer").await,
        (200, "127.0.0.5".into())
    );
    server.shut_down(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn the_real_app_gets_the_peer_address_for_login_throttling() {
    let app = common::app().await;
    let mut server = Running::start(app.router.clone(), limits(Duration::from_secs(5))).await;
    assert_eq!(
        get_from(1, server.addr, "/healthz").await,
        (200, "ok".into())
    );
    let mut stream = connect_from(7, server.addr).await;
    let (status, head, page) =
        exchange(&mut stream, "GET /login HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(status, 200);
    let cookie = header(&head, "set-cookie").unwrap();
    let cookie = cookie.split(';').next().unwrap();
    let csrf = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("input[name=csrf]").unwrap())
        .next()
        .and_then(|e| e.value().attr("value").map(str::to_string))
        .unwrap();
    let body = common::form_encode(&[
        ("csrf", &csrf),
        ("name", "nobody"),
        ("password", "wrong password"),
    ]);
    let (status, _, _) = exchange(
        &mut stream,
        &format!(
            "POST /login HTTP/1.1\r\nHost: t\r\nCookie: {cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert_ne!(status, 303, "a wrong password signed in");
    // The failure is counted against 127.0.0.7, the address the connection came from.
    let (by_address,): (i64,) = infra_dojo::on!(&app.state.db, pool => sqlx::query_as(
        "select failures from throttle where kind = 'login-address' and key = '127.0.0.7'",
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(by_address, 1);
    server.shut_down(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let mut server = Running::start(echo_peer(), limits(Duration::from_secs(5))).await;
    let addr = server.addr;
    let slow = tokio::spawn(async move { get_from(1, addr, "/slow").await });
    let mut idle = connect_from(1, addr).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (stopped, took) = server.shut_down(Duration::from_secs(5)).await;
    assert_eq!(slow.await.unwrap(), (200, "done".into()));
    assert_eq!(
        stopped,
        Stopped {
            drained: true,
            closed_at_deadline: 0
        }
    );
    assert!(took < Duration::from_secs(3), "drain took {took:?}");
    // The idle connection was closed, and nobody new gets in.
    assert!(
        closed_within(&mut idle, Duration::from_secs(1))
            .await
            .is_some()
    );
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn a_half_sent_request_cannot_hold_shutdown_past_its_deadline() {
    let mut server = Running::start(
        echo_peer(),
        Limits {
            shutdown_timeout: Duration::from_secs(1),
            // Far beyond the test: only the shutdown deadline can end this connection.
            ..limits(Duration::from_secs(60))
        },
    )
    .await;
    let mut half = connect_from(2, server.addr).await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (stopped, took) = server.shut_down(Duration::from_secs(5)).await;
    assert_eq!(
        stopped,
        Stopped {
            drained: false,
            closed_at_deadline: 1
        }
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "shutdown took {took:?} with a 1 s deadline"
    );
    assert!(
        closed_within(&mut half, Duration::from_secs(1))
            .await
            .is_some()
    );
}

/// The fast slowloris: 300 sockets from ten addresses, each sending a header line every 200 ms. None
/// gets a response or outlives the header deadline by much, those over the per-client cap are closed
/// at once, and /healthz from another address answers all along. (`bench/durability.sh` runs the same
/// with thousands of sockets against the release binary.)
#[tokio::test]
async fn a_small_slowloris_is_cut_off_while_healthz_answers() {
    let header_timeout = Duration::from_millis(1500);
    let app = common::app().await;
    let mut server = Running::start(
        app.router.clone(),
        Limits {
            max_connections: 1000,
            max_connections_per_client: 20,
            ..limits(header_timeout)
        },
    )
    .await;
    let addr = server.addr;
    let started = Instant::now();
    let mut attackers = Vec::new();
    for i in 0..300u32 {
        let from = 10 + (i % 10) as u8;
        attackers.push(tokio::spawn(async move {
            // A burst of connects can overflow the listen queue; the kernel then resends the SYN a
            // second later. Lifetimes count from the connection, not from the first SYN.
            let Ok(mut stream) = try_connect_from(from, addr).await else {
                return Some(Duration::ZERO);
            };
            let connected = Instant::now();
            let _ = stream.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n").await;
            let mut buf = [0u8; 256];
            // A header line every 200 ms until the server hangs up; at most 10 s.
            for n in 0..50 {
                match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await
                {
                    Ok(Ok(0)) | Ok(Err(_)) => return Some(connected.elapsed()),
                    Ok(Ok(_)) => return None, // a response: the server read the headers it never got
                    Err(_) => {}
                }
                if stream
                    .write_all(format!("X-{n}: 1\r\n").as_bytes())
                    .await
                    .is_err()
                {
                    return Some(connected.elapsed());
                }
            }
            None
        }));
    }
    // /healthz from 127.0.0.1, every 250 ms while the attack lasts.
    let mut health = Vec::new();
    while started.elapsed() < header_timeout + Duration::from_secs(1) {
        let asked = Instant::now();
        let (status, _) = get_from(1, addr, "/healthz").await;
        health.push((status, asked.elapsed()));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut lifetimes = Vec::new();
    for attacker in attackers {
        lifetimes.push(
            attacker
                .await
                .unwrap()
                .expect("a slow connection outlived the test"),
        );
    }
    assert!(
        health.iter().all(|(status, _)| *status == 200),
        "{health:?}"
    );
    assert!(
        health
            .iter()
            .all(|(_, took)| *took < Duration::from_secs(1)),
        "{health:?}"
    );
    // Ten addresses × 20 admitted: 200 held until the deadline, 100 refused at once.
    let refused = lifetimes
        .iter()
        .filter(|t| **t < Duration::from_millis(500))
        .count();
    assert_eq!(refused, 100, "{lifetimes:?}");
    let longest = lifetimes.iter().max().unwrap();
    assert!(
        *longest < header_timeout + Duration::from_secs(1),
        "{longest:?}"
    );
    server.shut_down(Duration::from_secs(10)).await;
}

/// The real binary, started with `args` under `sh -c` (for `ulimit`), on a free port.
struct Binary {
    child: std::process::Child,
    addr: SocketAddr,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Binary {
    async fn start(shell_prefix: &str, args: &str) -> Binary {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = dir.path().join("log");
        let script = format!(
            "{shell_prefix} exec \"$0\" serve --bind {addr} --db {} {args} >{} 2>&1",
            dir.path().join("t.db").display(),
            log.display()
        );
        let child = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(env!("CARGO_BIN_EXE_infra-dojo"))
            .env("RUST_LOG", "info")
            .spawn()
            .unwrap();
        let binary = Binary {
            child,
            addr,
            log,
            _dir: dir,
        };
        // Up: /healthz answers (at most 30 s, for a cold debug build on a busy machine).
        let started = Instant::now();
        loop {
            if let Ok(mut stream) = TcpStream::connect(addr).await
                && request(&mut stream, "/healthz", true).await.0 == 200
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "server did not start: {}",
                binary.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Settled: the anonymous pages are compressed on a thread after start (seconds of CPU at
        // brotli's best in a debug build), which the CPU and timing checks here must not count.
        while !binary.log_text().contains("anonymous pages compressed") {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "pages never compressed: {}",
                binary.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        binary
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// User + system CPU time the process has used.
    fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap();
        // Fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        let per_second: u64 = String::from_utf8(
            std::process::Command::new("getconf")
                .arg("CLK_TCK")
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
        .trim()
        .parse()
        .unwrap();
        Duration::from_secs_f64(ticks as f64 / per_second as f64)
    }

    /// Waits, at most `limit`, for the process to exit.
    async fn wait(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn sigterm_with_a_half_sent_request_exits_within_the_deadline() {
    let mut server = Binary::start("", "--shutdown-timeout 1 --header-timeout 60").await;
    let mut half = connect_from(2, server.addr).await;
    half.write_all(b"POST /login HTTP/1.1\r\nHost: t\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = server
        .wait(Duration::from_secs(10))
        .await
        .unwrap_or_else(|| panic!("still running 10 s after SIGTERM: {}", server.log_text()));
    let took = started.elapsed();
    assert!(status.success(), "{status:?}: {}", server.log_text());
    // The 1 s deadline, then at most 1 s for the sockets and 2 s for the database to close.
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "exited {took:?} after SIGTERM"
    );
    assert!(
        closed_within(&mut half, Duration::from_secs(1))
            .await
            .is_some()
    );
    let log = server.log_text();
    assert!(log.contains("shutdown deadline reached"), "{log}");
}

#[tokio::test]
async fn out_of_file_descriptors_the_accept_loop_backs_off_instead_of_spinning() {
    // 64 descriptors, and a connection cap far above them: accept() fails with EMFILE.
    let server = Binary::start(
        "ulimit -n 64 &&",
        "--max-connections 1000 --header-timeout 3",
    )
    .await;
    // Pages and static files are compressed once after start (`web::precompressed`): let that finish
    // first, so the CPU measured below is the accept loop's alone.
    let warming = Instant::now();
    while !server.log_text().contains("anonymous pages compressed") {
        assert!(
            warming.elapsed() < Duration::from_secs(60),
            "{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut held = Vec::new();
    for i in 0..100u32 {
        if let Ok(stream) = try_connect_from(20 + (i % 4) as u8, server.addr).await {
            held.push(stream);
        }
    }
    // The kernel completes handshakes the server cannot accept; give it time to run out.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = server.cpu_time();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let used = server.cpu_time() - before;
    // A spinning accept loop burns a whole core: ~2 s of CPU in these 2 s.
    assert!(used < Duration::from_millis(500), "{used:?} of CPU in 2 s");
    let log = server.log_text();
    assert!(log.contains("accept failed; backing off"), "{log}");
    // At most one line a second (plus one for the edges of the window).
    let lines = log.matches("accept failed; backing off").count();
    assert!(lines <= 4, "{lines} accept-error lines");
    // Once the connections go (here: the header deadline), the server serves again.
    drop(held);
    let started = Instant::now();
    loop {
        if let Ok(mut stream) = TcpStream::connect(server.addr).await
            && request(&mut stream, "/healthz", true).await.0 == 200
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no recovery");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What is refused before any handler runs — a body announced larger than 64 KB, a method a route does
/// not take, a path that is not UTF-8, a body that never finishes — is explained in Japanese like every
/// other refusal: a page for a form, `{"error": …}` for the JSON endpoints; nothing is stored.
#[tokio::test]
async fn refusals_before_any_handler_are_explained_in_japanese() {
    let app = common::app().await;
    let mut server = Running::start(app.router.clone(), limits(Duration::from_secs(5))).await;
    for (path, content_type, json) in [
        ("/api/widgets/pipe/check", "application/json", true),
        (
            "/topics/tcp/quiz",
            "application/x-www-form-urlencoded",
            false,
        ),
    ] {
        let mut stream = connect_from(9, server.addr).await;
        let (status, head, body) = exchange(
            &mut stream,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: {content_type}\r\n\
                 Content-Length: 3000000\r\n\r\n"
            ),
        )
        .await;
        assert_eq!(status, 413, "{path}: {head}");
        assert!(body.contains("大きすぎます"), "{path}: {body}");
        let kind = header(&head, "content-type").unwrap_or_default();
        assert_eq!(kind.starts_with("application/json"), json, "{path}: {kind}");
        assert_eq!(kind.starts_with("text/html"), !json, "{path}: {kind}");
    }

    // A method the route does not take (405, `Allow` kept) and a path that is not UTF-8 (400).
    for (raw, status, needle, allow) in [
        (
            "DELETE /me HTTP/1.1",
            405,
            "HTTP メソッド",
            Some("GET,HEAD"),
        ),
        (
            "GET /topics/tcp/quiz/check HTTP/1.1",
            405,
            "HTTP メソッド",
            Some("POST"),
        ),
        ("GET /topics/%ff HTTP/1.1", 400, "読めませんでした", None),
    ] {
        let mut stream = connect_from(9, server.addr).await;
        let (got, head, body) = exchange(&mut stream, &format!("{raw}\r\nHost: t\r\n\r\n")).await;
        assert_eq!(got, status, "{raw}: {head}");
        assert!(body.contains(needle), "{raw}: {body}");
        assert_eq!(header(&head, "allow").as_deref(), allow, "{raw}: {head}");
    }

    // Half a body, then silence: the 15-second request timeout answers 408, in JSON for the widget API.
    let mut stream = connect_from(9, server.addr).await;
    stream
        .write_all(
            b"POST /api/widgets/pipe/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"scenario\":",
        )
        .await
        .unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(25);
    while !String::from_utf8_lossy(&data).contains("\"}") {
        let n = tokio::time::timeout_at(deadline.into(), stream.read(&mut buf))
            .await
            .expect("an answer within 25 s")
            .unwrap();
        assert!(
            n > 0,
            "closed without an answer: {:?}",
            String::from_utf8_lossy(&data)
        );
        data.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&data);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("時間内に届き終わりませんでした"), "{text}");
    assert_eq!(app.count("attempt").await, 0);
    server.shut_down(Duration::from_secs(10)).await;
}
