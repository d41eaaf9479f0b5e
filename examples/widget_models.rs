//! Unit benchmark of the widget models: how long one scenario takes to compute, for every scenario
//! of every widget in the registry (the model and its JSON, as `GET /api/widgets/{name}` does it), and
//! the model alone for the widgets that expose `simulate` here. The budget is under 1 ms per scenario.
//!
//! cargo run --release --example widget_models [ITERATIONS]
//!
//! A widget whose scenarios are not chosen with `scenario=` (FTP takes `mode=` and settings) is timed
//! on the request each name would make, which it reads as its default setup; the row says so.

use infra_dojo::widgets::{self, pipe, procmem};
use std::hint::black_box;
use std::time::Instant;

/// Mean µs per call of `f` over `n` calls, after a short warm-up.
fn time(n: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 + 1 {
        f();
    }
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000);
    println!("{n} iterations each; µs per scenario (mean)\n");
    println!("{:<12} {:<22} {:>10}", "widget", "scenario", "json µs");
    let mut worst = 0f64;
    for w in widgets::registry() {
        for s in w.scenarios() {
            let query = vec![("scenario".to_owned(), s.name.to_owned())];
            let us = time(n, || {
                black_box(w.scenario_json(black_box(&query)).ok());
            });
            worst = worst.max(us);
            let note = if w.name() == "ftp" {
                "  (default setup: ftp reads mode=)"
            } else {
                ""
            };
            println!("{:<12} {:<22} {:>10.1}{note}", w.name(), s.name, us);
        }
    }
    println!("\nmodel only (no JSON):");
    for s in pipe::Scenario::ALL {
        for size in [pipe::SIZE_DEFAULT, pipe::SIZE_MAX] {
            let p = pipe::Params {
                scenario: s,
                size,
                ..Default::default()
            };
            let us = time(n, || {
                black_box(pipe::simulate(black_box(&p)));
            });
            worst = worst.max(us);
            println!(
                "{:<12} {:<22} {:>10.1}  (size {size})",
                "pipe",
                s.name(),
                us
            );
        }
    }
    for s in procmem::Scenario::ALL {
        let p = procmem::Params {
            scenario: s,
            ..Default::default()
        };
        let us = time(n, || {
            black_box(procmem::simulate(black_box(&p)));
        });
        worst = worst.max(us);
        println!("{:<12} {:<22} {:>10.1}", "procmem", s.name(), us);
    }
    println!("\nslowest: {worst:.1} µs (budget 1000 µs)");
}
