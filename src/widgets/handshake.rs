//! W1: the TCP 3-way handshake stepper model.
//!
//! It owns the truth the widget shows and grades: for each scenario (normal open, lost SYN,
//! lost final ACK, closed port, simultaneous open, close) the segments in order with their
//! flags, sequence and acknowledgment numbers, the time they leave their sender, and both
//! ends' RFC 9293 states after each one. Numbers follow the fact sheet (facts.md §4 and W1):
//! SYN and FIN each use one sequence number, a pure ACK uses none, all arithmetic is mod 2³².

use serde::{Serialize, Serializer};

use super::rng::Rng;
use super::{ParamError, echo, query_bool, query_choice, query_u64};

/// Client ISN for seed 0, the fact sheet's example a = 3,141,592,653.
pub const DEFAULT_CLIENT_ISN: u32 = 3_141_592_653;
/// Server ISN for seed 0, the fact sheet's example b = 2,718,281,828.
pub const DEFAULT_SERVER_ISN: u32 = 2_718_281_828;
/// One-way delay of the model's path; only the timeline's spacing depends on it.
pub const ONE_WAY_MS: u64 = 20;
/// Initial retransmission timeout (RFC 6298 §2.1: 1 second), doubled on each expiry (§5.5).
pub const INITIAL_RTO_MS: u64 = 1_000;
/// Maximum segment lifetime as RFC 9293 takes it (§3.4.2): 2 minutes. Linux does not use
/// 2×MSL: its TIME-WAIT is a fixed 60 s (`TCP_TIMEWAIT_LEN`); the texts say so.
pub const MSL_MS: u64 = 120_000;
/// Linux ≥ 6.5 `tcp_syn_linear_timeouts` default: this many SYN retransmissions keep the
/// initial 1 s timeout before the exponential backoff starts (kernel ip-sysctl docs).
pub const LINUX_SYN_LINEAR_TIMEOUTS: u32 = 4;
/// Bytes of application data the client sends after the handshake.
const DATA_LEN: u32 = 100;

/// The story the stepper tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// 3-way handshake, then 100 bytes of data and their ACK.
    Normal,
    /// The SYN is lost twice and retransmitted with backoff.
    LostSyn,
    /// The final ACK of the handshake is lost.
    LostAck,
    /// No listener: the SYN is answered with RST,ACK.
    ClosedPort,
    /// Both ends send SYN at once (RFC 9293 Fig. 7).
    SimultaneousOpen,
    /// Orderly close from ESTABLISHED to CLOSED (RFC 9293 Fig. 12).
    Close,
}

impl Scenario {
    /// Every scenario, in the order the widget lists them.
    pub const ALL: [Scenario; 6] = [
        Scenario::Normal,
        Scenario::LostSyn,
        Scenario::LostAck,
        Scenario::ClosedPort,
        Scenario::SimultaneousOpen,
        Scenario::Close,
    ];

    /// The name used in URLs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Normal => "normal",
            Scenario::LostSyn => "lost-syn",
            Scenario::LostAck => "lost-ack",
            Scenario::ClosedPort => "closed-port",
            Scenario::SimultaneousOpen => "simultaneous-open",
            Scenario::Close => "close",
        }
    }

    /// The scenario with this URL name, if any.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The Japanese label shown in the scenario picker.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::Normal => "通常の接続とデータ送信",
            Scenario::LostSyn => "SYN が失われる",
            Scenario::LostAck => "最後の ACK が失われる",
            Scenario::ClosedPort => "閉じたポート (RST)",
            Scenario::SimultaneousOpen => "同時オープン",
            Scenario::Close => "切断 (FIN と TIME-WAIT)",
        }
    }
}

/// The eleven connection states of RFC 9293 §3.3.2, spelled as the RFC spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpState {
    /// No connection.
    Closed,
    /// Waiting for a SYN.
    Listen,
    /// SYN sent, waiting for the peer's SYN.
    SynSent,
    /// Peer's SYN received, waiting for the ACK of ours.
    SynReceived,
    /// Open; data flows both ways.
    Established,
    /// FIN sent, not yet acknowledged.
    FinWait1,
    /// Our FIN acknowledged, waiting for the peer's FIN.
    FinWait2,
    /// Peer's FIN received, waiting for our application to close.
    CloseWait,
    /// Both sides sent FIN at once (Fig. 13).
    Closing,
    /// Our FIN sent after the peer's, waiting for its ACK.
    LastAck,
    /// Active closer waiting 2×MSL before forgetting the connection.
    TimeWait,
}

impl TcpState {
    /// Every state, in the order of RFC 9293 §3.3.2.
    pub const ALL: [TcpState; 11] = [
        TcpState::Listen,
        TcpState::SynSent,
        TcpState::SynReceived,
        TcpState::Established,
        TcpState::FinWait1,
        TcpState::FinWait2,
        TcpState::CloseWait,
        TcpState::Closing,
        TcpState::LastAck,
        TcpState::TimeWait,
        TcpState::Closed,
    ];

