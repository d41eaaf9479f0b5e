//! The pipe widget's types: descriptors and what they point at, the three processes, the pipe's
//! buffer, the steps of a run and how it ends.

use serde::Serialize;

use super::Scenario;

/// The pipe's capacity on Linux since 2.6.11: 65,536 bytes (pipe(7) "Pipe capacity").
pub const CAPACITY: u64 = 65_536;
/// Writes of at most this many bytes are atomic (pipe(7) "PIPE_BUF"; 4096 on Linux).
pub const PIPE_BUF: u64 = 4096;
/// The shell's PID.
pub const SHELL_PID: u32 = 100;
/// Child 1, which becomes cat.
pub const CAT_PID: u32 = 101;
/// Child 2, which becomes grep.
pub const GREP_PID: u32 = 102;
/// Descriptors 0…FD_SLOTS−1 are shown (and predicted) for every process.
pub const FD_SLOTS: u32 = 5;
/// SIGPIPE's number (13 on x86 and ARM, signal(7)).
pub const SIGPIPE: i32 = 13;

/// What an open descriptor refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FdKind {
    /// The terminal (/dev/pts/0).
    Tty,
    /// The pipe's read end.
    PipeR,
    /// The pipe's write end.
    PipeW,
    /// /var/log/messages, opened by cat.
    File,
}

impl FdKind {
    /// Every kind, in the order the predict form offers them.
    pub const ALL: [FdKind; 4] = [FdKind::Tty, FdKind::PipeR, FdKind::PipeW, FdKind::File];

    /// The name in JSON and answers.
    pub fn name(self) -> &'static str {
        match self {
            FdKind::Tty => "tty",
            FdKind::PipeR => "pipe-r",
            FdKind::PipeW => "pipe-w",
            FdKind::File => "file",
        }
    }

    /// The kind with this name, if any.
    pub fn from_name(name: &str) -> Option<FdKind> {
        FdKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// In Japanese.
    pub fn label(self) -> &'static str {
        match self {
            FdKind::Tty => "端末",
            FdKind::PipeR => "パイプの読み口",
            FdKind::PipeW => "パイプの書き口",
            FdKind::File => "/var/log/messages",
        }
    }
}

/// An answer's word for "not open".
pub const CLOSED: &str = "none";

/// One open descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fd {
    /// Its number.
    pub fd: u32,
    /// What it refers to.
    pub kind: FdKind,
}

/// What a process is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcState {
    /// Running or runnable.
    Running,
    /// Blocked in write(2): the pipe is full.
    BlockedWrite,
    /// Blocked in read(2): the pipe is empty and a write end is still open.
    BlockedRead,
    /// The shell, blocked in wait4(2) for its children.
    Waiting,
    /// Exited or killed; a zombie until the shell reaps it.
    Exited,
    /// Reaped by the shell.
    Reaped,
}

impl ProcState {
    /// In Japanese, for the diagram and the tables.
    pub fn label(self) -> &'static str {
        match self {
            ProcState::Running => "実行中",
            ProcState::BlockedWrite => "write() でブロック",
            ProcState::BlockedRead => "read() でブロック",
            ProcState::Waiting => "wait() で待機",
            ProcState::Exited => "終了（ゾンビ）",
            ProcState::Reaped => "回収済み",
        }
    }
}

/// One process: the shell or one of its two children.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proc {
    /// Its PID.
    pub pid: u32,
    /// The program it runs (`bash` for a child until it calls execve).
    pub program: String,
    /// What it is doing.
    pub state: ProcState,
    /// Its status as the shell sees it once it has ended: the exit code, or 128 + the signal
    /// number for a process killed by a signal (bash(1) "EXIT STATUS").
    pub status: Option<i32>,
    /// The signal that killed it, if one did.
    pub signal: Option<&'static str>,
    /// Its open descriptors, by number.
    pub fds: Vec<Fd>,
}

/// The pipe's buffer and who holds its ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PipeState {
    /// The pipe exists (after the shell's pipe()).
    pub exists: bool,
    /// Bytes written and not yet read.
    pub bytes: u64,
    /// Its capacity, [`CAPACITY`].
    pub capacity: u64,
    /// Open descriptors on the read end, in every process.
    pub readers: u32,
    /// Open descriptors on the write end, in every process.
    pub writers: u32,
    /// Bytes cat has written so far.
    pub written: u64,
    /// Bytes grep has read so far.
    pub read: u64,
}

/// What a step does (the JSON `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// pipe()
    Pipe,
    /// fork()
    Fork,
    /// dup2()
    Dup2,
    /// close()
    Close,
    /// execve()
    Exec,
    /// open()
    Open,
    /// write() into the pipe
    Write,
    /// read() from the pipe
    Read,
    /// Several write/read rounds shown as one step.
    Repeat,
    /// exit()
    Exit,
    /// A signal is delivered (SIGPIPE).
    Signal,
    /// wait4() in the shell.
    Wait,
    /// Nothing more happens: the pipeline hangs.
    Hang,
}

