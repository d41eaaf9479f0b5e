//! lb-layers' HTTPS that no balancer terminates, against the model: path-passthrough through the L4
//! DNAT, host-sni through the lab's pass-through that reads the SNI (`scripts/lab.d/balance.py`
//! `sni_proxy`), the backends holding the TLS themselves, and host-ech through the same pass-through
//! with the ClientHello encrypted (ECH: `scripts/lab.d/ech`, on BoringSSL). Split from
//! [`super::balancers`], whose connections and layout checks it uses.

use serde_json::Value;

use super::Comparison;
use super::balancers::{Conn, backend_at, check_layout};
use crate::captures::decode::Packet;
use crate::captures::tls;
use crate::widgets::lb_layers as lb;
use crate::widgets::sessions as ss;

/// The ECH run: what the ends logged (`<run>.txt`) is compared too, since only they know the inner
/// name and whether the backend could decrypt it.
pub const ECH_RUN: &str = "host-ech+l7";

/// The rest of [`super::balancers::compare_lb`] for HTTPS that no balancer terminates: one TLS
/// session end to end — the backend receives the client's bytes unchanged, ClientHello included —,
/// no request readable on either link, the SNI readable in the ClientHello, and the backend that
/// answered.
pub(super) fn compare(
    mut cmp: Comparison,
    eval: &lb::Evaluation,
    dev: &lb::Device,
    layer: u8,
    c: &Conn,
    backend: &[Conn],
) -> Comparison {
    let readable = c.requests.len() + backend.iter().map(|b| b.requests.len()).sum::<usize>();
    for f in eval.fields.iter().filter(|f| f.part == lb::Part::App) {
        cmp.check(f.encrypted && readable == 0, || {
            format!(
                "パケットの{}: モデルは{}、実際は HTTP のリクエストが {readable} 件読めます",
                f.label,
                if f.encrypted { "暗号化" } else { "平文" }
            )
        });
    }
    let hello = tls::client_hello(&c.sent);
    let sni = hello.as_ref().and_then(|h| h.sni.clone());
    if let Some(f) = eval.fields.iter().find(|f| f.key == "sni") {
        cmp.check(
            sni.as_deref() == Some(f.value.as_str()) && !f.encrypted,
            || {
                format!(
                    "ClientHello の SNI: モデルは {}（平文）、実際は {sni:?}",
                    f.value
                )
            },
        );
    }
    // ECH: the model's inner SNI, encrypted, is in the ClientHello's encrypted_client_hello and
    // nowhere in the client's bytes in clear; without it, no such extension.
    let inner = eval.fields.iter().find(|f| f.key == "inner_sni");
    let ech = hello.as_ref().and_then(|h| h.ech.as_ref());
    cmp.check(ech.is_some_and(|e| e.outer) == inner.is_some(), || {
        format!(
            "encrypted_client_hello（ECH）: モデルは{}、実際は {ech:?}",
            if inner.is_some() {
                "外側の ClientHello に付く"
            } else {
                "なし"
            }
        )
    });
    if let Some(f) = inner {
        let in_clear = c
            .sent
            .windows(f.value.len())
            .any(|w| w == f.value.as_bytes());
        cmp.check(f.encrypted && !in_clear, || {
            format!(
                "内側の SNI {}: モデルは{}、実際はクライアントの回線で{}",
                f.value,
                if f.encrypted { "暗号化" } else { "平文" },
                if in_clear {
                    "平文で読めます"
                } else {
                    "読めません"
                }
            )
        });
        cmp.check(!dev.sees.contains(&"inner_sni"), || {
            format!("モデルの L{layer} は暗号化された内側の SNI を読めないはずです")
        });
    }
    cmp.check(dev.sees.contains(&"sni") == (layer == 7), || {
        format!("モデルの L{layer} が SNI を読むかどうかが実機と違います")
    });
    cmp.check(!dev.sees.contains(&"path"), || {
        format!("モデルの L{layer} は TLS の中のパスを読めないはずです")
    });
    // One connection from the client, one to a backend (passed through, or the proxy's own), and
    // the same bytes on both: the client's TLS session is the backend's.
    check_layout(&mut cmp, &dev.explain, 1, std::slice::from_ref(c), backend);
    let spliced = backend.len() == 1 && backend[0].sent == c.sent && !c.sent.is_empty();
    cmp.check(spliced, || {
        format!(
            "TLS はバックエンドまで 1 本のはずが、クライアントの {} バイトとバックエンドへの {:?} バイトが違います",
            c.sent.len(),
            backend.iter().map(|b| b.sent.len()).collect::<Vec<_>>()
        )
    });
    let got = backend.first().and_then(|b| backend_at(b.to.0));
    let want = match dev.decision.as_deref() {
        Some(d) if d.contains("プール B") => Some(ss::Backend::B),
        Some(_) => Some(ss::Backend::A),
        // The rule cannot apply: the DNAT spreads connections round robin, and the lab's one
        // connection is its first, to A; the SNI pass-through sends a name it does not route (ECH's
        // public name) to the default pool A.
        None => Some(ss::Backend::A),
    };
    cmp.check(got.is_some() && got == want, || {
        format!(
            "L{layer} の振り分け: モデルは {:?}、実際はバックエンド {got:?}",
            dev.decision
        )
    });
    cmp
}