    /// The RFC spelling, e.g. `SYN-SENT`.
    pub fn as_str(self) -> &'static str {
        match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynReceived => "SYN-RECEIVED",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST-ACK",
            TcpState::TimeWait => "TIME-WAIT",
        }
    }

    /// Reads a learner's answer: case, spaces and `_` are forgiven (`syn_sent`, `Syn Sent`).
    pub fn from_answer(answer: &str) -> Option<TcpState> {
        let norm: String = answer
            .trim()
            .chars()
            .map(|c| match c {
                '_' | ' ' | '－' | 'ー' => '-',
                c => c.to_ascii_uppercase(),
            })
            .collect();
        TcpState::ALL.into_iter().find(|s| s.as_str() == norm)
    }
}

impl Serialize for TcpState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // serde's case conversions would write FIN-WAIT1, so the RFC spelling is written out.
        serializer.serialize_str(self.as_str())
    }
}

/// Which end sent a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The end that calls connect() (peer A in the RFC figures).
    Client,
    /// The end that listens (peer B).
    Server,
}

/// A TCP control bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Flag {
    /// Synchronize sequence numbers.
    Syn,
    /// The acknowledgment field is significant.
    Ack,
    /// No more data from the sender.
    Fin,
    /// Reset the connection.
    Rst,
    /// Push the data to the application.
    Psh,
}

/// Parameters of one run of the stepper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The story to tell.
    pub scenario: Scenario,
    /// Picks both ISNs; 0 gives the fact sheet's a and b.
    pub seed: u64,
    /// Show numbers relative to each side's ISN, as Wireshark does.
    pub relative: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scenario: Scenario::Normal,
            seed: 0,
            relative: false,
        }
    }
}

/// Reads `scenario`, `seed` and `relative` from query pairs; missing keys take the defaults
/// (normal, 0, false), unknown keys are ignored, bad values are a [`ParamError`].
pub fn params_from_query(pairs: &[(String, String)]) -> Result<Params, ParamError> {
    Ok(Params {
        scenario: query_choice(
            pairs,
            "scenario",
            Scenario::Normal,
            &Scenario::ALL,
            Scenario::name,
        )?,
        seed: query_u64(pairs, "seed", 0, 0, u64::MAX)?,
        relative: query_bool(pairs, "relative", false)?,
    })
}

/// Both ends' states at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct States {
    /// The client's state.
    pub client_state: TcpState,
    /// The server's state.
    pub server_state: TcpState,
}

/// One segment (or, for a timer, one event without a segment) and the states after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The sender.
    pub from: Side,
    /// Control bits set, in the order the RFC writes them (SYN,ACK; RST,ACK; FIN,ACK).
    pub flags: Vec<Flag>,
    /// Sequence number as displayed (relative when asked); `None` for a timer event.
    pub seq: Option<u32>,
    /// Acknowledgment number as displayed; `None` when the ACK bit is not set.
    pub ack: Option<u32>,
    /// Bytes of data carried.
    pub len: u32,
    /// The segment never arrives; the receiver's state does not change.
    pub lost: bool,
    /// When the segment leaves its sender (or the event happens), in ms from the start.
    pub time_ms: u64,
    /// The client's state after this step.
    pub client_state: TcpState,
    /// The server's state after this step.
    pub server_state: TcpState,
    /// One line saying what the segment is.
    pub note: String,
    /// Why the numbers and states are what they are.
    pub explain: String,
}

