//! The lb-layers and sessions widgets against real balancers (`scripts/lab.d/balance.py`): the VIP
//! 203.0.113.10:80 on the lab's router, an nftables DNAT as the L4 balancer or a reverse proxy as the
//! L7 one, backends A 198.51.100.11 and B 198.51.100.12, captured on every interface of the router.
//! A capture is cut into TCP connections — on the client's side (with the VIP) and on the backends'
//! side — and each connection's byte streams into HTTP messages, which are held against the models:
//! how many connections and whose, who answers the client's handshake, which address a backend sees,
//! which backend answers each request, the cookies, the session found or lost, and who closes an idle
//! connection when.

use std::net::{IpAddr, Ipv4Addr};

use super::Comparison;
use crate::captures::decode::{Kind, Packet};
use crate::widgets::lb_layers as lb;
use crate::widgets::sessions as ss;

/// The lab's client (the browser).
const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
/// The balancer's virtual address: the widgets' VIP, on the lab's router.
const VIP: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10));
/// The router's address on the backends' link: where the L7 proxy's own connections come from.
const PROXY: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
/// Backend A and B.
const BACKENDS: [(ss::Backend, IpAddr); 2] = [
    (ss::Backend::A, IpAddr::V4(Ipv4Addr::new(198, 51, 100, 11))),
    (ss::Backend::B, IpAddr::V4(Ipv4Addr::new(198, 51, 100, 12))),
];
/// The sessions widget's 60 s idle timeout and 120 s pause, as the lab runs them (balance.py's
/// IDLE_S and PAUSE_S).
pub const LAB_IDLE_MS: u64 = 1000;
pub const LAB_PAUSE_MS: u64 = 2000;
/// How far a real idle close or pause may be from the lab's numbers.
pub(super) const SLACK_MS: u64 = 300;

/// The lb-layers runs the lab records: the widget's first scenario through each real balancer, and
/// the HTTPS scenarios through the L7 proxy terminating TLS (the request unreadable on the client's
/// link, read by the proxy): path-https, cookie-sticky (lb=b → backend B), dst-ip (the VIP → pool A)
/// and custom-http (a JSON-RPC body in a POST, routed by its path); and the payloads that are not
/// HTTP through the L4 DNAT: port-db (PostgreSQL's Query message; 5432 → the DB pool, here backend
/// B) and custom-tcp (a binary frame on 7777, spread round robin per connection, since no layer can
/// apply the path rule); and HTTPS that no balancer terminates, the backends holding the TLS
/// themselves: path-passthrough through the L4 DNAT (the path unreadable, the connection pinned) and
/// host-sni through a pass-through on the router that reads the ClientHello's SNI and splices the
/// bytes (api.example → backend B), and host-ech through the same pass-through with the ClientHello
/// encrypted (ECH, on BoringSSL: the balancer reads only the public name and sends it to pool A; the
/// backend decrypts api.example). Not recorded: the other HTTPS scenarios through the L4 DNAT
/// (path-https+l4 and the like would show what path-passthrough+l4 shows: an L4 device never sees
/// TLS, terminated or not).
pub const LB_RECORDED: &[&str] = &[
    "path-http+l4",
    "path-http+l7",
    "path-https+l7",
    "cookie-sticky+l7",
    "dst-ip+l7",
    "custom-http+l7",
    "port-db+l4",
    "custom-tcp+l4",
    "path-passthrough+l4",
    "host-sni+l7",
    "host-ech+l7",
];

/// The sessions scenarios the lab records, with the idle timeout and the pause shortened (60 s → 1 s,
/// 120 s → 2 s). Those over HTTP/1.1 run in plain HTTP (the TLS lane is not compared) and are compared
/// here; http2-resume runs TLS 1.3 and HTTP/2 to a balancer terminating both, and is compared in
/// [`super::h2resume`].
pub const SESSIONS_RECORDED: &[&str] = &[
    "keepalive",
    "l4-memory",
    "l4-sticky",
    "l7-memory",
    "l7-sticky",
    "http2-resume",
];

