//! Load generator for `bench/quiz.sh`: signs up N learners over HTTP, then has each submit TCP quiz
//! attempts in a loop for a fixed time (one connection per learner), and reports throughput, latency
//! percentiles, errors, and the number of attempts in the database. In-flight requests finish before
//! counting, so "stored attempts = successful responses" is exact.
//!
//! With RATE (submissions per second, all clients together), each client sends on a fixed schedule
//! instead of as fast as it can, and a latency counts from when the request was due, not from when it
//! went out — so a server that falls behind is charged for the wait (no coordinated omission).
//!
//! With QUIZ_LOAD_ACKS=FILE, the id of every attempt the server acknowledged (the 303 to
//! `/attempts/{id}`) is appended to FILE as it arrives, one a line: `bench/durability.sh` kills the
//! server under load and checks that every acknowledged attempt survived.
//!
//! cargo run --release --example quiz_load -- BASE_URL DB_PATH [CLIENTS] [SECONDS] [RATE]

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Http = Client<HttpConnector, Full<Bytes>>;

struct Learner {
    cookie: String,
    /// The form without its token: csrf, seed, started, q and order positions.
    form: String,
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn send(
    http: &Http,
    method: &str,
    url: &str,
    cookie: Option<&str>,
    body: Option<String>,
) -> anyhow::Result<(u16, Option<String>, String)> {
    let (status, set_cookie, _, text) = send_full(http, method, url, cookie, body).await?;
    Ok((status, set_cookie, text))
}

/// [`send`], with the `Location` header too.
async fn send_full(
    http: &Http,
    method: &str,
    url: &str,
    cookie: Option<&str>,
    body: Option<String>,
) -> anyhow::Result<(u16, Option<String>, Option<String>, String)> {
    let mut req = hyper::Request::builder().method(method).uri(url);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if body.is_some() {
        req = req.header("content-type", "application/x-www-form-urlencoded");
    }
    let res = http
        .request(req.body(Full::new(Bytes::from(body.unwrap_or_default())))?)
        .await?;
    let status = res.status().as_u16();
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_string());
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = String::from_utf8_lossy(&res.into_body().collect().await?.to_bytes()).into_owned();
    Ok((status, set_cookie, location, text))
}

fn attr(html: &str, selector: &str, name: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).expect("selector");
    doc.select(&sel)
        .filter_map(|e| e.value().attr(name).map(str::to_string))
        .collect()
}

async fn sign_up(http: &Http, base: &str, i: usize) -> anyhow::Result<Learner> {
    let (_, cookie, page) = send(http, "GET", &format!("{base}/signup"), None, None).await?;
    let mut cookie = cookie.ok_or_else(|| anyhow::anyhow!("no session cookie"))?;
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
    cookie = new_cookie.unwrap_or(cookie);
    let (_, _, quiz) = send(
        http,
        "GET",
        &format!("{base}/topics/tcp/quiz"),
        Some(&cookie),
        None,
    )
    .await?;
    let mut form = Vec::new();
    for field in ["csrf", "seed", "started", "q"] {
        let value = attr(
            &quiz,
            &format!("form[data-quiz] input[name={field}]"),
            "value",
        )
        .remove(0);
        form.push(format!("{field}={}", enc(&value)));
    }
    // Ordering questions must be complete; the rest may stay blank (graded as wrong).
    for name in attr(&quiz, "form[data-quiz] select", "name") {
        let position = attr(
            &quiz,
            &format!("select[name='{name}'] option[selected]"),
            "value",
        )
        .remove(0);
        form.push(format!("{}={position}", enc(&name)));
    }
    Ok(Learner {
        cookie,
        form: form.join("&"),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let db = args
        .get(2)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("usage: quiz_load BASE_URL DB_PATH [CLIENTS] [SECONDS]"))?;
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
        learners.push(sign_up(&http, &base, i).await?);
    }
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{db}?mode=ro")).await?;
    let (before,): (i64,) = sqlx::query_as("select count(*) from attempt")
        .fetch_one(&pool)
        .await?;

    let acks: Option<Arc<Mutex<std::fs::File>>> = match std::env::var_os("QUIZ_LOAD_ACKS") {
        Some(path) => Some(Arc::new(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?,
        ))),
        None => None,
    };

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
                // Unique across runs against the same database (a reused token is a resubmission).
                let token = format!("{:08x}{:08x}{:016x}", std::process::id(), i, n);
                let body = format!("{}&token={token}", learner.form);
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
                latencies.push(t.elapsed());
            }
            (ok, failed, latencies)
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut ok, mut failed, mut latencies) = (0, 0, Vec::new());
    for task in tasks {
        let (o, f, l) = task.await?;
        ok += o;
        failed += f;
        latencies.extend(l);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let (after,): (i64,) = sqlx::query_as("select count(*) from attempt")
        .fetch_one(&pool)
        .await?;
    println!(
        "clients={clients} rate={rate} seconds={elapsed:.1} ok={ok} failed={failed} rps={:.0} p50_ms={:.2} p99_ms={:.2} max_ms={:.2} stored={}",
        ok as f64 / elapsed,
        pct(0.5),
        pct(0.99),
        pct(1.0),
        after - before
    );
    Ok(())
}