/// What 予想モード asks before a step is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// One process's descriptors 0…4 after the step.
    Fds,
    /// How the pipeline ends (asked when the data starts to flow).
    Outcome,
    /// The pipeline's exit status `$?` (asked before the shell reports it).
    Status,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 3] = [Field::Fds, Field::Outcome, Field::Status];

    /// The name in JSON and the database.
    pub fn name(self) -> &'static str {
        match self {
            Field::Fds => "fds",
            Field::Outcome => "outcome",
            Field::Status => "status",
        }
    }

    /// The field with this name, if any.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// In Japanese, as the instructor's analysis names it.
    pub fn label(self) -> &'static str {
        match self {
            Field::Fds => "ファイル記述子の表",
            Field::Outcome => "パイプラインの終わり方",
            Field::Status => "パイプラインの終了ステータス",
        }
    }
}

/// How the pipeline ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Both processes end by themselves; grep saw EOF (or quit after its match).
    Completes,
    /// grep quit first and cat was killed by SIGPIPE on its next write.
    Sigpipe,
    /// grep waits for EOF forever: a write end is still open somewhere.
    GrepHangs,
    /// cat waits in write() forever: the pipe is full and a read end is still open (its own).
    CatHangs,
}

impl Outcome {
    /// Every outcome, in the order the predict form offers them.
    pub const ALL: [Outcome; 4] = [
        Outcome::Completes,
        Outcome::Sigpipe,
        Outcome::GrepHangs,
        Outcome::CatHangs,
    ];

    /// The name in JSON and answers.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Completes => "completes",
            Outcome::Sigpipe => "sigpipe",
            Outcome::GrepHangs => "grep-hangs",
            Outcome::CatHangs => "cat-hangs",
        }
    }

    /// The outcome with this name, if any.
    pub fn from_name(name: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.name() == name)
    }

    /// In Japanese.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Completes => "2 つとも自分で終了する",
            Outcome::Sigpipe => "grep が先に終わり、cat が SIGPIPE で終わる",
            Outcome::GrepHangs => "grep が EOF を待ち続けて終わらない",
            Outcome::CatHangs => "cat が write() で止まったまま終わらない",
        }
    }
}

/// One system call (or event) and everything after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The process that acts.
    pub pid: u32,
    /// What kind of step.
    pub kind: StepKind,
    /// The call as written in C or as a short event (`dup2(4, 1)`).
    pub call: String,
    /// What it returned or did, in a few words (`= 0`, `→ 65,536 バイト`).
    pub result: String,
    /// One line saying what happens.
    pub note: String,
    /// Why, in Japanese.
    pub explain: String,
    /// Where this is written down (a man page).
    pub source: &'static str,
    /// The process whose descriptors this step changes (or that 予想モード asks about).
    pub subject: Option<u32>,
    /// What 予想モード asks before showing this step.
    pub ask: Option<Field>,
    /// The processes after the step (children appear once forked).
    pub processes: Vec<Proc>,
    /// The pipe after the step.
    pub pipe: PipeState,
}

/// A whole scenario as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PipeRun {
    /// The story.
    pub scenario: Scenario,
    /// The command line.
    pub command: String,
    /// Bytes in /var/log/messages.
    pub size: u64,
    /// `set -o pipefail`.
    pub pipefail: bool,
    /// The log has an `Error` line.
    pub matches: bool,
    /// The pipe's capacity.
    pub capacity: u64,
    /// The shell before the first step.
    pub initial: Vec<Proc>,
    /// The steps in order.
    pub steps: Vec<Step>,
    /// How it ends.
    pub outcome: Outcome,
    /// cat's status as the shell sees it; `None` if it never ends.
    pub cat_status: Option<i32>,
    /// grep's status; `None` if it never ends.
    pub grep_status: Option<i32>,
    /// The pipeline's status `$?`; `None` when the shell is still waiting.
    pub status: Option<i32>,
    /// How many times cat blocked on a full pipe.
    pub blocks: u64,
    /// The ending in one sentence.
    pub summary: String,
}

impl PipeRun {
    /// The descriptors 0…[`FD_SLOTS`]−1 of `pid` after step `k`, as an answer spells them:
    /// `tty,pipe-w,tty,none,none`. `None` when the process does not exist yet.
    pub fn fd_answer(&self, k: usize, pid: u32) -> Option<String> {
        let p = self.steps.get(k)?.processes.iter().find(|p| p.pid == pid)?;
        Some(fd_slots(&p.fds).join(","))
    }
}

/// Descriptors 0…[`FD_SLOTS`]−1 as names (`none` for a closed one).
pub fn fd_slots(fds: &[Fd]) -> Vec<&'static str> {
    (0..FD_SLOTS)
        .map(|n| {
            fds.iter()
                .find(|f| f.fd == n)
                .map_or(CLOSED, |f| f.kind.name())
        })
        .collect()
}
