//! Generated questions: each generator takes its numbers from a widget model and a seed (per learner and
//! attempt), writes the prompt, and knows the answer from that same model — so the quiz and the widget can
//! never disagree. The generators live with their widgets (`src/widgets/<name>/questions.rs`); a bank
//! names one by its id and finds it here, through the widget registry.

use crate::widgets::{QuestionGenerator, registry};

/// A generated question, ready to show and grade.
pub use crate::widgets::GeneratedQuestion as Instance;

/// A generator a bank can name: one of the widgets' [`QuestionGenerator`]s.
#[derive(Clone, Copy)]
pub struct Generator(&'static QuestionGenerator);

impl Generator {
    /// Every generator, widget by widget in registry order.
    pub fn all() -> impl Iterator<Item = Generator> {
        registry()
            .iter()
            .flat_map(|w| w.generators())
            .map(Generator)
    }

    /// The id banks use (`generator = "pasv-port"`).
    pub fn name(self) -> &'static str {
        self.0.id
    }

    /// The generator with this id, if a widget offers it.
    pub fn from_name(name: &str) -> Option<Generator> {
        Generator::all().find(|g| g.name() == name)
    }

    /// The question for `seed`.
    pub fn instance(self, seed: u64) -> Instance {
        (self.0.make)(seed)
    }
}

impl PartialEq for Generator {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Generator({})", self.name())
    }
}

/// Fills `{name}` placeholders in an explanation.
pub fn fill(template: &str, values: &[(&'static str, String)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banks_ids_are_all_there_in_order() {
        // Question banks name these; renaming one breaks a bank, so the list is pinned.
        let ids: Vec<&str> = Generator::all().map(Generator::name).collect();
        assert_eq!(
            ids,
            [
                "handshake-synack-ack",
                "handshake-data-ack",
                "pasv-port",
                "port-encode",
                "fork-loop-count",
                "fork-tree-count",
                "lb-lowest-layer",
                "lb-layer-count",
                "lb-l7-rules",
                "lb-l7-fields",
                "lb-custom-layer-count",
                "lb-custom-l7-rules",
                "sessions-connections",
                "sessions-tls-full",
                "sessions-h2-stream",
                "sessions-lost-at",
                "snmp-counter-rate",
                "snmp-wrap-seconds",
                "snmp-bulk-count",
                "snmp-walk-requests",
                "pmtud-mss-after-icmp",
                "pmtud-ipv6-mss",
                "pmtud-first-fragment",
                "pmtud-clamped-mss",
                "conntrack-reply-dport",
                "conntrack-expect-port",
                "conntrack-handshake-timeout",
                "conntrack-entries-left",
                "sched-running",
                "sched-waiting",
                "sched-load",
                "sched-stat-count",
                "signal-number",
                "signal-number-arch",
                "signal-receivers",
                "signal-survivors",
                "pipe-write-fd",
                "pipe-unwritten",
                "pipe-status",
                "pipe-writers-left",
                "race-final-value",
                "race-mutex-value",
                "race-fork-parent",
                "race-interleavings",
                "procmem-fds-after-exec",
                "procmem-default-after-exec",
                "procmem-child-ppid",
                "procmem-fork-threads"
            ]
        );
        assert_eq!(
            Generator::from_name("pasv-port").map(Generator::name),
            Some("pasv-port")
        );
        assert!(Generator::from_name("nope").is_none());
    }

    #[test]
    fn the_same_seed_gives_the_same_question() {
        for g in Generator::all() {
            assert_eq!(g.instance(42), g.instance(42), "{}", g.name());
            let prompts: std::collections::HashSet<String> =
                (0..20).map(|s| g.instance(s).prompt).collect();
            assert!(prompts.len() > 1, "{}: seeds vary the question", g.name());
        }
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            fill(
                "a={a}, ack={answer}",
                &[("a", "1".into()), ("answer", "2".into())]
            ),
            "a=1, ack=2"
        );
    }
}
