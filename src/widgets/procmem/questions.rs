//! Quiz questions on what survives fork and execve, with the process drawn from a seed and the
//! answer computed by the model's operations ([`rules`](super::rules)).

use super::model::*;
use super::rules;
use crate::widgets::rng::Rng;
use crate::widgets::{GeneratedQuestion, QuestionGenerator};

/// The generators a question bank can name for this widget.
pub static GENERATORS: [QuestionGenerator; 4] = [
    QuestionGenerator {
        id: "procmem-fds-after-exec",
        make: fds_after_exec,
    },
    QuestionGenerator {
        id: "procmem-default-after-exec",
        make: default_after_exec,
    },
    QuestionGenerator {
        id: "procmem-child-ppid",
        make: child_ppid,
    },
    QuestionGenerator {
        id: "procmem-fork-threads",
        make: fork_threads,
    },
];

fn start() -> Proc {
    rules::initial(false, Disposition::Default)
}

/// "n descriptors are open, these have FD_CLOEXEC: how many are open after execve?"
fn fds_after_exec(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let n = 4 + rng.below(7) as u32;
    let mut p = start();
    p.fds = (0..n)
        .map(|fd| FdEntry {
            fd,
            target: format!("fd{fd}"),
            cloexec: fd >= 3 && rng.below(2) == 0,
        })
        .collect();
    let marked: Vec<String> = p
        .fds
        .iter()
        .filter(|f| f.cloexec)
        .map(|f| f.fd.to_string())
        .collect();
    let after = rules::exec(&p, "/usr/bin/python3.11");
    let answer = after.fds.len() as u64;
    let marked_text = if marked.is_empty() {
        "どれにも FD_CLOEXEC は付いていません".to_owned()
    } else {
        format!(
            "そのうち {} に FD_CLOEXEC が付いています",
            marked.join(", ")
        )
    };
    GeneratedQuestion {
        prompt: format!(
            "プロセスがファイル記述子 0〜{} の {n} 個を開いていて、{marked_text}。このプロセスが execve で別のプログラムを実行すると、実行後に開いている記述子はいくつですか？",
            n - 1
        ),
        answer,
        values: vec![
            ("n", n.to_string()),
            ("marked", marked.len().to_string()),
            ("answer", answer.to_string()),
        ],
    }
}

/// Signals a process may catch or ignore (SIGKILL and SIGSTOP cannot be either, signal(7)).
const SIGNALS: [(&str, u32); 8] = [
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGUSR1", 10),
    ("SIGUSR2", 12),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
];

/// "These are caught, these ignored: how many are SIG_DFL after execve?"
fn default_after_exec(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let mut p = start();
    p.signals = SIGNALS
        .iter()
        .map(|&(signal, number)| SigDisp {
            signal,
            number,
            disposition: match rng.below(3) {
                0 => Disposition::Handler,
                1 => Disposition::Ignore,
                _ => Disposition::Default,
            },
        })
        .collect();
    let list = |d: Disposition| -> String {
        let names: Vec<&str> = p
            .signals
            .iter()
            .filter(|s| s.disposition == d)
            .map(|s| s.signal)
            .collect();
        if names.is_empty() {
            "なし".into()
        } else {
            names.join(", ")
        }
    };
    let caught = list(Disposition::Handler);
    let ignored = list(Disposition::Ignore);
    let after = rules::exec(&p, "/usr/bin/python3.11");
    let answer = after
        .signals
        .iter()
        .filter(|s| s.disposition == Disposition::Default)
        .count() as u64;
    GeneratedQuestion {
        prompt: format!(
            "プロセスが次の 8 つのシグナルについて、ハンドラで捕まえるもの: {caught}、無視（SIG_IGN）するもの: {ignored} と設定し、残りは既定の動作（SIG_DFL）のままです（対象: {}）。このプロセスが execve で別のプログラムを実行した直後、8 つのうち既定の動作（SIG_DFL）になっているのはいくつですか？",
            SIGNALS.map(|s| s.0).join(", ")
        ),
        answer,
        values: vec![
            ("caught", caught),
            ("ignored", ignored),
            ("answer", answer.to_string()),
        ],
    }
}

/// "A process with PID p (parent q) forks: what is the child's PPID?" — p.
fn child_ppid(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let mut p = start();
    p.pid = 300 + rng.below(30_000) as u32;
    p.ppid = 2 + rng.below(299) as u32;
    let child = rules::fork(&p, p.pid + 1 + rng.below(50) as u32);
    let answer = u64::from(child.ppid);
    GeneratedQuestion {
        prompt: format!(
            "PID {}（親の PID は {}）のプロセスが fork() し、PID {} の子ができました。子の PPID（親の PID）はいくつですか？",
            p.pid, p.ppid, child.pid
        ),
        answer,
        values: vec![
            ("pid", p.pid.to_string()),
            ("child", child.pid.to_string()),
            ("answer", answer.to_string()),
        ],
    }
}

/// "A process with t threads forks from one of them: how many threads has the child?" — 1.
fn fork_threads(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let t = 2 + rng.below(15) as u32;
    let mut p = start();
    for i in 1..t {
        p = rules::spawn_thread(&p, PID + i);
    }
    let child = rules::fork(&p, PID + t + 1);
    let answer = child.threads.len() as u64;
    GeneratedQuestion {
        prompt: format!(
            "スレッドが {t} 個あるプロセスで、そのうちの 1 つのスレッドが fork() を呼びました。できた子プロセスのスレッドはいくつですか？"
        ),
        answer,
        values: vec![("t", t.to_string()), ("answer", answer.to_string())],
    }
}
