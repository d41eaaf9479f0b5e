//! The stories the stepper tells, segment by segment: each scenario writes its steps through a
//! `Writer` that tracks both ends' states and displays the numbers (absolute or relative).

use super::model::*;
use super::{Params, Scenario};
use crate::widgets::rng::Rng;

/// Bytes of application data the client sends after the handshake.
const DATA_LEN: u32 = 100;

/// Runs the scenario in `p`. Seed 0 uses the fact sheet's ISNs; any other seed draws both ISNs
/// from [`Rng`] (client first).
pub fn simulate(p: &Params) -> Handshake {
    let (a, b) = if p.seed == 0 {
        (DEFAULT_CLIENT_ISN, DEFAULT_SERVER_ISN)
    } else {
        let mut rng = Rng::new(p.seed);
        let a = rng.next_u32();
        (a, rng.next_u32())
    };
    let mut h = simulate_with_isns(p.scenario, a, b, p.relative);
    h.seed = p.seed;
    h
}

/// Runs `scenario` with given ISNs `a` (client) and `b` (server), e.g. to show wrap-around.
pub fn simulate_with_isns(scenario: Scenario, a: u32, b: u32, relative: bool) -> Handshake {
    let (client, server) = match scenario {
        Scenario::ClosedPort | Scenario::SimultaneousOpen => (TcpState::Closed, TcpState::Closed),
        Scenario::Close => (TcpState::Established, TcpState::Established),
        _ => (TcpState::Closed, TcpState::Listen),
    };
    let mut w = Writer {
        a,
        b,
        relative,
        client,
        server,
        steps: Vec::new(),
    };
    match scenario {
        Scenario::Normal => normal(&mut w),
        Scenario::LostSyn => lost_syn(&mut w),
        Scenario::LostAck => lost_ack(&mut w),
        Scenario::ClosedPort => closed_port(&mut w),
        Scenario::SimultaneousOpen => simultaneous_open(&mut w),
        Scenario::Close => close(&mut w),
    }
    Handshake {
        scenario,
        seed: 0,
        relative,
        client_isn: a,
        server_isn: b,
        initial: States {
            client_state: client,
            server_state: server,
        },
        steps: w.steps,
    }
}

/// A segment about to be written: what the scenario functions fill in.
struct Seg {
    from: Side,
    flags: Vec<Flag>,
    seq: Option<u32>,
    ack: Option<u32>,
    len: u32,
    lost: bool,
    time_ms: u64,
    note: String,
    explain: String,
}

impl Seg {
    fn new(from: Side, flags: &[Flag], time_ms: u64) -> Seg {
        Seg {
            from,
            flags: flags.to_vec(),
            seq: None,
            ack: None,
            len: 0,
            lost: false,
            time_ms,
            note: String::new(),
            explain: String::new(),
        }
    }
}

/// Collects steps while tracking both states; knows how to display numbers.
struct Writer {
    a: u32,
    b: u32,
    relative: bool,
    client: TcpState,
    server: TcpState,
    steps: Vec<Step>,
}

impl Writer {
    /// A number in the client's sequence space (a, a+1, …) as displayed.
    fn c(&self, offset: u32) -> u32 {
        if self.relative {
            offset
        } else {
            self.a.wrapping_add(offset)
        }
    }

    /// A number in the server's sequence space (b, b+1, …) as displayed.
    fn s(&self, offset: u32) -> u32 {
        if self.relative {
            offset
        } else {
            self.b.wrapping_add(offset)
        }
    }

    /// "a+1 = 3141592654" (or "= 1" in relative mode): the symbol and the number together, so
    /// the explanation shows where the +1 comes from.
    fn cs(&self, offset: u32) -> String {
        sym("a", offset, self.c(offset))
    }

    fn ss(&self, offset: u32) -> String {
        sym("b", offset, self.s(offset))
    }

