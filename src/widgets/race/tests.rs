//! The race model against the fact sheet (facts.md §11, W12): 20 orders, 18 of which lose an update
//! without a lock; a mutex makes every order give 2; after fork the parent never sees the child's
//! increment; grading, bad parameters, and the quiz generators against the model.

use super::model::*;
use super::questions::GENERATORS;
use super::scenarios::interleavings;
use super::*;
use crate::widgets::testing::assert_bad_parameters_named;
use crate::widgets::{Widget, WidgetError};
use serde_json::json;

fn run(scenario: Scenario, schedule: &str) -> Run {
    simulate(&Params {
        scenario,
        schedule: parse_schedule(schedule).unwrap(),
        start: 0,
    })
}

#[test]
fn there_are_20_orders_and_18_lose_an_update_without_a_lock() {
    assert_eq!(interleavings(3, 3).len(), 20);
    let r = run(Scenario::Threads, "121212");
    assert_eq!(r.orders.len(), 20);
    assert_eq!(r.lost_orders, 18);
    let right: Vec<&str> = r
        .orders
        .iter()
        .filter(|o| !o.lost)
        .map(|o| o.schedule.as_str())
        .collect();
    assert_eq!(
        right,
        ["111222", "222111"],
        "only one after the other gives 2"
    );
    assert_eq!(r.final_value, 1);
    // Both load 0, both store 1.
    let loads: Vec<u64> = r
        .steps
        .iter()
        .filter(|s| s.op == Op::Load)
        .filter_map(|s| s.value)
        .collect();
    assert_eq!(loads, [0, 0]);
    let store = r.steps.iter().rfind(|s| s.op == Op::Store).unwrap();
    assert!(store.explain.contains("lost update"));
    assert_eq!(run(Scenario::Threads, "111222").final_value, 2);
}

#[test]
fn a_mutex_makes_every_order_give_2() {
    let r = run(Scenario::Mutex, "121212");
    assert_eq!(r.lost_orders, 0);
    assert!(r.orders.iter().all(|o| o.final_value == 2));
    assert_eq!(r.final_value, 2);
    // T2's turn comes while T1 holds the lock: it sleeps, and its turns move after the unlock.
    let ops: Vec<(u8, Op)> = r.steps.iter().map(|s| (s.actor, s.op)).collect();
    let block = ops.iter().position(|x| *x == (2, Op::Block)).unwrap();
    let unlock = ops.iter().position(|x| *x == (1, Op::Unlock)).unwrap();
    let lock2 = ops.iter().position(|x| *x == (2, Op::Lock)).unwrap();
    assert!(block < unlock && unlock < lock2);
    assert!(r.steps.iter().all(|s| s.source.contains("(")));
    assert!(r.steps[block].source.contains("pthread_mutex_lock(3p)"));
}

#[test]
fn after_fork_the_parent_never_sees_the_childs_increment() {
    for order in interleavings(3, 3) {
        let text: String = order.iter().map(|d| char::from(b'0' + d)).collect();
        let r = run(Scenario::Fork, &text);
        assert_eq!((r.final_value, r.child_value), (1, Some(1)), "{text}");
        // Exactly one copy-on-write copy, made by whoever writes first, just before that write.
        let copies: Vec<usize> = r
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.op == Op::Copy)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(copies.len(), 1);
        assert_eq!(r.steps[copies[0] + 1].op, Op::Store);
        assert_eq!(r.steps.last().unwrap().memory.len(), 2);
    }
    let r = run(Scenario::Fork, "121212");
    assert_ne!(r.actors[0].pid, r.actors[1].pid);
    assert!(r.steps[0].explain.contains("POSIX では") && r.steps[0].explain.contains("Linux では"));
    let t = run(Scenario::Threads, "121212");
    assert_eq!(t.actors[0].pid, t.actors[1].pid, "threads share the PID");
    assert_ne!(t.actors[0].tid, t.actors[1].tid);
}

