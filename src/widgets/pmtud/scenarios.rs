//! Writing a run step by step (facts.md §5 and W4): the handshake and a small request, which pass;
//! the first full-sized segment, which the tunnel cannot carry; then what the settings make of it —
//! ICMP delivered (PMTUD works), ICMP filtered (the black hole, or PLPMTUD's search), MSS clamping,
//! fragmentation with DF clear — and finally B's ping to A, which only the Echo filters stop.

use super::model::*;
use super::{Params, scenario_label, scenario_name};

/// Collects the steps while tracking what A knows.
struct Writer {
    p: Params,
    /// IP + TCP header bytes.
    oh: u16,
    /// A's path MTU to B as its IP layer records it.
    pmtu: u16,
    /// The MSS A sends with.
    mss: u16,
    steps: Vec<Step>,
}

/// A step before the writer stamps A's PMTU and MSS on it.
struct Draft {
    kind: Kind,
    from: Node,
    to: Node,
    size: u16,
    fate: Fate,
    stops_at: Node,
    label: String,
    note: String,
    explain: String,
    source: String,
}

impl Draft {
    /// A packet (or event) of `kind` from `from` to `to`, of `size` bytes, whose `fate` stops it at
    /// `stops_at`; the caller fills in the words (`Draft { label, note, …, ..Draft::packet(…) }`).
    fn packet(kind: Kind, from: Node, to: Node, size: u16, fate: Fate, stops_at: Node) -> Draft {
        Draft {
            kind,
            from,
            to,
            size,
            fate,
            stops_at,
            label: String::new(),
            note: String::new(),
            explain: String::new(),
            source: String::new(),
        }
    }

    /// A packet that reaches `to`.
    fn arrives(kind: Kind, from: Node, to: Node, size: u16) -> Draft {
        Draft::packet(kind, from, to, size, Fate::Delivered, to)
    }

    /// B's `oh`-byte ACK to A, labelled as every run labels it.
    fn ack(oh: u16) -> Draft {
        Draft {
            label: format!("ACK {oh} B"),
            ..Draft::arrives(Kind::Ack, Node::B, Node::A, oh)
        }
    }

    /// A's retransmission of the `size`-byte segment after a timeout, dropped at R1 again.
    fn resend(size: u16) -> Draft {
        Draft {
            label: format!("再送 {size} B"),
            ..Draft::packet(
                Kind::Timeout,
                Node::A,
                Node::B,
                size,
                Fate::TooBig,
                Node::R1,
            )
        }
    }
}

impl Writer {
    fn v(&self) -> &'static str {
        if self.p.ipv6 { "IPv6" } else { "IPv4" }
    }

    /// The "too big" error's name in this IP version.
    fn too_big_name(&self) -> &'static str {
        if self.p.ipv6 {
            "ICMPv6 Packet Too Big（type 2）"
        } else {
            "ICMP type 3 code 4（fragmentation needed and DF set）"
        }
    }

    /// Records a step with A's PMTU and MSS as they are now; a packet's DF bit is set in IPv4
    /// when A sets it, absent in IPv6 and for events.
    fn push(&mut self, d: Draft) -> &mut Step {
        let df = (!self.p.ipv6 && d.size > 0 && d.from == Node::A).then_some(self.p.df);
        self.steps.push(Step {
            kind: d.kind,
            from: d.from,
            to: d.to,
            size: d.size,
            df,
            fate: d.fate,
            stops_at: d.stops_at,
            fragments: Vec::new(),
            mss_option: None,
            label: d.label,
            note: d.note,
            explain: d.explain,
            source: d.source,
            pmtu: self.pmtu,
            mss: self.mss,
        });
        let last = self.steps.len() - 1;
        &mut self.steps[last]
    }
}

/// The IPv4 fragments R1 makes of a `total`-byte packet for a link of `mtu`: each but the last
/// carries the most data that fits in a multiple of 8 bytes (RFC 791 §2.3, §3.2); the sizes are
/// total lengths, 20-byte header included.
pub fn fragments(total: u16, mtu: u16) -> Vec<u16> {
    const HEADER: u16 = 20;
    let per = (mtu.saturating_sub(HEADER) / 8) * 8;
    let mut data = total.saturating_sub(HEADER);
    let mut out = Vec::new();
    while data > 0 && per > 0 {
        let take = data.min(per);
        out.push(take + HEADER);
        data -= take;
    }
    out
}

