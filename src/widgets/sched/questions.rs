//! Quiz questions on the run queues and the load average, counted by the model: how many compute
//! tasks run at once and how many wait on N CPUs, and, after a seeded list of events, what the load
//! average counts and how many tasks show a given STAT letter.

use super::engine::Event;
use super::model::{Stat, Step};
use super::scenarios::{SHELL_PID, Script};
use super::{Params, Scenario, simulate};
use crate::widgets::rng::Rng;
use crate::widgets::{GeneratedQuestion, QuestionGenerator};

/// The generators a question bank can name for this widget.
pub static GENERATORS: [QuestionGenerator; 4] = [
    QuestionGenerator {
        id: "sched-running",
        make: running,
    },
    QuestionGenerator {
        id: "sched-waiting",
        make: waiting,
    },
    QuestionGenerator {
        id: "sched-load",
        make: load,
    },
    QuestionGenerator {
        id: "sched-stat-count",
        make: stat_count,
    },
];

/// CPUs and compute tasks for a seed, and the balance run's step after the last fork.
fn compute_setup(seed: u64) -> (usize, usize, Step) {
    let mut rng = Rng::new(seed);
    let cpus = 1 + rng.below(4) as usize;
    let tasks = 1 + rng.below(8) as usize;
    let run = simulate(&Params {
        scenario: Scenario::Balance,
        cpus,
        tasks,
    });
    // Steps 0..tasks are the forks; the one after the last fork is the machine with every task R.
    let step = run.steps[tasks - 1].clone();
    (cpus, tasks, step)
}

fn compute_prompt(cpus: usize, tasks: usize, ask: &str) -> String {
    format!(
        "論理 CPU が {cpus} 個のマシンで、計算だけを続ける（入出力を待たない）タスクが {tasks} 個、実行可能（R）になっています。ほかに実行可能なタスクはありません。{ask}"
    )
}

/// "How many run at once?" — at most one per CPU.
fn running(seed: u64) -> GeneratedQuestion {
    let (cpus, tasks, step) = compute_setup(seed);
    let answer = step.running as u64;
    GeneratedQuestion {
        prompt: compute_prompt(
            cpus,
            tasks,
            "同じ瞬間に CPU の上で実行中のタスクはいくつですか？",
        ),
        answer,
        values: vec![
            ("cpus", cpus.to_string()),
            ("tasks", tasks.to_string()),
            ("answer", answer.to_string()),
        ],
    }
}

/// "How many wait in the run queues?" — R but not on a CPU.
fn waiting(seed: u64) -> GeneratedQuestion {
    let (cpus, tasks, step) = compute_setup(seed);
    let answer = (step.runnable - step.running) as u64;
    GeneratedQuestion {
        prompt: compute_prompt(
            cpus,
            tasks,
            "そのうち、CPU ごとの実行待ちキューで順番を待っているタスクはいくつですか？",
        ),
        answer,
        values: vec![
            ("cpus", cpus.to_string()),
            ("tasks", tasks.to_string()),
            ("running", step.running.to_string()),
            ("answer", answer.to_string()),
        ],
    }
}

/// A seeded story: CPUs, then 2–5 tasks started by the shell, each with its own fate (compute,
/// read an empty pipe, wait for the disk, be stopped, exit, exit and be reaped). Returns the CPU
/// count, the events as the prompt lists them, and the last step.
pub fn random_story(seed: u64) -> (usize, Vec<String>, Step) {
    let mut rng = Rng::new(seed);
    let cpus = 1 + rng.below(4) as usize;
    let n = 2 + rng.below(4) as u32;
    let mut s = Script::new(cpus);
    const NAMES: [&str; 5] = ["make", "sort", "tar", "gzip", "ssh"];
    for i in 0..n {
        s.push(&Event::Fork {
            pid: SHELL_PID + 1 + i,
            comm: NAMES[i as usize],
            cpu: 0,
        });
    }
    for i in 0..n {
        let pid = SHELL_PID + 1 + i;
        match rng.below(6) {
            0 => {}
            1 => {
                s.run(pid);
                s.push(&Event::ReadPipe(pid));
            }
            2 => {
                s.run(pid);
                s.push(&Event::DiskRead(pid));
            }
            3 => s.push(&Event::Stop {
                pid,
                keyboard: false,
            }),
            4 => {
                s.run(pid);
                s.push(&Event::Exit(pid));
            }
            _ => {
                s.run(pid);
                s.push(&Event::Exit(pid));
                s.push(&Event::Wait {
                    pid,
                    parent: SHELL_PID,
                });
            }
        }
    }
    // A story has at least its two forks, so there is a last step; a final slice of CPU 0 would
    // change nothing a question asks about, should there ever be none.
    let mut steps = s.into_steps();
    let events = steps.iter().map(|st| st.event.clone()).collect();
    let last = match steps.pop() {
        Some(step) => step,
        None => Script::new(cpus)
            .machine()
            .clone()
            .apply(&Event::Slice { cpu: 0 }),
    };
    (cpus, events, last)
}

