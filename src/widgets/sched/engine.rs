//! The machine the scenarios run on: tasks, one run queue per CPU, and what each event does to
//! them (facts.md W7, §10, §12). After every event each idle CPU takes the next task of its own
//! queue, and an idle CPU whose queue is empty pulls a waiting task from the busiest queue — Linux's
//! idle balancing, the part the notes' "one queue" picture leaves out.

use super::model::*;

/// An event the scenarios feed to [`Machine::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `parent` forks and execs a new task `comm` (PID `pid`), woken on `cpu`'s queue.
    Fork {
        /// The new task's PID.
        pid: u32,
        /// Its command name.
        comm: &'static str,
        /// The CPU whose queue it is put on.
        cpu: usize,
    },
    /// The time slice of the task running on `cpu` ends.
    Slice {
        /// The CPU.
        cpu: usize,
    },
    /// The running task reads an empty pipe.
    ReadPipe(u32),
    /// Another process writes into that pipe.
    PipeData(u32),
    /// The running task reads a file that is not cached: it waits for the disk.
    DiskRead(u32),
    /// The disk finishes the read.
    DiskDone(u32),
    /// `kill -STOP` (or Ctrl-Z when `keyboard`) stops the task.
    Stop {
        /// The task.
        pid: u32,
        /// Ctrl-Z (SIGTSTP) instead of `kill -STOP` (SIGSTOP).
        keyboard: bool,
    },
    /// `kill -CONT` resumes the task.
    Cont(u32),
    /// The running task exits.
    Exit(u32),
    /// The parent (PID `parent`) reaps the zombie with wait().
    Wait {
        /// The zombie.
        pid: u32,
        /// Its parent.
        parent: u32,
    },
}

/// Tasks and CPUs, and the rules that move tasks between them.
#[derive(Debug, Clone)]
pub struct Machine {
    tasks: Vec<Task>,
    cpus: Vec<Cpu>,
}

impl Machine {
    /// `n` idle CPUs and no tasks.
    pub fn new(n: usize) -> Machine {
        Machine {
            tasks: Vec::new(),
            cpus: (0..n)
                .map(|id| Cpu {
                    id,
                    current: None,
                    queue: Vec::new(),
                })
                .collect(),
        }
    }

    /// Adds a task that is already there before the first step: sleeping (`waiting` says on what),
    /// or running on `cpu`.
    pub fn add(&mut self, pid: u32, comm: &str, cpu: Option<usize>, waiting: Option<&str>) {
        let stat = if cpu.is_some() { Stat::R } else { Stat::S };
        self.tasks.push(Task {
            pid,
            comm: comm.to_owned(),
            stat,
            cpu,
            waiting: waiting.map(str::to_owned),
        });
        if let Some(c) = cpu {
            self.cpus[c].queue.push(pid);
            self.settle();
        }
    }

    /// The task with this PID. Scenarios only name tasks they created.
    pub fn task(&self, pid: u32) -> Option<&Task> {
        self.tasks.iter().find(|t| t.pid == pid)
    }

    /// Every task.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// Every CPU.
    pub fn cpus(&self) -> &[Cpu] {
        &self.cpus
    }

    /// The CPU `pid` is running on, if it is running.
    pub fn running_on(&self, pid: u32) -> Option<usize> {
        self.cpus.iter().position(|c| c.current == Some(pid))
    }

    /// (tasks on a CPU, tasks in R, tasks in D).
    pub fn counts(&self) -> (usize, usize, usize) {
        let running = self.cpus.iter().filter(|c| c.current.is_some()).count();
        let count = |s: Stat| self.tasks.iter().filter(|t| t.stat == s).count();
        (running, count(Stat::R), count(Stat::D))
    }

    fn name(&self, pid: u32) -> String {
        self.task(pid).map_or_else(
            || format!("PID {pid}"),
            |t| format!("{} (PID {pid})", t.comm),
        )
    }

    fn set(&mut self, pid: u32, stat: Stat, waiting: Option<&str>) {
        if let Some(t) = self.tasks.iter_mut().find(|t| t.pid == pid) {
            t.stat = stat;
            t.waiting = waiting.map(str::to_owned);
        }
    }

    /// Takes `pid` off its CPU and out of every queue.
    fn unschedule(&mut self, pid: u32) {
        for c in &mut self.cpus {
            if c.current == Some(pid) {
                c.current = None;
            }
            c.queue.retain(|p| *p != pid);
        }
    }

    /// Makes `pid` runnable at the tail of `cpu`'s queue.
    fn enqueue(&mut self, pid: u32, cpu: usize) {
        let cpu = cpu.min(self.cpus.len() - 1);
        self.cpus[cpu].queue.push(pid);
        if let Some(t) = self.tasks.iter_mut().find(|t| t.pid == pid) {
            t.stat = Stat::R;
            t.cpu = Some(cpu);
            t.waiting = None;
        }
    }

