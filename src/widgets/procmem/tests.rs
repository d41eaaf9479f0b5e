//! Unit tests of the process-components model: the address space in the fact sheet's order, what
//! fork, execve and a second thread do to each component (facts.md W13, §10, §11), the settings that
//! change the answer (FD_CLOEXEC, SIGINT caught or ignored), grading, bad parameters, and the quiz
//! generators against the model.

use super::*;
use crate::widgets::testing::{
    assert_bad_parameters_named, assert_generators_repeat_with_answer_last,
};
use crate::widgets::{Widget, WidgetError};
use serde_json::json;

fn run(scenario: Scenario) -> ProcRun {
    simulate(&Params {
        scenario,
        ..Params::default()
    })
}

fn fates(r: &ProcRun) -> Vec<(&'static str, Fate)> {
    r.steps
        .iter()
        .find(|s| s.ask)
        .expect("an operation step")
        .fates
        .iter()
        .map(|f| (f.component.name(), f.fate))
        .collect()
}

fn fate_of(r: &ProcRun, c: &str) -> Fate {
    fates(r).into_iter().find(|(n, _)| *n == c).unwrap().1
}

#[test]
fn w13_the_address_space_runs_text_data_bss_heap_mmap_stack() {
    let r = run(Scenario::Anatomy);
    let p = &r.initial[0];
    // Low to high, as /proc/PID/maps lists it.
    assert!(p.maps.windows(2).all(|w| w[0].end <= w[1].start));
    let first = |region| p.maps.iter().position(|m| m.region == region).unwrap();
    let order = [
        Region::Text,
        Region::Data,
        Region::Bss,
        Region::Heap,
        Region::Lib,
        Region::Stack,
    ];
    assert!(
        order.windows(2).all(|w| first(w[0]) < first(w[1])),
        "{order:?}"
    );
    let text = &p.maps[first(Region::Text)];
    assert_eq!(text.perms, "r-xp");
    assert!(
        text.line
            .starts_with("55d0c4a01000-55d0c4a03000 r-xp 00001000 08:01 1048602")
    );
    assert!(text.line.ends_with("/usr/local/bin/server"));
    assert!(
        p.maps.iter().any(|m| m.path == "[heap]") && p.maps.iter().any(|m| m.path == "[stack]")
    );
    // The tour names every component the fact sheet lists, each with a proc(5)-style source.
    let focus: Vec<&str> = r.steps.iter().filter_map(|s| s.focus).collect();
    assert_eq!(
        focus,
        [
            "text", "data", "heap", "mmap", "stack", "fds", "creds", "cwd", "signals", "pid"
        ]
    );
    assert!(r.steps.iter().all(|s| s.source.contains("(") && !s.ask));
    assert!(
        r.steps
            .iter()
            .all(|s| s.explain.contains("ます") || s.explain.contains("です"))
    );
}

#[test]
fn fork_copies_everything_but_the_ids_and_keeps_one_thread() {
    let r = run(Scenario::Fork);
    use Fate::*;
    assert_eq!(
        fates(&r),
        [
            ("pid", New),
            ("ppid", New),
            ("tid", New),
            ("memory", Copied),
            ("stack", Copied),
            ("fds", Copied),
            ("fd4", Copied),
            ("cwd", Copied),
            ("creds", Copied),
            ("sigint", Copied),
            ("sigpipe", Copied),
            ("mask", Copied),
        ]
    );
    let procs = &r.steps[0].processes;
    let (parent, child) = (&procs[0], &procs[1]);
    assert_eq!((child.pid, child.ppid), (201, parent.pid));
    assert_eq!(child.maps, parent.maps, "the same layout (copy-on-write)");
    assert_eq!(child.fds, parent.fds, "FD_CLOEXEC does not matter to fork");
    // A child closing fd 3 leaves the parent's open.
    let last = r.steps.last().unwrap();
    assert!(last.processes[0].fds.iter().any(|f| f.fd == 3));
    assert!(!last.processes[1].fds.iter().any(|f| f.fd == 3));
    // fork(2): the child has one thread, whatever the parent had.
    let mut p = rules::initial(true, Disposition::Handler);
    p = rules::spawn_thread(&p, 201);
    p = rules::spawn_thread(&p, 202);
    assert_eq!(rules::fork(&p, 300).threads.len(), 1);
}

