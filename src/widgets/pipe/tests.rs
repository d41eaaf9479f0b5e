//! Unit tests of the pipe model: the fact sheet's W8 sequence and descriptor tables, the 64 KiB
//! buffer, EOF, SIGPIPE and the hangs, `$?` with and without pipefail, the grading of 予想モード, bad
//! parameters, and the quiz generators against the model.

use super::*;
use crate::widgets::testing::{
    assert_bad_parameters_named, assert_generators_repeat_with_answer_last,
};
use crate::widgets::{Widget, WidgetError};
use serde_json::json;

fn run(scenario: Scenario) -> PipeRun {
    simulate(&Params {
        scenario,
        ..Params::default()
    })
}

fn with(scenario: Scenario, size: u64, pipefail: bool, matches: bool) -> PipeRun {
    simulate(&Params {
        scenario,
        size,
        pipefail,
        matches,
    })
}

fn calls(r: &PipeRun, pid: u32) -> Vec<&str> {
    r.steps
        .iter()
        .filter(|s| s.pid == pid)
        .map(|s| s.call.as_str())
        .collect()
}

/// The descriptors of `pid` after the last step that names it as subject, before data flows.
fn table_after(r: &PipeRun, call: &str, pid: u32) -> String {
    let k = r
        .steps
        .iter()
        .position(|s| s.call == call && s.subject == Some(pid))
        .unwrap_or_else(|| panic!("no {call} for {pid}"));
    r.fd_answer(k, pid).unwrap()
}

#[test]
fn w8_the_shell_builds_the_pipeline_in_the_fact_sheets_order() {
    let r = run(Scenario::Pipeline);
    let kinds: Vec<StepKind> = r.steps.iter().map(|s| s.kind).collect();
    use StepKind::*;
    // pipe → fork 1, dup2, close, close, exec cat, open → fork 2, dup2, close, close, exec grep →
    // bash closes both and waits.
    assert_eq!(
        &kinds[..16],
        [
            Pipe, Fork, Dup2, Close, Close, Exec, Open, Fork, Dup2, Close, Close, Exec, Close,
            Close, Wait, Write
        ]
    );
    assert_eq!(r.steps[0].result, "= 0、fds = {3, 4}");
    assert_eq!(
        calls(&r, CAT_PID)[..3],
        ["dup2(4, 1)", "close(3)", "close(4)"]
    );
    assert_eq!(
        calls(&r, GREP_PID)[..3],
        ["dup2(3, 0)", "close(3)", "close(4)"]
    );
    assert_eq!(
        calls(&r, SHELL_PID)[..5],
        ["pipe(fds)", "fork()", "fork()", "close(3)", "close(4)"]
    );
    // Every step names its source, a man page.
    assert!(r.steps.iter().all(|s| s.source.contains('(')));
    // Every explanation is polite Japanese.
    assert!(
        r.steps
            .iter()
            .all(|s| s.explain.contains("ます") || s.explain.contains("です"))
    );
}

