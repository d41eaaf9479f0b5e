//! The sessions widget's http2-resume scenario against a real run (`scripts/lab.d/h2resume.py`,
//! started by `balance.py`): the balancer on the VIP 203.0.113.10:443 terminates TLS 1.3 and HTTP/2
//! (Python's ssl on OpenSSL 3 and python3-h2), the browser resumes its second connection with the
//! ticket of its first, and each request goes on a plain HTTP/1.1 connection of the balancer's own to
//! backend A or B. Captured on every interface of the router, as the other sessions runs.
//!
//! **From the wire** (the capture, decoded here): the browser's TCP connections and their source
//! ports; the ClientHello (ALPN `h2` offered, `pre_shared_key`, `psk_key_exchange_modes`) and the
//! ServerHello (TLS 1.3 chosen; `pre_shared_key` present = the PSK accepted, a resumed handshake, else
//! a full one) through `tls-parser`; the size of the server's first flight (a full handshake's
//! carries the certificate, so it is larger by at least the certificate); who closes connection 1
//! first after how long idle, and the pause before connection 2; and on the backends' side, in
//! clear, every request the balancer sent on: its line, cookie, backend and what became of the
//! session.
//!
//! **From the balancer's log** beside the capture (`<scenario>.txt`): what TLS 1.3 encrypts — the
//! ALPN protocol the server chose (it travels in EncryptedExtensions), the certificate's size, and
//! the HTTP/2 frames: each request's stream id, the streams open at once, the GOAWAY and its last
//! stream id; and the browser's log of the GOAWAY it received and of the ticket it held. Decrypting
//! the capture instead (SSLKEYLOGFILE) would need a TLS 1.3 record decryptor and an HTTP/2 + HPACK
//! decoder in the comparison, for facts the two ends state themselves; each log entry is tied to the
//! wire — by the browser's source port, and by the request line and backend that appear in clear on
//! the backends' side.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Comparison;
use super::balancers::{
    Conn, LAB_IDLE_MS, LAB_PAUSE_MS, Message, SLACK_MS, backend_at, check_layout, connections,
    session_state,
};
use crate::captures::decode::{Kind, Packet};
use crate::captures::tls;
use crate::widgets::sessions as ss;

/// The scenario this module compares.
pub const SCENARIO: &str = "http2-resume";

/// The log `balance.py` writes beside the capture (`# title` lines, then one JSON object per line),
/// as one JSON array of its objects.
pub fn log_entries(text: &str) -> Value {
    Value::Array(
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(Value::is_object)
            .collect(),
    )
}

/// One of the browser's connections as the wire shows it.
struct Wire {
    hello: Option<tls::ClientHello>,
    server: Option<tls::ServerHello>,
    /// The server's bytes between the ClientHello and the client's next bytes: its first flight
    /// (ServerHello, ChangeCipherSpec, and the encrypted rest up to its Finished).
    first_flight: usize,
    /// (time, sent by the client) of each segment carrying data.
    data: Vec<(u64, bool)>,
}

fn wire(packets: &[Packet], c: &Conn) -> Wire {
    let (mut client, mut server) = (Vec::new(), Vec::new());
    let mut data = Vec::new();
    let mut first_flight = 0;
    let mut flight_done = false;
    let hello_len = tls::record_len(&c.sent).unwrap_or(usize::MAX);
    for p in packets.iter().filter(|p| p.time_us >= c.syn_us) {
        let Kind::Tcp(t) = &p.kind else { continue };
        let (src, dst) = ((p.src, t.sport), (p.dst, t.dport));
        let from_client = (src, dst) == (c.from, c.to);
        if t.len == 0 || !(from_client || (src, dst) == (c.to, c.from)) {
            continue;
        }
        if from_client {
            flight_done |= client.len() >= hello_len;
            client.extend_from_slice(&t.payload);
        } else {
            if !flight_done {
                first_flight += t.len as usize;
            }
            server.extend_from_slice(&t.payload);
        }
        data.push((p.time_us, from_client));
    }
    Wire {
        hello: tls::client_hello(&client),
        server: tls::server_hello(&server),
        first_flight,
        data,
    }
}

/// One log entry: a JSON object (indexing a missing key gives `Null`).
type Entry = Value;

