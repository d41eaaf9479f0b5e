//! The cleartext part of a TLS handshake in a capture: the ClientHello a connection's initiator sends
//! first and the ServerHello its peer answers with (RFC 8446 §4.1.2, §4.1.3), read from the start of
//! each direction's bytes through `tls-parser` (rusticata's, like `snmp-parser`; fuzzed, and what
//! Suricata reads TLS with). In TLS 1.3 everything after the ServerHello is encrypted — the
//! certificate, the ALPN protocol the server chose (EncryptedExtensions), the application data — so
//! these two messages are all a capture can say about the handshake itself. With Encrypted
//! ClientHello (ECH, RFC 9849) even the ClientHello is two: the outer one in clear, whose SNI is the
//! ECHConfig's public name, and the real one sealed in its encrypted_client_hello extension (0xfe0d).
//! tls-parser 0.12 knows only that extension's forerunner (encrypted_server_name, 0xffce), so 0xfe0d
//! arrives as an unknown extension and [`encrypted_hello`] reads its fields.

use tls_parser::{
    TlsExtension, TlsMessage, TlsMessageHandshake, parse_tls_client_hello_extensions,
    parse_tls_plaintext, parse_tls_raw_record, parse_tls_server_hello_extensions,
};

/// TLS 1.3's version number, as supported_versions carries it (RFC 8446 §4.2.1).
pub const TLS13: u16 = 0x0304;

/// psk_dhe_ke: resumption with a fresh (EC)DHE key share as well (RFC 8446 §4.2.9).
pub const PSK_DHE_KE: u8 = 1;

/// What a ClientHello offers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientHello {
    /// server_name (RFC 6066 §3): the host name.
    pub sni: Option<String>,
    /// application_layer_protocol_negotiation (RFC 7301): the protocols offered, in order.
    pub alpn: Vec<String>,
    /// pre_shared_key (41): a PSK offered, from a ticket — resumption (RFC 8446 §4.2.11).
    pub psk: bool,
    /// psk_key_exchange_modes (45): the modes a PSK may be used in (RFC 8446 §4.2.9).
    pub psk_modes: Vec<u8>,
    /// supported_versions (43): the versions offered.
    pub versions: Vec<u16>,
    /// encrypted_client_hello (0xfe0d): the ClientHello is ECH's outer (or inner) one.
    pub ech: Option<EncryptedHello>,
}

/// encrypted_client_hello's number (RFC 9849 §11.1).
pub const ECH_EXTENSION: u16 = 0xfe0d;

/// What a ClientHello's encrypted_client_hello extension says in clear (RFC 9849 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedHello {
    /// `outer` (0): this ClientHello is the outer one and the real one is sealed in `payload`;
    /// `inner` (1) only ever travels encrypted.
    pub outer: bool,
    /// The ECHConfig the client sealed it with (its config_id), for an outer one.
    pub config_id: Option<u8>,
    /// The sealed ClientHelloInner's length in bytes, for an outer one.
    pub payload: usize,
}

/// The fields of an encrypted_client_hello extension's body: its type, then for an outer one the
/// HPKE cipher suite (2 + 2 bytes), config_id, the encapsulated key enc<0..2^16-1> and the
/// payload<1..2^16-1>; `None` when it does not parse.
pub fn encrypted_hello(body: &[u8]) -> Option<EncryptedHello> {
    match *body.first()? {
        1 if body.len() == 1 => Some(EncryptedHello {
            outer: false,
            config_id: None,
            payload: 0,
        }),
        0 => {
            let config_id = *body.get(5)?;
            let vec16 = |at: usize| -> Option<(usize, usize)> {
                let n = u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]) as usize;
                (body.len() >= at + 2 + n).then_some((n, at + 2 + n))
            };
            let (_, after_enc) = vec16(6)?;
            let (payload, end) = vec16(after_enc)?;
            (end == body.len() && payload > 0).then_some(EncryptedHello {
                outer: true,
                config_id: Some(config_id),
                payload,
            })
        }
        _ => None,
    }
}

/// What a ServerHello chose.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerHello {
    /// The version chosen: supported_versions in TLS 1.3, the legacy field before.
    pub version: u16,
    /// pre_shared_key (41): the server accepted one of the client's PSKs — a resumed handshake
    /// without a certificate (RFC 8446 §2.2).
    pub psk: bool,
}