#[test]
fn descriptor_tables_after_each_call() {
    let r = run(Scenario::Pipeline);
    assert_eq!(
        table_after(&r, "pipe(fds)", SHELL_PID),
        "tty,tty,tty,pipe-r,pipe-w"
    );
    // The child's table is a copy of the shell's.
    assert_eq!(
        table_after(&r, "fork()", CAT_PID),
        "tty,tty,tty,pipe-r,pipe-w"
    );
    assert_eq!(
        table_after(&r, "dup2(4, 1)", CAT_PID),
        "tty,pipe-w,tty,pipe-r,pipe-w"
    );
    // execve keeps the descriptors; cat's open() takes the lowest free number, 3.
    let exec = r
        .steps
        .iter()
        .position(|s| s.kind == StepKind::Exec)
        .unwrap();
    assert_eq!(
        r.fd_answer(exec, CAT_PID).unwrap(),
        "tty,pipe-w,tty,none,none"
    );
    assert_eq!(
        r.fd_answer(exec + 1, CAT_PID).unwrap(),
        "tty,pipe-w,tty,file,none"
    );
    assert_eq!(
        table_after(&r, "dup2(3, 0)", GREP_PID),
        "pipe-r,tty,tty,pipe-r,pipe-w"
    );
    let wait = r
        .steps
        .iter()
        .position(|s| s.kind == StepKind::Wait)
        .unwrap();
    assert_eq!(
        r.fd_answer(wait, SHELL_PID).unwrap(),
        "tty,tty,tty,none,none"
    );
    assert_eq!(
        r.fd_answer(wait, GREP_PID).unwrap(),
        "pipe-r,tty,tty,none,none"
    );
    // Right after the second fork: three write ends (bash's 4, cat's 1, grep's 4) and two read
    // ends (bash's 3, grep's 3: cat closed its copy).
    let fork2 = r
        .steps
        .iter()
        .rposition(|s| s.kind == StepKind::Fork)
        .unwrap();
    assert_eq!(
        (r.steps[fork2].pipe.writers, r.steps[fork2].pipe.readers),
        (3, 2)
    );
    // After the setup: one write end (cat's 1), one read end (grep's 0).
    assert_eq!(
        (r.steps[wait].pipe.writers, r.steps[wait].pipe.readers),
        (1, 1)
    );
    // A child that forgot to close its read end gets 4 from open(): 3 is taken.
    let k = run(Scenario::CatKeepsR);
    let open = k
        .steps
        .iter()
        .position(|s| s.kind == StepKind::Open)
        .unwrap();
    assert_eq!(k.steps[open].result, "= 4");
    assert_eq!(
        k.fd_answer(open, CAT_PID).unwrap(),
        "tty,pipe-w,tty,pipe-r,file"
    );
}

#[test]
fn a_full_pipe_blocks_cat_at_65536_bytes_and_grep_sees_eof() {
    let r = run(Scenario::Pipeline);
    assert_eq!(r.capacity, 65_536);
    let first = r.steps.iter().find(|s| s.kind == StepKind::Write).unwrap();
    assert_eq!(first.pipe.bytes, 65_536);
    let cat = first.processes.iter().find(|p| p.pid == CAT_PID).unwrap();
    assert_eq!(cat.state, ProcState::BlockedWrite);
    // 150,000 bytes: blocked after 65,536 and after 131,072; the last 18,928 fit.
    assert_eq!(r.blocks, 2);
    assert!(r.steps.iter().any(|s| s.kind == StepKind::Repeat));
    let last = r.steps.iter().rfind(|s| s.kind == StepKind::Write).unwrap();
    assert_eq!(last.pipe.written, 150_000);
    assert_eq!(r.outcome, Outcome::Completes);
    assert_eq!(
        (r.cat_status, r.grep_status, r.status),
        (Some(0), Some(0), Some(0))
    );
    // grep's EOF comes after cat's exit, once no write end is left.
    let eof = r
        .steps
        .iter()
        .position(|s| s.pid == GREP_PID && s.kind == StepKind::Exit)
        .unwrap();
    let cat_exit = r
        .steps
        .iter()
        .position(|s| s.pid == CAT_PID && s.kind == StepKind::Exit)
        .unwrap();
    assert!(cat_exit < eof);
    assert_eq!(r.steps[cat_exit].pipe.writers, 0);
    assert_eq!(r.steps[eof].pipe.read, 150_000);

    // A log that fits never blocks; an empty one is EOF at once and grep says 1.
    let small = with(Scenario::Pipeline, 4_000, false, true);
    assert_eq!(small.blocks, 0);
    assert_eq!(with(Scenario::Pipeline, 65_536, false, true).blocks, 0);
    assert_eq!(with(Scenario::Pipeline, 65_537, false, true).blocks, 1);
    let empty = with(Scenario::Pipeline, 0, false, true);
    assert_eq!((empty.grep_status, empty.status), (Some(1), Some(1)));
    // The largest log still ends, in 16 blocks.
    let big = with(Scenario::Pipeline, SIZE_MAX, false, true);
    assert_eq!((big.blocks, big.outcome), (15, Outcome::Completes));
    assert!(big.steps.len() < 30, "{}", big.steps.len());
}

