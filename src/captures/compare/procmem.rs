//! The procmem widget against real processes (`scripts/lab.d/memory.py`): the order of a real
//! program's regions in /proc/PID/maps, and the widget's server — fd 3 a log, fd 4 a socket with or
//! without close-on-exec, SIGINT caught, ignored or default, SIGPIPE ignored, SIGUSR1 blocked — before
//! and after fork, execve and a second thread, every component read from /proc. A fate that says the
//! component changes (new, replaced, reset, closed) must see a different value; one that says it is
//! kept, copied or shared must see the same.

use serde_json::Value;

use super::Comparison;
use crate::widgets::procmem::{self, Component, Fate, Params, Region, Scenario, SigintSetting};

/// The experiments the lab runs: the anatomy's maps, then `OP-CLOEXEC-SIGINT` (fork and the thread
/// with the defaults, execve with every choice, since its fates depend on them).
pub const EXPERIMENTS: &[&str] = &[
    "maps",
    "fork-cloexec-handler",
    "thread-cloexec-handler",
    "exec-cloexec-handler",
    "exec-keep-handler",
    "exec-cloexec-ignore",
    "exec-keep-ignore",
    "exec-cloexec-default",
    "exec-keep-default",
];

/// Compares one experiment's observation with the model. `None` for an unknown experiment.
pub fn compare(experiment: &str, seen: &Value) -> Option<Comparison> {
    let mut cmp = Comparison::default();
    if experiment == "maps" {
        maps(seen, &mut cmp);
        return Some(cmp);
    }
    let mut parts = experiment.split('-');
    let scenario = Scenario::from_name(parts.next()?)?;
    let cloexec = match parts.next()? {
        "cloexec" => true,
        "keep" => false,
        _ => return None,
    };
    let sigint = parts.next()?;
    let sigint = SigintSetting::ALL
        .into_iter()
        .find(|s| s.name() == sigint)?;
    let model = procmem::simulate(&Params {
        scenario,
        cloexec,
        sigint,
    });
    let Some(op) = model.steps.iter().find(|s| s.ask) else {
        cmp.check(false, || "モデルに操作のステップがありません".to_owned());
        return Some(cmp);
    };
    let (before, after) = (&seen["before"], &seen["after"]);
    for row in &op.fates {
        let (b, a) = (value(row.component, before), value(row.component, after));
        let changes = matches!(
            row.fate,
            Fate::New | Fate::Replaced | Fate::Reset | Fate::Closed
        );
        cmp.check(changes == (a != b), || {
            format!(
                "{} の {}（{}）: 実際は {b} → {a}",
                scenario.name(),
                row.label,
                row.fate.label()
            )
        });
        match row.fate {
            Fate::Closed => cmp.check(after["fds"]["4"].is_null(), || {
                format!("fd 4 が閉じられていません: {}", after["fds"])
            }),
            Fate::Reset => cmp.check(a == "default", || {
                format!("{} が既定の動作に戻っていません: {a}", row.label)
            }),
            _ => {}
        }
    }
    if scenario == Scenario::Thread {
        // The new thread's stack is a mapping of its own, with a guard page (---p) below it.
        let new: Vec<&str> = after["new_mappings"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let model_new = op
            .processes
            .first()
            .map(|p| {
                p.maps
                    .iter()
                    .filter(|m| matches!(m.region, Region::Guard))
                    .count()
            })
            .unwrap_or(0);
        cmp.check(
            model_new == 1 && new.contains(&"---p") && new.contains(&"rw-p"),
            || format!("新しいスレッドのスタックとガードページ: 実際に増えたマッピング {new:?}"),
        );
        cmp.check(after["threads"] == 2, || {
            format!("スレッドの数が 2 ではありません: {}", after["threads"])
        });
    }
    Some(cmp)
}

/// A component's value in one /proc view, as a string to compare.
fn value(c: Component, v: &Value) -> String {
    let disposition = |name: &str| {
        let has = |key: &str| {
            v[key]
                .as_array()
                .is_some_and(|a| a.iter().any(|s| s == name))
        };
        if has("caught") {
            "handler"
        } else if has("ignored") {
            "ignore"
        } else {
            "default"
        }
        .to_owned()
    };
    match c {
        Component::Pid => v["pid"].to_string(),
        Component::Ppid => v["ppid"].to_string(),
        Component::Tid => v["tid"].to_string(),
        Component::Memory => format!("{} {}", v["exe"], v["text"]),
        Component::Stack => v["stack"].to_string(),
        Component::Fds => (0..4)
            .map(|n| v["fds"][n.to_string()].to_string())
            .collect(),
        Component::Fd4 => v["fds"]["4"].to_string(),
        Component::Cwd => v["cwd"].to_string(),
        Component::Creds => v["creds"].to_string(),
        Component::Sigint => disposition("SIGINT"),
        Component::Sigpipe => disposition("SIGPIPE"),
        Component::Mask => v["blocked"].to_string(),
    }
}

fn maps(seen: &Value, cmp: &mut Comparison) {
    let regions = seen["regions"].as_array().cloned().unwrap_or_default();
    let first = |kinds: &[&str]| {
        regions
            .iter()
            .position(|r| kinds.iter().any(|k| r["kind"] == *k))
    };
    let last = |kinds: &[&str]| {
        regions
            .iter()
            .rposition(|r| kinds.iter().any(|k| r["kind"] == *k))
    };
    let program = ["text", "rodata", "data"];
    // Low to high, as the model draws it: the program's file, the heap, the mmap area, the stack.
    let order = [
        last(&program),
        first(&["heap"]),
        first(&["lib"]),
        last(&["lib"]),
        first(&["stack"]),
    ];
    let ordered = order.iter().all(Option::is_some) && order.windows(2).all(|w| w[0] < w[1]);
    cmp.check(ordered, || {
        format!("/proc/PID/maps の並び（プログラム < [heap] < ライブラリ < [stack]）になっていません: {order:?}")
    });
    let model = procmem::simulate(&Params::default());
    let model_order: Vec<Region> = model.initial[0].maps.iter().map(|m| m.region).collect();
    let pos = |r: Region| model_order.iter().position(|x| *x == r);
    cmp.check(
        pos(Region::Data) < pos(Region::Heap)
            && pos(Region::Heap) < pos(Region::Lib)
            && pos(Region::Lib) < pos(Region::Stack),
        || format!("モデルの並びが違います: {model_order:?}"),
    );
    cmp.check(
        regions
            .iter()
            .any(|r| r["kind"] == "text" && r["perms"] == "r-xp"),
        || "プログラムのコードが r-xp のマッピングにありません".to_owned(),
    );
    // A small program's bss fits in the rest of data's last page: no line of its own. The model's
    // server shows one; its explanation must say when there is none.
    let data = last(&["data"]);
    let bss_line = data
        .and_then(|i| regions.get(i + 1))
        .is_some_and(|r| r["kind"] == "anon" && r["perms"] == "rw-p");
    if !bss_line {
        let says = model
            .steps
            .iter()
            .any(|s| s.focus == Some("data") && s.explain.contains("最後のページ"));
        cmp.check(says, || {
            format!(
                "{} の bss は data と同じ行にあるのに、モデルの説明は「すぐ後の無名の rw-p」だけです",
                seen["program"]
            )
        });
    }
}
