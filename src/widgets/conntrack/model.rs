//! The firewall comparison's types: packets, the two filters' verdicts, conntrack states, and a whole
//! run with the `conntrack -L` table after each packet.

use serde::{Serialize, Serializer};

use super::Scenario;

/// Which way a packet crosses the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// From the client inside (192.168.1.10) to the outside.
    Out,
    /// From the outside towards the client.
    In,
}

/// The packet's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP (6).
    Tcp,
    /// UDP (17).
    Udp,
    /// ICMP (1).
    Icmp,
}

/// The `ct state` of a packet as nftables matches it (conntrack's view of the packet, not the TCP
/// state column of `conntrack -L`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtState {
    /// The first packet of a flow conntrack has not seen.
    New,
    /// A packet of a flow that has seen traffic both ways, or a reply.
    Established,
    /// A new flow expected by a helper, or an ICMP error about a tracked flow.
    Related,
    /// A packet conntrack cannot place.
    Invalid,
}

impl CtState {
    /// Every state, as `ct state` names them.
    pub const ALL: [CtState; 4] = [
        CtState::New,
        CtState::Established,
        CtState::Related,
        CtState::Invalid,
    ];

    /// The name as nftables and conntrack write it.
    pub fn as_str(self) -> &'static str {
        match self {
            CtState::New => "NEW",
            CtState::Established => "ESTABLISHED",
            CtState::Related => "RELATED",
            CtState::Invalid => "INVALID",
        }
    }

    /// Reads a learner's answer (case and spaces forgiven).
    pub fn from_answer(answer: &str) -> Option<CtState> {
        let norm = answer.trim().to_ascii_uppercase();
        CtState::ALL.into_iter().find(|s| s.as_str() == norm)
    }
}

impl Serialize for CtState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One packet as it crosses the filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Packet {
    /// Which way.
    pub dir: Dir,
    /// The protocol.
    pub proto: Proto,
    /// Source address.
    pub src: String,
    /// Source port (none for ICMP).
    pub sport: Option<u16>,
    /// Destination address.
    pub dst: String,
    /// Destination port (none for ICMP).
    pub dport: Option<u16>,
    /// TCP flags set (`SYN`, `ACK`), empty for other protocols.
    pub flags: Vec<&'static str>,
    /// What it is, in a few words: 「SYN」「DNS 応答」「227 Entering Passive Mode (…)」.
    pub what: String,
}

/// One filter's decision on a packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Let through.
    pub accept: bool,
    /// The rule that decided (`S2`, `F1`), or `policy` when none matched.
    pub rule: &'static str,
}

/// A rule as the widget lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Its id in the tables (`S1`…, `F1`…, `H`).
    pub id: &'static str,
    /// The rule as written (nft syntax for the stateful table).
    pub text: String,
}

/// One packet and both filters' handling of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The packet.
    pub packet: Packet,
    /// The static filter's verdict.
    pub static_verdict: Verdict,
    /// conntrack's classification of the packet.
    pub ct_state: CtState,
    /// The stateful filter's verdict.
    pub stateful: Verdict,
    /// `conntrack -L` after the packet, one line per entry, newest first.
    pub table: Vec<String>,
    /// `conntrack -L expect` after the packet.
    pub expect: Vec<String>,
    /// One line saying what happens.
    pub note: String,
    /// Why, for both filters, in です・ます.
    pub explain: String,
    /// Where the facts come from.
    pub source: String,
}

/// How a run ends for each filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Packets the static filter let through, of all.
    pub static_accepted: usize,
    /// Packets the stateful filter let through, of all.
    pub stateful_accepted: usize,
    /// One paragraph comparing the two.
    pub summary: String,
}

/// A whole run as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conntrack {
    /// The traffic.
    pub scenario: Scenario,
    /// The name this run is stored under (`stray-ack+strict` when loose is 0).
    pub name: String,
    /// `nf_conntrack_tcp_loose`.
    pub loose: bool,
    /// The ftp helper is attached to port 21.
    pub helper: bool,
    /// The static filter's rules, in order.
    pub static_rules: Vec<Rule>,
    /// The stateful filter's ruleset (nftables).
    pub stateful_rules: Vec<Rule>,
    /// `conntrack -L` before the first packet.
    pub initial_table: Vec<String>,
    /// The packets in order.
    pub steps: Vec<Step>,
    /// How it ends.
    pub outcome: Outcome,
}
