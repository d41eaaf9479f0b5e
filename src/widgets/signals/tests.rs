//! The signal model against facts.md (W5, §12) and signal(7): who each signal reaches, what catching,
//! ignoring and blocking change, SIGKILL and SIGSTOP always acting, SIGCHLD and reaping, the numbers
//! per architecture, grading and bad input.

use super::model::{Fate, Life, Sig};
use super::scenarios::{CAT, GREP, SERVER, SLEEP};
use super::*;
use crate::widgets::{GradedItem, Widget, WidgetError};
use serde_json::json;

fn run(scenario: Scenario, handler: Handler) -> Signals {
    simulate(&Params { scenario, handler })
}

fn fate(s: &model::Step, pid: u32) -> Fate {
    s.deliveries.iter().find(|d| d.pid == pid).unwrap().fate
}

fn life(s: &model::Step, pid: u32) -> Life {
    s.processes.iter().find(|p| p.pid == pid).unwrap().life
}

#[test]
fn the_table_matches_signal_7_and_facts_w5() {
    let rows: Vec<(&str, u8, bool, bool)> = table()
        .iter()
        .map(|r| (r.signal.name(), r.numbers[0], r.varies, r.catchable))
        .collect();
    assert_eq!(
        rows,
        [
            ("SIGHUP", 1, false, true),
            ("SIGINT", 2, false, true),
            ("SIGQUIT", 3, false, true),
            ("SIGKILL", 9, false, false),
            ("SIGTERM", 15, false, true),
            ("SIGCHLD", 17, true, true),
            ("SIGCONT", 18, true, true),
            ("SIGSTOP", 19, true, false),
            ("SIGTSTP", 20, true, true),
        ]
    );
    assert_eq!(Sig::Quit.default_action(), model::Action::Core);
    assert_eq!(Sig::Chld.default_action(), model::Action::Ign);
    assert_eq!(Sig::Tstp.numbers(), [20, 18, 24, 25]);
}

#[test]
fn ctrl_c_reaches_the_foreground_group_and_each_disposition_decides() {
    for (handler, grep_fate) in [
        (Handler::Default, Fate::Terminated),
        (Handler::Catch, Fate::Handled),
        (Handler::Ignore, Fate::Ignored),
        (Handler::Block, Fate::Pending),
    ] {
        let r = run(Scenario::CtrlC, handler);
        let first = &r.steps[0];
        assert_eq!(first.signal, Some(Sig::Int));
        assert_eq!(first.signo, Some(2));
        assert_eq!(
            first.targets,
            [CAT, GREP],
            "the whole pipeline, not bash or the server"
        );
        assert_eq!(fate(first, CAT), Fate::Terminated);
        assert_eq!(fate(first, GREP), grep_fate, "{handler:?}");
        assert_eq!(fate(first, engine::SHELL), Fate::Unaffected);
        assert_eq!(fate(first, SERVER), Fate::Unaffected);
        // SIGCHLD to bash, who reaps cat.
        assert_eq!(r.steps[1].signal, Some(Sig::Chld));
        assert_eq!(r.steps[1].targets, [engine::SHELL]);
        assert_eq!(fate(&r.steps[1], CAT), Fate::Reaped);
        // In the end the pipeline is gone, bash has the terminal, the server runs on.
        let last = r.steps.last().unwrap();
        assert_eq!(life(last, GREP), Life::Gone);
        assert_eq!(life(last, SERVER), Life::Running);
        assert_eq!(last.foreground, engine::SHELL);
        if handler == Handler::Block {
            assert!(
                first
                    .processes
                    .iter()
                    .any(|p| p.pid == GREP && p.pending == [Sig::Int])
            );
            assert_eq!(
                fate(&r.steps[2], GREP),
                Fate::Terminated,
                "delivered on unblock"
            );
        }
        if matches!(handler, Handler::Catch | Handler::Ignore) {
            assert_eq!(fate(&r.steps[2], GREP), Fate::Exited, "EOF from the pipe");
        }
        assert!(
            r.steps
                .iter()
                .all(|s| !s.source.is_empty() && !s.explain.is_empty())
        );
    }
}