/// The first handshake message of the record `bytes` begin with, and its extensions' bytes.
fn first_handshake(bytes: &[u8]) -> Option<TlsMessageHandshake<'_>> {
    let (_, record) = parse_tls_plaintext(bytes).ok()?;
    record.msg.into_iter().find_map(|m| match m {
        TlsMessage::Handshake(h) => Some(h),
        _ => None,
    })
}

/// The ClientHello at the start of a client's bytes, or `None` when they do not begin with one.
pub fn client_hello(bytes: &[u8]) -> Option<ClientHello> {
    let TlsMessageHandshake::ClientHello(hello) = first_handshake(bytes)? else {
        return None;
    };
    let (_, exts) = parse_tls_client_hello_extensions(hello.ext.unwrap_or_default()).ok()?;
    let mut out = ClientHello::default();
    for ext in exts {
        match ext {
            TlsExtension::SNI(names) => {
                out.sni = names
                    .first()
                    .and_then(|(_, n)| String::from_utf8(n.to_vec()).ok());
            }
            TlsExtension::ALPN(protocols) => {
                out.alpn = protocols
                    .iter()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect();
            }
            TlsExtension::PreSharedKey(_) => out.psk = true,
            TlsExtension::PskExchangeModes(modes) => out.psk_modes = modes,
            TlsExtension::SupportedVersions(v) => out.versions = v.iter().map(|v| v.0).collect(),
            TlsExtension::Unknown(kind, body) if kind.0 == ECH_EXTENSION => {
                out.ech = encrypted_hello(body);
            }
            _ => {}
        }
    }
    Some(out)
}

/// The ServerHello at the start of a server's bytes, or `None` when they do not begin with one.
pub fn server_hello(bytes: &[u8]) -> Option<ServerHello> {
    let TlsMessageHandshake::ServerHello(hello) = first_handshake(bytes)? else {
        return None;
    };
    let (_, exts) = parse_tls_server_hello_extensions(hello.ext.unwrap_or_default()).ok()?;
    let mut out = ServerHello {
        version: hello.version.0,
        psk: false,
    };
    for ext in exts {
        match ext {
            TlsExtension::SupportedVersions(v) => {
                if let Some(v) = v.first() {
                    out.version = v.0;
                }
            }
            TlsExtension::PreSharedKey(_) => out.psk = true,
            _ => {}
        }
    }
    Some(out)
}

/// The length of the whole TLS record `bytes` begin with, its 5-byte header included; `None` when
/// the record is not all there.
pub fn record_len(bytes: &[u8]) -> Option<usize> {
    let (rest, _) = parse_tls_raw_record(bytes).ok()?;
    Some(bytes.len() - rest.len())
}

/// A segment that begins with a ClientHello or a ServerHello in a few words, for the capture's
/// tcpdump-style lines: `ClientHello (SNI shop.example, ALPN h2, pre_shared_key)`, ECH's outer
/// `ClientHello (SNI public.example, encrypted_client_hello config_id=1 payload=250)`,
/// `ServerHello (TLS 1.3, pre_shared_key)`; `None` for anything else (encrypted records included).
pub fn summary(payload: &[u8]) -> Option<String> {
    let (name, mut parts, psk) = if let Some(h) = client_hello(payload) {
        let mut parts: Vec<String> = h.sni.iter().map(|n| format!("SNI {n}")).collect();
        if !h.alpn.is_empty() {
            parts.push(format!("ALPN {}", h.alpn.join(",")));
        }
        if let Some(e) = &h.ech {
            parts.push(match (e.outer, e.config_id) {
                (true, Some(id)) => format!(
                    "encrypted_client_hello config_id={id} payload={}",
                    e.payload
                ),
                _ => "encrypted_client_hello inner".to_owned(),
            });
        }
        ("ClientHello", parts, h.psk)
    } else {
        let h = server_hello(payload)?;
        let version = match h.version {
            TLS13 => "TLS 1.3".to_owned(),
            v => format!("version {v:#06x}"),
        };
        ("ServerHello", vec![version], h.psk)
    };
    if psk {
        parts.push("pre_shared_key".to_owned());
    }
    Some(format!("{name} ({})", parts.join(", ")))
}
