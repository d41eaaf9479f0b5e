//! The race widget against real threads and processes: two threads of one process doing `counter++`
//! as a separate load and store a million times each (`examples/lab_race.rs`) lose updates, and never
//! under a mutex; they share the PID and have their own TIDs. After fork each process's `counter++`
//! stays its own, in either order, and the page's physical frame (/proc/PID/pagemap) shows the
//! copy-on-write the model steps through (`scripts/lab.d/memory.py cow`).
//!
//! The model counts the orders of six steps that lose an update (18 of 20); a real run cannot be
//! made to take one chosen order, so the lab checks what the counts imply: some updates are lost
//! without the mutex, none with it.

use serde_json::Value;

use super::Comparison;
use crate::widgets::race::{self, Op, Params, Scenario};

/// The experiments the lab runs.
pub const EXPERIMENTS: &[&str] = &["threads", "mutex", "fork"];

/// Compares one experiment's observation with the model. `None` for an unknown experiment.
pub fn compare(experiment: &str, seen: &Value) -> Option<Comparison> {
    let scenario = Scenario::from_name(experiment)?;
    let model = race::simulate(&Params {
        scenario,
        ..Params::default()
    });
    let mut cmp = Comparison::default();
    let numbers = |key: &str| -> Vec<u64> {
        seen[key]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default()
    };
    match scenario {
        Scenario::Threads | Scenario::Mutex => {
            let lost = numbers("lost");
            cmp.check(!lost.is_empty(), || "試行の記録がありません".to_owned());
            let model_loses = model.lost_orders > 0;
            let real_loses = lost.iter().any(|n| *n > 0);
            cmp.check(model_loses == real_loses, || {
                format!(
                    "更新の消失: モデルは 20 通り中 {} 通りで起きる、実際の {} 回の試行で消えた回数 {lost:?}",
                    model.lost_orders,
                    lost.len()
                )
            });
            let [a, b] = &model.actors;
            cmp.check((a.pid == b.pid) == (seen["same_pid"] == true), || {
                format!("2 つのスレッドの PID が同じ: 実際は {}", seen["same_pid"])
            });
            cmp.check((a.tid != b.tid) == (seen["different_tid"] == true), || {
                format!(
                    "2 つのスレッドの TID が別: 実際は {}",
                    seen["different_tid"]
                )
            });
        }
        Scenario::Fork => {
            let start = seen["start"].as_u64().unwrap_or(0);
            let model = race::simulate(&Params {
                scenario,
                start,
                ..Params::default()
            });
            let runs = seen["runs"].as_array().cloned().unwrap_or_default();
            cmp.check(runs.len() == 2, || {
                format!("子が先・親が先の 2 通りのはずが {} 通り", runs.len())
            });
            // Every order gives the same: each process sees only its own increment.
            let every_order = race::scenarios::orders(scenario, start)
                .iter()
                .all(|o| o.final_value == model.final_value);
            for run in &runs {
                let order = if run["child_first"] == true {
                    "子が先"
                } else {
                    "親が先"
                };
                cmp.check(
                    every_order && run["parent_value"].as_u64() == Some(model.final_value),
                    || {
                        format!(
                            "{order}: 親の counter はモデルでは {}、実際は {}",
                            model.final_value, run["parent_value"]
                        )
                    },
                );
                cmp.check(run["child_value"].as_u64() == model.child_value, || {
                    format!(
                        "{order}: 子の counter はモデルでは {:?}、実際は {}",
                        model.child_value, run["child_value"]
                    )
                });
                if seen["root"] != true {
                    continue;
                }
                // The physical page: shared after fork, copied on the first write, and the other
                // side, now its only user, writes in place (what the model's steps say).
                let copies = model.steps.iter().filter(|s| s.op == Op::Copy).count();
                cmp.check(
                    copies == 1
                        && run["shared_after_fork"] == true
                        && run["copied_on_first_write"] == true,
                    || {
                        format!(
                            "{order}: copy-on-write（モデルのコピーは {copies} 回）: 実際は {run}"
                        )
                    },
                );
                let in_place = model.steps.iter().any(|s| {
                    s.op == Op::Store
                        && s.explain.contains("コピーせずにそのまま書き込みを許します")
                });
                cmp.check(
                    in_place == (run["last_user_writes_in_place"] == true),
                    || {
                        format!(
                            "{order}: 2 つ目の書き込みはコピーなし: モデルは {in_place}、実際は {}",
                            run["last_user_writes_in_place"]
                        )
                    },
                );
            }
        }
    }
    Some(cmp)
}
