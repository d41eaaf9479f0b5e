//! The scenarios the widget steps through — bash running `ls`, the `fork()` loop, the pipeline,
//! an orphan, seeded random trees — each written call by call through the rules in [`super::rules`].

use super::model::*;
use super::rules::{Effect, run};
use super::{Params, Scenario};
use crate::widgets::rng::Rng;

/// The C program of the fork-loop scenario; `code_line` counts its lines from 1.
pub const FORK_LOOP_CODE: &str = "#include <unistd.h>

int main(void)
{
    int i;
    for (i = 0; i < N; i++)
        fork();
    return 0;
}
";
/// The line of [`FORK_LOOP_CODE`] that calls fork().
const FORK_LOOP_FORK_LINE: u32 = 7;

/// Runs the scenario in `p`. Numbers outside the documented bounds are clamped into them, so
/// a hand-built `Params` cannot ask for 2^1000 processes; use [`params_from_query`](super::params_from_query) to reject them.
pub fn simulate(p: &Params) -> ForkTree {
    let subreaper = p.subreaper.then_some(FIRST_PID);
    match p.scenario {
        Scenario::BashLs => bash_ls(subreaper),
        Scenario::ForkLoop => fork_loop(p.n.clamp(1, 6)),
        Scenario::Pipeline => pipeline(subreaper),
        Scenario::Orphan => orphan(subreaper),
        Scenario::Random => random(
            p.seed,
            p.actions.clamp(1, 30),
            p.fork_share.min(100),
            subreaper,
        ),
    }
}

/// A scenario being written: the current list and the steps so far.
struct Sim {
    scenario: Scenario,
    code: Option<String>,
    initial: Vec<Process>,
    procs: Vec<Process>,
    steps: Vec<ForkStep>,
}

impl Sim {
    fn new(scenario: Scenario, code: Option<String>, root: &str) -> Sim {
        let initial = vec![Process {
            pid: FIRST_PID,
            ppid: INIT_PID,
            program: root.to_owned(),
            state: ProcState::Running,
        }];
        Sim {
            scenario,
            code,
            initial: initial.clone(),
            procs: initial,
            steps: Vec::new(),
        }
    }

    fn name(&self, pid: u32) -> String {
        match self.procs.iter().find(|p| p.pid == pid) {
            Some(p) => format!("{}（PID {pid}）", p.program),
            None if pid == INIT_PID => "init（PID 1）".to_owned(),
            None => format!("PID {pid}"),
        }
    }

    /// Applies `action` through the rules engine and records the step, with a generated
    /// description followed by `extra`. Returns the effect for callers that need the child.
    fn act(
        &mut self,
        action: Action,
        extra: &str,
        code_line: Option<u32>,
        i: Option<u32>,
    ) -> Effect {
        let before = self.procs.clone();
        let (after, effect) = match run(&before, &action) {
            Ok(r) => r,
            // The scenarios only make legal calls (their tests replay them); if one ever did
            // not, a step showing the broken rule beats aborting the page.
            Err(e) => {
                let (kind, pid) = match &action {
                    Action::Fork { parent } => (StepKind::Fork, *parent),
                    Action::Exec { pid, .. } => (StepKind::Exec, *pid),
                    Action::Exit { pid, .. } => (StepKind::Exit, *pid),
                    Action::Wait { pid } => (StepKind::Wait, *pid),
                };
                self.push_raw(kind, pid, None, None, e.0, vec![]);
                return Effect::NoChildren;
            }
        };
        self.procs = after;
        let (kind, pid, child, program, mut text, returns) = describe(&before, &action, &effect);
        // Japanese sentences run on without a space after 。
        text.push_str(extra);
        self.steps.push(ForkStep {
            action: kind,
            pid,
            child,
            program,
            description: text,
            code_line,
            i,
            returns,
            processes: self.procs.clone(),
        });
        effect
    }

    /// Records a step that does not change the tree (signal, pipe, dup2, close).
    fn push_raw(
        &mut self,
        kind: StepKind,
        pid: u32,
        child: Option<u32>,
        program: Option<String>,
        description: String,
        returns: Vec<Return>,
    ) {
        self.steps.push(ForkStep {
            action: kind,
            pid,
            child,
            program,
            description,
            code_line: None,
            i: None,
            returns,
            processes: self.procs.clone(),
        });
    }