/// The packet sizes Linux's PLPMTUD probes for a path of `mtu`, starting from `low` (the
/// fallback) and `high` (the link MTU): the midpoint each time, raising `low` when a probe
/// arrives and lowering `high` below it when it is lost, until the range is narrower than
/// [`LINUX_PROBE_THRESHOLD`]. Returns each probe with whether it arrived, and the final `low`.
pub fn plpmtud_search(mut low: u16, mut high: u16, mtu: u16) -> (Vec<(u16, bool)>, u16) {
    let mut probes = Vec::new();
    while high.saturating_sub(low) >= LINUX_PROBE_THRESHOLD {
        let probe = (low + high) / 2;
        let ok = probe <= mtu;
        probes.push((probe, ok));
        if ok {
            low = probe;
        } else {
            high = probe - 1;
        }
    }
    (probes, low)
}

/// Runs the setup in `p`.
pub fn simulate(p: &Params) -> Pmtud {
    let oh = if p.ipv6 { V6_OVERHEAD } else { V4_OVERHEAD };
    let mut w = Writer {
        p: *p,
        oh,
        pmtu: LINK_MTU,
        mss: LINK_MTU - oh,
        steps: Vec::new(),
    };
    handshake(&mut w);
    let first = first_segment(&mut w);
    let completes = match first {
        Fate::TooBig => after_drop(&mut w),
        _ => {
            after_arrival(&mut w, first);
            true
        }
    };
    let ping = ping(&mut w);
    let outcome = Outcome {
        completes,
        pmtu: w.pmtu,
        mss: w.mss,
        ping,
        summary: summary(&w, completes, ping),
    };
    Pmtud {
        scenario: scenario_name(p),
        label: scenario_label(p),
        filter: p.filter,
        ipv6: p.ipv6,
        clamp: p.clamp,
        plpmtud: p.plpmtud,
        df: p.df,
        mtu: p.mtu,
        link_mtu: LINK_MTU,
        overhead: oh,
        ask_step: ASK_STEP,
        steps: w.steps,
        outcome,
    }
}

/// Steps 1–3: SYN, SYN,ACK (MSS options, clamped by R1 if asked), the ACK with a small request.
fn handshake(w: &mut Writer) {
    let (oh, mtu) = (w.oh, w.p.mtu);
    let own = LINK_MTU - oh;
    let clamped = mtu - oh;
    let arriving = if w.p.clamp { own.min(clamped) } else { own };
    let syn = oh + SYN_OPTIONS;
    let clamp_source = if w.p.clamp {
        ", iptables-extensions(8) TCPMSS, nft(8)"
    } else {
        ""
    };
    let mut explain = format!(
        "SYN は {syn} バイトほどの小さなパケットなので、MTU {mtu} のトンネルをそのまま通ります。MSS オプションは「受け取れるセグメントのデータの最大長」で、A のリンクの MTU {LINK_MTU} から {} と TCP のヘッダ {oh} バイトを引いた {own} です。",
        w.v()
    );
    if w.p.clamp {
        explain.push_str(&format!(
            "R1 は転送する SYN の MSS オプションをトンネルに合わせて {mtu} − {oh} = {clamped} に書き換えます（MSS クランプ。Linux では iptables の TCPMSS --clamp-mss-to-pmtu や nft の tcp option maxseg size set rt mtu）。"
        ));
    }
    let note = if w.p.clamp {
        format!(
            "A が SYN を送る（{syn} バイト、MSS {own}）。R1 が MSS を {clamped} に書き換えて届く"
        )
    } else {
        format!("A が SYN を送る（{syn} バイト、MSS {own}）— 届く")
    };
    w.push(Draft {
        label: format!("SYN {syn} B"),
        note,
        explain,
        source: format!("RFC 9293 §3.7.1{clamp_source}"),
        ..Draft::arrives(Kind::Syn, Node::A, Node::B, syn)
    })
    .mss_option = Some(arriving);

    w.mss = own.min(arriving);
    let explain = if w.p.clamp {
        format!(
            "B も自分の MSS {own} を知らせますが、R1 はこちら向きの SYN,ACK の MSS も {clamped} に書き換えます。A は相手の MSS を超えるデータを載せないので、A のセグメントは最大 {clamped} + {oh} = {mtu} バイトのパケットになり、トンネルに収まります。"
        )
    } else {
        format!(
            "B も自分のリンクから決めた MSS {own} を知らせます。A が送るセグメントのデータは相手の MSS を超えないので、A は最大 {own} + {oh} = {LINK_MTU} バイトのパケットを送ることになります。MSS は両端のリンクから決まる値で、途中のトンネルの MTU は誰も知りません。"
        )
    };
    w.push(Draft {
        label: format!("SYN,ACK {syn} B"),
        note: format!("B が SYN,ACK を返す（MSS {arriving}）— 届く"),
        explain,
        source: format!("RFC 9293 §3.7.1{clamp_source}"),
        ..Draft::arrives(Kind::SynAck, Node::B, Node::A, syn)
    })
    .mss_option = Some(arriving);

    let small = oh + SMALL_REQUEST;
    w.push(Draft {
        label: format!("ACK + 要求 {small} B"),
        note: format!("A が ACK と小さな要求（{small} バイト）を送る — 届く"),
        explain: format!(
            "ハンドシェイクを終える ACK に {SMALL_REQUEST} バイトの要求を載せて送ります。{small} バイトはトンネルの MTU {mtu} に収まるので届きます。ここまでは接続も要求も正常に見えます。"
        ),
        source: "RFC 9293 §3.5, RFC 2923 §2.1".to_owned(),
        ..Draft::arrives(Kind::Small, Node::A, Node::B, small)
    });
}

