//! A real capture held against a widget's model. A disagreement is a bug in the model (or in the
//! lab), so every field compared is counted and every difference is written out in Japanese.

pub mod balancers;
pub mod conntrack;
pub mod forktree;
pub mod ftp;
pub mod h2resume;
pub mod handshake;
pub mod network;
pub mod os;
pub mod passthrough;
pub mod pipe;
pub mod pmtud;
pub mod procmem;
pub mod race;
pub mod sched;
pub mod signals;
pub mod snmp;

use super::decode::Packet;

pub use handshake::compare_time_wait;

/// The outcome of comparing one capture with one scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// How many fields were compared (flags, seq, ack, length, sender, timing, replies…).
    pub fields: usize,
    /// Each difference found, in Japanese; empty when the capture agrees with the model.
    pub disagreements: Vec<String>,
}

impl Comparison {
    /// Counts one compared field, and records `what` when it differs.
    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.fields += 1;
        if !ok {
            self.disagreements.push(what());
        }
    }
}

/// The scenarios the lab records, as (widget, scenario name as the widget spells it): those a real
/// kernel and server can be made to do. The handshake's simultaneous open is left out: two kernels
/// cannot be made to send their SYNs at the same instant reliably, which the issue allows.
pub const RECORDED: &[(&str, &str)] = &[
    ("handshake", "normal"),
    ("handshake", "lost-syn"),
    ("handshake", "lost-ack"),
    ("handshake", "closed-port"),
    ("handshake", "close"),
    ("ftp", "active"),
    ("ftp", "passive"),
    ("ftp", "epsv"),
    ("ftp", "active+nat"),
    ("ftp", "active+nat+helper"),
    ("ftp", "active+stateful"),
    ("ftp", "active+helper"),
];

/// Compares a capture with the named scenario's model. `None` when the lab has no comparison for it.
pub fn compare(widget: &str, scenario: &str, packets: &[Packet]) -> Option<Comparison> {
    match widget {
        "handshake" => {
            let scenario = crate::widgets::handshake::Scenario::ALL
                .into_iter()
                .find(|s| s.name() == scenario)?;
            Some(handshake::compare(scenario, packets))
        }
        "ftp" => {
            let params = crate::widgets::ftp::params_from_scenario_name(scenario)?;
            Some(ftp::compare(&params, packets))
        }
        _ => None,
    }
}