    /// SIGCHLD from `child` to its parent `pid`.
    fn sigchld(&mut self, pid: u32, child: u32, extra: &str) {
        let text = format!(
            "子 PID {child} が終了したので、カーネルが親の {} に SIGCHLD を送ります。既定の動作（SIG_DFL）は無視で、wait() で眠っている親を起こすのはこのシグナルではなく子の終了そのものです。明示的に SIG_IGN にした場合は違い、子はゾンビにならずに消え、wait() は ECHILD で失敗する (wait(2))。{extra}",
            self.name(pid)
        );
        self.push_raw(StepKind::Signal, pid, Some(child), None, text, vec![]);
    }

    fn finish(self) -> ForkTree {
        ForkTree {
            scenario: self.scenario,
            code: self.code,
            initial: self.initial,
            steps: self.steps,
            processes: self.procs,
        }
    }
}

/// "PID 101, 102" for a list of PIDs.
fn pid_list(pids: &[u32]) -> String {
    let v: Vec<String> = pids.iter().map(u32::to_string).collect();
    format!("PID {}", v.join(", "))
}

pub(super) type Described = (
    StepKind,
    u32,
    Option<u32>,
    Option<String>,
    String,
    Vec<Return>,
);

/// The step fields for an applied action: kind, caller, child, program, description, returns.
pub(super) fn describe(before: &[Process], action: &Action, effect: &Effect) -> Described {
    let prog = |pid: u32| {
        before
            .iter()
            .find(|p| p.pid == pid)
            .map_or_else(|| "?".to_owned(), |p| p.program.clone())
    };
    let who = |pid: u32| format!("{}（PID {pid}）", prog(pid));
    match (action, effect) {
        (Action::Fork { parent }, Effect::Forked { child }) => (
            StepKind::Fork,
            *parent,
            Some(*child),
            None,
            format!(
                "{} が fork() し、新しいプロセスがちょうど 1 つ、子 PID {child} としてできます。子は親のコピーで同じ {} を実行しています（メモリはコピーオンライトで、書き込まれたページだけが複製される）。fork() は親に子の PID {child} を、子に 0 を返します。",
                who(*parent),
                prog(*parent)
            ),
            vec![
                Return {
                    pid: *parent,
                    value: (*child).into(),
                },
                Return {
                    pid: *child,
                    value: 0,
                },
            ],
        ),
        (Action::Exec { pid, program }, Effect::Execed { old }) => (
            StepKind::Exec,
            *pid,
            None,
            Some(program.clone()),
            format!(
                "PID {pid} が execve() で {old} のプログラムを {program} に丸ごと置き換えます。新しいプロセスは作られず、PID は {pid} のままです。開いているファイル記述子も（close-on-exec を除き）そのまま残ります。成功した execve() は戻りません。"
            ),
            vec![],
        ),
        (
            Action::Exit { pid, .. },
            Effect::Exited {
                reaped_by_init,
                adopted,
                new_parent,
                init_reaped,
            },
        ) => {
            let mut text = format!("{} が終了します。", who(*pid));
            if *reaped_by_init {
                text.push_str(
                    "親は init（PID 1）なので、すぐに wait して回収し、ゾンビは残りません。",
                );
            } else {
                let ppid = before.iter().find(|p| p.pid == *pid).map_or(0, |p| p.ppid);
                text.push_str(&format!(
                    "親の {} が wait() で回収するまで、終了ステータスを持ったゾンビ（ps の Z, <defunct>）として残ります。",
                    who(ppid)
                ));
            }
            if !adopted.is_empty() {
                let adopter = if *new_parent == INIT_PID {
                    "init（PID 1）".to_owned()
                } else {
                    format!(
                        "子サブリーパー（prctl PR_SET_CHILD_SUBREAPER）の {}",
                        who(*new_parent)
                    )
                };
                text.push_str(&format!(
                    "残された子 {} は孤児になり、{adopter} に引き取られます（親が付け替わる）。",
                    pid_list(adopted)
                ));
                if !init_reaped.is_empty() {
                    text.push_str(&format!(
                        "そのうちゾンビだった {} は init がすぐに回収します。",
                        pid_list(init_reaped)
                    ));
                }
            }
            (StepKind::Exit, *pid, None, None, text, vec![])
        }
        (Action::Wait { pid }, Effect::Reaped { child }) => (
            StepKind::Wait,
            *pid,
            Some(*child),
            None,
            format!(
                "{} の wait() がゾンビの子 PID {child} を回収し、子の PID {child} を返します。PID {child} はここで本当に消えます。",
                who(*pid)
            ),
            vec![Return {
                pid: *pid,
                value: (*child).into(),
            }],
        ),
        (Action::Wait { pid }, Effect::Blocked { children }) => (
            StepKind::Wait,
            *pid,
            None,
            None,
            format!(
                "{} が wait() を呼びます。回収できるゾンビの子はまだ無いので、子（{}）のどれかが終了するまで眠って待ちます（ブロックする）。",
                who(*pid),
                pid_list(children)
            ),
            vec![],
        ),
        (Action::Wait { pid }, _) => (
            StepKind::Wait,
            *pid,
            None,
            None,
            format!(
                "{} が wait() を呼びますが、子が 1 つも無いので回収するものは無く、すぐに -1（ECHILD）が返ります。",
                who(*pid)
            ),
            vec![Return {
                pid: *pid,
                value: -1,
            }],
        ),
        // `run` pairs each action with its own effect; these arms only satisfy the compiler.
        (Action::Fork { parent }, _) => {
            (StepKind::Fork, *parent, None, None, String::new(), vec![])
        }
        (Action::Exec { pid, .. }, _) => (StepKind::Exec, *pid, None, None, String::new(), vec![]),
        (Action::Exit { pid, .. }, _) => (StepKind::Exit, *pid, None, None, String::new(), vec![]),
    }
}