/// Step 4 (the one 予想モード asks about): the first full-sized segment. Returns its fate.
fn first_segment(w: &mut Writer) -> Fate {
    let (oh, mtu, mss) = (w.oh, w.p.mtu, w.mss);
    let size = mss + oh;
    if size <= mtu {
        w.push(Draft {
            label: format!("データ {size} B"),
            note: format!("A が {size} バイトのセグメントを送る — トンネルに収まり届く"),
            explain: format!(
                "MSS クランプのおかげで A のセグメントは {mss} + {oh} = {size} バイトで、トンネルの MTU {mtu} に収まります。R1 は捨てる必要がなく、ICMP も出番がありません。"
            ),
            source: "RFC 9293 §3.7.1, iptables-extensions(8) TCPMSS".to_owned(),
            ..Draft::arrives(Kind::Data, Node::A, Node::B, size)
        });
        return Fate::Delivered;
    }
    if !w.p.ipv6 && !w.p.df {
        let frags = fragments(size, mtu);
        let shown: Vec<String> = frags.iter().map(u16::to_string).collect();
        let first = frags.first().copied().unwrap_or_default();
        w.push(Draft {
            label: format!("データ {size} B（DF なし）"),
            note: format!(
                "A が DF なしで {size} バイトを送る — R1 が {} バイトに分割して届く",
                shown.join(" + ")
            ),
            explain: format!(
                "DF が立っていないので、R1 はパケットを捨てずにトンネルの MTU {mtu} に収まるよう分割します。フラグメントのデータ部は 8 バイト単位なので、最初のフラグメントは 20 + ⌊({mtu} − 20) ÷ 8⌋ × 8 = {first} バイトで、残りが後に続きます。B が組み立て直します。なお Linux は ip_no_pmtu_disc = 0（既定）なら TCP に DF を立てるので、DF なしはそれを変えたときの動きです（ip(7)）。"
            ),
            source: "RFC 791 §2.3, §3.2, ip(7)".to_owned(),
            ..Draft::packet(Kind::Data, Node::A, Node::B, size, Fate::Fragmented, Node::B)
        })
        .fragments = frags;
        return Fate::Fragmented;
    }
    let (note, explain, source) = if w.p.ipv6 {
        (
            format!("A が {size} バイトを送る — IPv6 のルータは分割しないので R1 で捨てられる"),
            format!(
                "IPv6 に DF ビットはありません。分割できるのは送信元だけで、ルータは決して分割しません（RFC 8200 §4.5, §5）。{size} バイトはトンネルの MTU {mtu} を超えるので、R1 は捨てて送信元へ Packet Too Big を返します。"
            ),
            "RFC 8200 §4.5, §5, RFC 8201 §4",
        )
    } else {
        (
            format!("A が DF 付きで {size} バイトを送る — R1 で捨てられる"),
            format!(
                "PMTUD では送信元の A が DF を立てて送ります（Linux は既定で TCP に DF を立てます: ip(7)）。{size} バイトはトンネルの MTU {mtu} を超え、DF 付きなので分割もできません。R1 はパケットを捨てて、送信元へ ICMP type 3 code 4 を返します。"
            ),
            "RFC 1191 §3, §4, ip(7)",
        )
    };
    w.push(Draft {
        label: format!("データ {size} B"),
        note,
        explain,
        source: source.to_owned(),
        ..Draft::packet(Kind::Data, Node::A, Node::B, size, Fate::TooBig, Node::R1)
    });
    Fate::TooBig
}

