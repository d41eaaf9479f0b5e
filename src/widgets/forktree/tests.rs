//! Unit tests of the fork tree: the rules (fork, exec, exit, wait, orphans and subreapers), every
//! scenario, the random trees, the parameter bounds and the JSON shape.

use super::rules::{Effect, run};
use super::scenarios::{describe, letter_name};
use super::*;

fn proc(pid: u32, ppid: u32, program: &str, state: ProcState) -> Process {
    Process {
        pid,
        ppid,
        program: program.to_owned(),
        state,
    }
}

fn run_scenario(scenario: Scenario) -> ForkTree {
    simulate(&Params {
        scenario,
        ..Params::default()
    })
}

fn alive(list: &[Process]) -> usize {
    list.iter().filter(|p| p.state != ProcState::Exited).count()
}

#[test]
fn fork_loop_gives_2_to_the_n() {
    for n in 1..=6u32 {
        let t = simulate(&Params {
            scenario: Scenario::ForkLoop,
            n,
            ..Params::default()
        });
        assert_eq!(t.processes.len(), 1 << n, "n={n}");
        let original_children = t.processes.iter().filter(|p| p.ppid == FIRST_PID).count();
        assert_eq!(original_children, n as usize, "n={n}");
        assert!(t.processes.iter().all(|p| p.program == "a.out"));
        assert_eq!(t.steps.len(), (1 << n) - 1);
        assert!(t.steps.iter().all(|s| s.code_line == Some(7)));
        assert!(t.code.as_deref().unwrap().contains(&format!("i < {n}")));
    }
    let t = simulate(&Params {
        scenario: Scenario::ForkLoop,
        n: 3,
        ..Params::default()
    });
    let pids: Vec<u32> = t.processes.iter().map(|p| p.pid).collect();
    assert_eq!(pids, (100..=107).collect::<Vec<_>>());
    let per_step: Vec<(u32, Option<u32>, Option<u32>)> =
        t.steps.iter().map(|s| (s.pid, s.child, s.i)).collect();
    assert_eq!(
        per_step,
        vec![
            (100, Some(101), Some(0)),
            (100, Some(102), Some(1)),
            (101, Some(103), Some(1)),
            (100, Some(104), Some(2)),
            (101, Some(105), Some(2)),
            (102, Some(106), Some(2)),
            (103, Some(107), Some(2)),
        ]
    );
    assert_eq!(
        t.steps[0].returns,
        vec![
            Return {
                pid: 100,
                value: 101
            },
            Return { pid: 101, value: 0 }
        ]
    );
    let line = FORK_LOOP_CODE.lines().nth(6).unwrap();
    assert!(line.contains("fork();"), "{line}");
}

#[test]
fn bash_ls_runs_ls_as_pid_101() {
    let t = run_scenario(Scenario::BashLs);
    let exec = t.steps.iter().find(|s| s.action == StepKind::Exec).unwrap();
    assert_eq!((exec.pid, exec.program.as_deref()), (101, Some("ls")));
    let ls = exec.processes.iter().find(|p| p.pid == 101).unwrap();
    assert_eq!((ls.program.as_str(), ls.ppid), ("ls", 100));
    // At most bash and one child ever exist; exactly one process is created.
    assert!(t.steps.iter().all(|s| alive(&s.processes) <= 2));
    assert_eq!(
        t.steps
            .iter()
            .filter(|s| s.action == StepKind::Fork)
            .count(),
        1
    );
    assert_eq!(t.processes.len(), 2);
    // Zombie before the wait that reaps it, gone after.
    let exit_i = t
        .steps
        .iter()
        .position(|s| s.action == StepKind::Exit)
        .unwrap();
    let reap_i = t
        .steps
        .iter()
        .rposition(|s| s.action == StepKind::Wait)
        .unwrap();
    assert!(exit_i < reap_i);
    for s in &t.steps[exit_i..reap_i] {
        let st = s.processes.iter().find(|p| p.pid == 101).unwrap().state;
        assert_eq!(st, ProcState::Zombie);
    }
    assert_eq!(t.steps[reap_i].child, Some(101));
    assert_eq!(
        t.steps[reap_i].returns,
        vec![Return {
            pid: 100,
            value: 101
        }]
    );
    let last = t.processes.iter().find(|p| p.pid == 101).unwrap();
    assert_eq!(last.state, ProcState::Exited);
    // The first wait blocks while ls still runs.
    let first_wait = t.steps.iter().find(|s| s.action == StepKind::Wait).unwrap();
    assert!(first_wait.returns.is_empty() && first_wait.description.contains("ブロック"));
    assert!(t.steps[0].description.contains("A′"));
    assert!(t.steps.iter().any(|s| s.action == StepKind::Signal));
}

