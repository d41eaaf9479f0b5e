//! The PMTUD simulator's types: the hosts and routers of the path, one packet (or timer) per step
//! with where it ends up, and a whole run with its outcome.

use serde::Serialize;

use super::Filter;

/// A's and B's link MTU, and the MTU of every link but the tunnel (Ethernet).
pub const LINK_MTU: u16 = 1500;
/// IPv4 header without options (RFC 791 §3.1) plus the TCP header without options (RFC 9293 §3.1).
pub const V4_OVERHEAD: u16 = 40;
/// IPv6 fixed header (RFC 8200 §3) plus the TCP header.
pub const V6_OVERHEAD: u16 = 60;
/// Bytes of TCP options in a SYN (MSS, SACK permitted, timestamps, window scale, padding).
pub const SYN_OPTIONS: u16 = 20;
/// Data bytes in the small request A sends before the bulk data.
pub const SMALL_REQUEST: u16 = 200;
/// Linux `tcp_base_mss`: the MSS PLPMTUD falls back to (1024 on this kernel, 6.18; tcp(7)).
pub const LINUX_BASE_MSS: u16 = 1024;
/// The TCP timestamp option as Linux sends it on data segments (10 bytes and 2 of padding, RFC 7323
/// §3; `tcp_timestamps = 1` by default, tcp(7)): what PLPMTUD's fallback packet carries beyond
/// tcp_base_mss and the bare headers.
pub const LINUX_TIMESTAMP_OPTION: u16 = 12;
/// Linux `tcp_probe_threshold`: probing stops once the search range is narrower (8 here; tcp(7)).
pub const LINUX_PROBE_THRESHOLD: u16 = 8;
/// Linux `tcp_retries2`: retransmissions in ESTABLISHED before giving up (tcp(7)).
pub const LINUX_TCP_RETRIES2: u32 = 15;
/// Linux `tcp_retries1`: retransmissions after which black-hole detection starts (tcp(7)).
pub const LINUX_TCP_RETRIES1: u32 = 3;
/// The index in `steps` of the first full-sized segment: where 予想モード stops and asks.
pub const ASK_STEP: usize = 3;

/// A host or router on the path A – FW – R1 – tunnel – R2 – B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Node {
    /// The sender of the bulk data (MTU 1500).
    A,
    /// The firewall in front of A, where ICMP is filtered.
    Fw,
    /// The router at the tunnel's entrance.
    R1,
    /// The router at the tunnel's exit.
    R2,
    /// The receiver (MTU 1500).
    B,
}

/// What a step carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// TCP SYN (with the MSS option).
    Syn,
    /// TCP SYN,ACK.
    SynAck,
    /// A small TCP segment (the handshake's ACK with a small request).
    Small,
    /// A full-sized data segment.
    Data,
    /// IPv4 ICMP type 3 code 4, or ICMPv6 type 2 Packet Too Big.
    TooBig,
    /// A retransmission timeout and what A resends.
    Timeout,
    /// A PLPMTUD probe (a segment of a size being tried).
    Probe,
    /// An acknowledgment of the data.
    Ack,
    /// A ping: Echo Request from B to A.
    Ping,
    /// A gives up on the connection.
    GiveUp,
}

/// Where a step's packet ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fate {
    /// It reaches its destination.
    Delivered,
    /// R1 drops it: too big for the tunnel with DF set (or IPv6).
    TooBig,
    /// The firewall in front of A drops it.
    Filtered,
    /// R1 splits it into fragments that B reassembles (IPv4, DF clear).
    Fragmented,
    /// No packet: a timer or a decision.
    Event,
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What is sent.
    pub kind: Kind,
    /// The sender.
    pub from: Node,
    /// The destination.
    pub to: Node,
    /// IP packet size in bytes (header included); 0 for an event.
    pub size: u16,
    /// The DF bit (IPv4); `None` in IPv6 and for events.
    pub df: Option<bool>,
    /// Where it ends up.
    pub fate: Fate,
    /// The node it stops at (its destination when delivered).
    pub stops_at: Node,
    /// Fragment sizes when R1 splits it (IPv4 total lengths).
    pub fragments: Vec<u16>,
    /// The MSS option a SYN or SYN,ACK carries when it arrives (after any clamping).
    pub mss_option: Option<u16>,
    /// A short label for the diagram: 「SYN 60 B」.
    pub label: String,
    /// One line saying what happens.
    pub note: String,
    /// Why, in です・ます.
    pub explain: String,
    /// Where the facts come from (RFC sections, man pages).
    pub source: String,
    /// A's path MTU to B after this step: what the IP layer records (`ip route get` shows it).
    pub pmtu: u16,
    /// The MSS A's TCP sends with after this step.
    pub mss: u16,
}

/// How a run ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The bulk transfer completes.
    pub completes: bool,
    /// A's path MTU to B at the end (1500 when A never learnt a smaller one).
    pub pmtu: u16,
    /// The MSS A ends up sending with.
    pub mss: u16,
    /// B's ping to A gets an answer.
    pub ping: bool,
    /// One paragraph: what happened and why.
    pub summary: String,
}

/// A whole run as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pmtud {
    /// The name this setup is stored under (a preset's, or `v4+echo+clamp`).
    pub scenario: String,
    /// The setup in Japanese.
    pub label: String,
    /// The filter in front of A.
    pub filter: Filter,
    /// IPv6 instead of IPv4.
    pub ipv6: bool,
    /// R1 clamps the MSS option.
    pub clamp: bool,
    /// A runs PLPMTUD.
    pub plpmtud: bool,
    /// A sets DF.
    pub df: bool,
    /// The tunnel's MTU.
    pub mtu: u16,
    /// Every other link's MTU.
    pub link_mtu: u16,
    /// IP + TCP header bytes: 40 (IPv4) or 60 (IPv6).
    pub overhead: u16,
    /// The index of the step 予想モード asks before.
    pub ask_step: usize,
    /// The steps in order.
    pub steps: Vec<Step>,
    /// How it ends.
    pub outcome: Outcome,
}