#[test]
fn execve_replaces_the_image_keeps_the_rest_and_resets_caught_signals() {
    let r = run(Scenario::Exec);
    use Fate::*;
    assert_eq!(
        fates(&r),
        [
            ("pid", Kept),
            ("ppid", Kept),
            ("tid", Kept),
            ("memory", Replaced),
            ("stack", Replaced),
            ("fds", Kept),
            ("fd4", Closed),
            ("cwd", Kept),
            ("creds", Kept),
            ("sigint", Reset),
            ("sigpipe", Kept),
            ("mask", Kept),
        ]
    );
    let after = &r.steps[0].processes[0];
    assert_eq!(after.pid, 200);
    assert_eq!(
        after.fds.iter().map(|f| f.fd).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    assert!(after.maps.iter().all(|m| !m.path.contains("server")));
    assert_eq!(after.threads[0].mask, ["SIGUSR1"], "the mask survives");
    // Without FD_CLOEXEC fd 4 survives; an ignored SIGINT stays ignored; a default one stays default.
    let kept = simulate(&Params {
        scenario: Scenario::Exec,
        cloexec: false,
        sigint: SigintSetting::Ignore,
    });
    assert_eq!(fate_of(&kept, "fd4"), Kept);
    assert_eq!(fate_of(&kept, "sigint"), Kept);
    assert!(kept.steps[0].processes[0].fds.iter().any(|f| f.fd == 4));
    let dfl = simulate(&Params {
        scenario: Scenario::Exec,
        cloexec: true,
        sigint: SigintSetting::Default,
    });
    assert_eq!(fate_of(&dfl, "sigint"), Kept);
}

#[test]
fn a_second_thread_shares_all_but_its_stack_tid_and_mask() {
    let r = run(Scenario::Thread);
    for (c, f) in fates(&r) {
        let want = match c {
            "tid" | "stack" => Fate::New,
            "mask" => Fate::Copied,
            _ => Fate::Shared,
        };
        assert_eq!(f, want, "{c}");
    }
    let p = &r.steps[0].processes[0];
    assert_eq!(
        p.threads.iter().map(|t| t.tid).collect::<Vec<_>>(),
        [200, 201]
    );
    // Its stack is a new anonymous mapping with a guard page below it.
    assert!(
        p.maps
            .iter()
            .any(|m| m.region == Region::Guard && m.perms == "---p")
    );
    assert!(p.maps.windows(2).all(|w| w[0].end <= w[1].start));
    // Blocking a signal in one thread leaves the other's mask; chdir moves the whole process.
    let masked = &r.steps[1].processes[0];
    assert_eq!(masked.threads[0].mask, ["SIGUSR1"]);
    assert_eq!(masked.threads[1].mask, ["SIGUSR1", "SIGTERM"]);
    assert_eq!(r.steps[2].processes[0].cwd, "/tmp");
}

fn answer_from(r: &ProcRun, change: Option<(&str, &str)>) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (c, f) in fates(r) {
        m.insert(c.into(), json!(f.name()));
    }
    if let Some((c, f)) = change {
        m.insert(c.into(), json!(f));
    }
    serde_json::Value::Object(m)
}

fn grade(body: serde_json::Value) -> Result<crate::widgets::Graded, WidgetError> {
    ProcMemWidget.check(&body)
}

