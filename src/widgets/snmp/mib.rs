//! The agent's MIB: the objects a small Linux agent answers for (the system group of RFC 3418 and the
//! ifTable of RFC 1213 / RFC 2863 with ifHCInOctets from ifXTable), kept in lexicographic OID order so
//! GetNext is "the first object after this OID" (RFC 3416 §4.2.2), and the names the widget writes OIDs
//! with (`sysDescr.0`, `ifDescr.2`).

use serde::Serialize;

/// An object identifier as its sub-identifiers. `Vec`'s ordering is the OID ordering SNMP uses:
/// sub-identifier by sub-identifier, a prefix before everything under it.
pub type Oid = Vec<u32>;

/// `system` (RFC 3418): 1.3.6.1.2.1.1.
pub const SYSTEM: &[u32] = &[1, 3, 6, 1, 2, 1, 1];
/// `sysUpTime.0` (RFC 3418), TimeTicks in hundredths of a second.
pub const SYS_UPTIME_0: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
/// `ifTable` (RFC 1213, RFC 2863): 1.3.6.1.2.1.2.2.
pub const IF_TABLE: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2];
/// `ifEntry`: the table's row; a column is `ifEntry.<column>`, a cell `ifEntry.<column>.<ifIndex>`.
pub const IF_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1];
/// `ifHCInOctets` (RFC 2863 ifXTable), Counter64.
pub const IF_HC_IN_OCTETS: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6];
/// `snmpTrapOID.0` (RFC 3418), the second variable binding of every notification (RFC 3416 §4.2.6).
pub const SNMP_TRAP_OID_0: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
/// `linkDown` (RFC 2863): 1.3.6.1.6.3.1.1.5.3.
pub const LINK_DOWN: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 3];

/// ifEntry columns in this agent: ifIndex, ifDescr, ifAdminStatus, ifOperStatus, ifInOctets, ifOutOctets.
pub const IF_COLUMNS: [u32; 6] = [1, 2, 7, 8, 10, 16];
/// Column numbers of ifInOctets and ifOutOctets (Counter32).
pub const IF_IN_OCTETS: u32 = 10;
const IF_OUT_OCTETS: u32 = 16;
/// ifAdminStatus and ifOperStatus columns (INTEGER up(1), down(2)).
pub const IF_ADMIN_STATUS: u32 = 7;
/// See [`IF_ADMIN_STATUS`].
pub const IF_OPER_STATUS: u32 = 8;

/// Names of the OIDs the widget knows, longest match wins: `1.3.6.1.2.1.1.5.0` is `sysName.0`.
const NAMES: &[(&[u32], &str)] = &[
    (&[1, 3, 6, 1, 2, 1], "mib-2"),
    (SYSTEM, "system"),
    (&[1, 3, 6, 1, 2, 1, 1, 1], "sysDescr"),
    (&[1, 3, 6, 1, 2, 1, 1, 2], "sysObjectID"),
    (&[1, 3, 6, 1, 2, 1, 1, 3], "sysUpTime"),
    (&[1, 3, 6, 1, 2, 1, 1, 4], "sysContact"),
    (&[1, 3, 6, 1, 2, 1, 1, 5], "sysName"),
    (&[1, 3, 6, 1, 2, 1, 1, 6], "sysLocation"),
    (&[1, 3, 6, 1, 2, 1, 2], "interfaces"),
    (IF_TABLE, "ifTable"),
    (IF_ENTRY, "ifEntry"),
    (&[1, 3, 6, 1, 2, 1, 2, 2, 1, 1], "ifIndex"),
    (&[1, 3, 6, 1, 2, 1, 2, 2, 1, 2], "ifDescr"),
    (&[1, 3, 6, 1, 2, 1, 2, 2, 1, 7], "ifAdminStatus"),
    (&[1, 3, 6, 1, 2, 1, 2, 2, 1, 8], "ifOperStatus"),
    (&[1, 3, 6, 1, 2, 1, 2, 2, 1, 10], "ifInOctets"),
    (&[1, 3, 6, 1, 2, 1, 2, 2, 1, 16], "ifOutOctets"),
    (&[1, 3, 6, 1, 2, 1, 31, 1, 1], "ifXTable"),
    (&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1], "ifXEntry"),
    (IF_HC_IN_OCTETS, "ifHCInOctets"),
    (&[1, 3, 6, 1, 6, 3, 1, 1, 4, 1], "snmpTrapOID"),
    (LINK_DOWN, "linkDown"),
    (&[1, 3, 6, 1, 6, 3, 1, 1, 5, 4], "linkUp"),
];

