//! What fork, execve and pthread_create do to a process (facts.md W13 and §10–§11; fork(2),
//! execve(2), pthreads(7), signal(7)), as functions on [`Proc`], and each component's fate.
//!
//! The addresses are an example of a typical x86-64 Linux layout (ASLR picks others on every run);
//! their order — text, data, bss, heap, the mmap area, the stack — is what the widget teaches.

use super::model::*;

/// The server's image in memory, low to high, with its libc and one anonymous mapping.
fn server_maps() -> Vec<Mapping> {
    let bin = |inode| Some(("08:01", inode, "/usr/local/bin/server"));
    let libc = Some(("08:01", 2_621_483, "/usr/lib/x86_64-linux-gnu/libc.so.6"));
    vec![
        Mapping::new(
            0x55d0_c4a0_0000,
            0x55d0_c4a0_1000,
            "r--p",
            0,
            bin(1_048_602),
            Region::Rodata,
        ),
        Mapping::new(
            0x55d0_c4a0_1000,
            0x55d0_c4a0_3000,
            "r-xp",
            0x1000,
            bin(1_048_602),
            Region::Text,
        ),
        Mapping::new(
            0x55d0_c4a0_3000,
            0x55d0_c4a0_4000,
            "r--p",
            0x3000,
            bin(1_048_602),
            Region::Rodata,
        ),
        Mapping::new(
            0x55d0_c4a0_4000,
            0x55d0_c4a0_5000,
            "rw-p",
            0x4000,
            bin(1_048_602),
            Region::Data,
        ),
        Mapping::new(
            0x55d0_c4a0_5000,
            0x55d0_c4a0_6000,
            "rw-p",
            0,
            None,
            Region::Bss,
        ),
        Mapping::new(
            0x55d0_c5b2_e000,
            0x55d0_c5b4_f000,
            "rw-p",
            0,
            Some(("00:00", 0, "[heap]")),
            Region::Heap,
        ),
        Mapping::new(
            0x7f3a_1c5e_0000,
            0x7f3a_1c60_0000,
            "rw-p",
            0,
            None,
            Region::Anon,
        ),
        Mapping::new(
            0x7f3a_1c62_8000,
            0x7f3a_1c7b_d000,
            "r-xp",
            0x28000,
            libc,
            Region::Lib,
        ),
        Mapping::new(
            0x7f3a_1c81_9000,
            0x7f3a_1c81_b000,
            "rw-p",
            0x218000,
            libc,
            Region::Lib,
        ),
        Mapping::new(
            0x7ffd_3e9c_1000,
            0x7ffd_3e9e_2000,
            "rw-p",
            0,
            Some(("00:00", 0, "[stack]")),
            Region::Stack,
        ),
    ]
}

/// python3's image after execve: other files, other addresses, a fresh heap and stack.
fn python_maps() -> Vec<Mapping> {
    let bin = |inode| Some(("08:01", inode, "/usr/bin/python3.11"));
    let libc = Some(("08:01", 2_621_483, "/usr/lib/x86_64-linux-gnu/libc.so.6"));
    vec![
        Mapping::new(
            0x5580_f2c0_0000,
            0x5580_f2c6_d000,
            "r--p",
            0,
            bin(1_314_993),
            Region::Rodata,
        ),
        Mapping::new(
            0x5580_f2c6_d000,
            0x5580_f2f0_1000,
            "r-xp",
            0x6d000,
            bin(1_314_993),
            Region::Text,
        ),
        Mapping::new(
            0x5580_f2f0_1000,
            0x5580_f316_0000,
            "r--p",
            0x301000,
            bin(1_314_993),
            Region::Rodata,
        ),
        Mapping::new(
            0x5580_f316_1000,
            0x5580_f31d_6000,
            "rw-p",
            0x560000,
            bin(1_314_993),
            Region::Data,
        ),
        Mapping::new(
            0x5580_f31d_6000,
            0x5580_f320_b000,
            "rw-p",
            0,
            None,
            Region::Bss,
        ),
        Mapping::new(
            0x5580_f3e4_0000,
            0x5580_f3f0_2000,
            "rw-p",
            0,
            Some(("00:00", 0, "[heap]")),
            Region::Heap,
        ),
        Mapping::new(
            0x7f91_0a62_8000,
            0x7f91_0a7b_d000,
            "r-xp",
            0x28000,
            libc,
            Region::Lib,
        ),
        Mapping::new(
            0x7f91_0a81_9000,
            0x7f91_0a81_b000,
            "rw-p",
            0x218000,
            libc,
            Region::Lib,
        ),
        Mapping::new(
            0x7ffc_81d3_0000,
            0x7ffc_81d5_1000,
            "rw-p",
            0,
            Some(("00:00", 0, "[stack]")),
            Region::Stack,
        ),
    ]
}

