//! The race model's types: the two actors (threads or processes), each step with both registers and the
//! memory as each actor sees it, and a whole run with every schedule's outcome.

use serde::Serialize;

use super::Scenario;

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// pthread_create() or fork(): the second actor appears.
    Create,
    /// `r = counter`: read memory into the actor's register.
    Load,
    /// `r = r + 1`: only the register changes.
    Add,
    /// `counter = r`: write the register to memory.
    Store,
    /// pthread_mutex_lock() that takes the mutex.
    Lock,
    /// pthread_mutex_lock() while the other holds it: the caller sleeps.
    Block,
    /// pthread_mutex_unlock(), waking a sleeper if there is one.
    Unlock,
    /// A write to a copy-on-write page faults; the kernel copies the page.
    Copy,
    /// The child prints its own counter and exits.
    Exit,
    /// pthread_join() or waitpid(): the first actor waits for the second.
    Join,
    /// The first actor prints the counter: the result.
    Print,
}

/// One cell of memory holding `counter`, and who sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// Whose page it is, in Japanese.
    pub label: &'static str,
    /// The value of `counter` there.
    pub value: u64,
    /// The actors (1, 2) that read and write this cell.
    pub seen_by: Vec<u8>,
}

/// What a learner may predict in 予想モード.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The value this step reads, computes, writes or prints.
    Value,
    /// The value the first actor prints at the end (the whole run).
    Final,
    /// How many of the 20 orders lose an update (the whole scenario).
    LostOrders,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 3] = [Field::Value, Field::Final, Field::LostOrders];

    /// The name in JSON and the database.
    pub fn name(self) -> &'static str {
        match self {
            Field::Value => "value",
            Field::Final => "final",
            Field::LostOrders => "lost_orders",
        }
    }

    /// The field with this name.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The field in Japanese.
    pub fn label(self) -> &'static str {
        match self {
            Field::Value => "このステップの値",
            Field::Final => "最後に表示される counter",
            Field::LostOrders => "更新が失われる順番の数",
        }
    }
}

/// One actor: a thread, or the parent or child process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// 1 or 2, as in the schedule.
    pub id: u8,
    /// Its name in the widget (`T1`, `親`).
    pub name: &'static str,
    /// getpid().
    pub pid: u32,
    /// gettid().
    pub tid: u32,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Who acts (1 or 2).
    pub actor: u8,
    /// What it does.
    pub op: Op,
    /// The line of C it runs.
    pub code: &'static str,
    /// Each actor's register `r` after the step (`None` before it has loaded).
    pub registers: [Option<u64>; 2],
    /// `counter` in memory after the step, cell by cell.
    pub memory: Vec<Memory>,
    /// What the step reads, computes, writes or prints.
    pub value: Option<u64>,
    /// Who holds the mutex after the step.
    pub lock: Option<u8>,
    /// Who sleeps in pthread_mutex_lock() after the step.
    pub blocked: Option<u8>,
    /// What 予想モード may ask here; `final` and `lost_orders` may be asked at any step.
    pub ask: Vec<Field>,
    /// One line.
    pub note: String,
    /// Why.
    pub explain: String,
    /// Where it is written (man page, standard).
    pub source: &'static str,
}

/// One of the 20 orders and what it ends with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// `112122`.
    pub schedule: String,
    /// What the first actor prints.
    pub final_value: u64,
    /// An increment never reached the first actor's counter.
    pub lost: bool,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    /// The program.
    pub scenario: Scenario,
    /// The schedule run, `121212`.
    pub schedule: String,
    /// counter before anyone increments it.
    pub start: u64,
    /// The C program.
    pub code: String,
    /// The two actors.
    pub actors: [Actor; 2],
    /// The steps.
    pub steps: Vec<Step>,
    /// What the first actor prints at the end.
    pub final_value: u64,
    /// What the child prints (fork only).
    pub child_value: Option<u64>,
    /// Every order of the six steps and its result, in lexicographic order.
    pub orders: Vec<Order>,
    /// How many of them lose an update.
    pub lost_orders: usize,
    /// The run in one sentence.
    pub outcome: String,
}
