//! The two filters as small machines: a static rule table that sees one packet at a time, and
//! Linux connection tracking (entries, the TCP state column, expectations from the ftp helper) with
//! the nftables ruleset on top. `conntrack -L` lines are printed as conntrack-tools 1.4.7 prints them
//! (checked against Linux 6.18 in a network namespace); timeouts are this kernel's defaults under
//! /proc/sys/net/netfilter (nf_conntrack-sysctl docs).

use std::net::Ipv4Addr;

use super::model::{CtState, Dir, Proto, Rule, Verdict};

/// `nf_conntrack_tcp_timeout_syn_sent`.
pub const TIMEOUT_SYN_SENT: u32 = 120;
/// `nf_conntrack_tcp_timeout_syn_recv`.
pub const TIMEOUT_SYN_RECV: u32 = 60;
/// `nf_conntrack_tcp_timeout_established` (5 days).
pub const TIMEOUT_ESTABLISHED: u32 = 432_000;
/// `nf_conntrack_tcp_timeout_unacknowledged`: an established connection with data one side has not yet
/// acknowledged gets this instead of the 5 days (the lab's `conntrack -L` showed 299 after the ClientHello).
pub const TIMEOUT_UNACKNOWLEDGED: u32 = 300;
/// `nf_conntrack_udp_timeout` (a flow that has not become a stream).
pub const TIMEOUT_UDP: u32 = 30;
/// The ftp helper's expectation timeout (`conntrack -L expect` shows 300).
pub const TIMEOUT_EXPECT: u32 = 300;

/// A packet as the machines read it: the wire view plus what a helper or ICMP carries inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wire {
    pub dir: Dir,
    pub proto: Proto,
    pub src: Ipv4Addr,
    pub sport: u16,
    pub dst: Ipv4Addr,
    pub dport: u16,
    pub syn: bool,
    pub ack: bool,
    /// The segment carries data (a TLS hello, an FTP line), which the other side has to acknowledge.
    pub data: bool,
    /// A 227 reply naming this address and port (what the ftp helper reads).
    pub pasv: Option<(Ipv4Addr, u16)>,
    /// The ICMP error's quoted packet (the original direction of the flow it is about).
    pub inner: Option<Tuple>,
}

/// Addresses and ports of one direction of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuple {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub sport: u16,
    pub dport: u16,
}

impl Tuple {
    fn reversed(self) -> Tuple {
        Tuple {
            src: self.dst,
            dst: self.src,
            sport: self.dport,
            dport: self.sport,
        }
    }

    fn show(self) -> String {
        format!(
            "src={} dst={} sport={} dport={}",
            self.src, self.dst, self.sport, self.dport
        )
    }
}

// ---- the static filter

/// One rule of the static filter: direction, protocol, port ranges and the ACK-bit test.
struct StaticRule {
    id: &'static str,
    dir: Dir,
    proto: Proto,
    sport: Option<(u16, u16)>,
    dport: Option<(u16, u16)>,
    need_ack: bool,
    text: &'static str,
}

/// The static filter: permanent holes for the replies, since it remembers nothing.
const STATIC_RULES: [StaticRule; 8] = [
    StaticRule {
        id: "S1",
        dir: Dir::Out,
        proto: Proto::Tcp,
        sport: None,
        dport: Some((443, 443)),
        need_ack: false,
        text: "出 tcp 宛先ポート 443 → 許可",
    },
    StaticRule {
        id: "S2",
        dir: Dir::In,
        proto: Proto::Tcp,
        sport: Some((443, 443)),
        dport: None,
        need_ack: false,
        text: "入 tcp 送信元ポート 443 → 許可（HTTPS の応答用の穴）",
    },
    StaticRule {
        id: "S3",
        dir: Dir::Out,
        proto: Proto::Udp,
        sport: None,
        dport: Some((53, 53)),
        need_ack: false,
        text: "出 udp 宛先ポート 53 → 許可",
    },
    StaticRule {
        id: "S4",
        dir: Dir::In,
        proto: Proto::Udp,
        sport: Some((53, 53)),
        dport: None,
        need_ack: false,
        text: "入 udp 送信元ポート 53 → 許可（DNS の応答用の穴）",
    },
    StaticRule {
        id: "S5",
        dir: Dir::Out,
        proto: Proto::Tcp,
        sport: None,
        dport: Some((21, 21)),
        need_ack: false,
        text: "出 tcp 宛先ポート 21 → 許可",
    },
    StaticRule {
        id: "S6",
        dir: Dir::In,
        proto: Proto::Tcp,
        sport: Some((21, 21)),
        dport: None,
        need_ack: false,
        text: "入 tcp 送信元ポート 21 → 許可（FTP 制御の応答用の穴）",
    },
    StaticRule {
        id: "S7",
        dir: Dir::Out,
        proto: Proto::Tcp,
        sport: None,
        dport: Some((1024, 65535)),
        need_ack: false,
        text: "出 tcp 宛先ポート 1024〜65535 → 許可（パッシブ FTP のデータ用の穴）",
    },
    StaticRule {
        id: "S8",
        dir: Dir::In,
        proto: Proto::Tcp,
        sport: Some((1024, 65535)),
        dport: None,
        need_ack: true,
        text: "入 tcp 送信元ポート 1024〜65535 で ACK あり → 許可（その応答用の穴）",
    },
];

