//! A pcap file as a list of packets: what was sent, by whom, with which TCP flags and numbers, or
//! which ICMP message — the fields the lab compares with a model, and the lines learners read beside
//! it, written the way `tcpdump -n` writes them.
//!
//! Reading the file is `pcap-file`'s job and parsing the headers `etherparse`'s: both are well kept
//! and fuzzed, and a hand-written parser of attacker-supplied bytes is what this module must not be.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::DataLink;
use pcap_file::pcap::PcapReader;

/// Payloads up to this size are kept: a control connection's lines, an HTTP message, a TLS
/// ClientHello (OpenSSL 3's is over 512 bytes, and the SNI is read from it); bigger ones are file
/// data. The lab's balancer captures keep 1600 bytes of each packet.
pub const MAX_KEPT_PAYLOAD: usize = 1600;

/// UDP payloads up to this size are kept (an SNMP message fits; the lab captures 1600 bytes of them).
pub const MAX_KEPT_UDP_PAYLOAD: usize = 1472;

/// Largest capture accepted: the lab's captures are a few KB; anything bigger is not one of them.
pub const MAX_CAPTURE_BYTES: usize = 256 * 1024;

/// One captured packet, as far as the widgets care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Microseconds since the first packet of the capture.
    pub time_us: u64,
    /// Sender's address.
    pub src: IpAddr,
    /// Receiver's address.
    pub dst: IpAddr,
    /// The IP packet's total length in bytes (header included).
    pub ip_len: u32,
    /// IPv4's Don't Fragment bit (always true for IPv6, which routers never fragment).
    pub df: bool,
    /// In a capture on all of a router's interfaces (Linux cooked capture), whether the packet was
    /// leaving (`Some(true)`, tcpdump's "Out") or arriving (`Some(false)`, "In"); `None` in a capture
    /// on one link. A packet a filter dropped arrives and never leaves.
    pub outgoing: Option<bool>,
    /// What the IP packet carries.
    pub kind: Kind,
}

/// The transport part of a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A TCP segment.
    Tcp(Tcp),
    /// A UDP datagram.
    Udp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Payload bytes.
        len: u32,
        /// The payload, up to [`MAX_KEPT_UDP_PAYLOAD`] bytes (an SNMP message); empty if bigger.
        payload: Vec<u8>,
    },
    /// An ICMP (v4 or v6) message.
    Icmp {
        /// Whether it is ICMPv6.
        v6: bool,
        /// Type (3 = destination unreachable in v4, 2 = packet too big in v6).
        icmp_type: u8,
        /// Code (4 = fragmentation needed and DF set, with type 3).
        code: u8,
        /// The next-hop MTU an ICMPv4 "fragmentation needed" or ICMPv6 "packet too big" carries.
        mtu: Option<u32>,
        /// The ports of the TCP or UDP packet an ICMPv4 error quotes (RFC 792: its IP header and
        /// first 8 bytes), so an error can be matched to its connection.
        quoted_ports: Option<(u16, u16)>,
    },
    /// Anything else on IP (the protocol number).
    Other(u8),
}

/// A TCP segment's header fields and payload length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tcp {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// SYN bit.
    pub syn: bool,
    /// ACK bit.
    pub ack_flag: bool,
    /// FIN bit.
    pub fin: bool,
    /// RST bit.
    pub rst: bool,
    /// PSH bit.
    pub psh: bool,
    /// Absolute sequence number.
    pub seq: u32,
    /// Absolute acknowledgment number (meaningful when `ack_flag`).
    pub ack: u32,
    /// Payload bytes.
    pub len: u32,
    /// The MSS option, if present (SYN segments).
    pub mss: Option<u16>,
    /// The payload, when it is small enough to be a protocol's text (FTP commands and replies);
    /// empty otherwise.
    pub payload: Vec<u8>,
}

impl Tcp {
    /// The flags as tcpdump writes them between brackets: `S`, `S.`, `P.`, `F.`, `R.`, `.`.
    pub fn flags(&self) -> String {
        let mut s = String::new();
        for (on, c) in [
            (self.fin, 'F'),
            (self.syn, 'S'),
            (self.rst, 'R'),
            (self.psh, 'P'),
            (self.ack_flag, '.'),
        ] {
            if on {
                s.push(c);
            }
        }
        if s.is_empty() { "none".to_owned() } else { s }
    }
}

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// Not a pcap file, or a truncated one.
    #[error("pcap ファイルとして読めません: {0}")]
    Pcap(String),
    /// A link type other than Ethernet, Linux cooked capture or raw IP.
    #[error("このリンク種別 ({0}) のキャプチャには対応していません")]
    LinkType(String),
    /// Bigger than [`MAX_CAPTURE_BYTES`].
    #[error("キャプチャが大きすぎます（{0} バイト）")]
    TooLarge(usize),
}