/// The process every scenario starts from: `/usr/local/bin/server`, PID 200, started by bash
/// (PID 100), with a log file on fd 3 and a socket on fd 4.
pub fn initial(cloexec: bool, sigint: Disposition) -> Proc {
    let tty = |fd| FdEntry {
        fd,
        target: "/dev/pts/0".into(),
        cloexec: false,
    };
    Proc {
        pid: PID,
        ppid: PPID,
        program: "/usr/local/bin/server".into(),
        maps: server_maps(),
        fds: vec![
            tty(0),
            tty(1),
            tty(2),
            FdEntry {
                fd: 3,
                target: "/var/log/server.log".into(),
                cloexec: false,
            },
            FdEntry {
                fd: 4,
                target: "socket:[31337]".into(),
                cloexec,
            },
        ],
        uid: 1000,
        gid: 1000,
        cwd: "/home/user".into(),
        signals: vec![
            SigDisp {
                signal: "SIGINT",
                number: 2,
                disposition: sigint,
            },
            SigDisp {
                signal: "SIGPIPE",
                number: 13,
                disposition: Disposition::Ignore,
            },
            SigDisp {
                signal: "SIGTERM",
                number: 15,
                disposition: Disposition::Default,
            },
        ],
        threads: vec![Thread {
            tid: PID,
            mask: vec!["SIGUSR1"],
            stack: "[stack]".into(),
        }],
    }
}

/// fork(2): a new process with the next PID, whose parent is `p`; copies of the address space
/// (copy-on-write), the descriptors (same open files), cwd, credentials, dispositions and the
/// calling thread's mask. Only the calling thread (the first here) exists in the child.
pub fn fork(p: &Proc, child: u32) -> Proc {
    let mut c = p.clone();
    c.pid = child;
    c.ppid = p.pid;
    c.threads.truncate(1);
    if let Some(t) = c.threads.first_mut() {
        t.tid = child;
    }
    c
}

/// execve(2): the same process runs `program`. Its mappings are the new program's; descriptors with
/// FD_CLOEXEC close; caught signals go back to SIG_DFL, ignored ones stay ignored; every other
/// thread is gone; PID, PPID, cwd, credentials and the mask stay.
pub fn exec(p: &Proc, program: &str) -> Proc {
    let mut e = p.clone();
    e.program = program.into();
    e.maps = python_maps();
    e.fds.retain(|f| !f.cloexec);
    for s in &mut e.signals {
        if s.disposition == Disposition::Handler {
            s.disposition = Disposition::Default;
        }
    }
    e.threads.truncate(1);
    if let Some(t) = e.threads.first_mut() {
        t.tid = e.pid;
        t.stack = "[stack]".into();
    }
    e
}

/// The anonymous mapping (and guard page) glibc makes for a new thread's stack: 8 MiB below libc.
fn thread_stack() -> [Mapping; 2] {
    [
        Mapping::new(
            0x7f3a_1b9f_f000,
            0x7f3a_1ba0_0000,
            "---p",
            0,
            None,
            Region::Guard,
        ),
        Mapping::new(
            0x7f3a_1ba0_0000,
            0x7f3a_1c20_0000,
            "rw-p",
            0,
            None,
            Region::Anon,
        ),
    ]
}