/// The static filter's rules as the widget lists them, ending with the default.
pub fn static_rules() -> Vec<Rule> {
    STATIC_RULES
        .iter()
        .map(|r| Rule {
            id: r.id,
            text: r.text.to_owned(),
        })
        .chain(std::iter::once(Rule {
            id: "policy",
            text: "どれにも一致しなければ → 破棄".to_owned(),
        }))
        .collect()
}

/// The static filter's verdict and, in words, why.
pub fn static_verdict(w: &Wire) -> (Verdict, String) {
    let within = |range: Option<(u16, u16)>, port: u16| {
        range.is_none_or(|(lo, hi)| (lo..=hi).contains(&port))
    };
    let hit = STATIC_RULES.iter().find(|r| {
        r.dir == w.dir
            && r.proto == w.proto
            && w.proto != Proto::Icmp
            && within(r.sport, w.sport)
            && within(r.dport, w.dport)
            && (!r.need_ack || w.ack)
    });
    match hit {
        Some(r) => (
            Verdict {
                accept: true,
                rule: r.id,
            },
            format!(
                "静的フィルタはパケット 1 つだけを見て {}（{}）に一致させ、通します。",
                r.id, r.text
            ),
        ),
        None => (
            Verdict {
                accept: false,
                rule: "policy",
            },
            "静的フィルタでは、どのルールにも一致しないので既定で破棄します。".to_owned(),
        ),
    }
}

// ---- connection tracking

/// conntrack's TCP state column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TcpState {
    SynSent,
    SynRecv,
    Established,
}

#[derive(Debug, Clone)]
struct Entry {
    proto: Proto,
    orig: Tuple,
    reply_seen: bool,
    tcp: Option<TcpState>,
    assured: bool,
    helper: bool,
    master: Option<Tuple>,
    /// Data sent in the original / reply direction that the other side has not acknowledged yet.
    unacked: [bool; 2],
}

#[derive(Debug, Clone)]
struct Expect {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    dport: u16,
    master: Tuple,
}

/// The conntrack table and the stateful ruleset in front of it.
#[derive(Debug, Clone)]
pub struct Tracker {
    /// `nf_conntrack_tcp_loose`.
    pub loose: bool,
    /// The ftp helper is attached to new flows to port 21.
    pub helper: bool,
    entries: Vec<Entry>,
    expects: Vec<Expect>,
}

/// What the tracker made of one packet.
pub struct Classified {
    pub state: CtState,
    pub verdict: Verdict,
    /// Why the state and the verdict, in words.
    pub why: String,
}

impl Tracker {
    /// An empty table.
    pub fn new(loose: bool, helper: bool) -> Tracker {
        Tracker {
            loose,
            helper,
            entries: Vec::new(),
            expects: Vec::new(),
        }
    }

    /// The stateful ruleset as nftables lists it (the one used in the namespace lab).
    pub fn rules(&self) -> Vec<Rule> {
        let mut rules = Vec::new();
        if self.helper {
            rules.push(Rule {
                id: "H",
                text: "prerouting: tcp dport 21 ct helper set \"ftp-standard\"".to_owned(),
            });
        }
        for (id, text) in [
            ("F1", "ct state established,related accept"),
            ("F2", "ct state invalid drop"),
            (
                "F3",
                "iifname \"lan\" tcp dport { 21, 443 } ct state new accept",
            ),
            ("F4", "iifname \"lan\" udp dport 53 ct state new accept"),
            ("policy", "policy drop（どれにも一致しなければ破棄）"),
        ] {
            rules.push(Rule {
                id,
                text: text.to_owned(),
            });
        }
        rules
    }

