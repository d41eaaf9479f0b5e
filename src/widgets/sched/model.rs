//! The scheduler model's types: a task's `ps` state, the CPUs with their run queues, one step of a
//! scenario and a whole run.

use serde::{Serialize, Serializer};

use super::Scenario;

/// A task's state as ps(1) prints it in the STAT column (facts.md §10), plus "gone" once reaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stat {
    /// Running or runnable: on a CPU or waiting in its run queue.
    R,
    /// Interruptible sleep: waiting for an event (data in a pipe, a child, a key).
    S,
    /// Uninterruptible sleep, usually disk I/O.
    D,
    /// Stopped by job control (SIGSTOP, SIGTSTP).
    T,
    /// Zombie: exited, not yet waited for.
    Z,
    /// Reaped by its parent's wait(): no longer in the process table, so ps shows nothing.
    Gone,
}

impl Stat {
    /// Every state a learner can answer, in ps(1)'s order, then "gone".
    pub const ALL: [Stat; 6] = [Stat::R, Stat::S, Stat::D, Stat::T, Stat::Z, Stat::Gone];

    /// The STAT letter, or `-` for a reaped task.
    pub fn letter(self) -> &'static str {
        match self {
            Stat::R => "R",
            Stat::S => "S",
            Stat::D => "D",
            Stat::T => "T",
            Stat::Z => "Z",
            Stat::Gone => "-",
        }
    }

    /// What the letter means, in Japanese.
    pub fn label(self) -> &'static str {
        match self {
            Stat::R => "実行中または実行可能",
            Stat::S => "割り込み可能なスリープ",
            Stat::D => "割り込み不可能なスリープ（I/O 待ち）",
            Stat::T => "停止（ジョブ制御）",
            Stat::Z => "ゾンビ（回収待ち）",
            Stat::Gone => "回収済み（ps に出ない）",
        }
    }

    /// Whether the load average counts a task in this state: R and D (proc(5)).
    pub fn counts_in_load(self) -> bool {
        matches!(self, Stat::R | Stat::D)
    }

    /// Reads a learner's answer: the letter in either case or full width, or なし/- for gone.
    pub fn from_answer(answer: &str) -> Option<Stat> {
        let a = answer.trim();
        if ["-", "－", "なし", "無し", "gone", "none"]
            .iter()
            .any(|g| g.eq_ignore_ascii_case(a))
        {
            return Some(Stat::Gone);
        }
        let letter: String = a
            .chars()
            .map(|c| match c {
                'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(c as u32 - 0xFEE0)
                    .unwrap_or(c)
                    .to_ascii_uppercase(),
                c => c.to_ascii_uppercase(),
            })
            .collect();
        Stat::ALL
            .into_iter()
            .find(|s| *s != Stat::Gone && s.letter() == letter)
    }
}

impl Serialize for Stat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.letter())
    }
}

/// One task (a process with one thread) as `ps -o pid,stat,psr,comm` would show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    /// Its PID.
    pub pid: u32,
    /// Its command name.
    pub comm: String,
    /// Its STAT letter.
    pub stat: Stat,
    /// The CPU whose run queue it belongs to (ps `PSR`: the last CPU it ran on, or is queued on).
    pub cpu: Option<usize>,
    /// What it waits for while S, D or T, in Japanese (`pipe_read` in words).
    pub waiting: Option<String>,
}

/// One CPU: the task on it and its own run queue (Linux keeps one per CPU: facts.md §12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cpu {
    /// The CPU number, from 0.
    pub id: usize,
    /// The PID running on it, or `None` when idle.
    pub current: Option<u32>,
    /// PIDs waiting in its run queue, next first.
    pub queue: Vec<u32>,
}

/// An idle CPU pulling a waiting task from a busy CPU's queue (load balancing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pull {
    /// The task moved.
    pub pid: u32,
    /// The busy CPU it left.
    pub from: usize,
    /// The idle CPU that took it.
    pub to: usize,
}

/// What a step does, as the JSON `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// fork(): a new task, runnable.
    Fork,
    /// The running task's time slice ends.
    Slice,
    /// read() on an empty pipe.
    ReadPipe,
    /// Data arrives in the pipe.
    PipeData,
    /// A read that must wait for the disk.
    DiskRead,
    /// The disk finishes.
    DiskDone,
    /// SIGSTOP or SIGTSTP.
    Stop,
    /// SIGCONT.
    Cont,
    /// exit().
    Exit,
    /// The parent's wait().
    Wait,
}

/// One step of a scenario: an event and the whole machine after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What happens.
    pub kind: EventKind,
    /// The task the event is about.
    pub pid: u32,
    /// The event alone, in Japanese, without its outcome (predict mode shows only this).
    pub event: String,
    /// What the event did and why, in Japanese (です・ます).
    pub explain: String,
    /// Where the rule is written (man page).
    pub source: String,
    /// Load balancing that followed the event.
    pub pulls: Vec<Pull>,
    /// Every task after the step (reaped ones stay, as `-`).
    pub tasks: Vec<Task>,
    /// Every CPU after the step.
    pub cpus: Vec<Cpu>,
    /// Tasks on a CPU right now: at most one per CPU.
    pub running: usize,
    /// Tasks in R (running or waiting in a queue).
    pub runnable: usize,
    /// Tasks in D.
    pub uninterruptible: usize,
    /// What the load average counts: R + D (proc(5)).
    pub load: usize,
}

/// A whole scenario as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sched {
    /// The scenario.
    pub scenario: Scenario,
    /// Number of CPUs.
    pub cpus: usize,
    /// Number of compute tasks (the balance scenario; 0 elsewhere).
    pub tasks: usize,
    /// The machine before the first step: tasks.
    pub initial_tasks: Vec<Task>,
    /// The machine before the first step: CPUs.
    pub initial_cpus: Vec<Cpu>,
    /// The machine before the first step: tasks on a CPU.
    pub initial_running: usize,
    /// The machine before the first step: the load count.
    pub initial_load: usize,
    /// The steps in order.
    pub steps: Vec<Step>,
}