#[test]
fn predictions_are_graded_component_by_component() {
    let r = run(Scenario::Exec);
    let right =
        grade(json!({"scenario": "exec", "step": 0, "answer": answer_from(&r, None)})).unwrap();
    let v: serde_json::Value = serde_json::from_str(right.reply.get()).unwrap();
    assert_eq!(
        (v["correct"].as_bool(), v["score"].as_u64()),
        (Some(true), Some(12))
    );
    assert!(right.item.answer.starts_with("pid=kept,ppid=kept,"));
    assert_eq!(right.item.field, FATES_FIELD);
    // The classic slip: thinking a caught handler survives execve.
    let wrong = grade(json!({"scenario": "exec", "step": 0,
        "answer": answer_from(&r, Some(("sigint", "kept")))}))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(wrong.reply.get()).unwrap();
    assert_eq!(
        (v["correct"].as_bool(), v["score"].as_u64()),
        (Some(false), Some(11))
    );
    let row = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["component"] == "sigint")
        .unwrap();
    assert_eq!(row["expected"], "reset");
    assert!(row["source"].as_str().unwrap().contains("execve(2)"));
    // The same answer is right when SIGINT was ignored.
    let ign = grade(json!({"scenario": "exec", "sigint": "ignore", "step": 0,
        "answer": answer_from(&r, Some(("sigint", "kept")))}))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(ign.reply.get()).unwrap();
    assert_eq!(v["correct"], true);
}

#[test]
fn bad_predictions_are_refused_before_grading() {
    let r = run(Scenario::Fork);
    let full = answer_from(&r, None);
    let mut missing = full.clone();
    missing.as_object_mut().unwrap().remove("mask");
    for body in [
        json!({"scenario": "nope", "step": 0, "answer": full}),
        json!({"scenario": "fork", "sigint": "catch", "step": 0, "answer": full}),
        json!({"scenario": "fork", "step": 1, "answer": full}),
        json!({"scenario": "fork", "step": 9, "answer": full}),
        json!({"scenario": "anatomy", "step": 0, "answer": full}),
        json!({"scenario": "fork", "step": 0, "answer": missing}),
        json!({"scenario": "fork", "step": 0, "answer": answer_from(&r, Some(("mask", "gone")))}),
        json!({"scenario": "fork", "step": 0, "answer": answer_from(&r, Some(("colour", "new")))}),
    ] {
        let err = grade(body.clone()).unwrap_err();
        assert!(matches!(err, WidgetError::Param(_)), "{body}: {err}");
    }
    for body in [
        json!({"scenario": "fork", "step": 0}),
        json!({"scenario": "fork", "step": 0, "answer": full, "pid": 1}),
        json!({"scenario": "fork", "step": 0, "answer": "pid=new"}),
        json!({"scenario": "fork", "step": -1, "answer": full}),
    ] {
        assert!(
            matches!(grade(body.clone()), Err(WidgetError::Shape(_))),
            "{body}"
        );
    }
}

#[test]
fn bad_parameters_name_the_parameter_in_japanese() {
    assert_bad_parameters_named(
        params_from_query,
        &[
            ("scenario", "vfork"),
            ("cloexec", "yes"),
            ("sigint", "catch"),
        ],
    );
}

#[test]
fn generated_questions_agree_with_the_model() {
    for seed in 0..300 {
        assert_generators_repeat_with_answer_last(&questions::GENERATORS, seed);
        // Open after execve = open − FD_CLOEXEC ones.
        let q = (questions::GENERATORS[0].make)(seed);
        let n: u64 = q.values[0].1.parse().unwrap();
        let marked: u64 = q.values[1].1.parse().unwrap();
        assert_eq!(q.answer, n - marked, "{}", q.prompt);
        // SIG_DFL after execve = 8 − ignored.
        let q = (questions::GENERATORS[1].make)(seed);
        let ignored = q.values[1]
            .1
            .split(", ")
            .filter(|s| s.starts_with("SIG"))
            .count() as u64;
        assert_eq!(q.answer, 8 - ignored, "{}", q.prompt);
        // The child's PPID is the parent's PID.
        let q = (questions::GENERATORS[2].make)(seed);
        assert_eq!(q.answer.to_string(), q.values[0].1);
        // fork(2): one thread.
        assert_eq!((questions::GENERATORS[3].make)(seed).answer, 1);
    }
}

#[test]
fn the_widget_speaks_japanese_in_the_instructors_tables() {
    let w = ProcMemWidget;
    assert_eq!(w.scenario_label("exec"), Scenario::Exec.label());
    let label = w.step_label("fork", 0);
    assert!(label.starts_with("1. fork(): "), "{label}");
    assert_eq!(w.field_label("fates"), Some("各構成要素がどうなるか"));
    assert_eq!(w.step_label("nope", 0), "ステップ 1");
}
