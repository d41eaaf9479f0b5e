//! The pipe widget's scenarios against real processes (`scripts/lab.d/pipe.py`): the descriptors 0–4
//! of the shell, cat and grep once the pipeline is built, read from /proc/PID/fd and fdinfo; how each
//! ended — exit status, SIGPIPE as 141 — or where one hangs (state S in the pipe's wait, the bytes
//! left in a full pipe); real bash's `$?` and PIPESTATUS with and without `pipefail`; and the pipe's
//! capacity, PIPE_BUF, a blocked writer and EOF.

use serde_json::Value;

use super::Comparison;
use crate::widgets::pipe::{
    self, CAPACITY, CAT_PID, GREP_PID, Outcome, PIPE_BUF, Params, SHELL_PID, SIGPIPE, Scenario,
    StepKind,
};

/// The experiments the lab runs: each of the widget's scenarios, then bash's statuses and the pipe's
/// capacity.
pub const EXPERIMENTS: &[&str] = &[
    "pipeline",
    "early-exit",
    "shell-keeps-w",
    "grep-keeps-w",
    "cat-keeps-r",
    "statuses",
    "capacity",
];

/// SIGINT's number: the model ends a hanging pipeline with Ctrl-C.
const SIGINT: i64 = 2;

/// Compares one experiment's observation with the model. `None` for an unknown experiment.
pub fn compare(experiment: &str, seen: &Value) -> Option<Comparison> {
    let mut cmp = Comparison::default();
    match experiment {
        "statuses" => statuses(seen, &mut cmp),
        "capacity" => capacity(seen, &mut cmp),
        name => scenario(Scenario::from_name(name)?, seen, &mut cmp),
    }
    Some(cmp)
}

fn scenario(s: Scenario, seen: &Value, cmp: &mut Comparison) {
    let model = pipe::simulate(&Params {
        scenario: s,
        ..Params::default()
    });
    // The tables once the shell waits: every child has exec'd and cat has opened its log.
    let Some(built) = model.steps.iter().find(|st| st.kind == StepKind::Wait) else {
        cmp.check(false, || "モデルにシェルの wait がありません".to_owned());
        return;
    };
    for (name, pid) in [("shell", SHELL_PID), ("cat", CAT_PID), ("grep", GREP_PID)] {
        let want: Vec<&str> = built
            .processes
            .iter()
            .find(|p| p.pid == pid)
            .map(|p| pipe::fd_slots(&p.fds))
            .unwrap_or_default();
        let got: Vec<&str> = seen["fds"][name]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        cmp.check(got == want, || {
            format!(
                "{name} の fd 0〜4: モデルは {}、実際は {}",
                want.join(","),
                got.join(",")
            )
        });
    }

    let status = |v: &Value| v.as_i64();
    let hung = &seen["hung"];
    match model.outcome {
        Outcome::Completes | Outcome::Sigpipe => {
            for (name, want) in [("cat", model.cat_status), ("grep", model.grep_status)] {
                let got = status(&seen[format!("{name}_status")]);
                cmp.check(got == want.map(i64::from), || {
                    format!("{name} の終了ステータス: モデルは {want:?}、実際は {got:?}")
                });
            }
            cmp.check(hung.is_null(), || {
                format!("モデルでは終わるパイプラインが実際には止まりました: {hung}")
            });
        }
        Outcome::GrepHangs | Outcome::CatHangs => {
            let (who, ended, wait) = if model.outcome == Outcome::GrepHangs {
                ("grep", ("cat", model.cat_status), "pipe_read")
            } else {
                ("cat", ("grep", model.grep_status), "pipe_write")
            };
            let got = status(&seen[format!("{}_status", ended.0)]);
            cmp.check(got == ended.1.map(i64::from), || {
                format!(
                    "{} の終了ステータス: モデルは {:?}、実際は {got:?}",
                    ended.0, ended.1
                )
            });
            cmp.check(hung["who"] == who, || {
                format!(
                    "止まったままのプロセス: モデルは {who}、実際は {}",
                    hung["who"]
                )
            });
            // Asleep in the pipe's own wait (anon_pipe_read on 6.x, pipe_read before).
            let asleep =
                hung["state"] == "S" && hung["wchan"].as_str().is_some_and(|w| w.contains(wait));
            cmp.check(asleep, || {
                format!(
                    "{who} は {wait} で眠る（S）はずが、実際は状態 {}・wchan {}",
                    hung["state"], hung["wchan"]
                )
            });
            let bytes = model.steps.last().map_or(0, |st| st.pipe.bytes);
            cmp.check(hung["pipe_bytes"].as_u64() == Some(bytes), || {
                format!(
                    "止まったときパイプにあるバイト数: モデルは {bytes}、実際は {}",
                    hung["pipe_bytes"]
                )
            });
            cmp.check(
                hung["status_after_sigint"].as_i64() == Some(128 + SIGINT),
                || {
                    format!(
                        "Ctrl-C（SIGINT）で終えたときのステータス: 130 のはずが {}",
                        hung["status_after_sigint"]
                    )
                },
            );
        }
    }
}

