//! The processes the scenarios run and what a signal does to each (signal(7)): SIGKILL and SIGSTOP
//! always act; otherwise a blocked signal stays pending, an ignored one does nothing, a caught one runs
//! the handler, and the rest take their default action. A child that ends or stops is reported to its
//! parent with SIGCHLD, and the shell reaps it with wait.

use super::model::*;

/// The shell's PID and process group.
pub const SHELL: u32 = 100;

/// The processes, the terminal's foreground group, and the steps so far.
pub struct World {
    procs: Vec<Proc>,
    foreground: u32,
    /// Children that ended or stopped since the shell last heard of it.
    unreported: Vec<u32>,
    steps: Vec<Step>,
}

/// A process as a scenario sets it up.
pub fn proc(pid: u32, pgid: u32, comm: &str, role: &str) -> Proc {
    Proc {
        pid,
        pgid,
        comm: comm.to_owned(),
        role: role.to_owned(),
        life: Life::Running,
        caught: Vec::new(),
        ignored: Vec::new(),
        blocked: Vec::new(),
        pending: Vec::new(),
        ended: None,
    }
}

/// An interactive bash: it catches SIGINT and SIGCHLD, and SIGHUP to pass it on to its jobs before
/// it exits; ignores SIGTERM and SIGQUIT, and with job control SIGTSTP (bash(1) SIGNALS; the lab read
/// these from a real bash's /proc/PID/status).
pub fn shell() -> Proc {
    let mut p = proc(SHELL, SHELL, "bash", "シェル（対話型）");
    p.caught = vec![Sig::Hup, Sig::Int, Sig::Chld];
    p.ignored = vec![Sig::Term, Sig::Quit, Sig::Tstp];
    p
}

