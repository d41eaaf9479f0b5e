//! The PMTUD widget's scenarios against captures on the client (A) of a path whose router links to the
//! server through a 1400-byte MTU: the first full-size segment's size and DF bit, whether the router's
//! ICMP 3/4 (in IPv6 Packet Too Big) arrives and which MTU it carries, the size of the segments after it,
//! PLPMTUD's fallback segment, whether the transfer completes, the path MTU the client's kernel ended
//! up caching (`ip route get`), and whether B's ping to A is answered.

use serde_json::Value;

use super::Comparison;
use crate::captures::decode::{Kind, Packet};
use crate::widgets::pmtud::{self, Kind as Step};

/// The scenarios the lab records: every preset of the widget. ipv6-black-hole drops ICMPv6 Packet Too
/// Big (type 2) in front of A, as black-hole drops ICMP type 3: the same stall, held against IPv6's
/// own kernel path (no DF, no router fragmentation to fall back on).
pub const RECORDED: &[&str] = &[
    "normal",
    "black-hole",
    "mss-clamp",
    "df-off",
    "drop-echo",
    "plpmtud",
    "ipv6",
    "ipv6-black-hole",
];

/// Compares a capture of preset `scenario` with the model. `seen` is what the lab measured beside the
/// capture: `{"received": bytes the server got, "sent": bytes the client wrote, "pmtu": the client's
/// cached path MTU, "ping": "answered" or "unanswered" when the lab pinged}`.
pub fn compare(scenario: &str, all: &[Packet], seen: &Value) -> Option<Comparison> {
    let packets = all;
    let preset = pmtud::preset_named(scenario)?;
    let model = pmtud::simulate(&preset.params);
    let mut cmp = Comparison::default();

    // The scenario's connection is the first SYN's: a capture can open with the previous scenario's
    // last retransmissions (a black hole's socket keeps trying after its program is gone).
    let Some((start, sport)) = packets.iter().find_map(|p| match &p.kind {
        Kind::Tcp(t) if t.syn && !t.ack_flag => Some((p.time_us, t.sport)),
        _ => None,
    }) else {
        cmp.check(false, || "キャプチャに SYN がありません".to_owned());
        return Some(cmp);
    };
    let packets: Vec<Packet> = packets
        .iter()
        .filter(|p| p.time_us >= start)
        .filter(|p| match &p.kind {
            Kind::Tcp(t) => t.sport == sport || t.dport == sport,
            Kind::Icmp { quoted_ports, .. } => quoted_ports.is_some_and(|(s, _)| s == sport),
            _ => false,
        })
        .cloned()
        .collect();
    // Data segments the client sent.
    let data: Vec<&Packet> = packets
        .iter()
        .filter(|p| matches!(&p.kind, Kind::Tcp(t) if t.len > 0 && t.sport == sport))
        .collect();
    let first_model = model.steps.iter().find(|s| s.kind == Step::Data);
    if let (Some(first), Some(step)) = (data.first(), first_model) {
        cmp.check(first.ip_len == u32::from(step.size), || {
            format!(
                "最初の大きなセグメント: モデルは {} バイト、実際は {} バイト",
                step.size, first.ip_len
            )
        });
        if let Some(df) = step.df {
            cmp.check(first.df == df, || {
                format!(
                    "最初の大きなセグメントの DF: モデルは {df}、実際は {}",
                    first.df
                )
            });
        }
    } else {
        cmp.check(false, || "データのセグメントがありません".to_owned());
    }

    // The router's "fragmentation needed" (IPv6: Packet Too Big) and its MTU, if the model has one.
    let v6 = preset.params.ipv6;
    let too_big = if v6 { (2, 0) } else { (3, 4) };
    let icmp_mtu = packets.iter().find_map(|p| match &p.kind {
        Kind::Icmp {
            v6: is_v6,
            icmp_type,
            code,
            mtu,
            ..
        } if *is_v6 == v6 && (*icmp_type, *code) == too_big => *mtu,
        _ => None,
    });
    let icmp_name = if v6 { "Packet Too Big" } else { "ICMP 3/4" };
    let model_too_big = model.steps.iter().find(|s| s.kind == Step::TooBig);
    match model_too_big {
        Some(_) => cmp.check(icmp_mtu == Some(u32::from(model.mtu)), || {
            format!(
                "{icmp_name} の MTU: モデルは {}、実際は {icmp_mtu:?}",
                model.mtu
            )
        }),
        None => cmp.check(icmp_mtu.is_none(), || {
            format!("モデルでは {icmp_name} が出ないのに、実際は届きました（MTU {icmp_mtu:?}）")
        }),
    }

    // The SYN,ACK's MSS as the client received it (clamped by the router or not).
    let synack_mss = packets.iter().find_map(|p| match &p.kind {
        Kind::Tcp(t) if t.syn && t.ack_flag => t.mss,
        _ => None,
    });
    if let Some(model_mss) = model
        .steps
        .iter()
        .find(|s| s.kind == Step::SynAck)
        .and_then(|s| s.mss_option)
    {
        cmp.check(synack_mss == Some(model_mss), || {
            format!("SYN,ACK の MSS: モデルは {model_mss}、実際は {synack_mss:?}")
        });
    }

    // After the ICMP (or from the start, when clamped): no segment bigger than the model's path MTU,
    // if the transfer completes.
    let completes = seen["received"] == seen["sent"] && seen["sent"].as_u64().unwrap_or(0) > 0;
    cmp.check(completes == model.outcome.completes, || {
        format!(
            "転送の完了: モデルは {}、実際は {}（{} / {} バイト）",
            model.outcome.completes, completes, seen["received"], seen["sent"]
        )
    });
    if model.outcome.completes {
        // With DF the segments shrink to the tunnel; without it the client keeps sending full-size
        // packets and the router fragments them.
        let limit = if preset.params.df {
            u32::from(model.mtu)
        } else {
            u32::from(pmtud::LINK_MTU)
        };
        let last = data.last().map(|p| p.ip_len);
        cmp.check(last.is_some_and(|l| l <= limit), || {
            format!("最後のセグメント {last:?} バイトが {limit} バイトを超えています")
        });
    }
    // PLPMTUD: after the timeouts, A falls back to tcp_base_mss and its segments arrive.
    let fallback = preset.params.plpmtud.then(|| {
        model
            .steps
            .iter()
            .find(|s| s.kind == Step::Data && s.size < preset.params.mtu)
    });
    if let Some(fallback) = fallback.flatten() {
        let want = u32::from(fallback.size);
        cmp.check(data.iter().any(|p| p.ip_len == want), || {
            let sizes: Vec<u32> = data.iter().map(|p| p.ip_len).collect();
            format!(
                "PLPMTUD の最初の小さなセグメント: モデルは {want} バイト、実際の大きさは {sizes:?}"
            )
        });
    }
    let pmtu = seen["pmtu"].as_u64();
    cmp.check(pmtu == Some(u64::from(model.outcome.pmtu)), || {
        format!(
            "A がキャッシュした経路 MTU: モデルは {}、実際は {pmtu:?}",
            model.outcome.pmtu
        )
    });
    // B's ping to A: answered or not, by what the lab's pinger saw and by the capture on A's link
    // (the Echo Request arrives there either way; A's firewall drops it after the capture point).
    if let Some(answered) = seen["ping"].as_str().map(|s| s == "answered") {
        let (request, reply) = if v6 { (128, 129) } else { (8, 0) };
        let icmp = |t: u8| {
            all.iter()
                .any(|p| matches!(&p.kind, Kind::Icmp { icmp_type, v6: is_v6, .. } if *icmp_type == t && *is_v6 == v6))
        };
        cmp.check(icmp(request), || {
            "B の Echo Request が A の回線にありません".to_owned()
        });
        let replied = icmp(reply);
        cmp.check(
            answered == model.outcome.ping && replied == answered,
            || {
                format!(
                    "B から A への ping: モデルは{}、実際は{}（キャプチャに Echo Reply が{}）",
                    if model.outcome.ping {
                        "応答あり"
                    } else {
                        "応答なし"
                    },
                    if answered {
                        "応答あり"
                    } else {
                        "応答なし"
                    },
                    if replied {
                        "あります"
                    } else {
                        "ありません"
                    }
                )
            },
        );
    }
    Some(cmp)
}
