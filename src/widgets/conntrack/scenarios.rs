//! The traffic of each scenario (facts.md §9 and W9), packet by packet, sent through both filters.
//! The client 192.168.1.10 sits behind the filter; the web and FTP server is 198.51.100.7 (as in the
//! FTP widget), the DNS server 203.0.113.53.

use std::net::Ipv4Addr;

use super::engine::{Tracker, Tuple, Wire, static_rules, static_verdict};
use super::model::*;
use super::{Params, Scenario, scenario_name};

/// The client behind the filter.
pub const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 10);
/// The web server, also the FTP server.
pub const SERVER: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
/// The DNS server.
pub const DNS: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 53);
/// A router on the path that sends an ICMP error.
pub const ROUTER: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
/// Someone outside who was not asked.
pub const STRANGER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 66);
/// A host that sends an ACK belonging to nothing.
pub const STRAY: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 99);
/// The client's source port for HTTPS.
pub const HTTPS_PORT: u16 = 50100;
/// The client's source port for DNS.
pub const DNS_PORT: u16 = 53124;
/// The client's source port for the FTP control connection (as in the FTP widget).
pub const FTP_CONTROL_PORT: u16 = 50123;
/// The client's source port for the FTP data connection.
pub const FTP_DATA_PORT: u16 = 50124;
/// The server's passive port, (…,195,80).
pub const PASSIVE_PORT: u16 = 50000;

/// A packet to send, with its words.
struct Send {
    wire: Wire,
    what: String,
    note: &'static str,
    lead: String,
    source: &'static str,
}

fn tcp(dir: Dir, src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), syn: bool, ack: bool) -> Wire {
    Wire {
        dir,
        proto: Proto::Tcp,
        src: src.0,
        sport: src.1,
        dst: dst.0,
        dport: dst.1,
        syn,
        ack,
        data: false,
        pasv: None,
        inner: None,
    }
}

/// A segment that also carries data.
fn with_data(wire: Wire) -> Wire {
    Wire { data: true, ..wire }
}

fn udp(dir: Dir, src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16)) -> Wire {
    Wire {
        proto: Proto::Udp,
        ..tcp(dir, src, dst, false, false)
    }
}

fn send(
    wire: Wire,
    what: impl Into<String>,
    note: &'static str,
    lead: impl Into<String>,
    source: &'static str,
) -> Send {
    Send {
        wire,
        what: what.into(),
        note,
        lead: lead.into(),
        source,
    }
}

/// The HTTPS connection's packets: handshake, then the first data each way.
fn https() -> Vec<Send> {
    let c = (CLIENT, HTTPS_PORT);
    let s = (SERVER, 443);
    vec![
        send(
            tcp(Dir::Out, c, s, true, false),
            "SYN",
            "クライアントが HTTPS の SYN を送る",
            "クライアントが Web サーバーの 443 番へ接続を始めます。",
            "RFC 9293 §3.5, nft(8) CONNTRACK EXPRESSION",
        ),
        send(
            tcp(Dir::In, s, c, true, true),
            "SYN,ACK",
            "サーバーが SYN,ACK を返す",
            "サーバーの応答です。ct state（パケットの分類）は ESTABLISHED ですが、conntrack -L の TCP の状態の列は SYN_RECV です — 二つは別のものです。",
            "RFC 9293 §3.5, conntrack(8)",
        ),
        send(
            with_data(tcp(Dir::Out, c, s, false, true)),
            "ACK + ClientHello",
            "クライアントが ACK と TLS の ClientHello を送る",
            "ハンドシェイクが終わり、TLS が始まります。",
            "RFC 9293 §3.5, RFC 8446 §4.1.2",
        ),
        send(
            with_data(tcp(Dir::In, s, c, false, true)),
            "ACK + ServerHello",
            "サーバーが TLS の ServerHello を返す",
            "応答のデータです。クライアントのデータは確認応答されましたが、今度はサーバーのデータが確認待ちなので、タイムアウトは 300 秒のままです。",
            "RFC 8446 §4.1.3, nft(8)",
        ),
    ]
}

fn dns() -> Vec<Send> {
    let c = (CLIENT, DNS_PORT);
    let d = (DNS, 53);
    vec![
        send(
            udp(Dir::Out, c, d),
            "DNS 問い合わせ",
            "クライアントが DNS の問い合わせを UDP で送る",
            "UDP にハンドシェイクはありません。",
            "RFC 1035 §4.2.1, nf_conntrack-sysctl",
        ),
        send(
            udp(Dir::In, d, c),
            "DNS 応答",
            "DNS サーバーが応答を返す",
            "UDP の応答です。応答が 1 回だけの流れは「ストリーム」にならないので [ASSURED] は付かず、タイムアウトは nf_conntrack_udp_timeout の 30 秒のままです（何度もやりとりが続けば nf_conntrack_udp_timeout_stream の 120 秒）。",
            "RFC 1035 §4.2.1, nf_conntrack-sysctl",
        ),
    ]
}

