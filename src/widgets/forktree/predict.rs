//! Grading a learner's tree ("build the tree" mode): the live processes they drew, as (PID, parent)
//! pairs, against the model's tree after a step or at the end.

use serde::{Deserialize, Serialize};

use super::model::{ProcState, Process};
use super::{params_from_query, simulate};
use crate::widgets::{Graded, GradedItem, ParamError, WidgetError, parse_body, to_json};

/// The field a learner's tree is stored under.
pub const TREE_FIELD: &str = "tree";
/// Most processes a learner's tree may have: far above any scenario, far below a flood.
const MAX_PROCESSES: usize = 200;

/// A live process as the learner draws it: its PID under its parent's.
#[derive(Debug, Deserialize, Serialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PidPair {
    /// The process.
    pub pid: u32,
    /// Its parent.
    pub ppid: u32,
}

/// The verdict on a learner's tree.
#[derive(Debug, Serialize, Clone, PartialEq, Eq)]
pub struct TreeCheck {
    /// The trees are the same (by PID and parent).
    pub correct: bool,
    /// Processes the model has and the learner does not.
    pub missing: Vec<PidPair>,
    /// Processes the learner drew that the model does not have.
    pub extra: Vec<PidPair>,
    /// Why, in Japanese.
    pub explain: String,
}

/// A program the learner says a process runs (build mode's exec tool).
#[derive(Debug, Deserialize, Serialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PidProgram {
    pub pid: u32,
    pub program: String,
}

/// Compares the learner's live processes with the model's `processes` (exited ones do not count;
/// order and repeats in `given` do not matter).
pub fn tree_check(processes: &[Process], given: &[PidPair]) -> TreeCheck {
    tree_check_with(processes, given, &[], processes)
}

/// [`tree_check`] with the programs the learner gave (exec keeps the PID and replaces the program) and
/// every process the scenario ever had (`history`), so the explanation can name the kind of mistake — a
/// process that should have exited and been reaped, one never forked, one under the wrong parent, a
/// program not exec'd — instead of always blaming fork.
pub fn tree_check_with(
    processes: &[Process],
    given: &[PidPair],
    programs: &[PidProgram],
    history: &[Process],
) -> TreeCheck {
    let mut expected: Vec<PidPair> = processes
        .iter()
        .filter(|p| p.state != ProcState::Exited)
        .map(|p| PidPair {
            pid: p.pid,
            ppid: p.ppid,
        })
        .collect();
    expected.sort();
    let mut given = given.to_vec();
    given.sort();
    given.dedup();
    let missing: Vec<PidPair> = expected
        .iter()
        .filter(|p| !given.contains(p))
        .copied()
        .collect();
    let extra: Vec<PidPair> = given
        .iter()
        .filter(|p| !expected.contains(p))
        .copied()
        .collect();
    let alive = |pid: u32| {
        processes
            .iter()
            .find(|p| p.pid == pid && p.state != ProcState::Exited)
    };
    let wrong_program: Vec<(u32, &str)> = programs
        .iter()
        .filter_map(|g| {
            let p = alive(g.pid)?;
            (p.program != g.program).then_some((g.pid, p.program.as_str()))
        })
        .collect();
    let correct = missing.is_empty() && extra.is_empty() && wrong_program.is_empty();
    let explain = if correct {
        format!(
            "正解です。プロセスは {} 個（init を除く）です。",
            expected.len()
        )
    } else {
        // One sentence per kind of mistake, naming its PIDs: a reap forgotten, a zombie taken away, a
        // fork too many or too few, a wrong parent, an exec left out.
        let pids = |list: &[u32]| {
            list.iter()
                .map(|p| format!("PID {p}"))
                .collect::<Vec<_>>()
                .join("、")
        };
        let (mut reaped, mut unborn, mut zombies, mut unforked, mut moved) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for e in extra
            .iter()
            .filter(|e| !expected.iter().any(|p| p.pid == e.pid))
        {
            if history.iter().any(|p| p.pid == e.pid) {
                reaped.push(e.pid);
            } else {
                unborn.push(e.pid);
            }
        }
        for m in &missing {
            if given.iter().any(|g| g.pid == m.pid) {
                moved.push(*m);
            } else if processes
                .iter()
                .any(|p| p.pid == m.pid && p.state == ProcState::Zombie)
            {
                zombies.push(m.pid);
            } else {
                unforked.push(m.pid);
            }
        }
        let mut why = Vec::new();
        if !reaped.is_empty() {
            why.push(format!(
                "{} はもう終了（exit）して親に回収（wait）されたので、ツリーに残りません。",
                pids(&reaped)
            ));
        }
        if !zombies.is_empty() {
            why.push(format!(
                "{} は終了していますが、親がまだ wait していないのでゾンビ（Z）としてツリーに残ります。",
                pids(&zombies)
            ));
        }
        if !unforked.is_empty() {
            why.push(format!(
                "{} がありません: この時点までに fork で作られたプロセスです（fork は呼んだプロセスの子を 1 つ作ります）。",
                pids(&unforked)
            ));
        }
        if !unborn.is_empty() {
            why.push(format!(
                "{} はこの時点ではまだ作られていません（fork の回数を数え直してください）。",
                pids(&unborn)
            ));
        }
        for m in &moved {
            why.push(format!(
                "PID {} の親は PID {} です（親が先に終了した子は init か subreaper に引き取られます）。",
                m.pid, m.ppid
            ));
        }
        for (pid, program) in &wrong_program {
            why.push(format!(
                "PID {pid} は {program} を実行しています: exec は PID を変えずにプログラムだけを置き換えます。"
            ));
        }
        let (lacking, surplus) = (zombies.len() + unforked.len(), reaped.len() + unborn.len());
        let counts = if lacking + surplus > 0 {
            format!("{lacking} 個のプロセスが足りず、{surplus} 個が余分です。")
        } else {
            String::new()
        };
        format!("{counts}{}", why.join(""))
    };
    TreeCheck {
        correct,
        missing,
        extra,
        explain,
    }
}

