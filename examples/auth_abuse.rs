//! Load generator for `bench/auth-abuse.sh`: attacks on `/login` and `/signup` over loopback. Where a
//! scenario needs many machines, each virtual client sends from its own loopback address (127.x.y.z:
//! Linux answers on all of 127.0.0.0/8), so the server sees what it would see from a real crowd.
//!
//! ```text
//! auth_abuse BASE race NAME PASSWORD N          N wrong passwords for NAME at once from 127.5.0.1,
//!                                               then, once they are answered, the right one
//! auth_abuse BASE burst NAME PASSWORD N         N requests at once from 127.5.0.2: N-1 wrong
//!                                               passwords and the right one sent last
//! auth_abuse BASE login-flood PREFIX WIDTH PASSWORD N
//!                                               N learners (PREFIX + number, WIDTH digits, from 1) log
//!                                               in at once, each from its own address
//! auth_abuse BASE signup-flood TAG N SPREAD     N new accounts at once; SPREAD = many (one address
//!                                               each) or one (all from one address)
//! ```
//!
//! Prints one line of `key=value` pairs: how many answers of each status, the slowest answer, the
//! wall time, and (race) the status of the right password afterwards.

#[path = "support/http.rs"]
mod http;
use http::{Http, enc, send};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

/// A client whose connections come from `ip`.
fn http_from(ip: Ipv4Addr) -> Http {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_local_address(Some(IpAddr::V4(ip)));
    Client::builder(TokioExecutor::new()).build(connector)
}

/// The n-th address of a block: 127.<block>.<n / 250>.<n % 250 + 1>.
fn address(block: u8, n: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, block, (n / 250) as u8, (n % 250 + 1) as u8)
}

/// A session on `page` (`/login` or `/signup`): its cookie and the form's CSRF token.
async fn session(http: &Http, base: &str, page: &str) -> anyhow::Result<(String, String)> {
    let (_, cookie, html) = send(http, "GET", &format!("{base}{page}"), None, None).await?;
    let cookie = cookie.ok_or_else(|| anyhow::anyhow!("no session cookie"))?;
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("input[name=csrf]").expect("selector");
    let csrf = doc
        .select(&sel)
        .find_map(|e| e.value().attr("value").map(str::to_string))
        .ok_or_else(|| anyhow::anyhow!("no csrf on {page}"))?;
    Ok((cookie, csrf))
}

/// One request of a burst: who sends it, and what.
struct Shot {
    http: Http,
    url: String,
    cookie: String,
    body: String,
}

/// Statuses counted, the slowest answer, and the wall time of a burst.
struct Outcome {
    statuses: BTreeMap<String, usize>,
    slowest: Duration,
    wall: Duration,
    /// The status of the last shot (the one sent last).
    last: u16,
}

/// Fires every shot at once and waits for all answers.
async fn fire(shots: Vec<Shot>) -> Outcome {
    let started = Instant::now();
    let count = shots.len();
    let mut tasks = Vec::with_capacity(count);
    for shot in shots {
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let status = match send(
                &shot.http,
                "POST",
                &shot.url,
                Some(&shot.cookie),
                Some(shot.body),
            )
            .await
            {
                Ok((status, _, _)) => status,
                Err(e) => {
                    eprintln!("error: {e}");
                    0
                }
            };
            (status, t.elapsed())
        }));
    }
    let mut statuses = BTreeMap::new();
    let mut slowest = Duration::ZERO;
    let mut last = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        let (status, took) = task.await.unwrap_or((0, Duration::ZERO));
        *statuses.entry(status.to_string()).or_insert(0) += 1;
        slowest = slowest.max(took);
        if i + 1 == count {
            last = status;
        }
    }
    Outcome {
        statuses,
        slowest,
        wall: started.elapsed(),
        last,
    }
}

fn login_body(csrf: &str, name: &str, password: &str) -> String {
    format!(
        "csrf={}&name={}&password={}",
        enc(csrf),
        enc(name),
        enc(password)
    )
}

