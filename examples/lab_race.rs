//! The lab's race experiment with real threads (Python's threads cannot run at once): two threads of
//! one process each do `counter++` a million times as a separate load and store — exactly the
//! widget's `r = counter; r = r + 1; counter = r;`, with no undefined behaviour in Rust — then the
//! same under a mutex. Prints one JSON object: the PID and TID each thread sees, and for each trial
//! the final count and how many increments were lost. Threads that do not overlap lose nothing (on a
//! busy machine one may finish before the other runs), so the unlocked runs go on until one has lost
//! updates, or `MAX_TRIALS`; the mutex runs `TRIALS` times.
//!
//! Usage: `cargo run --example lab_race -- threads|mutex`

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier, Mutex};

const PER_THREAD: u64 = 1_000_000;
const TRIALS: usize = 5;
const MAX_TRIALS: usize = 200;

/// (PID, TID) of the calling thread, as /proc/thread-self names them (`PID/task/TID`).
fn ids() -> (u64, u64) {
    let link = std::fs::read_link("/proc/thread-self").unwrap_or_default();
    let parts: Vec<u64> = link
        .to_string_lossy()
        .split('/')
        .filter_map(|p| p.parse().ok())
        .collect();
    (
        parts.first().copied().unwrap_or(0),
        parts.get(1).copied().unwrap_or(0),
    )
}

/// Two threads (the main one and one spawned) each run `work` once, started together.
fn two_threads(work: impl Fn() + Send + Sync + 'static) -> [(u64, u64); 2] {
    let work = Arc::new(work);
    let start = Arc::new(Barrier::new(2));
    let (w, s) = (Arc::clone(&work), Arc::clone(&start));
    let t2 = std::thread::spawn(move || {
        s.wait();
        w();
        ids()
    });
    start.wait();
    work();
    let me = ids();
    [me, t2.join().expect("the second thread")]
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let mut finals = Vec::new();
    let mut ids_seen = Vec::new();
    for trial in 0.. {
        let lost_any = finals.iter().any(|f| *f < 2 * PER_THREAD);
        let enough = match mode.as_str() {
            "threads" => (trial >= TRIALS && lost_any) || trial >= MAX_TRIALS,
            _ => trial >= TRIALS,
        };
        if enough {
            break;
        }
        let (value, seen) = match mode.as_str() {
            "threads" => {
                let counter = Arc::new(AtomicU64::new(0));
                let c = Arc::clone(&counter);
                let seen = two_threads(move || {
                    for _ in 0..PER_THREAD {
                        // load, add, store: another thread's store between them is lost.
                        let r = c.load(Relaxed);
                        c.store(r + 1, Relaxed);
                    }
                });
                (counter.load(Relaxed), seen)
            }
            "mutex" => {
                let counter = Arc::new(Mutex::new(0u64));
                let c = Arc::clone(&counter);
                let seen = two_threads(move || {
                    for _ in 0..PER_THREAD {
                        let mut guard = c.lock().expect("no thread panics holding it");
                        let r = *guard;
                        *guard = r + 1;
                    }
                });
                let value = *counter.lock().expect("no thread panics holding it");
                (value, seen)
            }
            _ => {
                eprintln!("usage: lab_race threads|mutex");
                std::process::exit(2);
            }
        };
        finals.push(value);
        ids_seen = seen.to_vec();
    }
    let lost: Vec<u64> = finals.iter().map(|f| 2 * PER_THREAD - f).collect();
    println!(
        "{{\"mode\": \"{mode}\", \"per_thread\": {PER_THREAD}, \"finals\": {finals:?}, \"lost\": {lost:?}, \"same_pid\": {}, \"different_tid\": {}}}",
        ids_seen[0].0 == ids_seen[1].0 && ids_seen[0].0 != 0,
        ids_seen[0].1 != ids_seen[1].1
    );
}
