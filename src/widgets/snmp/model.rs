//! The SNMP model's types: who sends what to which UDP port, the PDUs with their variable bindings, the
//! events between them, the rate a poll computes, and a whole run.

use serde::Serialize;

use super::Scenario;
use super::mib::Syntax;

/// The manager's address and the UDP port its requests leave from (an ephemeral port, an example).
pub const MANAGER: (&str, u16) = ("192.0.2.10", 50_123);
/// The agent's address; it listens on UDP 161 (RFC 3417 §3.2).
pub const AGENT: (&str, u16) = ("192.0.2.1", 161);
/// The agent receives requests on UDP 161 (RFC 3417 §3.2).
pub const AGENT_PORT: u16 = 161;
/// Notification receivers listen on UDP 162 (RFC 3417 §3.2).
pub const TRAP_PORT: u16 = 162;
/// The ephemeral port the agent's notifications leave from in this model (an example).
pub const AGENT_NOTIFY_PORT: u16 = 40_161;
/// The read-only community of these scenarios.
pub const READ_COMMUNITY: &str = "public";
/// The read-write community.
pub const WRITE_COMMUNITY: &str = "private";
/// One-way delay on the model's network; only the timeline's spacing depends on it.
pub const ONE_WAY_MS: u64 = 2;
/// How long the agent waits for the Response to an InformRequest before sending it again (an
/// example value; the notification originator chooses it, RFC 3413 §3.3).
pub const INFORM_TIMEOUT_MS: u64 = 1_000;

/// The two roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The manager (NMS): asks, and receives notifications.
    Manager,
    /// The agent on the managed device.
    Agent,
}

/// A PDU type of RFC 3416 §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Pdu {
    /// Read the named instances.
    GetRequest,
    /// Read the instance after each named OID.
    GetNextRequest,
    /// Several GetNexts in one request.
    GetBulkRequest,
    /// Write the named instances.
    SetRequest,
    /// The answer to any of the above, and to an InformRequest.
    Response,
    /// An unacknowledged notification.
    #[serde(rename = "SNMPv2-Trap")]
    Trap,
    /// An acknowledged notification.
    InformRequest,
}

impl Pdu {
    /// The name as RFC 3416 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Pdu::GetRequest => "GetRequest",
            Pdu::GetNextRequest => "GetNextRequest",
            Pdu::GetBulkRequest => "GetBulkRequest",
            Pdu::SetRequest => "SetRequest",
            Pdu::Response => "Response",
            Pdu::Trap => "SNMPv2-Trap",
            Pdu::InformRequest => "InformRequest",
        }
    }
}

/// A Response's error-status (RFC 3416 §3); the model uses these four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorStatus {
    /// Success.
    NoError,
    /// The variable is outside what this community may write (its MIB view).
    NoAccess,
    /// The object cannot be written by anyone (read-only in the MIB).
    NotWritable,
}

impl ErrorStatus {
    /// The name as RFC 3416 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorStatus::NoError => "noError",
            ErrorStatus::NoAccess => "noAccess",
            ErrorStatus::NotWritable => "notWritable",
        }
    }
}

/// Every error-status name of RFC 3416 §3, for reading a learner's answer.
pub const ERROR_STATUS_NAMES: [&str; 19] = [
    "noError",
    "tooBig",
    "noSuchName",
    "badValue",
    "readOnly",
    "genErr",
    "noAccess",
    "wrongType",
    "wrongLength",
    "wrongEncoding",
    "wrongValue",
    "noCreation",
    "inconsistentValue",
    "resourceUnavailable",
    "commitFailed",
    "undoFailed",
    "authorizationError",
    "notWritable",
    "inconsistentName",
];

/// One variable binding: an OID and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VarBind {
    /// Dotted OID.
    pub oid: String,
    /// The same OID by name (`sysDescr.0`).
    pub name: String,
    /// The value's syntax (`Null` in a request).
    pub syntax: Syntax,
    /// The value as shown; empty for `Null`.
    pub value: String,
}

/// What a poll computes from two samples of a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rate {
    /// 32 for ifInOctets (Counter32), 64 for ifHCInOctets (Counter64).
    pub counter_bits: u32,
    /// The counter at the previous poll.
    pub previous: u64,
    /// The counter now.
    pub current: u64,
    /// current − previous, modulo 2^counter_bits.
    pub delta: u64,
    /// The counter passed 2^counter_bits (current < previous).
    pub wrapped: bool,
    /// Seconds between the polls, from the two sysUpTime values (ticks ÷ 100).
    pub seconds: u64,
    /// What the manager computes: delta × 8 ÷ seconds, rounded down.
    pub bits_per_second: u64,
    /// What really went through the interface in that time.
    pub actual_bits_per_second: u64,
    /// The counter wrapped more than once between the polls: the computed rate is wrong and nothing in
    /// the two samples can tell.
    pub ambiguous: bool,
}