/// After a first segment that arrived (clamped, or fragmented): B acknowledges, and the transfer
/// goes on without A ever learning the path MTU.
fn after_arrival(w: &mut Writer, first: Fate) {
    let (oh, mtu) = (w.oh, w.p.mtu);
    let explain = if first == Fate::Fragmented {
        format!(
            "B がフラグメントを組み立て直して ACK を返すので、転送は完了します。ただし A は経路 MTU を学ばず（{LINK_MTU} のまま）、大きなパケットは毎回 R1 で分割されます。フラグメントが 1 つでも失われればパケット全体が失われ、ルータの負担も増えます。"
        )
    } else {
        format!(
            "転送は {mtu} バイトのパケットで続き、完了します。A の経路 MTU は {LINK_MTU} のままです（ICMP は一度も来ていません）。MSS クランプは TCP の SYN にしか効かないので、UDP（DNS や QUIC など）の大きなパケットは同じ穴に落ちます。ICMP を通すのが本来の直し方です。"
        )
    };
    w.push(Draft {
        note: "B が ACK を返す — 転送は完了する".to_owned(),
        explain,
        source: if first == Fate::Fragmented {
            "RFC 791 §3.2, RFC 8900 §3"
        } else {
            "RFC 9293 §3.7.1, RFC 4890 §4.3.1"
        }
        .to_owned(),
        ..Draft::ack(oh)
    });
}

