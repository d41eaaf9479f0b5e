//! Timing of the widget models (a unit benchmark, not a test): every scenario of every widget in the
//! registry, with its default parameters and with the largest ones a widget accepts where they make the
//! run longer, computed and written as JSON as `GET /api/widgets/{name}` does. Prints µs per scenario
//! (the median of 15 rounds) and the size of the JSON. The target is under 1 ms per scenario.
//!
//! cargo run --release --example widget_models

use std::hint::black_box;
use std::time::Instant;

/// Extra queries that make a run as long as a widget allows.
const HEAVY: &[(&str, &str)] = &[
    ("snmp", "scenario=walk-iftable&interfaces=4"),
    ("snmp", "scenario=bulk&non_repeaters=0&max_repetitions=10"),
    (
        "snmp",
        "scenario=poll&hc=true&rate_mbps=100000&interval=600",
    ),
    ("race", "scenario=mutex&schedule=121212"),
    ("forktree", "scenario=fork-loop&n=6"),
    ("forktree", "scenario=random&actions=30"),
];

fn pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn main() {
    let mut runs: Vec<(&str, String)> = Vec::new();
    for w in infra_dojo::widgets::registry() {
        for s in w.scenarios() {
            runs.push((w.name(), format!("scenario={}", s.name)));
        }
    }
    for (name, query) in HEAVY {
        if infra_dojo::widgets::find(name).is_some() {
            runs.push((name, (*query).to_owned()));
        }
    }
    let mut worst = 0.0f64;
    for (name, query) in runs {
        let Some(widget) = infra_dojo::widgets::find(name) else {
            continue;
        };
        let q = pairs(&query);
        // Enough iterations per round for the clock: about 20 ms.
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed().as_millis() < 20 {
            black_box(
                widget
                    .scenario_json(black_box(&q))
                    .expect("a valid scenario"),
            );
            n += 1;
        }
        let bytes = widget
            .scenario_json(&q)
            .expect("a valid scenario")
            .get()
            .len();
        let mut rounds: Vec<f64> = (0..15)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..n {
                    black_box(
                        widget
                            .scenario_json(black_box(&q))
                            .expect("a valid scenario"),
                    );
                }
                t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
            })
            .collect();
        rounds.sort_by(f64::total_cmp);
        let median = rounds[rounds.len() / 2];
        worst = worst.max(median);
        println!("{name:<10} {query:<55} {median:>9.1} µs  {bytes:>7} bytes of JSON");
    }
    println!("slowest scenario: {worst:.1} µs (target < 1000 µs)");
}
