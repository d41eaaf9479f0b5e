//! W2: the FTP active vs passive model.
//!
//! It owns which TCP connections an FTP download needs in each mode (active PORT, passive PASV,
//! extended passive EPSV), who opens each one, and whether a NAT or firewall on the client side,
//! or a firewall on the server side, lets it through (facts.md §7, §9 and W2). It also owns the
//! PORT/PASV/EPSV/EPRT encodings and the calculators the widget's exercises use, and the grading
//! of the predict mode's question "which connection does the server open?" ([`predict_check`]).

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use super::{ParamError, echo, query_bool, query_choice};

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
/// The file the transcript downloads.
const FILE: &str = "file.txt";

/// How the data connection is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// PORT: the server connects back to the client.
    Active,
    /// PASV: the client connects to a port the server names.
    Passive,
    /// EPSV (RFC 2428): like PASV, but the reply names only the port.
    Epsv,
}

impl Mode {
    /// Every mode, in display order.
    pub const ALL: [Mode; 3] = [Mode::Active, Mode::Passive, Mode::Epsv];

    /// The name used in URLs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Active => "active",
            Mode::Passive => "passive",
            Mode::Epsv => "epsv",
        }
    }

    /// The mode with this name, if any.
    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The Japanese label for the picker.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Active => "アクティブモード (PORT)",
            Mode::Passive => "パッシブモード (PASV)",
            Mode::Epsv => "拡張パッシブモード (EPSV)",
        }
    }
}

/// The firewall in front of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ClientFw {
    /// No filtering.
    #[serde(rename = "none")]
    None,
    /// A static packet filter: outbound allowed, inbound only if the ACK bit is set.
    #[serde(rename = "stateless")]
    Stateless,
    /// Connection tracking without the FTP helper: replies to outbound flows only.
    #[serde(rename = "stateful")]
    Stateful,
    /// Connection tracking with the FTP helper (and nf_nat_ftp when there is NAT).
    #[serde(rename = "helper")]
    StatefulHelper,
}

impl ClientFw {
    /// Every setting, in display order.
    pub const ALL: [ClientFw; 4] = [
        ClientFw::None,
        ClientFw::Stateless,
        ClientFw::Stateful,
        ClientFw::StatefulHelper,
    ];

    /// The name used in URLs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            ClientFw::None => "none",
            ClientFw::Stateless => "stateless",
            ClientFw::Stateful => "stateful",
            ClientFw::StatefulHelper => "helper",
        }
    }

    /// The setting with this name, if any.
    pub fn from_name(name: &str) -> Option<ClientFw> {
        ClientFw::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The Japanese label for the picker.
    pub fn label(self) -> &'static str {
        match self {
            ClientFw::None => "なし",
            ClientFw::Stateless => "ステートレス (静的フィルタ)",
            ClientFw::Stateful => "ステートフル (conntrack)",
            ClientFw::StatefulHelper => "ステートフル + FTP ヘルパー",
        }
    }
}

/// The firewall in front of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ServerFw {
    /// Only port 21 is open inbound.
    #[serde(rename = "only21")]
    Only21,
    /// Port 21 and the passive port range (here 50000) are open inbound.
    #[serde(rename = "passive-range")]
    PassiveRange,
}

impl ServerFw {
    /// Every setting, in display order.
    pub const ALL: [ServerFw; 2] = [ServerFw::Only21, ServerFw::PassiveRange];

    /// The name used in URLs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            ServerFw::Only21 => "only21",
            ServerFw::PassiveRange => "passive-range",
        }
    }

    /// The setting with this name, if any.
    pub fn from_name(name: &str) -> Option<ServerFw> {
        ServerFw::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The Japanese label for the picker.
    pub fn label(self) -> &'static str {
        match self {
            ServerFw::Only21 => "21 番だけ開ける",
            ServerFw::PassiveRange => "21 番とパッシブ用ポート範囲を開ける",
        }
    }
}

/// Parameters of one FTP download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// How the data connection is set up.
    pub mode: Mode,
    /// The client sits behind a NAT (private 192.168.1.10, public 203.0.113.5).
    pub client_nat: bool,
    /// The client-side firewall.
    pub client_fw: ClientFw,
    /// The server-side firewall.
    pub server_fw: ServerFw,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            mode: Mode::Active,
            client_nat: false,
            client_fw: ClientFw::None,
            server_fw: ServerFw::PassiveRange,
        }
    }
}

/// Reads `mode`, `client_nat`, `client_fw` and `server_fw` from query pairs; missing keys take
/// the defaults (active, false, none, passive-range), unknown keys are ignored.
pub fn params_from_query(pairs: &[(String, String)]) -> Result<Params, ParamError> {
    Ok(Params {
        mode: query_choice(pairs, "mode", Mode::Active, &Mode::ALL, Mode::name)?,
        client_nat: query_bool(pairs, "client_nat", false)?,
        client_fw: query_choice(
            pairs,
            "client_fw",
            ClientFw::None,
            &ClientFw::ALL,
            ClientFw::name,
        )?,
        server_fw: query_choice(
            pairs,
            "server_fw",
            ServerFw::PassiveRange,
            &ServerFw::ALL,
            ServerFw::name,
        )?,
    })
}

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

/// Collects the session while it is written.
struct Writer {
    connections: Vec<Connection>,
    transcript: Vec<Line>,
    steps: Vec<Step>,
}

impl Writer {
    fn step(&mut self, title: &str, explain: String, connection: Option<usize>) -> usize {
        self.steps.push(Step {
            title: title.to_owned(),
            explain,
            connection,
        });
        self.steps.len() - 1
    }

    fn say(&mut self, step: usize, from: Side, text: impl Into<String>) {
        self.transcript.push(Line {
            from,
            text: text.into(),
            step,
        });
    }

    fn connect(&mut self, c: Connection) -> usize {
        self.connections.push(c);
        self.connections.len() - 1
    }
}