/// After R1 dropped the first segment: its ICMP, then PMTUD, PLPMTUD or the black hole. Returns
/// whether the transfer completes.
fn after_drop(w: &mut Writer) -> bool {
    let (oh, mtu) = (w.oh, w.p.mtu);
    let size = w.mss + oh;
    let name = w.too_big_name();
    let icmp_size = if w.p.ipv6 {
        1280
    } else {
        // IP header + ICMP header + the dropped packet's IP header and first 8 bytes (RFC 792).
        20 + 8 + 20 + 8
    };
    let icmp_source = if w.p.ipv6 {
        "RFC 8201 §4, RFC 4443 §3.2"
    } else {
        "RFC 1191 §4, §6.3, RFC 792"
    };
    if !w.p.filter.drops_too_big() {
        w.pmtu = mtu;
        w.mss = mtu - oh;
        let mss = w.mss;
        let linux = if w.p.ipv6 {
            "RFC では、経路 MTU が大きくなったかを試すのは Packet Too Big から最短 5 分後、推奨 10 分後です（RFC 8201 §4）。Linux では、学んだ値を経路の例外として覚え、route/mtu_expires（既定 600 秒）で忘れます。"
        } else {
            "RFC では、学んだ値を 10 分ほどで見直すよう勧めています（RFC 1191 §6.3）。Linux では、経路の例外として覚え、route/mtu_expires（既定 600 秒）で忘れます。"
        };
        w.push(Draft {
            label: format!("ICMP MTU {mtu}"),
            note: format!("R1 が {name} を返す — A に届き、A は経路 MTU を {mtu} にする"),
            explain: format!(
                "ICMP には次のリンクの MTU {mtu} が入っています。A は B への経路 MTU を {mtu}、MSS を {mtu} − {oh} = {mss} にします。ルータ同士が MTU を交渉するのではなく、送信元の A が自分で小さくするのが PMTUD です。{linux}"
            ),
            source: format!("{icmp_source}, ip-sysctl (route/mtu_expires)"),
            ..Draft::arrives(Kind::TooBig, Node::R1, Node::A, icmp_size)
        });
        w.push(Draft {
            label: format!("データ {mtu} B"),
            note: format!("A が {mtu} バイトで送り直す — 届く"),
            explain: format!(
                "A は捨てられたデータを新しい MSS {mss} で送り直します。{mtu} バイトはトンネルにちょうど収まります。TCP は経路 MTU の変化をすぐに使い、RTO を待たずに送り直せます。"
            ),
            source: "RFC 9293 §3.7.2, RFC 1191 §6.4".to_owned(),
            ..Draft::arrives(Kind::Data, Node::A, Node::B, mtu)
        });
        w.push(Draft {

            note: "B が ACK を返す — 転送は完了する".to_owned(),
            explain: format!(
                "以後 A は {mtu} バイトのパケットで送り、転送は完了します。ICMP type 3（少なくとも code 4）や IPv6 の Packet Too Big を通していれば、PMTUD はこのとおり自動で働きます。"
            ),
            source: "RFC 1191 §4, RFC 4890 §4.3.1".to_owned(),
            ..Draft::ack(oh)
        });
        return true;
    }

    let filtered = match w.p.filter {
        crate::widgets::pmtud::Filter::All => "ICMP をすべて",
        _ if w.p.ipv6 => "Packet Too Big を",
        _ => "ICMP type 3 を",
    };
    let v6_rule = if w.p.ipv6 {
        "IPv6 では Packet Too Big を決して落としてはいけません（RFC 4890 §4.3.1）。"
    } else {
        ""
    };
    w.push(Draft {
        label: format!("ICMP MTU {mtu}"),
        note: format!("R1 が {name} を返す — A の前のファイアウォールで捨てられる"),
        explain: format!(
            "R1 は正しく ICMP を返しますが、A の前のファイアウォールが{filtered}落とすので、A には何も届きません。A は自分のパケットが大きすぎると知る手段がなく、経路 MTU は {LINK_MTU} のままです。これが PMTUD のブラックホールです。{v6_rule}"
        ),
        source: format!(
            "RFC 2923 §2.1, {icmp_source}{}",
            if w.p.ipv6 { ", RFC 4890 §4.3.1" } else { "" }
        ),
        ..Draft::packet(Kind::TooBig, Node::R1, Node::A, icmp_size, Fate::Filtered, Node::Fw)
    });

    if w.p.plpmtud {
        plpmtud(w, size);
        return true;
    }
    w.push(Draft {

        note: format!("RTO が切れ、A は同じ {size} バイトを再送する — また R1 で捨てられ、ICMP も届かない"),
        explain: "A は ICMP を受け取っていないので、ただの損失だと思って同じ大きさで送り直します。RTO は再送のたびに倍になります（RFC 6298 §5.5）。何度送っても R1 で捨てられ、ICMP もファイアウォールで消えます。".to_owned(),
        source: "RFC 6298 §5.5, RFC 2923 §2.1".to_owned(),
        ..Draft::resend(size)
    });
    w.push(Draft {

        note: format!("その間も B の小さなパケット（{oh} バイトの ACK など）は届く — 接続は生きて見える"),
        explain: "小さなパケットは通るので、接続は切れていないように見えます。ハンドシェイクも小さな要求も成功し、大きな転送だけが止まる — これがブラックホールの症状です。".to_owned(),
        source: "RFC 2923 §2.1".to_owned(),
        ..Draft::ack(oh)
    });
    w.push(Draft {
        label: "ETIMEDOUT".to_owned(),
        note: format!("再送が tcp_retries2 = {LINUX_TCP_RETRIES2} 回に達し、A は接続を諦める（転送は完了しない）"),
        explain: format!(
            "RFC では、再送を諦めるまでの上限 R2 を少なくとも 100 秒とします（RFC 9293 §3.8.3）。Linux では、既定の tcp_retries2 = {LINUX_TCP_RETRIES2} 回が RTO しだいで 13〜30 分ほどにあたります（tcp(7)）。そのあいだ転送は止まったままで、最後は ETIMEDOUT で終わります。直すには ICMP type 3 code 4 を通すか、MSS クランプや PLPMTUD を使います。"
        ),
        source: "RFC 9293 §3.8.3, tcp(7)".to_owned(),
        ..Draft::packet(Kind::GiveUp, Node::A, Node::A, 0, Fate::Event, Node::A)
    });
    false
}