    /// A sentence reminding the reader what relative numbering means, empty otherwise.
    fn relative_hint(&self) -> &'static str {
        if self.relative {
            "（相対表示: 各側の ISN を 0 として数えています。実際の値は client_isn / server_isn を足したもの）"
        } else {
            ""
        }
    }

    /// Records `seg` with the states after it.
    fn push(&mut self, seg: Seg, client: TcpState, server: TcpState) {
        self.client = client;
        self.server = server;
        self.steps.push(Step {
            from: seg.from,
            flags: seg.flags,
            seq: seg.seq,
            ack: seg.ack,
            len: seg.len,
            lost: seg.lost,
            time_ms: seg.time_ms,
            client_state: client,
            server_state: server,
            note: seg.note,
            explain: seg.explain,
        });
    }

    /// Step: the client's SYN, seq = a. `lost` leaves the server's state as it was.
    fn client_syn(&mut self, time_ms: u64, lost: bool, retry: u32) {
        let mut seg = Seg::new(Side::Client, &[Flag::Syn], time_ms);
        seg.seq = Some(self.c(0));
        seg.lost = lost;
        seg.note = match (retry, lost) {
            (0, false) => format!("クライアントが SYN を送る（seq={}）", self.c(0)),
            (0, true) => format!(
                "クライアントが SYN を送るが、途中で失われる（seq={}）",
                self.c(0)
            ),
            (_, false) => format!(
                "{retry} 回目の再送 SYN が届く（seq={}、同じ ISN）",
                self.c(0)
            ),
            (_, true) => format!(
                "{retry} 回目の再送 SYN も失われる（seq={}、同じ ISN）",
                self.c(0)
            ),
        };
        let mut explain = if retry == 0 {
            format!(
                "クライアントは自分の ISN a を選び seq = {} として送ります。ISN はでたらめな乱数ではなく、4 µs ごとに進むクロックに 4 タプルの鍵付きハッシュを足して選びます（RFC 9293 §3.4.1）。ACK ビットが無いので ack は空です。SYN は番号を 1 つ消費します。送ったクライアントは SYN-SENT になります。",
                self.cs(0)
            )
        } else {
            format!(
                "再送でも ISN は変えず、同じ seq = {} を送ります。クライアントは SYN-SENT のままです。",
                self.cs(0)
            )
        };
        if lost {
            let rto = INITIAL_RTO_MS << retry;
            explain.push_str(&format!(
                "SYN が届かないのでサーバーの状態は変わりません。応答が無いまま再送タイマー（RTO）が切れると再送します。RFC 6298 では RTO の初期値は 1 秒（§2.1）で、切れるたびに倍にする（§5.5）ので、次の再送は {} 秒後です。失われ続ければ 1, 3, 7, 15, 31, 63 秒の時点で再送します（この図解の時刻はこの倍々の規則による）。Linux（6.5 以降）では tcp_syn_linear_timeouts（既定 4）により最初の 4 回は 1 秒間隔のまま再送してから倍々に移るので、次の再送は {} 秒後です。1, 2, 3, 4, 5, 7, 11, 19, 35, 67 秒の時点で再送し、約 131 秒で ETIMEDOUT になります（カーネルの ip-sysctl 文書。Linux 6.4 までは tcp_syn_retries = 6 で 1, 3, 7, 15, 31, 63 秒に再送し約 127 秒で、tcp(7) はまだこちらを書いています）。",
                rto / 1000,
                linux_syn_rto_ms(retry) / 1000
            ));
        } else {
            explain.push_str("受け取ったサーバーは SYN-RECEIVED になります。");
        }
        explain.push_str(self.relative_hint());
        seg.explain = explain;
        let server = if lost {
            self.server
        } else {
            TcpState::SynReceived
        };
        self.push(seg, TcpState::SynSent, server);
    }

    /// Step: the server's SYN,ACK, seq = b, ack = a+1.
    fn server_syn_ack(&mut self, time_ms: u64, resend: bool) {
        let mut seg = Seg::new(Side::Server, &[Flag::Syn, Flag::Ack], time_ms);
        seg.seq = Some(self.s(0));
        seg.ack = Some(self.c(1));
        if resend {
            seg.note = format!(
                "ACK が来ないのでサーバーが SYN,ACK を再送する（seq={}, ack={}）",
                self.s(0),
                self.c(1)
            );
            seg.explain = format!(
                "サーバーは自分の SYN への ACK を受け取っていないので SYN-RECEIVED のままです。RTO（初期値 1 秒, RFC 6298）が切れ、同じ seq = {}, ack = {} で SYN,ACK を再送します。すでに ESTABLISHED のクライアントにとってこれは重複なので、状態は変わらず、すぐに ACK を返し直します（RFC 9293 §3.10.7.4）。{}",
                self.ss(0),
                self.cs(1),
                self.relative_hint()
            );
        } else {
            seg.note = format!(
                "サーバーが SYN,ACK を返す（seq={}, ack={}）",
                self.s(0),
                self.c(1)
            );
            seg.explain = format!(
                "サーバーも自分の ISN b を選び seq = {} とします。クライアントの SYN が番号を 1 つ消費したので、次に欲しい番号は ack = {} です（+1 は SYN の分）。ACK ビットが立つので ack が意味を持ちます。受け取ったクライアントは自分の SYN が確認されたので ESTABLISHED、サーバーは最後の ACK を待つ間 SYN-RECEIVED のままです。{}",
                self.ss(0),
                self.cs(1),
                self.relative_hint()
            );
        }
        self.push(seg, TcpState::Established, TcpState::SynReceived);
    }

    /// Step: the client's final ACK of the handshake, seq = a+1, ack = b+1.
    fn client_ack(&mut self, time_ms: u64, lost: bool) {
        let mut seg = Seg::new(Side::Client, &[Flag::Ack], time_ms);
        seg.seq = Some(self.c(1));
        seg.ack = Some(self.s(1));
        seg.lost = lost;
        seg.note = if lost {
            format!(
                "クライアントの最後の ACK が途中で失われる（seq={}, ack={}）",
                self.c(1),
                self.s(1)
            )
        } else {
            format!(
                "クライアントが ACK を返す（seq={}, ack={}）",
                self.c(1),
                self.s(1)
            )
        };
        let mut explain = format!(
            "SYN,ACK の SYN も番号を 1 つ消費するので ack = {} です。seq は SYN の次の {} です。純粋な ACK は番号を消費しないので、この後のデータも {} から始まります。",
            self.ss(1),
            self.cs(1),
            self.cs(1)
        );
        if lost {
            explain.push_str("ACK が届かないのでサーバーは SYN-RECEIVED のままです。クライアントは SYN,ACK を受け取った時点で ESTABLISHED なので、失われたことに気づきません。クライアントがすぐデータを送るなら、ACK ビット付きのそのデータセグメントが同じ役目を果たします。ここではクライアントにまだ送るデータが無い（たとえばサーバーが先に話すプロトコル）とします。");
        } else {
            explain.push_str(
                "受け取ったサーバーも ESTABLISHED になり、3-way handshake が完了します。",
            );
        }
        explain.push_str(self.relative_hint());
        seg.explain = explain;
        let server = if lost {
            self.server
        } else {
            TcpState::Established
        };
        self.push(seg, TcpState::Established, server);
    }

    /// Step: the client's answer to a duplicate SYN,ACK: an immediate pure ACK, seq = a+1,
    /// ack = b+1 (RFC 9293 §3.10.7.4), which moves the server out of SYN-RECEIVED.
    fn client_dup_ack(&mut self, time_ms: u64) {
        let mut seg = Seg::new(Side::Client, &[Flag::Ack], time_ms);
        seg.seq = Some(self.c(1));
        seg.ack = Some(self.s(1));
        seg.note = format!(
            "クライアントが重複した SYN,ACK にすぐ ACK を返す（seq={}, ack={}）",
            self.c(1),
            self.s(1)
        );
        seg.explain = format!(
            "再送された SYN,ACK の seq = {} は、クライアントが次に欲しい番号（RCV.NXT）{} より前なので、受け入れられないセグメントとして捨てられます。受け入れられないセグメントを受け取ったら、すぐに <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> の ACK を返します（RFC 9293 §3.10.7.4）。遅延 ACK にもデータへの相乗りにもせず、その場で送ります。この ACK で自分の SYN が確認されたサーバーは ESTABLISHED になります。{}",
            self.ss(0),
            self.ss(1),
            self.relative_hint()
        );
        self.push(seg, TcpState::Established, TcpState::Established);
    }

    /// Step: the client's first 100 data bytes, seq = a+1, ack = b+1.
    fn client_data(&mut self, time_ms: u64) {
        let mut seg = Seg::new(Side::Client, &[Flag::Psh, Flag::Ack], time_ms);
        seg.seq = Some(self.c(1));
        seg.ack = Some(self.s(1));
        seg.len = DATA_LEN;
        seg.note = format!(
            "クライアントが {DATA_LEN} バイトのデータを送る（seq={}, ack={}, len={DATA_LEN}）",
            self.c(1),
            self.s(1)
        );
        let mut explain = format!(
            "データは ACK と同じ seq = {} から始まります（純粋な ACK は番号を使わない）。このセグメントは {} から {} までの {DATA_LEN} バイトを運びます。確立後は全セグメントに ACK ビットが立つ（RFC 9293 §3.1）ので ack = {} も付きます。PSH は受信側にすぐアプリへ渡すよう促します。",
            self.cs(1),
            self.cs(1),
            self.cs(DATA_LEN),
            self.ss(1)
        );
        explain.push_str(self.relative_hint());
        seg.explain = explain;
        self.push(seg, TcpState::Established, TcpState::Established);
    }

    /// Step: the server's cumulative ACK of the data, ack = a+101.
    fn server_data_ack(&mut self, time_ms: u64) {
        let mut seg = Seg::new(Side::Server, &[Flag::Ack], time_ms);
        seg.seq = Some(self.s(1));
        seg.ack = Some(self.c(1 + DATA_LEN));
        seg.note = format!(
            "サーバーがデータを確認する ACK を返す（seq={}, ack={}）",
            self.s(1),
            self.c(1 + DATA_LEN)
        );
        seg.explain = format!(
            "ACK は累積で、次に欲しいバイトの番号を示します。{} から {DATA_LEN} バイト受け取ったので ack = {} です。サーバーはまだデータを送っていないので seq = {} のままです。実際の受信側は ACK を遅らせてもかまいません（0.5 秒未満、フルサイズ 2 セグメントに 1 回以上: RFC 9293 §3.8.6.3）。{}",
            self.cs(1),
            self.cs(1 + DATA_LEN),
            self.ss(1),
            self.relative_hint()
        );
        self.push(seg, TcpState::Established, TcpState::Established);
    }
}

