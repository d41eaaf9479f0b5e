//! The decision model's types: the packet as headers by layer, and each device's verdict on the rule.

use serde::Serialize;

use super::{Params, Rule};

/// Where a header field lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// The IP header (L3).
    Ip,
    /// The TCP header (L4).
    Tcp,
    /// The TLS ClientHello, sent in clear before the keys exist.
    Tls,
    /// The application message (L7).
    App,
}

/// One field of the packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// `dst_ip`, `dst_port`, `sni`, `host`, `path`, `cookie`, …
    pub key: &'static str,
    pub part: Part,
    /// The name as shown (「宛先 IP」).
    pub label: &'static str,
    pub value: String,
    /// Inside TLS: unreadable without the key.
    pub encrypted: bool,
}

/// One device's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    /// 3, 4 or 7.
    pub layer: u8,
    /// 「L3 スイッチ（ルーター）」.
    pub label: &'static str,
    /// Keys of the fields this device reads in this packet.
    pub sees: Vec<&'static str>,
    /// It can apply the rule to this packet.
    pub can_apply: bool,
    /// The field it decides on (for Host without TLS termination: `sni`).
    pub uses: Option<&'static str>,
    /// When it can apply the rule: whether this packet matches it.
    pub matches: Option<bool>,
    /// Where the packet goes, when the device can apply the rule.
    pub decision: Option<String>,
    /// Why (です・ます).
    pub explain: String,
    /// The sources.
    pub source: String,
}

/// A whole evaluation: the packet, the rule, and the three devices in order L3, L4, L7.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The setup's stored name.
    pub scenario: String,
    pub label: String,
    /// The packet in one line.
    pub packet_line: String,
    pub params: Params,
    pub rule: Rule,
    pub rule_label: &'static str,
    pub fields: Vec<Field>,
    /// L3, L4, L7: the steps of the widget.
    pub devices: Vec<Device>,
    /// The lowest layer that can apply the rule (0: none).
    pub lowest: u8,
    /// One paragraph summing up.
    pub outcome: String,
}
