//! The sched widget against real tasks (`scripts/lab.d/sched.py`): the state letter /proc/PID/stat
//! gives after each event of the widget's task life (R, S on a pipe, D, T, Z, reaped), and two busy
//! loops on one CPU — both R, only one CPU's worth of time between them.
//!
//! What the lab cannot make real, it leaves out and says so: which CPU's queue a task waits in and
//! when an idle CPU pulls it are the kernel's own bookkeeping (no /proc file shows a run queue; the
//! lab reports where unpinned loops ran, without judging, since other load moves them), and the load
//! average changes too slowly (an exponential average over minutes) to be checked in seconds. The D
//! is a vfork parent's wait, not a disk's: a disk cannot be made to wait on demand here.

use serde_json::Value;

use super::Comparison;
use crate::widgets::sched::{self, EventKind, Params, Scenario, Stat, scenarios::SHELL_PID};

/// The experiments the lab runs.
pub const EXPERIMENTS: &[&str] = &["lifecycle", "queue"];

/// Compares one experiment's observation with the model. `None` for an unknown experiment.
pub fn compare(experiment: &str, seen: &Value) -> Option<Comparison> {
    let mut cmp = Comparison::default();
    match experiment {
        "lifecycle" => lifecycle(seen, &mut cmp),
        "queue" => queue(seen, &mut cmp),
        _ => return None,
    }
    Some(cmp)
}

fn lifecycle(seen: &Value, cmp: &mut Comparison) {
    let params = Params {
        scenario: Scenario::Lifecycle,
        ..Params::default()
    };
    let model = sched::simulate(&params);
    // The scenario's grep: the task forked after one compute task per CPU.
    let grep = SHELL_PID + 1 + model.cpus as u32;
    let stat_after = |step: &sched::Step| step.tasks.iter().find(|t| t.pid == grep).map(|t| t.stat);
    let letter = |s: Option<Stat>| match s {
        Some(Stat::Gone) => "gone",
        Some(s) => s.letter(),
        None => "?",
    };
    let events = seen["states"].as_array().cloned().unwrap_or_default();
    cmp.check(events.len() == 9, || {
        format!("記録された出来事が 9 個のはずが {} 個", events.len())
    });
    for event in &events {
        let name = event["event"].as_str().unwrap_or_default();
        let kind = match name {
            "read-pipe" => Some(EventKind::ReadPipe),
            "pipe-data" => Some(EventKind::PipeData),
            "disk-read" => Some(EventKind::DiskRead),
            "disk-done" => Some(EventKind::DiskDone),
            "stop" => Some(EventKind::Stop),
            "cont" => Some(EventKind::Cont),
            "exit" => Some(EventKind::Exit),
            "wait" => Some(EventKind::Wait),
            _ => None,
        };
        let want = match kind {
            Some(kind) => model
                .steps
                .iter()
                .find(|s| s.kind == kind && s.pid == grep)
                .and_then(stat_after),
            // "compute": the first step with grep on a CPU.
            None => model
                .steps
                .iter()
                .find(|s| s.cpus.iter().any(|c| c.current == Some(grep)))
                .and_then(stat_after),
        };
        let want = letter(want);
        cmp.check(event["state"] == want, || {
            format!(
                "{name} の後の状態: モデルは {want}、/proc/PID/stat は {}",
                event["state"]
            )
        });
    }
    let wchan = seen["read_pipe_wchan"].as_str().unwrap_or_default();
    cmp.check(wchan.contains("pipe_read"), || {
        format!("空のパイプを読むタスクの wchan が pipe_read ではありません: {wchan}")
    });
    // D is not woken by a signal it catches…
    cmp.check(seen["d_after_signal"] == "D", || {
        format!(
            "D のタスクがシグナルで起きました: {}",
            seen["d_after_signal"]
        )
    });
    // …but Linux's TASK_KILLABLE sleep, also shown as D, ends with SIGKILL: the explanation says so.
    if seen["d_killed_by_sigkill"] == true {
        let says = model
            .steps
            .iter()
            .any(|s| s.kind == EventKind::DiskRead && s.explain.contains("TASK_KILLABLE"));
        cmp.check(says, || {
            "SIGKILL で終わる D（TASK_KILLABLE）があるのに、モデルの説明は「D はシグナルでも起こせない」だけです".to_owned()
        });
    }
}

fn queue(seen: &Value, cmp: &mut Comparison) {
    // The model with one CPU and two compute tasks: one runs, one waits in the queue, both R.
    let model = sched::simulate(&Params {
        scenario: Scenario::Balance,
        cpus: 1,
        tasks: 2,
    });
    let Some(forked) = model
        .steps
        .iter()
        .filter(|s| s.kind == EventKind::Fork)
        .nth(1)
    else {
        cmp.check(false, || "モデルに 2 つ目の fork がありません".to_owned());
        return;
    };
    let calcs: Vec<&sched::Task> = forked
        .tasks
        .iter()
        .filter(|t| t.comm.starts_with("calc"))
        .collect();
    let model_states: Vec<&str> = calcs.iter().map(|t| t.stat.letter()).collect();
    let pinned = &seen["pinned"];
    let real_states: Vec<&str> = pinned["states"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    cmp.check(
        model_states == ["R", "R"] && real_states == ["R"],
        || {
            format!(
                "1 つの CPU を取り合う 2 つの計算: モデルの状態 {model_states:?}、実際に見えた状態 {real_states:?}"
            )
        },
    );
    cmp.check(forked.running == 1, || {
        format!("モデルで 1 つの CPU に {} 個が実行中", forked.running)
    });
    // Both together used at most one CPU (a little slack for the sampling).
    let used = pinned["cpus_used"].as_f64().unwrap_or(f64::MAX);
    cmp.check(used <= 1.1, || {
        format!("CPU 0 に固定した 2 つが CPU {used} 個分を使いました（1 個分までのはず）")
    });
    // ps's PSR: the CPU each last ran on is the one they are pinned to.
    let cpus: Vec<u64> = pinned["cpu"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    cmp.check(cpus == [0, 0], || {
        format!("固定した CPU 0 ではなく {cpus:?} で動いていました")
    });
}