/// Every IP packet of a pcap file, in order. Frames that are not IP (ARP) are skipped; a frame whose
/// headers do not parse is skipped too, since a capture of a real network may hold anything.
pub fn decode(bytes: &[u8]) -> Result<Vec<Packet>, DecodeError> {
    if bytes.len() > MAX_CAPTURE_BYTES {
        return Err(DecodeError::TooLarge(bytes.len()));
    }
    let mut reader = PcapReader::new(bytes).map_err(|e| DecodeError::Pcap(e.to_string()))?;
    let link = reader.header().datalink;
    let mut packets = Vec::new();
    let mut first: Option<std::time::Duration> = None;
    while let Some(frame) = reader.next_packet() {
        let frame = frame.map_err(|e| DecodeError::Pcap(e.to_string()))?;
        let sliced = match link {
            DataLink::ETHERNET => SlicedPacket::from_ethernet(&frame.data),
            DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(&frame.data),
            DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(&frame.data),
            other => return Err(DecodeError::LinkType(format!("{other:?}"))),
        };
        let Ok(sliced) = sliced else { continue };
        let start = *first.get_or_insert(frame.timestamp);
        let time_us = frame.timestamp.saturating_sub(start).as_micros() as u64;
        if let Some(mut packet) = packet_of(&sliced, time_us) {
            if let Some(etherparse::LinkSlice::LinuxSll(sll)) = &sliced.link {
                packet.outgoing =
                    Some(sll.packet_type() == etherparse::LinuxSllPacketType::OUTGOING);
            }
            packets.push(packet);
        }
    }
    Ok(packets)
}

fn packet_of(sliced: &SlicedPacket<'_>, time_us: u64) -> Option<Packet> {
    let (src, dst, ip_len, df, proto) = match sliced.net.as_ref()? {
        NetSlice::Ipv4(ip) => {
            let h = ip.header();
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                u32::from(h.total_len()),
                h.dont_fragment(),
                h.protocol().0,
            )
        }
        NetSlice::Ipv6(ip) => {
            let h = ip.header();
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                u32::from(h.payload_length()) + 40,
                true,
                ip.payload().ip_number.0,
            )
        }
        NetSlice::Arp(_) => return None,
    };
    let kind = match sliced.transport.as_ref() {
        Some(TransportSlice::Tcp(t)) => Kind::Tcp(Tcp {
            sport: t.source_port(),
            dport: t.destination_port(),
            syn: t.syn(),
            ack_flag: t.ack(),
            fin: t.fin(),
            rst: t.rst(),
            psh: t.psh(),
            seq: t.sequence_number(),
            ack: t.acknowledgment_number(),
            len: t.payload().len() as u32,
            mss: t.options_iterator().find_map(|o| match o {
                Ok(etherparse::TcpOptionElement::MaximumSegmentSize(m)) => Some(m),
                _ => None,
            }),
            payload: if t.payload().len() <= MAX_KEPT_PAYLOAD {
                t.payload().to_vec()
            } else {
                Vec::new()
            },
        }),
        Some(TransportSlice::Udp(u)) => Kind::Udp {
            sport: u.source_port(),
            dport: u.destination_port(),
            len: u.payload().len() as u32,
            payload: if u.payload().len() <= MAX_KEPT_UDP_PAYLOAD {
                u.payload().to_vec()
            } else {
                Vec::new()
            },
        },
        Some(TransportSlice::Icmpv4(i)) => {
            let rest = i.bytes5to8();
            // RFC 1191 §4: type 3 code 4 carries the next-hop MTU in the low 16 bits.
            let mtu = (i.type_u8() == 3 && i.code_u8() == 4)
                .then(|| u32::from(u16::from_be_bytes([rest[2], rest[3]])));
            // An error quotes the offending packet's IPv4 header; its first 4 bytes after that are
            // the source and destination ports.
            let quoted_ports = etherparse::Ipv4HeaderSlice::from_slice(i.payload())
                .ok()
                .and_then(|h| i.payload().get(h.slice().len()..h.slice().len() + 4))
                .map(|p| {
                    (
                        u16::from_be_bytes([p[0], p[1]]),
                        u16::from_be_bytes([p[2], p[3]]),
                    )
                });
            Kind::Icmp {
                v6: false,
                icmp_type: i.type_u8(),
                code: i.code_u8(),
                mtu,
                quoted_ports,
            }
        }
        Some(TransportSlice::Icmpv6(i)) => {
            // RFC 4443 §3.2: Packet Too Big (type 2) carries the MTU in its 32-bit field.
            let mtu = (i.type_u8() == 2).then(|| u32::from_be_bytes(i.bytes5to8()));
            // An error (types 1-4) quotes the offending packet from its fixed 40-byte IPv6 header
            // on: the ports follow it (no extension headers in the lab's packets).
            let quoted_ports = (i.type_u8() < 128)
                .then(|| i.payload().get(40..44))
                .flatten()
                .map(|p| {
                    (
                        u16::from_be_bytes([p[0], p[1]]),
                        u16::from_be_bytes([p[2], p[3]]),
                    )
                });
            Kind::Icmp {
                v6: true,
                icmp_type: i.type_u8(),
                code: i.code_u8(),
                mtu,
                quoted_ports,
            }
        }
        _ => Kind::Other(proto),
    };
    Some(Packet {
        time_us,
        src,
        dst,
        ip_len,
        df,
        outgoing: None,
        kind,
    })
}

