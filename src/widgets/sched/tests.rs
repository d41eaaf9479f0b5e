//! The scheduler model against facts.md (W7, §10, §12): each scenario's states step by step, at
//! most one running task per CPU, the load count as R + D, load balancing, grading and bad input.

use super::model::{Sched, Stat};
use super::*;
use crate::widgets::{GradedItem, Widget, WidgetError};
use serde_json::json;

fn run(scenario: Scenario, cpus: usize, tasks: usize) -> Sched {
    simulate(&Params {
        scenario,
        cpus,
        tasks,
    })
}

fn stat_of(s: &model::Step, pid: u32) -> Stat {
    s.tasks.iter().find(|t| t.pid == pid).unwrap().stat
}

fn every_run() -> Vec<Sched> {
    let mut runs = Vec::new();
    for cpus in 1..=4 {
        for scenario in Scenario::ALL {
            let tasks_range = if scenario == Scenario::Balance {
                1..=8
            } else {
                5..=5
            };
            for tasks in tasks_range {
                runs.push(run(scenario, cpus, tasks));
            }
        }
    }
    runs
}

#[test]
fn the_lifecycle_follows_w7() {
    // W7: fork → R (queued) → scheduled (still R); blocking read → S; event → R; disk wait → D;
    // SIGSTOP → T; SIGCONT → R; exit → Z; parent's wait → gone.
    for cpus in 1..=4 {
        let r = run(Scenario::Lifecycle, cpus, 5);
        let grep = 101 + cpus as u32;
        let seq: Vec<(model::EventKind, Stat, bool)> = r
            .steps
            .iter()
            .filter(|s| s.pid == grep || s.kind == model::EventKind::Slice)
            .map(|s| {
                let running = s.cpus.iter().any(|c| c.current == Some(grep));
                (s.kind, stat_of(s, grep), running)
            })
            .collect();
        use model::EventKind::*;
        assert_eq!(
            seq,
            [
                (Fork, Stat::R, false),
                (Slice, Stat::R, true),
                (ReadPipe, Stat::S, false),
                (PipeData, Stat::R, false),
                (Slice, Stat::R, true),
                (DiskRead, Stat::D, false),
                (DiskDone, Stat::R, false),
                (Stop, Stat::T, false),
                (Cont, Stat::R, false),
                (Slice, Stat::R, true),
                (Exit, Stat::Z, false),
                (Wait, Stat::Gone, false),
            ],
            "cpus {cpus}"
        );
        // Every CPU stays busy with its compute task, so exactly `cpus` tasks run at every step.
        assert!(r.steps.iter().all(|s| s.running == cpus));
        // The D step counts the waiting grep: cpus compute tasks + 1.
        let disk = r.steps.iter().find(|s| s.kind == DiskRead).unwrap();
        assert_eq!(
            (disk.runnable, disk.uninterruptible, disk.load),
            (cpus, 1, cpus + 1)
        );
        // T and Z are not counted.
        for kind in [Stop, Exit] {
            let s = r.steps.iter().find(|s| s.kind == kind).unwrap();
            assert_eq!(s.load, cpus, "{kind:?}");
        }
        assert!(
            r.steps
                .iter()
                .all(|s| !s.source.is_empty() && !s.explain.is_empty())
        );
    }
}

#[test]
fn at_most_one_task_runs_per_cpu_and_the_load_is_r_plus_d() {
    for r in every_run() {
        for s in &r.steps {
            assert_eq!(s.cpus.len(), r.cpus);
            assert!(s.running <= r.cpus);
            let on_cpu: Vec<u32> = s.cpus.iter().filter_map(|c| c.current).collect();
            let queued: Vec<u32> = s.cpus.iter().flat_map(|c| c.queue.clone()).collect();
            // Exactly the R tasks are on a CPU or in one queue, each once.
            let mut placed = [on_cpu.clone(), queued.clone()].concat();
            placed.sort();
            let mut r_tasks: Vec<u32> = s
                .tasks
                .iter()
                .filter(|t| t.stat == Stat::R)
                .map(|t| t.pid)
                .collect();
            r_tasks.sort();
            assert_eq!(placed, r_tasks, "{:?} step {}", r.scenario, s.event);
            let count = |st: Stat| s.tasks.iter().filter(|t| t.stat == st).count();
            assert_eq!(s.load, count(Stat::R) + count(Stat::D));
            assert_eq!(s.running, on_cpu.len());
            // No CPU idles while another has a task waiting (idle balancing).
            if s.cpus.iter().any(|c| c.current.is_none()) {
                assert!(queued.is_empty(), "{:?}: {}", r.scenario, s.event);
            }
            assert!(s.explain.contains("ロードアベレージが数えるのは"));
            assert!(s.source.contains("proc(5)"), "{}", s.source);
        }
    }
}

