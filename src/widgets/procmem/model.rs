//! The process-components widget's types: a process as /proc shows it (its mappings, descriptors,
//! credentials, directory, signal dispositions, threads and their masks), the components 予想モード
//! asks about, what an operation does to each (its fate), the steps of a run.

use serde::Serialize;

use super::Scenario;

/// The process's PID in every scenario.
pub const PID: u32 = 200;
/// Its parent, the shell.
pub const PPID: u32 = 100;
/// The child's PID after fork, and the new thread's TID after pthread_create.
pub const NEXT_ID: u32 = 201;

/// What a mapping holds, as the diagram groups the lines of /proc/PID/maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    /// The program's code (r-xp, from its file).
    Text,
    /// Read-only data and the ELF headers (r--p, from its file).
    Rodata,
    /// Initialised data (rw-p, from its file).
    Data,
    /// Zero-initialised data (anonymous rw-p right after data).
    Bss,
    /// `[heap]`, grown by brk(2).
    Heap,
    /// A shared library mapped with mmap(2).
    Lib,
    /// An anonymous mmap(2) (large malloc, a thread's stack).
    Anon,
    /// A thread stack's guard page (---p).
    Guard,
    /// `[stack]`, the main thread's stack.
    Stack,
}

impl Region {
    /// In Japanese.
    pub fn label(self) -> &'static str {
        match self {
            Region::Text => "コード（text）",
            Region::Rodata => "読み取り専用データ",
            Region::Data => "データ（data）",
            Region::Bss => "bss",
            Region::Heap => "ヒープ",
            Region::Lib => "共有ライブラリ",
            Region::Anon => "無名マッピング",
            Region::Guard => "ガードページ",
            Region::Stack => "スタック",
        }
    }
}

/// One line of /proc/PID/maps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapping {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// `r-xp` and the like: read, write, execute, private or shared.
    pub perms: &'static str,
    /// Offset into the file.
    pub offset: u64,
    /// The file's device, `major:minor`.
    pub dev: &'static str,
    /// The file's inode (0 for anonymous memory).
    pub inode: u64,
    /// The file, `[heap]`, `[stack]`, or empty.
    pub path: String,
    /// What it holds.
    pub region: Region,
    /// The line as /proc/PID/maps prints it.
    pub line: String,
}

impl Mapping {
    /// A mapping with its printed line.
    pub fn new(
        start: u64,
        end: u64,
        perms: &'static str,
        offset: u64,
        file: Option<(&'static str, u64, &str)>,
        region: Region,
    ) -> Mapping {
        let (dev, inode, path) = file.unwrap_or(("00:00", 0, ""));
        let head = format!("{start:x}-{end:x} {perms} {offset:08x} {dev} {inode}");
        let line = if path.is_empty() {
            head.clone()
        } else {
            format!("{head:<73}{path}")
        };
        Mapping {
            start,
            end,
            perms,
            offset,
            dev,
            inode,
            path: path.to_owned(),
            region,
            line,
        }
    }
}

/// One open descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FdEntry {
    /// Its number.
    pub fd: u32,
    /// What /proc/PID/fd/N links to.
    pub target: String,
    /// FD_CLOEXEC is set: execve closes it.
    pub cloexec: bool,
}

/// What a process does when a signal arrives (signal(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Disposition {
    /// SIG_DFL: the default action.
    Default,
    /// SIG_IGN.
    Ignore,
    /// A function installed with sigaction(2).
    Handler,
}

impl Disposition {
    /// As the texts write it.
    pub fn label(self) -> &'static str {
        match self {
            Disposition::Default => "SIG_DFL（既定の動作）",
            Disposition::Ignore => "SIG_IGN（無視）",
            Disposition::Handler => "ハンドラで捕まえる",
        }
    }
}

/// One signal's disposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SigDisp {
    /// Its name.
    pub signal: &'static str,
    /// Its number on x86 and ARM.
    pub number: u32,
    /// What the process does with it.
    pub disposition: Disposition,
}

/// One thread of the process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thread {
    /// Its TID (the main thread's is the PID).
    pub tid: u32,
    /// The signals it blocks (its own signal mask).
    pub mask: Vec<&'static str>,
    /// The mapping that is its stack (`[stack]`, or an anonymous one).
    pub stack: String,
}

/// A process as /proc/PID shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proc {
    /// PID.
    pub pid: u32,
    /// Parent's PID.
    pub ppid: u32,
    /// The program it runs.
    pub program: String,
    /// /proc/PID/maps, low addresses first.
    pub maps: Vec<Mapping>,
    /// /proc/PID/fd.
    pub fds: Vec<FdEntry>,
    /// Real and effective UID.
    pub uid: u32,
    /// Real and effective GID.
    pub gid: u32,
    /// /proc/PID/cwd.
    pub cwd: String,
    /// Dispositions of the signals the widget shows.
    pub signals: Vec<SigDisp>,
    /// Its threads, the main one first.
    pub threads: Vec<Thread>,
}

