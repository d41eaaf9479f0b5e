//! Quiz questions on sequence and acknowledgment numbers, with numbers drawn from a seed and the
//! answer taken from the model (or, for data, the same arithmetic the model does).

use super::{Scenario, simulate_with_isns};
use crate::widgets::rng::Rng;
use crate::widgets::{GeneratedQuestion, QuestionGenerator};

/// The generators a question bank can name for this widget.
pub static GENERATORS: [QuestionGenerator; 2] = [
    QuestionGenerator {
        id: "handshake-synack-ack",
        make: synack_ack,
    },
    QuestionGenerator {
        id: "handshake-data-ack",
        make: data_ack,
    },
];

/// "The client's ISN is a: what is the ack of the SYN+ACK?" — a+1, from the model's run.
fn synack_ack(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let a = rng.next_u32();
    let h = simulate_with_isns(Scenario::Normal, a, rng.next_u32(), false);
    let answer = h.steps.get(1).and_then(|s| s.ack).unwrap_or_default();
    GeneratedQuestion {
        prompt: format!(
            "クライアントが ISN a = {a} で SYN を送りました。サーバーが返す SYN+ACK の ack 番号は？（2³² を法とします）"
        ),
        answer: u64::from(answer),
        values: vec![("a", a.to_string()), ("answer", answer.to_string())],
    }
}

/// "After the handshake the client sends n bytes: what does the server ack?" — a+1+n.
fn data_ack(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let a = rng.next_u32();
    let n = 1 + rng.below(1460) as u32;
    // The model's "normal" scenario sends 100 bytes; the arithmetic is the same for n.
    let answer = a.wrapping_add(1).wrapping_add(n);
    GeneratedQuestion {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_come_from_the_model_and_wrap_modulo_2_32() {
        for seed in 0..200 {
            let q = synack_ack(seed);
            let a: u32 = q.values[0].1.parse().unwrap();
            assert_eq!(q.answer, u64::from(a.wrapping_add(1)));
            let d = data_ack(seed);
            let (a, n): (u32, u32) = (
                d.values[0].1.parse().unwrap(),
                d.values[1].1.parse().unwrap(),
            );
            assert_eq!(d.answer, u64::from(a.wrapping_add(1).wrapping_add(n)));
        }
    }
}
