//! Quiz questions on counting processes: the fork loop and seeded random call sequences, counted
//! by the model.

use super::{Params, ProcState, Scenario, simulate};
use crate::widgets::rng::Rng;
use crate::widgets::{GeneratedQuestion, QuestionGenerator};

/// The generators a question bank can name for this widget.
pub static GENERATORS: [QuestionGenerator; 2] = [
    QuestionGenerator {
        id: "fork-loop-count",
        make: fork_loop_count,
    },
    QuestionGenerator {
        id: "fork-tree-count",
        make: fork_tree_count,
    },
];

/// "How many processes after `for (i = 0; i < n; i++) fork();`?" — 2ⁿ, counted by the model.
fn fork_loop_count(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let n = 1 + rng.below(5) as u32;
    let tree = simulate(&Params {
        scenario: Scenario::ForkLoop,
        n,
        ..Default::default()
    });
    let answer = tree
        .processes
        .iter()
        .filter(|p| p.state != ProcState::Exited)
        .count() as u64;
    GeneratedQuestion {
        prompt: format!(
            "次のループを 1 つのプロセスが実行しました。ループの後、元のプロセスを含めていくつのプロセスがありますか？ for (i = 0; i < {n}; i++) fork();"
        ),
        answer,
        values: vec![("n", n.to_string()), ("answer", answer.to_string())],
    }
}

/// "These calls happened in turn: how many processes are left?" — a random tree, listed by its
/// calls only.
fn fork_tree_count(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let tree = simulate(&Params {
        scenario: Scenario::Random,
        seed: rng.next_u64(),
        actions: 6,
        fork_share: 70,
        ..Default::default()
    });
    // The calls only: the steps' narration says what each call did, which is the answer.
    let actions = tree.calls();
    let answer = tree
        .processes
        .iter()
        .filter(|p| p.state != ProcState::Exited)
        .count() as u64;
    let listing = actions
        .iter()
        .enumerate()
        .map(|(i, a)| format!("{}. {a}", i + 1))
        .collect::<Vec<_>>()
        .join(" ");
    GeneratedQuestion {
        prompt: format!(
            "プロセス a（PID 100）から始めて、次の呼び出しが順に起きました。{listing} 最後にプロセステーブルに残っているプロセス（ゾンビを含み、init を除く）はいくつですか？"
        ),
        answer,
        values: vec![("actions", listing), ("answer", answer.to_string())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fork_loop_makes_2_to_the_n() {
        for seed in 0..200 {
            let f = fork_loop_count(seed);
            let n: u32 = f.values[0].1.parse().unwrap();
            assert_eq!(f.answer, 1 << n);
        }
    }

    // A fork-tree prompt is the program and the question: no step narration, nothing that says
    // what a call did to the tree (who is reaped, who stays a zombie), which is the answer.
    #[test]
    fn fork_tree_prompts_hold_the_calls_but_not_the_narration() {
        let give_away = [
            "回収",
            "残る",
            "消える",
            "ゾンビとして",
            "ゾンビの子",
            "返す",
            "できる",
            "ブロック",
            "眠って",
            "SIGCHLD",
            "引き取",
            "ECHILD",
            "孤児",
            "fork.py",
            "。",
        ];
        for seed in 0..300 {
            let q = fork_tree_count(seed);
            let (head, rest) = q.prompt.split_once("起きました。").unwrap();
            assert!(
                head.starts_with("プロセス a（PID 100）から"),
                "{}",
                q.prompt
            );
            let listing = rest
                .strip_suffix(
                    " 最後にプロセステーブルに残っているプロセス（ゾンビを含み、init を除く）はいくつですか？",
                )
                .unwrap_or_else(|| panic!("the question ends the prompt: {}", q.prompt));
            for word in give_away {
                assert!(!listing.contains(word), "seed {seed}: {word} in {listing}");
            }
            assert!(!listing.contains(&format!("{} 個", q.answer)), "{listing}");
            // Every item is one short call.
            for item in listing.split(". ").skip(1) {
                assert!(item.chars().count() <= 40, "seed {seed}: {item}");
                assert!(
                    item.contains(" が fork()")
                        || item.contains(" が exit()")
                        || item.contains(" が wait()"),
                    "{item}"
                );
            }
            assert!(q.prompt.chars().count() < 700, "seed {seed}: {}", q.prompt);
        }
        let q = fork_tree_count(7);
        assert!(
            q.prompt
                .contains("1. a（PID 100） が fork()（子は b（PID 101））"),
            "{}",
            q.prompt
        );
    }
}