/// host-ech: [`super::balancers::compare_lb`]'s checks of the capture, and what the three parties
/// logged against the model's fields (`seen`: their JSON lines, [`super::h2resume::log_entries`]):
/// the balancer read the outer SNI, saw the encrypted_client_hello and sent the connection to the
/// pool the model says; the backend accepted ECH and served the inner name, and read the request's
/// Host; the client saw ECH accepted.
pub fn compare_ech(packets: &[Packet], seen: &Value) -> Option<Comparison> {
    let mut cmp = super::balancers::compare_lb(ECH_RUN, packets)?;
    let eval = lb::evaluate(&lb::Scenario::HostEch.params());
    let field = |key: &str| {
        eval.fields
            .iter()
            .find(|f| f.key == key)
            .map_or("", |f| f.value.as_str())
    };
    let dev = eval.devices.iter().find(|d| d.layer == 7)?;
    let entries = seen.as_array().map(Vec::as_slice).unwrap_or_default();
    let with = |key: &'static str| entries.iter().filter(move |e| e.get(key).is_some());
    let text = |e: &Value, key: &str| e.get(key).and_then(Value::as_str).map(str::to_owned);

    let proxy = with("proxy").next();
    let read = proxy.and_then(|e| text(e, "sni"));
    cmp.check(read.as_deref() == Some(field("sni")), || {
        format!(
            "バランサーが読んだ SNI: モデルは外側の {}、実際は {read:?}",
            field("sni")
        )
    });
    let saw_ech = proxy.and_then(|e| e.get("ech")).and_then(Value::as_bool);
    cmp.check(saw_ech == Some(true), || {
        format!("バランサーは encrypted_client_hello を見たはずが、記録は {saw_ech:?}")
    });
    let sent_to = proxy.and_then(|e| text(e, "backend"));
    let want = if dev
        .decision
        .as_deref()
        .is_some_and(|d| d.contains("プール B"))
    {
        "B"
    } else {
        "A"
    };
    cmp.check(sent_to.as_deref() == Some(want), || {
        format!(
            "バランサーの振り分け: モデルは {:?}（バックエンド {want}）、記録は {sent_to:?}",
            dev.decision
        )
    });

    // The backend's handshake: ECH accepted, the inner name served.
    // The backends' lines name their peer; the client's its connection.
    let hands: Vec<&Value> = with("ech_accepted")
        .filter(|e| e.get("peer").is_some())
        .collect();
    let served = hands.first().and_then(|e| text(e, "sni"));
    let accepted = hands
        .first()
        .and_then(|e| e.get("ech_accepted"))
        .and_then(Value::as_bool);
    cmp.check(hands.len() == 1 && accepted == Some(true), || {
        format!(
            "バックエンドは ECH を受け入れたはずが、記録は {accepted:?}（ハンドシェイク {} 回）",
            hands.len()
        )
    });
    cmp.check(served.as_deref() == Some(field("inner_sni")), || {
        format!(
            "バックエンドが受けた名前: モデルは内側の {}、実際は {served:?}",
            field("inner_sni")
        )
    });
    let hosts: Vec<Option<String>> = with("request")
        .filter(|e| e.get("peer").is_some())
        .map(|e| text(e, "host"))
        .collect();
    cmp.check(
        !hosts.is_empty() && hosts.iter().all(|h| h.as_deref() == Some(field("host"))),
        || {
            format!(
                "バックエンドが読んだ Host: モデルは {}、実際は {hosts:?}",
                field("host")
            )
        },
    );
    let client: Vec<&Value> = with("conn").collect();
    cmp.check(
        !client.is_empty()
            && client
                .iter()
                .all(|e| e.get("ech_accepted").and_then(Value::as_bool) == Some(true)),
        || "クライアントは ECH が受け入れられたと記録したはずです".to_owned(),
    );
    Some(cmp)
}
