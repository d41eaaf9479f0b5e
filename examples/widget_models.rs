//! Unit benchmark of the widget models: for every widget in the registry and every named scenario it
//! offers, computes the scenario through `Widget::scenario_json` (the model's run and its JSON, what
//! `GET /api/widgets/{name}` does) many times and prints the mean time per scenario in µs. Issue 11's
//! target is under 1 ms per scenario; this prints numbers, it asserts nothing (timing is not a test).
//!
//! cargo run --release --example widget_models [ITERATIONS]

use std::hint::black_box;
use std::time::Instant;

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000);
    println!("{:<12} {:<28} {:>10}", "widget", "scenario", "µs/run");
    let mut worst = 0.0f64;
    for widget in infra_dojo::widgets::registry() {
        for scenario in widget.scenarios() {
            let query = vec![("scenario".to_owned(), scenario.name.to_owned())];
            // One run first, so a scenario the model refuses shows up as an error, not a time.
            if let Err(e) = widget.scenario_json(&query) {
                println!("{:<12} {:<28} error: {e}", widget.name(), scenario.name);
                continue;
            }
            let start = Instant::now();
            for _ in 0..iterations {
                black_box(widget.scenario_json(black_box(&query)).ok());
            }
            let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations);
            worst = worst.max(us);
            println!("{:<12} {:<28} {:>10.1}", widget.name(), scenario.name, us);
        }
    }
    println!("slowest scenario: {worst:.1} µs ({iterations} runs each)");
}
