//! What a run of the stepper is asked for: the scenario, the seed of the ISNs, relative numbering;
//! and reading them from a query string.

use serde::Serialize;

use crate::widgets::{ParamError, query_bool, query_choice, query_u64};

/// The story the stepper tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// 3-way handshake, then 100 bytes of data and their ACK.
    Normal,
    /// The SYN is lost twice and retransmitted with backoff.
    LostSyn,
    /// The final ACK of the handshake is lost.
    LostAck,
    /// No listener: the SYN is answered with RST,ACK.
    ClosedPort,
    /// Both ends send SYN at once (RFC 9293 Fig. 7).
    SimultaneousOpen,
    /// Orderly close from ESTABLISHED to CLOSED (RFC 9293 Fig. 12).
    Close,
}

impl Scenario {
    /// Every scenario, in the order the widget lists them.
    pub const ALL: [Scenario; 6] = [
        Scenario::Normal,
        Scenario::LostSyn,
        Scenario::LostAck,
        Scenario::ClosedPort,
        Scenario::SimultaneousOpen,
        Scenario::Close,
    ];

    /// The name used in URLs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Normal => "normal",
            Scenario::LostSyn => "lost-syn",
            Scenario::LostAck => "lost-ack",
            Scenario::ClosedPort => "closed-port",
            Scenario::SimultaneousOpen => "simultaneous-open",
            Scenario::Close => "close",
        }
    }

    /// The scenario with this URL name, if any.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The Japanese label shown in the scenario picker.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::Normal => "通常の接続とデータ送信",
            Scenario::LostSyn => "SYN が失われる",
            Scenario::LostAck => "最後の ACK が失われる",
            Scenario::ClosedPort => "閉じたポート（RST）",
            Scenario::SimultaneousOpen => "同時オープン",
            Scenario::Close => "切断（FIN と TIME-WAIT）",
        }
    }
}

/// Parameters of one run of the stepper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The story to tell.
    pub scenario: Scenario,
    /// Picks both ISNs; 0 gives the fact sheet's a and b.
    pub seed: u64,
    /// Show numbers relative to each side's ISN, as Wireshark does.
    pub relative: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scenario: Scenario::Normal,
            seed: 0,
            relative: false,
        }
    }
}

/// Reads `scenario`, `seed` and `relative` from query pairs; missing keys take the defaults
/// (normal, 0, false), unknown keys are ignored, bad values are a [`ParamError`].
pub fn params_from_query(pairs: &[(String, String)]) -> Result<Params, ParamError> {
    Ok(Params {
        scenario: query_choice(
            pairs,
            "scenario",
            Scenario::Normal,
            &Scenario::ALL,
            Scenario::name,
        )?,
        seed: query_u64(pairs, "seed", 0, 0, u64::MAX)?,
        relative: query_bool(pairs, "relative", false)?,
    })
}