/// "a+1 = 3141592654": the symbol with its offset and the displayed value.
fn sym(name: &str, offset: u32, value: u32) -> String {
    if offset == 0 {
        format!("{name} = {value}")
    } else {
        format!("{name}+{offset} = {value}")
    }
}

/// Linux (6.5 and later, defaults) timeout after SYN number `retry` (0 = the first SYN):
/// 1 s for the first [`LINUX_SYN_LINEAR_TIMEOUTS`] + 1 sends, then doubling. The resends
/// fall at 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s and connect() gives up at 131 s.
pub fn linux_syn_rto_ms(retry: u32) -> u64 {
    let backoff = retry.saturating_sub(LINUX_SYN_LINEAR_TIMEOUTS).min(16);
    INITIAL_RTO_MS << backoff
}

/// Time the receiver of a segment sent at `t` answers it.
fn reply(t: u64) -> u64 {
    t + ONE_WAY_MS
}

fn normal(w: &mut Writer) {
    w.client_syn(0, false, 0);
    w.server_syn_ack(reply(0), false);
    let t_ack = reply(reply(0));
    w.client_ack(t_ack, false);
    // The client writes its data right after the handshake; it leaves with the ACK.
    w.client_data(t_ack);
    w.server_data_ack(reply(t_ack));
}