#[test]
fn exec_keeps_the_pid() {
    let list = vec![proc(100, 1, "bash", ProcState::Running)];
    let after = apply(
        &list,
        &Action::Exec {
            pid: 100,
            program: "vim".to_owned(),
        },
    )
    .unwrap();
    assert_eq!(after, vec![proc(100, 1, "vim", ProcState::Running)]);
}

#[test]
fn orphans_go_to_init_which_reaps_them() {
    let list = vec![
        proc(100, 1, "bash", ProcState::Running),
        proc(101, 100, "sh", ProcState::Running),
        proc(102, 101, "sleep", ProcState::Running),
        proc(103, 101, "true", ProcState::Zombie),
    ];
    let after = apply(
        &list,
        &Action::Exit {
            pid: 101,
            subreaper: None,
        },
    )
    .unwrap();
    let want = vec![
        proc(100, 1, "bash", ProcState::Running),
        proc(101, 100, "sh", ProcState::Zombie),
        proc(102, 1, "sleep", ProcState::Running),
        proc(103, 1, "true", ProcState::Exited),
    ];
    assert_eq!(after, want);
    // Once adopted by init, the orphan's own exit is reaped at once.
    let after = apply(
        &after,
        &Action::Exit {
            pid: 102,
            subreaper: None,
        },
    )
    .unwrap();
    assert_eq!(after[2].state, ProcState::Exited);
}

#[test]
fn orphans_go_to_the_subreaper() {
    let list = vec![
        proc(100, 1, "bash", ProcState::Running),
        proc(101, 100, "sh", ProcState::Running),
        proc(102, 101, "sleep", ProcState::Running),
    ];
    let exit = |pid, subreaper| Action::Exit { pid, subreaper };
    let after = apply(&list, &exit(101, Some(100))).unwrap();
    assert_eq!(after[2], proc(102, 100, "sleep", ProcState::Running));
    // The adopted child's exit leaves a zombie for the subreaper to wait for.
    let after = apply(&after, &exit(102, Some(100))).unwrap();
    assert_eq!(after[2].state, ProcState::Zombie);
    // wait() reaps the lowest PID first: sh (101), then the adopted sleep (102).
    let after = apply(&after, &Action::Wait { pid: 100 }).unwrap();
    assert_eq!(
        (after[1].state, after[2].state),
        (ProcState::Exited, ProcState::Zombie)
    );
    let after = apply(&after, &Action::Wait { pid: 100 }).unwrap();
    assert_eq!(after[2].state, ProcState::Exited);
    // A subreaper that is not an ancestor does not adopt.
    let list = vec![
        proc(100, 1, "bash", ProcState::Running),
        proc(101, 1, "sh", ProcState::Running),
        proc(102, 101, "sleep", ProcState::Running),
    ];
    let after = apply(&list, &exit(101, Some(100))).unwrap();
    assert_eq!(after[2].ppid, 1);

    let t = simulate(&Params {
        scenario: Scenario::Orphan,
        subreaper: true,
        ..Params::default()
    });
    assert!(
        t.processes
            .iter()
            .all(|p| p.pid == 100 || p.state == ProcState::Exited)
    );
    assert!(
        t.processes
            .iter()
            .find(|p| p.pid == 102)
            .is_some_and(|p| p.ppid == 100)
    );
    let t = run_scenario(Scenario::Orphan);
    assert!(
        t.processes
            .iter()
            .find(|p| p.pid == 102)
            .is_some_and(|p| p.ppid == 1)
    );
}