fn story_prompt(cpus: usize, events: &[String], ask: &str) -> (String, String) {
    let listing = events
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{}. {e}", i + 1))
        .collect::<Vec<_>>()
        .join(" ");
    (
        format!(
            "論理 CPU が {cpus} 個のマシンで、bash (PID 100) は入力待ちで眠っています。次のことが順に起きました。{listing} {ask}"
        ),
        listing,
    )
}

/// "What does the load average count now?" — R + D.
fn load(seed: u64) -> GeneratedQuestion {
    let (cpus, events, last) = random_story(seed);
    let answer = last.load as u64;
    let (prompt, listing) = story_prompt(
        cpus,
        &events,
        "最後の時点で、ロードアベレージ（uptime が表示する値）が数えるタスクはいくつですか？",
    );
    GeneratedQuestion {
        prompt,
        answer,
        values: vec![
            ("events", listing),
            ("r", last.runnable.to_string()),
            ("d", last.uninterruptible.to_string()),
            ("answer", answer.to_string()),
        ],
    }
}

/// "How many tasks show STAT X now?" — X picked by the seed among R, S, D, T, Z.
fn stat_count(seed: u64) -> GeneratedQuestion {
    let (cpus, events, last) = random_story(seed);
    let letters = [Stat::R, Stat::S, Stat::D, Stat::T, Stat::Z];
    let letter = letters[Rng::new(seed ^ 0x5354_4154).below(5) as usize];
    let answer = last.tasks.iter().filter(|t| t.stat == letter).count() as u64;
    let (prompt, listing) = story_prompt(
        cpus,
        &events,
        &format!(
            "最後の時点で、ps の STAT 欄が {} のタスクは、bash を含めていくつありますか？",
            letter.letter()
        ),
    );
    GeneratedQuestion {
        prompt,
        answer,
        values: vec![
            ("events", listing),
            ("letter", letter.letter().to_owned()),
            ("meaning", letter.label().to_owned()),
            ("answer", answer.to_string()),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compute_tasks_run_one_per_cpu_and_the_rest_wait() {
        for seed in 0..300 {
            let r = running(seed);
            let w = waiting(seed);
            let cpus: u64 = r.values[0].1.parse().unwrap();
            let tasks: u64 = r.values[1].1.parse().unwrap();
            assert_eq!(r.answer, cpus.min(tasks), "seed {seed}");
            assert_eq!(w.answer, tasks - cpus.min(tasks), "seed {seed}");
            assert_eq!(
                r.prompt,
                w.prompt.replace(
                    "そのうち、CPU ごとの実行待ちキューで順番を待っているタスクはいくつですか？",
                    "同じ瞬間に CPU の上で実行中のタスクはいくつですか？",
                )
            );
        }
    }

    /// The load count recomputed from the final task list by the rule itself (R + D), and the
    /// prompts never state an outcome.
    #[test]
    fn story_questions_count_by_the_rule_and_prompts_hold_events_only() {
        for seed in 0..300 {
            let (_, events, last) = random_story(seed);
            let by_rule = last
                .tasks
                .iter()
                .filter(|t| t.stat.counts_in_load())
                .count();
            let q = load(seed);
            assert_eq!(q.answer as usize, by_rule, "seed {seed}");
            for e in &events {
                for give_away in [
                    "（R）",
                    "（S）",
                    "（D）",
                    "（T）",
                    "（Z）",
                    "ゾンビ",
                    "眠",
                    "停止",
                    "回収",
                ] {
                    assert!(!e.contains(give_away), "seed {seed}: {e}");
                }
            }
            let s = stat_count(seed);
            let letter = &s.values[1].1;
            let counted = last
                .tasks
                .iter()
                .filter(|t| t.stat.letter() == letter)
                .count();
            assert_eq!(s.answer as usize, counted);
            assert!(s.prompt.chars().count() < 1200, "{}", s.prompt);
        }
    }
}
