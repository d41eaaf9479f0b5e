//! What a run is asked for — the scenario, the number of CPUs and of compute tasks — read from a
//! query string with every value range-checked.

use serde::Serialize;

use crate::widgets::{ParamError, query_choice, query_u64};

/// Smallest and largest number of CPUs.
pub const CPUS_RANGE: (u64, u64) = (1, 4);
/// Smallest and largest number of compute tasks in the balance scenario.
pub const TASKS_RANGE: (u64, u64) = (1, 8);

/// The scenarios of the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// One task's life: fork, queue, run, pipe, disk, stop, continue, exit, reap (W7).
    Lifecycle,
    /// Compute tasks spread over the CPUs' queues by load balancing.
    Balance,
    /// What the load average counts: R and D, not S, T or Z.
    Load,
}

impl Scenario {
    /// Every scenario, in display order.
    pub const ALL: [Scenario; 3] = [Scenario::Lifecycle, Scenario::Balance, Scenario::Load];

    /// The name used in URLs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Lifecycle => "lifecycle",
            Scenario::Balance => "balance",
            Scenario::Load => "load",
        }
    }

    /// The scenario with this name, if any.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The Japanese label for the picker.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::Lifecycle => "1 つのタスクの一生（R・S・D・T・Z）",
            Scenario::Balance => "CPU ごとのキューとロードバランシング",
            Scenario::Load => "ロードアベレージが数えるもの",
        }
    }
}

/// Parameters of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The scenario.
    pub scenario: Scenario,
    /// Number of CPUs, 1–4.
    pub cpus: usize,
    /// Number of compute tasks (balance only), 1–8.
    pub tasks: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scenario: Scenario::Lifecycle,
            cpus: 2,
            tasks: 5,
        }
    }
}

/// Reads `scenario`, `cpus` and `tasks` from query pairs; missing keys take the defaults
/// (lifecycle, 2, 5), unknown keys are ignored, a value out of range is a [`ParamError`] naming it.
pub fn params_from_query(pairs: &[(String, String)]) -> Result<Params, ParamError> {
    let d = Params::default();
    // The bounds are tiny, so the conversions cannot fail.
    let small = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    Ok(Params {
        scenario: query_choice(
            pairs,
            "scenario",
            d.scenario,
            &Scenario::ALL,
            Scenario::name,
        )?,
        cpus: small(query_u64(
            pairs,
            "cpus",
            d.cpus as u64,
            CPUS_RANGE.0,
            CPUS_RANGE.1,
        )?),
        tasks: small(query_u64(
            pairs,
            "tasks",
            d.tasks as u64,
            TASKS_RANGE.0,
            TASKS_RANGE.1,
        )?),
    })
}