/// PLPMTUD (Linux `tcp_mtu_probing = 1`): black-hole detection after repeated timeouts, the
/// fallback MSS, then probes until the search range is narrower than the threshold.
fn plpmtud(w: &mut Writer, size: u16) {
    let oh = w.oh;
    w.push(Draft {

        note: format!("RTO が切れて同じ {size} バイトを再送する — また捨てられる（これを数回繰り返す）"),
        explain: format!(
            "ICMP が届かないので、A は同じ大きさで再送し、RTO は再送のたびに倍になります（RFC 6298 §5.5）。Linux は tcp_mtu_probing = 1 のとき、再送が tcp_retries1 = {LINUX_TCP_RETRIES1} 回分の時間を超えると経路にブラックホールがあると疑います（tcp(7)）。"
        ),
        source: "RFC 6298 §5.5, tcp(7)".to_owned(),
        ..Draft::resend(size)
    });
    w.mss = LINUX_BASE_MSS;
    // Linux counts tcp_base_mss as data bytes and adds the headers it actually sends, its
    // timestamp option included (measured in the lab: 1076-byte packets in IPv4).
    let fallback = LINUX_BASE_MSS + oh + LINUX_TIMESTAMP_OPTION;
    w.push(Draft {
        label: format!("データ {fallback} B"),
        note: format!("A が MSS を {LINUX_BASE_MSS} に下げて送り直す（{fallback} バイト）— 届く"),
        explain: format!(
            "PLPMTUD（RFC 4821）は ICMP に頼らず、パケットが届いたかどうかで大きさを探ります。Linux はブラックホールを疑うと MSS を tcp_base_mss（このカーネルでは {LINUX_BASE_MSS}）まで下げます。この {LINUX_BASE_MSS} はデータの大きさで、Linux は既定で付けるタイムスタンプオプション（{LINUX_TIMESTAMP_OPTION} バイト）とヘッダーを足すので、パケットは {fallback} バイトです。これは届くので転送が再開しますが、まだ必要以上に小さいサイズです。Linux は大きさを探るプローブを、輻輳ウィンドウが十分に開き送るデータも十分に残っているときにだけ送ります（tcp_output.c の tcp_mtu_probe）。短い転送は、プローブを送らないままこの大きさで終わります。"
        ),
        source: "RFC 4821, tcp(7)".to_owned(),
        ..Draft::arrives(Kind::Data, Node::A, Node::B, fallback)
    });
    let (probes, found) = plpmtud_search(fallback, LINK_MTU, w.p.mtu);
    let mut low = fallback;
    let mut high = LINK_MTU;
    for (probe, ok) in probes {
        if ok {
            low = probe;
            w.mss = probe - oh;
        } else {
            high = probe - 1;
        }
        let (fate, stops_at, note, explain) = if ok {
            (
                Fate::Delivered,
                Node::B,
                format!("{probe} バイトのプローブを送る — 届く"),
                format!(
                    "{probe} バイトのプローブに ACK が返ったので、探索の下限を {probe} に上げ、以後はこの大きさで送ります（探索範囲 {low}〜{high}）。"
                ),
            )
        } else {
            (
                Fate::TooBig,
                Node::R1,
                format!("{probe} バイトのプローブを送る — R1 で捨てられる"),
                format!(
                    "{probe} バイトはトンネルに収まらず捨てられ、ICMP も届きません。プローブに ACK が返らないことから、上限を {} に下げます（探索範囲 {low}〜{high}）。プローブの損失は輻輳とはみなしません。",
                    probe - 1
                ),
            )
        };
        w.push(Draft {
            label: format!("プローブ {probe} B"),
            note,
            explain,
            source: "RFC 4821, tcp(7)".to_owned(),
            ..Draft::packet(Kind::Probe, Node::A, Node::B, probe, fate, stops_at)
        });
    }
    let mss = found - oh;
    let mtu = w.p.mtu;
    w.push(Draft {

        note: format!("探索を終え、A は {found} バイト（MSS {mss}）で送り続ける — 転送は完了する"),
        explain: format!(
            "探索範囲が tcp_probe_threshold = {LINUX_PROBE_THRESHOLD} バイトより狭くなったので探索を終えます。トンネルの MTU {mtu} との差は {} バイトです。RFC では、見つけた値を IP 層で他の接続と共有してもよいとしています（RFC 4821）。Linux では、この値を接続の MSS として持つだけで、経路 MTU（ip route get の mtu）は {LINK_MTU} のままです。",
            mtu - found
        ),
        source: "RFC 4821, tcp(7)".to_owned(),
        ..Draft::ack(oh)
    });
}