/// Compares a recorded http2-resume run — its capture and the log beside it — with the model.
pub fn compare(packets: &[Packet], seen: &Value) -> Option<Comparison> {
    let p = ss::Scenario::Http2Resume.params();
    let run = ss::simulate(&p);
    let h2 = p.http == ss::Http::H2;
    let client = connections(packets, true);
    let backend = connections(packets, false);
    let log: Vec<&Entry> = seen.as_array()?.iter().filter(|e| e.is_object()).collect();
    let proxy: Vec<&Entry> = log
        .iter()
        .filter(|e| e.get("proxy").is_some())
        .copied()
        .collect();
    let browser: Vec<&Entry> = log
        .iter()
        .filter(|e| e.get("proxy").is_none() && e.get("backend").is_none())
        .copied()
        .collect();
    // The browser's connection a balancer entry is about: by its source port on the wire.
    let conn_of = |e: &Entry| -> Option<u32> {
        let port: u16 = e["proxy"].as_str()?.rsplit(':').next()?.parse().ok()?;
        let i = client.iter().position(|c| c.from.1 == port)?;
        u32::try_from(i + 1).ok()
    };
    let mut cmp = Comparison::default();

    // The connections: as many as the model's, each from a new port, opened and closed by both ends,
    // nothing of HTTP readable on the browser's side (TLS), and the L7 layout behind the balancer.
    cmp.check(client.len() as u32 == run.counts.connections, || {
        format!(
            "TCP の接続の数: モデルは {}、実際は {}",
            run.counts.connections,
            client.len()
        )
    });
    let ports: BTreeSet<u16> = client.iter().map(|c| c.from.1).collect();
    cmp.check(ports.len() == client.len(), || {
        "接続ごとに送信元ポートが新しくなっていません".to_owned()
    });
    for (i, c) in client.iter().enumerate() {
        cmp.check(c.syn_ack.is_some() && c.fins == (true, true), || {
            format!(
                "接続 {} が 3-way handshake で開いて両側の FIN で閉じていません",
                i + 1
            )
        });
    }
    let readable = client.iter().map(|c| c.requests.len()).sum::<usize>();
    cmp.check(readable == 0, || {
        format!("ブラウザー側で HTTP が {readable} 件読めます（TLS のはずです）")
    });
    let opening = run.steps.iter().find(|s| s.kind == ss::Kind::Open)?;
    check_layout(
        &mut cmp,
        &opening.explain,
        run.counts.requests as usize,
        &client,
        &backend,
    );

    let wires: Vec<Wire> = client.iter().map(|c| wire(packets, c)).collect();
    compare_tls(&mut cmp, &p, &run, &wires, &proxy, &browser, &conn_of);
    compare_requests(&mut cmp, &run, &backend, &proxy, &conn_of);

    // The idle close of connection 1: the balancer speaks first after the silence (its GOAWAY, by
    // its log), sends the first FIN, and the browser comes back after the pause on a new connection.
    let streams = |conn: u32| {
        run.steps
            .iter()
            .filter(|s| s.conn == conn)
            .filter_map(|s| s.stream)
            .max()
    };
    for step in run.steps.iter().filter(|s| s.kind == ss::Kind::Close) {
        let n = step.conn;
        cmp.check(step.explain.contains("GOAWAY") == h2, || {
            format!("接続 {n} の切断: モデルの説明の GOAWAY が HTTP/2 かどうかと合いません")
        });
        let (Some(c), Some(w)) = (client.get(n as usize - 1), wires.get(n as usize - 1)) else {
            cmp.check(false, || format!("接続 {n} がキャプチャにありません"));
            continue;
        };
        let fin = c.first_fin;
        let before: Vec<(u64, bool)> = w
            .data
            .iter()
            .copied()
            .filter(|(t, _)| fin.is_some_and(|(f, _)| *t <= f))
            .collect();
        let silence = before
            .windows(2)
            .max_by_key(|pair| pair[1].0 - pair[0].0)
            .map(|pair| (pair[0].0, pair[1]));
        let Some((Some((fin_at, by_client)), (last, (spoke_at, by_browser)))) =
            silence.map(|s| (fin, s))
        else {
            cmp.check(false, || {
                format!("接続 {n} のアイドル切断がキャプチャに見つかりません")
            });
            continue;
        };
        let idle = (spoke_at - last) / 1000;
        cmp.check(!by_client && !by_browser, || {
            format!("接続 {n} を先に閉じたのがクライアントです（モデルはバランサー）")
        });
        cmp.check(idle.abs_diff(LAB_IDLE_MS) <= SLACK_MS, || {
            format!(
                "接続 {n} のアイドル切断: モデルは {} 秒（実機では {LAB_IDLE_MS} ms に短縮）、実際は {idle} ms",
                ss::IDLE_TIMEOUT_S
            )
        });
        cmp.check((fin_at - spoke_at) / 1000 <= SLACK_MS, || {
            format!("接続 {n}: アイドルのあとバランサーが送ったものに FIN が続きません")
        });
        let goaway = proxy
            .iter()
            .find(|e| e.get("goaway").is_some() && conn_of(e) == Some(n))
            .and_then(|e| e["goaway"].as_u64());
        let want = streams(n).map(u64::from);
        cmp.check(h2 && goaway.is_some() && goaway == want, || {
            format!("接続 {n} の GOAWAY の最終ストリーム: モデルは {want:?}、バランサーの記録は {goaway:?}")
        });
        let heard = browser
            .iter()
            .any(|e| e["conn"].as_u64() == Some(u64::from(n)) && e["goaway"].as_u64() == goaway);
        cmp.check(heard, || {
            format!("接続 {n}: ブラウザーが GOAWAY を受け取った記録がありません")
        });
        if let Some(next) = client.get(n as usize) {
            let pause = next.syn_us.saturating_sub(last) / 1000;
            cmp.check(pause.abs_diff(LAB_PAUSE_MS) <= SLACK_MS, || {
                format!(
                    "休止: モデルは {} 秒（実機では {LAB_PAUSE_MS} ms に短縮）、実際は {pause} ms",
                    p.pause_s
                )
            });
        }
    }
    Some(cmp)
}