/// pthread_create(3): a second thread `tid` in the same process, with its own stack (a new
/// mapping) and a copy of its creator's signal mask; everything else is the process's, shared.
pub fn spawn_thread(p: &Proc, tid: u32) -> Proc {
    let mut t = p.clone();
    let [guard, stack] = thread_stack();
    let name = stack.line.split(' ').next().unwrap_or_default().to_owned();
    t.maps.extend([guard, stack]);
    t.maps.sort_by_key(|m| m.start);
    let mask = p
        .threads
        .first()
        .map(|m| m.mask.clone())
        .unwrap_or_default();
    t.threads.push(Thread {
        tid,
        mask,
        stack: name,
    });
    t
}

/// The operations whose fates the widget asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// fork(): the child against its parent.
    Fork,
    /// execve(): the process after against before.
    Exec,
    /// pthread_create(): the new thread against its creator.
    Thread,
}

fn disposition(p: &Proc, signal: &str) -> Disposition {
    p.signals
        .iter()
        .find(|s| s.signal == signal)
        .map_or(Disposition::Default, |s| s.disposition)
}

fn fd4(p: &Proc) -> String {
    p.fds.iter().find(|f| f.fd == 4).map_or_else(
        || "（閉じている）".to_owned(),
        |f| {
            format!(
                "{}{}",
                f.target,
                if f.cloexec { "（FD_CLOEXEC）" } else { "" }
            )
        },
    )
}

fn mask(t: Option<&Thread>) -> String {
    t.map_or_else(String::new, |t| format!("{{{}}}", t.mask.join(", ")))
}

/// A component's value in `p`, seen from thread `t` (the new one when there are two).
fn value(c: Component, p: &Proc, t: Option<&Thread>) -> String {
    match c {
        Component::Pid => p.pid.to_string(),
        Component::Ppid => p.ppid.to_string(),
        Component::Tid => t.map_or_else(String::new, |t| t.tid.to_string()),
        Component::Memory => {
            let text = p.maps.iter().find(|m| m.region == Region::Text);
            text.map_or_else(String::new, |m| {
                format!("{}（text {:x}〜）", m.path, m.start)
            })
        }
        Component::Stack => t.map_or_else(String::new, |t| t.stack.clone()),
        Component::Fds => {
            let n = p.fds.iter().filter(|f| f.fd <= 3).count();
            format!("{n} 個（0〜2 端末、3 server.log）")
        }
        Component::Fd4 => fd4(p),
        Component::Cwd => p.cwd.clone(),
        Component::Creds => format!("uid={} gid={}", p.uid, p.gid),
        Component::Sigint => disposition(p, "SIGINT").label().to_owned(),
        Component::Sigpipe => disposition(p, "SIGPIPE").label().to_owned(),
        Component::Mask => mask(t),
    }
}

/// Each component's fate in `op`: its value before and after comes from the two states (`after`'s
/// last thread is the one that counts after pthread_create); the fate follows the man pages' rules,
/// and where a rule depends on the state — fd 4 closed by execve or not, a handler reset or an
/// ignored signal kept — it is read off the states.
pub fn fates(op: Operation, before: &Proc, after: &Proc) -> Vec<FateRow> {
    let t0 = before.threads.first();
    let t1 = match op {
        Operation::Thread => after.threads.last(),
        _ => after.threads.first(),
    };
    Component::ALL
        .iter()
        .map(|&c| {
            let b = value(c, before, t0);
            let a = value(c, after, t1);
            let (fate, why, source) = fate(op, c, &b, &a, before, after);
            FateRow {
                component: c,
                label: c.label(),
                before: b,
                after: a,
                fate,
                why,
                source,
            }
        })
        .collect()
}

