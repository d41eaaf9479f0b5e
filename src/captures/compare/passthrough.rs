//! lb-layers' HTTPS that no balancer terminates, against the model: path-passthrough through the L4
//! DNAT and host-sni through the lab's pass-through that reads the SNI (`scripts/lab.d/balance.py`
//! `sni_proxy`), the backends holding the TLS themselves. Split from [`super::balancers`], whose
//! connections and layout checks it uses.

use super::Comparison;
use super::balancers::{Conn, backend_at, check_layout};
use crate::widgets::lb_layers as lb;
use crate::widgets::sessions as ss;

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
    let sni = crate::captures::tls::client_hello(&c.sent).and_then(|h| h.sni);
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
        // connection is its first, to A.
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
