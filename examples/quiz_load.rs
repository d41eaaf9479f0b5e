//! Load generator for `bench/quiz.sh`: signs up N learners over HTTP (each from its own loopback address,
//! as sign-ups are throttled per address), then has each take TCP quiz
//! attempts in a loop for a fixed time (one connection per learner) — fetch the quiz page, as a learner
//! must (each attempt's form is sealed by the server and cannot be made up or reused), then submit it —
//! and reports throughput, latency percentiles of the submission (the POST) and of the whole cycle (page
//! and submission), errors, and the number of attempts in the database. In-flight requests finish before
//! counting, so "stored attempts = successful responses" is exact.
//!
//! With RATE (submissions per second, all clients together), each client sends on a fixed schedule
//! instead of as fast as it can, and a latency counts from when the request was due, not from when it
//! went out — so a server that falls behind is charged for the wait (no coordinated omission). The cycle
//! latency counts from then; the submission latency from when the POST went out.
//!
//! With QUIZ_LOAD_JOIN=CODE, every learner joins the class with that join code before answering.
//!
//! With QUIZ_LOAD_ACKS=FILE, the id of every attempt the server acknowledged (the 303 to
//! `/attempts/{id}`) is appended to FILE as it arrives, one a line: `bench/durability.sh` kills the
//! server under load and checks that every acknowledged attempt survived.
//!
//! DB is the server's database, read only to count attempts: a SQLite file's path, or a `postgres://`
//! URL (`bench/scaleout.sh`: several servers on one PostgreSQL behind nginx).
//!
//! cargo run --release --example quiz_load -- BASE_URL DB [CLIENTS] [SECONDS] [RATE]

#[path = "support/http.rs"]
mod http;
use http::{Http, enc, send, send_full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Learner {
    cookie: String,
    /// The session's CSRF token, form-encoded.
    csrf: String,
}

/// The fields a quiz page's form needs besides csrf: its sealed token and an answer to every question —
/// the first option of each single- and several-answer question, "1" typed into each text answer, and
/// each ordering's items in page order (positions 1, 2, …) — so every question is graded, as a learner's
/// would be (a question left blank would send the form back for confirmation). Plain string scanning, not
/// an HTML parser: the loader shares the machine with the server and must stay cheap.
fn form_fields(page: &str) -> Option<String> {
    let value_after = |from: usize, marker: &str| -> Option<(String, usize)> {
        let start = page[from..].find(marker)? + from + marker.len();
        let end = page[start..].find('"')? + start;
        Some((page[start..end].to_string(), end))
    };
    let (token, _) = value_after(0, "name=\"token\" value=\"")?;
    let mut fields = vec![format!("token={}", enc(&token))];
    let mut positions: std::collections::HashMap<String, usize> = Default::default();
    let mut at = 0;
    while let Some((name, end)) = value_after(at, "<select name=\"") {
        let question = name.rsplit_once('.').map_or("", |(q, _)| q).to_string();
        let position = positions.entry(question).or_default();
        *position += 1;
        fields.push(format!("{}={position}", enc(&name)));
        at = end;
    }
    let mut answered = std::collections::HashSet::new();
    let mut at = 0;
    while let Some(start) = page[at..].find("<input ").map(|i| i + at) {
        let end = page[start..].find('>')? + start;
        let tag = &page[start..end];
        at = end;
        let attr = |name: &str| -> Option<&str> {
            let from = tag.find(&format!(" {name}=\""))? + name.len() + 3;
            Some(&tag[from..from + tag[from..].find('"')?])
        };
        let Some(name) = attr("name").filter(|n| n.starts_with("a.")) else {
            continue;
        };
        match attr("type") {
            Some("radio" | "checkbox") if answered.insert(name) => {
                fields.push(format!("{}={}", enc(name), enc(attr("value")?)));
            }
            Some("text") if answered.insert(name) => fields.push(format!("{}=1", enc(name))),
            _ => {}
        }
    }
    Some(fields.join("&"))
}

fn attr(html: &str, selector: &str, name: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).expect("selector");
    doc.select(&sel)
        .filter_map(|e| e.value().attr(name).map(str::to_string))
        .collect()
}

/// Learner `i`'s own loopback address (127.1.x.y; Linux answers on all of 127.0.0.0/8): the server
/// throttles sign-ups per address, and a class signs up from its learners' own machines.
fn own_address(i: usize) -> std::net::IpAddr {
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(
        127,
        1,
        (i / 250) as u8,
        (i % 250 + 1) as u8,
    ))
}

async fn sign_up(base: &str, i: usize) -> anyhow::Result<Learner> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_local_address(Some(own_address(i)));
    let http: &Http = &Client::builder(TokioExecutor::new()).build(connector);
    let (_, cookie, page) = send(http, "GET", &format!("{base}/signup"), None, None).await?;
    let mut cookie = cookie.ok_or_else(|| anyhow::anyhow!("no CSRF cookie"))?;
    let csrf = attr(&page, "input[name=csrf]", "value").remove(0);
    let name = format!("bench-{i}-{}", std::process::id());
    let body =
        format!("csrf={csrf}&name={name}&display_name={name}&password=bench-password-123&next=%2F");
    let (status, new_cookie, _) = send(
        http,
        "POST",
        &format!("{base}/signup"),
        Some(&cookie),
        Some(body),
    )
    .await?;
    anyhow::ensure!(status == 303, "sign up answered {status}");
    // Signing up sets the session and renews the CSRF cookie: both come back in this response.
    cookie = new_cookie.unwrap_or(cookie);
    let (_, _, quiz) = send(
        http,
        "GET",
        &format!("{base}/topics/tcp/quiz"),
        Some(&cookie),
        None,
    )
    .await?;
    let csrf = attr(&quiz, "form[data-quiz] input[name=csrf]", "value").remove(0);
    anyhow::ensure!(form_fields(&quiz).is_some(), "the quiz page has no form");
    // With QUIZ_LOAD_JOIN=CODE, each learner joins that class first, so every attempt also updates the
    // class's aggregates.
    if let Ok(code) = std::env::var("QUIZ_LOAD_JOIN")
        && !code.is_empty()
    {
        let (status, _, _) = send(
            http,
            "POST",
            &format!("{base}/join/{code}"),
            Some(&cookie),
            Some(format!("csrf={}", enc(&csrf))),
        )
        .await?;
        anyhow::ensure!(status == 303, "joining the class answered {status}");
    }
    Ok(Learner {
        cookie,
        csrf: format!("csrf={}", enc(&csrf)),
    })
}