fn fate(
    op: Operation,
    c: Component,
    b: &str,
    a: &str,
    before: &Proc,
    after: &Proc,
) -> (Fate, String, &'static str) {
    use Component::*;
    let same = a == b;
    match op {
        Operation::Fork => match c {
            Pid | Tid => (Fate::New, format!("子は新しい PID {a} を持ちます。"), "fork(2)"),
            Ppid => (Fate::New, format!("子の親は fork を呼んだプロセス（{a}）です。"), "fork(2)"),
            Memory | Stack => (
                Fate::Copied,
                "子はアドレス空間のコピーを持ちます。実際にはページを共有したまま、どちらかが書き込んだページだけを複製します（copy-on-write）。".into(),
                "fork(2)",
            ),
            Fds | Fd4 => (
                Fate::Copied,
                "子は記述子の表のコピーを受け継ぎます。同じ番号が同じ「開いているファイル」を指すので、ファイルオフセットは親と共有です。FD_CLOEXEC は fork には関係しません。".into(),
                "fork(2)",
            ),
            Cwd | Creds => (Fate::Copied, "子は親と同じ値のコピーを持ち、後でそれぞれ別に変えられます。".into(), "fork(2), credentials(7)"),
            Sigint | Sigpipe => (Fate::Copied, "子は親のシグナルの処理方法のコピーを受け継ぎます。".into(), "signal(7)"),
            Mask => (Fate::Copied, "子は fork を呼んだスレッドのシグナルマスクのコピーを受け継ぎます。".into(), "signal(7)"),
        },
        Operation::Exec => match c {
            Memory | Stack => (
                Fate::Replaced,
                "execve はコード・データ・bss・ヒープ・スタックを新しいプログラムのものに置き換えます。".into(),
                "execve(2)",
            ),
            Fd4 if after.fds.iter().all(|f| f.fd != 4) => (
                Fate::Closed,
                "FD_CLOEXEC（close-on-exec）の付いた記述子は execve で閉じられます。".into(),
                "execve(2), fcntl(2)",
            ),
            Fds | Fd4 => (
                Fate::Kept,
                "close-on-exec の付いていない記述子は、同じ番号のまま新しいプログラムに引き継がれます。".into(),
                "execve(2)",
            ),
            Sigint | Sigpipe if !same => (
                Fate::Reset,
                "捕まえていたシグナルは既定の動作に戻ります。ハンドラの関数は古いプログラムと一緒に消えるからです。".into(),
                "execve(2), signal(7)",
            ),
            Sigint | Sigpipe => (
                Fate::Kept,
                if disposition(before, if c == Sigint { "SIGINT" } else { "SIGPIPE" }) == Disposition::Ignore {
                    "無視（SIG_IGN）していたシグナルは execve の後も無視されたままです。"
                } else {
                    "既定の動作のシグナルは既定の動作のままです。"
                }
                .into(),
                "execve(2), signal(7)",
            ),
            Mask => (Fate::Kept, "シグナルマスクは execve の後もそのまま残ります。".into(), "execve(2), signal(7)"),
            Pid | Ppid | Tid | Cwd | Creds => (
                Fate::Kept,
                "execve は同じプロセスのままプログラムを替えるので、PID・PPID・カレントディレクトリ・資格情報（set-user-ID のプログラムでなければ）は変わりません。".into(),
                "execve(2)",
            ),
        },
        Operation::Thread => match c {
            Tid => (Fate::New, format!("新しいスレッドは自分の TID {a} を持ちます（PID は同じ）。"), "pthreads(7), gettid(2)"),
            Stack => (Fate::New, "スレッドごとに自分のスタックを持ちます（glibc が mmap で新しく確保します）。".into(), "pthreads(7), pthread_create(3)"),
            Mask => (Fate::Copied, "新しいスレッドは作ったスレッドのシグナルマスクのコピーを持ち、その後はスレッドごとに変えられます。".into(), "pthread_create(3), signal(7)"),
            _ => (Fate::Shared, "スレッドどうしはプロセスの持ち物（メモリ・記述子・カレントディレクトリ・資格情報・シグナルの処理方法・PID）を共有します。".into(), "pthreads(7)"),
        },
    }
}