/// A whole scenario as the stepper shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handshake {
    /// The story told.
    pub scenario: Scenario,
    /// The seed the ISNs came from (0 for [`simulate_with_isns`]).
    pub seed: u64,
    /// Whether `seq`/`ack` in the steps are relative to the ISNs.
    pub relative: bool,
    /// The client's ISN a, always absolute.
    pub client_isn: u32,
    /// The server's ISN b, always absolute.
    pub server_isn: u32,
    /// States before the first step.
    pub initial: States,
    /// The steps in order.
    pub steps: Vec<Step>,
}

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
            "（相対表示: 各側の ISN を 0 として数えている。実際の値は client_isn / server_isn を足したもの）"
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
                "クライアントは自分の ISN a を選び seq = {} として送る。ISN はでたらめな乱数ではなく、4 µs ごとに進むクロックに 4 タプルの鍵付きハッシュを足して選ぶ (RFC 9293 §3.4.1)。ACK ビットが無いので ack は空。SYN は番号を 1 つ消費する。送ったクライアントは SYN-SENT になる。",
                self.cs(0)
            )
        } else {
            format!(
                "再送でも ISN は変えず、同じ seq = {} を送る。クライアントは SYN-SENT のまま。",
                self.cs(0)
            )
        };
        if lost {
            let rto = INITIAL_RTO_MS << retry;
            explain.push_str(&format!(
                "SYN が届かないのでサーバの状態は変わらない。応答が無いまま再送タイマー (RTO) が切れると再送する。RFC 6298 では RTO の初期値は 1 秒 (§2.1) で、切れるたびに倍にする (§5.5) ので、次の再送は {} 秒後。失われ続ければ 1, 3, 7, 15, 31, 63 秒の時点で再送する (この図解の時刻はこの倍々の規則による)。Linux（6.5 以降）では tcp_syn_linear_timeouts (既定 4) により最初の 4 回は 1 秒間隔のまま再送してから倍々に移るので、次の再送は {} 秒後。1, 2, 3, 4, 5, 7, 11, 19, 35, 67 秒の時点で再送し、約 131 秒で ETIMEDOUT になる (カーネルの ip-sysctl 文書。Linux 6.4 までは tcp_syn_retries = 6 で 1, 3, 7, 15, 31, 63 秒に再送し約 127 秒で、tcp(7) はまだこちらを書いている)。",
                rto / 1000,
                linux_syn_rto_ms(retry) / 1000
            ));
        } else {
            explain.push_str("受け取ったサーバは SYN-RECEIVED になる。");
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
                "ACK が来ないのでサーバが SYN,ACK を再送する（seq={}, ack={}）",
                self.s(0),
                self.c(1)
            );
            seg.explain = format!(
                "サーバは自分の SYN への ACK を受け取っていないので SYN-RECEIVED のまま。RTO (初期値 1 秒, RFC 6298) が切れ、同じ seq = {}, ack = {} で SYN,ACK を再送する。すでに ESTABLISHED のクライアントにとってこれは重複なので、状態は変わらず、すぐに ACK を返し直す (RFC 9293 §3.10.7.4)。{}",
                self.ss(0),
                self.cs(1),
                self.relative_hint()
            );
        } else {
            seg.note = format!(
                "サーバが SYN,ACK を返す（seq={}, ack={}）",
                self.s(0),
                self.c(1)
            );
            seg.explain = format!(
                "サーバも自分の ISN b を選び seq = {} とする。クライアントの SYN が番号を 1 つ消費したので、次に欲しい番号は ack = {}（+1 は SYN の分）。ACK ビットが立つので ack が意味を持つ。受け取ったクライアントは自分の SYN が確認されたので ESTABLISHED、サーバは最後の ACK を待つ間 SYN-RECEIVED のまま。{}",
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
            "SYN,ACK の SYN も番号を 1 つ消費するので ack = {}。seq は SYN の次の {}。純粋な ACK は番号を消費しないので、この後のデータも {} から始まる。",
            self.ss(1),
            self.cs(1),
            self.cs(1)
        );
        if lost {
            explain.push_str("ACK が届かないのでサーバは SYN-RECEIVED のまま。クライアントは SYN,ACK を受け取った時点で ESTABLISHED なので、失われたことに気づかない。クライアントがすぐデータを送るなら、ACK ビット付きのそのデータセグメントが同じ役目を果たす。ここではクライアントにまだ送るデータが無い (たとえばサーバが先に話すプロトコル) とする。");
        } else {
            explain.push_str("受け取ったサーバも ESTABLISHED になり、3-way handshake が完了する。");
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
            "再送された SYN,ACK の seq = {} は、クライアントが次に欲しい番号 (RCV.NXT) {} より前なので、受け入れられないセグメントとして捨てられる。受け入れられないセグメントを受け取ったら、すぐに <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> の ACK を返す (RFC 9293 §3.10.7.4)。遅延 ACK にもデータへの相乗りにもせず、その場で送る。この ACK で自分の SYN が確認されたサーバは ESTABLISHED になる。{}",
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
            "データは ACK と同じ seq = {} から始まる（純粋な ACK は番号を使わない）。このセグメントは {} から {} までの {DATA_LEN} バイトを運ぶ。確立後は全セグメントに ACK ビットが立つ (RFC 9293 §3.1) ので ack = {} も付く。PSH は受信側にすぐアプリへ渡すよう促す。",
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
            "サーバがデータを確認する ACK を返す（seq={}, ack={}）",
            self.s(1),
            self.c(1 + DATA_LEN)
        );
        seg.explain = format!(
            "ACK は累積で、次に欲しいバイトの番号を示す。{} から {DATA_LEN} バイト受け取ったので ack = {}。サーバはまだデータを送っていないので seq = {} のまま。実際の受信側は ACK を遅らせてよい (0.5 秒未満、フルサイズ 2 セグメントに 1 回以上: RFC 9293 §3.8.6.3)。{}",
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
        "クライアントは ISN a を選び seq = {} で SYN を送り、SYN-SENT になる。サーバのこのポートには待ち受けているソケットが無い (LISTEN ではなく CLOSED) ので、接続は作られない。{}",
        w.cs(0),
        w.relative_hint()
    );
    w.push(syn, TcpState::SynSent, TcpState::Closed);

    let mut rst = Seg::new(Side::Server, &[Flag::Rst, Flag::Ack], reply(0));
    // The RST's SEQ is the literal 0 of §3.10.7.1, not a number in b's space, so it is 0 in
    // both displays (Wireshark's relative view shows 0 too).
    rst.seq = Some(0);
    rst.ack = Some(w.c(1));
    rst.note = format!("サーバ側の TCP が RST,ACK を返す（seq=0, ack={}）", w.c(1));
    rst.explain = format!(
        "CLOSED のポートに届いた SYN には <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> を返す (RFC 9293 §3.10.7.1)。届いた SYN に ACK ビットが無いので SEQ = 0、SYN が番号を 1 つ消費するので ACK = {}。サーバは ISN を選ばず、状態も CLOSED のまま。RST を受け取ったクライアントは CLOSED に戻り、connect() は ECONNREFUSED (Connection refused) で失敗する。{}",
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
        "A は CLOSED から能動オープンし、ISN a = {} の SYN を送って SYN-SENT になる。この SYN はまだ途中にある (RFC 9293 Fig. 7 の 2 行目)。{}",
        w.c(0),
        w.relative_hint()
    );
    w.push(syn_a, TcpState::SynSent, TcpState::Closed);

    let mut syn_b = Seg::new(Side::Server, &[Flag::Syn], 0);
    syn_b.seq = Some(w.s(0));
    syn_b.note = format!(
        "B（サーバ）も同時に SYN を送る（seq={}）。2 つの SYN がすれ違う",
        w.s(0)
    );
    syn_b.explain = format!(
        "B も LISTEN ではなく CLOSED から能動オープンし、ISN b = {} の SYN を送って SYN-SENT になる。A の SYN はまだ届いていないので、どちらも SYN-SENT のまま 2 つの SYN がすれ違う。{}",
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
        "SYN-SENT で相手の SYN (ACK なし) を受け取ると SYN-RECEIVED に移り、自分の SYN を ACK 付きで送り直す。seq は自分の ISN {} のまま（自分の SYN はまだ確認されていない）、B の SYN が 1 つ消費したので ack = {}。同じ時刻に B も A の SYN を受け取り SYN-RECEIVED になる (Fig. 7 の 3〜4 行目)。{}",
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
        "B は seq = {}, ack = {} の SYN,ACK を送る。それぞれの SYN,ACK が届くと、ACK が自分の SYN を確認するので、両側とも SYN-RECEIVED から ESTABLISHED になる (Fig. 7 の 5〜7 行目)。通常の 3 つではなく 4 つのセグメントで 1 本の接続ができる。{}",
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
        "通常シナリオの 100 バイトの後なので u = {}、B からはまだデータが無いので v = {}。確立後なので ACK ビットも立つ。FIN も SYN と同じく番号を 1 つ消費する。送った A は FIN-WAIT-1、受け取った B は CLOSE-WAIT（アプリが close() するのを待つ）になる (RFC 9293 Fig. 12)。{hint}",
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
        "FIN が番号を 1 つ消費したので ack = u+1 = {}。自分の FIN が確認された A は FIN-WAIT-2 になり、B の FIN を待つ。B はアプリがまだ送れるので CLOSE-WAIT のまま（この ACK と次の FIN を 1 つのセグメントにまとめてもよい）。{hint}",
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
        "B は seq = v = {} の FIN を送り LAST-ACK になる。FIN-WAIT-2 の A はこの FIN を受け取った時点で TIME-WAIT に入る (Fig. 12 の 4 行目)。両側が同時に FIN を送った場合は FIN-WAIT-1 から CLOSING を通る (Fig. 13)。{hint}",
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
        "B の FIN も番号を 1 つ消費するので ack = v+1 = {}。これを受け取った B は CLOSED になり接続を忘れる。A は TIME-WAIT のまま 2×MSL 待つ。RFC では MSL を 2 分とする (RFC 9293 §3.4.2) ので 4 分 (この図解の時刻はこちら)。Linux は 2MSL ではなく固定の 60 秒 (TCP_TIMEWAIT_LEN) で、ss -tan で TIME-WAIT が見えるのはその間。この ACK が失われて B が FIN を再送しても答えられるように、また古い重複セグメントが次の同じ接続に紛れ込まないように待つ。TIME-WAIT で待つのは先に閉じた側 (能動クローズ側) だけ。{hint}",
        w.ss(v + 1)
    );
    w.push(ack_a, TcpState::TimeWait, TcpState::Closed);

    let mut expire = Seg::new(Side::Client, &[], t_last + 2 * MSL_MS);
    expire.note =
        "A の TIME-WAIT タイマー (RFC の 2MSL = 4 分。Linux なら 60 秒) が切れ、A も CLOSED になる（セグメントは送らない）"
            .to_owned();
    expire.explain = "TIME-WAIT は 2×MSL で終わる (RFC 9293 §3.6.1。Linux では固定の 60 秒)。送るものは何も無く、A は接続の記録 (TCB) を消して CLOSED になる。".to_owned();
    w.push(expire, TcpState::Closed, TcpState::Closed);
}