/// The body of `POST /api/widgets/forktree/check`: the scenario's parameters as in the query, the
/// learner's tree, and optionally the step to compare with.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    scenario: String,
    #[serde(default)]
    n: Option<u32>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    actions: Option<u32>,
    #[serde(default)]
    fork_share: Option<u32>,
    #[serde(default)]
    subreaper: bool,
    /// Compare with the tree after this step (0-based); absent: the final tree.
    #[serde(default)]
    step: Option<usize>,
    /// The learner's tree: live processes as (pid, ppid).
    processes: Vec<PidPair>,
    /// The programs of the learner's processes, when the puzzle has exec in it.
    #[serde(default)]
    programs: Vec<PidProgram>,
}

/// Grades a check body with [`tree_check`]. Stored as one item: field [`TREE_FIELD`], step −1 for
/// the final tree, the answer as `pid<ppid` pairs.
pub(super) fn check(body: &serde_json::Value) -> Result<Graded, WidgetError> {
    let body: CheckBody = parse_body(body)?;
    if body.processes.len() > MAX_PROCESSES || body.programs.len() > MAX_PROCESSES {
        return Err(ParamError(format!("processes が多すぎます（{MAX_PROCESSES} 個まで）")).into());
    }
    // The same parser as the scenario query, so both accept and reject the same values.
    let mut pairs = vec![("scenario".to_owned(), body.scenario.clone())];
    let numbers = [
        ("n", body.n.map(u64::from)),
        ("seed", body.seed),
        ("actions", body.actions.map(u64::from)),
        ("fork_share", body.fork_share.map(u64::from)),
    ];
    pairs.extend(
        numbers
            .iter()
            .filter_map(|(k, v)| v.map(|v| ((*k).to_owned(), v.to_string()))),
    );
    pairs.push(("subreaper".to_owned(), body.subreaper.to_string()));
    let params = params_from_query(&pairs)?;
    let tree = simulate(&params);
    let processes = match body.step {
        None => &tree.processes,
        Some(k) => {
            &tree
                .steps
                .get(k)
                .ok_or_else(|| {
                    ParamError(format!(
                        "step は 0〜{} です",
                        tree.steps.len().saturating_sub(1)
                    ))
                })?
                .processes
        }
    };
    let history: Vec<Process> = tree
        .steps
        .iter()
        .flat_map(|s| s.processes.iter().cloned())
        .chain(tree.initial.iter().cloned())
        .collect();
    let verdict = tree_check_with(processes, &body.processes, &body.programs, &history);
    let mut given = body.processes;
    given.sort();
    given.dedup();
    let answer = given
        .iter()
        .map(|p| format!("{}<{}", p.pid, p.ppid))
        .collect::<Vec<_>>()
        .join(",");
    Ok(Graded {
        reply: to_json(&verdict)?,
        item: GradedItem {
            scenario: params.scenario.name().to_owned(),
            step: body
                .step
                .map_or(-1, |k| i64::try_from(k).unwrap_or(i64::MAX)),
            field: TREE_FIELD,
            answer,
            correct: verdict.correct,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::widgets::{Widget, WidgetError};
    use serde_json::json;

    fn grade(body: serde_json::Value) -> Result<Graded, WidgetError> {
        super::super::ForkTreeWidget.check(&body)
    }

    fn reply(g: &Graded) -> serde_json::Value {
        serde_json::from_str(g.reply.get()).unwrap()
    }

    #[test]
    fn the_right_tree_is_correct_in_any_order() {
        let g = grade(json!({"scenario": "fork-loop", "n": 1,
            "processes": [{"pid": 101, "ppid": 100}, {"pid": 100, "ppid": 1}, {"pid": 100, "ppid": 1}]}))
        .unwrap();
        assert_eq!(reply(&g)["correct"], true);
        assert_eq!(
            g.item,
            GradedItem {
                scenario: "fork-loop".into(),
                step: -1,
                field: TREE_FIELD,
                answer: "100<1,101<100".into(),
                correct: true,
            }
        );
    }

    #[test]
    fn a_child_under_the_wrong_parent_is_missing_and_extra() {
        // n = 2: 101 forks 103. Hanging 103 under 100 is the classic "only the original forks".
        let g = grade(json!({"scenario": "fork-loop", "n": 2, "processes": [
            {"pid": 100, "ppid": 1}, {"pid": 101, "ppid": 100}, {"pid": 102, "ppid": 100}, {"pid": 103, "ppid": 100}]}))
        .unwrap();
        let r = reply(&g);
        assert_eq!(r["correct"], false);
        assert_eq!(r["missing"], json!([{"pid": 103, "ppid": 101}]));
        assert_eq!(r["extra"], json!([{"pid": 103, "ppid": 100}]));
        assert!(
            r["explain"]
                .as_str()
                .unwrap()
                .contains("PID 103 の親は PID 101 です")
        );
    }

    #[test]
    fn mistakes_are_named_once_per_kind_with_their_pids() {
        // bash-ls after SIGCHLD (step 4): ls (101) has exited, bash has not reaped it yet.
        let zombie = grade(json!({"scenario": "bash-ls", "step": 4,
            "processes": [{"pid": 100, "ppid": 1}]}))
        .unwrap();
        let explain = reply(&zombie)["explain"].as_str().unwrap().to_string();
        assert!(
            explain.contains("PID 101 は終了していますが、親がまだ wait していない"),
            "{explain}"
        );
        // The fork loop with N = 2 left untouched: three forks missing, said once.
        let untouched = grade(json!({"scenario": "fork-loop", "n": 2,
            "processes": [{"pid": 100, "ppid": 1}]}))
        .unwrap();
        let explain = reply(&untouched)["explain"].as_str().unwrap().to_string();
        assert!(
            explain.starts_with(
                "3 個のプロセスが足りず、0 個が余分です。PID 101、PID 102、PID 103 がありません"
            ),
            "{explain}"
        );
        assert_eq!(explain.matches("がありません").count(), 1, "{explain}");
        assert!(!explain.contains("ゾンビ"), "no zombie here: {explain}");
    }

    #[test]
    fn a_missing_reap_is_not_blamed_on_fork_and_exec_is_checked() {
        // bash-ls after its exec step (1): bash 100 and ls 101. Drawing bash alone misses 101;
        // drawing 101 as "bash" is a missing exec.
        let g = grade(json!({"scenario": "bash-ls", "step": 1,
            "processes": [{"pid": 100, "ppid": 1}, {"pid": 101, "ppid": 100}],
            "programs": [{"pid": 100, "program": "bash"}, {"pid": 101, "program": "bash"}]}))
        .unwrap();
        let r = reply(&g);
        assert_eq!(r["correct"], false);
        assert!(
            r["explain"]
                .as_str()
                .unwrap()
                .contains("exec は PID を変えずに"),
            "{r}"
        );
        let right = grade(json!({"scenario": "bash-ls", "step": 1,
            "processes": [{"pid": 100, "ppid": 1}, {"pid": 101, "ppid": 100}],
            "programs": [{"pid": 100, "program": "bash"}, {"pid": 101, "program": "ls"}]}))
        .unwrap();
        assert_eq!(reply(&right)["correct"], true);
        // The final tree of bash-ls: ls has exited and bash reaped it. Keeping 101 is a missing reap.
        let kept = grade(json!({"scenario": "bash-ls",
            "processes": [{"pid": 100, "ppid": 1}, {"pid": 101, "ppid": 100}]}))
        .unwrap();
        let explain = reply(&kept)["explain"].as_str().unwrap().to_string();
        assert!(explain.contains("回収（wait）されたので"), "{explain}");
        assert!(
            !explain.contains("fork は呼んだ"),
            "not blamed on fork: {explain}"
        );
    }

    #[test]
    fn a_step_is_compared_with_the_tree_after_it() {
        let g = grade(json!({"scenario": "bash-ls", "step": 0,
            "processes": [{"pid": 100, "ppid": 1}, {"pid": 101, "ppid": 100}]}))
        .unwrap();
        assert_eq!(reply(&g)["correct"], true);
        assert_eq!(g.item.step, 0);
    }

    #[test]
    fn bad_bodies_are_refused_before_grading() {
        let too_many: Vec<_> = (0..201).map(|i| json!({"pid": i, "ppid": 1})).collect();
        for body in [
            json!({"scenario": "fork-loop", "n": 7, "processes": []}),
            json!({"scenario": "nope", "processes": []}),
            json!({"scenario": "bash-ls", "step": 999, "processes": []}),
            json!({"scenario": "bash-ls", "processes": too_many}),
        ] {
            assert!(matches!(grade(body), Err(WidgetError::Param(_))));
        }
        for body in [
            json!({"scenario": "bash-ls"}),
            json!({"scenario": "bash-ls", "processes": [], "extra": 1}),
            json!({"scenario": "bash-ls", "processes": [{"pid": -1, "ppid": 1}]}),
        ] {
            assert!(matches!(grade(body), Err(WidgetError::Shape(_))));
        }
    }
}