fn bash_ls(subreaper: Option<u32>) -> ForkTree {
    let mut s = Sim::new(Scenario::BashLs, Some("ls".to_owned()), "bash");
    let bash = FIRST_PID;
    let child = bash + 1;
    s.act(
        Action::Fork { parent: bash },
        "ノートの図のように bash が A′ と A″ の 2 つに分かれるのではありません。親は bash（PID 100、ノートの A）のまま残り、作られるコピーは子の 1 つだけです。",
        None,
        None,
    );
    s.act(
        Action::Exec {
            pid: child,
            program: "ls".to_owned(),
        },
        "子が実行するのは /usr/bin/ls（cd と違い ls は外部コマンドなのでプロセスが要ります）。",
        None,
        None,
    );
    s.act(
        Action::Wait { pid: bash },
        "bash は wait4() でフォアグラウンドのコマンドの終了を待ちます。",
        None,
        None,
    );
    s.act(
        Action::Exit {
            pid: child,
            subreaper,
        },
        "ls は一覧を表示し終えて exit します。",
        None,
        None,
    );
    s.sigchld(bash, child, "");
    s.act(
        Action::Wait { pid: bash },
        "眠っていた wait4() が戻り、bash は次のプロンプトを出します。この間に同時に存在したプロセスは最大 2 つ（bash と子）、新しく作られたのは 1 つだけです。",
        None,
        None,
    );
    s.finish()
}

fn fork_loop(n: u32) -> ForkTree {
    let code = FORK_LOOP_CODE.replace("i < N", &format!("i < {n}"));
    let mut s = Sim::new(Scenario::ForkLoop, Some(code), "a.out");
    for i in 0..n {
        // Everyone alive when iteration i begins forks once in it; the children made now
        // return from fork() into i++ and join from iteration i+1.
        let mut alive: Vec<u32> = s
            .procs
            .iter()
            .filter(|p| p.state == ProcState::Running)
            .map(|p| p.pid)
            .collect();
        alive.sort_unstable();
        let count = alive.len();
        for pid in alive {
            let extra = format!(
                "i = {i} の反復: この時点で生きている {count} 個のプロセスがそれぞれ fork() します（PID 順に表示）。子は fork() から戻ると i++ に進むので、次の反復 i = {} から加わります。",
                i + 1
            );
            s.act(
                Action::Fork { parent: pid },
                &extra,
                Some(FORK_LOOP_FORK_LINE),
                Some(i),
            );
        }
    }
    let total = s.procs.len();
    if let Some(last) = s.steps.last_mut() {
        last.description.push_str(&format!(
            "ループが終わると、元の a.out を含めて 2^{n} = {total} 個のプロセスがあり、元のプロセスの子は {n} 個です。"
        ));
    }
    s.finish()
}