/// Sequence and acknowledgment numbers relative to each side's ISN, as Wireshark and the widgets
/// show them: for every TCP packet, `Some((seq, ack))`; `None` for the rest. A side's ISN is the
/// sequence number of its SYN (or of its first segment, when the SYN was not captured).
pub fn relative_numbers(packets: &[Packet]) -> Vec<Option<(u32, u32)>> {
    let mut isn: HashMap<(IpAddr, u16, IpAddr, u16), u32> = HashMap::new();
    for p in packets {
        if let Kind::Tcp(t) = &p.kind {
            isn.entry((p.src, t.sport, p.dst, t.dport)).or_insert(t.seq);
        }
    }
    packets
        .iter()
        .map(|p| match &p.kind {
            Kind::Tcp(t) => {
                let own = isn[&(p.src, t.sport, p.dst, t.dport)];
                let seq = t.seq.wrapping_sub(own);
                // An RST answering a SYN to a closed port has SEQ 0 literally (RFC 9293
                // §3.10.7.1) and the peer never sent anything: keep it absolute, as Wireshark does.
                let peer = isn.get(&(p.dst, t.dport, p.src, t.sport)).copied();
                let ack = match peer {
                    Some(peer) if t.ack_flag => t.ack.wrapping_sub(peer),
                    _ => t.ack,
                };
                Some((seq, ack))
            }
            _ => None,
        })
        .collect()
}

/// A hello that does not fit in one segment (ECH's outer ClientHello with a post-quantum key share
/// is 1.6 KB): the stream's first bytes kept per direction until the record is whole, then named on
/// the segment that completes it, as Wireshark does.
#[derive(Default)]
struct Hellos {
    /// The record's bytes so far and its segments, per direction and side of the router.
    pending: HashMap<Direction, (Vec<u8>, usize)>,
}

/// A connection's direction, sender first, and which side of a router it was seen on.
type Direction = (IpAddr, u16, IpAddr, u16, Option<bool>);

impl Hellos {
    /// The largest TLS record with its header (RFC 8446 §5.1): more is not a hello being reassembled.
    const MAX_RECORD: usize = 5 + (1 << 14);

    /// What `t` carries as a hello, whole or completing one; `seq` is its relative sequence number.
    fn summary(&mut self, p: &Packet, t: &Tcp, seq: Option<u32>) -> Option<String> {
        let key = (p.src, t.sport, p.dst, t.dport, p.outgoing);
        let whole = t.payload.len() == t.len as usize;
        if let Some((mut bytes, segments)) = self.pending.remove(&key) {
            // Only the next bytes in order continue it; anything else ends the attempt.
            if !whole || seq != Some(1 + bytes.len() as u32) {
                return None;
            }
            bytes.extend_from_slice(&t.payload);
            if super::tls::record_len(&bytes).is_some() {
                return super::tls::summary(&bytes)
                    .map(|s| format!("{s} [{} segments, {} bytes]", segments + 1, bytes.len()));
            }
            if bytes.len() < Self::MAX_RECORD {
                self.pending.insert(key, (bytes, segments + 1));
            }
            return None;
        }
        if let Some(s) = super::tls::summary(&t.payload) {
            return Some(s);
        }
        // The start of a handshake record at the start of the stream, not all there yet.
        let starts = seq == Some(1)
            && whole
            && t.payload.len() >= 5
            && t.payload[0] == 22
            && super::tls::record_len(&t.payload).is_none();
        if starts {
            self.pending.insert(key, (t.payload.clone(), 1));
        }
        None
    }
}

