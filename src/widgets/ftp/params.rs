//! What a download is asked for — the mode, a NAT, the firewalls on both sides —, read from a query
//! string, and the name and Japanese label a setup is recorded and shown under.

use serde::Serialize;

use crate::widgets::{ParamError, query_bool, query_choice};

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
            Mode::Active => "アクティブモード（PORT）",
            Mode::Passive => "パッシブモード（PASV）",
            Mode::Epsv => "拡張パッシブモード（EPSV）",
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
            ClientFw::Stateless => "ステートレス（静的フィルタ）",
            ClientFw::Stateful => "ステートフル（conntrack）",
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