/// Runs one download with the settings in `p`.
pub fn simulate(p: &Params) -> FtpSession {
    let mut w = Writer {
        connections: Vec::new(),
        transcript: Vec::new(),
        steps: Vec::new(),
    };
    // The client's sockets carry its own address; behind a NAT that is the private one.
    let client_own = if p.client_nat {
        CLIENT_PRIVATE_ADDR
    } else {
        CLIENT_ADDR
    };

    let control = w.connect(Connection {
        purpose: Purpose::Control,
        opener: Side::Client,
        from_addr: client_own.to_string(),
        from_port: CONTROL_CLIENT_PORT,
        to_addr: SERVER_ADDR.to_string(),
        to_port: CONTROL_PORT,
        blocked: false,
        reason: None,
        related: false,
    });
    let s = w.step("制御接続を開く", control_explain(p), Some(control));
    w.say(s, Side::Server, "220 FTP server ready");

    let outcome = match p.mode {
        Mode::Active => active(p, &mut w, client_own),
        Mode::Passive | Mode::Epsv => passive(p, &mut w, client_own),
    };
    FtpSession {
        mode: p.mode,
        client_nat: p.client_nat,
        client_fw: p.client_fw,
        server_fw: p.server_fw,
        connections: w.connections,
        transcript: w.transcript,
        steps: w.steps,
        outcome,
    }
}

/// Why the outbound control connection gets through whatever the settings.
fn control_explain(p: &Params) -> String {
    let client = if p.client_nat {
        format!("{CLIENT_PRIVATE_ADDR}")
    } else {
        format!("{CLIENT_ADDR}")
    };
    let mut text = format!(
        "クライアントが {client}:{CONTROL_CLIENT_PORT} からサーバ {SERVER_ADDR}:{CONTROL_PORT} へ TCP 接続を開く (RFC 959 §8)。コマンドと応答はすべてこの制御接続を流れ、ファイルは別のデータ接続で運ぶ。外向きに開く接続なので、クライアント側の NAT やファイアウォールは通す。サーバのファイアウォールも 21 番は開けている。"
    );
    if p.client_nat {
        text.push_str(&format!(
            "NAT が送信元を {CLIENT_PRIVATE_ADDR}:{CONTROL_CLIENT_PORT} から {CLIENT_ADDR}:{CONTROL_CLIENT_PORT} に書き換えて変換表に記録し、戻りのパケットを元に戻す。"
        ));
    }
    text.push_str(match p.client_fw {
        ClientFw::None => "",
        ClientFw::Stateless => "ステートレスなフィルタは流れを覚えないので、「外向きは許可、内向きは ACK ビットが立つものだけ許可」という規則で戻りのパケットを通している。",
        ClientFw::Stateful | ClientFw::StatefulHelper => "ステートフルなフィルタはこの流れを状態表に記録し (NEW → ESTABLISHED)、戻りのパケットを通す。",
    });
    if p.client_fw == ClientFw::StatefulHelper {
        text.push_str("FTP ヘルパーは 21 番の制御接続を読み、PORT/PASV/EPRT/EPSV を見張る (Linux 4.7 以降は ct helper set などで明示的に付ける)。");
    }
    text
}

/// PORT, RETR, then the server's inbound SYN; returns the outcome paragraph.
fn active(p: &Params, w: &mut Writer, client_own: Ipv4Addr) -> String {
    let helper = p.client_fw == ClientFw::StatefulHelper;
    let port_line = port_command(client_own, ACTIVE_DATA_PORT);
    let (p1, p2) = encode_port(ACTIVE_DATA_PORT);
    let mut explain = format!(
        "クライアントは {ACTIVE_DATA_PORT} 番で待ち受け、PORT でそのアドレスとポートを知らせる。h1〜h4 はアドレスの 4 つのオクテット、p1 = ⌊{ACTIVE_DATA_PORT}/256⌋ = {p1}、p2 = {ACTIVE_DATA_PORT} mod 256 = {p2}（{p1}×256 + {p2} = {ACTIVE_DATA_PORT}）。拡張版の EPRT (RFC 2428 §2) なら {} と書く（IPv6 では |2|）。",
        eprt(IpAddr::V4(client_own), ACTIVE_DATA_PORT)
    );
    // Where the server will actually send its SYN.
    let target = if p.client_nat && helper {
        explain.push_str(&format!(
            "クライアントは自分のソケットのアドレス {CLIENT_PRIVATE_ADDR} を書くが、NAT の FTP ヘルパー (nf_nat_ftp) がこの PORT を読んで {} に書き換え、{CLIENT_ADDR}:{ACTIVE_DATA_PORT} への接続を「予期された接続」として登録する。",
            port_command(CLIENT_ADDR, ACTIVE_DATA_PORT)
        ));
        CLIENT_ADDR
    } else if p.client_nat {
        explain.push_str(&format!(
            "クライアントは自分のソケットのアドレス {CLIENT_PRIVATE_ADDR} をそのまま書くので、PORT はインターネット上のサーバからは届かないプライベートアドレスを知らせてしまう。NAT は制御接続の中身までは書き換えない。多くのサーバは、制御接続の相手 ({CLIENT_ADDR}) と違うアドレスを書いた PORT をここで拒否する (vsftpd は既定の port_promiscuous=NO で 500 Illegal PORT command を返す; RFC 2577 §3)。それも NAT の内側でアクティブモードが失敗する理由の 1 つ。この図解は、PORT を受け付けて接続しにいくサーバとして続ける。"
        ));
        CLIENT_PRIVATE_ADDR
    } else {
        if helper {
            explain.push_str(&format!(
                "FTP ヘルパーがこの PORT を読み、サーバから {CLIENT_ADDR}:{ACTIVE_DATA_PORT} への接続を予期して登録する。"
            ));
        }
        CLIENT_ADDR
    };
    let s = w.step("PORT でデータ用の待ち受けを知らせる", explain, None);
    w.say(s, Side::Client, port_line);
    w.say(s, Side::Server, "200 PORT command successful.");

    let s = w.step(
        "RETR でファイルを要求する",
        format!(
            "RETR {FILE} でダウンロードを頼む。サーバは PORT で知らされたアドレスとポートへ、自分からデータ接続を開きにいく。応答の順はサーバによって違い、vsftpd は先に接続し、つながってから 150 を返す (RFC 959 §4.2 の 150 は「これからデータ接続を開く」)。"
        ),
        None,
    );
    w.say(s, Side::Client, format!("RETR {FILE}"));

    let reason = active_block_reason(p);
    let blocked = reason.is_some();
    let related = helper && !blocked;
    let data = w.connect(Connection {
        purpose: Purpose::Data,
        opener: Side::Server,
        from_addr: SERVER_ADDR.to_string(),
        from_port: ACTIVE_SERVER_PORT,
        to_addr: target.to_string(),
        to_port: ACTIVE_DATA_PORT,
        blocked,
        reason: reason.clone(),
        related,
    });
    let mut explain = format!(
        "アクティブモードではサーバが {SERVER_ADDR}:{ACTIVE_SERVER_PORT} から {target}:{ACTIVE_DATA_PORT} へ SYN を送る。送信元の 20 番 (制御ポート 21 の 1 つ下, RFC 959 §3.2) が出てくるのはこの場面だけ。クライアントから見るとこれは外から入ってくる新しい接続になる。"
    );
    if p.server_fw == ServerFw::Only21 {
        explain.push_str("サーバのファイアウォールは外向きの接続を止めないので、21 番しか開けていなくても SYN は出ていく。");
    }
    match &reason {
        Some(r) => {
            explain.push_str(&format!("この SYN は通らない: {r}"));
        }
        None if p.client_nat => {
            explain.push_str(&format!(
                "NAT は予期された接続として {CLIENT_ADDR}:{ACTIVE_DATA_PORT} 宛ての SYN を {CLIENT_PRIVATE_ADDR}:{ACTIVE_DATA_PORT} に転送し、conntrack はこれを RELATED として通す。"
            ));
        }
        None if helper => {
            explain.push_str("ヘルパーが PORT から予期していた接続なので、conntrack はこれを RELATED として通す。");
        }
        None => {
            explain.push_str("クライアントの前にフィルタが無いので、SYN はそのまま待ち受けているソケットに届く。");
        }
    }
    if !blocked {
        explain.push_str("接続できたので、サーバは 150 を返して送り始める (vsftpd の順)。");
    }
    let s = w.step("サーバがデータ接続を開く", explain, Some(data));
    if !blocked {
        w.say(
            s,
            Side::Server,
            format!("150 Opening BINARY mode data connection for {FILE}."),
        );
    }

    match reason {
        Some(r) => {
            let s = w.step(
                "データ接続が開けない",
                "サーバの SYN は再送を繰り返しても届かず、サーバは接続をあきらめる。vsftpd は接続できなかったときは 150 を送らず、RETR への応答は 425 だけになる。クライアントはそれまで RETR の応答を待たされる。"
                    .to_owned(),
                Some(data),
            );
            w.say(s, Side::Server, "425 Can't open data connection.");
            format!(
                "失敗: サーバからの着信 SYN が届かない。{r}対策はパッシブモード (PASV/EPSV) に切り替えるか、PORT を読んで穴を開ける FTP ヘルパー (conntrack helper / ALG) を使うこと。"
            )
        }
        None => {
            let s = w.step(
                "転送完了",
                "ファイルがデータ接続を流れ、送り終えたサーバがデータ接続を閉じて 226 を返す。ふつう使われるストリームモードでは、接続を閉じることがファイルの終わりの印なので (RFC 959 §3.4.1)、次の転送ではまた新しいデータ接続を開く（ブロックモードなら開いたまま使える）。"
                    .to_owned(),
                Some(data),
            );
            w.say(s, Side::Server, "226 Transfer complete.");
            let how = if related {
                "FTP ヘルパーが PORT を読んで予期していたので、conntrack が RELATED として通した。"
            } else {
                "クライアントの前に着信を止めるものが無かった。"
            };
            format!(
                "成功: サーバが {SERVER_ADDR}:{ACTIVE_SERVER_PORT} から {target}:{ACTIVE_DATA_PORT} へデータ接続を開き、226 で転送が完了した。{how}"
            )
        }
    }
}

