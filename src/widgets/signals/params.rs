//! What a run is asked for — the scenario and the disposition of the program under test — read from a
//! query string with every value checked.

use serde::Serialize;

use crate::widgets::{ParamError, query_choice};

/// The scenarios: what the user does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Ctrl-C on a foreground pipeline.
    CtrlC,
    /// Ctrl-Z, then `bg`, then Ctrl-C at the prompt.
    CtrlZ,
    /// Ctrl-\ (SIGQUIT).
    CtrlBackslash,
    /// `kill` (SIGTERM) to a background job, then `kill -9` if it survives.
    Kill,
    /// `kill -STOP`, then `kill -CONT`.
    StopCont,
}

impl Scenario {
    /// Every scenario, in display order.
    pub const ALL: [Scenario; 5] = [
        Scenario::CtrlC,
        Scenario::CtrlZ,
        Scenario::CtrlBackslash,
        Scenario::Kill,
        Scenario::StopCont,
    ];

    /// The name in URLs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::CtrlC => "ctrl-c",
            Scenario::CtrlZ => "ctrl-z",
            Scenario::CtrlBackslash => "ctrl-backslash",
            Scenario::Kill => "kill",
            Scenario::StopCont => "stop-cont",
        }
    }

    /// The scenario with this name, if any.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The Japanese label.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::CtrlC => "Ctrl-C とパイプライン",
            Scenario::CtrlZ => "Ctrl-Z・bg とジョブ制御",
            Scenario::CtrlBackslash => "Ctrl-\\（SIGQUIT）",
            Scenario::Kill => "kill と kill -9",
            Scenario::StopCont => "kill -STOP と kill -CONT",
        }
    }
}

/// How the program under test (grep in the keyboard scenarios, server in the kill ones) treats
/// SIGINT (keyboard) or SIGTERM (kill).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Handler {
    /// The default disposition.
    Default,
    /// A handler that logs and returns: the program goes on.
    Catch,
    /// SIG_IGN.
    Ignore,
    /// Blocked with sigprocmask, unblocked later.
    Block,
}

impl Handler {
    /// Every choice, in display order.
    pub const ALL: [Handler; 4] = [
        Handler::Default,
        Handler::Catch,
        Handler::Ignore,
        Handler::Block,
    ];

    /// The name in URLs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Handler::Default => "default",
            Handler::Catch => "catch",
            Handler::Ignore => "ignore",
            Handler::Block => "block",
        }
    }

    /// The Japanese label, for `signal` the signal it applies to.
    pub fn label(self) -> &'static str {
        match self {
            Handler::Default => "既定の動作のまま",
            Handler::Catch => "ハンドラで捕捉する（ログを書いて続ける）",
            Handler::Ignore => "無視する（SIG_IGN）",
            Handler::Block => "ブロックする（sigprocmask、あとで解除）",
        }
    }
}

/// Parameters of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The scenario.
    pub scenario: Scenario,
    /// The program under test's disposition.
    pub handler: Handler,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scenario: Scenario::CtrlC,
            handler: Handler::Default,
        }
    }
}

/// Reads `scenario` and `handler` from query pairs; missing keys take the defaults (ctrl-c, default),
/// unknown keys are ignored, a bad value is a [`ParamError`] naming the parameter.
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
        handler: query_choice(pairs, "handler", d.handler, &Handler::ALL, Handler::name)?,
    })
}
