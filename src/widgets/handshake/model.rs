//! The TCP handshake model's types: states as RFC 9293 spells them, segments, and a whole run.

use serde::{Serialize, Serializer};

use super::Scenario;

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
    /// The seed the ISNs came from (0 for [`simulate_with_isns`](super::simulate_with_isns)).
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