/// The attempts stored in `db`: a `postgres://` URL, or a SQLite file's path (opened read-only).
async fn count_attempts(db: &str) -> anyhow::Result<i64> {
    let query = "select count(*) from attempt";
    let (n,): (i64,) = if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        let pool = sqlx::PgPool::connect(db).await?;
        let n = sqlx::query_as(query).fetch_one(&pool).await?;
        pool.close().await;
        n
    } else {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{db}?mode=ro")).await?;
        let n = sqlx::query_as(query).fetch_one(&pool).await?;
        pool.close().await;
        n
    };
    Ok(n)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let db = args.get(2).cloned().ok_or_else(|| {
        anyhow::anyhow!("usage: quiz_load BASE_URL DB [CLIENTS] [SECONDS] [RATE]")
    })?;
    let clients: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(64);
    let seconds: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(30);
    let rate: f64 = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(0.0);

    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let http: Http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(clients * 2)
        .build(connector);
    let mut learners = Vec::new();
    for i in 0..clients {
        learners.push(sign_up(&base, i).await?);
    }
    let before = count_attempts(&db).await?;

    let acks: Option<Arc<Mutex<std::fs::File>>> = match std::env::var_os("QUIZ_LOAD_ACKS") {
        Some(path) => Some(Arc::new(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?,
        ))),
        None => None,
    };

    // On stderr, so a script can measure the submitting alone (bench/scaleout.sh samples CPU time then).
    eprintln!("signed up {clients} learners; submitting for {seconds} s");
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, learner) in learners.into_iter().enumerate() {
        let http = http.clone();
        let stop = stop.clone();
        let acks = acks.clone();
        let url = format!("{base}/topics/tcp/quiz");
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut cycles = Vec::new();
            let (mut ok, mut failed) = (0u64, 0u64);
            let mut n = 0u64;
            // Paced: this client's turns are `period` apart, the clients staggered across one period.
            let period = (rate > 0.0).then(|| Duration::from_secs_f64(clients as f64 / rate));
            let first_due =
                started + period.map_or(Duration::ZERO, |p| p * i as u32 / clients as u32);
            while !stop.load(Ordering::Relaxed) {
                let t = match period {
                    Some(p) => {
                        let due = first_due + p * n as u32;
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    None => Instant::now(),
                };
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                n += 1;
                let fields = match send(&http, "GET", &url, Some(&learner.cookie), None).await {
                    Ok((200, _, page)) => form_fields(&page),
                    _ => None,
                };
                let Some(fields) = fields else {
                    failed += 1;
                    eprintln!("the quiz page could not be read");
                    continue;
                };
                let body = format!("{}&{fields}", learner.csrf);
                let sent = Instant::now();
                match send_full(&http, "POST", &url, Some(&learner.cookie), Some(body)).await {
                    Ok((303, _, location, _)) => {
                        ok += 1;
                        // Written as each arrives: whoever reads the file may kill this process.
                        if let (Some(acks), Some(id)) = (
                            &acks,
                            location
                                .as_deref()
                                .and_then(|l| l.strip_prefix("/attempts/")),
                        ) && let Ok(mut file) = acks.lock()
                        {
                            let _ = writeln!(file, "{id}");
                        }
                    }
                    Ok((status, _, _, text)) => {
                        failed += 1;
                        if failed <= 3 {
                            eprintln!(
                                "status {status}: {}",
                                text.chars().take(200).collect::<String>()
                            );
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("error: {e}");
                    }
                }
                latencies.push(sent.elapsed());
                cycles.push(t.elapsed());
            }
            (ok, failed, latencies, cycles)
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut ok, mut failed, mut latencies, mut cycles) = (0, 0, Vec::new(), Vec::new());
    for task in tasks {
        let (o, f, l, c) = task.await?;
        ok += o;
        failed += f;
        latencies.extend(l);
        cycles.extend(c);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    cycles.sort();
    let percentile = |sorted: &[Duration], p: f64| {
        sorted
            .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let pct = |p: f64| percentile(&latencies, p);
    let after = count_attempts(&db).await?;
    println!(
        "clients={clients} rate={rate} seconds={elapsed:.1} ok={ok} failed={failed} rps={:.0} p50_ms={:.2} p99_ms={:.2} max_ms={:.2} cycle_p50_ms={:.2} cycle_p99_ms={:.2} stored={}",
        ok as f64 / elapsed,
        pct(0.5),
        pct(0.99),
        pct(1.0),
        percentile(&cycles, 0.5),
        percentile(&cycles, 0.99),
        after - before
    );
    Ok(())
}