/// Why the server's inbound data SYN is dropped in active mode, or `None` when it arrives.
fn active_block_reason(p: &Params) -> Option<String> {
    if p.client_fw == ClientFw::StatefulHelper {
        return None;
    }
    let mut reasons = Vec::new();
    if p.client_nat {
        reasons.push(format!(
            "PORT が知らせたのはプライベートアドレス {CLIENT_PRIVATE_ADDR} で、インターネット上のサーバからは届かない。仮に NAT の公開アドレス {CLIENT_ADDR} に送っても、外から入ってくる SYN に対応する変換表のエントリが無いので転送先が決まらない。"
        ));
    }
    match p.client_fw {
        ClientFw::Stateless => reasons.push(format!(
            "ステートレスなフィルタは ACK ビットの無い着信 SYN（外からの新しい接続）を {ACTIVE_DATA_PORT} 番へ通さない。"
        )),
        ClientFw::Stateful => reasons.push(
            "ステートフルなフィルタの状態表に、この着信 SYN に一致する流れが無い（FTP ヘルパーが無いので PORT の中身を知らず、NEW の着信として捨てる）。"
                .to_owned(),
        ),
        ClientFw::None | ClientFw::StatefulHelper => {}
    }
    if reasons.is_empty() {
        None
    } else {
        Some(reasons.join(""))
    }
}

