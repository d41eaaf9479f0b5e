//! SNMP v1/v2c messages in a capture's UDP payloads, decoded with `snmp-parser` (rusticata's BER
//! decoder, fuzzed and used by Suricata; BER from an untrusted capture is not parsed by hand here), into
//! what the lab compares with the SNMP widget — PDU type, request-id, error-status and -index, GetBulk's
//! two numbers, and each variable binding's OID, syntax and value — and into one tcpdump-like line.

use snmp_parser::{ObjectSyntax, SnmpPdu, VarBindValue, parse_snmp_v1, parse_snmp_v2c};

use crate::widgets::snmp::mib::symbol;

/// One SNMP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// 0 for v1, 1 for v2c (as the message encodes it).
    pub version: u32,
    /// The community string, sent in cleartext.
    pub community: String,
    /// The PDU type as the widget names it (RFC 3416): `GetRequest`, `Response`, `SNMPv2-Trap`…
    pub pdu: &'static str,
    /// The request-id (0 in a v1 Trap, which has none).
    pub request_id: u32,
    /// A Response's error-status (RFC 3416 §3), 0 = noError.
    pub error_status: u32,
    /// A Response's error-index.
    pub error_index: u32,
    /// GetBulk's non-repeaters and max-repetitions.
    pub bulk: Option<(u32, u32)>,
    /// The variable bindings in order.
    pub varbinds: Vec<VarBind>,
}

/// One variable binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarBind {
    /// Dotted OID.
    pub oid: String,
    /// The value's syntax, spelled as the widget's MIB spells it (`OCTET STRING`, `TimeTicks`,
    /// `Counter32`, `Null`, `endOfMibView`, `noSuchInstance`…).
    pub syntax: &'static str,
    /// The value as text: a string without quotes, a number, a dotted OID; empty for Null and the
    /// exceptions.
    pub value: String,
}

/// The PDU type's name (RFC 3416 §3 and RFC 1157 for v1's Trap).
fn pdu_name(tag: u32) -> &'static str {
    match tag {
        0 => "GetRequest",
        1 => "GetNextRequest",
        2 => "Response",
        3 => "SetRequest",
        4 => "Trap (v1)",
        5 => "GetBulkRequest",
        6 => "InformRequest",
        7 => "SNMPv2-Trap",
        8 => "Report",
        _ => "?",
    }
}

/// The error-status names of RFC 3416 §3, by number.
pub fn error_name(status: u32) -> &'static str {
    crate::widgets::snmp::ERROR_STATUS_NAMES
        .get(status as usize)
        .copied()
        .unwrap_or("?")
}

fn varbind(v: &snmp_parser::SnmpVariable<'_>) -> VarBind {
    let (syntax, value) = match &v.val {
        VarBindValue::Unspecified => ("Null", String::new()),
        VarBindValue::NoSuchObject => ("noSuchObject", String::new()),
        VarBindValue::NoSuchInstance => ("noSuchInstance", String::new()),
        VarBindValue::EndOfMibView => ("endOfMibView", String::new()),
        VarBindValue::Value(value) => match value {
            ObjectSyntax::Number(n) => ("INTEGER", n.to_string()),
            ObjectSyntax::String(s) => ("OCTET STRING", String::from_utf8_lossy(s).into_owned()),
            ObjectSyntax::Object(o) => ("OBJECT IDENTIFIER", o.to_id_string()),
            ObjectSyntax::Counter32(n) => ("Counter32", n.to_string()),
            ObjectSyntax::Gauge32(n) => ("Gauge32", n.to_string()),
            ObjectSyntax::TimeTicks(n) => ("TimeTicks", n.to_string()),
            ObjectSyntax::Counter64(n) => ("Counter64", n.to_string()),
            ObjectSyntax::IpAddress(a) => ("IpAddress", format!("{a:?}")),
            _ => ("?", String::new()),
        },
    };
    VarBind {
        oid: v.oid.to_id_string(),
        syntax,
        value,
    }
}

/// The SNMP message in a UDP payload, or `None` when it is not one (or not v1/v2c).
pub fn parse(payload: &[u8]) -> Option<Message> {
    let (_, msg) = parse_snmp_v2c(payload)
        .or_else(|_| parse_snmp_v1(payload))
        .ok()?;
    let (pdu, request_id, error_status, error_index, bulk) = match &msg.pdu {
        SnmpPdu::Generic(p) => (pdu_name(p.pdu_type.0), p.req_id, p.err.0, p.err_index, None),
        SnmpPdu::Bulk(p) => (
            pdu_name(5),
            p.req_id,
            0,
            0,
            Some((p.non_repeaters, p.max_repetitions)),
        ),
        SnmpPdu::TrapV1(_) => (pdu_name(4), 0, 0, 0, None),
    };
    Some(Message {
        version: msg.version,
        community: msg.community.clone(),
        pdu,
        request_id,
        error_status,
        error_index,
        bulk,
        varbinds: msg.vars_iter().map(varbind).collect(),
    })
}

/// The message in one line, the way tcpdump prints SNMP: community, PDU, request-id, the error if
/// any, and each binding by name (`sysUpTime.0=TimeTicks 8640000`). `None` when it is not SNMP.
pub fn summary(payload: &[u8]) -> Option<String> {
    let m = parse(payload)?;
    let version = if m.version == 0 { "v1" } else { "v2c" };
    let mut line = format!(
        "SNMP{version} C=\"{}\" {} R={}",
        m.community, m.pdu, m.request_id
    );
    if let Some((n, r)) = m.bulk {
        line.push_str(&format!(" N={n} M={r}"));
    }
    if m.error_status != 0 {
        line.push_str(&format!(
            " {}@{}",
            error_name(m.error_status),
            m.error_index
        ));
    }
    for vb in &m.varbinds {
        let name = vb
            .oid
            .split('.')
            .map(|p| p.parse::<u32>())
            .collect::<Result<Vec<_>, _>>()
            .map_or_else(|_| vb.oid.clone(), |oid| symbol(&oid));
        match vb.syntax {
            "Null" => line.push_str(&format!(" {name}")),
            "noSuchObject" | "noSuchInstance" | "endOfMibView" => {
                line.push_str(&format!(" {name}={}", vb.syntax));
            }
            "OCTET STRING" => line.push_str(&format!(" {name}=\"{}\"", vb.value)),
            syntax => line.push_str(&format!(" {name}={syntax} {}", vb.value)),
        }
    }
    Some(line)
}