/// An object's syntax (RFC 2578 §7.1), spelled as SMIv2 does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Syntax {
    /// A byte string (sysDescr, ifDescr).
    #[serde(rename = "OCTET STRING")]
    OctetString,
    /// An OID as a value (sysObjectID, snmpTrapOID).
    #[serde(rename = "OBJECT IDENTIFIER")]
    ObjectIdentifier,
    /// Hundredths of a second (sysUpTime).
    TimeTicks,
    /// A whole number or an enumeration (ifIndex, ifOperStatus).
    #[serde(rename = "INTEGER")]
    Integer,
    /// A 32-bit counter that wraps at 2³² (RFC 2578 §7.1.6).
    Counter32,
    /// A 64-bit counter (RFC 2578 §7.1.10).
    Counter64,
    /// No value: what a request carries (RFC 3416 §3, `unSpecified`).
    Null,
    /// The exception value past the last object (RFC 3416 §4.2.2).
    #[serde(rename = "endOfMibView")]
    EndOfMibView,
    /// The exception value for a name under an object type but not one of its instances (RFC 3416 §4.2.1).
    #[serde(rename = "noSuchInstance")]
    NoSuchInstance,
}

/// One object instance the agent holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Its OID.
    pub oid: Oid,
    /// Its syntax.
    pub syntax: Syntax,
    /// Its value as shown (`"eth0"`, `4200000000`, `up(1)`).
    pub value: String,
    /// Whether a SetRequest with write access may change it (read-write in the MIB).
    pub writable: bool,
}

/// Traffic already counted on each interface when a scenario starts: (in, out) octets. All below 2³²,
/// so ifHCInOctets and ifInOctets start equal; eth0's ifInOctets is 94 MB short of wrapping.
const OCTETS: [(u64, u64); 4] = [
    (1_234_567, 1_234_567),
    (4_200_000_000, 3_100_000_000),
    (987_654_321, 123_456_789),
    (55_555_555, 44_444_444),
];
/// ifInOctets of interface `index` (1-based) when a scenario starts.
pub fn start_in_octets(index: u32) -> u64 {
    OCTETS[(index.clamp(1, 4) - 1) as usize].0
}

/// The interfaces' names, ifIndex 1 first.
const IF_NAMES: [&str; 4] = ["lo", "eth0", "eth1", "eth2"];

/// The agent's objects in lexicographic OID order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mib {
    objects: Vec<Object>,
}

impl Mib {
    /// The agent with `interfaces` rows in ifTable (2–4; row 1 is `lo`, row 2 `eth0`) and sysUpTime
    /// `uptime` ticks.
    pub fn agent(interfaces: u32, uptime: u64) -> Mib {
        let text = |s: &str| format!("\"{s}\"");
        let mut objects = vec![
            obj(
                &[1, 3, 6, 1, 2, 1, 1, 1, 0],
                Syntax::OctetString,
                text("Linux router1 6.18.0 x86_64"),
                false,
            ),
            obj(
                &[1, 3, 6, 1, 2, 1, 1, 2, 0],
                Syntax::ObjectIdentifier,
                "1.3.6.1.4.1.8072.3.2.10".into(),
                false,
            ),
            obj(SYS_UPTIME_0, Syntax::TimeTicks, uptime.to_string(), false),
            obj(
                &[1, 3, 6, 1, 2, 1, 1, 4, 0],
                Syntax::OctetString,
                text("noc@example.jp"),
                true,
            ),
            obj(
                &[1, 3, 6, 1, 2, 1, 1, 5, 0],
                Syntax::OctetString,
                text("router1"),
                true,
            ),
            obj(
                &[1, 3, 6, 1, 2, 1, 1, 6, 0],
                Syntax::OctetString,
                text("東京 DC 3F"),
                true,
            ),
        ];
        let rows = interfaces.clamp(1, 4);
        for column in IF_COLUMNS {
            for index in 1..=rows {
                let i = (index - 1) as usize;
                let (syntax, value) = match column {
                    1 => (Syntax::Integer, index.to_string()),
                    2 => (Syntax::OctetString, text(IF_NAMES[i])),
                    IF_ADMIN_STATUS | IF_OPER_STATUS => (Syntax::Integer, "up(1)".into()),
                    IF_IN_OCTETS => (Syntax::Counter32, OCTETS[i].0.to_string()),
                    _ => (Syntax::Counter32, OCTETS[i].1.to_string()),
                };
                let mut oid = IF_ENTRY.to_vec();
                oid.extend([column, index]);
                objects.push(Object {
                    oid,
                    syntax,
                    value,
                    writable: column == IF_ADMIN_STATUS,
                });
            }
        }
        debug_assert!(IF_COLUMNS.contains(&IF_OUT_OCTETS));
        for index in 1..=rows {
            let mut oid = IF_HC_IN_OCTETS.to_vec();
            oid.push(index);
            objects.push(Object {
                oid,
                syntax: Syntax::Counter64,
                value: OCTETS[(index - 1) as usize].0.to_string(),
                writable: false,
            });
        }
        objects.sort_by(|a, b| a.oid.cmp(&b.oid));
        Mib { objects }
    }