/// PASV or EPSV, the client's outbound data SYN, then RETR; returns the outcome paragraph.
fn passive(p: &Params, w: &mut Writer, client_own: Ipv4Addr) -> String {
    let helper = p.client_fw == ClientFw::StatefulHelper;
    let (p1, p2) = encode_port(PASSIVE_PORT);
    if p.mode == Mode::Epsv {
        let s = w.step(
            "EPSV でサーバの待ち受けポートを聞く",
            format!(
                "サーバは {PASSIVE_PORT} 番で待ち受け、229 でポートだけを返す (RFC 2428 §3)。アドレスは返さず、クライアントは制御接続と同じ相手 {SERVER_ADDR} につなぐ。だからサーバが NAT の内側にいても返答のアドレスを書き換える必要が無く、IPv6 でもそのまま使える。"
            ),
            None,
        );
        w.say(s, Side::Client, "EPSV");
        w.say(s, Side::Server, epsv_reply(PASSIVE_PORT));
    } else {
        let s = w.step(
            "PASV でサーバの待ち受けポートを聞く",
            format!(
                "サーバは {PASSIVE_PORT} 番で待ち受け、227 でアドレスとポートを返す。h1〜h4 = {}、p1,p2 = {p1},{p2} なのでポートは {p1}×256 + {p2} = {PASSIVE_PORT}。サーバが NAT の内側にいるなら、ここには公開アドレスを書かなければならない（EPSV ならアドレス自体を書かない）。",
                SERVER_ADDR.to_string().replace('.', ",")
            ),
            None,
        );
        w.say(s, Side::Client, "PASV");
        w.say(s, Side::Server, pasv_reply(SERVER_ADDR, PASSIVE_PORT));
    }

    let reason = (p.server_fw == ServerFw::Only21).then(|| {
        format!(
            "サーバのファイアウォールは 21 番しか開けておらず、パッシブ用ポート {PASSIVE_PORT} への SYN を黙って捨てる。"
        )
    });
    let blocked = reason.is_some();
    // The helper parses 227/229 too and marks the outbound data flow RELATED (facts.md §9).
    let related = helper && !blocked;
    let data = w.connect(Connection {
        purpose: Purpose::Data,
        opener: Side::Client,
        from_addr: client_own.to_string(),
        from_port: PASSIVE_CLIENT_PORT,
        to_addr: SERVER_ADDR.to_string(),
        to_port: PASSIVE_PORT,
        blocked,
        reason: reason.clone(),
        related,
    });
    let mut explain = format!(
        "クライアントが自分から {client_own}:{PASSIVE_CLIENT_PORT}（一時ポート）→ {SERVER_ADDR}:{PASSIVE_PORT} の接続を開く。2 本とも外向きなので、クライアント側の NAT やファイアウォールには制御接続と同じに見える。"
    );
    if p.client_nat {
        explain.push_str(&format!(
            "NAT は送信元を {CLIENT_ADDR} に書き換えて変換表に記録する。"
        ));
    }
    explain.push_str(match p.client_fw {
        ClientFw::None => "",
        ClientFw::Stateless => "ステートレスなフィルタは外向きの SYN を通し、戻りのパケットは ACK ビットが立っているので「ACK 付きの着信は許可」の規則で通る。",
        ClientFw::Stateful => "ステートフルなフィルタは外向きの新しい流れとして記録し、戻りを ESTABLISHED として通す。",
        ClientFw::StatefulHelper => "FTP ヘルパーは 227/229 も読むので、この接続を RELATED として記録する。",
    });
    match &reason {
        Some(r) => explain.push_str(&format!("ただし、この SYN はサーバ側で止まる: {r}")),
        None => explain.push_str(&format!(
            "サーバのファイアウォールはパッシブ用ポート範囲を開けているので、{PASSIVE_PORT} 番に届く。パッシブモードの代償は、サーバ側がこの範囲を開けておかなければならないこと。"
        )),
    }
    w.step("クライアントがデータ接続を開く", explain, Some(data));

    match reason {
        Some(r) => {
            w.step(
                "データ接続がタイムアウトする",
                "捨てられた SYN には何の応答も来ないので、クライアントの connect() は SYN の再送を繰り返し、最後に ETIMEDOUT で失敗する。RETR を送る前にここで止まるので、やりとりは 227/229 で途切れる。"
                    .to_owned(),
                Some(data),
            );
            format!(
                "失敗: クライアントのデータ接続が届かない。{r}クライアントは応答の無い connect() で待たされ、タイムアウトする。対策はサーバのファイアウォールでパッシブ用ポート範囲を開けること（またはサーバ側の FTP ヘルパーに 227/229 を読ませること）。"
            )
        }
        None => {
            let s = w.step(
                "RETR でファイルを要求する",
                format!(
                    "データ接続ができたので RETR {FILE} を送る。接続はもう開いているので、RFC 959 §4.2 どおりなら応答は 125 (Data connection already open; transfer starting) だが、vsftpd をはじめ多くのサーバは 150 を返す。サーバはすでに開いているデータ接続でファイルを送る。"
                ),
                None,
            );
            w.say(s, Side::Client, format!("RETR {FILE}"));
            w.say(
                s,
                Side::Server,
                format!("150 Opening BINARY mode data connection for {FILE}."),
            );
            let s = w.step(
                "転送完了",
                "送り終えたサーバがデータ接続を閉じて 226 を返す。ストリームモードでは接続を閉じることがファイルの終わりの印なので (RFC 959 §3.4.1)、次の転送ではまた新しいデータ接続を開く。".to_owned(),
                Some(data),
            );
            w.say(s, Side::Server, "226 Transfer complete.");
            let cmd = if p.mode == Mode::Epsv {
                "EPSV では PASV と同じく"
            } else {
                "PASV では"
            };
            format!(
                "成功: {cmd}クライアントが外向きに {SERVER_ADDR}:{PASSIVE_PORT} へデータ接続を開くので、クライアント側の NAT やファイアウォールに関係なく通る (ファイアウォール越しには PASV を使うよう RFC 1579 が勧めている)。サーバ側ではパッシブ用ポート範囲が開いている必要がある。"
            )
        }
    }
}

// ---------------------------------------------------------------- predict mode

/// The name a scenario is recorded under: the mode, then each setting that differs from the
/// default (`active`, `active+nat`, `passive+stateful+only21`), so an instructor's table groups
/// the same setup together.
pub fn scenario_name(p: &Params) -> String {
    let mut name = p.mode.name().to_owned();
    if p.client_nat {
        name.push_str("+nat");
    }
    if p.client_fw != ClientFw::None {
        name.push('+');
        name.push_str(p.client_fw.name());
    }
    if p.server_fw != ServerFw::PassiveRange {
        name.push('+');
        name.push_str(p.server_fw.name());
    }
    name
}

/// The parameters [`scenario_name`] wrote, or `None` for a name it cannot have written.
pub fn params_from_scenario_name(name: &str) -> Option<Params> {
    let mut parts = name.split('+');
    let mut p = Params {
        mode: Mode::from_name(parts.next()?)?,
        ..Params::default()
    };
    for part in parts {
        match part {
            "nat" => p.client_nat = true,
            "only21" => p.server_fw = ServerFw::Only21,
            other => p.client_fw = ClientFw::from_name(other).filter(|f| *f != ClientFw::None)?,
        }
    }
    // Only the canonical spelling, so two names never label the same setup.
    (scenario_name(&p) == name).then_some(p)
}

/// The scenario in Japanese for the instructor's tables, e.g.
/// 「アクティブモード (PORT)・クライアントが NAT の内側」.
pub fn scenario_label(p: &Params) -> String {
    let mut parts = vec![p.mode.label().to_owned()];
    if p.client_nat {
        parts.push("クライアントが NAT の内側".to_owned());
    }
    if p.client_fw != ClientFw::None {
        parts.push(format!("クライアント側 FW: {}", p.client_fw.label()));
    }
    if p.server_fw != ServerFw::PassiveRange {
        parts.push(format!("サーバー側 FW: {}", p.server_fw.label()));
    }
    parts.join("・")
}

