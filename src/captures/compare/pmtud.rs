//! The PMTUD widget's IPv4 scenarios against captures on the client (A) of a path whose router links to
//! the server through a 1400-byte MTU: the first full-size segment's size and DF bit, whether the router's
//! ICMP 3/4 arrives and which next-hop MTU it carries, the size of the segments after it, whether the
//! transfer completes, and the path MTU the client's kernel ended up caching (`ip route get`).

use serde_json::Value;

use super::Comparison;
use crate::captures::decode::{Kind, Packet};
use crate::widgets::pmtud::{self, Kind as Step};

/// The scenarios the lab records (the widget's preset names): IPv4 only, since the lab's addresses are the
/// IPv4 documentation ranges.
pub const RECORDED: &[&str] = &["normal", "black-hole", "mss-clamp", "df-off"];

/// Compares a capture of preset `scenario` with the model. `seen` is what the lab measured beside the
/// capture: `{"received": bytes the server got, "sent": bytes the client wrote, "pmtu": the client's
/// cached path MTU}`.
pub fn compare(scenario: &str, packets: &[Packet], seen: &Value) -> Option<Comparison> {
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

    // The router's "fragmentation needed" and its next-hop MTU, if the model has one.
    let icmp_mtu = packets.iter().find_map(|p| match &p.kind {
        Kind::Icmp {
            v6: false,
            icmp_type: 3,
            code: 4,
            mtu,
            ..
        } => *mtu,
        _ => None,
    });
    let model_too_big = model.steps.iter().find(|s| s.kind == Step::TooBig);
    match model_too_big {
        Some(_) => cmp.check(icmp_mtu == Some(u32::from(model.mtu)), || {
            format!(
                "ICMP 3/4 の MTU: モデルは {}、実際は {icmp_mtu:?}",
                model.mtu
            )
        }),
        None => cmp.check(icmp_mtu.is_none(), || {
            format!("モデルでは ICMP 3/4 が出ないのに、実際は届きました（MTU {icmp_mtu:?}）")
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
    let pmtu = seen["pmtu"].as_u64();
    cmp.check(pmtu == Some(u64::from(model.outcome.pmtu)), || {
        format!(
            "A がキャッシュした経路 MTU: モデルは {}、実際は {pmtu:?}",
            model.outcome.pmtu
        )
    });
    Some(cmp)
}