fn ftp(helper: bool) -> Vec<Send> {
    let c = (CLIENT, FTP_CONTROL_PORT);
    let s = (SERVER, 21);
    let mut pasv = with_data(tcp(Dir::In, s, c, false, true));
    pasv.pasv = Some((SERVER, PASSIVE_PORT));
    let helper_lead = if helper {
        "ルール H がこの接続に FTP ヘルパーを割り当てます（Linux 4.7 以降は自動では割り当てないので、ct helper set などで明示します）。conntrack -L の行に helper=ftp が付きます。"
    } else {
        "FTP ヘルパーは割り当てていません（Linux 4.7 以降は既定で自動割り当てしません）。"
    };
    let mut v = vec![
        send(
            tcp(Dir::Out, c, s, true, false),
            "SYN（制御接続）",
            "クライアントが FTP の制御接続（21 番）の SYN を送る",
            helper_lead,
            "RFC 959 §8, nft(8) CT HELPER",
        ),
        send(
            tcp(Dir::In, s, c, true, true),
            "SYN,ACK",
            "サーバーが SYN,ACK を返す",
            "",
            "RFC 9293 §3.5",
        ),
        send(
            with_data(tcp(Dir::Out, c, s, false, true)),
            "ACK + PASV",
            "クライアントが ACK と PASV を送る",
            "制御接続ができ、パッシブモードを頼みます。",
            "RFC 959 §4.1.2",
        ),
        send(
            pasv,
            "227 Entering Passive Mode (198,51,100,7,195,80)",
            "サーバーが 227 でデータ用ポート 50000 を知らせる",
            if helper {
                "ポートは 195 × 256 + 80 = 50000 です。実際の FTP ではこの前にサーバーの 220 のあいさつとログインのやりとりがあります（ここでは省略）。Linux の FTP ヘルパーは、その向きで前の行が終わった（改行の）直後から始まる行だけを読むので、接続の最初の応答がいきなり 227 だと読みません（実機の記録では 220 を先に送っています）。"
            } else {
                "ポートは 195 × 256 + 80 = 50000 です。"
            },
            "RFC 959 §4.1.2, §4.2",
        ),
        send(
            tcp(
                Dir::Out,
                (CLIENT, FTP_DATA_PORT),
                (SERVER, PASSIVE_PORT),
                true,
                false,
            ),
            "SYN（データ接続）",
            "クライアントがデータ接続の SYN を 50000 番へ送る",
            "データ接続は制御接続とは別の新しい TCP 接続です。",
            "RFC 959 §3.2, nft(8) CT HELPER",
        ),
    ];
    if helper {
        v.push(send(
            tcp(
                Dir::In,
                (SERVER, PASSIVE_PORT),
                (CLIENT, FTP_DATA_PORT),
                true,
                true,
            ),
            "SYN,ACK（データ接続）",
            "サーバーがデータ接続の SYN,ACK を返す",
            "データ接続にも自分の項目ができたので、その応答です。",
            "RFC 9293 §3.5",
        ));
    }
    v
}

fn unsolicited() -> Vec<Send> {
    let target = (CLIENT, 22);
    vec![
        send(
            tcp(Dir::In, (STRANGER, 40000), target, true, false),
            "SYN",
            "外の 203.0.113.66 がクライアントの 22 番へ SYN を送る",
            "誰も頼んでいない外からの接続要求です。",
            "RFC 9293 §3.5, nft(8)",
        ),
        send(
            tcp(Dir::In, (STRANGER, 443), target, true, false),
            "SYN（送信元ポート 443）",
            "同じ相手が送信元ポートを 443 にして SYN を送る",
            "送信元ポートは送る側が自由に選べます。",
            "RFC 9293 §3.1, nft(8)",
        ),
    ]
}

fn icmp_error() -> Vec<Send> {
    let mut w = tcp(Dir::In, (ROUTER, 0), (CLIENT, 0), false, false);
    w.proto = Proto::Icmp;
    w.inner = Some(Tuple {
        src: CLIENT,
        dst: SERVER,
        sport: HTTPS_PORT,
        dport: 443,
    });
    vec![send(
        w,
        "ICMP type 3 code 4（中身: 192.168.1.10:50100 → 198.51.100.7:443）",
        "経路上のルータが、HTTPS 接続のパケットについて ICMP type 3 code 4 を返す",
        "経路 MTU 探索（PMTUD）の知らせです。これが届かないとブラックホールになります。",
        "RFC 1191 §4, RFC 792, nft(8)",
    )]
}

fn stray_ack() -> Vec<Send> {
    vec![send(
        tcp(Dir::In, (STRAY, 443), (CLIENT, 50001), false, true),
        "ACK",
        "198.51.100.99 の 443 番から、どの接続にも属さない ACK が来る",
        "クライアントはこの相手と接続していません（偽造や、とうに消えた接続の残りです）。",
        "nf_conntrack-sysctl (nf_conntrack_tcp_loose), nft(8)",
    )]
}