fn lost_syn(w: &mut Writer) {
    // Sent at 0 and lost; RTO 1 s → resend at 1 s, lost; RTO 2 s → resend at 3 s, arrives.
    w.client_syn(0, true, 0);
    w.client_syn(INITIAL_RTO_MS, true, 1);
    let t = INITIAL_RTO_MS + 2 * INITIAL_RTO_MS;
    w.client_syn(t, false, 2);
    w.server_syn_ack(reply(t), false);
    w.client_ack(reply(reply(t)), false);
}

fn lost_ack(w: &mut Writer) {
    w.client_syn(0, false, 0);
    let t_syn_ack = reply(0);
    w.server_syn_ack(t_syn_ack, false);
    w.client_ack(reply(t_syn_ack), true);
    // The server's own RTO for its SYN,ACK runs from when it sent it.
    let t_resend = t_syn_ack + INITIAL_RTO_MS;
    w.server_syn_ack(t_resend, true);
    // The duplicate is answered at once (RFC 9293 §3.10.7.4); the data follows later.
    let t_dup_ack = reply(t_resend);
    w.client_dup_ack(t_dup_ack);
    let t_data = t_dup_ack + 100;
    w.client_data(t_data);
    w.server_data_ack(reply(t_data));
}

fn closed_port(w: &mut Writer) {
    let mut syn = Seg::new(Side::Client, &[Flag::Syn], 0);
    syn.seq = Some(w.c(0));
    syn.note = format!("クライアントが SYN を送る（seq={}）", w.c(0));
    syn.explain = format!(
        "クライアントは ISN a を選び seq = {} で SYN を送り、SYN-SENT になります。サーバーのこのポートには待ち受けているソケットが無い（LISTEN ではなく CLOSED）ので、接続は作られません。{}",
        w.cs(0),
        w.relative_hint()
    );
    w.push(syn, TcpState::SynSent, TcpState::Closed);

    let mut rst = Seg::new(Side::Server, &[Flag::Rst, Flag::Ack], reply(0));
    // The RST's SEQ is the literal 0 of §3.10.7.1, not a number in b's space, so it is 0 in
    // both displays (Wireshark's relative view shows 0 too).
    rst.seq = Some(0);
    rst.ack = Some(w.c(1));
    rst.note = format!(
        "サーバー側の TCP が RST,ACK を返す（seq=0, ack={}）",
        w.c(1)
    );
    rst.explain = format!(
        "CLOSED のポートに届いた SYN には <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> を返します（RFC 9293 §3.10.7.1）。届いた SYN に ACK ビットが無いので SEQ = 0、SYN が番号を 1 つ消費するので ACK = {} です。サーバーは ISN を選ばず、状態も CLOSED のままです。RST を受け取ったクライアントは CLOSED に戻り、connect() は ECONNREFUSED（Connection refused）で失敗します。{}",
        w.cs(1),
        w.relative_hint()
    );
    w.push(rst, TcpState::Closed, TcpState::Closed);
}