fn statuses(seen: &Value, cmp: &mut Comparison) {
    let runs = seen["runs"].as_array().cloned().unwrap_or_default();
    cmp.check(runs.len() == 8, || {
        format!("bash の実行が 8 通りのはずが {} 通り", runs.len())
    });
    for run in &runs {
        let Some(scenario) = run["scenario"].as_str().and_then(Scenario::from_name) else {
            cmp.check(false, || format!("知らないシナリオ: {run}"));
            continue;
        };
        let params = Params {
            scenario,
            size: seen["log_size"].as_u64().unwrap_or(0),
            pipefail: run["pipefail"] == true,
            matches: run["matches"] == true,
        };
        let model = pipe::simulate(&params);
        let what = format!(
            "{}（pipefail {}、Error の行 {}）",
            scenario.name(),
            if params.pipefail { "あり" } else { "なし" },
            if params.matches { "あり" } else { "なし" }
        );
        let want = model.status.map(i64::from);
        cmp.check(run["status"].as_i64() == want, || {
            format!("{what} の $?: モデルは {want:?}、bash は {}", run["status"])
        });
        let want: Vec<i64> = [model.cat_status, model.grep_status]
            .into_iter()
            .flatten()
            .map(i64::from)
            .collect();
        let got: Vec<i64> = run["pipestatus"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        cmp.check(got == want, || {
            format!("{what} の PIPESTATUS: モデルは {want:?}、bash は {got:?}")
        });
    }
    let sigpipe = 128 + i64::from(SIGPIPE);
    let yes: Vec<i64> = seen["yes_head_pipestatus"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    cmp.check(yes == [sigpipe, 0], || {
        format!("yes | head -1 の PIPESTATUS: {sigpipe} 0 のはずが {yes:?}")
    });
    cmp.check(
        seen["kill_l_141"] == "PIPE" && seen["kill_l_13"] == "PIPE",
        || {
            format!(
                "kill -l 141 と kill -l 13 が PIPE ではありません: {} {}",
                seen["kill_l_141"], seen["kill_l_13"]
            )
        },
    );
}

fn capacity(seen: &Value, cmp: &mut Comparison) {
    for key in ["f_getpipe_sz", "nonblocking_write_fits"] {
        cmp.check(seen[key].as_u64() == Some(CAPACITY), || {
            format!("パイプの容量: モデルは {CAPACITY}、{key} は {}", seen[key])
        });
    }
    cmp.check(seen["pipe_buf"].as_u64() == Some(PIPE_BUF), || {
        format!("PIPE_BUF: モデルは {PIPE_BUF}、実際は {}", seen["pipe_buf"])
    });
    let blocked = &seen["blocked_writer"];
    cmp.check(
        blocked["state"] == "S"
            && blocked["wchan"]
                .as_str()
                .is_some_and(|w| w.contains("pipe_write")),
        || format!("いっぱいのパイプに書くプロセスが write() で眠っていません: {blocked}"),
    );
    cmp.check(blocked["exit_after_read"] == 0, || {
        format!("読んで空きができても書き手が終わりません: {blocked}")
    });
    cmp.check(seen["eof_after_last_writer_closed"] == true, || {
        "書き口をすべて閉じた後、空のパイプの read() が 0（EOF）を返しません".to_owned()
    });
}