/// The packets as `tcpdump -n -ttt`-style lines with relative TCP numbers: the time since the
/// first packet in seconds, then who sent what.
pub fn tcpdump_lines(packets: &[Packet]) -> Vec<String> {
    let rel = relative_numbers(packets);
    let mut hellos = Hellos::default();
    packets
        .iter()
        .zip(rel)
        .map(|(p, rel)| {
            let mut line = format!("{:>3}.{:06} ", p.time_us / 1_000_000, p.time_us % 1_000_000);
            match p.outgoing {
                Some(true) => line.push_str("Out "),
                Some(false) => line.push_str("In  "),
                None => {}
            }
            let ip = if p.src.is_ipv6() { "IP6" } else { "IP" };
            match &p.kind {
                Kind::Tcp(t) => {
                    let (seq, ack) = rel.unwrap_or((t.seq, t.ack));
                    let _ = write!(
                        line,
                        "{ip} {}.{} > {}.{}: Flags [{}], ",
                        p.src,
                        t.sport,
                        p.dst,
                        t.dport,
                        t.flags()
                    );
                    if t.len > 0 {
                        let _ = write!(line, "seq {}:{}, ", seq, seq.wrapping_add(t.len));
                    } else if t.syn || t.fin || t.rst || !t.ack_flag {
                        let _ = write!(line, "seq {seq}, ");
                    }
                    if t.ack_flag {
                        let _ = write!(line, "ack {ack}, ");
                    }
                    if let Some(mss) = t.mss {
                        let _ = write!(line, "options [mss {mss}], ");
                    }
                    let _ = write!(line, "length {}", t.len);
                    // tcpdump names FTP's control lines and HTTP's messages too: the first line.
                    let app = match (t.sport, t.dport) {
                        (21, _) | (_, 21) => Some("FTP"),
                        (80, _) | (_, 80) => Some("HTTP"),
                        _ => None,
                    };
                    // TLS's own first messages are in clear (tcpdump leaves them to Wireshark).
                    let hello = [t.sport, t.dport]
                        .contains(&443)
                        .then(|| hellos.summary(p, t, rel.map(|(seq, _)| seq)))
                        .flatten();
                    if let Some(hello) = hello {
                        let _ = write!(line, ": TLS: {hello}");
                    } else if let Some(app) = app.filter(|_| !t.payload.is_empty()) {
                        let text = String::from_utf8_lossy(&t.payload);
                        let first = text.lines().next().unwrap_or_default();
                        let _ = write!(line, ": {app}: {first}");
                    }
                }
                Kind::Udp {
                    sport,
                    dport,
                    len,
                    payload,
                } => {
                    let _ = write!(line, "{ip} {}.{sport} > {}.{dport}: ", p.src, p.dst);
                    // tcpdump decodes SNMP on its ports; anything else is a length.
                    let snmp = [161, 162]
                        .iter()
                        .any(|port| port == sport || port == dport)
                        .then(|| super::snmp::summary(payload))
                        .flatten();
                    match snmp {
                        Some(text) => line.push_str(&text),
                        None => {
                            let _ = write!(line, "UDP, length {len}");
                        }
                    }
                }
                Kind::Icmp {
                    v6,
                    icmp_type,
                    code,
                    mtu,
                    ..
                } => {
                    let what = match (v6, icmp_type, code) {
                        (false, 3, 4) => format!(
                            "ICMP {} unreachable - need to frag (mtu {})",
                            p.dst,
                            mtu.unwrap_or(0)
                        ),
                        (false, 3, 3) => "ICMP port unreachable".to_owned(),
                        (false, 3, c) => format!("ICMP unreachable, code {c}"),
                        (false, 8, _) => "ICMP echo request".to_owned(),
                        (false, 0, _) => "ICMP echo reply".to_owned(),
                        (false, 11, _) => "ICMP time exceeded in-transit".to_owned(),
                        (true, 2, _) => {
                            format!("ICMP6, packet too big, mtu {}", mtu.unwrap_or(0))
                        }
                        (true, t, c) => format!("ICMP6, type {t}, code {c}"),
                        (false, t, c) => format!("ICMP type {t}, code {c}"),
                    };
                    let _ = write!(line, "{ip} {} > {}: {what}", p.src, p.dst);
                }
                Kind::Other(proto) => {
                    let _ = write!(line, "{ip} {} > {}: ip-proto-{proto}", p.src, p.dst);
                }
            }
            if p.df && !p.src.is_ipv6() && !matches!(p.kind, Kind::Tcp(_)) {
                line.push_str(" [DF]");
            }
            line
        })
        .collect()
}
