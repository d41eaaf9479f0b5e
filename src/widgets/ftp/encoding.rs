//! The PORT/PASV/EPSV/EPRT encodings of addresses and ports, the parsers of 227 and 229 replies,
//! and the port calculator the widget's exercises use.

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use crate::widgets::{ParamError, echo, query_u64, query_value};

/// (p1, p2) for a port in PORT/227: p1 = ⌊port/256⌋, p2 = port mod 256.
pub fn encode_port(port: u16) -> (u8, u8) {
    let [p1, p2] = port.to_be_bytes();
    (p1, p2)
}

/// The port p1×256 + p2.
pub fn decode_port(p1: u8, p2: u8) -> u16 {
    u16::from_be_bytes([p1, p2])
}

/// "h1,h2,h3,h4,p1,p2" as PORT and 227 write an address and port.
pub fn host_port(addr: Ipv4Addr, port: u16) -> String {
    let [h1, h2, h3, h4] = addr.octets();
    let (p1, p2) = encode_port(port);
    format!("{h1},{h2},{h3},{h4},{p1},{p2}")
}

/// The PORT command (RFC 959 §4.1.2), e.g. `PORT 203,0,113,5,192,0`.
pub fn port_command(addr: Ipv4Addr, port: u16) -> String {
    format!("PORT {}", host_port(addr, port))
}

/// The reply to PASV (RFC 959 §4.2), e.g. `227 Entering Passive Mode (198,51,100,7,195,80).`
pub fn pasv_reply(addr: Ipv4Addr, port: u16) -> String {
    format!("227 Entering Passive Mode ({}).", host_port(addr, port))
}

/// The reply to EPSV (RFC 2428 §3), e.g. `229 Entering Extended Passive Mode (|||50000|)`.
pub fn epsv_reply(port: u16) -> String {
    format!("229 Entering Extended Passive Mode (|||{port}|)")
}

/// The EPRT command (RFC 2428 §2): `EPRT |1|203.0.113.5|49152|`, `|2|` for IPv6.
pub fn eprt(addr: IpAddr, port: u16) -> String {
    let family = match addr {
        IpAddr::V4(_) => 1,
        IpAddr::V6(_) => 2,
    };
    format!("EPRT |{family}|{addr}|{port}|")
}

/// Strips a leading reply code: `Ok(rest)` when the line starts with `code` or has no code,
/// an error naming both codes when it starts with another one.
fn strip_code<'a>(line: &'a str, code: &str) -> Result<&'a str, ParamError> {
    let s = line.trim();
    let bytes = s.as_bytes();
    let has_code = bytes.len() >= 3
        && bytes[..3].iter().all(u8::is_ascii_digit)
        && bytes.get(3).is_none_or(|b| matches!(b, b' ' | b'-'));
    if !has_code {
        return Ok(s);
    }
    if &s[..3] != code {
        return Err(ParamError(format!(
            "応答コードが {code} ではありません（{} で始まっています）",
            &s[..3]
        )));
    }
    Ok(&s[3..])
}

/// Reads a 227 reply: `227 Entering Passive Mode (192,168,10,5,19,137)` gives
/// 192.168.10.5:5001. Any text before the parenthesis and spaces around the numbers are
/// accepted; without parentheses the numbers are taken from the first digit on, as RFC 1123
/// §4.1.2.6 asks clients to do. Six numbers of 0–255 are required.
pub fn parse_227(line: &str) -> Result<(Ipv4Addr, u16), ParamError> {
    let rest = strip_code(line, "227")?;
    let inner = match rest.find('(') {
        Some(open) => {
            let after = &rest[open + 1..];
            let close = after.find(')').ok_or_else(|| {
                ParamError("227 応答の括弧が閉じていません（例: (198,51,100,7,195,80)）".to_owned())
            })?;
            &after[..close]
        }
        None => {
            let start = rest.find(|c: char| c.is_ascii_digit()).ok_or_else(|| {
                ParamError(
                    "227 応答に h1,h2,h3,h4,p1,p2 の 6 つの数が見つかりません（例: 227 Entering Passive Mode (198,51,100,7,195,80)）"
                        .to_owned(),
                )
            })?;
            rest[start..].trim_end_matches('.')
        }
    };
    let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
    if parts.len() != 6 {
        return Err(ParamError(format!(
            "227 応答には h1,h2,h3,h4,p1,p2 の 6 つの数が要ります（{} 個ありました:「{}」）",
            parts.len(),
            echo(inner)
        )));
    }
    let mut nums = [0u8; 6];
    for (i, (part, slot)) in parts.iter().zip(nums.iter_mut()).enumerate() {
        let label = ["h1", "h2", "h3", "h4", "p1", "p2"][i];
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParamError(format!(
                "227 応答の {label}「{}」は 0〜255 の整数ではありません",
                echo(part)
            )));
        }
        *slot = part.parse::<u8>().map_err(|_| {
            ParamError(format!(
                "227 応答の {label} = {} は 255 を超えています（各数は 1 バイト、0〜255）",
                echo(part)
            ))
        })?;
    }
    let [h1, h2, h3, h4, p1, p2] = nums;
    Ok((Ipv4Addr::new(h1, h2, h3, h4), decode_port(p1, p2)))
}