#[test]
fn wait_without_a_zombie_child() {
    let list = vec![
        proc(100, 1, "bash", ProcState::Running),
        proc(101, 100, "ls", ProcState::Running),
    ];
    // A running child: wait blocks, nothing changes.
    assert_eq!(apply(&list, &Action::Wait { pid: 100 }).unwrap(), list);
    // No children at all: ECHILD, nothing changes.
    assert_eq!(apply(&list, &Action::Wait { pid: 101 }).unwrap(), list);
    let (_, effect) = run(&list, &Action::Wait { pid: 101 }).unwrap();
    assert_eq!(effect, Effect::NoChildren);
    let (_, _, _, _, text, returns) = describe(&list, &Action::Wait { pid: 101 }, &effect);
    assert!(text.contains("ECHILD"));
    assert_eq!(
        returns,
        vec![Return {
            pid: 101,
            value: -1
        }]
    );
}

#[test]
fn illegal_calls_are_param_errors() {
    let list = vec![
        proc(100, 1, "bash", ProcState::Running),
        proc(101, 100, "ls", ProcState::Zombie),
        proc(102, 100, "cat", ProcState::Exited),
    ];
    assert!(apply(&list, &Action::Fork { parent: 999 }).is_err());
    assert!(apply(&list, &Action::Fork { parent: 101 }).is_err());
    assert!(apply(&list, &Action::Wait { pid: 102 }).is_err());
    assert!(
        apply(
            &list,
            &Action::Exec {
                pid: 100,
                program: " ".to_owned()
            }
        )
        .is_err()
    );
    // The next PID skips reaped ones.
    let after = apply(&list, &Action::Fork { parent: 100 }).unwrap();
    assert_eq!(after[3], proc(103, 100, "bash", ProcState::Running));
}

#[test]
fn same_tree_ignores_order_and_exited() {
    let a = vec![
        proc(100, 1, "bash", ProcState::Running),
        proc(101, 100, "ls", ProcState::Exited),
        proc(102, 100, "cat", ProcState::Zombie),
    ];
    let b = vec![
        proc(102, 100, "cat", ProcState::Zombie),
        proc(100, 1, "bash", ProcState::Running),
    ];
    assert!(same_tree(&a, &b));
    let c = vec![
        proc(102, 100, "cat", ProcState::Running),
        proc(100, 1, "bash", ProcState::Running),
    ];
    assert!(!same_tree(&a, &c));
}

#[test]
fn pipeline_follows_w8() {
    let t = run_scenario(Scenario::Pipeline);
    let kinds: Vec<StepKind> = t.steps.iter().map(|s| s.action).collect();
    use StepKind::*;
    assert_eq!(
        kinds,
        vec![
            Pipe, Fork, Dup2, Exec, Fork, Dup2, Exec, Close, Exit, Signal, Exit, Signal, Wait, Wait
        ]
    );
    let programs: Vec<&str> = t.steps[7]
        .processes
        .iter()
        .map(|p| p.program.as_str())
        .collect();
    assert_eq!(programs, ["bash", "cat", "grep"]);
    assert!(
        t.processes
            .iter()
            .skip(1)
            .all(|p| p.state == ProcState::Exited)
    );
    let reaped: Vec<Option<u32>> = t.steps[12..].iter().map(|s| s.child).collect();
    assert_eq!(reaped, [Some(101), Some(102)]);
}

#[test]
fn random_uses_the_rules_and_is_deterministic() {
    let p = |seed, actions, fork_share| Params {
        scenario: Scenario::Random,
        seed,
        actions,
        fork_share,
        ..Params::default()
    };
    assert_eq!(simulate(&p(7, 20, 50)), simulate(&p(7, 20, 50)));
    let trees: Vec<ForkTree> = (1..=5).map(|seed| simulate(&p(seed, 30, 60))).collect();
    assert!(trees.windows(2).any(|w| w[0] != w[1]));
    for seed in 0..50 {
        let t = simulate(&p(seed, 30, 60));
        // Replaying the steps through `apply` gives every snapshot (names aside).
        let mut list = t.initial.clone();
        let mut counted = 0;
        for s in &t.steps {
            let action = match s.action {
                StepKind::Fork => Action::Fork { parent: s.pid },
                StepKind::Exit => Action::Exit {
                    pid: s.pid,
                    subreaper: None,
                },
                StepKind::Wait => Action::Wait { pid: s.pid },
                other => panic!("unexpected {other:?}"),
            };
            if s.action != StepKind::Wait {
                counted += 1;
            }
            list = apply(&list, &action).unwrap();
            if let Some(child) = s.child.filter(|_| s.action == StepKind::Fork) {
                let name = &s.processes.iter().find(|p| p.pid == child).unwrap().program;
                list.iter_mut().find(|p| p.pid == child).unwrap().program = name.clone();
            }
            assert_eq!(list, s.processes);
        }
        assert_eq!(counted, 30);
        // The root never exits, and names follow creation order.
        assert_eq!(t.processes[0].state, ProcState::Running);
        for (k, proc) in t.processes.iter().enumerate() {
            assert_eq!(proc.program, letter_name(k));
        }
    }
    let all_forks = simulate(&p(3, 10, 100));
    assert_eq!(all_forks.processes.len(), 11);
    let no_forks = simulate(&p(3, 10, 0));
    assert!(no_forks.steps.iter().all(|s| alive(&s.processes) <= 2));
}

