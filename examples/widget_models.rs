//! Unit benchmark of the widget models: for every widget in the registry and every named scenario it
//! lists, how long one run takes — the model's whole scenario written out as the JSON the API serves —,
//! in microseconds per run (the best of five batches, so another process on the machine counts less).
//! The budget is under 1 ms per scenario. Not a test: numbers depend on the machine.
//!
//! cargo run --example widget_models [--release] [-- RUNS]

use std::hint::black_box;
use std::time::Instant;

fn main() {
    let runs: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000);
    println!(
        "{:<10} {:<28} {:>10}  (best of 5 × {runs} runs; {} build)",
        "widget",
        "scenario",
        "µs/run",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    for widget in infra_dojo::widgets::registry() {
        for scenario in widget.scenarios() {
            // FTP names its scenarios by mode; every widget ignores the key it does not know.
            let query = vec![
                ("scenario".to_owned(), scenario.name.to_owned()),
                ("mode".to_owned(), scenario.name.to_owned()),
            ];
            let mut best = f64::INFINITY;
            for _ in 0..5 {
                let start = Instant::now();
                for _ in 0..runs {
                    let json = widget
                        .scenario_json(black_box(&query))
                        .expect("a listed scenario runs");
                    black_box(json);
                }
                best = best.min(start.elapsed().as_secs_f64() * 1e6 / f64::from(runs));
            }
            println!("{:<10} {:<28} {best:>10.1}", widget.name(), scenario.name);
        }
    }
}