/// One HTTP message as it crossed a connection.
#[derive(Debug, Clone)]
pub struct Message {
    /// `GET /dashboard HTTP/1.1` or `HTTP/1.1 302 Found`.
    pub start: String,
    pub headers: Vec<(String, String)>,
    /// Its body (Content-Length bytes), as text.
    pub body: String,
    /// When its first byte was captured, µs.
    pub at_us: u64,
}

impl Message {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `GET /dashboard` of a request.
    pub(super) fn line(&self) -> String {
        self.start
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether a response sets a cookie beginning with `prefix` (`sid=`).
    fn sets_cookie(&self, prefix: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("set-cookie") && v.starts_with(prefix))
    }

    /// The status code of a response.
    pub(super) fn status(&self) -> u16 {
        self.start
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
}

/// One TCP connection seen in the capture, on one side of the router.
#[derive(Debug, Clone)]
pub struct Conn {
    /// Who sent the SYN, and to whom.
    pub from: (IpAddr, u16),
    pub to: (IpAddr, u16),
    pub isn: u32,
    pub syn_us: u64,
    /// The SYN,ACK: when, and its sequence number.
    pub syn_ack: Option<(u64, u32)>,
    /// The first FIN: when, and whether the connection's initiator sent it.
    pub first_fin: Option<(u64, bool)>,
    /// FINs from each end (initiator, responder).
    pub fins: (bool, bool),
    /// The flags of the initiator's first segment with data, as the lb-layers widget writes them.
    pub data_flags: Option<String>,
    pub requests: Vec<Message>,
    pub responses: Vec<Message>,
    /// The initiator's bytes, for a protocol that is not HTTP ([`frames`]).
    pub sent: Vec<u8>,
}

/// One direction of a connection: its bytes, and (offset, time) of each segment.
#[derive(Default)]
struct Stream {
    bytes: Vec<u8>,
    marks: Vec<(usize, u64)>,
}

/// The connections of one side: `client_side` those with the VIP, otherwise those with a backend.
pub fn connections(packets: &[Packet], client_side: bool) -> Vec<Conn> {
    let on_side = |a: IpAddr, b: IpAddr| {
        if client_side {
            a == VIP || b == VIP
        } else {
            BACKENDS.iter().any(|(_, ip)| *ip == a || *ip == b)
        }
    };
    let mut conns: Vec<Conn> = Vec::new();
    // Per connection, each direction's bytes and where each segment began: (forward, backward).
    let mut streams: Vec<(Stream, Stream)> = Vec::new();
    for p in packets {
        let Kind::Tcp(t) = &p.kind else { continue };
        if !on_side(p.src, p.dst) {
            continue;
        }
        let (src, dst) = ((p.src, t.sport), (p.dst, t.dport));
        if t.syn && !t.ack_flag {
            conns.push(Conn {
                from: src,
                to: dst,
                isn: t.seq,
                syn_us: p.time_us,
                syn_ack: None,
                first_fin: None,
                fins: (false, false),
                data_flags: None,
                requests: Vec::new(),
                responses: Vec::new(),
                sent: Vec::new(),
            });
            streams.push(Default::default());
            continue;
        }
        let Some(i) = conns
            .iter()
            .rposition(|c| (c.from, c.to) == (src, dst) || (c.from, c.to) == (dst, src))
        else {
            continue;
        };
        let forward = conns[i].from == src;
        let c = &mut conns[i];
        if t.syn && c.syn_ack.is_none() {
            c.syn_ack = Some((p.time_us, t.seq));
        }
        if t.fin {
            c.first_fin.get_or_insert((p.time_us, forward));
            if forward {
                c.fins.0 = true;
            } else {
                c.fins.1 = true;
            }
        }
        if !t.payload.is_empty() {
            if forward && c.data_flags.is_none() {
                let names = [(t.ack_flag, "ACK"), (t.psh, "PSH"), (t.fin, "FIN")];
                let set: Vec<&str> = names
                    .iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, n)| *n)
                    .collect();
                c.data_flags = Some(set.join(", "));
            }
            let s = if forward {
                &mut streams[i].0
            } else {
                &mut streams[i].1
            };
            s.marks.push((s.bytes.len(), p.time_us));
            s.bytes.extend_from_slice(&t.payload);
        }
    }
    for (c, s) in conns.iter_mut().zip(&streams) {
        c.requests = messages(&s.0.bytes, &s.0.marks);
        c.responses = messages(&s.1.bytes, &s.1.marks);
        c.sent = s.0.bytes.clone();
    }
    conns
}