/// Reads a 229 reply, `229 Entering Extended Passive Mode (|||50000|)`, giving the port. The
/// delimiter may be any printable character, as RFC 2428 §3 allows, but must be the same four
/// times.
pub fn parse_229(line: &str) -> Result<u16, ParamError> {
    let rest = strip_code(line, "229")?;
    let example = "例: 229 Entering Extended Passive Mode (|||50000|)";
    let open = rest
        .find('(')
        .ok_or_else(|| ParamError(format!("229 応答に括弧がありません（{example}）")))?;
    let after = &rest[open + 1..];
    let close = after
        .rfind(')')
        .ok_or_else(|| ParamError(format!("229 応答の括弧が閉じていません（{example}）")))?;
    let inner = after[..close].trim();
    let mut chars = inner.chars();
    let d = chars
        .next()
        .filter(|c| c.is_ascii_graphic() && !c.is_ascii_digit())
        .ok_or_else(|| ParamError(format!("229 応答の区切り文字が読めません（{example}）")))?;
    let fields: Vec<&str> = inner.split(d).collect();
    // "|||50000|" splits into "", "", "", "50000", "".
    let well_formed =
        fields.len() == 5 && fields[..3].iter().all(|f| f.is_empty()) && fields[4].is_empty();
    if !well_formed {
        return Err(ParamError(format!(
            "229 応答の形は (<d><d><d>ポート<d>) です（{example}、「{}」）",
            echo(inner)
        )));
    }
    let port = fields[3].trim();
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParamError(format!(
            "229 応答のポート「{}」は整数ではありません",
            echo(port)
        )));
    }
    port.parse::<u16>().map_err(|_| {
        ParamError(format!(
            "229 応答のポート {} は 65535 を超えています（ポートは 0〜65535）",
            echo(port)
        ))
    })
}

/// One answer of the port calculator: a port, its (p1, p2), and the arithmetic shown to the learner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortCalc {
    /// The address of a 227 reply; `None` otherwise.
    pub addr: Option<String>,
    /// The port.
    pub port: u16,
    /// ⌊port ÷ 256⌋.
    pub p1: u8,
    /// port mod 256.
    pub p2: u8,
    /// The arithmetic in Japanese.
    pub arithmetic: String,
}

impl PortCalc {
    fn new(addr: Option<String>, port: u16) -> PortCalc {
        let (p1, p2) = encode_port(port);
        PortCalc {
            addr,
            port,
            p1,
            p2,
            arithmetic: format!(
                "{p1} × 256 + {p2} = {port}（p1 = ⌊{port} ÷ 256⌋ = {p1}、p2 = {port} mod 256 = {p2}）"
            ),
        }
    }
}

/// The calculator of `GET /api/widgets/ftp/port`: `reply` (a 227 or 229 line), else `port`, else
/// `p1` and `p2`; none of them is a [`ParamError`] saying what to give.
pub fn port_calc(pairs: &[(String, String)]) -> Result<PortCalc, ParamError> {
    if let Some(reply) = query_value(pairs, "reply") {
        if reply.starts_with("229") {
            return Ok(PortCalc::new(None, parse_229(reply)?));
        }
        let (addr, port) = parse_227(reply)?;
        return Ok(PortCalc::new(Some(addr.to_string()), port));
    }
    // The bounds keep each number inside its type, so the conversions cannot fail.
    if query_value(pairs, "port").is_some() {
        let port = query_u64(pairs, "port", 0, 0, 65535)?;
        return Ok(PortCalc::new(None, u16::try_from(port).unwrap_or(u16::MAX)));
    }
    if query_value(pairs, "p1").is_some() || query_value(pairs, "p2").is_some() {
        let byte = |key: &str| -> Result<u8, ParamError> {
            Ok(u8::try_from(query_u64(pairs, key, 0, 0, 255)?).unwrap_or(u8::MAX))
        };
        let port = decode_port(byte("p1")?, byte("p2")?);
        return Ok(PortCalc::new(None, port));
    }
    Err(ParamError(
        "port、p1 と p2、または reply（227/229 の応答行）のどれかを指定してください".to_owned(),
    ))
}