    /// Classifies `w`, updates the table as Linux would, and applies the ruleset. An entry created
    /// for a packet the ruleset drops is never confirmed, so it leaves no line in `conntrack -L`.
    pub fn packet(&mut self, w: &Wire) -> Classified {
        let before = self.entries.len();
        let (state, mut why) = self.classify(w);
        let verdict = match state {
            CtState::Established | CtState::Related => Verdict {
                accept: true,
                rule: "F1",
            },
            CtState::Invalid => Verdict {
                accept: false,
                rule: "F2",
            },
            CtState::New
                if w.dir == Dir::Out && w.proto == Proto::Tcp && matches!(w.dport, 21 | 443) =>
            {
                Verdict {
                    accept: true,
                    rule: "F3",
                }
            }
            CtState::New if w.dir == Dir::Out && w.proto == Proto::Udp && w.dport == 53 => {
                Verdict {
                    accept: true,
                    rule: "F4",
                }
            }
            CtState::New => Verdict {
                accept: false,
                rule: "policy",
            },
        };
        why.push_str(&match verdict.rule {
            "F1" => "ルール F1（ct state established,related accept）で通します。".to_owned(),
            "F2" => "ルール F2（ct state invalid drop）で破棄します。".to_owned(),
            "F3" | "F4" => format!(
                "内側から外への NEW を許すルール {} で通します。",
                verdict.rule
            ),
            _ => {
                "NEW のパケットを許すルールに一致しないので、policy drop で破棄します。".to_owned()
            }
        });
        if !verdict.accept && self.entries.len() > before {
            self.entries.truncate(before);
            why.push_str(
                "捨てられたパケットの項目は確定されないので、conntrack -L には残りません。",
            );
        }
        Classified {
            state,
            verdict,
            why,
        }
    }

    fn classify(&mut self, w: &Wire) -> (CtState, String) {
        if let Some(inner) = w.inner {
            let tracked = self
                .entries
                .iter()
                .any(|e| e.orig == inner || e.orig.reversed() == inner);
            return if tracked {
                (CtState::Related, "conntrack は ICMP エラーの中に引用された元のパケットを読み、追跡中の接続についてのエラーだと分かるので RELATED とします（新しい項目は作りません）。".to_owned())
            } else {
                (
                    CtState::Invalid,
                    "引用された元のパケットがどの接続にも当たらないので INVALID です。".to_owned(),
                )
            };
        }
        let t = Tuple {
            src: w.src,
            dst: w.dst,
            sport: w.sport,
            dport: w.dport,
        };
        if let Some(i) = self
            .entries
            .iter()
            .position(|e| e.orig == t || e.orig.reversed() == t)
        {
            let reply = self.entries[i].orig.reversed() == t;
            let helper = self.entries[i].helper;
            let master = self.entries[i].orig;
            let e = &mut self.entries[i];
            let mut why = String::new();
            // The model's segments acknowledge everything the other side sent (their ACK), and may
            // carry data of their own.
            let (own, other) = if reply { (1, 0) } else { (0, 1) };
            if w.ack {
                e.unacked[other] = false;
            }
            if w.data {
                e.unacked[own] = true;
            }
            let state = if reply {
                e.reply_seen = true;
                if e.tcp == Some(TcpState::SynSent) && w.syn && w.ack {
                    e.tcp = Some(TcpState::SynRecv);
                }
                why.push_str("表にある接続の逆向き（応答）なので ESTABLISHED です。");
                CtState::Established
            } else if e.reply_seen {
                if e.tcp == Some(TcpState::SynRecv) && w.ack && !w.syn {
                    e.tcp = Some(TcpState::Established);
                    e.assured = true;
                    why.push_str("両方向のパケットを見た接続の続きなので ESTABLISHED です。ハンドシェイクを終える ACK で、conntrack -L の TCP の状態も ESTABLISHED になり [ASSURED] が付きます。");
                    if w.data {
                        why.push_str(&format!("ただしこの ACK はデータを載せているので、相手がそれを確認応答するまでのタイムアウトは 5 日（nf_conntrack_tcp_timeout_established = {TIMEOUT_ESTABLISHED}）ではなく nf_conntrack_tcp_timeout_unacknowledged の {TIMEOUT_UNACKNOWLEDGED} 秒です（Linux の実機でも 299 と表示されました）。"));
                    }
                } else {
                    why.push_str("両方向のパケットを見た接続の続きなので ESTABLISHED です。");
                }
                CtState::Established
            } else {
                why.push_str(
                    "まだ応答の無い接続の同じ向きのパケット（再送など）なので NEW のままです。",
                );
                CtState::New
            };
            if let (true, true, Some((addr, port))) = (reply, helper, w.pasv) {
                self.expects.push(Expect {
                    src: master.src,
                    dst: addr,
                    dport: port,
                    master,
                });
                why.push_str(&format!(
                    "FTP ヘルパーが 227 応答を読み、{} から {addr}:{port} への接続を一度だけ待ち受ける期待（expectation）を登録します（conntrack -L expect）。",
                    master.src
                ));
            }
            return (state, why);
        }
        if let Some(i) = self
            .expects
            .iter()
            .position(|x| x.src == t.src && x.dst == t.dst && x.dport == t.dport)
        {
            let x = self.expects.remove(i);
            self.insert(w, t, Some(x.master));
            return (
                CtState::Related,
                format!(
                    "表に項目はありませんが、FTP ヘルパーが 227 応答から予期していた接続（{}:{} 宛て）なので RELATED です。期待は使われて消えます。",
                    x.dst, x.dport
                ),
            );
        }
        match w.proto {
            Proto::Tcp if w.syn && !w.ack => {
                self.insert(w, t, None);
                (CtState::New, "表に無い接続の最初の SYN なので NEW です。conntrack は項目を作ります（SYN_SENT、[UNREPLIED]）。".to_owned())
            }
            Proto::Tcp if self.loose => {
                self.insert(w, t, None);
                (CtState::New, "表に無い接続の途中のパケットです。nf_conntrack_tcp_loose = 1（既定）なので、conntrack は途中から拾った接続として NEW にします。".to_owned())
            }
            Proto::Tcp => (CtState::Invalid, "表に無い接続の途中のパケットで、nf_conntrack_tcp_loose = 0 なので途中からは拾わず INVALID です。".to_owned()),
            _ => {
                self.insert(w, t, None);
                (CtState::New, "UDP には接続の手順がないので、表に無い流れの最初のパケットが NEW になり、項目が作られます（[UNREPLIED]）。".to_owned())
            }
        }
    }

