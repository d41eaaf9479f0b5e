//! Quiz questions on path MTU arithmetic, with the tunnel's MTU drawn from a seed and every
//! answer read off the model's run of that setup.

use super::{Filter, MAX_MTU, MIN_MTU, Params, simulate};
use crate::widgets::rng::Rng;
use crate::widgets::{GeneratedQuestion, QuestionGenerator};

/// The generators a question bank can name for this widget.
pub static GENERATORS: [QuestionGenerator; 4] = [
    QuestionGenerator {
        id: "pmtud-mss-after-icmp",
        make: mss_after_icmp,
    },
    QuestionGenerator {
        id: "pmtud-ipv6-mss",
        make: ipv6_mss,
    },
    QuestionGenerator {
        id: "pmtud-first-fragment",
        make: first_fragment,
    },
    QuestionGenerator {
        id: "pmtud-clamped-mss",
        make: clamped_mss,
    },
];

/// A tunnel MTU for a seed, MIN_MTU…MAX_MTU.
fn draw_mtu(rng: &mut Rng) -> u16 {
    let span = u64::from(MAX_MTU - MIN_MTU) + 1;
    MIN_MTU + u16::try_from(rng.below(span)).unwrap_or(0)
}

/// "IPv4, tunnel MTU m, ICMP 3/4 arrives: what MSS does A use afterwards?" — the run's final MSS.
fn mss_after_icmp(seed: u64) -> GeneratedQuestion {
    let mtu = draw_mtu(&mut Rng::new(seed));
    let run = simulate(&Params {
        mtu,
        ..Params::default()
    });
    let answer = run.outcome.mss;
    GeneratedQuestion {
        prompt: format!(
            "IPv4 で、A（リンク MTU 1500）から B への経路の途中に MTU {mtu} のトンネルがあります。A が DF 付きで送った 1500 バイトのパケットに対して ICMP type 3 code 4 が届きました。その後 A の TCP が使う MSS は何バイト？（IP と TCP のヘッダはオプションなしとします）"
        ),
        answer: u64::from(answer),
        values: vec![("mtu", mtu.to_string()), ("answer", answer.to_string())],
    }
}

/// "IPv6, tunnel MTU m, Packet Too Big arrives: what MSS?" — m − 60, from the model.
fn ipv6_mss(seed: u64) -> GeneratedQuestion {
    let mtu = draw_mtu(&mut Rng::new(seed));
    let run = simulate(&Params {
        ipv6: true,
        mtu,
        ..Params::default()
    });
    let answer = run.outcome.mss;
    GeneratedQuestion {
        prompt: format!(
            "IPv6 で、経路の途中に MTU {mtu} のトンネルがあります。ルータから ICMPv6 Packet Too Big（MTU {mtu}）が届いた後、A の TCP が使う MSS は何バイト？（拡張ヘッダと TCP オプションはなしとします）"
        ),
        answer: u64::from(answer),
        values: vec![("mtu", mtu.to_string()), ("answer", answer.to_string())],
    }
}

/// "IPv4, DF clear, 1500 bytes into a tunnel of MTU m: how big is the first fragment?"
fn first_fragment(seed: u64) -> GeneratedQuestion {
    let mtu = draw_mtu(&mut Rng::new(seed));
    let run = simulate(&Params {
        df: false,
        mtu,
        ..Params::default()
    });
    let frags = run
        .steps
        .get(run.ask_step)
        .map(|s| s.fragments.clone())
        .unwrap_or_default();
    let answer = frags.first().copied().unwrap_or_default();
    let data = answer.saturating_sub(20);
    GeneratedQuestion {
        prompt: format!(
            "IPv4 で、DF を立てずに送った 1500 バイトのパケット（ヘッダ 20 バイト）が、MTU {mtu} のトンネルの入口のルータで分割されます。最初のフラグメントの大きさ（IP ヘッダ込みの全長）は何バイト？"
        ),
        answer: u64::from(answer),
        values: vec![
            ("mtu", mtu.to_string()),
            ("data", data.to_string()),
            ("answer", answer.to_string()),
        ],
    }
}

/// "R1 clamps the MSS to the tunnel (IPv4 or IPv6): what MSS does B see in A's SYN?"
fn clamped_mss(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let mtu = draw_mtu(&mut rng);
    let ipv6 = rng.below(2) == 1;
    let run = simulate(&Params {
        filter: Filter::Type3,
        ipv6,
        clamp: true,
        mtu,
        ..Params::default()
    });
    let answer = run
        .steps
        .first()
        .and_then(|s| s.mss_option)
        .unwrap_or_default();
    let version = if ipv6 { "IPv6" } else { "IPv4" };
    GeneratedQuestion {
        prompt: format!(
            "{version} で、MTU {mtu} のトンネルの入口のルータが、転送する SYN の MSS オプションをトンネルに合わせて書き換えます（MSS クランプ）。A が MSS 1500 − ヘッダ分で送った SYN は、B に届くとき MSS がいくつになっていますか？（拡張ヘッダと TCP オプションの分は考えません）"
        ),
        answer: u64::from(answer),
        values: vec![
            ("mtu", mtu.to_string()),
            ("version", version.to_owned()),
            ("header", run.overhead.to_string()),
            ("answer", answer.to_string()),
        ],
    }
}