#[test]
fn grep_quitting_early_kills_cat_with_sigpipe_and_pipefail_reports_141() {
    let r = run(Scenario::EarlyExit);
    assert_eq!(r.outcome, Outcome::Sigpipe);
    assert_eq!((r.cat_status, r.grep_status), (Some(141), Some(0)));
    assert_eq!(r.status, Some(0), "without pipefail: grep's status");
    let pf = with(Scenario::EarlyExit, SIZE_DEFAULT, true, true);
    assert_eq!(
        pf.status,
        Some(141),
        "with pipefail: the rightmost non-zero"
    );
    let sig = r.steps.iter().find(|s| s.kind == StepKind::Signal).unwrap();
    assert!(sig.source.contains("signal(7)") && sig.source.contains("pipe(7)"));
    assert_eq!(sig.pipe.readers, 0);
    // A log that fits in the pipe is written before grep quits: no SIGPIPE.
    let small = with(Scenario::EarlyExit, 10_000, true, true);
    assert_eq!((small.outcome, small.status), (Outcome::Completes, Some(0)));
    // No Error line: grep -m 1 reads to EOF and says 1.
    let none = with(Scenario::EarlyExit, SIZE_DEFAULT, false, false);
    assert_eq!((none.outcome, none.status), (Outcome::Completes, Some(1)));
}

#[test]
fn pipefail_takes_the_rightmost_non_zero_status() {
    assert_eq!(pipeline_status(141, 0, false), 0);
    assert_eq!(pipeline_status(141, 0, true), 141);
    assert_eq!(pipeline_status(0, 1, true), 1);
    assert_eq!(pipeline_status(141, 1, true), 1);
    assert_eq!(pipeline_status(0, 0, true), 0);
    assert_eq!(pipeline_status(1, 0, false), 0);
}

#[test]
fn a_forgotten_close_hangs_the_pipeline() {
    for s in [Scenario::ShellKeepsW, Scenario::GrepKeepsW] {
        let r = run(s);
        assert_eq!(r.outcome, Outcome::GrepHangs, "{s:?}");
        assert_eq!((r.grep_status, r.status), (None, None));
        assert_eq!(r.cat_status, Some(0));
        let last = r.steps.last().unwrap();
        assert_eq!(last.kind, StepKind::Hang);
        assert_eq!(last.pipe.writers, 1, "one write end left");
        let grep = last.processes.iter().find(|p| p.pid == GREP_PID).unwrap();
        assert_eq!(grep.state, ProcState::BlockedRead);
        // The forgotten close is missing from the calls.
        let who = if s == Scenario::ShellKeepsW {
            SHELL_PID
        } else {
            GREP_PID
        };
        assert!(!calls(&r, who).contains(&"close(4)"), "{s:?}");
    }
    // cat keeps the read end: grep quits, but cat is its own reader and waits in write().
    let r = run(Scenario::CatKeepsR);
    assert_eq!(r.outcome, Outcome::CatHangs);
    assert_eq!(
        (r.cat_status, r.grep_status, r.status),
        (None, Some(0), None)
    );
    assert!(!r.steps.iter().any(|s| s.kind == StepKind::Signal));
    // With a log of at most two pipe-fulls, cat finishes all the same.
    let r = with(Scenario::CatKeepsR, 100_000, false, true);
    assert_eq!((r.outcome, r.status), (Outcome::Completes, Some(0)));
}

