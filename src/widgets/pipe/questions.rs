//! Quiz questions on the pipe, with their numbers drawn from a seed and their answers taken from the
//! model: which descriptor pipe() returns, how much cat has left when it first blocks, the pipeline's
//! `$?`, and how many write ends are left when cat exits.

use super::model::*;
use super::scenarios::{Sim, bytes};
use super::{Params, Scenario, simulate};
use crate::widgets::rng::Rng;
use crate::widgets::{GeneratedQuestion, QuestionGenerator};

/// The generators a question bank can name for this widget.
pub static GENERATORS: [QuestionGenerator; 4] = [
    QuestionGenerator {
        id: "pipe-write-fd",
        make: write_fd,
    },
    QuestionGenerator {
        id: "pipe-unwritten",
        make: unwritten,
    },
    QuestionGenerator {
        id: "pipe-status",
        make: status,
    },
    QuestionGenerator {
        id: "pipe-writers-left",
        make: writers_left,
    },
];

/// "The shell has these descriptors open: which number is the write end pipe() returns?" — the
/// second lowest free number, as the model allocates it.
fn write_fd(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let mut sim = Sim::new();
    // Open a few descriptors, then close some, so the free numbers have gaps.
    let extra = 2 + rng.below(5) as u32;
    for _ in 0..extra {
        sim.open(SHELL_PID, FdKind::File);
    }
    let mut closed = Vec::new();
    for fd in 3..3 + extra {
        if rng.below(3) == 0 {
            closed.push(fd);
        }
    }
    sim.procs[0].fds.retain(|f| !closed.contains(&f.fd));
    let open: Vec<String> = sim.procs[0].fds.iter().map(|f| f.fd.to_string()).collect();
    let _r = sim.open(SHELL_PID, FdKind::PipeR);
    let w = sim.open(SHELL_PID, FdKind::PipeW);
    GeneratedQuestion {
        prompt: format!(
            "シェルはファイル記述子 {} を開いています（ほかは閉じています）。ここで pipe(fds) を呼ぶと、書き口 fds[1] は何番になりますか？",
            open.join(", ")
        ),
        answer: u64::from(w),
        values: vec![("open", open.join(", ")), ("answer", w.to_string())],
    }
}

/// "grep has read nothing yet and cat just blocked: how many bytes of the log are still unwritten?"
/// — the log size minus what fits in the pipe, from the model's first write.
fn unwritten(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let size = CAPACITY + 1 + rng.below(super::SIZE_MAX - CAPACITY);
    let run = simulate(&Params {
        size,
        ..Params::default()
    });
    let written = run
        .steps
        .iter()
        .find(|s| s.kind == StepKind::Write)
        .map_or(0, |s| s.pipe.written);
    let answer = size - written;
    GeneratedQuestion {
        prompt: format!(
            "/var/log/messages は {} バイトです。`cat /var/log/messages | grep Error` で、grep がまだ何も読まないうちに cat が write() でブロックしました。この時点で cat がまだパイプに書けていないのは何バイトですか？（パイプの容量は Linux の既定値とします）",
            bytes(size)
        ),
        answer,
        values: vec![
            ("size", bytes(size)),
            ("written", bytes(written)),
            ("answer", answer.to_string()),
        ],
    }
}

/// "What is `$?`?" — a pipeline or `grep -m 1`, with or without pipefail, a log that fits in the pipe
/// or not, with or without an Error line; the status from the model's run.
fn status(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let scenario = if rng.below(2) == 0 {
        Scenario::Pipeline
    } else {
        Scenario::EarlyExit
    };
    let pipefail = rng.below(2) == 0;
    let matches = rng.below(3) > 0;
    let size = if rng.below(2) == 0 {
        1_000 + rng.below(60_000)
    } else {
        CAPACITY * 2 + rng.below(super::SIZE_MAX - CAPACITY * 2)
    };
    let run = simulate(&Params {
        scenario,
        size,
        pipefail,
        matches,
    });
    let answer = u64::try_from(run.status.unwrap_or_default()).unwrap_or_default();
    let found = if matches {
        "先頭近くに Error を含む行があります"
    } else {
        "Error を含む行はありません"
    };
    GeneratedQuestion {
        prompt: format!(
            "bash で `{}` を実行しました。/var/log/messages は {} バイトで、{found}。終わった後の $? はいくつですか？",
            run.command,
            bytes(size)
        ),
        answer,
        values: vec![
            ("command", run.command.clone()),
            ("cat", run.cat_status.unwrap_or_default().to_string()),
            ("grep", run.grep_status.unwrap_or_default().to_string()),
            ("answer", answer.to_string()),
        ],
    }
}

/// "These were the closes: how many descriptors still refer to the write end when cat exits?" — the
/// model's count at cat's exit; the prompt lists the calls, never the counts.
fn writers_left(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let scenario = [
        Scenario::Pipeline,
        Scenario::ShellKeepsW,
        Scenario::GrepKeepsW,
    ][rng.below(3) as usize];
    let run = simulate(&Params {
        scenario,
        size: 1_000 + rng.below(60_000),
        ..Params::default()
    });
    let calls = |pid: u32| -> String {
        run.steps
            .iter()
            .filter(|s| {
                s.pid == pid && matches!(s.kind, StepKind::Pipe | StepKind::Dup2 | StepKind::Close)
            })
            .map(|s| s.call.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let answer = run
        .steps
        .iter()
        .find(|s| s.kind == StepKind::Exit && s.pid == CAT_PID)
        .map_or(0, |s| u64::from(s.pipe.writers));
    let shell = calls(SHELL_PID);
    let cat = calls(CAT_PID);
    let grep = calls(GREP_PID);
    GeneratedQuestion {
        prompt: format!(
            "`cat /var/log/messages | grep Error` で、bash は {shell} を呼びました（pipe は読み口 3 と書き口 4 を返しました）。fork した子 101（cat）は {cat}、子 102（grep）は {grep} を呼んでから execve しました。cat が終了した直後、パイプの書き口を指すファイル記述子はいくつ残っていますか？"
        ),
        answer,
        values: vec![
            ("shell", shell),
            ("cat", cat),
            ("grep", grep),
            ("answer", answer.to_string()),
        ],
    }
}
