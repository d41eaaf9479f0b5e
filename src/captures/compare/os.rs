//! The OS widgets' experiments in one list: for each widget, the observations `scripts/lab` records
//! from real processes (`content/captures/<widget>/<experiment>.json`) and the comparison that holds
//! each against the model. The lab's judge, the tests and the pages all walk this list.

use serde_json::Value;

use super::{Comparison, forktree, pipe, procmem, race, sched, signals};

/// One OS widget's experiments and their comparison.
pub struct OsWidget {
    /// The widget's name.
    pub widget: &'static str,
    /// The experiments, as the lab names their JSON files.
    pub experiments: &'static [&'static str],
    /// Compares one experiment's observation with the model; `None` for an unknown experiment.
    pub compare: fn(&str, &Value) -> Option<Comparison>,
}

/// Every OS widget the lab checks.
pub const WIDGETS: &[OsWidget] = &[
    OsWidget {
        widget: "forktree",
        experiments: forktree::EXPERIMENTS,
        compare: forktree::compare,
    },
    OsWidget {
        widget: "pipe",
        experiments: pipe::EXPERIMENTS,
        compare: pipe::compare,
    },
    OsWidget {
        widget: "signals",
        experiments: signals::EXPERIMENTS,
        compare: signals::compare,
    },
    OsWidget {
        widget: "sched",
        experiments: sched::EXPERIMENTS,
        compare: sched::compare,
    },
    OsWidget {
        widget: "race",
        experiments: race::EXPERIMENTS,
        compare: race::compare,
    },
    OsWidget {
        widget: "procmem",
        experiments: procmem::EXPERIMENTS,
        compare: procmem::compare,
    },
];

/// The OS widget `widget`, if the lab checks it.
pub fn find(widget: &str) -> Option<&'static OsWidget> {
    WIDGETS.iter().find(|w| w.widget == widget)
}

/// What an experiment is, in Japanese, for the page: the widget's own scenario label where the
/// experiment is a scenario, otherwise what it measures.
pub fn label(widget: &str, experiment: &str) -> String {
    let fixed = match (widget, experiment) {
        ("forktree", "fork-loop-1") => "fork を 1 回くり返す",
        ("forktree", "fork-loop-2") => "fork を 2 回くり返す",
        ("forktree", "fork-loop-3") => "fork を 3 回くり返す",
        ("forktree", "fork-loop-4") => "fork を 4 回くり返す",
        ("forktree", "orphan") => "孤児（サブリーパーなし）",
        ("forktree", "orphan-subreaper") => "孤児（bash がサブリーパー）",
        ("forktree", "exec-pid") => "execve の前後の PID",
        ("forktree", "pipeline") => "cat | grep の fd（/proc/PID/fd）",
        ("pipe", "statuses") => "bash の $? と PIPESTATUS（pipefail あり・なし）",
        ("pipe", "capacity") => "パイプの容量・PIPE_BUF・書き手のブロック・EOF",
        ("signals", "table") => "シグナルの番号・既定の動作・捕捉できるか",
        ("signals", "bash") => "対話型 bash のシグナルの処理方法",
        ("sched", "lifecycle") => "1 つのタスクの状態の移り変わり（/proc/PID/stat）",
        ("sched", "queue") => "1 つの CPU を取り合う 2 つの計算",
        ("race", "threads") => "2 つのスレッドで counter++ を 100 万回ずつ",
        ("race", "mutex") => "ミューテックスありで 100 万回ずつ",
        ("race", "fork") => "fork 後の counter++ と copy-on-write（pagemap）",
        ("procmem", "maps") => "実際のプログラム（sleep）の /proc/PID/maps",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_owned();
    }
    if widget == "procmem" {
        let mut parts = experiment.split('-');
        let op = match parts.next() {
            Some("fork") => "fork",
            Some("exec") => "execve",
            Some("thread") => "pthread_create",
            _ => return experiment.to_owned(),
        };
        let fd4 = if parts.next() == Some("cloexec") {
            "fd 4 は close-on-exec"
        } else {
            "fd 4 は close-on-exec なし"
        };
        let sigint = match parts.next() {
            Some("handler") => "SIGINT はハンドラ",
            Some("ignore") => "SIGINT は無視",
            _ => "SIGINT は既定",
        };
        return format!("{op}（{fd4}、{sigint}）");
    }
    crate::widgets::find(widget)
        .map_or_else(|| experiment.to_owned(), |w| w.scenario_label(experiment))
}

/// Compares the observation of `widget`'s `experiment`; `None` when the lab has no such experiment.
pub fn compare(widget: &str, experiment: &str, seen: &Value) -> Option<Comparison> {
    let w = find(widget)?;
    if !w.experiments.contains(&experiment) {
        return None;
    }
    (w.compare)(experiment, seen)
}