fn simultaneous_open(w: &mut Writer) {
    let mut syn_a = Seg::new(Side::Client, &[Flag::Syn], 0);
    syn_a.seq = Some(w.c(0));
    syn_a.note = format!("A（クライアント）が SYN を送る（seq={}）", w.c(0));
    syn_a.explain = format!(
        "A は CLOSED から能動オープンし、ISN a = {} の SYN を送って SYN-SENT になります。この SYN はまだ途中にあります（RFC 9293 Fig. 7 の 2 行目）。{}",
        w.c(0),
        w.relative_hint()
    );
    w.push(syn_a, TcpState::SynSent, TcpState::Closed);

    let mut syn_b = Seg::new(Side::Server, &[Flag::Syn], 0);
    syn_b.seq = Some(w.s(0));
    syn_b.note = format!(
        "B（サーバー）も同時に SYN を送る（seq={}）。2 つの SYN がすれ違う",
        w.s(0)
    );
    syn_b.explain = format!(
        "B も LISTEN ではなく CLOSED から能動オープンし、ISN b = {} の SYN を送って SYN-SENT になります。A の SYN はまだ届いていないので、どちらも SYN-SENT のまま 2 つの SYN がすれ違います。{}",
        w.s(0),
        w.relative_hint()
    );
    w.push(syn_b, TcpState::SynSent, TcpState::SynSent);

    let mut syn_ack_a = Seg::new(Side::Client, &[Flag::Syn, Flag::Ack], reply(0));
    syn_ack_a.seq = Some(w.c(0));
    syn_ack_a.ack = Some(w.s(1));
    syn_ack_a.note = format!(
        "SYN を受け取った A が SYN,ACK を送る（seq={}, ack={}）",
        w.c(0),
        w.s(1)
    );
    syn_ack_a.explain = format!(
        "SYN-SENT で相手の SYN（ACK なし）を受け取ると SYN-RECEIVED に移り、自分の SYN を ACK 付きで送り直します。seq は自分の ISN {} のまま（自分の SYN はまだ確認されていない）、B の SYN が 1 つ消費したので ack = {} です。同じ時刻に B も A の SYN を受け取り SYN-RECEIVED になります（Fig. 7 の 3〜4 行目）。{}",
        w.cs(0),
        w.ss(1),
        w.relative_hint()
    );
    w.push(syn_ack_a, TcpState::SynReceived, TcpState::SynReceived);

    let mut syn_ack_b = Seg::new(Side::Server, &[Flag::Syn, Flag::Ack], reply(0));
    syn_ack_b.seq = Some(w.s(0));
    syn_ack_b.ack = Some(w.c(1));
    syn_ack_b.note = format!(
        "B も SYN,ACK を送る（seq={}, ack={}）。2 つの SYN,ACK がすれ違い、両方 ESTABLISHED に",
        w.s(0),
        w.c(1)
    );
    syn_ack_b.explain = format!(
        "B は seq = {}, ack = {} の SYN,ACK を送ります。それぞれの SYN,ACK が届くと、ACK が自分の SYN を確認するので、両側とも SYN-RECEIVED から ESTABLISHED になります（Fig. 7 の 5〜7 行目）。通常の 3 つではなく 4 つのセグメントで 1 本の接続ができます。{}",
        w.ss(0),
        w.cs(1),
        w.relative_hint()
    );
    w.push(syn_ack_b, TcpState::Established, TcpState::Established);
}