    fn insert(&mut self, w: &Wire, t: Tuple, master: Option<Tuple>) {
        let tcp = (w.proto == Proto::Tcp).then_some(if w.syn {
            TcpState::SynSent
        } else {
            TcpState::Established
        });
        self.entries.push(Entry {
            proto: w.proto,
            orig: t,
            reply_seen: false,
            tcp,
            assured: false,
            helper: self.helper && w.proto == Proto::Tcp && t.dport == 21,
            master,
            unacked: [w.data, false],
        });
    }

    /// `conntrack -L`, newest entry first.
    pub fn lines(&self) -> Vec<String> {
        self.entries
            .iter()
            .rev()
            .map(|e| {
                // An expectation does not count in use= (the lab saw use=1 beside it); a related
                // connection does.
                let uses = 1 + self
                    .entries
                    .iter()
                    .filter(|c| c.master == Some(e.orig))
                    .count();
                let (name, number, timeout, state) = match (e.proto, e.tcp) {
                    (Proto::Tcp, Some(TcpState::SynSent)) => {
                        ("tcp", 6, TIMEOUT_SYN_SENT, "SYN_SENT ")
                    }
                    (Proto::Tcp, Some(TcpState::SynRecv)) => {
                        ("tcp", 6, TIMEOUT_SYN_RECV, "SYN_RECV ")
                    }
                    (Proto::Tcp, _) if e.unacked.contains(&true) => {
                        ("tcp", 6, TIMEOUT_UNACKNOWLEDGED, "ESTABLISHED ")
                    }
                    (Proto::Tcp, _) => ("tcp", 6, TIMEOUT_ESTABLISHED, "ESTABLISHED "),
                    _ => ("udp", 17, TIMEOUT_UDP, ""),
                };
                format!(
                    "{name:<8} {number} {timeout} {state}{} {}{} {}mark=0 {}use={uses}",
                    e.orig.show(),
                    if e.reply_seen { "" } else { "[UNREPLIED] " },
                    e.orig.reversed().show(),
                    if e.assured { "[ASSURED] " } else { "" },
                    if e.helper { "helper=ftp " } else { "" },
                )
            })
            .collect()
    }

    /// `conntrack -L expect`.
    pub fn expect_lines(&self) -> Vec<String> {
        self.expects
            .iter()
            .map(|x| {
                format!(
                    "{TIMEOUT_EXPECT} proto=6 src={} dst={} sport=0 dport={} mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src={} master-dst={} sport={} dport={} class=0 helper=ftp",
                    x.src, x.dst, x.dport, x.master.src, x.master.dst, x.master.sport, x.master.dport
                )
            })
            .collect()
    }
}