#[test]
fn idle_cpus_pull_work_from_the_busy_queue() {
    // 3 CPUs, 5 compute tasks woken on CPU 0: CPUs 1 and 2 pull the 2nd and 3rd; two wait.
    let r = run(Scenario::Balance, 3, 5);
    assert_eq!(
        r.steps[1].pulls,
        [model::Pull {
            pid: 102,
            from: 0,
            to: 1
        }]
    );
    assert_eq!(
        r.steps[2].pulls,
        [model::Pull {
            pid: 103,
            from: 0,
            to: 2
        }]
    );
    let after_forks = &r.steps[4];
    assert_eq!((after_forks.running, after_forks.runnable), (3, 5));
    assert_eq!(after_forks.cpus[0].queue, [104, 105]);
    assert!(after_forks.cpus[1].queue.is_empty());
    // The task on CPU 2 exits; CPU 2 pulls the last waiting task from CPU 0.
    let exit = r
        .steps
        .iter()
        .find(|s| s.kind == model::EventKind::Exit)
        .unwrap();
    assert_eq!(exit.pid, 103);
    assert_eq!(exit.pulls.len(), 1);
    assert_eq!((exit.pulls[0].from, exit.pulls[0].to), (0, 2));
    assert_eq!(exit.running, 3);
    assert!(exit.explain.contains("ロードバランシング"));
    assert!(exit.source.contains("sched(7)"));
    // One CPU: nothing to balance, one runs and the rest wait.
    let one = run(Scenario::Balance, 1, 4);
    assert!(
        one.steps
            .iter()
            .all(|s| s.pulls.is_empty() && s.running <= 1)
    );
    assert_eq!(one.steps[3].cpus[0].queue.len(), 3);
}

#[test]
fn the_load_scenario_counts_r_and_d_only() {
    for cpus in 1..=4 {
        let r = run(Scenario::Load, cpus, 5);
        let last = r.steps.last().unwrap();
        let stats: Vec<(&str, Stat)> = last
            .tasks
            .iter()
            .map(|t| (t.comm.as_str(), t.stat))
            .collect();
        assert_eq!(
            stats,
            [
                ("bash", Stat::S),
                ("make", Stat::R),
                ("sort", Stat::S),
                ("tar", Stat::Z),
                ("cp", Stat::D),
                ("vim", Stat::T),
            ]
        );
        // make (R) + cp (D): the count is 2 whether or not a CPU is idle.
        assert_eq!((last.load, last.running), (2, 1));
    }
}

#[test]
fn stat_answers_are_read_forgivingly() {
    assert_eq!(Stat::from_answer(" s "), Some(Stat::S));
    assert_eq!(Stat::from_answer("Ｄ"), Some(Stat::D));
    assert_eq!(Stat::from_answer("なし"), Some(Stat::Gone));
    assert_eq!(Stat::from_answer("-"), Some(Stat::Gone));
    assert_eq!(Stat::from_answer("X"), None);
    assert_eq!(Stat::from_answer("RS"), None);
}

fn grade(body: serde_json::Value) -> Result<crate::widgets::Graded, WidgetError> {
    SchedWidget.check(&body)
}

fn reply(g: &crate::widgets::Graded) -> serde_json::Value {
    serde_json::from_str(g.reply.get()).unwrap()
}

#[test]
fn predictions_are_graded_against_the_run() {
    // Lifecycle on 2 CPUs: step 2 is grep's read of the empty pipe → S.
    let g = grade(json!({"scenario": "lifecycle", "cpus": 2, "step": 2, "field": "stat", "pid": 103, "answer": "s"})).unwrap();
    assert_eq!(reply(&g)["correct"], true);
    assert_eq!(reply(&g)["expected"], "S");
    assert!(reply(&g)["source"].as_str().unwrap().contains("pipe(7)"));
    assert_eq!(
        g.item,
        GradedItem {
            scenario: "lifecycle/2cpu".into(),
            step: 2,
            field: "stat",
            answer: "103:S".into(),
            correct: true,
        }
    );
    let wrong = grade(json!({"scenario": "lifecycle", "cpus": 2, "step": 2, "field": "stat", "pid": 103, "answer": "R"})).unwrap();
    assert_eq!(reply(&wrong)["correct"], false);
    // 4 CPUs, 8 compute tasks: after the last fork 4 run; the count is 8.
    let body = |field: &str, answer: &str| json!({"scenario": "balance", "cpus": 4, "tasks": 8, "step": 7, "field": field, "answer": answer});
    assert_eq!(
        reply(&grade(body("running", "4")).unwrap())["correct"],
        true
    );
    assert_eq!(
        reply(&grade(body("running", "8")).unwrap())["correct"],
        false
    );
    let load = grade(body("load", "８")).unwrap();
    assert_eq!(reply(&load)["correct"], true);
    assert_eq!(load.item.scenario, "balance/4cpu/8tasks");
    assert_eq!(load.item.answer, "8");
}

