//! The FTP model's types: the addresses and ports of the example, and a download as the widget
//! shows it (its TCP connections, the control-connection transcript, the walkthrough).

use std::net::Ipv4Addr;

use serde::Serialize;

use super::{ClientFw, Mode, ServerFw};

/// The client's public address (facts.md W2).
pub const CLIENT_ADDR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 5);
/// The client's own address when it sits behind a NAT whose public address is [`CLIENT_ADDR`].
pub const CLIENT_PRIVATE_ADDR: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 10);
/// The server's address.
pub const SERVER_ADDR: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
/// The client's source port for the control connection.
pub const CONTROL_CLIENT_PORT: u16 = 50123;
/// The server's control port (RFC 959 §8).
pub const CONTROL_PORT: u16 = 21;
/// The server's source port for active-mode data: L−1 (RFC 959 §3.2).
pub const ACTIVE_SERVER_PORT: u16 = 20;
/// The port the client listens on in active mode (PORT …,192,0).
pub const ACTIVE_DATA_PORT: u16 = 49152;
/// The port the server listens on in passive mode ((…,195,80) and |||50000|).
pub const PASSIVE_PORT: u16 = 50000;
/// The client's ephemeral source port for a passive data connection.
pub const PASSIVE_CLIENT_PORT: u16 = 50124;

/// Which end of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The FTP client.
    Client,
    /// The FTP server.
    Server,
}

/// What a TCP connection is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// Commands and replies (port 21).
    Control,
    /// The file itself.
    Data,
}

/// One TCP connection of the session and whether it gets through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connection {
    /// Control or data.
    pub purpose: Purpose,
    /// Who sends the SYN.
    pub opener: Side,
    /// Source address as the opener's socket has it.
    pub from_addr: String,
    /// Source port.
    pub from_port: u16,
    /// Destination address the SYN is sent to.
    pub to_addr: String,
    /// Destination port.
    pub to_port: u16,
    /// The SYN never reaches a listening socket.
    pub blocked: bool,
    /// Why it is blocked; `None` when it gets through.
    pub reason: Option<String>,
    /// Connection tracking marks it RELATED (an FTP helper expected it).
    pub related: bool,
}

/// One line of the control connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// Who sent it.
    pub from: Side,
    /// The command or reply, without CRLF.
    pub text: String,
    /// Index of the step this line belongs to.
    pub step: usize,
}

/// One step of the walkthrough.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// A short Japanese heading.
    pub title: String,
    /// What happens and why.
    pub explain: String,
    /// Index into `connections` this step shows, if any.
    pub connection: Option<usize>,
}

/// A whole download as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FtpSession {
    /// The mode used.
    pub mode: Mode,
    /// Whether the client was behind a NAT.
    pub client_nat: bool,
    /// The client-side firewall.
    pub client_fw: ClientFw,
    /// The server-side firewall.
    pub server_fw: ServerFw,
    /// Control connection first, then the data connection.
    pub connections: Vec<Connection>,
    /// The control-connection dialogue, up to where a real client would stop.
    pub transcript: Vec<Line>,
    /// The walkthrough.
    pub steps: Vec<Step>,
    /// One paragraph: did the download work, and why.
    pub outcome: String,
}