#[test]
fn predict_mode_asks_fds_before_each_descriptor_change_and_the_ending_once() {
    for s in Scenario::ALL {
        let r = run(s);
        for st in &r.steps {
            let changes = matches!(
                st.kind,
                StepKind::Pipe
                    | StepKind::Fork
                    | StepKind::Dup2
                    | StepKind::Close
                    | StepKind::Exec
                    | StepKind::Open
            );
            assert_eq!(st.ask == Some(Field::Fds), changes, "{s:?} {}", st.call);
        }
        let asks = |f| r.steps.iter().filter(|st| st.ask == Some(f)).count();
        assert_eq!(asks(Field::Outcome), 1);
        assert_eq!(asks(Field::Status), usize::from(r.status.is_some()));
    }
}

fn grade(body: serde_json::Value) -> Result<crate::widgets::Graded, WidgetError> {
    PipeWidget.check(&body)
}

fn reply(g: &crate::widgets::Graded) -> serde_json::Value {
    serde_json::from_str(g.reply.get()).unwrap()
}

#[test]
fn predictions_are_graded_by_the_model() {
    // Step 2 is child 1's dup2(4, 1).
    let right = grade(json!({"scenario": "pipeline", "step": 2, "field": "fds",
        "answer": "tty, pipe-w, tty, pipe-r, pipe-w"}))
    .unwrap();
    assert_eq!(reply(&right)["correct"], true);
    assert_eq!(right.item.answer, "tty,pipe-w,tty,pipe-r,pipe-w");
    assert_eq!((right.item.step, right.item.field), (2, "fds"));
    // Forgetting that dup2 leaves 4 open is the classic slip.
    let wrong = grade(json!({"scenario": "pipeline", "step": 2, "field": "fds",
        "answer": "tty,pipe-w,tty,pipe-r,none"}))
    .unwrap();
    let w = reply(&wrong);
    assert_eq!(w["correct"], false);
    assert_eq!(w["wrong_fds"], json!([4]));
    assert!(
        w["expected_label"]
            .as_str()
            .unwrap()
            .contains("4: パイプの書き口")
    );

    let wait = run(Scenario::ShellKeepsW)
        .steps
        .iter()
        .position(|s| s.ask == Some(Field::Outcome))
        .unwrap();
    let hang = grade(
        json!({"scenario": "shell-keeps-w", "step": wait, "field": "outcome",
        "answer": "grep-hangs"}),
    )
    .unwrap();
    assert_eq!(reply(&hang)["correct"], true);
    let eof = grade(
        json!({"scenario": "shell-keeps-w", "step": wait, "field": "outcome",
        "answer": "completes"}),
    )
    .unwrap();
    assert_eq!(reply(&eof)["correct"], false);
    assert_eq!(reply(&eof)["expected"], "grep-hangs");

    let r = with(Scenario::EarlyExit, SIZE_DEFAULT, true, true);
    let last = r.steps.len() - 1;
    let st = grade(
        json!({"scenario": "early-exit", "pipefail": true, "step": last,
        "field": "status", "answer": "141"}),
    )
    .unwrap();
    assert_eq!(reply(&st)["correct"], true);
    let st =
        grade(json!({"scenario": "early-exit", "step": last, "field": "status", "answer": "141"}))
            .unwrap();
    assert_eq!(
        reply(&st)["correct"],
        false,
        "without pipefail $? is grep's 0"
    );
}

