//! Quiz questions on the race, numbers from a seed and answers from the model: the final value of an
//! unlocked schedule, of a locked one, what the parent prints after fork, and how many interleavings
//! two threads of a and b steps have.

use super::scenarios::interleavings;
use super::{Params, Scenario, Schedule, schedule_text, simulate};
use crate::widgets::rng::Rng;
use crate::widgets::{GeneratedQuestion, QuestionGenerator};

/// The generators a question bank can name for this widget.
pub static GENERATORS: [QuestionGenerator; 4] = [
    QuestionGenerator {
        id: "race-final-value",
        make: final_unlocked,
    },
    QuestionGenerator {
        id: "race-mutex-value",
        make: final_locked,
    },
    QuestionGenerator {
        id: "race-fork-parent",
        make: fork_parent,
    },
    QuestionGenerator {
        id: "race-interleavings",
        make: count_interleavings,
    },
];

/// One of the 20 orders and a start value from the seed.
fn draw(seed: u64) -> (Schedule, u64) {
    let mut rng = Rng::new(seed);
    let all = interleavings(3, 3);
    let pick = &all[rng.below(all.len() as u64) as usize];
    let mut s: Schedule = [0; 6];
    s.copy_from_slice(pick);
    (s, rng.below(100))
}

/// The steps of a schedule in words: 「T1 が load、T2 が load、…」.
fn spelled(schedule: &Schedule, names: [&str; 2]) -> String {
    let mut next = [0usize; 2];
    schedule
        .iter()
        .map(|&a| {
            let i = usize::from(a - 1);
            let op = ["load", "add", "store"][next[i]];
            next[i] += 1;
            format!("{} が {op}", names[i])
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn question(scenario: Scenario, seed: u64, intro: &str, names: [&str; 2]) -> GeneratedQuestion {
    let (schedule, start) = draw(seed);
    let run = simulate(&Params {
        scenario,
        schedule,
        start,
    });
    GeneratedQuestion {
        prompt: format!(
            "{intro}counter の最初の値は {start} です。counter++ を load（r = counter）、add（r = r + 1）、store（counter = r）の 3 段階として、{} の順に実行されました。最後に {} が表示する counter の値は？",
            spelled(&schedule, names),
            names[0]
        ),
        answer: run.final_value,
        values: vec![
            ("start", start.to_string()),
            ("schedule", schedule_text(&schedule)),
            ("answer", run.final_value.to_string()),
        ],
    }
}

fn final_unlocked(seed: u64) -> GeneratedQuestion {
    question(
        Scenario::Threads,
        seed,
        "ロックを使わない 2 つのスレッド T1、T2 が、共有する変数 counter に counter++ を 1 回ずつ実行します。",
        ["T1", "T2"],
    )
}

fn final_locked(seed: u64) -> GeneratedQuestion {
    question(
        Scenario::Mutex,
        seed,
        "2 つのスレッド T1、T2 が、counter++ を pthread_mutex_lock() と pthread_mutex_unlock() で囲んで 1 回ずつ実行します（ロックが取れないスレッドは待ち、その番は後に回ります）。",
        ["T1", "T2"],
    )
}

fn fork_parent(seed: u64) -> GeneratedQuestion {
    question(
        Scenario::Fork,
        seed,
        "プログラムが fork() し、親と子がそれぞれ counter++ を 1 回実行します。親は waitpid() で子の終わりを待ってから表示します。",
        ["親", "子"],
    )
}

fn count_interleavings(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let a = 2 + rng.below(4) as usize;
    let b = 2 + rng.below(4) as usize;
    let answer = interleavings(a, b).len() as u64;
    GeneratedQuestion {
        prompt: format!(
            "スレッド A は {a} ステップ、スレッド B は {b} ステップの処理を、それぞれ自分の順番を守って実行します。2 つのステップが交互にどう混ざるか（インターリーブ）は何通りありますか？"
        ),
        answer,
        values: vec![
            ("a", a.to_string()),
            ("b", b.to_string()),
            ("n", (a + b).to_string()),
            ("answer", answer.to_string()),
        ],
    }
}
