//! What a run is asked for — the scenario and its numbers —, read from a query string with every
//! value range-checked.

use serde::Serialize;

use crate::widgets::{ParamError, query_bool, query_choice, query_u64};

/// Smallest and largest `n` for the fork loop.
pub const N_RANGE: (u64, u64) = (1, 6);
/// Smallest and largest number of random actions.
pub const ACTIONS_RANGE: (u64, u64) = (1, 30);
/// Largest fork share in percent.
pub const FORK_SHARE_MAX: u64 = 100;

/// The scenarios of the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// bash (PID 100) runs `ls`.
    BashLs,
    /// `for (i = 0; i < N; i++) fork();`
    ForkLoop,
    /// `cat /var/log/messages | grep Error`
    Pipeline,
    /// A background job outlives its shell and is adopted (by init or a subreaper).
    Orphan,
    /// Seeded random forks and exits, as in OSTEP's fork.py.
    Random,
}

impl Scenario {
    /// Every scenario, in display order.
    pub const ALL: [Scenario; 5] = [
        Scenario::BashLs,
        Scenario::ForkLoop,
        Scenario::Pipeline,
        Scenario::Orphan,
        Scenario::Random,
    ];

    /// The name used in URLs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::BashLs => "bash-ls",
            Scenario::ForkLoop => "fork-loop",
            Scenario::Pipeline => "pipeline",
            Scenario::Orphan => "orphan",
            Scenario::Random => "random",
        }
    }

    /// The scenario with this name, if any.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The Japanese label for the picker.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::BashLs => "bash が ls を実行する",
            Scenario::ForkLoop => "ループの中の fork()",
            Scenario::Pipeline => "パイプライン cat | grep",
            Scenario::Orphan => "孤児プロセスの引き取り",
            Scenario::Random => "ランダムな fork と exit",
        }
    }
}

/// Parameters of one run. Only the fields a scenario uses matter: `n` for fork-loop; `seed`,
/// `actions` and `fork_share` for random.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The scenario.
    pub scenario: Scenario,
    /// Loop count of fork-loop, 1–6.
    pub n: u32,
    /// Seed of the random scenario.
    pub seed: u64,
    /// Number of forks and exits in the random scenario, 1–30.
    pub actions: u32,
    /// Share of random actions that are forks, in percent, 0–100.
    pub fork_share: u32,
    /// The shell (or root process) is a child subreaper, so orphans go to it, not PID 1.
    pub subreaper: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scenario: Scenario::BashLs,
            n: 3,
            seed: 0,
            actions: 5,
            fork_share: 70,
            subreaper: false,
        }
    }
}

/// Reads `scenario`, `n`, `seed`, `actions`, `fork_share` and `subreaper` from query pairs;
/// missing keys take the defaults (bash-ls, 3, 0, 5, 70, false), unknown keys are ignored, a
/// value out of range is a [`ParamError`].
pub fn params_from_query(pairs: &[(String, String)]) -> Result<Params, ParamError> {
    let d = Params::default();
    // The bounds keep every value inside u32, so the conversions below cannot fail.
    let small = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok(Params {
        scenario: query_choice(
            pairs,
            "scenario",
            d.scenario,
            &Scenario::ALL,
            Scenario::name,
        )?,
        n: small(query_u64(pairs, "n", d.n.into(), N_RANGE.0, N_RANGE.1)?),
        seed: query_u64(pairs, "seed", d.seed, 0, u64::MAX)?,
        actions: small(query_u64(
            pairs,
            "actions",
            d.actions.into(),
            ACTIONS_RANGE.0,
            ACTIONS_RANGE.1,
        )?),
        fork_share: small(query_u64(
            pairs,
            "fork_share",
            d.fork_share.into(),
            0,
            FORK_SHARE_MAX,
        )?),
        subreaper: query_bool(pairs, "subreaper", d.subreaper)?,
    })
}
