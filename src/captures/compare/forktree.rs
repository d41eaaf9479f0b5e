//! The fork-tree widget's scenarios against real processes (`scripts/lab.d/os.py`, one JSON object
//! per experiment): how many processes a fork loop makes and how many children each has, who adopts
//! an orphan with and without a child subreaper, that a parent's unwaited child is a zombie until
//! wait(), that execve keeps the PID, and which pipe ends a pipeline's processes hold.

use serde_json::Value;

use super::Comparison;
use crate::widgets::forktree::{self, INIT_PID, Params, ProcState, Scenario, StepKind};

/// The experiments the lab runs, as (file stem, what it shows).
pub const EXPERIMENTS: &[&str] = &[
    "fork-loop-1",
    "fork-loop-2",
    "fork-loop-3",
    "fork-loop-4",
    "orphan",
    "orphan-subreaper",
    "exec-pid",
    "pipeline",
];

fn run(scenario: Scenario, n: u32, subreaper: bool) -> forktree::ForkTree {
    forktree::simulate(&Params {
        scenario,
        n,
        subreaper,
        ..Params::default()
    })
}

/// Compares one experiment's observation with the model. `None` for an unknown experiment.
pub fn compare(experiment: &str, seen: &Value) -> Option<Comparison> {
    let mut cmp = Comparison::default();
    if let Some(n) = experiment.strip_prefix("fork-loop-") {
        let n: u32 = n.parse().ok()?;
        let model = run(Scenario::ForkLoop, n, false);
        let procs: Vec<_> = model
            .processes
            .iter()
            .filter(|p| p.pid != INIT_PID)
            .collect();
        let mut children: Vec<u64> = procs
            .iter()
            .map(|p| procs.iter().filter(|c| c.ppid == p.pid).count() as u64)
            .collect();
        children.sort_unstable();
        let real_count = seen["processes"].as_u64();
        cmp.check(real_count == Some(procs.len() as u64), || {
            format!(
                "fork を {n} 回: モデルは {} プロセス、実際は {real_count:?}",
                procs.len()
            )
        });
        let real_children: Option<Vec<u64>> = seen["children"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_u64).collect());
        cmp.check(real_children.as_ref() == Some(&children), || {
            format!("子の数の分布: モデルは {children:?}、実際は {real_children:?}")
        });
        return Some(cmp);
    }
    match experiment {
        "orphan" | "orphan-subreaper" => {
            let subreaper = experiment == "orphan-subreaper";
            let model = run(Scenario::Orphan, 0, subreaper);
            let sh = forktree::FIRST_PID + 1;
            let sleep = forktree::FIRST_PID + 2;
            let Some(after_exit) = model
                .steps
                .iter()
                .find(|s| s.action == StepKind::Exit && s.pid == sh)
            else {
                cmp.check(false, || "モデルで sh が終了しません".to_owned());
                return Some(cmp);
            };
            let state = |pid: u32| after_exit.processes.iter().find(|p| p.pid == pid);
            let model_zombie = state(sh).is_some_and(|p| p.state == ProcState::Zombie);
            cmp.check(model_zombie && seen["sh_state_before_wait"] == "Z", || {
                format!(
                    "終了して待たれていない sh: モデルのゾンビ {model_zombie}、実際の状態 {}",
                    seen["sh_state_before_wait"]
                )
            });
            let adopter = state(sleep).map(|p| p.ppid);
            let model_adopter = if adopter == Some(INIT_PID) {
                "init"
            } else {
                "bash"
            };
            cmp.check(seen["sleep_adopted_by"] == model_adopter, || {
                format!(
                    "孤児の sleep を引き取るのは、モデルでは {model_adopter}、実際は {}",
                    seen["sleep_adopted_by"]
                )
            });
            cmp.check(seen["sh_gone_after_wait"] == true, || {
                "wait() の後も sh がプロセス表に残っています".to_owned()
            });
        }
        "exec-pid" => {
            let model = run(Scenario::BashLs, 0, false);
            let forked = model
                .steps
                .iter()
                .find(|s| s.action == StepKind::Fork)
                .and_then(|s| s.child);
            let execed = model
                .steps
                .iter()
                .find(|s| s.action == StepKind::Exec)
                .map(|s| s.pid);
            cmp.check(forked.is_some() && forked == execed, || {
                "モデルで exec したプロセスが fork された子と違います".to_owned()
            });
            let same = seen["forked_pid"] == seen["pid_before_exec"]
                && seen["pid_before_exec"] == seen["pid_after_exec"];
            cmp.check(same, || {
                format!("execve の前後で PID が変わりました: {seen}")
            });
        }
        "pipeline" => {
            let model = run(Scenario::Pipeline, 0, false);
            let bash = forktree::FIRST_PID;
            let children = model
                .processes
                .iter()
                .filter(|p| p.ppid == bash && (p.program == "cat" || p.program == "grep"))
                .count();
            cmp.check(children == 2, || {
                format!("モデルで bash の子の cat と grep が {children} 個")
            });
            for key in ["cat_parent_is_shell", "grep_parent_is_shell"] {
                cmp.check(seen[key] == true, || format!("{key} が偽: {seen}"));
            }
            // dup2 puts the pipe on cat's fd 1 and grep's fd 0; every other end is closed, the
            // shell's included (otherwise grep would never see EOF).
            let dup2s = model
                .steps
                .iter()
                .filter(|s| s.action == StepKind::Dup2)
                .count();
            let shell_closes = model
                .steps
                .iter()
                .any(|s| s.action == StepKind::Close && s.pid == bash);
            cmp.check(dup2s == 2 && shell_closes, || {
                format!("モデルの dup2 が {dup2s} 回、bash の close が {shell_closes}")
            });
            cmp.check(
                seen["cat_stdout_is_pipe"] == true && seen["grep_stdin_is_same_pipe"] == true,
                || format!("cat の fd 1 と grep の fd 0 が同じパイプではありません: {seen}"),
            );
            let none = Value::Array(Vec::new());
            cmp.check(
                seen["cat_other_ends"] == none && seen["grep_other_ends"] == none,
                || format!("使わない端が閉じられていません: {seen}"),
            );
            cmp.check(seen["shell_holds_pipe"] == false, || {
                "シェルがパイプの端を持ったままです".to_owned()
            });
            // Both ran to completion once the last writer closed: grep saw EOF.
            cmp.check(seen["cat_exit"] == 0 && seen["grep_exit"].is_i64(), || {
                format!("cat と grep が終わりませんでした: {seen}")
            });
        }
        _ => return None,
    }
    Some(cmp)
}