    /// Every idle CPU runs the head of its own queue; an idle CPU with an empty queue pulls the
    /// last waiting task of the longest queue. Returns the pulls, in order.
    fn settle(&mut self) -> Vec<Pull> {
        let mut pulls = Vec::new();
        loop {
            for c in &mut self.cpus {
                if c.current.is_none() && !c.queue.is_empty() {
                    c.current = Some(c.queue.remove(0));
                }
            }
            let Some(idle) = self
                .cpus
                .iter()
                .position(|c| c.current.is_none() && c.queue.is_empty())
            else {
                break;
            };
            // The busiest queue; on a tie the lowest CPU number, so runs are reproducible.
            let Some(busy) = (0..self.cpus.len())
                .filter(|&i| !self.cpus[i].queue.is_empty())
                .max_by_key(|&i| (self.cpus[i].queue.len(), std::cmp::Reverse(i)))
            else {
                break;
            };
            let Some(pid) = self.cpus[busy].queue.pop() else {
                break;
            };
            self.cpus[idle].current = Some(pid);
            if let Some(t) = self.tasks.iter_mut().find(|t| t.pid == pid) {
                t.cpu = Some(idle);
            }
            pulls.push(Pull {
                pid,
                from: busy,
                to: idle,
            });
        }
        pulls
    }

    /// The event alone, without what it does: what predict mode and quiz prompts show.
    pub fn describe(&self, ev: &Event) -> String {
        match *ev {
            Event::Fork { pid, comm, cpu } => format!(
                "bash が fork と exec で {comm} (PID {pid}) を起動し、CPU {cpu} のキューで起こす"
            ),
            Event::Slice { cpu } => format!("CPU {cpu} のタイムスライスが終わる"),
            Event::ReadPipe(p) => format!("{} が空のパイプから read() する", self.name(p)),
            Event::PipeData(p) => format!("別のプロセスが {} の読むパイプに書き込む", self.name(p)),
            Event::DiskRead(p) => format!(
                "{} がキャッシュにないファイルを read() し、ディスクを待つ",
                self.name(p)
            ),
            Event::DiskDone(p) => format!("{} の待つディスクの読み込みが終わる", self.name(p)),
            Event::Stop { pid, keyboard } => {
                if keyboard {
                    format!("端末で Ctrl-Z を押し、{} に SIGTSTP が届く", self.name(pid))
                } else {
                    format!("kill -STOP {pid} で {} に SIGSTOP を送る", self.name(pid))
                }
            }
            Event::Cont(p) => format!("kill -CONT {p} で {} に SIGCONT を送る", self.name(p)),
            Event::Exit(p) => format!("{} が exit() する", self.name(p)),
            Event::Wait { pid, parent } => format!(
                "{} が wait() で子の {} を待つ",
                self.name(parent),
                self.name(pid)
            ),
        }
    }