/// Each TLS handshake: full or resumed on the wire (the ClientHello's PSK and the ServerHello's
/// answer), TLS 1.3 and ALPN h2 offered, the balancer's own view of it (its log), the ticket the
/// browser held after connection 1, and a full handshake's first flight larger by the certificate.
fn compare_tls(
    cmp: &mut Comparison,
    p: &ss::Params,
    run: &ss::Timeline,
    wires: &[Wire],
    proxy: &[&Entry],
    browser: &[&Entry],
    conn_of: &dyn Fn(&Entry) -> Option<u32>,
) {
    let h2 = p.http == ss::Http::H2;
    let said = |yes: bool| if yes { "あり" } else { "なし" };
    let mut full: Option<(usize, u64)> = None;
    let mut resumed_flight: Option<usize> = None;
    for step in run.steps.iter().filter(|s| s.lane == ss::Lane::Tls) {
        let n = step.conn;
        let resumed = step.kind == ss::Kind::TlsResumed;
        let Some(w) = wires.get(n as usize - 1) else {
            cmp.check(false, || format!("接続 {n} がキャプチャにありません"));
            continue;
        };
        cmp.check(w.hello.is_some() && w.server.is_some(), || {
            format!("接続 {n}: ClientHello と ServerHello が読めません")
        });
        let hello = w.hello.clone().unwrap_or_default();
        let server = w.server.clone().unwrap_or_default();
        cmp.check(hello.alpn.iter().any(|a| a == "h2") == h2, || {
            format!("接続 {n} の ClientHello の ALPN: {:?}", hello.alpn)
        });
        cmp.check(hello.psk == resumed, || {
            format!(
                "接続 {n} の ClientHello の pre_shared_key（チケットの PSK）: モデルは{}、実際は{}",
                said(resumed),
                said(hello.psk)
            )
        });
        if hello.psk {
            // RFC 8446 §4.2.9: a client offering a PSK also says how it may be used.
            cmp.check(hello.psk_modes.contains(&tls::PSK_DHE_KE), || {
                format!(
                    "接続 {n}: PSK を出す ClientHello の psk_key_exchange_modes が {:?}",
                    hello.psk_modes
                )
            });
        }
        cmp.check(server.version == tls::TLS13, || {
            format!(
                "接続 {n}: ServerHello が選んだ版が TLS 1.3 ではありません（{:#06x}）",
                server.version
            )
        });
        cmp.check(server.psk == resumed, || {
            format!(
                "接続 {n}: モデルは{}、ServerHello の pre_shared_key は{}",
                if resumed {
                    "再開"
                } else {
                    "フルハンドシェイク"
                },
                said(server.psk)
            )
        });
        // What TLS 1.3 encrypts, from the balancer: the ALPN it chose, and whether it resumed.
        let entry = proxy
            .iter()
            .find(|e| e.get("tls").is_some() && conn_of(e) == Some(n));
        let agrees = entry.is_some_and(|e| {
            e["tls"] == "TLSv1.3"
                && e["resumed"].as_bool() == Some(resumed)
                && (e["alpn"] == "h2") == h2
        });
        cmp.check(agrees, || {
            format!(
                "接続 {n}: バランサーの記録（TLS 1.3、ALPN h2、再開{}）と違います: {entry:?}",
                said(resumed)
            )
        });
        if resumed {
            resumed_flight = Some(w.first_flight);
        } else {
            let cert = entry.and_then(|e| e["cert_bytes"].as_u64()).unwrap_or(0);
            full.get_or_insert((w.first_flight, cert));
            if n == 1 {
                // The model's connection 1 hands over a ticket when resumption is on.
                let told = step.explain.contains("NewSessionTicket");
                let held = browser
                    .iter()
                    .any(|e| e["conn"].as_u64() == Some(1) && e["ticket"].as_bool() == Some(true));
                cmp.check(told == p.resume && held == p.resume, || {
                    format!(
                        "接続 1 のチケット: モデルの説明は{}、ブラウザーの記録は{}",
                        said(told),
                        said(held)
                    )
                });
            }
        }
    }
    if let (Some((flight, cert)), Some(resumed)) = (full, resumed_flight) {
        cmp.check(cert > 0 && flight as u64 >= resumed as u64 + cert, || {
            format!(
                "サーバーの最初の応答: フルハンドシェイク {flight} バイト、再開 {resumed} バイトで、差が証明書の {cert} バイトに足りません"
            )
        });
    }
    let accepted = wires
        .iter()
        .filter(|w| w.server.as_ref().is_some_and(|s| s.psk))
        .count() as u32;
    cmp.check(
        accepted == run.counts.tls_resumed && wires.len() as u32 - accepted == run.counts.tls_full,
        || {
            format!(
                "TLS ハンドシェイク: モデルはフル {}・再開 {}、実際は再開 {accepted}（全 {}）",
                run.counts.tls_full,
                run.counts.tls_resumed,
                wires.len()
            )
        },
    );
}

