//! The signals widget against a real kernel and a real interactive bash (`scripts/lab.d/signals.py`):
//! each signal's number, default action and whether it can be caught, ignored or blocked; bash's own
//! dispositions; and every scenario typed into bash on a pty — after each key or command, every
//! process's state (R/S, T, gone), the signals pending for the program under test, the terminal's
//! foreground group and whether the handler ran; at the end the statuses bash reports (128 + N).

use serde_json::Value;

use super::Comparison;
use crate::widgets::signals::{
    self, Action, Handler, Life, Params, Proc, Scenario, Sig, engine::SHELL,
};

/// The experiments the lab runs: the signal table, bash's dispositions, and every scenario with the
/// handler choices that change it (as the widget stores them: `ctrl-c+catch`).
pub const EXPERIMENTS: &[&str] = &[
    "table",
    "bash",
    "ctrl-c",
    "ctrl-c+catch",
    "ctrl-c+ignore",
    "ctrl-c+block",
    "ctrl-z",
    "ctrl-backslash",
    "kill",
    "kill+catch",
    "kill+ignore",
    "kill+block",
    "stop-cont",
];

/// Compares one experiment's observation with the model. `None` for an unknown experiment.
pub fn compare(experiment: &str, seen: &Value) -> Option<Comparison> {
    let mut cmp = Comparison::default();
    match experiment {
        "table" => table(seen, &mut cmp),
        "bash" => {
            let shell = signals::engine::shell();
            dispositions(&shell, &seen["bash"], &Sig::ALL, &mut cmp);
        }
        stored => {
            let (scenario, handler) = stored.split_once('+').unwrap_or((stored, "default"));
            let params = Params {
                scenario: Scenario::from_name(scenario)?,
                handler: Handler::ALL.into_iter().find(|h| h.name() == handler)?,
            };
            run(&params, seen, &mut cmp);
        }
    }
    Some(cmp)
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn table(seen: &Value, cmp: &mut Comparison) {
    // The lab's machine is x86-64 (or ARM): the first column of signal(7)'s table.
    let machine = seen["machine"].as_str().unwrap_or_default();
    cmp.check(matches!(machine, "x86_64" | "aarch64"), || {
        format!("x86 でも ARM でもない機械です: {machine}")
    });
    let rows = seen["signals"].as_array().cloned().unwrap_or_default();
    cmp.check(rows.len() == Sig::ALL.len(), || {
        format!("シグナルが {} 個しか記録されていません", rows.len())
    });
    for sig in Sig::ALL {
        let Some(row) = rows.iter().find(|r| r["signal"] == sig.name()) else {
            cmp.check(false, || format!("{} が記録されていません", sig.name()));
            continue;
        };
        let name = sig.name();
        cmp.check(row["number"].as_u64() == Some(u64::from(sig.x86())), || {
            format!(
                "{name} の番号: モデルは {}、実際は {}",
                sig.x86(),
                row["number"]
            )
        });
        let want = match sig.default_action() {
            Action::Term => "term",
            Action::Core => "core",
            Action::Ign => "ign",
            Action::Stop => "stop",
            Action::Cont => "cont",
        };
        cmp.check(row["default"] == want, || {
            format!(
                "{name} の既定の動作: モデルは {want}、実際は {}",
                row["default"]
            )
        });
        // sigaction(2): EINVAL for SIGKILL and SIGSTOP; sigprocmask silently leaves them out.
        let catchable =
            row["catch"] == "ok" && row["ignore"] == "ok" && row["blocked_in_mask"] == true;
        let refused = row["catch"] == "Invalid argument"
            && row["ignore"] == "Invalid argument"
            && row["blocked_in_mask"] == false;
        cmp.check(if sig.catchable() { catchable } else { refused }, || {
            format!(
                "{name} の捕捉・無視・ブロック: モデルは {}、実際は {row}",
                if sig.catchable() {
                    "できる"
                } else {
                    "できない"
                }
            )
        });
    }
}

/// `p`'s caught and ignored signals (and blocked, for the program under test) against /proc's masks,
/// over `sigs`.
fn dispositions(p: &Proc, real: &Value, sigs: &[Sig], cmp: &mut Comparison) {
    let pick = |list: &[Sig]| -> Vec<&'static str> {
        sigs.iter()
            .filter(|s| list.contains(s))
            .map(|s| s.name())
            .collect()
    };
    let real_pick = |key: &str| -> Vec<&str> {
        let got = strings(&real[key]);
        sigs.iter()
            .map(|s| s.name())
            .filter(|n| got.contains(n))
            .collect()
    };
    for (key, want) in [("caught", pick(&p.caught)), ("ignored", pick(&p.ignored))] {
        let got = real_pick(key);
        cmp.check(got == want, || {
            format!(
                "{} の{}シグナル: モデルは {want:?}、実際は {got:?}",
                p.comm,
                if key == "caught" {
                    "捕捉する"
                } else {
                    "無視する"
                }
            )
        });
    }
}

/// The model's life against a state letter from /proc (or `gone` once reaped).
fn same_life(life: Life, state: &str) -> bool {
    match life {
        Life::Running => matches!(state, "R" | "S"),
        Life::Stopped => state == "T",
        Life::Zombie => matches!(state, "Z" | "gone"),
        Life::Gone => state == "gone",
    }
}