#[test]
fn bad_predictions_are_refused_before_grading() {
    for body in [
        json!({"scenario": "nope", "step": 0, "field": "fds", "answer": "tty,tty,tty,none,none"}),
        json!({"scenario": "pipeline", "size": 2_000_000, "step": 0, "field": "fds", "answer": "tty,tty,tty,none,none"}),
        json!({"scenario": "pipeline", "step": 999, "field": "fds", "answer": "tty,tty,tty,none,none"}),
        json!({"scenario": "pipeline", "step": 0, "field": "outcome", "answer": "completes"}),
        json!({"scenario": "pipeline", "step": 0, "field": "colour", "answer": "x"}),
        json!({"scenario": "pipeline", "step": 0, "field": "fds", "answer": "tty,tty"}),
        json!({"scenario": "pipeline", "step": 0, "field": "fds", "answer": "tty,tty,tty,socket,none"}),
        json!({"scenario": "pipeline", "step": 0, "field": "fds", "answer": "x".repeat(100)}),
    ] {
        let err = grade(body.clone()).unwrap_err();
        assert!(matches!(err, WidgetError::Param(_)), "{body}: {err}");
    }
    let last = run(Scenario::Pipeline).steps.len() - 1;
    for answer in ["-1", "256", "abc", "+1"] {
        let err = grade(
            json!({"scenario": "pipeline", "step": last, "field": "status", "answer": answer}),
        )
        .unwrap_err();
        assert!(matches!(err, WidgetError::Param(_)), "{answer}");
    }
    for body in [
        json!({"scenario": "pipeline", "step": 0, "field": "fds"}),
        json!({"scenario": "pipeline", "step": 0, "field": "fds", "answer": "x", "pid": 100}),
        json!({"scenario": "pipeline", "step": -1, "field": "fds", "answer": "x"}),
    ] {
        assert!(matches!(grade(body), Err(WidgetError::Shape(_))));
    }
}

#[test]
fn bad_parameters_name_the_parameter_in_japanese() {
    assert_bad_parameters_named(
        params_from_query,
        &[
            ("scenario", "nope"),
            ("size", "1048577"),
            ("size", "-1"),
            ("pipefail", "maybe"),
            ("matches", "2"),
        ],
    );
}

#[test]
fn generated_questions_agree_with_the_model() {
    for seed in 0..300 {
        assert_generators_repeat_with_answer_last(&questions::GENERATORS, seed);
        // pipe-write-fd: the second lowest free number.
        let q = (questions::GENERATORS[0].make)(seed);
        let open: Vec<u64> = q.values[0]
            .1
            .split(", ")
            .map(|n| n.parse().unwrap())
            .collect();
        let free: Vec<u64> = (0..).filter(|n| !open.contains(n)).take(2).collect();
        assert_eq!(q.answer, free[1], "{}", q.prompt);
        // pipe-unwritten: size − 65,536.
        let q = (questions::GENERATORS[1].make)(seed);
        let size: u64 = q.values[0].1.replace(',', "").parse().unwrap();
        assert_eq!(q.answer, size - 65_536);
        // pipe-status: 0, 1 or 141, and 141 only with pipefail and -m 1.
        let q = (questions::GENERATORS[2].make)(seed);
        assert!([0, 1, 141].contains(&q.answer), "{}", q.prompt);
        if q.answer == 141 {
            assert!(q.prompt.contains("pipefail") && q.prompt.contains("-m 1"));
        }
        // pipe-writers-left: 0 when every close happened, 1 when one is missing.
        let q = (questions::GENERATORS[3].make)(seed);
        let closes = q.prompt.matches("close(4)").count();
        assert_eq!(q.answer, if closes == 3 { 0 } else { 1 }, "{}", q.prompt);
    }
}

#[test]
fn the_widget_speaks_japanese_in_the_instructors_tables() {
    let w = PipeWidget;
    assert_eq!(w.scenario_label("early-exit"), Scenario::EarlyExit.label());
    let label = w.step_label("pipeline", 2);
    assert!(label.starts_with("3. dup2(4, 1): "), "{label}");
    assert_eq!(w.step_label("pipeline", 999), "ステップ 1000");
    assert_eq!(w.field_label("fds"), Some("ファイル記述子の表"));
    assert_eq!(w.field_label("outcome"), Some("パイプラインの終わり方"));
    assert_eq!(
        w.field_label("status"),
        Some("パイプラインの終了ステータス")
    );
}
