//! Quiz questions on SNMP arithmetic, numbers drawn from a seed and answers taken from the model: a
//! poll's bits/s across a Counter32 wrap, how soon a Counter32 wraps, how many bindings a GetBulk
//! returns, and how many GetNexts a walk of ifTable takes.

use super::model::Pdu;
use super::scenarios::{counter32_wrap_seconds, rate};
use super::{Params, Scenario, simulate};
use crate::widgets::rng::Rng;
use crate::widgets::{GeneratedQuestion, QuestionGenerator};

/// The generators a question bank can name for this widget.
pub static GENERATORS: [QuestionGenerator; 4] = [
    QuestionGenerator {
        id: "snmp-counter-rate",
        make: counter_rate,
    },
    QuestionGenerator {
        id: "snmp-wrap-seconds",
        make: wrap_seconds,
    },
    QuestionGenerator {
        id: "snmp-bulk-count",
        make: bulk_count,
    },
    QuestionGenerator {
        id: "snmp-walk-requests",
        make: walk_requests,
    },
];

/// Two Counter32 samples `seconds` apart, about half of them across a wrap: the bits/s between them.
fn counter_rate(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let seconds = [10, 30, 60, 300][rng.below(4) as usize];
    let octets = 1_000_000 + rng.below(4_000_000_000);
    let previous = u64::from(rng.next_u32());
    let current = (previous + octets) & 0xFFFF_FFFF;
    let r = rate(32, previous, current, seconds, octets);
    GeneratedQuestion {
        prompt: format!(
            "マネージャーが ifInOctets（Counter32）を {seconds} 秒おきに読みました。前回の値は {previous}、今回の値は {current} です。この間の受信の平均は何 bit/s ですか？（カウンタは 1 周まで。小数点以下は切り捨て）"
        ),
        answer: r.bits_per_second,
        values: vec![
            ("previous", previous.to_string()),
            ("current", current.to_string()),
            ("seconds", seconds.to_string()),
            ("delta", r.delta.to_string()),
            ("answer", r.bits_per_second.to_string()),
        ],
    }
}

/// How many whole seconds a Counter32 of octets lasts at a given speed.
fn wrap_seconds(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let mbps = [100, 250, 400, 500, 1000, 2500, 5000, 10_000][rng.below(8) as usize];
    let answer = counter32_wrap_seconds(mbps);
    GeneratedQuestion {
        prompt: format!(
            "{mbps} Mbit/s で受信し続けるインターフェースの ifInOctets（Counter32、オクテット単位）は、0 から数え始めて何秒で 2³² に達して 0 に戻りますか？（秒未満は切り捨て）"
        ),
        answer,
        values: vec![("mbps", mbps.to_string()), ("answer", answer.to_string())],
    }
}

/// non-repeaters and max-repetitions drawn from the seed; the count is the model's Response.
fn bulk_count(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let n = rng.below(4) as u32;
    let m = 1 + rng.below(10) as u32;
    let run = simulate(&Params {
        non_repeaters: n,
        max_repetitions: m,
        ..Params::of(Scenario::Bulk)
    });
    let answer = run
        .steps
        .iter()
        .find(|s| s.pdu == Some(Pdu::Response))
        .map_or(0, |s| s.varbinds.len() as u64);
    GeneratedQuestion {
        prompt: format!(
            "GetBulkRequest に sysUpTime、ifDescr、ifInOctets の 3 つをこの順に並べ、non-repeaters = {n}、max-repetitions = {m} で送りました。エージェントの MIB は十分に大きいものとします。Response に入る variable binding はいくつですか？"
        ),
        answer,
        values: vec![
            ("n", n.to_string()),
            ("m", m.to_string()),
            ("r", (3 - n).to_string()),
            ("answer", answer.to_string()),
        ],
    }
}

/// A walk of ifTable with 2–4 rows: the model's number of GetNextRequests.
fn walk_requests(seed: u64) -> GeneratedQuestion {
    let rows = 2 + Rng::new(seed).below(3) as u32;
    let run = simulate(&Params {
        interfaces: rows,
        ..Params::of(Scenario::WalkIftable)
    });
    let answer = run
        .steps
        .iter()
        .filter(|s| s.pdu == Some(Pdu::GetNextRequest))
        .count() as u64;
    GeneratedQuestion {
        prompt: format!(
            "エージェントの ifTable には {rows} 行（インターフェース {rows} 個）あり、列は ifIndex、ifDescr、ifAdminStatus、ifOperStatus、ifInOctets、ifOutOctets の 6 つです。ifTable を GetNextRequest で walk すると、GetNextRequest を何回送りますか？（部分木の外に出たことを確かめる最後の 1 回も数えます）"
        ),
        answer,
        values: vec![("rows", rows.to_string()), ("answer", answer.to_string())],
    }
}