    /// Every object, in OID order.
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// The object at exactly `oid` (GetRequest, SetRequest).
    pub fn get(&self, oid: &[u32]) -> Option<&Object> {
        self.objects.iter().find(|o| o.oid == oid)
    }

    /// The first object whose OID is greater than `oid` (GetNextRequest, RFC 3416 §4.2.2); `None` at the
    /// end of the MIB view (the Response then carries endOfMibView).
    pub fn next(&self, oid: &[u32]) -> Option<&Object> {
        self.objects.iter().find(|o| o.oid.as_slice() > oid)
    }

    /// Changes an object's value (a SetRequest that succeeded, a counter that moved on).
    pub fn set(&mut self, oid: &[u32], value: String) {
        if let Some(o) = self.objects.iter_mut().find(|o| o.oid == oid) {
            o.value = value;
        }
    }
}

fn obj(oid: &[u32], syntax: Syntax, value: String, writable: bool) -> Object {
    Object {
        oid: oid.to_vec(),
        syntax,
        value,
        writable,
    }
}

/// An ifEntry cell's OID: `ifEntry.<column>.<index>`.
pub fn if_cell(column: u32, index: u32) -> Oid {
    let mut oid = IF_ENTRY.to_vec();
    oid.extend([column, index]);
    oid
}

/// `1.3.6.1.2.1.1.3.0`.
pub fn dotted(oid: &[u32]) -> String {
    oid.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

/// The OID with its name: `sysUpTime.0`, `ifDescr.2`, `system`; an OID under no known name stays dotted.
pub fn symbol(oid: &[u32]) -> String {
    let best = NAMES
        .iter()
        .filter(|(prefix, _)| oid.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len());
    match best {
        Some((prefix, name)) => {
            let rest = &oid[prefix.len()..];
            if rest.is_empty() {
                (*name).to_owned()
            } else {
                format!("{name}.{}", dotted(rest))
            }
        }
        None => dotted(oid),
    }
}

/// Reads an OID as a learner writes it: dotted (`1.3.6.1.2.1.1.2.0`, a leading `.` allowed) or by name
/// (`sysObjectID.0`, case ignored). `None` when it is neither.
pub fn parse_oid(text: &str) -> Option<Oid> {
    let text = text.trim().trim_start_matches('.');
    if text.is_empty() || text.len() > 120 {
        return None;
    }
    let (head, tail) = match text.split_once('.') {
        Some((h, t)) => (h, Some(t)),
        None => (text, None),
    };
    let mut oid: Oid = if head.bytes().all(|b| b.is_ascii_digit()) {
        vec![head.parse().ok()?]
    } else {
        let (prefix, _) = NAMES.iter().find(|(_, n)| n.eq_ignore_ascii_case(head))?;
        prefix.to_vec()
    };
    if let Some(tail) = tail {
        for part in tail.split('.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            oid.push(part.parse().ok()?);
        }
    }
    Some(oid)
}