/// Runs the traffic of `p` through both filters.
pub fn simulate(p: &Params) -> Conntrack {
    let helper = p.scenario == Scenario::FtpHelper;
    let mut tracker = Tracker::new(p.loose, helper);
    if p.scenario == Scenario::IcmpError {
        // The ICMP error is about an HTTPS connection that is already up.
        for s in https() {
            tracker.packet(&s.wire);
        }
    }
    let initial_table = tracker.lines();
    let sends = match p.scenario {
        Scenario::Https => https(),
        Scenario::Dns => dns(),
        Scenario::FtpPassive => ftp(false),
        Scenario::FtpHelper => ftp(true),
        Scenario::UnsolicitedSyn => unsolicited(),
        Scenario::IcmpError => icmp_error(),
        Scenario::StrayAck => stray_ack(),
    };
    let steps: Vec<Step> = sends
        .into_iter()
        .map(|s| {
            let (static_verdict, static_why) = static_verdict(&s.wire);
            let c = tracker.packet(&s.wire);
            let mut explain = s.lead.clone();
            explain.push_str(&static_why);
            explain.push_str(&format!("conntrack では、{}", c.why));
            Step {
                packet: packet(&s.wire, s.what),
                static_verdict,
                ct_state: c.state,
                stateful: c.verdict,
                table: tracker.lines(),
                expect: tracker.expect_lines(),
                note: s.note.to_owned(),
                explain,
                source: format!("{}, conntrack(8)", s.source),
            }
        })
        .collect();
    let outcome = outcome(p.scenario, &steps);
    Conntrack {
        scenario: p.scenario,
        name: scenario_name(p),
        loose: p.loose,
        helper,
        static_rules: static_rules(),
        stateful_rules: tracker.rules(),
        initial_table,
        steps,
        outcome,
    }
}

fn packet(w: &Wire, what: String) -> Packet {
    let ports = w.proto != Proto::Icmp;
    let mut flags = Vec::new();
    if w.proto == Proto::Tcp {
        if w.syn {
            flags.push("SYN");
        }
        if w.ack {
            flags.push("ACK");
        }
    }
    Packet {
        dir: w.dir,
        proto: w.proto,
        src: w.src.to_string(),
        sport: ports.then_some(w.sport),
        dst: w.dst.to_string(),
        dport: ports.then_some(w.dport),
        flags,
        what,
    }
}

fn outcome(scenario: Scenario, steps: &[Step]) -> Outcome {
    let static_accepted = steps.iter().filter(|s| s.static_verdict.accept).count();
    let stateful_accepted = steps.iter().filter(|s| s.stateful.accept).count();
    let n = steps.len();
    let summary = match scenario {
        Scenario::Https => format!("どちらも {n} 個すべてを通します。ただし静的フィルタは応答を通すために「送信元ポート 443 なら入れる」穴（S2）を常に開けていて、接続していない相手の偽造パケットも通してしまいます。ステートフルなフィルタは、表にある接続の応答だけを通します。"),
        Scenario::Dns => "どちらも問い合わせと応答を通します。静的フィルタは「送信元ポート 53 なら入れる」穴（S4）を常に開けていますが、conntrack は問い合わせが作った項目に一致する応答だけを、タイムアウト（30 秒）までの間だけ通します。".to_owned(),
        Scenario::FtpPassive => "静的フィルタは高いポートへの出口（S7）を常に開けているのでデータ接続も通しますが、その穴はどの宛先にも開いています。ステートフルなフィルタでは、ヘルパーがないとデータ接続の SYN は NEW のまま許すルールが無く破棄され、ファイル転送は失敗します。".to_owned(),
        Scenario::FtpHelper => "FTP ヘルパーが 227 応答を読んで、その相手・そのポートへの接続を一度だけ RELATED として通すので、ステートフルなフィルタでも転送できます。静的フィルタのような常設の穴は要りません。".to_owned(),
        Scenario::UnsolicitedSyn => "ステートフルなフィルタはどちらの SYN も NEW として捨て、表にも残しません。静的フィルタは 1 つ目を捨てますが、送信元ポートを 443 にしただけの 2 つ目を S2 の穴から通してしまいます。".to_owned(),
        Scenario::IcmpError => "ステートフルなフィルタは、追跡中の接続についての ICMP エラーを RELATED として通し、PMTUD が働きます。ICMP のルールを持たない静的フィルタは捨ててしまい、PMTUD のブラックホールの原因になります。".to_owned(),
        Scenario::StrayAck => {
            let how = if steps.first().is_some_and(|s| s.ct_state == CtState::Invalid) {
                "INVALID として F2 で"
            } else {
                "NEW（途中から拾った接続）として、それを許すルールが無いので policy で"
            };
            format!("静的フィルタは送信元ポート 443 というだけで S2 から通してしまいます。ステートフルなフィルタは{how}捨てます。")
        }
    };
    Outcome {
        static_accepted,
        stateful_accepted,
        summary,
    }
}