/// The last step: B pings A. Returns whether the ping is answered.
fn ping(w: &mut Writer) -> bool {
    let size = if w.p.ipv6 { 40 + 8 + 56 } else { 20 + 8 + 56 };
    let (request, reply) = if w.p.ipv6 {
        ("Echo Request（ICMPv6 type 128）", "Echo Reply（type 129）")
    } else {
        ("Echo Request（type 8）", "Echo Reply（type 0）")
    };
    let dropped = w.p.filter.drops_echo();
    let explain = match w.p.filter {
        crate::widgets::pmtud::Filter::Echo => format!(
            "受信する {request} だけを落としたので ping は失敗しますが、PMTUD のエラーは通るので転送には影響しません。ping を断るなら受信する Echo Request を落とすのが正しいやり方です。Unix の traceroute は UDP のプローブと Time Exceeded・Port Unreachable を使うので、これでは止まりません（traceroute(8)）。なお RFC 1122 はホストに Echo への応答を求めています（§3.2.2.6）。"
        ),
        crate::widgets::pmtud::Filter::All => format!(
            "ICMP をすべて落としたので {request} も届かず、ping は失敗します。PMTUD のエラーまで消えるので、ping を止めるためだけに ICMP を全部落とすのは危険です。"
        ),
        crate::widgets::pmtud::Filter::Type3 => format!(
            "{request} は type 3 ではないので通り、A は {reply} を返します。ping で確かめても「つながっている」としか分からない — ブラックホールが見つけにくい理由です。"
        ),
        crate::widgets::pmtud::Filter::None => {
            format!("{request} は通り、A は {reply} を返します。")
        }
    };
    w.push(Draft {
        kind: Kind::Ping,
        from: Node::B,
        to: Node::A,
        size,
        fate: if dropped {
            Fate::Filtered
        } else {
            Fate::Delivered
        },
        stops_at: if dropped { Node::Fw } else { Node::A },
        label: format!("ping {size} B"),
        note: if dropped {
            format!("B が A に ping（{request}）— ファイアウォールで捨てられ、ping は失敗する")
        } else {
            format!("B が A に ping（{request}）— 届き、A が {reply} を返す")
        },
        explain,
        source: if w.p.ipv6 {
            "RFC 4443 §4.1, RFC 4890 §4.3.1"
        } else {
            "RFC 792, RFC 1122 §3.2.2.6, traceroute(8)"
        }
        .to_owned(),
    });
    !dropped
}

/// One paragraph on how the run ends.
fn summary(w: &Writer, completes: bool, ping: bool) -> String {
    let mut s = if completes {
        format!(
            "転送は完了します。A の経路 MTU は {}、最後の MSS は {} です。",
            w.pmtu, w.mss
        )
    } else {
        format!(
            "転送は完了しません（PMTUD ブラックホール）。A の経路 MTU は {} のままで、大きなパケットは R1 で捨てられ続けます。",
            w.pmtu
        )
    };
    s.push_str(if ping {
        "ping は通ります。"
    } else {
        "ping は通りません。"
    });
    s
}