#[test]
fn ctrl_z_stops_the_job_and_ctrl_c_then_reaches_only_bash() {
    let r = run(Scenario::CtrlZ, Handler::Catch);
    assert_eq!(r.steps[0].signo, Some(20));
    assert_eq!(
        (fate(&r.steps[0], CAT), fate(&r.steps[0], GREP)),
        (Fate::Stopped, Fate::Stopped)
    );
    assert_eq!(
        r.steps[1].foreground,
        engine::SHELL,
        "bash takes the terminal back"
    );
    assert_eq!(r.steps[2].signal, Some(Sig::Cont));
    assert_eq!(fate(&r.steps[2], GREP), Fate::Continued);
    let ctrl_c = &r.steps[3];
    assert_eq!(ctrl_c.targets, [engine::SHELL]);
    assert_eq!(fate(ctrl_c, engine::SHELL), Fate::Handled);
    assert_eq!(
        fate(ctrl_c, GREP),
        Fate::Unaffected,
        "a background job gets no keyboard signal"
    );
}

#[test]
fn ctrl_backslash_dumps_core() {
    let r = run(Scenario::CtrlBackslash, Handler::Ignore);
    assert_eq!(r.steps[0].signo, Some(3));
    assert_eq!(
        fate(&r.steps[0], GREP),
        Fate::Core,
        "ignoring SIGINT does not touch SIGQUIT"
    );
    assert_eq!(fate(&r.steps[1], GREP), Fate::Reaped);
}

#[test]
fn kill_sends_sigterm_to_one_pid_and_kill_9_always_works() {
    for (handler, first, second) in [
        (Handler::Default, Fate::Terminated, None),
        (
            Handler::Catch,
            Fate::Handled,
            Some((Sig::Kill, Fate::Terminated)),
        ),
        (
            Handler::Ignore,
            Fate::Ignored,
            Some((Sig::Kill, Fate::Terminated)),
        ),
        (
            Handler::Block,
            Fate::Pending,
            Some((Sig::Term, Fate::Terminated)),
        ),
    ] {
        let r = run(Scenario::Kill, handler);
        assert_eq!(r.steps[0].signo, Some(15));
        assert_eq!(r.steps[0].targets, [SERVER]);
        assert_eq!(fate(&r.steps[0], SERVER), first, "{handler:?}");
        assert_eq!(fate(&r.steps[0], SLEEP), Fate::Unaffected);
        if let Some((sig, f)) = second {
            assert_eq!(r.steps[1].signal, Some(sig), "{handler:?}");
            assert_eq!(fate(&r.steps[1], SERVER), f);
        }
        let last = r.steps.last().unwrap();
        assert_eq!(last.signal, Some(Sig::Chld));
        assert_eq!(fate(last, SERVER), Fate::Reaped);
        assert_eq!(life(last, SLEEP), Life::Running);
        assert!(r.steps[0].source.contains("credentials(7)"));
    }
}

#[test]
fn sigstop_cannot_be_caught_and_sigcont_resumes() {
    for handler in Handler::ALL {
        let r = run(Scenario::StopCont, handler);
        assert_eq!(r.steps[0].signo, Some(19));
        assert_eq!(fate(&r.steps[0], SERVER), Fate::Stopped);
        assert_eq!(r.steps[1].signal, Some(Sig::Chld));
        assert_eq!(fate(&r.steps[2], SERVER), Fate::Continued);
        assert_eq!(life(&r.steps[2], SERVER), Life::Running);
    }
}

fn grade(body: serde_json::Value) -> Result<crate::widgets::Graded, WidgetError> {
    SignalsWidget.check(&body)
}