/// Each request: its connection, stream id and the streams open with it (the balancer's log, tied to
/// the browser's port), and what the backend received and answered in clear on the wire.
fn compare_requests(
    cmp: &mut Comparison,
    run: &ss::Timeline,
    backend: &[Conn],
    proxy: &[&Entry],
    conn_of: &dyn Fn(&Entry) -> Option<u32>,
) {
    let steps: Vec<&ss::Step> = run
        .steps
        .iter()
        .filter(|s| s.kind == ss::Kind::Request)
        .collect();
    let logged: Vec<&Entry> = proxy
        .iter()
        .filter(|e| e.get("stream").is_some())
        .copied()
        .collect();
    cmp.check(
        logged.len() == steps.len() && logged.len() as u32 == run.counts.streams,
        || {
            format!(
                "HTTP/2 のストリーム: モデルは {}、バランサーの記録は {}",
                run.counts.streams,
                logged.len()
            )
        },
    );
    for (i, step) in steps.iter().enumerate() {
        let k = step.request.unwrap_or(0);
        let line = step.line.clone().unwrap_or_default();
        let e = logged.get(i);
        let got = e.map(|e| {
            (
                conn_of(e),
                e["stream"].as_u64(),
                e["request"].as_str().unwrap_or_default(),
            )
        });
        let want = (Some(step.conn), step.stream.map(u64::from), line.as_str());
        cmp.check(got == Some(want), || {
            format!(
                "リクエスト {k}: モデルは接続 {}・ストリーム {:?}・{line}、バランサーの記録は {got:?}",
                step.conn, step.stream
            )
        });
        // Requests the model sends at the same moment on one connection are open at once.
        let together: BTreeSet<u64> = steps
            .iter()
            .filter(|s| s.conn == step.conn && s.t_ms == step.t_ms)
            .filter_map(|s| s.stream)
            .map(u64::from)
            .collect();
        let open: BTreeSet<u64> = e
            .and_then(|e| e["open"].as_array())
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64)
            .collect();
        cmp.check(open == together, || {
            format!(
                "リクエスト {k}: 同時に開いているストリームがモデルは {together:?}、実際は {open:?}"
            )
        });
        let Some(b) = backend.get(i) else {
            cmp.check(false, || {
                format!("リクエスト {k}: バックエンドへの接続がありません")
            });
            continue;
        };
        let (req, resp) = (b.requests.first(), b.responses.first());
        let sent = req.map(Message::line).unwrap_or_default();
        let to = backend_at(b.to.0);
        cmp.check(sent == line && to == step.backend, || {
            format!(
                "リクエスト {k}: モデルは {line} → {:?}、バックエンド側では {sent} → {to:?}",
                step.backend
            )
        });
        cmp.check(
            e.and_then(|e| e["backend"].as_str()) == to.map(ss::Backend::name),
            || format!("リクエスト {k}: バランサーの記録とバックエンド側の接続の行き先が違います"),
        );
        let cookie = req.and_then(|r| r.header("cookie")).unwrap_or_default();
        cmp.check((k > 1) == cookie.contains("sid="), || {
            format!("リクエスト {k} の Cookie: 「{cookie}」")
        });
        let state = session_state(resp);
        cmp.check(state == step.session, || {
            format!(
                "リクエスト {k} のセッション: モデルは {:?}、実際は {state:?}",
                step.session
            )
        });
    }
}