/// A step the user (or the program, unblocking) takes; the kernel's SIGCHLD and a process's own exit
/// follow it at once and are part of what the lab sees after it.
fn is_action(step: &signals::Step) -> bool {
    !step.action.starts_with("カーネルが") && !step.action.ends_with("exit() する")
}

fn run(params: &Params, seen: &Value, cmp: &mut Comparison) {
    let model = signals::simulate(params);
    let comm_of = |pid: u32| {
        model
            .initial
            .iter()
            .find(|p| p.pid == pid)
            .map_or("?", |p| p.comm.as_str())
    };
    let program = comm_of(model.program).to_owned();
    // Before anything is typed: the program's disposition for the signal the handler is about, and
    // the terminal's foreground group.
    let initial = &seen["initial"];
    if let Some(p) = model.initial.iter().find(|p| p.pid == model.program) {
        let real = &initial["procs"][program.as_str()];
        dispositions(p, real, &[model.handler_signal], cmp);
        let want = p.blocked.contains(&model.handler_signal);
        let got = strings(&real["blocked"]).contains(&model.handler_signal.name());
        cmp.check(want == got, || {
            format!(
                "{program} が {} をブロック: モデルは {want}、実際は {got}",
                model.handler_signal.name()
            )
        });
    }
    cmp.check(
        initial["foreground"] == comm_of(model.initial_foreground),
        || {
            format!(
                "最初のフォアグラウンド: モデルは {}、実際は {}",
                comm_of(model.initial_foreground),
                initial["foreground"]
            )
        },
    );

    // The model's steps in groups, each an action and what follows it by itself.
    let mut groups: Vec<Vec<&signals::Step>> = Vec::new();
    for step in &model.steps {
        match groups.last_mut() {
            Some(g) if !is_action(step) => g.push(step),
            _ => groups.push(vec![step]),
        }
    }
    let real_steps = seen["steps"].as_array().cloned().unwrap_or_default();
    cmp.check(real_steps.len() == groups.len(), || {
        format!(
            "操作の数: モデルは {}、実際は {}",
            groups.len(),
            real_steps.len()
        )
    });
    let mut handled_before = 0;
    for (group, real) in groups.iter().zip(&real_steps) {
        let Some(last) = group.last() else { continue };
        let action = &group[0].action;
        for p in &last.processes {
            let state = real["procs"][p.comm.as_str()]["state"]
                .as_str()
                .unwrap_or("?");
            cmp.check(same_life(p.life, state), || {
                format!(
                    "「{action}」の後の {}: モデルは {:?}、実際の状態は {state}",
                    p.comm, p.life
                )
            });
            if p.comm == program {
                let want: Vec<&str> = p.pending.iter().map(|s| s.name()).collect();
                let got = strings(&real["procs"][p.comm.as_str()]["pending"]);
                cmp.check(got == want, || {
                    format!(
                        "「{action}」の後の {} の保留中のシグナル: モデルは {want:?}、実際は {got:?}",
                        p.comm
                    )
                });
            }
        }
        let fg = comm_of(last.foreground);
        cmp.check(real["foreground"] == fg, || {
            format!(
                "「{action}」の後のフォアグラウンド: モデルは {fg}、実際は {}",
                real["foreground"]
            )
        });
        // The handler ran in this group if the program printed HANDLED once more.
        let handled_now = real["handled"][program.as_str()].as_u64().unwrap_or(0);
        let model_handled = group.iter().any(|s| {
            s.deliveries
                .iter()
                .any(|d| d.pid == model.program && d.fate == signals::Fate::Handled)
        });
        cmp.check(model_handled == (handled_now > handled_before), || {
            format!(
                "「{action}」で {program} のハンドラが動く: モデルは {model_handled}、実際は {}",
                handled_now > handled_before
            )
        });
        handled_before = handled_now;
    }

    // The statuses bash reported, against how the model says each ended.
    let end = model.steps.last().map(|s| &s.processes);
    for (role, got) in seen["statuses"].as_object().into_iter().flatten() {
        let ended = end
            .and_then(|ps| ps.iter().find(|p| p.comm == *role))
            .and_then(|p| p.ended.clone())
            .unwrap_or_default();
        let want = Sig::ALL
            .into_iter()
            .find(|s| ended.starts_with(s.name()))
            .map_or(0, |s| 128 + u64::from(s.x86()));
        cmp.check(got.as_u64() == Some(want), || {
            format!("{role} の終了ステータス（{ended}）: モデルから {want}、bash は {got}")
        });
    }
    // A Core action writes a core file only when RLIMIT_CORE allows it (core(5)); the lab's bash
    // has `ulimit -c 0`, like most systems, so the explanation must say so.
    if seen["core_dumped_said"] == false
        && model.steps.iter().any(|s| {
            s.deliveries
                .iter()
                .any(|d| d.fate == signals::Fate::Core && d.pid != SHELL)
        })
    {
        let says = model.steps.iter().any(|s| s.explain.contains("ulimit -c"));
        cmp.check(says, || {
            "bash は「Quit」とだけ表示し（ulimit -c 0 でコアファイルなし）、モデルの説明は ulimit -c に触れていません".to_owned()
        });
    }
}