/// A component 予想モード asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    /// PID.
    Pid,
    /// PPID.
    Ppid,
    /// TID.
    Tid,
    /// text, data, bss, heap, the mmap area.
    Memory,
    /// The stack.
    Stack,
    /// fds 0–3 (no FD_CLOEXEC).
    Fds,
    /// fd 4 (FD_CLOEXEC when the run says so).
    Fd4,
    /// The current directory.
    Cwd,
    /// UID and GID.
    Creds,
    /// SIGINT's disposition.
    Sigint,
    /// SIGPIPE's disposition (ignored).
    Sigpipe,
    /// The signal mask.
    Mask,
}

impl Component {
    /// Every component, in the order the form lists them.
    pub const ALL: [Component; 12] = [
        Component::Pid,
        Component::Ppid,
        Component::Tid,
        Component::Memory,
        Component::Stack,
        Component::Fds,
        Component::Fd4,
        Component::Cwd,
        Component::Creds,
        Component::Sigint,
        Component::Sigpipe,
        Component::Mask,
    ];

    /// The name in JSON and answers.
    pub fn name(self) -> &'static str {
        match self {
            Component::Pid => "pid",
            Component::Ppid => "ppid",
            Component::Tid => "tid",
            Component::Memory => "memory",
            Component::Stack => "stack",
            Component::Fds => "fds",
            Component::Fd4 => "fd4",
            Component::Cwd => "cwd",
            Component::Creds => "creds",
            Component::Sigint => "sigint",
            Component::Sigpipe => "sigpipe",
            Component::Mask => "mask",
        }
    }

    /// The component with this name, if any.
    pub fn from_name(name: &str) -> Option<Component> {
        Component::ALL.into_iter().find(|c| c.name() == name)
    }

    /// In Japanese.
    pub fn label(self) -> &'static str {
        match self {
            Component::Pid => "PID",
            Component::Ppid => "PPID",
            Component::Tid => "TID（スレッド ID）",
            Component::Memory => "text・data・bss・ヒープ・mmap",
            Component::Stack => "スタック",
            Component::Fds => "fd 0〜3（close-on-exec なし）",
            Component::Fd4 => "fd 4 のソケット",
            Component::Cwd => "カレントディレクトリ",
            Component::Creds => "資格情報（UID・GID）",
            Component::Sigint => "SIGINT の処理方法",
            Component::Sigpipe => "SIGPIPE の処理方法（無視）",
            Component::Mask => "シグナルマスク",
        }
    }
}

/// What an operation does to a component, seen from the new process or thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fate {
    /// The same process keeps it unchanged.
    Kept,
    /// The old and the new thread use the very same one.
    Shared,
    /// The new process gets its own copy.
    Copied,
    /// A new value.
    New,
    /// Replaced by the new program's.
    Replaced,
    /// Reset to the default (SIG_DFL).
    Reset,
    /// Closed.
    Closed,
}

impl Fate {
    /// Every fate, in the order the form offers them.
    pub const ALL: [Fate; 7] = [
        Fate::Kept,
        Fate::Shared,
        Fate::Copied,
        Fate::New,
        Fate::Replaced,
        Fate::Reset,
        Fate::Closed,
    ];

    /// The name in JSON and answers.
    pub fn name(self) -> &'static str {
        match self {
            Fate::Kept => "kept",
            Fate::Shared => "shared",
            Fate::Copied => "copied",
            Fate::New => "new",
            Fate::Replaced => "replaced",
            Fate::Reset => "reset",
            Fate::Closed => "closed",
        }
    }

    /// The fate with this name, if any.
    pub fn from_name(name: &str) -> Option<Fate> {
        Fate::ALL.into_iter().find(|f| f.name() == name)
    }

    /// In Japanese.
    pub fn label(self) -> &'static str {
        match self {
            Fate::Kept => "そのまま残る",
            Fate::Shared => "共有する（同じもの）",
            Fate::Copied => "コピーされる（別々）",
            Fate::New => "新しい値になる",
            Fate::Replaced => "新しいプログラムのものに置き換わる",
            Fate::Reset => "既定の動作に戻る",
            Fate::Closed => "閉じられる",
        }
    }
}

/// One component's fate in an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FateRow {
    /// The component.
    pub component: Component,
    /// Its label.
    pub label: &'static str,
    /// Its value before.
    pub before: String,
    /// Its value in the new process or thread after.
    pub after: String,
    /// What happened to it.
    pub fate: Fate,
    /// Why, in one sentence.
    pub why: String,
    /// Where it is written down.
    pub source: &'static str,
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The call or the /proc file looked at.
    pub call: String,
    /// One line saying what happens.
    pub note: String,
    /// Why, in Japanese.
    pub explain: String,
    /// Where it is written down.
    pub source: &'static str,
    /// The part of the process this step is about (`text`, `fds`, `signals`…), for highlighting.
    pub focus: Option<&'static str>,
    /// The processes after the step.
    pub processes: Vec<Proc>,
    /// What the operation did to each component (operation steps only).
    pub fates: Vec<FateRow>,
    /// 予想モード asks for every component's fate before this step is shown.
    pub ask: bool,
}

/// A whole scenario as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcRun {
    /// The story.
    pub scenario: Scenario,
    /// fd 4 has FD_CLOEXEC.
    pub cloexec: bool,
    /// SIGINT before the operation.
    pub sigint: Disposition,
    /// The process before the first step.
    pub initial: Vec<Proc>,
    /// The steps in order.
    pub steps: Vec<Step>,
}