    /// Applies `ev` and returns the step: the event, why the machine is now as it is, and the
    /// machine after it.
    pub fn apply(&mut self, ev: &Event) -> Step {
        let event = self.describe(ev);
        let (kind, pid, mut explain, source) = match *ev {
            Event::Fork { pid, comm, cpu } => {
                self.tasks.push(Task {
                    pid,
                    comm: comm.to_owned(),
                    stat: Stat::R,
                    cpu: Some(cpu),
                    waiting: None,
                });
                self.enqueue(pid, cpu);
                (
                    EventKind::Fork,
                    pid,
                    format!(
                        "fork で生まれたタスクは実行可能（R）になり、CPU {cpu} の実行待ちキューに入ります。"
                    ),
                    "fork(2), sched(7)",
                )
            }
            Event::Slice { cpu } => {
                let cpu = cpu.min(self.cpus.len() - 1);
                let c = &mut self.cpus[cpu];
                let pid = c.current.unwrap_or(0);
                let text = match c.current {
                    Some(cur) if !c.queue.is_empty() => {
                        c.current = None;
                        c.queue.push(cur);
                        format!(
                            "CPU {cpu} は今のタスクをキューの最後に戻し、キューの先頭のタスクに切り替えます。戻されたタスクも実行可能なので R のままです。"
                        )
                    }
                    Some(_) => format!(
                        "CPU {cpu} のキューにはほかに待つタスクがないので、同じタスクが実行を続けます。"
                    ),
                    None => format!("CPU {cpu} は何も実行していません。"),
                };
                (EventKind::Slice, pid, text, "sched(7)")
            }
            Event::ReadPipe(p) => {
                self.unschedule(p);
                self.set(p, Stat::S, Some("パイプのデータ"));
                (
                    EventKind::ReadPipe,
                    p,
                    "読むデータがないので、タスクはデータが来るまで割り込み可能なスリープ（S）に入り、CPU を手放します。S のタスクは実行待ちキューにいません。".to_owned(),
                    "pipe(7), ps(1)",
                )
            }
            Event::PipeData(p) => {
                let cpu = self.task(p).and_then(|t| t.cpu).unwrap_or(0);
                self.enqueue(p, cpu);
                (
                    EventKind::PipeData,
                    p,
                    format!(
                        "待っていたデータが来たので、タスクは起こされて実行可能（R）になり、CPU {cpu} のキューに戻ります。"
                    ),
                    "pipe(7), ps(1)",
                )
            }
            Event::DiskRead(p) => {
                self.unschedule(p);
                self.set(p, Stat::D, Some("ディスクの I/O"));
                (
                    EventKind::DiskRead,
                    p,
                    "ディスクの応答を待つ間、タスクは割り込み不可能なスリープ（D）になり、CPU を手放します。D はシグナルでも起こせず、CPU を使わなくてもロードアベレージには数えられます。Linux には SIGKILL でだけ起こせる待ち方（TASK_KILLABLE。vfork の親など）もあり、ps ではこれも D と表示されます。".to_owned(),
                    "ps(1), proc(5)",
                )
            }
            Event::DiskDone(p) => {
                let cpu = self.task(p).and_then(|t| t.cpu).unwrap_or(0);
                self.enqueue(p, cpu);
                (
                    EventKind::DiskDone,
                    p,
                    format!(
                        "I/O が終わるとタスクは起こされて実行可能（R）になり、CPU {cpu} のキューに戻ります。"
                    ),
                    "ps(1), proc(5)",
                )
            }
            Event::Stop { pid, keyboard } => {
                self.unschedule(pid);
                self.set(pid, Stat::T, Some("SIGCONT"));
                let sig = if keyboard {
                    "SIGTSTP（既定の動作は停止、捕捉もできます）"
                } else {
                    "SIGSTOP（捕捉も無視もできません）"
                };
                (
                    EventKind::Stop,
                    pid,
                    format!(
                        "{sig}でタスクは停止（T）し、キューから外れます。SIGCONT が来るまで実行されず、ロードアベレージにも数えられません。"
                    ),
                    "signal(7), ps(1)",
                )
            }
            Event::Cont(p) => {
                let cpu = self.task(p).and_then(|t| t.cpu).unwrap_or(0);
                self.enqueue(p, cpu);
                (
                    EventKind::Cont,
                    p,
                    format!(
                        "SIGCONT で停止が解け、タスクは実行可能（R）になって CPU {cpu} のキューに戻ります。"
                    ),
                    "signal(7), ps(1)",
                )
            }
            Event::Exit(p) => {
                self.unschedule(p);
                self.set(p, Stat::Z, None);
                (
                    EventKind::Exit,
                    p,
                    "exit したタスクは、親が wait で回収するまでゾンビ（Z）として残ります。親には SIGCHLD が届きます。ゾンビは CPU を使わず、ロードアベレージにも数えられません。".to_owned(),
                    "_exit(2), wait(2), ps(1)",
                )
            }
            Event::Wait { pid, parent } => {
                self.set(pid, Stat::Gone, None);
                if let Some(t) = self.tasks.iter_mut().find(|t| t.pid == pid) {
                    t.cpu = None;
                }
                let who = self.name(parent);
                (
                    EventKind::Wait,
                    pid,
                    format!(
                        "{who} は一瞬起きて wait() でゾンビを回収し、また入力待ちで眠ります（S）。回収されたタスクはプロセステーブルから消え、ps に出なくなります。"
                    ),
                    "wait(2)",
                )
            }
        };
        let pulls = self.settle();
        for pull in &pulls {
            explain.push_str(&format!(
                "CPU {} は自分のキューが空で暇なので、CPU {} のキューで待っていた {} を引き取って実行します（ロードバランシング）。",
                pull.to,
                pull.from,
                self.name(pull.pid)
            ));
        }
        let (running, runnable, uninterruptible) = self.counts();
        let cpus = self.cpus.len();
        explain.push_str(&format!(
            "いま CPU {cpus} 個の上で実行中のタスクは {running} 個です。ロードアベレージが数えるのは R {runnable} 個 + D {uninterruptible} 個 = {} 個です。",
            runnable + uninterruptible
        ));
        let source = if pulls.is_empty() {
            format!("{source}, proc(5)")
        } else {
            format!("{source}, sched(7), proc(5)")
        };
        Step {
            kind,
            pid,
            event,
            explain,
            source: dedup_sources(&source),
            pulls,
            tasks: self.tasks.clone(),
            cpus: self.cpus.clone(),
            running,
            runnable,
            uninterruptible,
            load: runnable + uninterruptible,
        }
    }
}

/// "a, b, a" → "a, b": a source list without repeats, in first-seen order.
fn dedup_sources(list: &str) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for s in list.split(", ") {
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    seen.join(", ")
}
