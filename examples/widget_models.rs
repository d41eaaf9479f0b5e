//! Unit benchmark of the widget models: how long one scenario takes to compute, for every scenario of
//! every widget in the registry (through `scenario_json`, the work `GET /api/widgets/{name}` does), and
//! for the sched widget every CPU and task count. Prints the median, the 99th percentile and the worst
//! of many runs in µs (the worst is mostly the process being preempted on a busy machine). The issue's
//! target is under 1 ms per scenario.
//!
//! cargo run --release --example widget_models [ITERATIONS]

use infra_dojo::widgets::registry;
use std::time::Instant;

/// Median, 99th percentile and maximum time of `f` over `n` runs, in µs.
fn time(n: usize, mut f: impl FnMut()) -> (f64, f64, f64) {
    let mut samples: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    (
        samples[n / 2],
        samples[(n * 99 / 100).min(n - 1)],
        samples[n - 1],
    )
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000)
        .max(1);
    println!("{n} runs each; median / p99 / max in µs");
    let mut worst: f64 = 0.0;
    let mut row = |widget: &str, query: Vec<(String, String)>| {
        let w = infra_dojo::widgets::find(widget).expect("registered");
        let label = query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let (median, p99, max) = time(n, || {
            std::hint::black_box(w.scenario_json(&query).expect("a valid scenario"));
        });
        worst = worst.max(median);
        println!("{widget:10} {label:40} {median:8.1} {p99:8.1} {max:9.1}");
    };
    for w in registry() {
        for s in w.scenarios() {
            // FTP names its scenario `mode`; each widget ignores the key it does not know.
            row(
                w.name(),
                vec![
                    ("scenario".to_owned(), s.name.to_owned()),
                    ("mode".to_owned(), s.name.to_owned()),
                ],
            );
        }
    }
    for cpus in 1..=4 {
        for (scenario, tasks) in [
            ("lifecycle", 5),
            ("balance", 1),
            ("balance", 8),
            ("load", 5),
        ] {
            row(
                "sched",
                vec![
                    ("scenario".to_owned(), scenario.to_owned()),
                    ("cpus".to_owned(), cpus.to_string()),
                    ("tasks".to_owned(), tasks.to_string()),
                ],
            );
        }
    }
    println!("slowest median: {worst:.1} µs");
}
