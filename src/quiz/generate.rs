//! Generated questions: each generator takes its numbers from a widget model and a seed (per learner and
//! attempt), writes the prompt, and knows the answer from that same model — so the quiz and the widget can
//! never disagree.

use crate::widgets::rng::Rng;
use crate::widgets::{forktree, ftp, handshake};
use std::net::Ipv4Addr;

/// The generators a bank can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generator {
    HandshakeSynackAck,
    HandshakeDataAck,
    PasvPort,
    PortEncode,
    ForkLoopCount,
    ForkTreeCount,
}

/// A generated question, ready to show and grade.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub prompt: String,
    pub answer: u64,
    /// Placeholders for the explanation: (name, value).
    pub values: Vec<(&'static str, String)>,
}

impl Generator {
    pub const ALL: [Generator; 6] = [
        Generator::HandshakeSynackAck,
        Generator::HandshakeDataAck,
        Generator::PasvPort,
        Generator::PortEncode,
        Generator::ForkLoopCount,
        Generator::ForkTreeCount,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Generator::HandshakeSynackAck => "handshake-synack-ack",
            Generator::HandshakeDataAck => "handshake-data-ack",
            Generator::PasvPort => "pasv-port",
            Generator::PortEncode => "port-encode",
            Generator::ForkLoopCount => "fork-loop-count",
            Generator::ForkTreeCount => "fork-tree-count",
        }
    }

    pub fn from_name(name: &str) -> Option<Generator> {
        Generator::ALL.into_iter().find(|g| g.name() == name)
    }

    /// The question for `seed`.
    pub fn instance(self, seed: u64) -> Instance {
        let mut rng = Rng::new(seed);
        match self {
            Generator::HandshakeSynackAck => {
                let a = rng.next_u32();
                let h = handshake::simulate_with_isns(
                    handshake::Scenario::Normal,
                    a,
                    rng.next_u32(),
                    false,
                );
                let answer = h.steps.get(1).and_then(|s| s.ack).unwrap_or_default();
                Instance {
                    prompt: format!(
                        "クライアントが ISN a = {a} で SYN を送りました。サーバーが返す SYN+ACK の ack 番号は？（2³² を法とします）"
                    ),
                    answer: u64::from(answer),
                    values: vec![("a", a.to_string()), ("answer", answer.to_string())],
                }
            }
            Generator::HandshakeDataAck => {
                let a = rng.next_u32();
                let n = 1 + rng.below(1460) as u32;
                // The model's "normal" scenario sends 100 bytes; the arithmetic is the same for n.
                let answer = a.wrapping_add(1).wrapping_add(n);
                Instance {
                    prompt: format!(
                        "クライアントの ISN が a = {a} です。3-way handshake の後、クライアントが {n} バイトのデータを送りました。それを受け取ったサーバーが返す ack 番号は？（2³² を法とします）"
                    ),
                    answer: u64::from(answer),
                    values: vec![
                        ("a", a.to_string()),
                        ("n", n.to_string()),
                        ("answer", answer.to_string()),
                    ],
                }
            }
            Generator::PasvPort => {
                let port = 1024 + rng.below(65535 - 1024) as u16;
                let addr = Ipv4Addr::new(192, 168, rng.below(255) as u8, 1 + rng.below(254) as u8);
                let line = ftp::pasv_reply(addr, port);
                let (p1, p2) = ftp::encode_port(port);
                Instance {
                    prompt: format!(
                        "サーバーが次の応答を返しました: 「{line}」 クライアントが接続すべきポート番号は？"
                    ),
                    answer: u64::from(ftp::decode_port(p1, p2)),
                    values: vec![
                        ("line", line),
                        ("p1", p1.to_string()),
                        ("p2", p2.to_string()),
                        ("answer", port.to_string()),
                    ],
                }
            }
            Generator::PortEncode => {
                let port = 1024 + rng.below(65535 - 1024) as u16;
                let (p1, _) = ftp::encode_port(port);
                Instance {
                    prompt: format!(
                        "ポート {port} を PORT コマンドや 227 応答の形 (h1,h2,h3,h4,p1,p2) で表すとき、p1 はいくつ？"
                    ),
                    answer: u64::from(p1),
                    values: vec![("port", port.to_string()), ("answer", p1.to_string())],
                }
            }
            Generator::ForkLoopCount => {
                let n = 1 + rng.below(5) as u32;
                let tree = forktree::simulate(&forktree::Params {
                    scenario: forktree::Scenario::ForkLoop,
                    n,
                    ..Default::default()
                });
                let answer = tree
                    .processes
                    .iter()
                    .filter(|p| p.state != forktree::ProcState::Exited)
                    .count() as u64;
                Instance {
                    prompt: format!(
                        "次のループを 1 つのプロセスが実行しました。ループの後、元のプロセスを含めていくつのプロセスがありますか？ for (i = 0; i < {n}; i++) fork();"
                    ),
                    answer,
                    values: vec![("n", n.to_string()), ("answer", answer.to_string())],
                }
            }
            Generator::ForkTreeCount => {
                let tree = forktree::simulate(&forktree::Params {
                    scenario: forktree::Scenario::Random,
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
                    .filter(|p| p.state != forktree::ProcState::Exited)
                    .count() as u64;
                let listing = actions
                    .iter()
                    .enumerate()
                    .map(|(i, a)| format!("{}. {a}", i + 1))
                    .collect::<Vec<_>>()
                    .join(" ");
                Instance {
                    prompt: format!(
                        "プロセス a (PID 100) から始めて、次の呼び出しが順に起きました。{listing} 最後にプロセステーブルに残っているプロセス（ゾンビを含み、init を除く）はいくつですか？"
                    ),
                    answer,
                    values: vec![("actions", listing), ("answer", answer.to_string())],
                }
            }
        }
    }
}

/// Fills `{name}` placeholders in an explanation.
pub fn fill(template: &str, values: &[(&'static str, String)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_come_from_the_models_and_wrap_modulo_2_32() {
        for seed in 0..200 {
            let q = Generator::HandshakeSynackAck.instance(seed);
            let a: u32 = q.values[0].1.parse().unwrap();
            assert_eq!(q.answer, u64::from(a.wrapping_add(1)));
            let p = Generator::PasvPort.instance(seed);
            let (p1, p2): (u64, u64) = (
                p.values[1].1.parse().unwrap(),
                p.values[2].1.parse().unwrap(),
            );
            assert_eq!(p.answer, p1 * 256 + p2);
            let f = Generator::ForkLoopCount.instance(seed);
            let n: u32 = f.values[0].1.parse().unwrap();
            assert_eq!(f.answer, 1 << n);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_question() {
        for g in Generator::ALL {
            assert_eq!(g.instance(42), g.instance(42), "{}", g.name());
            let prompts: std::collections::HashSet<String> =
                (0..20).map(|s| g.instance(s).prompt).collect();
            assert!(prompts.len() > 1, "{}: seeds vary the question", g.name());
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
            let q = Generator::ForkTreeCount.instance(seed);
            let (head, rest) = q.prompt.split_once("起きました。").unwrap();
            assert!(
                head.starts_with("プロセス a (PID 100) から"),
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
        let q = Generator::ForkTreeCount.instance(7);
        assert!(
            q.prompt
                .contains("1. a (PID 100) が fork()（子は b (PID 101)）"),
            "{}",
            q.prompt
        );
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            fill(
                "a={a}, ack={answer}",
                &[("a", "1".into()), ("answer", "2".into())]
            ),
            "a=1, ack=2"
        );
    }
}
