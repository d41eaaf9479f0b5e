//! What a run of the process-components widget is asked for — the operation, whether fd 4 has
//! FD_CLOEXEC, what the process does with SIGINT — read from a query string with every value checked.

use serde::Serialize;

use crate::widgets::{ParamError, query_bool, query_choice};

/// The stories the widget tells about one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// A tour of the process: /proc/PID/maps, descriptors, credentials, cwd, signals.
    Anatomy,
    /// fork(): what the child gets.
    Fork,
    /// execve(): what is replaced and what survives.
    Exec,
    /// pthread_create(): what a second thread shares.
    Thread,
}

impl Scenario {
    /// Every scenario, in picker order.
    pub const ALL: [Scenario; 4] = [
        Scenario::Anatomy,
        Scenario::Fork,
        Scenario::Exec,
        Scenario::Thread,
    ];

    /// The name used in URLs, JSON and the database.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Anatomy => "anatomy",
            Scenario::Fork => "fork",
            Scenario::Exec => "exec",
            Scenario::Thread => "thread",
        }
    }

    /// The scenario with this name, if any.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The Japanese label for the picker and the instructor's tables.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::Anatomy => "プロセスの中身（/proc/PID/maps など）",
            Scenario::Fork => "fork で何がコピーされるか",
            Scenario::Exec => "execve で何が置き換わり何が残るか",
            Scenario::Thread => "2 つ目のスレッドは何を共有するか",
        }
    }
}

/// What the process does with SIGINT before the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SigintSetting {
    /// A handler is installed with sigaction (caught).
    Handler,
    /// SIG_IGN.
    Ignore,
    /// SIG_DFL: terminate.
    Default,
}

impl SigintSetting {
    /// Every setting.
    pub const ALL: [SigintSetting; 3] = [
        SigintSetting::Handler,
        SigintSetting::Ignore,
        SigintSetting::Default,
    ];

    /// The name in URLs.
    pub fn name(self) -> &'static str {
        match self {
            SigintSetting::Handler => "handler",
            SigintSetting::Ignore => "ignore",
            SigintSetting::Default => "default",
        }
    }
}

/// Parameters of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The story.
    pub scenario: Scenario,
    /// fd 4 (the socket) was opened with FD_CLOEXEC.
    pub cloexec: bool,
    /// What the process does with SIGINT.
    pub sigint: SigintSetting,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scenario: Scenario::Anatomy,
            cloexec: true,
            sigint: SigintSetting::Handler,
        }
    }
}

/// Reads `scenario`, `cloexec` and `sigint` from query pairs; missing keys take the defaults
/// (anatomy, true, handler), unknown keys are ignored, a bad value is a [`ParamError`] naming it.
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
        cloexec: query_bool(pairs, "cloexec", d.cloexec)?,
        sigint: query_choice(
            pairs,
            "sigint",
            d.sigint,
            &SigintSetting::ALL,
            SigintSetting::name,
        )?,
    })
}