#[test]
fn predictions_are_graded_by_the_model() {
    let r = run(Scenario::Threads, "121212");
    assert!(predict_check(&r, 0, Field::Final, "1").unwrap().correct);
    assert!(!predict_check(&r, 0, Field::Final, "2").unwrap().correct);
    assert!(
        predict_check(&r, 0, Field::LostOrders, "１８")
            .unwrap()
            .correct
    );
    // Step index 2 is T2's load: it reads 0, not 1.
    assert_eq!(r.steps[2].op, Op::Load);
    let v = predict_check(&r, 2, Field::Value, "1").unwrap();
    assert!(!v.correct);
    assert_eq!(v.expected, "0");
    assert!(
        predict_check(&r, 0, Field::Value, "0").is_err(),
        "pthread_create has no value"
    );
    assert!(predict_check(&r, 99, Field::Final, "1").is_err());
    assert!(predict_check(&r, 1, Field::Final, "x").is_err());
    assert!(predict_check(&r, 1, Field::Final, "-1").is_err());
}

#[test]
fn check_bodies_are_parsed_strictly() {
    let w = RaceWidget;
    let ok = w
        .check(&json!({"scenario": "mutex", "schedule": "112122", "step": 0, "field": "final", "answer": "2"}))
        .unwrap();
    assert!(ok.item.correct);
    assert_eq!((ok.item.step, ok.item.field), (-1, "final"));
    let value = w
        .check(&json!({"scenario": "threads", "step": 2, "field": "value", "answer": "0"}))
        .unwrap();
    assert_eq!((value.item.step, value.item.correct), (2, true));
    assert!(matches!(
        w.check(
            &json!({"scenario": "threads", "step": 0, "field": "final", "answer": "1", "seed": 1})
        ),
        Err(WidgetError::Shape(_))
    ));
    for (body, key) in [
        (
            json!({"scenario": "nope", "step": 0, "field": "final", "answer": "1"}),
            "scenario",
        ),
        (
            json!({"scenario": "threads", "schedule": "111122", "step": 0, "field": "final", "answer": "1"}),
            "schedule",
        ),
        (
            json!({"scenario": "threads", "start": 1001, "step": 0, "field": "final", "answer": "1"}),
            "start",
        ),
        (
            json!({"scenario": "threads", "step": 0, "field": "color", "answer": "1"}),
            "field",
        ),
        (
            json!({"scenario": "threads", "step": 0, "field": "final", "answer": "one"}),
            "answer",
        ),
    ] {
        match w.check(&body) {
            Err(WidgetError::Param(e)) => assert!(e.0.contains(key), "{key}: {e}"),
            other => panic!("{key}: {other:?}"),
        }
    }
}

#[test]
fn bad_query_parameters_name_themselves() {
    assert_bad_parameters_named(
        params_from_query,
        &[
            ("scenario", "process"),
            ("schedule", "12121"),
            ("schedule", "1212121"),
            ("schedule", "111111"),
            ("schedule", "12a212"),
            ("start", "1001"),
            ("start", "-1"),
        ],
    );
}

#[test]
fn labels_for_the_instructor() {
    let w = RaceWidget;
    assert_eq!(w.step_label("threads", -1), "実行全体");
    assert!(
        w.step_label("threads", 1)
            .starts_with("2. T1 が counter を読む")
    );
    assert_eq!(w.field_label("lost_orders"), Some("更新が失われる順番の数"));
}

#[test]
fn generated_questions_agree_with_the_model() {
    let find = |id: &str| GENERATORS.iter().find(|g| g.id == id).unwrap().make;
    for seed in 0..60 {
        for (id, scenario) in [
            ("race-final-value", Scenario::Threads),
            ("race-mutex-value", Scenario::Mutex),
            ("race-fork-parent", Scenario::Fork),
        ] {
            let g = find(id)(seed);
            let v = |k: &str| g.values.iter().find(|(n, _)| *n == k).unwrap().1.clone();
            let start: u64 = v("start").parse().unwrap();
            let schedule = v("schedule");
            let expected = match scenario {
                // Two increments survive only when one thread runs all three steps first.
                Scenario::Threads if schedule == "111222" || schedule == "222111" => start + 2,
                Scenario::Threads => start + 1,
                Scenario::Mutex => start + 2,
                Scenario::Fork => start + 1,
            };
            assert_eq!(g.answer, expected, "{id} {schedule}");
        }
        let i = find("race-interleavings")(seed);
        let a: u64 = i.values[0].1.parse().unwrap();
        let b: u64 = i.values[1].1.parse().unwrap();
        // C(a+b, a).
        let c = (1..=b).fold(1u64, |acc, k| acc * (a + k) / k);
        assert_eq!(i.answer, c);
    }
}
