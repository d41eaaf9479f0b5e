//! What a run of the firewall comparison is asked for — the traffic and the `nf_conntrack_tcp_loose`
//! setting —, read from a query string, and the name and Japanese label it is stored and shown under.

use serde::Serialize;

use crate::widgets::{ParamError, query_bool, query_choice};

/// The traffic sent through both filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// The client opens HTTPS to the web server: handshake and the first data both ways.
    Https,
    /// A DNS query over UDP and its answer.
    Dns,
    /// Passive FTP, no helper attached to the control connection.
    FtpPassive,
    /// Passive FTP with the ftp helper attached (`ct helper set`).
    FtpHelper,
    /// Someone outside sends SYNs to the client, from an ordinary port and from port 443.
    UnsolicitedSyn,
    /// A router's ICMP type 3 code 4 about the client's HTTPS connection.
    IcmpError,
    /// An ACK from outside that belongs to no connection.
    StrayAck,
}

impl Scenario {
    /// Every scenario, in picker order.
    pub const ALL: [Scenario; 7] = [
        Scenario::Https,
        Scenario::Dns,
        Scenario::FtpPassive,
        Scenario::FtpHelper,
        Scenario::UnsolicitedSyn,
        Scenario::IcmpError,
        Scenario::StrayAck,
    ];

    /// The name used in URLs, JSON and the database.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Https => "https",
            Scenario::Dns => "dns",
            Scenario::FtpPassive => "ftp-passive",
            Scenario::FtpHelper => "ftp-helper",
            Scenario::UnsolicitedSyn => "unsolicited-syn",
            Scenario::IcmpError => "icmp-error",
            Scenario::StrayAck => "stray-ack",
        }
    }

    /// The scenario with this name, if any.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The Japanese label for the picker.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::Https => "HTTPS で外へ接続",
            Scenario::Dns => "UDP の DNS 問い合わせ",
            Scenario::FtpPassive => "パッシブ FTP（ヘルパーなし）",
            Scenario::FtpHelper => "パッシブ FTP（FTP ヘルパーあり）",
            Scenario::UnsolicitedSyn => "外から勝手に来る SYN",
            Scenario::IcmpError => "追跡中の接続への ICMP エラー",
            Scenario::StrayAck => "どの接続にも属さない ACK",
        }
    }
}

/// Parameters of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The traffic.
    pub scenario: Scenario,
    /// `nf_conntrack_tcp_loose` (1 by default): pick up a TCP connection met mid-stream.
    pub loose: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scenario: Scenario::Https,
            loose: true,
        }
    }
}

/// Reads `scenario` (default `https`) and `loose` (default `true`); unknown keys are ignored, a bad
/// value is a [`ParamError`] naming the key.
pub fn params_from_query(pairs: &[(String, String)]) -> Result<Params, ParamError> {
    Ok(Params {
        scenario: query_choice(
            pairs,
            "scenario",
            Scenario::Https,
            &Scenario::ALL,
            Scenario::name,
        )?,
        loose: query_bool(pairs, "loose", true)?,
    })
}

/// The name a run is stored under: the scenario, and `+strict` when `nf_conntrack_tcp_loose` is 0.
pub fn scenario_name(p: &Params) -> String {
    if p.loose {
        p.scenario.name().to_owned()
    } else {
        format!("{}+strict", p.scenario.name())
    }
}

/// The parameters [`scenario_name`] wrote, or `None`.
pub fn params_from_scenario_name(name: &str) -> Option<Params> {
    let (base, loose) = match name.strip_suffix("+strict") {
        Some(base) => (base, false),
        None => (name, true),
    };
    Some(Params {
        scenario: Scenario::from_name(base)?,
        loose,
    })
}

/// A run in Japanese for the instructor's tables.
pub fn scenario_label(p: &Params) -> String {
    if p.loose {
        p.scenario.label().to_owned()
    } else {
        format!("{}・nf_conntrack_tcp_loose = 0", p.scenario.label())
    }
}