/// The HTTP messages of one direction's bytes; `marks` are (offset, time) of each segment.
fn messages(bytes: &[u8], marks: &[(usize, u64)]) -> Vec<Message> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(end) = find(&bytes[at..], b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[at..at + end]).into_owned();
        let mut lines = head.split("\r\n");
        let start = lines.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let time = marks
            .iter()
            .rev()
            .find(|(o, _)| *o <= at)
            .map_or(0, |(_, t)| *t);
        let mut msg = Message {
            start,
            headers,
            body: String::new(),
            at_us: time,
        };
        let body: usize = msg
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let from = (at + end + 4).min(bytes.len());
        let to = (from + body).min(bytes.len());
        msg.body = String::from_utf8_lossy(&bytes[from..to]).into_owned();
        out.push(msg);
        at += end + 4 + body;
        if at >= bytes.len() {
            break;
        }
    }
    out
}

/// The messages of a client's bytes that are not HTTP, as the lb-layers widget names them:
/// PostgreSQL's Query message (`Q`, a 32-bit length counting itself, the SQL ending in NUL, as
/// `Query: SELECT …`) and the lab's game frame (`GM`, a 16-bit length), a binary frame of its own.
pub fn frames(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        let (name, len) = match rest {
            [b'Q', a, b, c, d, ..] => {
                let n = u32::from_be_bytes([*a, *b, *c, *d]) as usize;
                let sql = rest.get(5..1 + n).unwrap_or_default();
                let sql = String::from_utf8_lossy(sql.strip_suffix(&[0]).unwrap_or(sql));
                (format!("Query: {sql}"), 1 + n)
            }
            [b'G', b'M', a, b, ..] => (
                "独自のバイナリフレーム".to_owned(),
                4 + usize::from(u16::from_be_bytes([*a, *b])),
            ),
            _ => break,
        };
        out.push(name);
        at += len;
    }
    out
}