fn close(w: &mut Writer) {
    // u and v: where each side's sequence numbers stand after the normal scenario's data.
    let u = 1 + DATA_LEN;
    let v = 1;
    let hint = w.relative_hint();

    let mut fin_a = Seg::new(Side::Client, &[Flag::Fin, Flag::Ack], 0);
    fin_a.seq = Some(w.c(u));
    fin_a.ack = Some(w.s(v));
    fin_a.note = format!(
        "A（クライアント）が close() して FIN を送る（seq=u={}, ack={}）",
        w.c(u),
        w.s(v)
    );
    fin_a.explain = format!(
        "通常シナリオの 100 バイトの後なので u = {}、B からはまだデータが無いので v = {} です。確立後なので ACK ビットも立ちます。FIN も SYN と同じく番号を 1 つ消費します。送った A は FIN-WAIT-1、受け取った B は CLOSE-WAIT（アプリが close() するのを待つ）になります（RFC 9293 Fig. 12）。{hint}",
        w.cs(u),
        w.ss(v)
    );
    w.push(fin_a, TcpState::FinWait1, TcpState::CloseWait);

    let mut ack_b = Seg::new(Side::Server, &[Flag::Ack], reply(0));
    ack_b.seq = Some(w.s(v));
    ack_b.ack = Some(w.c(u + 1));
    ack_b.note = format!(
        "B が FIN を確認する ACK を返す（seq={}, ack=u+1={}）",
        w.s(v),
        w.c(u + 1)
    );
    ack_b.explain = format!(
        "FIN が番号を 1 つ消費したので ack = u+1 = {} です。自分の FIN が確認された A は FIN-WAIT-2 になり、B の FIN を待ちます。B はアプリがまだ送れるので CLOSE-WAIT のままです（この ACK と次の FIN を 1 つのセグメントにまとめてもよい）。{hint}",
        w.c(u + 1)
    );
    w.push(ack_b, TcpState::FinWait2, TcpState::CloseWait);

    let t_fin_b = reply(reply(0));
    let mut fin_b = Seg::new(Side::Server, &[Flag::Fin, Flag::Ack], t_fin_b);
    fin_b.seq = Some(w.s(v));
    fin_b.ack = Some(w.c(u + 1));
    fin_b.note = format!(
        "B のアプリも close() し、B が FIN を送る（seq=v={}, ack={}）",
        w.s(v),
        w.c(u + 1)
    );
    fin_b.explain = format!(
        "B は seq = v = {} の FIN を送り LAST-ACK になります。FIN-WAIT-2 の A はこの FIN を受け取った時点で TIME-WAIT に入ります（Fig. 12 の 4 行目）。両側が同時に FIN を送った場合は FIN-WAIT-1 から CLOSING を通ります（Fig. 13）。{hint}",
        w.ss(v)
    );
    w.push(fin_b, TcpState::TimeWait, TcpState::LastAck);

    let t_last = reply(t_fin_b);
    let mut ack_a = Seg::new(Side::Client, &[Flag::Ack], t_last);
    ack_a.seq = Some(w.c(u + 1));
    ack_a.ack = Some(w.s(v + 1));
    ack_a.note = format!(
        "A が最後の ACK を返す（seq={}, ack=v+1={}）",
        w.c(u + 1),
        w.s(v + 1)
    );
    ack_a.explain = format!(
        "B の FIN も番号を 1 つ消費するので ack = v+1 = {} です。これを受け取った B は CLOSED になり接続を忘れます。A は TIME-WAIT のまま 2×MSL 待ちます。RFC では MSL を 2 分とする（RFC 9293 §3.4.2）ので 4 分です（この図解の時刻はこちら）。Linux は 2MSL ではなく固定の 60 秒（TCP_TIMEWAIT_LEN）で、ss -tan で TIME-WAIT が見えるのはその間です。この ACK が失われて B が FIN を再送しても答えられるように、また古い重複セグメントが次の同じ接続に紛れ込まないように待ちます。TIME-WAIT で待つのは先に閉じた側（能動クローズ側）だけです。{hint}",
        w.ss(v + 1)
    );
    w.push(ack_a, TcpState::TimeWait, TcpState::Closed);

    let mut expire = Seg::new(Side::Client, &[], t_last + 2 * MSL_MS);
    expire.note =
        "A の TIME-WAIT タイマー（RFC の 2MSL = 4 分。Linux なら 60 秒）が切れ、A も CLOSED になる（セグメントは送らない）"
            .to_owned();
    expire.explain = "TIME-WAIT は 2×MSL で終わります（RFC 9293 §3.6.1。Linux では固定の 60 秒）。送るものは何も無く、A は接続の記録（TCB）を消して CLOSED になります。".to_owned();
    w.push(expire, TcpState::Closed, TcpState::Closed);
}