/// The verdict on a prediction of the data connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredictResult {
    /// Every part the learner answered matched the model.
    pub correct: bool,
    /// The learner named the side that opens the data connection.
    pub opener_correct: bool,
    /// The learner named the destination port of its SYN.
    pub port_correct: bool,
    /// Whether it gets through was answered right; `None` when it was not asked.
    pub reaches_correct: Option<bool>,
    /// The model's answer in Japanese: who opens it, from where to where, and whether it arrives.
    pub expected: String,
    /// One paragraph on why, agreeing with facts.md §7 and W2.
    pub explain: String,
    /// Index into `steps` of the step that shows the data connection (where the widget asks).
    pub step: usize,
    /// The prediction in one fixed ASCII form for storage: `opener:port[:reaches|:blocked]`.
    pub answer: String,
}

/// How a side is written in Japanese.
fn side_label(side: Side) -> &'static str {
    match side {
        Side::Client => "クライアント",
        Side::Server => "サーバー",
    }
}

/// Grades a prediction of `s`'s data connection: which side sends the SYN (`opener`, `client` or
/// `server`), to which destination port, and, when `reaches` is given, whether it gets through.
/// A side that is neither name, or a port outside 1–65535, is a [`ParamError`] so nothing gets
/// recorded.
pub fn predict_check(
    s: &FtpSession,
    opener: &str,
    port: i64,
    reaches: Option<bool>,
) -> Result<PredictResult, ParamError> {
    let given_opener = match opener.trim() {
        "client" | "クライアント" => Side::Client,
        "server" | "サーバー" | "サーバ" => Side::Server,
        other => {
            return Err(ParamError(format!(
                "opener「{}」は使えません。使える値: client, server",
                echo(other)
            )));
        }
    };
    let given_port = u16::try_from(port)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| {
            ParamError(format!(
                "port は 1〜65535 の整数で指定してください（指定値: {port}）"
            ))
        })?;
    let (index, data) = s
        .connections
        .iter()
        .enumerate()
        .find(|(_, c)| c.purpose == Purpose::Data)
        .ok_or_else(|| ParamError("このシナリオにはデータ接続がありません".to_owned()))?;
    let step = s
        .steps
        .iter()
        .position(|st| st.connection == Some(index))
        .ok_or_else(|| ParamError("このシナリオにはデータ接続のステップがありません".to_owned()))?;

    let opener_correct = given_opener == data.opener;
    let port_correct = given_port == data.to_port;
    // `reaches` means "gets through", the opposite of `blocked`.
    let reaches_correct = reaches.map(|r| r != data.blocked);
    let correct = opener_correct && port_correct && reaches_correct.unwrap_or(true);
    let answer = format!(
        "{}:{given_port}{}",
        match given_opener {
            Side::Client => "client",
            Side::Server => "server",
        },
        match reaches {
            Some(true) => ":reaches",
            Some(false) => ":blocked",
            None => "",
        }
    );

    let mut expected = format!(
        "{}が開く。接続先ポートは {}（{}:{} → {}:{}）",
        side_label(data.opener),
        data.to_port,
        data.from_addr,
        data.from_port,
        data.to_addr,
        data.to_port
    );
    if reaches.is_some() {
        expected.push_str(if data.blocked {
            "。ブロックされる"
        } else {
            "。届く"
        });
    }

    let announced = match s.mode {
        Mode::Active => format!(
            "アクティブモードでは、クライアントが PORT で知らせたポート {ACTIVE_DATA_PORT} へ、サーバーが送信元ポート {ACTIVE_SERVER_PORT} から自分でデータ接続を開く (RFC 959 §3.2, §4.1.2)。"
        ),
        Mode::Passive => format!(
            "パッシブモードでは、サーバーが 227 応答で知らせたポート {PASSIVE_PORT}（195×256 + 80）へ、クライアントが自分の一時ポートからデータ接続を開く (RFC 959 §4.1.2)。"
        ),
        Mode::Epsv => format!(
            "拡張パッシブモードでは、サーバーが 229 応答で知らせたポート {PASSIVE_PORT} へ、クライアントが制御接続と同じ相手に自分の一時ポートからデータ接続を開く (RFC 2428 §3)。"
        ),
    };
    let mut explain = announced;
    // The classic slip (facts.md §7): "FTP uses 20 and 21".
    if !port_correct {
        match given_port {
            CONTROL_PORT => explain.push_str("21 番は制御接続のポートで、データ接続には使わない。"),
            ACTIVE_SERVER_PORT if s.mode == Mode::Active => explain.push_str(
                "20 番はサーバー側の送信元ポートで、接続先ではない。",
            ),
            ACTIVE_SERVER_PORT => explain.push_str(
                "20 番が出てくるのはアクティブモードのサーバー側の送信元ポートとしてだけで、パッシブモードのデータ接続はサーバーの一時ポートへ向かう。",
            ),
            _ => {}
        }
    }
    match &data.reason {
        Some(reason) => explain.push_str(&format!("この SYN は届かない: {reason}")),
        None if data.related => {
            let read = match s.mode {
                Mode::Active => "PORT",
                Mode::Passive => "227 応答",
                Mode::Epsv => "229 応答",
            };
            explain.push_str(&format!(
                "クライアント側の FTP ヘルパーが制御接続の {read}を読んで予期していた接続なので、conntrack が RELATED として通し、届く。"
            ));
        }
        None if data.opener == Side::Server => explain.push_str(
            "クライアントから見ると外から入ってくる新しい接続だが、この設定では止めるものが無いので届く。",
        ),
        None => explain.push_str(
            "クライアントから見ると外向きの接続なので、クライアント側の NAT やファイアウォールは通す。サーバー側もパッシブ用ポート範囲を開けているので届く。",
        ),
    }

    Ok(PredictResult {
        correct,
        opener_correct,
        port_correct,
        reaches_correct,
        expected,
        explain,
        step,
        answer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip_every_port() {
        for port in 0..=u16::MAX {
            let (p1, p2) = encode_port(port);
            assert_eq!(u32::from(p1) * 256 + u32::from(p2), u32::from(port));
            assert_eq!(decode_port(p1, p2), port);
        }
        assert_eq!(encode_port(50000), (195, 80));
        assert_eq!(encode_port(49152), (192, 0));
    }

    #[test]
    fn parse_227_examples() {
        assert_eq!(
            parse_227("227 Entering Passive Mode (192,168,10,5,19,137)"),
            Ok((Ipv4Addr::new(192, 168, 10, 5), 5001))
        );
        assert_eq!(
            parse_227("227 Entering Passive Mode (198,51,100,7,195,80)."),
            Ok((SERVER_ADDR, 50000))
        );
        assert_eq!(
            parse_227("  227 =( 10, 0, 0, 1, 0, 21 ) "),
            Ok((Ipv4Addr::new(10, 0, 0, 1), 21))
        );
        assert_eq!(
            parse_227("227 Entering Passive Mode 10,0,0,1,4,1"),
            Ok((Ipv4Addr::new(10, 0, 0, 1), 1025))
        );
        assert_eq!(
            parse_227("(1,2,3,4,0,80)"),
            Ok((Ipv4Addr::new(1, 2, 3, 4), 80))
        );
        let line = pasv_reply(SERVER_ADDR, PASSIVE_PORT);
        assert_eq!(parse_227(&line), Ok((SERVER_ADDR, PASSIVE_PORT)));
    }

    #[test]
    fn parse_227_rejects_bad_lines() {
        let err = parse_227("227 Entering Passive Mode (192,168,10,5,300,1)").unwrap_err();
        assert!(err.0.contains("p1") && err.0.contains("255"), "{err}");
        let err = parse_227("227 Entering Passive Mode (256,168,10,5,1,1)").unwrap_err();
        assert!(err.0.contains("h1"), "{err}");
        for bad in [
            "",
            "227 Entering Passive Mode",
            "227 Entering Passive Mode (1,2,3,4,5)",
            "227 Entering Passive Mode (1,2,3,4,5,6,7)",
            "227 Entering Passive Mode (1,2,3,4,5,x)",
            "227 Entering Passive Mode (1,2,3,4,5,-6)",
            "227 Entering Passive Mode (1,2,3,4,5,6",
            "229 Entering Extended Passive Mode (|||50000|)",
            "200 PORT command successful.",
        ] {
            assert!(parse_227(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parse_229_examples_and_rejections() {
        assert_eq!(
            parse_229("229 Entering Extended Passive Mode (|||50000|)"),
            Ok(50000)
        );
        assert_eq!(parse_229(&epsv_reply(6446)), Ok(6446));
        assert_eq!(parse_229("229 ok (!!!21!)"), Ok(21));
        for bad in [
            "229 Entering Extended Passive Mode",
            "229 Entering Extended Passive Mode (|||70000|)",
            "229 Entering Extended Passive Mode (||50000|)",
            "229 Entering Extended Passive Mode (|||abc|)",
            "229 Entering Extended Passive Mode (|||50000!)",
            "227 Entering Passive Mode (198,51,100,7,195,80)",
        ] {
            assert!(parse_229(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn command_encodings_match_the_fact_sheet() {
        assert_eq!(
            port_command(CLIENT_ADDR, ACTIVE_DATA_PORT),
            "PORT 203,0,113,5,192,0"
        );
        assert_eq!(
            pasv_reply(SERVER_ADDR, PASSIVE_PORT),
            "227 Entering Passive Mode (198,51,100,7,195,80)."
        );
        assert_eq!(
            epsv_reply(PASSIVE_PORT),
            "229 Entering Extended Passive Mode (|||50000|)"
        );
        assert_eq!(
            eprt(IpAddr::V4(CLIENT_ADDR), ACTIVE_DATA_PORT),
            "EPRT |1|203.0.113.5|49152|"
        );
        assert_eq!(
            eprt("2001:db8::1".parse().unwrap(), 5282),
            "EPRT |2|2001:db8::1|5282|"
        );
    }

    /// The rules of facts.md W2/§9, written independently of the model.
    fn expected_blocked(p: &Params) -> bool {
        match p.mode {
            Mode::Active => {
                p.client_fw != ClientFw::StatefulHelper
                    && (p.client_nat
                        || matches!(p.client_fw, ClientFw::Stateless | ClientFw::Stateful))
            }
            Mode::Passive | Mode::Epsv => p.server_fw == ServerFw::Only21,
        }
    }

    fn all_params() -> Vec<Params> {
        let mut v = Vec::new();
        for mode in Mode::ALL {
            for client_nat in [false, true] {
                for client_fw in ClientFw::ALL {
                    for server_fw in ServerFw::ALL {
                        v.push(Params {
                            mode,
                            client_nat,
                            client_fw,
                            server_fw,
                        });
                    }
                }
            }
        }
        v
    }

    #[test]
    fn every_combination_follows_the_rules() {
        let params = all_params();
        assert_eq!(params.len(), 48);
        for p in params {
            let s = simulate(&p);
            let ctx = format!("{p:?}");
            assert_eq!(s.connections.len(), 2, "{ctx}");
            let control = &s.connections[0];
            assert_eq!(control.purpose, Purpose::Control);
            assert_eq!(control.opener, Side::Client);
            assert_eq!(
                (control.to_addr.as_str(), control.to_port),
                ("198.51.100.7", 21)
            );
            assert_eq!(control.from_port, 50123);
            assert!(!control.blocked);

            let data = &s.connections[1];
            let blocked = expected_blocked(&p);
            assert_eq!(data.purpose, Purpose::Data);
            assert_eq!(data.blocked, blocked, "{ctx}");
            assert_eq!(data.reason.is_some(), blocked, "{ctx}");
            assert_eq!(
                data.related,
                !blocked && p.client_fw == ClientFw::StatefulHelper,
                "{ctx}"
            );
            let client_addr = if p.client_nat {
                "192.168.1.10"
            } else {
                "203.0.113.5"
            };
            match p.mode {
                Mode::Active => {
                    assert_eq!(data.opener, Side::Server, "{ctx}");
                    assert_eq!(
                        (data.from_addr.as_str(), data.from_port),
                        ("198.51.100.7", 20)
                    );
                    assert_eq!(data.to_port, 49152);
                    let to = if p.client_nat && p.client_fw != ClientFw::StatefulHelper {
                        "192.168.1.10"
                    } else {
                        "203.0.113.5"
                    };
                    assert_eq!(data.to_addr, to, "{ctx}");
                }
                Mode::Passive | Mode::Epsv => {
                    assert_eq!(data.opener, Side::Client, "{ctx}");
                    assert_eq!(
                        (data.to_addr.as_str(), data.to_port),
                        ("198.51.100.7", 50000)
                    );
                    assert_eq!(data.from_addr, client_addr);
                }
            }

            let last = s.transcript.last().unwrap();
            if blocked {
                assert!(
                    !s.transcript.iter().any(|l| l.text.starts_with("226")),
                    "{ctx}"
                );
                assert!(s.outcome.starts_with("失敗"), "{ctx}");
            } else {
                assert_eq!(last.text, "226 Transfer complete.", "{ctx}");
                assert!(s.outcome.starts_with("成功"), "{ctx}");
            }
            for line in &s.transcript {
                assert!(line.step < s.steps.len());
            }
            for step in &s.steps {
                assert!(step.connection.is_none_or(|c| c < s.connections.len()));
                assert!(!step.explain.is_empty());
            }
        }
    }

    fn codes(s: &FtpSession) -> Vec<String> {
        s.transcript
            .iter()
            .map(|l| l.text.split(' ').next().unwrap_or("").to_owned())
            .collect()
    }

    #[test]
    fn transcript_codes_per_mode() {
        let run = |mode, client_fw, server_fw, client_nat| {
            simulate(&Params {
                mode,
                client_nat,
                client_fw,
                server_fw,
            })
        };
        let active = run(Mode::Active, ClientFw::None, ServerFw::PassiveRange, false);
        assert_eq!(codes(&active), ["220", "PORT", "200", "RETR", "150", "226"]);
        assert_eq!(active.transcript[1].text, "PORT 203,0,113,5,192,0");
        let passive = run(Mode::Passive, ClientFw::None, ServerFw::PassiveRange, false);
        assert_eq!(
            codes(&passive),
            ["220", "PASV", "227", "RETR", "150", "226"]
        );
        assert_eq!(
            passive.transcript[2].text,
            "227 Entering Passive Mode (198,51,100,7,195,80)."
        );
        let epsv = run(Mode::Epsv, ClientFw::None, ServerFw::PassiveRange, false);
        assert_eq!(codes(&epsv), ["220", "EPSV", "229", "RETR", "150", "226"]);
        assert_eq!(parse_229(&epsv.transcript[2].text), Ok(50000));

        let nat = run(Mode::Active, ClientFw::None, ServerFw::PassiveRange, true);
        // vsftpd's order: it connects before the 150, so a failed connect gets only a 425.
        assert_eq!(codes(&nat), ["220", "PORT", "200", "RETR", "425"]);
        assert_eq!(nat.transcript[1].text, "PORT 192,168,1,10,192,0");
        assert!(
            nat.connections[1]
                .reason
                .as_deref()
                .unwrap()
                .contains("プライベート")
        );
        let stateful = run(
            Mode::Active,
            ClientFw::Stateful,
            ServerFw::PassiveRange,
            false,
        );
        assert_eq!(codes(&stateful).last().unwrap(), "425");
        let blocked = run(Mode::Passive, ClientFw::None, ServerFw::Only21, false);
        assert_eq!(codes(&blocked), ["220", "PASV", "227"]);
        let blocked = run(Mode::Epsv, ClientFw::Stateless, ServerFw::Only21, true);
        assert_eq!(codes(&blocked), ["220", "EPSV", "229"]);
    }

    #[test]
    fn json_shape() {
        let v = serde_json::to_value(simulate(&Params {
            client_fw: ClientFw::StatefulHelper,
            server_fw: ServerFw::Only21,
            ..Params::default()
        }))
        .unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "client_fw",
                "client_nat",
                "connections",
                "mode",
                "outcome",
                "server_fw",
                "steps",
                "transcript"
            ]
        );
        assert_eq!(v["mode"], "active");
        assert_eq!(v["client_fw"], "helper");
        assert_eq!(v["server_fw"], "only21");
        assert_eq!(v["connections"][0]["purpose"], "control");
        assert_eq!(v["connections"][1]["opener"], "server");
        assert_eq!(v["connections"][1]["related"], true);
        assert_eq!(v["connections"][0]["reason"], serde_json::Value::Null);
        assert_eq!(v["transcript"][0]["from"], "server");
        assert_eq!(v["steps"][1]["connection"], serde_json::Value::Null);
        assert_eq!(v["steps"][0]["connection"], 0);
    }

    #[test]
    fn params_from_query_defaults_and_rejections() {
        let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert_eq!(params_from_query(&q(&[])), Ok(Params::default()));
        assert_eq!(
            params_from_query(&q(&[
                ("mode", "epsv"),
                ("client_nat", "true"),
                ("client_fw", "helper"),
                ("server_fw", "only21")
            ])),
            Ok(Params {
                mode: Mode::Epsv,
                client_nat: true,
                client_fw: ClientFw::StatefulHelper,
                server_fw: ServerFw::Only21
            })
        );
        let err = params_from_query(&q(&[("client_fw", "iptables")])).unwrap_err();
        assert!(
            err.0.contains("client_fw") && err.0.contains("helper"),
            "{err}"
        );
        assert!(params_from_query(&q(&[("mode", "ACTIVE")])).is_err());
        assert!(params_from_query(&q(&[("server_fw", "all")])).is_err());
        assert!(params_from_query(&q(&[("client_nat", "2")])).is_err());
        for m in Mode::ALL {
            assert_eq!(Mode::from_name(m.name()), Some(m));
        }
        for f in ClientFw::ALL {
            assert_eq!(ClientFw::from_name(f.name()), Some(f));
        }
        for f in ServerFw::ALL {
            assert_eq!(ServerFw::from_name(f.name()), Some(f));
        }
    }

    fn session(
        mode: Mode,
        client_nat: bool,
        client_fw: ClientFw,
        server_fw: ServerFw,
    ) -> FtpSession {
        simulate(&Params {
            mode,
            client_nat,
            client_fw,
            server_fw,
        })
    }

    #[test]
    fn predict_active_the_server_opens_to_the_port_in_port() {
        let s = session(Mode::Active, false, ClientFw::None, ServerFw::PassiveRange);
        let r = predict_check(&s, "server", 49152, None).unwrap();
        assert!(r.correct && r.opener_correct && r.port_correct, "{r:?}");
        assert_eq!(r.reaches_correct, None);
        // Asked before the step that draws the data connection (control, PORT, RETR, data).
        assert_eq!(r.step, 3);
        assert_eq!(s.steps[r.step].connection, Some(1));
        assert_eq!(
            r.expected,
            "サーバーが開く。接続先ポートは 49152（198.51.100.7:20 → 203.0.113.5:49152）"
        );
        assert!(
            r.explain.contains("PORT で知らせたポート 49152"),
            "{}",
            r.explain
        );
        assert!(r.explain.contains("送信元ポート 20"), "{}", r.explain);

        // The usual slips: the client opens it, or it goes to port 20.
        let r = predict_check(&s, "client", 49152, None).unwrap();
        assert!(!r.correct && !r.opener_correct && r.port_correct);
        let r = predict_check(&s, "server", 20, None).unwrap();
        assert!(!r.correct && r.opener_correct && !r.port_correct);
        assert!(
            r.explain.contains("20 番はサーバー側の送信元ポート"),
            "{}",
            r.explain
        );
        let r = predict_check(&s, "server", 21, None).unwrap();
        assert!(r.explain.contains("21 番は制御接続"), "{}", r.explain);
    }

    #[test]
    fn predict_passive_the_client_opens_to_the_port_in_227() {
        let s = session(Mode::Passive, false, ClientFw::None, ServerFw::PassiveRange);
        let r = predict_check(&s, "client", 50000, None).unwrap();
        assert!(r.correct, "{r:?}");
        assert_eq!(r.step, 2);
        assert!(
            r.expected
                .starts_with("クライアントが開く。接続先ポートは 50000")
        );
        assert!(
            r.explain.contains("227 応答で知らせたポート 50000"),
            "{}",
            r.explain
        );
        let r = predict_check(&s, "server", 50000, None).unwrap();
        assert!(!r.correct && !r.opener_correct);
        let r = predict_check(&s, "client", 20, None).unwrap();
        assert!(!r.correct);
        assert!(
            r.explain
                .contains("アクティブモードのサーバー側の送信元ポート"),
            "{}",
            r.explain
        );
        // The Japanese side names the widget's radio buttons show are accepted too.
        assert!(
            predict_check(&s, "クライアント", 50000, None)
                .unwrap()
                .correct
        );

        let epsv = session(Mode::Epsv, false, ClientFw::None, ServerFw::PassiveRange);
        let r = predict_check(&epsv, "client", 50000, Some(true)).unwrap();
        assert!(r.correct && r.reaches_correct == Some(true));
        assert!(r.explain.contains("229 応答"), "{}", r.explain);
    }

    #[test]
    fn predict_grades_whether_it_gets_through() {
        // Active behind the client's NAT: the server's inbound SYN is blocked.
        let nat = session(Mode::Active, true, ClientFw::None, ServerFw::PassiveRange);
        let r = predict_check(&nat, "server", 49152, Some(false)).unwrap();
        assert!(r.correct && r.reaches_correct == Some(true), "{r:?}");
        assert!(r.expected.ends_with("ブロックされる"), "{}", r.expected);
        assert!(r.expected.contains("192.168.1.10:49152"), "{}", r.expected);
        assert!(r.explain.contains("届かない") && r.explain.contains("プライベートアドレス"));
        let r = predict_check(&nat, "server", 49152, Some(true)).unwrap();
        assert!(!r.correct && r.opener_correct && r.port_correct);
        assert_eq!(r.reaches_correct, Some(false));

        // The FTP helper reads PORT and lets it in as RELATED.
        let helper = session(
            Mode::Active,
            true,
            ClientFw::StatefulHelper,
            ServerFw::PassiveRange,
        );
        let r = predict_check(&helper, "server", 49152, Some(true)).unwrap();
        assert!(r.correct && r.expected.ends_with("届く"), "{r:?}");
        assert!(r.explain.contains("RELATED"), "{}", r.explain);

        // Passive: the client's NAT does not matter, the server's firewall does.
        let pnat = session(
            Mode::Passive,
            true,
            ClientFw::Stateful,
            ServerFw::PassiveRange,
        );
        assert!(
            predict_check(&pnat, "client", 50000, Some(true))
                .unwrap()
                .correct
        );
        let only21 = session(Mode::Passive, false, ClientFw::None, ServerFw::Only21);
        let r = predict_check(&only21, "client", 50000, Some(false)).unwrap();
        assert!(r.correct);
        assert!(r.explain.contains("21 番しか開けておらず"), "{}", r.explain);
        assert!(
            !predict_check(&only21, "client", 50000, Some(true))
                .unwrap()
                .correct
        );

        // Every setup agrees with the simulation.
        for p in all_params() {
            let s = simulate(&p);
            let data = &s.connections[1];
            let opener = if data.opener == Side::Client {
                "client"
            } else {
                "server"
            };
            let r =
                predict_check(&s, opener, i64::from(data.to_port), Some(!data.blocked)).unwrap();
            assert!(r.correct, "{p:?}");
            assert!(!r.explain.is_empty());
        }
    }

    #[test]
    fn predict_rejects_bad_input() {
        let s = session(Mode::Active, false, ClientFw::None, ServerFw::PassiveRange);
        let err = predict_check(&s, "router", 49152, None).unwrap_err();
        assert!(err.0.contains("client, server"), "{err}");
        for port in [0, -1, 65536, i64::MAX] {
            let err = predict_check(&s, "server", port, None).unwrap_err();
            assert!(err.0.contains("1〜65535"), "{err}");
        }
        assert!(predict_check(&s, "", 49152, None).is_err());
    }

    #[test]
    fn scenario_names_round_trip_and_read_in_japanese() {
        for p in all_params() {
            let name = scenario_name(&p);
            assert_eq!(params_from_scenario_name(&name), Some(p), "{name}");
        }
        assert_eq!(scenario_name(&Params::default()), "active");
        let p = Params {
            mode: Mode::Passive,
            client_nat: true,
            client_fw: ClientFw::Stateful,
            server_fw: ServerFw::Only21,
        };
        assert_eq!(scenario_name(&p), "passive+nat+stateful+only21");
        assert_eq!(
            scenario_label(&p),
            "パッシブモード (PASV)・クライアントが NAT の内側・クライアント側 FW: ステートフル (conntrack)・サーバー側 FW: 21 番だけ開ける"
        );
        for bad in [
            "",
            "sideways",
            "active+nat+nat",
            "active+none",
            "active+only21+nat",
            "active+",
        ] {
            assert_eq!(params_from_scenario_name(bad), None, "{bad}");
        }
    }
}
