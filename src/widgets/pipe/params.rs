//! What a run of the pipe widget is asked for — the scenario, the size of the log, `pipefail`,
//! whether the log has an `Error` line — read from a query string with every value range-checked.

use serde::Serialize;

use crate::widgets::{ParamError, query_bool, query_choice, query_u64};

/// Largest log size the widget simulates: 16 pipe-fulls, enough to show the pattern.
pub const SIZE_MAX: u64 = 1_048_576;
/// The default log size: a little over two pipe-fulls, so cat blocks twice.
pub const SIZE_DEFAULT: u64 = 150_000;

/// The stories the widget tells about `cat /var/log/messages | grep Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Everything as bash does it: both ends closed where they should be; EOF at the end.
    Pipeline,
    /// `grep -m 1 Error`: grep quits after the first match, like `head`; cat gets SIGPIPE.
    EarlyExit,
    /// The shell forgets to close its write end: grep never sees EOF.
    ShellKeepsW,
    /// Child 2 (grep) forgets to close the write end it inherited: it holds its own EOF back.
    GrepKeepsW,
    /// Child 1 (cat) forgets to close the read end, and grep quits early: no SIGPIPE.
    CatKeepsR,
}

impl Scenario {
    /// Every scenario, in picker order.
    pub const ALL: [Scenario; 5] = [
        Scenario::Pipeline,
        Scenario::EarlyExit,
        Scenario::ShellKeepsW,
        Scenario::GrepKeepsW,
        Scenario::CatKeepsR,
    ];

    /// The name used in URLs, JSON and the database.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Pipeline => "pipeline",
            Scenario::EarlyExit => "early-exit",
            Scenario::ShellKeepsW => "shell-keeps-w",
            Scenario::GrepKeepsW => "grep-keeps-w",
            Scenario::CatKeepsR => "cat-keeps-r",
        }
    }

    /// The scenario with this name, if any.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The Japanese label for the picker and the instructor's tables.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::Pipeline => "cat | grep の全体の流れ",
            Scenario::EarlyExit => "grep が先に終わる（grep -m 1、SIGPIPE）",
            Scenario::ShellKeepsW => "シェルが書き口を閉じ忘れる",
            Scenario::GrepKeepsW => "grep（子 2）が書き口を閉じ忘れる",
            Scenario::CatKeepsR => "cat（子 1）が読み口を閉じ忘れる（grep -m 1）",
        }
    }

    /// grep quits after its first match (`-m 1`).
    pub fn grep_quits_early(self) -> bool {
        matches!(self, Scenario::EarlyExit | Scenario::CatKeepsR)
    }
}

/// Parameters of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The story.
    pub scenario: Scenario,
    /// Bytes in /var/log/messages, 0–[`SIZE_MAX`].
    pub size: u64,
    /// `set -o pipefail` in the shell.
    pub pipefail: bool,
    /// The log has at least one line with `Error` (grep's status 0, else 1).
    pub matches: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scenario: Scenario::Pipeline,
            size: SIZE_DEFAULT,
            pipefail: false,
            matches: true,
        }
    }
}

/// Reads `scenario`, `size`, `pipefail` and `matches` from query pairs; missing keys take the
/// defaults (pipeline, 150000, false, true), unknown keys are ignored, a bad value is a
/// [`ParamError`] naming the parameter.
pub fn params_from_query(pairs: &[(String, String)]) -> Result<Params, ParamError> {
    let d = Params::default();
    Ok(Params {
        scenario: query_choice(
            pairs,
            "scenario",
            d.scenario,
            &Scenario::ALL,
            Scenario::name,
        )?,
        size: query_u64(pairs, "size", d.size, 0, SIZE_MAX)?,
        pipefail: query_bool(pairs, "pipefail", d.pipefail)?,
        matches: query_bool(pairs, "matches", d.matches)?,
    })
}