/// What a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A PDU in a UDP datagram.
    Pdu,
    /// Something that happens at one end, without a datagram (a link goes down, a timer, a computation).
    Event,
}

/// What a learner may predict about a step in 予想モード.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The first OID a Response carries (the next OID of a walk).
    Oid,
    /// A Response's error-status.
    ErrorStatus,
    /// How many variable bindings a GetBulk Response carries.
    Count,
    /// The bits/s a poll computes.
    Rate,
    /// The datagram's destination UDP port.
    Port,
    /// Whether a notification is answered by a Response.
    Acked,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 6] = [
        Field::Oid,
        Field::ErrorStatus,
        Field::Count,
        Field::Rate,
        Field::Port,
        Field::Acked,
    ];

    /// The name in JSON and the database.
    pub fn name(self) -> &'static str {
        match self {
            Field::Oid => "oid",
            Field::ErrorStatus => "error_status",
            Field::Count => "count",
            Field::Rate => "rate",
            Field::Port => "port",
            Field::Acked => "acked",
        }
    }

    /// The field with this name.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The field in Japanese, as the widget asks and the instructor's tables name it.
    pub fn label(self) -> &'static str {
        match self {
            Field::Oid => "返ってくる OID",
            Field::ErrorStatus => "error-status",
            Field::Count => "variable bindings の数",
            Field::Rate => "計算される bits/s",
            Field::Port => "宛先 UDP ポート",
            Field::Acked => "Response が返るか",
        }
    }
}

/// One step: a PDU or an event, with what it means and where that is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// PDU or event.
    pub kind: Kind,
    /// Who sends the PDU, or where the event happens.
    pub from: Role,
    /// The PDU type; `None` for an event.
    pub pdu: Option<Pdu>,
    /// UDP source port.
    pub src_port: Option<u16>,
    /// UDP destination port.
    pub dst_port: Option<u16>,
    /// The community string, sent in cleartext in v1/v2c.
    pub community: Option<&'static str>,
    /// The request-id a Response repeats.
    pub request_id: Option<u32>,
    /// GetBulk's non-repeaters.
    pub non_repeaters: Option<u32>,
    /// GetBulk's max-repetitions.
    pub max_repetitions: Option<u32>,
    /// A Response's error-status.
    pub error_status: Option<ErrorStatus>,
    /// A Response's error-index (1-based; 0 without error).
    pub error_index: Option<u32>,
    /// The variable bindings.
    pub varbinds: Vec<VarBind>,
    /// The datagram never arrives.
    pub lost: bool,
    /// A poll's computation (manager events only).
    pub rate: Option<Rate>,
    /// When it happens, in ms from the start.
    pub time_ms: u64,
    /// What 予想モード may ask here, the usual question first.
    pub ask: Vec<Field>,
    /// One line saying what happens.
    pub note: String,
    /// Why, in full sentences.
    pub explain: String,
    /// Where it is written (RFC section, man page).
    pub source: String,
}

/// One object of the agent as the MIB panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MibRow {
    /// Dotted OID.
    pub oid: String,
    /// By name.
    pub name: String,
    /// Its syntax.
    pub syntax: Syntax,
    /// Its value at the start.
    pub value: String,
    /// read-write or read-only.
    pub access: &'static str,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    /// The story.
    pub scenario: Scenario,
    /// ifTable rows.
    pub interfaces: u32,
    /// GetBulk non-repeaters.
    pub non_repeaters: u32,
    /// GetBulk max-repetitions.
    pub max_repetitions: u32,
    /// Trap/Inform: the first one is lost.
    pub lost: bool,
    /// Poll interval, s.
    pub interval: u32,
    /// Poll: full-load traffic, Mbit/s.
    pub rate_mbps: u32,
    /// Poll: the 64-bit counter.
    pub hc: bool,
    /// The manager's address.
    pub manager: String,
    /// The agent's address.
    pub agent: String,
    /// The agent's objects at the start, in OID order.
    pub mib: Vec<MibRow>,
    /// The steps in order.
    pub steps: Vec<Step>,
    /// What the run shows, in one sentence.
    pub outcome: String,
}
