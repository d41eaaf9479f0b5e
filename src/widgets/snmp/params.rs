//! What a run of the SNMP widget is asked for — the scenario and its few numbers — and reading them
//! from a query string (or a check body, through the same pairs) with Japanese errors naming the key.

use serde::Serialize;

use crate::widgets::{ParamError, query_bool, query_choice, query_u64};

/// The story the widget tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// GetRequest for sysUpTime.0 and sysName.0, and its Response.
    Get,
    /// A GetNext walk of the system group.
    WalkSystem,
    /// A GetNext walk of ifTable: column by column.
    WalkIftable,
    /// One GetBulkRequest (non-repeaters, max-repetitions).
    Bulk,
    /// SetRequest with the read-only community, then the write community, then on a read-only object.
    Set,
    /// eth0 goes down: an SNMPv2-Trap to UDP 162, nothing comes back.
    Trap,
    /// eth0 goes down: an InformRequest, acknowledged by a Response.
    Inform,
    /// Polling ifInOctets (or ifHCInOctets) and sysUpTime, turning the counter into bits/s.
    Poll,
}

impl Scenario {
    /// Every scenario, in picker order.
    pub const ALL: [Scenario; 8] = [
        Scenario::Get,
        Scenario::WalkSystem,
        Scenario::WalkIftable,
        Scenario::Bulk,
        Scenario::Set,
        Scenario::Trap,
        Scenario::Inform,
        Scenario::Poll,
    ];

    /// The name in URLs, JSON and the database.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Get => "get",
            Scenario::WalkSystem => "walk-system",
            Scenario::WalkIftable => "walk-iftable",
            Scenario::Bulk => "bulk",
            Scenario::Set => "set",
            Scenario::Trap => "trap",
            Scenario::Inform => "inform",
            Scenario::Poll => "poll",
        }
    }

    /// The scenario with this name, if any.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The Japanese label in the picker and the instructor's tables.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::Get => "GetRequest で値を読む",
            Scenario::WalkSystem => "GetNext で system グループをたどる (walk)",
            Scenario::WalkIftable => "GetNext で ifTable をたどる (walk)",
            Scenario::Bulk => "GetBulk でまとめて読む",
            Scenario::Set => "SetRequest と読み取り専用・書き込み可のコミュニティ",
            Scenario::Trap => "linkDown を Trap で通知（応答なし）",
            Scenario::Inform => "linkDown を Inform で通知（Response で確認）",
            Scenario::Poll => "ポーリングでカウンタから bits/s を計算",
        }
    }
}

/// Parameters of one run. Each scenario reads only the ones it uses; the others keep their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The story.
    pub scenario: Scenario,
    /// Rows of ifTable (2–4): lo, eth0, eth1, eth2.
    pub interfaces: u32,
    /// GetBulk: how many of the request's variables are fetched once (0–3).
    pub non_repeaters: u32,
    /// GetBulk: how many times the others are repeated (0–10).
    pub max_repetitions: u32,
    /// Trap/Inform: the first notification is lost on the way.
    pub lost: bool,
    /// Poll: seconds between polls (5–600).
    pub interval: u32,
    /// Poll: eth0's traffic at full load, in Mbit/s (1–100000).
    pub rate_mbps: u32,
    /// Poll: read the 64-bit ifHCInOctets instead of the 32-bit ifInOctets.
    pub hc: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scenario: Scenario::Get,
            interfaces: 2,
            non_repeaters: 1,
            max_repetitions: 3,
            lost: false,
            interval: 60,
            rate_mbps: 100,
            hc: false,
        }
    }
}

impl Params {
    /// The defaults for `scenario`.
    pub fn of(scenario: Scenario) -> Params {
        Params {
            scenario,
            ..Params::default()
        }
    }
}

/// Reads the parameters from query pairs; missing keys take the defaults, unknown keys are ignored,
/// a bad value is a [`ParamError`] naming its key.
pub fn params_from_query(pairs: &[(String, String)]) -> Result<Params, ParamError> {
    let d = Params::default();
    let small = |key: &str, default: u32, min: u64, max: u64| -> Result<u32, ParamError> {
        // Every range here is far below u32::MAX, so the conversion cannot fail.
        query_u64(pairs, key, u64::from(default), min, max)
            .map(|v| u32::try_from(v).unwrap_or(default))
    };
    Ok(Params {
        scenario: query_choice(
            pairs,
            "scenario",
            d.scenario,
            &Scenario::ALL,
            Scenario::name,
        )?,
        interfaces: small("interfaces", d.interfaces, 2, 4)?,
        non_repeaters: small("non_repeaters", d.non_repeaters, 0, 3)?,
        max_repetitions: small("max_repetitions", d.max_repetitions, 0, 10)?,
        lost: query_bool(pairs, "lost", d.lost)?,
        interval: small("interval", d.interval, 5, 600)?,
        rate_mbps: small("rate_mbps", d.rate_mbps, 1, 100_000)?,
        hc: query_bool(pairs, "hc", d.hc)?,
    })
}