#[test]
fn letter_names_continue_past_z() {
    assert_eq!(letter_name(0), "a");
    assert_eq!(letter_name(25), "z");
    assert_eq!(letter_name(26), "aa");
    assert_eq!(letter_name(27), "ab");
    assert_eq!(letter_name(52), "ba");
}

#[test]
fn params_bounds_are_rejected() {
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    assert_eq!(params_from_query(&q(&[])), Ok(Params::default()));
    assert_eq!(
        params_from_query(&q(&[
            ("scenario", "random"),
            ("n", "6"),
            ("seed", "12"),
            ("actions", "30"),
            ("fork_share", "100"),
            ("subreaper", "1")
        ])),
        Ok(Params {
            scenario: Scenario::Random,
            n: 6,
            seed: 12,
            actions: 30,
            fork_share: 100,
            subreaper: true
        })
    );
    for (key, value) in [
        ("n", "7"),
        ("n", "0"),
        ("actions", "31"),
        ("actions", "0"),
        ("fork_share", "101"),
        ("scenario", "fork-bomb"),
        ("subreaper", "yes please"),
    ] {
        let err = params_from_query(&q(&[(key, value)])).unwrap_err();
        assert!(err.0.contains(key), "{err}");
    }
}

#[test]
fn json_shape() {
    let v = serde_json::to_value(run_scenario(Scenario::BashLs)).unwrap();
    let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["code", "initial", "processes", "scenario", "steps"]);
    assert_eq!(v["scenario"], "bash-ls");
    let step = &v["steps"][0];
    assert_eq!(step["action"], "fork");
    assert_eq!(step["child"], 101);
    assert_eq!(step["program"], serde_json::Value::Null);
    assert_eq!(
        step["returns"][1],
        serde_json::json!({"pid": 101, "value": 0})
    );
    assert_eq!(
        step["processes"][1],
        serde_json::json!({"pid": 101, "ppid": 100, "program": "bash", "state": "running"})
    );
    let mut step_keys: Vec<_> = step.as_object().unwrap().keys().cloned().collect();
    step_keys.sort();
    assert_eq!(
        step_keys,
        [
            "action",
            "child",
            "code_line",
            "description",
            "i",
            "pid",
            "processes",
            "program",
            "returns"
        ]
    );
    assert_eq!(v["processes"][1]["state"], "exited");
    let action: Action =
        serde_json::from_value(serde_json::json!({"action": "exec", "pid": 101, "program": "ls"}))
            .unwrap();
    assert_eq!(
        action,
        Action::Exec {
            pid: 101,
            program: "ls".to_owned()
        }
    );
    let exit: Action =
        serde_json::from_value(serde_json::json!({"action": "exit", "pid": 5})).unwrap();
    assert_eq!(
        exit,
        Action::Exit {
            pid: 5,
            subreaper: None
        }
    );
}

#[test]
fn every_step_is_described_in_japanese() {
    for scenario in Scenario::ALL {
        for subreaper in [false, true] {
            let t = simulate(&Params {
                scenario,
                subreaper,
                actions: 30,
                ..Params::default()
            });
            assert!(!t.steps.is_empty());
            for s in &t.steps {
                assert!(
                    s.description.chars().any(|c| c > '\u{3000}'),
                    "{}",
                    s.description
                );
            }
        }
    }
}