impl World {
    /// A world of `procs` whose terminal's foreground group is `foreground`.
    pub fn new(procs: Vec<Proc>, foreground: u32) -> World {
        World {
            procs,
            foreground,
            unreported: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// The processes now.
    pub fn procs(&self) -> &[Proc] {
        &self.procs
    }

    /// The foreground group now.
    pub fn foreground(&self) -> u32 {
        self.foreground
    }

    /// The steps written, and the world is done.
    pub fn into_steps(self) -> Vec<Step> {
        self.steps
    }

    /// The process `pid`.
    pub fn get(&self, pid: u32) -> Option<&Proc> {
        self.procs.iter().find(|p| p.pid == pid)
    }

    fn get_mut(&mut self, pid: u32) -> Option<&mut Proc> {
        self.procs.iter_mut().find(|p| p.pid == pid)
    }

    /// Whether `pid` is alive (running or stopped).
    pub fn alive(&self, pid: u32) -> bool {
        self.get(pid)
            .is_some_and(|p| matches!(p.life, Life::Running | Life::Stopped))
    }

    /// The live members of process group `pgid`: where a keyboard signal goes.
    pub fn group(&self, pgid: u32) -> Vec<u32> {
        self.procs
            .iter()
            .filter(|p| p.pgid == pgid && matches!(p.life, Life::Running | Life::Stopped))
            .map(|p| p.pid)
            .collect()
    }

    fn name(&self, pid: u32) -> String {
        self.get(pid).map_or_else(
            || format!("PID {pid}"),
            |p| format!("{} (PID {pid})", p.comm),
        )
    }

    /// What `sig` does to `pid`, applied; and the sentence saying so.
    fn deliver(&mut self, pid: u32, sig: Sig) -> (Fate, String) {
        let who = self.name(pid);
        let Some(p) = self.get_mut(pid) else {
            return (Fate::Unaffected, String::new());
        };
        if matches!(p.life, Life::Zombie | Life::Gone) {
            return (Fate::Unaffected, format!("{who} はもう終わっています。"));
        }
        let name = sig.name();
        let end = |p: &mut Proc, text: String| {
            p.life = Life::Zombie;
            p.ended = Some(text);
        };
        let (fate, text) = if !sig.catchable() {
            if sig == Sig::Kill {
                end(p, "SIGKILL で終了".to_owned());
                (
                    Fate::Terminated,
                    format!("{who}: {name} は捕捉も無視もブロックもできないので、必ず終了します。"),
                )
            } else {
                p.life = Life::Stopped;
                (
                    Fate::Stopped,
                    format!(
                        "{who}: {name} は捕捉も無視もブロックもできないので、必ず停止します（T）。"
                    ),
                )
            }
        } else if p.blocked.contains(&sig) {
            if !p.pending.contains(&sig) {
                p.pending.push(sig);
            }
            (
                Fate::Pending,
                format!(
                    "{who}: {name} をブロックしているので、届いたシグナルは保留（pending）になり、処理は続きます。ブロックを解いた時点で配送されます。"
                ),
            )
        } else if p.ignored.contains(&sig) {
            (
                Fate::Ignored,
                format!("{who}: {name} を無視（SIG_IGN）に設定しているので、何も起きません。"),
            )
        } else if p.caught.contains(&sig) {
            (
                Fate::Handled,
                format!(
                    "{who}: {name} をハンドラで捕捉しているので、ハンドラが動き、終わると元の処理に戻ります。"
                ),
            )
        } else {
            match sig.default_action() {
                Action::Term => {
                    end(p, format!("{name} で終了"));
                    (
                        Fate::Terminated,
                        format!("{who}: 何も設定していないので、既定の動作 Term で終了します。"),
                    )
                }
                Action::Core => {
                    end(p, format!("{name} で終了（コアダンプ）"));
                    (
                        Fate::Core,
                        format!(
                            "{who}: 既定の動作 Core で、終了してコアダンプします。ただしコアファイルが書かれるのは ulimit -c（RLIMIT_CORE）が 0 でないときだけで、0 なら終了するだけです（bash は「Quit (core dumped)」ではなく「Quit」と表示します）。"
                        ),
                    )
                }
                Action::Stop => {
                    p.life = Life::Stopped;
                    (
                        Fate::Stopped,
                        format!("{who}: 既定の動作 Stop で停止します（ps の T）。"),
                    )
                }
                Action::Cont if p.life == Life::Stopped => {
                    p.life = Life::Running;
                    (
                        Fate::Continued,
                        format!("{who}: 停止していたので再開します。"),
                    )
                }
                Action::Cont | Action::Ign => (
                    Fate::Ignored,
                    format!("{who}: 既定の動作は何もしないことです。"),
                ),
            }
        };
        if matches!(fate, Fate::Terminated | Fate::Core | Fate::Stopped) && pid != SHELL {
            self.unreported.push(pid);
        }
        (fate, text)
    }

    fn push(&mut self, mut step: Step, fates: &[(u32, Fate)]) {
        step.deliveries = self
            .procs
            .iter()
            .map(|p| Delivery {
                pid: p.pid,
                fate: fates
                    .iter()
                    .find(|(pid, _)| *pid == p.pid)
                    .map_or(Fate::Unaffected, |(_, f)| *f),
            })
            .collect();
        step.processes = self.procs.clone();
        step.foreground = self.foreground;
        self.steps.push(step);
    }

    /// `action` sends `sig` from `sender` to `targets`; `intro` says who gets it and why.
    pub fn signal(
        &mut self,
        action: &str,
        sig: Sig,
        sender: &str,
        targets: &[u32],
        intro: &str,
        source: &str,
    ) {
        let mut explain = intro.to_owned();
        let mut fates = Vec::new();
        for &pid in targets {
            let (fate, text) = self.deliver(pid, sig);
            explain.push_str(&text);
            fates.push((pid, fate));
        }
        let step = Step {
            action: action.to_owned(),
            signal: Some(sig),
            signo: Some(sig.x86()),
            sender: Some(sender.to_owned()),
            targets: targets.to_vec(),
            deliveries: Vec::new(),
            foreground: 0,
            explain,
            source: source.to_owned(),
            processes: Vec::new(),
        };
        self.push(step, &fates);
    }

    /// `pid` exits by itself (`why` says why).
    pub fn exit(&mut self, pid: u32, why: &str, source: &str) {
        let action = format!("{} が exit() する", self.name(pid));
        if let Some(p) = self.get_mut(pid) {
            p.life = Life::Zombie;
            p.ended = Some("exit で終了".to_owned());
        }
        self.unreported.push(pid);
        let step = Step {
            action,
            signal: None,
            signo: None,
            sender: None,
            targets: Vec::new(),
            deliveries: Vec::new(),
            foreground: 0,
            explain: format!("{why}ゾンビ（Z）になり、親の bash が回収するのを待ちます。"),
            source: source.to_owned(),
            processes: Vec::new(),
        };
        self.push(step, &[(pid, Fate::Exited)]);
    }

    /// `pid` unblocks `sig`; a pending one is delivered now.
    pub fn unblock(&mut self, pid: u32, sig: Sig) {
        let action = format!(
            "{} が sigprocmask で {} のブロックを解く",
            self.name(pid),
            sig.name()
        );
        let mut was_pending = false;
        if let Some(p) = self.get_mut(pid) {
            p.blocked.retain(|s| *s != sig);
            was_pending = p.pending.contains(&sig);
            p.pending.retain(|s| *s != sig);
        }
        let (fate, text) = if was_pending {
            self.deliver(pid, sig)
        } else {
            (Fate::Unaffected, String::new())
        };
        let step = Step {
            action,
            signal: was_pending.then_some(sig),
            signo: was_pending.then_some(sig.x86()),
            sender: was_pending.then(|| "カーネル（保留中のシグナル）".to_owned()),
            targets: if was_pending { vec![pid] } else { Vec::new() },
            deliveries: Vec::new(),
            foreground: 0,
            explain: format!(
                "ブロックを解くと、保留されていた {} がすぐに配送されます。{text}",
                sig.name()
            ),
            source: "sigprocmask(2), signal(7)".to_owned(),
            processes: Vec::new(),
        };
        self.push(step, &[(pid, fate)]);
    }

    /// The kernel sends SIGCHLD to the shell for the children that ended or stopped; the shell's
    /// handler calls waitpid, reaps the ended ones and notes the stopped ones. When no job is left in
    /// the foreground, the shell takes the terminal back.
    pub fn sigchld(&mut self) {
        let children = std::mem::take(&mut self.unreported);
        let mut fates = vec![(SHELL, Fate::Handled)];
        let mut reaped = Vec::new();
        let mut stopped = Vec::new();
        for pid in &children {
            let name = self.name(*pid);
            if let Some(p) = self.get_mut(*pid) {
                match p.life {
                    Life::Zombie => {
                        p.life = Life::Gone;
                        reaped.push(name);
                        fates.push((*pid, Fate::Reaped));
                    }
                    Life::Stopped => stopped.push(name),
                    _ => {}
                }
            }
        }
        let mut explain = "子が終了または停止すると、カーネルは親の bash に SIGCHLD を送ります（既定の動作は無視ですが、bash はハンドラで捕捉しています）。bash は waitpid で子の様子を調べます。".to_owned();
        if !reaped.is_empty() {
            explain.push_str(&format!(
                "終了していた {} を回収し、プロセステーブルから消します。",
                reaped.join("、")
            ));
        }
        if !stopped.is_empty() {
            explain.push_str(&format!(
                "{} は停止しているので「Stopped」と表示します。",
                stopped.join("、")
            ));
        }
        // The foreground job is over (all ended or stopped): the shell takes the terminal back.
        let fg = self.foreground;
        if fg != SHELL
            && self
                .procs
                .iter()
                .filter(|p| p.pgid == fg)
                .all(|p| p.life != Life::Running)
        {
            self.foreground = SHELL;
            explain.push_str("フォアグラウンドのジョブが終わった（止まった）ので、bash が端末のフォアグラウンドを自分のグループ 100 に戻し、プロンプトを出します。");
        }
        let step = Step {
            action: "カーネルが bash に SIGCHLD を送る".to_owned(),
            signal: Some(Sig::Chld),
            signo: Some(Sig::Chld.x86()),
            sender: Some("カーネル".to_owned()),
            targets: vec![SHELL],
            deliveries: Vec::new(),
            foreground: 0,
            explain,
            source: "signal(7), wait(2), bash(1)".to_owned(),
            processes: Vec::new(),
        };
        self.push(step, &fates);
    }
}