fn pipeline(subreaper: Option<u32>) -> ForkTree {
    let mut s = Sim::new(
        Scenario::Pipeline,
        Some("cat /var/log/messages | grep Error".to_owned()),
        "bash",
    );
    let bash = FIRST_PID;
    let (cat, grep) = (bash + 1, bash + 2);
    s.push_raw(
        StepKind::Pipe,
        bash,
        None,
        None,
        "bash（PID 100）が pipe() を呼び、読み口 fd 3 と書き口 fd 4 を持つパイプを作ります。パイプはカーネル内の一方向のバッファ（既定 65,536 バイト）で、cat と grep のプロセス間通信に使います。".to_owned(),
        vec![Return {
            pid: bash,
            value: 0,
        }],
    );
    s.act(
        Action::Fork { parent: bash },
        "子は親の fd 3 と fd 4 も引き継ぎます。",
        None,
        None,
    );
    s.push_raw(
        StepKind::Dup2,
        cat,
        None,
        None,
        "子 PID 101 が dup2(4, 1) で標準出力（fd 1）をパイプの書き口につなぎ、もう使わない fd 3 と fd 4 を閉じます。".to_owned(),
        vec![Return {
            pid: cat,
            value: 1,
        }],
    );
    s.act(
        Action::Exec {
            pid: cat,
            program: "cat".to_owned(),
        },
        "fd は exec を越えて残るので、cat の標準出力はパイプのままです。",
        None,
        None,
    );
    s.act(
        Action::Fork { parent: bash },
        "2 つ目の子も fd 3 と fd 4 を引き継ぎます。",
        None,
        None,
    );
    s.push_raw(
        StepKind::Dup2,
        grep,
        None,
        None,
        "子 PID 102 が dup2(3, 0) で標準入力（fd 0）をパイプの読み口につなぎ、fd 3 と fd 4 を閉じます。".to_owned(),
        vec![Return {
            pid: grep,
            value: 0,
        }],
    );
    s.act(
        Action::Exec {
            pid: grep,
            program: "grep".to_owned(),
        },
        "cat と grep は同時に動きます。パイプが満杯になると cat の write はブロックし、空なら grep の read がブロックします。",
        None,
        None,
    );
    s.push_raw(
        StepKind::Close,
        bash,
        None,
        None,
        "bash が自分の fd 3 と fd 4 を閉じます。書き口が 1 つでも開いていると grep はいつまでも EOF を受け取れないので、親も閉じる必要があります。".to_owned(),
        vec![
            Return {
                pid: bash,
                value: 0,
            },
            Return {
                pid: bash,
                value: 0,
            },
        ],
    );
    s.act(
        Action::Exit {
            pid: cat,
            subreaper,
        },
        "cat がファイルを書き終えて終了します。これで書き口がすべて閉じたので、grep は残りを読み切った後に EOF を受け取ります（grep が先に終わっていたら、cat は書き込みで SIGPIPE を受けていた）。",
        None,
        None,
    );
    s.sigchld(bash, cat, "");
    s.act(
        Action::Exit {
            pid: grep,
            subreaper,
        },
        "grep は EOF で終了します。パイプライン全体の終了ステータスは grep のものです（bash で pipefail を設定していない場合）。",
        None,
        None,
    );
    s.sigchld(bash, grep, "");
    s.act(Action::Wait { pid: bash }, "", None, None);
    s.act(
        Action::Wait { pid: bash },
        "bash は 2 つの子を両方待ってから次のプロンプトを出します。",
        None,
        None,
    );
    s.finish()
}