#[test]
fn predictions_are_graded_and_stored_in_one_form() {
    let g = grade(json!({"scenario": "ctrl-c", "handler": "catch", "step": 0, "field": "fate", "pid": 202, "answer": "handled"})).unwrap();
    let reply: serde_json::Value = serde_json::from_str(g.reply.get()).unwrap();
    assert_eq!(reply["correct"], true);
    assert_eq!(
        g.item,
        GradedItem {
            scenario: "ctrl-c+catch".into(),
            step: 0,
            field: "fate",
            answer: "202:handled".into(),
            correct: true,
        }
    );
    let wrong = grade(json!({"scenario": "ctrl-c", "step": 0, "field": "fate", "pid": 301, "answer": "terminated"})).unwrap();
    let reply: serde_json::Value = serde_json::from_str(wrong.reply.get()).unwrap();
    assert_eq!(
        (reply["correct"].as_bool(), reply["expected"].as_str()),
        (Some(false), Some("unaffected"))
    );
    let signo =
        grade(json!({"scenario": "ctrl-z", "step": 0, "field": "signo", "answer": "20"})).unwrap();
    assert!(signo.item.correct);
    assert_eq!(signo.item.scenario, "ctrl-z+default");
}

#[test]
fn bad_bodies_name_the_parameter() {
    for (body, name) in [
        (
            json!({"scenario": "nope", "step": 0, "field": "signo", "answer": "2"}),
            "scenario",
        ),
        (
            json!({"scenario": "kill", "handler": "trap", "step": 0, "field": "signo", "answer": "2"}),
            "handler",
        ),
        (
            json!({"scenario": "kill", "step": 9, "field": "signo", "answer": "2"}),
            "step",
        ),
        (
            json!({"scenario": "kill", "step": 0, "field": "colour", "answer": "2"}),
            "field",
        ),
        (
            json!({"scenario": "kill", "step": 0, "field": "fate", "answer": "reaped"}),
            "pid",
        ),
        (
            json!({"scenario": "kill", "step": 0, "field": "fate", "pid": 5, "answer": "reaped"}),
            "pid",
        ),
        (
            json!({"scenario": "kill", "step": 0, "field": "fate", "pid": 301, "answer": "vanished"}),
            "answer",
        ),
        (
            json!({"scenario": "kill", "step": 0, "field": "signo", "answer": "99"}),
            "answer",
        ),
        (
            json!({"scenario": "ctrl-c", "handler": "catch", "step": 2, "field": "signo", "answer": "2"}),
            "field",
        ),
    ] {
        match grade(body.clone()) {
            Err(WidgetError::Param(e)) => assert!(e.0.contains(name), "{body}: {e}"),
            other => panic!("{body}: {other:?}"),
        }
    }
    assert!(matches!(
        grade(json!({"scenario": "kill", "step": 0, "field": "signo", "answer": "2", "seed": 1})),
        Err(WidgetError::Shape(_))
    ));
}

#[test]
fn analysis_labels_read_the_stored_run() {
    let w = SignalsWidget;
    assert_eq!(
        w.scenario_label("kill+ignore"),
        "kill と kill -9（無視する（SIG_IGN））"
    );
    assert_eq!(w.scenario_label("kill"), "kill と kill -9");
    assert_eq!(w.scenario_label("kill+x"), "kill+x");
    assert_eq!(w.step_label("kill+catch", 1), "2. kill -9 301 と入力する");
    assert_eq!(
        w.step_label("kill+block", 1),
        "2. server (PID 301) が sigprocmask で SIGTERM のブロックを解く"
    );
    assert_eq!(w.field_label("fate"), Some("プロセスの運命"));
}

#[test]
fn generators_agree_with_the_model() {
    for g in SignalsWidget.generators() {
        for seed in 0..100 {
            let q = (g.make)(seed);
            assert_eq!(q, (g.make)(seed));
            assert!(
                q.values
                    .iter()
                    .any(|(k, v)| *k == "answer" && *v == q.answer.to_string())
            );
        }
    }
}