/// What a backend's response says became of the login session: 200 with a new `sid` cookie created
/// it, 200 without found it, the 302 to the login page lost it.
pub(super) fn session_state(resp: Option<&Message>) -> Option<ss::SessionState> {
    let resp = resp?;
    match (resp.status(), resp.sets_cookie("sid=")) {
        (200, true) => Some(ss::SessionState::Created),
        (200, false) => Some(ss::SessionState::Found),
        (302, _) => Some(ss::SessionState::Lost),
        _ => None,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(super) fn backend_at(ip: IpAddr) -> Option<ss::Backend> {
    BACKENDS.iter().find(|(_, a)| *a == ip).map(|(b, _)| *b)
}

fn backend_named(name: Option<&str>) -> Option<ss::Backend> {
    BACKENDS
        .iter()
        .map(|(b, _)| *b)
        .find(|b| Some(b.name()) == name)
}

fn show(a: (IpAddr, u16)) -> String {
    format!("{}.{}", a.0, a.1)
}

/// What the models say of an L4 balancer's connection (passed through) and of an L7 one's (two).
const PASS_THROUGH: [&str; 2] = ["TCP 接続は 1 本", "この接続をまるごと"];
const PROXIED: [&str; 2] = ["別の接続を開きます", "別の TCP コネクションを持つ"];

/// The checks both widgets make of how the connections are laid out: an L4 balancer passes the
/// client's connection through (one connection end to end: the backend sees the client's address,
/// port and ISN, and its SYN,ACK is the one the client gets); an L7 balancer answers the client's
/// handshake itself and opens its own connections, from its own address, to the backends.
/// `explain` is the model's own text for the balancer, which must say which of the two it is.
pub(super) fn check_layout(
    cmp: &mut Comparison,
    explain: &str,
    requests: usize,
    client: &[Conn],
    backend: &[Conn],
) {
    let through = PASS_THROUGH.iter().any(|s| explain.contains(s));
    let proxied = PROXIED.iter().any(|s| explain.contains(s));
    cmp.check(through != proxied, || {
        "モデルの説明が、接続をそのまま通すのか別の接続を開くのかを言っていません".to_owned()
    });
    if through {
        cmp.check(backend.len() == client.len(), || {
            format!(
                "L4: バックエンド側の接続の数がクライアント側と違います（{} と {}）",
                backend.len(),
                client.len()
            )
        });
        for (c, b) in client.iter().zip(backend) {
            cmp.check(b.from == c.from && b.isn == c.isn, || {
                format!(
                    "L4: バックエンドが見た接続 {} がクライアントの {}（ISN も同じ）ではありません",
                    show(b.from),
                    show(c.from)
                )
            });
            let same_answer = matches!((c.syn_ack, b.syn_ack), (Some((tc, sc)), Some((tb, sb))) if sc == sb && tb <= tc);
            cmp.check(same_answer, || {
                format!(
                    "L4: クライアント {} への SYN,ACK がバックエンドの送ったものではありません",
                    show(c.from)
                )
            });
        }
    } else {
        cmp.check(backend.len() == requests, || {
            format!(
                "L7: バックエンドへの接続はリクエストごとに 1 本のはずが {} 本（リクエスト {requests} 件）",
                backend.len()
            )
        });
        for b in backend {
            cmp.check(b.from.0 == PROXY, || {
                format!(
                    "L7: バックエンドが見た送信元が {} でバランサー {PROXY} ではありません",
                    b.from.0
                )
            });
        }
        for c in client {
            let first_backend = backend.iter().map(|b| b.syn_us).find(|t| *t >= c.syn_us);
            let answered_first = match (c.syn_ack, first_backend) {
                (Some((t, _)), Some(b)) => t < b,
                (Some(_), None) => true,
                _ => false,
            };
            cmp.check(answered_first, || {
                format!(
                    "L7: クライアント {} の handshake にバランサーが自分で答えていません",
                    show(c.from)
                )
            });
        }
    }
}

/// Compares a recorded lb-layers run (`path-http+l4`, `path-http+l7`) with the model's device of
/// that layer. `None` for a name the lab does not record.
pub fn compare_lb(scenario: &str, packets: &[Packet]) -> Option<Comparison> {
    if !LB_RECORDED.contains(&scenario) {
        return None;
    }
    let (base, device) = scenario.rsplit_once('+')?;
    let l4 = device == "l4";
    let p = lb::Scenario::from_name(base)?.params();
    let eval = lb::evaluate(&p);
    let layer = if l4 { 4 } else { 7 };
    let dev = eval.devices.iter().find(|d| d.layer == layer)?;
    let client = connections(packets, true);
    let backend = connections(packets, false);
    let mut cmp = Comparison::default();
    cmp.check(client.len() == 1, || {
        format!("クライアントの接続は 1 本のはずが {} 本です", client.len())
    });
    let Some(c) = client.first() else {
        return Some(cmp);
    };
    // The packet of the widget, field by field (its client 198.51.100.23 is the lab's 192.0.2.2).
    // Inside TLS the request is unreadable on the client's link; the balancer that terminated TLS
    // sends it on in clear, so the backend's side shows what it read.
    let tls = p.tls != lb::Tls::None;
    if !p.payload.is_http() {
        return Some(compare_raw(cmp, &p, &eval, dev, layer, c, &backend));
    }
    if tls && !p.terminate {
        return Some(super::passthrough::compare(
            cmp, &eval, dev, layer, c, &backend,
        ));
    }
    let hidden = c.requests.is_empty();
    let first = c
        .requests
        .first()
        .or_else(|| backend.first().and_then(|b| b.requests.first()));
    if let Some(req) = first {
        for f in &eval.fields {
            if f.part == lb::Part::App {
                cmp.check(hidden == f.encrypted, || {
                    format!(
                        "パケットの{}: モデルは{}、実際はクライアントの回線で{}",
                        f.label,
                        if f.encrypted { "暗号化" } else { "平文" },
                        if hidden {
                            "読めません"
                        } else {
                            "読めます"
                        }
                    )
                });
            }
            let real = match f.key {
                "dst_ip" => c.to.0.to_string(),
                "dst_port" => c.to.1.to_string(),
                "src_port" => c.from.1.to_string(),
                "tcp_flags" => c.data_flags.clone().unwrap_or_default(),
                "method" => req.start.split(' ').next().unwrap_or_default().to_owned(),
                "path" => req.start.split(' ').nth(1).unwrap_or_default().to_owned(),
                "host" => req.header("host").unwrap_or_default().to_owned(),
                "cookie" => req.header("cookie").unwrap_or("（なし）").to_owned(),
                "body" => req.body.clone(),
                _ => continue,
            };
            cmp.check(real == f.value, || {
                format!("パケットの{}: モデルは {}、実際は {real}", f.label, f.value)
            });
        }
    }
    // The lab's client sends two requests on its one connection.
    check_layout(&mut cmp, &dev.explain, 2, &client, &backend);
    // Which backend answered each request: the backend names itself in X-Backend; inside TLS, the
    // backend each of the proxy's connections went to.
    let (lines, answered): (Vec<String>, Vec<Option<ss::Backend>>) = if hidden {
        backend
            .iter()
            .map(|b| {
                let line = b.requests.first().map(Message::line).unwrap_or_default();
                (line, backend_at(b.to.0))
            })
            .unzip()
    } else {
        c.requests
            .iter()
            .map(Message::line)
            .zip(
                c.responses
                    .iter()
                    .map(|r| backend_named(r.header("x-backend"))),
            )
            .unzip()
    };
    cmp.check(answered.len() == 2 && hidden == tls, || {
        format!(
            "同じ接続のリクエストと応答が 2 組のはずが {} 組です（TLS {}）",
            answered.len(),
            if tls { "あり" } else { "なし" }
        )
    });
    if dev.can_apply {
        // The model's decision for this packet, and for the second request (the rule's default).
        let second = lb::Params { path: "/", ..p };
        let second_dev = lb::evaluate(&second)
            .devices
            .into_iter()
            .find(|d| d.layer == layer)?;
        for (i, d) in [&dev.decision, &second_dev.decision]
            .into_iter()
            .enumerate()
        {
            // 「同じバックエンド b へ」: the cookie lb=b names backend B.
            let want = d.as_deref().map(|d| {
                if d.contains("プール B") || d.contains("バックエンド b") {
                    ss::Backend::B
                } else {
                    ss::Backend::A
                }
            });
            let got = answered.get(i).copied().flatten();
            cmp.check(want == got, || {
                format!(
                    "{} 件目（{}）の振り分け: モデルは {:?}、実際はバックエンド {:?}",
                    i + 1,
                    lines.get(i).cloned().unwrap_or_default(),
                    d,
                    got
                )
            });
        }
    } else {
        // A device that cannot read the path pins the connection: both requests, one backend.
        cmp.check(
            answered.len() == 2 && answered[0].is_some() && answered[0] == answered[1],
            || {
                format!(
                    "L{layer} はパスを読めないので同じ接続の 2 件は同じバックエンドに届くはずが、{answered:?}"
                )
            },
        );
    }
    cmp.check(dev.sees.contains(&"path") != l4, || {
        format!("モデルの L{layer} がパスを読むかどうかが実機と違います")
    });
    Some(cmp)
}

/// The rest of [`compare_lb`] for a payload that is not HTTP (port-db, custom-tcp through the L4
/// DNAT): the packet's fields, its two messages on the one connection, and the backend they reached.
fn compare_raw(
    mut cmp: Comparison,
    p: &lb::Params,
    eval: &lb::Evaluation,
    dev: &lb::Device,
    layer: u8,
    c: &Conn,
    backend: &[Conn],
) -> Comparison {
    let frames = frames(&c.sent);
    cmp.check(c.requests.is_empty() && frames.len() == 2, || {
        format!(
            "HTTP ではないメッセージが同じ接続で 2 つのはずが、HTTP {} 件・それ以外 {} 件です",
            c.requests.len(),
            frames.len()
        )
    });
    for f in &eval.fields {
        let real = match f.key {
            "dst_ip" => c.to.0.to_string(),
            "dst_port" => c.to.1.to_string(),
            "src_port" => c.from.1.to_string(),
            "tcp_flags" => c.data_flags.clone().unwrap_or_default(),
            "body" => frames.first().cloned().unwrap_or_default(),
            _ => continue,
        };
        cmp.check(real == f.value, || {
            format!("パケットの{}: モデルは {}、実際は {real}", f.label, f.value)
        });
    }
    check_layout(&mut cmp, &dev.explain, 2, std::slice::from_ref(c), backend);
    // Both messages travel in the one connection, so they reach the backend it went to.
    let got = backend.first().and_then(|b| backend_at(b.to.0));
    let want = match dev.decision.as_deref() {
        // The lab's DB pool is backend B.
        Some(d) if d.contains("DB プール") || d.contains("プール B") => Some(ss::Backend::B),
        Some(_) => Some(ss::Backend::A),
        None => got,
    };
    cmp.check(got.is_some() && got == want, || {
        format!(
            "L{layer} の振り分け: モデルは {:?}、実際はバックエンド {got:?}",
            dev.decision
        )
    });
    cmp.check(dev.can_apply == (p.rule == lb::Rule::Port5432), || {
        format!("モデルの L{layer} がこのルールを使えるかどうかが実機と違います")
    });
    cmp
}

/// Compares a recorded sessions scenario with the model's timeline, the idle timeout and pause
/// scaled to the lab's. `None` for a scenario the lab does not record.
pub fn compare_sessions(scenario: &str, packets: &[Packet]) -> Option<Comparison> {
    if !SESSIONS_RECORDED.contains(&scenario) || scenario == super::h2resume::SCENARIO {
        return None;
    }
    let p = ss::Scenario::from_name(scenario)?.params();
    let run = ss::simulate(&p);
    let l4 = p.balancer == ss::Balancer::L4;
    let client = connections(packets, true);
    let backend = connections(packets, false);
    let mut cmp = Comparison::default();
    cmp.check(client.len() as u32 == run.counts.connections, || {
        format!(
            "TCP の接続の数: モデルは {}、実際は {}",
            run.counts.connections,
            client.len()
        )
    });
    let mut ports: Vec<u16> = client.iter().map(|c| c.from.1).collect();
    ports.sort_unstable();
    ports.dedup();
    cmp.check(ports.len() == client.len(), || {
        "接続ごとに送信元ポートが新しくなっていません".to_owned()
    });
    for (i, c) in client.iter().enumerate() {
        cmp.check(c.from.0 == CLIENT && c.syn_ack.is_some(), || {
            format!("接続 {} の 3-way handshake がそろっていません", i + 1)
        });
        cmp.check(c.fins == (true, true), || {
            format!("接続 {} が両側の FIN で閉じていません", i + 1)
        });
    }
    let opening = run.steps.iter().find(|s| s.kind == ss::Kind::Open)?;
    check_layout(
        &mut cmp,
        &opening.explain,
        run.counts.requests as usize,
        &client,
        &backend,
    );
    // Opens: under L4 the backend the connection went to.
    for step in run.steps.iter().filter(|s| s.kind == ss::Kind::Open) {
        let n = step.conn as usize;
        if let (Some(want), true) = (step.backend, l4) {
            let got = backend.get(n - 1).and_then(|b| backend_at(b.to.0));
            cmp.check(got == Some(want), || {
                format!(
                    "接続 {n} の振り分け先: モデルは {}、実際は {got:?}",
                    want.name()
                )
            });
        }
    }
    // Closes: who sends the first FIN, and after how long idle.
    for step in run.steps.iter().filter(|s| s.kind == ss::Kind::Close) {
        let n = step.conn as usize;
        let Some(c) = client.get(n - 1) else { continue };
        let last = c.responses.last().map_or(c.syn_us, |r| r.at_us);
        let Some((fin_at, by_client)) = c.first_fin else {
            continue;
        };
        let idle = fin_at.saturating_sub(last) / 1000;
        cmp.check(!by_client, || {
            format!("接続 {n} を先に閉じたのがクライアントです（モデルはサーバー側）")
        });
        cmp.check(idle.abs_diff(LAB_IDLE_MS) <= SLACK_MS, || {
            format!(
                "接続 {n} のアイドル切断: モデルは {} 秒（実機では {LAB_IDLE_MS} ms に短縮）、実際は {idle} ms",
                ss::IDLE_TIMEOUT_S
            )
        });
        if l4 {
            // The backend's own FIN, passed through; the balancer has no idle timeout of its own.
            let want = step.backend;
            let by = backend.get(n - 1).and_then(|b| match b.first_fin {
                Some((_, false)) => backend_at(b.to.0),
                _ => None,
            });
            cmp.check(by == want, || {
                format!("接続 {n} を閉じたのはモデルでは {want:?}、実際は {by:?}")
            });
        } else {
            let backend_done = backend
                .iter()
                .filter(|b| b.syn_us < fin_at)
                .all(|b| b.first_fin.is_some_and(|(t, _)| t < fin_at));
            cmp.check(backend_done, || {
                format!("接続 {n} を閉じたのがバランサー自身ではありません（バックエンドへの接続が残っています）")
            });
        }
        if let Some(next) = client.get(n) {
            let pause = next.syn_us.saturating_sub(last) / 1000;
            cmp.check(pause.abs_diff(LAB_PAUSE_MS) <= SLACK_MS, || {
                format!(
                    "休止: モデルは {} 秒（実機では {LAB_PAUSE_MS} ms に短縮）、実際は {pause} ms",
                    p.pause_s
                )
            });
        }
    }
    // Requests: their line, connection, backend, cookies and what became of the session.
    let exchanges: Vec<(usize, &Message, Option<&Message>)> = client
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            c.requests
                .iter()
                .enumerate()
                .map(move |(k, r)| (i + 1, r, c.responses.get(k)))
        })
        .collect();
    let steps: Vec<&ss::Step> = run
        .steps
        .iter()
        .filter(|s| s.kind == ss::Kind::Request)
        .collect();
    cmp.check(exchanges.len() == steps.len(), || {
        format!(
            "HTTP リクエストの数: モデルは {}、実際は {}",
            steps.len(),
            exchanges.len()
        )
    });
    for (step, (conn, req, resp)) in steps.iter().zip(&exchanges) {
        let k = step.request.unwrap_or(0);
        let line = step.line.clone().unwrap_or_default();
        cmp.check(req.line() == line, || {
            format!("リクエスト {k}: モデルは {line}、実際は {}", req.line())
        });
        cmp.check(*conn == step.conn as usize, || {
            format!(
                "リクエスト {k} の接続: モデルは {}、実際は {conn}",
                step.conn
            )
        });
        let got = resp.and_then(|r| backend_named(r.header("x-backend")));
        cmp.check(got == step.backend, || {
            format!(
                "リクエスト {k} のバックエンド: モデルは {:?}、実際は {got:?}",
                step.backend
            )
        });
        let cookie = req.header("cookie").unwrap_or_default();
        cmp.check((k > 1) == cookie.contains("sid="), || {
            format!("リクエスト {k} の Cookie: 「{cookie}」")
        });
        let status = resp.map_or(0, Message::status);
        let state = session_state(*resp);
        cmp.check(state == step.session, || {
            format!(
                "リクエスト {k} のセッション: モデルは {:?}、実際は {state:?}（{status}）",
                step.session
            )
        });
        if p.balancer == ss::Balancer::L7 && p.sticky {
            // The balancer's own cookie: set on the first response, carried afterwards.
            let lb_cookie = if k == 1 {
                resp.is_some_and(|r| r.sets_cookie("lb=A"))
            } else {
                cookie.contains("lb=A")
            };
            cmp.check(lb_cookie, || {
                format!("リクエスト {k}: スティッキーの Cookie lb=A がありません")
            });
        }
    }
    Some(cmp)
}