fn orphan(subreaper: Option<u32>) -> ForkTree {
    let mut s = Sim::new(
        Scenario::Orphan,
        Some("sh -c 'sleep 100 &'".to_owned()),
        "bash",
    );
    let bash = FIRST_PID;
    let (sh, sleep) = (bash + 1, bash + 2);
    let first = if subreaper.is_some() {
        "bash はあらかじめ prctl(PR_SET_CHILD_SUBREAPER) で子サブリーパーになっています。"
    } else {
        ""
    };
    s.act(Action::Fork { parent: bash }, first, None, None);
    s.act(
        Action::Exec {
            pid: sh,
            program: "sh".to_owned(),
        },
        "",
        None,
        None,
    );
    s.act(
        Action::Fork { parent: sh },
        "& を付けたコマンドなので、sh はこの子を待ちません。",
        None,
        None,
    );
    s.act(
        Action::Exec {
            pid: sleep,
            program: "sleep".to_owned(),
        },
        "",
        None,
        None,
    );
    s.act(
        Action::Exit { pid: sh, subreaper },
        "sh はバックグラウンドの sleep を残したまま先に終了します。",
        None,
        None,
    );
    s.sigchld(bash, sh, "");
    s.act(Action::Wait { pid: bash }, "", None, None);
    let adopter = s
        .procs
        .iter()
        .find(|p| p.pid == sleep)
        .map_or(INIT_PID, |p| p.ppid);
    s.act(
        Action::Exit {
            pid: sleep,
            subreaper,
        },
        "孤児だった sleep も 100 秒後に終了します。",
        None,
        None,
    );
    if adopter != INIT_PID {
        s.sigchld(
            adopter,
            sleep,
            "引き取った子サブリーパーが親なので、SIGCHLD も bash に届きます。",
        );
        s.act(
            Action::Wait { pid: adopter },
            "子サブリーパーは引き取った子を自分で回収しなければなりません。回収しなければゾンビが残ります。",
            None,
            None,
        );
    }
    s.finish()
}

/// fork.py's names: a, b, …, z, aa, ab, …
pub(super) fn letter_name(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        // `index % 26` is below 26, so the byte stays within 'a'..='z'.
        out.push(b'a' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn random(seed: u64, actions: u32, fork_share: u32, subreaper: Option<u32>) -> ForkTree {
    let mut rng = Rng::new(seed);
    let mut s = Sim::new(Scenario::Random, None, "a");
    let mut created = 1usize;
    for _ in 0..actions {
        let running: Vec<u32> = s
            .procs
            .iter()
            .filter(|p| p.state == ProcState::Running)
            .map(|p| p.pid)
            .collect();
        // Leaves: live processes other than the root with no child still in the tree.
        let leaves: Vec<u32> = running
            .iter()
            .copied()
            .filter(|&pid| {
                pid != FIRST_PID
                    && !s
                        .procs
                        .iter()
                        .any(|c| c.ppid == pid && c.state != ProcState::Exited)
            })
            .collect();
        // Always draw, so one action consumes the same randomness whatever the tree looks like.
        let roll = rng.below(100);
        let fork = leaves.is_empty() || roll < u64::from(fork_share);
        if fork {
            let parent = pick(&mut rng, &running);
            let name = letter_name(created);
            created += 1;
            let parent_name = s.name(parent);
            let effect = s.act(Action::Fork { parent }, "", None, None);
            if let Effect::Forked { child } = effect {
                // fork.py names each process by a letter, so the copy gets its own name.
                for p in s.procs.iter_mut().filter(|p| p.pid == child) {
                    p.program = name.clone();
                }
                if let Some(step) = s.steps.last_mut() {
                    for p in step.processes.iter_mut().filter(|p| p.pid == child) {
                        p.program = name.clone();
                    }
                    step.description = format!(
                        "{parent_name} が fork() し、{name}（PID {child}）ができます。fork() は親に {child}、子に 0 を返します。（fork.py と同じく、プロセスを作られた順に a, b, c … と名付けている）"
                    );
                }
            }
        } else {
            let leaf = pick(&mut rng, &leaves);
            let parent = s
                .procs
                .iter()
                .find(|p| p.pid == leaf)
                .map_or(INIT_PID, |p| p.ppid);
            s.act(
                Action::Exit {
                    pid: leaf,
                    subreaper,
                },
                "親には SIGCHLD が届きます。",
                None,
                None,
            );
            s.act(Action::Wait { pid: parent }, "", None, None);
        }
    }
    s.finish()
}

/// A uniform pick from a non-empty list (the root when it is empty, which callers rule out).
fn pick(rng: &mut Rng, pids: &[u32]) -> u32 {
    let len = u64::try_from(pids.len()).unwrap_or(u64::MAX);
    let i = usize::try_from(rng.below(len)).unwrap_or(0);
    pids.get(i).copied().unwrap_or(FIRST_PID)
}