/// What a learner predicts for a step in predict-then-reveal mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The step's sequence number.
    Seq,
    /// The step's acknowledgment number.
    Ack,
    /// The client's state after the step.
    ClientState,
    /// The server's state after the step.
    ServerState,
}

impl Field {
    /// Every field, in display order.
    pub const ALL: [Field; 4] = [
        Field::Seq,
        Field::Ack,
        Field::ClientState,
        Field::ServerState,
    ];

    /// The name used in forms and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Field::Seq => "seq",
            Field::Ack => "ack",
            Field::ClientState => "client_state",
            Field::ServerState => "server_state",
        }
    }

    /// The field with this name, if any.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The verdict on one prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    /// The answer matched the model.
    pub correct: bool,
    /// The model's value as displayed (`なし` for a number the segment does not carry).
    pub expected: String,
    /// The step's explanation of why.
    pub explain: String,
}

/// What a learner writes for "this segment carries no such number".
const NONE_ANSWERS: [&str; 5] = ["なし", "-", "null", "none", "無し"];
/// How an absent number is shown as the expected answer.
const NONE_SHOWN: &str = "なし";

/// Grades a prediction of `field` at `step` (an index into `h.steps`, from 0). Numbers are
/// compared as displayed (relative when `h.relative`); `3,141,592,654` and full-width digits are
/// accepted; an absent number is answered with `なし`. A step that does not exist, or an answer
/// that is neither a number nor a state name, is a [`ParamError`] so nothing gets recorded.
pub fn predict_check(
    h: &Handshake,
    step: usize,
    field: Field,
    answer: &str,
) -> Result<PredictResult, ParamError> {
    let Some(s) = h.steps.get(step) else {
        return Err(ParamError(format!(
            "パラメータ step は 0〜{} で指定してください（指定値: {step}）",
            h.steps.len().saturating_sub(1)
        )));
    };
    let (correct, expected) = match field {
        Field::Seq | Field::Ack => {
            let value = if field == Field::Seq { s.seq } else { s.ack };
            let given = parse_number_answer(answer)?;
            let expected = value.map_or_else(|| NONE_SHOWN.to_owned(), |v| v.to_string());
            (given == value, expected)
        }
        Field::ClientState | Field::ServerState => {
            let value = if field == Field::ClientState {
                s.client_state
            } else {
                s.server_state
            };
            let Some(given) = TcpState::from_answer(answer) else {
                let names: Vec<&str> = TcpState::ALL.iter().map(|s| s.as_str()).collect();
                return Err(ParamError(format!(
                    "状態「{}」は TCP の状態ではありません。使える値: {}",
                    echo(answer),
                    names.join(", ")
                )));
            };
            (given == value, value.as_str().to_owned())
        }
    };
    Ok(PredictResult {
        correct,
        expected,
        explain: s.explain.clone(),
    })
}

