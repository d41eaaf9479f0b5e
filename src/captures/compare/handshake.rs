//! The handshake stepper's scenarios against their captures: the same segments, in the same order,
//! from the same side, with the same flags, relative numbers and lengths, and Linux's timers where the
//! model states them beside the RFC's.

use std::net::IpAddr;

use super::Comparison;
use crate::captures::decode::{Kind, Packet, relative_numbers};
use crate::widgets::handshake::{self, Flag, Scenario, Side, linux_syn_rto_ms};

/// How far a measured retransmission gap may be from the stated one: timers fire on jiffies and
/// the lab's namespaces share a busy machine.
pub const TIMER_SLACK_MS: u64 = 300;

/// A model segment reduced to what a capture shows.
struct Expected {
    from: Side,
    flags: String,
    seq: u32,
    ack: Option<u32>,
    len: u32,
    time_ms: u64,
}

fn flags_of(flags: &[Flag]) -> String {
    // The same letters, in the same order, as `Tcp::flags` writes a captured segment's.
    let mut s = String::new();
    for (f, c) in [
        (Flag::Fin, 'F'),
        (Flag::Syn, 'S'),
        (Flag::Rst, 'R'),
        (Flag::Psh, 'P'),
        (Flag::Ack, '.'),
    ] {
        if flags.contains(&f) {
            s.push(c);
        }
    }
    s
}

/// Compares a capture with the handshake scenario `scenario`.
pub fn compare(scenario: Scenario, packets: &[Packet]) -> Comparison {
    let model = handshake::simulate_with_isns(scenario, 0, 0, true);
    let expected: Vec<Expected> = model
        .steps
        .iter()
        .filter(|s| !s.flags.is_empty()) // a timer expiring sends nothing
        .map(|s| Expected {
            from: s.from,
            flags: flags_of(&s.flags),
            seq: s.seq.unwrap_or(0),
            ack: s.ack,
            len: s.len,
            time_ms: s.time_ms,
        })
        .collect();

    let mut cmp = Comparison::default();
    // The connection is the first SYN's; its sender is the client.
    let rel = relative_numbers(packets);
    let Some(client) = packets.iter().find_map(|p| match &p.kind {
        Kind::Tcp(t) if t.syn && !t.ack_flag => Some((p.src, t.sport)),
        _ => None,
    }) else {
        cmp.check(false, || "キャプチャに SYN がありません".to_owned());
        return cmp;
    };
    let segments: Vec<(usize, &Packet)> = packets
        .iter()
        .enumerate()
        .filter(|(_, p)| match &p.kind {
            Kind::Tcp(t) => (p.src, t.sport) == client || (p.dst, t.dport) == client,
            _ => false,
        })
        .collect();

    // Which captured segments the model's steps describe: the handshake scenarios start at the SYN
    // (a real connection then goes on to close, which the model does not show); `close` starts where
    // `normal` ends, so it is held against the capture's last segments.
    let window: &[(usize, &Packet)] = if scenario == Scenario::Close {
        &segments[segments.len().saturating_sub(expected.len())..]
    } else {
        &segments[..segments.len().min(expected.len())]
    };
    cmp.check(window.len() == expected.len(), || {
        format!(
            "モデルは {} 個のセグメントを示しますが、キャプチャには {} 個しかありません",
            expected.len(),
            window.len()
        )
    });

    for (n, (e, (i, p))) in expected.iter().zip(window).enumerate() {
        let Kind::Tcp(t) = &p.kind else { continue };
        let (seq, ack) = rel[*i].unwrap_or((t.seq, t.ack));
        let step = n + 1;
        let from = if (p.src, t.sport) == client {
            Side::Client
        } else {
            Side::Server
        };
        cmp.check(from == e.from, || {
            format!(
                "{step} 番目: モデルでは {:?} が送りますが、実際は {from:?} が送りました",
                e.from
            )
        });
        cmp.check(t.flags() == e.flags, || {
            format!(
                "{step} 番目: フラグがモデルでは [{}]、実際は [{}]",
                e.flags,
                t.flags()
            )
        });
        cmp.check(seq == e.seq, || {
            format!("{step} 番目: 相対 seq がモデルでは {}、実際は {seq}", e.seq)
        });
        if let Some(model_ack) = e.ack {
            cmp.check(ack == model_ack, || {
                format!("{step} 番目: 相対 ack がモデルでは {model_ack}、実際は {ack}")
            });
        }
        cmp.check(t.len == e.len, || {
            format!(
                "{step} 番目: データ長がモデルでは {}、実際は {}",
                e.len, t.len
            )
        });
    }

    // Timers: where the model states Linux's timing beside the RFC's, the kernel must show Linux's.
    let times = |side: Side, flags: &str| -> Vec<u64> {
        window
            .iter()
            .filter_map(|(_, p)| match &p.kind {
                Kind::Tcp(t) if t.flags() == flags && side_of(p, t.sport, client) == side => {
                    Some(p.time_us / 1000)
                }
                _ => None,
            })
            .collect()
    };
    match scenario {
        Scenario::LostSyn => {
            let sent = times(Side::Client, "S");
            for (retry, pair) in sent.windows(2).enumerate() {
                let gap = pair[1] - pair[0];
                let linux = linux_syn_rto_ms(retry as u32);
                cmp.check(gap.abs_diff(linux) <= TIMER_SLACK_MS, || {
                    format!(
                        "SYN の {} 回目の再送: Linux の間隔は {linux} ms のはずが、実際は {gap} ms",
                        retry + 1
                    )
                });
            }
        }
        Scenario::LostAck => {
            let sent = times(Side::Server, "S.");
            for pair in sent.windows(2) {
                let gap = pair[1] - pair[0];
                cmp.check(
                    gap.abs_diff(handshake::INITIAL_RTO_MS) <= TIMER_SLACK_MS,
                    || {
                        format!(
                            "SYN,ACK の再送間隔が初期 RTO {} ms のはずが、実際は {gap} ms",
                            handshake::INITIAL_RTO_MS
                        )
                    },
                );
            }
        }
        _ => {}
    }
    // The model's own spacing must at least keep the same order as the capture's.
    cmp.check(
        expected.windows(2).all(|w| w[0].time_ms <= w[1].time_ms),
        || "モデルのセグメントの時刻が順に並んでいません".to_owned(),
    );
    cmp
}

fn side_of(p: &Packet, sport: u16, client: (IpAddr, u16)) -> Side {
    if (p.src, sport) == client {
        Side::Client
    } else {
        Side::Server
    }
}

/// What `ss -tan` printed on the client right after a `close` capture, held against the model: the
/// side that closed first is in TIME-WAIT, and Linux keeps it there for at most 60 s
/// (`TCP_TIMEWAIT_LEN`), not the RFC's 2×MSL of 4 minutes.
pub fn compare_time_wait(ss_output: &str) -> Comparison {
    let mut cmp = Comparison::default();
    let line = ss_output.lines().find(|l| l.starts_with("TIME-WAIT"));
    cmp.check(line.is_some(), || {
        "先に閉じたクライアントが TIME-WAIT にいません（ss -tan）".to_owned()
    });
    if let Some(line) = line {
        // `timer:(timewait,59sec,0)` — the seconds left.
        let left = line
            .split("timewait,")
            .nth(1)
            .and_then(|rest| rest.split("sec").next())
            .and_then(|n| n.parse::<u64>().ok());
        cmp.check(left.is_some_and(|s| s <= 60), || {
            format!("TIME-WAIT の残り時間が Linux の 60 秒以内ではありません: {line}")
        });
    }
    cmp
}
