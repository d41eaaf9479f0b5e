//! Quiz questions on the PORT/PASV port arithmetic, with the reply line written and read by the
//! model's own encoders.

use std::net::Ipv4Addr;

use super::{decode_port, encode_port, pasv_reply};
use crate::widgets::rng::Rng;
use crate::widgets::{GeneratedQuestion, QuestionGenerator};

/// The generators a question bank can name for this widget.
pub static GENERATORS: [QuestionGenerator; 2] = [
    QuestionGenerator {
        id: "pasv-port",
        make: pasv_port,
    },
    QuestionGenerator {
        id: "port-encode",
        make: port_encode,
    },
];

/// "The server answered 227 … (h1,h2,h3,h4,p1,p2): which port does the client connect to?"
fn pasv_port(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let port = 1024 + rng.below(65535 - 1024) as u16;
    let addr = Ipv4Addr::new(192, 168, rng.below(255) as u8, 1 + rng.below(254) as u8);
    let line = pasv_reply(addr, port);
    let (p1, p2) = encode_port(port);
    GeneratedQuestion {
        prompt: format!(
            "サーバーが次の応答を返しました: 「{line}」 クライアントが接続すべきポート番号は？"
        ),
        answer: u64::from(decode_port(p1, p2)),
        values: vec![
            ("line", line),
            ("p1", p1.to_string()),
            ("p2", p2.to_string()),
            ("answer", port.to_string()),
        ],
    }
}

/// "Written as (h1,h2,h3,h4,p1,p2), what is p1 of this port?"
fn port_encode(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let port = 1024 + rng.below(65535 - 1024) as u16;
    let (p1, _) = encode_port(port);
    GeneratedQuestion {
        prompt: format!(
            "ポート {port} を PORT コマンドや 227 応答の形（h1,h2,h3,h4,p1,p2）で表すとき、p1 はいくつ？"
        ),
        answer: u64::from(p1),
        values: vec![("port", port.to_string()), ("answer", p1.to_string())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_p1_times_256_plus_p2() {
        for seed in 0..200 {
            let p = pasv_port(seed);
            let (p1, p2): (u64, u64) = (
                p.values[1].1.parse().unwrap(),
                p.values[2].1.parse().unwrap(),
            );
            assert_eq!(p.answer, p1 * 256 + p2);
            let e = port_encode(seed);
            let port: u64 = e.values[0].1.parse().unwrap();
            assert_eq!(e.answer, port / 256);
        }
    }
}