/// A learner's number: `None` for "no number", else a u32 with `,`, `_` and spaces ignored.
fn parse_number_answer(answer: &str) -> Result<Option<u32>, ParamError> {
    let trimmed = answer.trim();
    if trimmed.is_empty() || NONE_ANSWERS.iter().any(|n| n.eq_ignore_ascii_case(trimmed)) {
        return Ok(None);
    }
    let digits: String = trimmed
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' ' | '，'))
        // Full-width digits, as a Japanese IME may type them.
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect();
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = digits.parse::<u32>()
    {
        return Ok(Some(n));
    }
    Err(ParamError(format!(
        "答え「{}」は 0〜4294967295 の整数ではありません（番号が無い場合は「なし」）",
        echo(answer)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use TcpState::*;

    fn run(scenario: Scenario) -> Handshake {
        simulate(&Params {
            scenario,
            ..Params::default()
        })
    }

    fn states(h: &Handshake) -> Vec<(TcpState, TcpState)> {
        let mut v = vec![(h.initial.client_state, h.initial.server_state)];
        v.extend(h.steps.iter().map(|s| (s.client_state, s.server_state)));
        v
    }

    fn flags(s: &Step) -> Vec<&'static str> {
        s.flags
            .iter()
            .map(|f| match f {
                Flag::Syn => "SYN",
                Flag::Ack => "ACK",
                Flag::Fin => "FIN",
                Flag::Rst => "RST",
                Flag::Psh => "PSH",
            })
            .collect()
    }

    #[test]
    fn w1_table_for_seed_0() {
        let h = run(Scenario::Normal);
        let (a, b) = (3_141_592_653u32, 2_718_281_828u32);
        assert_eq!((h.client_isn, h.server_isn), (a, b));
        assert_eq!(h.initial.client_state, Closed);
        assert_eq!(h.initial.server_state, Listen);
        let got: Vec<_> = h
            .steps
            .iter()
            .map(|s| {
                (
                    s.from,
                    flags(s),
                    s.seq,
                    s.ack,
                    s.len,
                    s.client_state,
                    s.server_state,
                )
            })
            .collect();
        let want = vec![
            (
                Side::Client,
                vec!["SYN"],
                Some(a),
                None,
                0,
                SynSent,
                SynReceived,
            ),
            (
                Side::Server,
                vec!["SYN", "ACK"],
                Some(b),
                Some(a + 1),
                0,
                Established,
                SynReceived,
            ),
            (
                Side::Client,
                vec!["ACK"],
                Some(a + 1),
                Some(b + 1),
                0,
                Established,
                Established,
            ),
            (
                Side::Client,
                vec!["PSH", "ACK"],
                Some(a + 1),
                Some(b + 1),
                100,
                Established,
                Established,
            ),
            (
                Side::Server,
                vec!["ACK"],
                Some(b + 1),
                Some(a + 101),
                0,
                Established,
                Established,
            ),
        ];
        assert_eq!(got, want);
        assert!(h.steps.iter().all(|s| !s.lost));
        assert!(h.steps[1].explain.contains("ack = a+1 = 3141592654"));
    }

    #[test]
    fn seeds_other_than_0_draw_isns_from_the_rng() {
        let h = simulate(&Params {
            seed: 99,
            ..Params::default()
        });
        let mut rng = Rng::new(99);
        assert_eq!(h.client_isn, rng.next_u32());
        assert_eq!(h.server_isn, rng.next_u32());
        assert_eq!(h.seed, 99);
        assert_eq!(h.steps[1].ack, Some(h.client_isn.wrapping_add(1)));
        assert_eq!(
            h,
            simulate(&Params {
                seed: 99,
                ..Params::default()
            })
        );
    }

    #[test]
    fn numbers_wrap_mod_2_32() {
        let h = simulate_with_isns(Scenario::Normal, u32::MAX, u32::MAX - 50, false);
        assert_eq!(h.steps[0].seq, Some(4_294_967_295));
        assert_eq!(h.steps[1].ack, Some(0));
        assert_eq!(h.steps[2].seq, Some(0));
        assert_eq!(h.steps[2].ack, Some(u32::MAX - 49));
        assert_eq!(h.steps[4].ack, Some(100));
        let c = simulate_with_isns(Scenario::Close, u32::MAX, u32::MAX, false);
        assert_eq!(c.steps[0].seq, Some(100)); // u = a+101 wraps
        assert_eq!(c.steps[3].ack, Some(1)); // v+1 = b+2 wraps
    }

    #[test]
    fn relative_mode_counts_from_0() {
        let h = simulate(&Params {
            relative: true,
            ..Params::default()
        });
        let nums: Vec<_> = h.steps.iter().map(|s| (s.seq, s.ack)).collect();
        assert_eq!(
            nums,
            vec![
                (Some(0), None),
                (Some(0), Some(1)),
                (Some(1), Some(1)),
                (Some(1), Some(1)),
                (Some(1), Some(101)),
            ]
        );
        // The ISNs themselves stay absolute so the page can switch views.
        assert_eq!(h.client_isn, DEFAULT_CLIENT_ISN);
        assert!(h.steps[1].explain.contains("a+1 = 1"));
    }

    // Expected sequences are written from RFC 9293 Fig. 6 (normal), Fig. 7 (simultaneous
    // open) and Fig. 12 (close), with the fact sheet's W1 notes for the fault scenarios.
    #[test]
    fn state_sequences_follow_rfc_9293() {
        let cases: Vec<(Scenario, Vec<(TcpState, TcpState)>)> = vec![
            (
                Scenario::Normal,
                vec![
                    (Closed, Listen),
                    (SynSent, SynReceived),
                    (Established, SynReceived),
                    (Established, Established),
                    (Established, Established),
                    (Established, Established),
                ],
            ),
            (
                Scenario::LostSyn,
                vec![
                    (Closed, Listen),
                    (SynSent, Listen),
                    (SynSent, Listen),
                    (SynSent, SynReceived),
                    (Established, SynReceived),
                    (Established, Established),
                ],
            ),
            (
                Scenario::LostAck,
                vec![
                    (Closed, Listen),
                    (SynSent, SynReceived),
                    (Established, SynReceived),
                    (Established, SynReceived),
                    (Established, SynReceived),
                    (Established, Established),
                    (Established, Established),
                    (Established, Established),
                ],
            ),
            (
                Scenario::ClosedPort,
                vec![(Closed, Closed), (SynSent, Closed), (Closed, Closed)],
            ),
            (
                Scenario::SimultaneousOpen,
                vec![
                    (Closed, Closed),
                    (SynSent, Closed),
                    (SynSent, SynSent),
                    (SynReceived, SynReceived),
                    (Established, Established),
                ],
            ),
            (
                Scenario::Close,
                vec![
                    (Established, Established),
                    (FinWait1, CloseWait),
                    (FinWait2, CloseWait),
                    (TimeWait, LastAck),
                    (TimeWait, Closed),
                    (Closed, Closed),
                ],
            ),
        ];
        for (scenario, want) in cases {
            assert_eq!(states(&run(scenario)), want, "{}", scenario.name());
        }
    }

    #[test]
    fn lost_syn_retransmits_the_same_isn_with_backoff() {
        let h = run(Scenario::LostSyn);
        let syns: Vec<_> = h
            .steps
            .iter()
            .filter(|s| s.flags == [Flag::Syn])
            .map(|s| (s.time_ms, s.seq, s.lost))
            .collect();
        let a = Some(DEFAULT_CLIENT_ISN);
        assert_eq!(syns, vec![(0, a, true), (1000, a, true), (3000, a, false)]);
        let times: Vec<_> = h.steps.iter().map(|s| s.time_ms).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }

    // facts.md W1: RFC 6298 doubles from 1 s; Linux since 6.5 keeps 1 s for four more resends
    // (1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s, giving up at about 131 s). Both are shown, labelled.
    #[test]
    fn lost_syn_text_labels_rfc_and_linux_timing() {
        let h = run(Scenario::LostSyn);
        let first = &h.steps[0].explain;
        for want in [
            "RFC 6298",
            "1, 3, 7, 15, 31, 63 秒",
            "Linux（6.5 以降）",
            "tcp_syn_linear_timeouts",
            "1, 2, 3, 4, 5, 7, 11, 19, 35, 67 秒",
            "約 131 秒で ETIMEDOUT",
        ] {
            assert!(first.contains(want), "{want}: {first}");
        }
        assert!(first.contains("次の再送は 1 秒後"), "{first}");
        // After the first resend RFC 6298 waits 2 s, Linux 6.5+ still 1 s.
        let second = &h.steps[1].explain;
        assert!(
            second.contains("次の再送は 2 秒後") && second.contains("次の再送は 1 秒後"),
            "{second}"
        );
        let mut at = 0;
        let resends: Vec<u64> = (0..10)
            .map(|k| {
                at += linux_syn_rto_ms(k);
                at / 1000
            })
            .collect();
        assert_eq!(resends, [1, 2, 3, 4, 5, 7, 11, 19, 35, 67]);
        assert_eq!((at + linux_syn_rto_ms(10)) / 1000, 131);
    }

    #[test]
    fn lost_ack_resends_syn_ack_and_the_client_acks_at_once() {
        let h = run(Scenario::LostAck);
        assert!(h.steps[2].lost && h.steps[2].flags == [Flag::Ack]);
        let resend = &h.steps[3];
        assert_eq!(resend.from, Side::Server);
        assert_eq!(resend.flags, [Flag::Syn, Flag::Ack]);
        assert_eq!(resend.seq, Some(DEFAULT_SERVER_ISN));
        assert_eq!(resend.time_ms, ONE_WAY_MS + INITIAL_RTO_MS);
        // RFC 9293 §3.10.7.4: the unacceptable duplicate is answered by an immediate pure ACK.
        let ack = &h.steps[4];
        assert_eq!(
            (ack.from, ack.flags.as_slice()),
            (Side::Client, &[Flag::Ack][..])
        );
        assert_eq!(ack.time_ms, resend.time_ms + ONE_WAY_MS);
        assert_eq!((ack.len, ack.server_state), (0, Established));
        assert_eq!(
            (ack.seq, ack.ack),
            (Some(DEFAULT_CLIENT_ISN + 1), Some(DEFAULT_SERVER_ISN + 1))
        );
        assert!(ack.explain.contains("§3.10.7.4"), "{}", ack.explain);
        let data = &h.steps[5];
        assert_eq!((data.len, data.seq), (100, Some(DEFAULT_CLIENT_ISN + 1)));
        assert_eq!(h.steps[6].ack, Some(DEFAULT_CLIENT_ISN + 101));
    }

    #[test]
    fn time_wait_text_gives_linux_60_s() {
        let h = run(Scenario::Close);
        assert!(
            h.steps[3].explain.contains("60 秒"),
            "{}",
            h.steps[3].explain
        );
        assert!(h.steps[4].note.contains("Linux なら 60 秒"));
    }

    #[test]
    fn closed_port_answers_rst_ack_seq_0() {
        for relative in [false, true] {
            let h = simulate(&Params {
                scenario: Scenario::ClosedPort,
                seed: 0,
                relative,
            });
            let rst = &h.steps[1];
            assert_eq!(rst.flags, [Flag::Rst, Flag::Ack]);
            assert_eq!(rst.seq, Some(0));
            let a1 = if relative { 1 } else { DEFAULT_CLIENT_ISN + 1 };
            assert_eq!(rst.ack, Some(a1));
            assert!(rst.explain.contains("ECONNREFUSED"));
        }
    }

    #[test]
    fn close_numbers_and_time_wait() {
        let h = run(Scenario::Close);
        let (a, b) = (DEFAULT_CLIENT_ISN, DEFAULT_SERVER_ISN);
        let nums: Vec<_> = h.steps.iter().map(|s| (flags(s), s.seq, s.ack)).collect();
        assert_eq!(
            nums,
            vec![
                (vec!["FIN", "ACK"], Some(a + 101), Some(b + 1)),
                (vec!["ACK"], Some(b + 1), Some(a + 102)),
                (vec!["FIN", "ACK"], Some(b + 1), Some(a + 102)),
                (vec!["ACK"], Some(a + 102), Some(b + 2)),
                (vec![], None, None),
            ]
        );
        assert!(h.steps[3].explain.contains("2×MSL"));
        assert_eq!(h.steps[4].time_ms - h.steps[3].time_ms, 240_000);
        assert_eq!(h.steps[4].from, Side::Client);
    }

    #[test]
    fn json_shape() {
        let v = serde_json::to_value(run(Scenario::Normal)).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        let mut want = vec![
            "scenario",
            "seed",
            "relative",
            "client_isn",
            "server_isn",
            "initial",
            "steps",
        ];
        want.sort_unstable();
        let mut keys = keys;
        keys.sort();
        assert_eq!(keys, want);
        assert_eq!(v["scenario"], "normal");
        assert_eq!(v["initial"]["client_state"], "CLOSED");
        assert_eq!(v["initial"]["server_state"], "LISTEN");
        let s0 = &v["steps"][0];
        let mut step_keys: Vec<_> = s0.as_object().unwrap().keys().cloned().collect();
        step_keys.sort();
        let mut want_step = vec![
            "from",
            "flags",
            "seq",
            "ack",
            "len",
            "lost",
            "time_ms",
            "client_state",
            "server_state",
            "note",
            "explain",
        ];
        want_step.sort_unstable();
        assert_eq!(step_keys, want_step);
        assert_eq!(s0["from"], "client");
        assert_eq!(s0["flags"], serde_json::json!(["SYN"]));
        assert_eq!(s0["ack"], serde_json::Value::Null);
        assert_eq!(s0["client_state"], "SYN-SENT");
        assert_eq!(v["steps"][1]["flags"], serde_json::json!(["SYN", "ACK"]));
        let close = serde_json::to_value(run(Scenario::Close)).unwrap();
        assert_eq!(close["steps"][0]["client_state"], "FIN-WAIT-1");
        assert_eq!(close["scenario"], "close");
        let sim = serde_json::to_value(run(Scenario::SimultaneousOpen)).unwrap();
        assert_eq!(sim["scenario"], "simultaneous-open");
    }

    #[test]
    fn every_step_is_explained_in_japanese() {
        for scenario in Scenario::ALL {
            for relative in [false, true] {
                let h = simulate(&Params {
                    scenario,
                    seed: 5,
                    relative,
                });
                for s in &h.steps {
                    assert!(!s.note.is_empty() && !s.explain.is_empty());
                    assert!(s.note.chars().any(|c| c > '\u{3000}'), "{}", s.note);
                }
            }
        }
    }

    #[test]
    fn predict_check_grades_numbers_and_states() {
        let h = run(Scenario::Normal);
        let r = predict_check(&h, 1, Field::Ack, "3,141,592,654").unwrap();
        assert!(r.correct);
        assert_eq!(r.expected, "3141592654");
        let r = predict_check(&h, 1, Field::Ack, "3141592653").unwrap();
        assert!(!r.correct);
        assert!(r.explain.contains("+1"));
        assert!(predict_check(&h, 0, Field::Ack, "なし").unwrap().correct);
        assert!(!predict_check(&h, 0, Field::Ack, "0").unwrap().correct);
        assert!(
            predict_check(&h, 0, Field::ClientState, "syn_sent")
                .unwrap()
                .correct
        );
        assert!(
            predict_check(&h, 1, Field::ServerState, "SYN-RECEIVED")
                .unwrap()
                .correct
        );
        assert!(predict_check(&h, 0, Field::ClientState, "WAITING").is_err());
        assert!(predict_check(&h, 0, Field::Seq, "abc").is_err());
        assert!(predict_check(&h, 0, Field::Seq, "4294967296").is_err());
        assert!(predict_check(&h, 99, Field::Seq, "1").is_err());
        assert!(
            predict_check(&h, 0, Field::Seq, "３１４１５９２６５３")
                .unwrap()
                .correct
        );
    }

    #[test]
    fn params_from_query_defaults_and_rejections() {
        let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert_eq!(params_from_query(&q(&[])), Ok(Params::default()));
        assert_eq!(
            params_from_query(&q(&[
                ("scenario", "lost-ack"),
                ("seed", "7"),
                ("relative", "on"),
                ("x", "y")
            ])),
            Ok(Params {
                scenario: Scenario::LostAck,
                seed: 7,
                relative: true
            })
        );
        let err = params_from_query(&q(&[("scenario", "nope")])).unwrap_err();
        assert!(
            err.0.contains("scenario") && err.0.contains("closed-port"),
            "{err}"
        );
        assert!(params_from_query(&q(&[("seed", "-1")])).is_err());
        assert!(params_from_query(&q(&[("relative", "maybe")])).is_err());
        for s in Scenario::ALL {
            assert_eq!(Scenario::from_name(s.name()), Some(s));
        }
    }
}