#[test]
fn bad_bodies_are_refused_naming_the_parameter() {
    for (body, name) in [
        (
            json!({"scenario": "nope", "step": 0, "field": "load", "answer": "1"}),
            "scenario",
        ),
        (
            json!({"scenario": "balance", "cpus": 5, "step": 0, "field": "load", "answer": "1"}),
            "cpus",
        ),
        (
            json!({"scenario": "balance", "tasks": 0, "step": 0, "field": "load", "answer": "1"}),
            "tasks",
        ),
        (
            json!({"scenario": "load", "step": 99, "field": "load", "answer": "1"}),
            "step",
        ),
        (
            json!({"scenario": "load", "step": 0, "field": "color", "answer": "1"}),
            "field",
        ),
        (
            json!({"scenario": "load", "step": 0, "field": "stat", "answer": "R"}),
            "pid",
        ),
        (
            json!({"scenario": "load", "step": 0, "field": "stat", "pid": 999, "answer": "R"}),
            "pid",
        ),
        (
            json!({"scenario": "load", "step": 0, "field": "stat", "pid": 101, "answer": "Q"}),
            "answer",
        ),
        (
            json!({"scenario": "load", "step": 0, "field": "load", "answer": "-1"}),
            "answer",
        ),
        (
            json!({"scenario": "load", "step": 0, "field": "load", "answer": "x".repeat(100)}),
            "answer",
        ),
    ] {
        match grade(body.clone()) {
            Err(WidgetError::Param(e)) => assert!(e.0.contains(name), "{body}: {e}"),
            other => panic!("{body}: {other:?}"),
        }
    }
    for body in [
        json!({"scenario": "load", "step": 0, "field": "load"}),
        json!({"scenario": "load", "step": 0, "field": "load", "answer": "1", "seed": 3}),
        json!({"scenario": "load", "step": -1, "field": "load", "answer": "1"}),
    ] {
        assert!(matches!(grade(body), Err(WidgetError::Shape(_))));
    }
}

#[test]
fn params_are_range_checked_by_name() {
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    assert_eq!(params_from_query(&q(&[])).unwrap(), Params::default());
    for (k, v) in [
        ("cpus", "0"),
        ("cpus", "5"),
        ("tasks", "9"),
        ("scenario", "x"),
        ("cpus", "two"),
    ] {
        let err = params_from_query(&q(&[(k, v)])).unwrap_err();
        assert!(err.0.contains(&format!("パラメータ {k}")), "{err}");
    }
}

#[test]
fn analysis_labels_name_the_stored_run() {
    let w = SchedWidget;
    assert_eq!(
        w.scenario_label("balance/3cpu/5tasks"),
        "CPU ごとのキューとロードバランシング（CPU 3 個・タスク 5 個）"
    );
    assert_eq!(
        w.scenario_label("lifecycle/1cpu"),
        "1 つのタスクの一生（R・S・D・T・Z）（CPU 1 個）"
    );
    assert_eq!(w.scenario_label("lifecycle/9cpu"), "lifecycle/9cpu");
    assert_eq!(
        w.step_label("lifecycle/2cpu", 2),
        "3. grep (PID 103) が空のパイプから read() する"
    );
    assert_eq!(w.step_label("nope", 2), "ステップ 3");
    assert_eq!(
        w.field_label("load"),
        Some("ロードアベレージが数えるタスク数（R + D）")
    );
    for p in [
        Params {
            scenario: Scenario::Balance,
            cpus: 4,
            tasks: 8,
        },
        Params {
            scenario: Scenario::Load,
            cpus: 1,
            tasks: 5,
        },
    ] {
        assert_eq!(Params::from_stored(&p.stored_name()), Some(p));
    }
}

#[test]
fn generators_agree_with_the_model() {
    for g in SchedWidget.generators() {
        for seed in 0..50 {
            let q = (g.make)(seed);
            assert_eq!(q, (g.make)(seed), "{} is reproducible", g.id);
            assert!(
                q.values
                    .iter()
                    .any(|(k, v)| *k == "answer" && *v == q.answer.to_string())
            );
        }
    }
}
