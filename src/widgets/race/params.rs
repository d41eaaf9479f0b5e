//! What a run of the race widget is asked for — threads, threads with a mutex, or fork; the schedule
//! (which of the two runs each of the six load/add/store steps); the counter's first value — and reading
//! them from a query string with Japanese errors naming the key.

use serde::Serialize;

use crate::widgets::{ParamError, echo, query_choice, query_u64, query_value};

/// The program the widget runs twice over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Two threads do `counter++` on the same memory.
    Threads,
    /// The same, with a mutex around the three steps.
    Mutex,
    /// The same program with fork instead of a thread.
    Fork,
}

impl Scenario {
    /// Every scenario, in picker order.
    pub const ALL: [Scenario; 3] = [Scenario::Threads, Scenario::Mutex, Scenario::Fork];

    /// The name in URLs, JSON and the database.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Threads => "threads",
            Scenario::Mutex => "mutex",
            Scenario::Fork => "fork",
        }
    }

    /// The scenario with this name.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The Japanese label.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::Threads => "2 つのスレッドが counter++（ロックなし）",
            Scenario::Mutex => "ミューテックスで囲んだ counter++",
            Scenario::Fork => "スレッドの代わりに fork した場合",
        }
    }
}

/// Who runs each of the six steps: `1` or `2`, three of each.
pub type Schedule = [u8; 6];

/// The default schedule: strictly alternating, which loses an update without a lock.
pub const DEFAULT_SCHEDULE: Schedule = [1, 2, 1, 2, 1, 2];

/// Parameters of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The program.
    pub scenario: Scenario,
    /// Who runs each step.
    pub schedule: Schedule,
    /// The counter's value before either increments it (0–1000).
    pub start: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scenario: Scenario::Threads,
            schedule: DEFAULT_SCHEDULE,
            start: 0,
        }
    }
}

/// `112122` as a schedule: six characters, `1` or `2`, three of each.
pub fn parse_schedule(text: &str) -> Result<Schedule, ParamError> {
    let bytes = text.trim().as_bytes();
    let ok = bytes.len() == 6
        && bytes.iter().all(|b| matches!(b, b'1' | b'2'))
        && bytes.iter().filter(|b| **b == b'1').count() == 3;
    if !ok {
        return Err(ParamError(format!(
            "パラメータ schedule は 1 と 2 を 3 つずつ並べた 6 文字で指定してください（例: 112122。指定値:「{}」）",
            echo(text)
        )));
    }
    let mut s = [0u8; 6];
    for (slot, b) in s.iter_mut().zip(bytes) {
        *slot = b - b'0';
    }
    Ok(s)
}

/// The schedule as written in URLs: `121212`.
pub fn schedule_text(s: &Schedule) -> String {
    s.iter().map(|d| char::from(b'0' + d)).collect()
}

/// Reads `scenario`, `schedule` and `start`; missing keys take the defaults, bad values are a
/// [`ParamError`] naming the key.
pub fn params_from_query(pairs: &[(String, String)]) -> Result<Params, ParamError> {
    Ok(Params {
        scenario: query_choice(
            pairs,
            "scenario",
            Scenario::Threads,
            &Scenario::ALL,
            Scenario::name,
        )?,
        schedule: match query_value(pairs, "schedule") {
            Some(text) => parse_schedule(text)?,
            None => DEFAULT_SCHEDULE,
        },
        start: query_u64(pairs, "start", 0, 0, 1000)?,
    })
}