fn report(scenario: &str, n: usize, outcome: &Outcome, extra: &str) {
    let get = |s: &str| outcome.statuses.get(s).copied().unwrap_or(0);
    let known = ["303", "401", "429", "503"];
    let other: usize = outcome
        .statuses
        .iter()
        .filter(|(s, _)| !known.contains(&s.as_str()))
        .map(|(_, n)| n)
        .sum();
    println!(
        "scenario={scenario} n={n} s303={} s401={} s429={} s503={} other={other} last={} slowest_ms={} wall_ms={}{extra}",
        get("303"),
        get("401"),
        get("429"),
        get("503"),
        outcome.last,
        outcome.slowest.as_millis(),
        outcome.wall.as_millis(),
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: auth_abuse BASE (race|burst) NAME PASSWORD N | login-flood PREFIX WIDTH PASSWORD N | signup-flood TAG N (many|one)";
    let arg = |i: usize| {
        args.get(i)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("{usage}"))
    };
    let base = arg(1)?;
    let scenario = arg(2)?;
    match scenario.as_str() {
        "race" | "burst" => {
            let (name, password) = (arg(3)?, arg(4)?);
            let n: usize = arg(5)?.parse()?;
            // One attacker, one address; the race and the burst each their own, so that what one
            // leaves behind in a per-address count does not decide the other.
            let last = if scenario == "race" { 1 } else { 2 };
            let http = http_from(Ipv4Addr::new(127, 5, 0, last));
            let (cookie, csrf) = session(&http, &base, "/login").await?;
            let url = format!("{base}/login");
            let shots = (0..n)
                .map(|i| {
                    let guess = if scenario == "burst" && i + 1 == n {
                        password.clone()
                    } else {
                        format!("wrong-guess-{i:04}")
                    };
                    Shot {
                        http: http.clone(),
                        url: url.clone(),
                        cookie: cookie.clone(),
                        body: login_body(&csrf, &name, &guess),
                    }
                })
                .collect();
            let outcome = fire(shots).await;
            let extra = if scenario == "race" {
                let (status, _, _) = send(
                    &http,
                    "POST",
                    &url,
                    Some(&cookie),
                    Some(login_body(&csrf, &name, &password)),
                )
                .await?;
                format!(" right_after={status}")
            } else {
                String::new()
            };
            report(&scenario, n, &outcome, &extra);
        }
        "login-flood" => {
            let (prefix, width, password) = (arg(3)?, arg(4)?.parse::<usize>()?, arg(5)?);
            let n: usize = arg(6)?.parse()?;
            let mut shots = Vec::with_capacity(n);
            for i in 0..n {
                let http = http_from(address(2, i));
                let (cookie, csrf) = session(&http, &base, "/login").await?;
                let name = format!("{prefix}{:0width$}", i + 1);
                shots.push(Shot {
                    http,
                    url: format!("{base}/login"),
                    cookie,
                    body: login_body(&csrf, &name, &password),
                });
            }
            report("login-flood", n, &fire(shots).await, "");
        }
        "signup-flood" => {
            let (tag, n, spread) = (arg(3)?, arg(4)?.parse::<usize>()?, arg(5)?);
            let mut shots = Vec::with_capacity(n);
            for i in 0..n {
                let ip = if spread == "one" {
                    Ipv4Addr::new(127, 4, 0, 1)
                } else {
                    address(3, i)
                };
                let http = http_from(ip);
                let (cookie, csrf) = session(&http, &base, "/signup").await?;
                let name = format!("{tag}-{i}");
                shots.push(Shot {
                    http,
                    url: format!("{base}/signup"),
                    cookie,
                    body: format!(
                        "csrf={}&name={name}&display_name={name}&password=flood-password-123",
                        enc(&csrf)
                    ),
                });
            }
            report(&format!("signup-flood-{spread}"), n, &fire(shots).await, "");
        }
        _ => anyhow::bail!("{usage}"),
    }
    Ok(())
}
