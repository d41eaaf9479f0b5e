//! The runs: a small engine executes the six load/add/store steps in the schedule's order (with the
//! mutex's blocking, or fork's copy-on-write), and the writer turns each event into a step with its
//! C line, both registers, the memory as each actor sees it, an explanation and its source. The same
//! engine, without the words, gives the outcome of all 20 orders.

use std::collections::VecDeque;

use super::model::*;
use super::{Params, Scenario, Schedule, schedule_text};

/// PID of the first actor (and the process's PID for threads); the second gets the next number.
pub const PID: u32 = 4242;

/// Every way to interleave `a` steps of actor 1 with `b` steps of actor 2, keeping each actor's own
/// order, in lexicographic order (`1…12…2` first). There are C(a+b, a) of them.
pub fn interleavings(a: usize, b: usize) -> Vec<Vec<u8>> {
    if a == 0 || b == 0 {
        return vec![[vec![1; a], vec![2; b]].concat()];
    }
    let mut out: Vec<Vec<u8>> = interleavings(a - 1, b)
        .into_iter()
        .map(|rest| [vec![1], rest].concat())
        .collect();
    out.extend(
        interleavings(a, b - 1)
            .into_iter()
            .map(|rest| [vec![2], rest].concat()),
    );
    out
}

/// The engine's state after an event.
#[derive(Debug, Clone)]
struct State {
    /// Each actor's register `r`.
    regs: [Option<u64>; 2],
    /// `counter` as each actor sees it (equal while the memory is shared).
    vals: [u64; 2],
    /// fork only: the page has been copied.
    copied: bool,
    /// Who holds the mutex.
    lock: Option<u8>,
    /// Who sleeps in pthread_mutex_lock().
    blocked: Option<u8>,
    /// Each actor's next step: 0 load, 1 add, 2 store, 3 done.
    pos: [usize; 2],
}

/// What the engine reports each event to: the state after it, the actor, the operation, its value.
type Emit<'a> = dyn FnMut(&State, u8, Op, Option<u64>) + 'a;

/// Runs the program; `emit` sees every event with the state after it. Returns what the first actor
/// prints and, for fork, what the child prints.
fn execute(
    scenario: Scenario,
    schedule: &Schedule,
    start: u64,
    emit: &mut Emit<'_>,
) -> (u64, Option<u64>) {
    let mutex = scenario == Scenario::Mutex;
    let fork = scenario == Scenario::Fork;
    let mut s = State {
        regs: [None; 2],
        vals: [start; 2],
        copied: false,
        lock: None,
        blocked: None,
        pos: [0; 2],
    };
    emit(&s, 1, Op::Create, None);
    let mut queue: VecDeque<u8> = schedule.iter().copied().collect();
    // Turns of a sleeping thread: the scheduler cannot run it, so they move after the unlock.
    let mut parked: Vec<u8> = Vec::new();
    while let Some(a) = queue.pop_front() {
        let i = usize::from(a - 1);
        if mutex && s.pos[i] == 0 {
            if s.lock.is_some_and(|h| h != a) {
                if s.blocked != Some(a) {
                    s.blocked = Some(a);
                    emit(&s, a, Op::Block, None);
                }
                parked.push(a);
                continue;
            }
            if s.blocked == Some(a) {
                s.blocked = None;
            }
            s.lock = Some(a);
            emit(&s, a, Op::Lock, None);
        }
        match s.pos[i] {
            0 => {
                let v = s.vals[i];
                s.regs[i] = Some(v);
                s.pos[i] = 1;
                emit(&s, a, Op::Load, Some(v));
            }
            1 => {
                let v = s.regs[i].unwrap_or_default() + 1;
                s.regs[i] = Some(v);
                s.pos[i] = 2;
                emit(&s, a, Op::Add, Some(v));
            }
            _ => {
                let v = s.regs[i].unwrap_or_default();
                if fork && !s.copied {
                    s.copied = true;
                    emit(&s, a, Op::Copy, None);
                }
                if fork {
                    s.vals[i] = v;
                } else {
                    s.vals = [v; 2];
                }
                s.pos[i] = 3;
                emit(&s, a, Op::Store, Some(v));
                if mutex {
                    s.lock = None;
                    emit(&s, a, Op::Unlock, None);
                    for p in parked.drain(..).rev() {
                        queue.push_front(p);
                    }
                }
            }
        }
    }
    let child = fork.then(|| {
        emit(&s, 2, Op::Exit, Some(s.vals[1]));
        s.vals[1]
    });
    emit(&s, 1, Op::Join, None);
    emit(&s, 1, Op::Print, Some(s.vals[0]));
    (s.vals[0], child)
}

/// Every order of the six steps with what the first actor prints (no words: cheap enough to run 20
/// times per request).
pub fn orders(scenario: Scenario, start: u64) -> Vec<Order> {
    interleavings(3, 3)
        .into_iter()
        .map(|order| {
            let mut schedule: Schedule = [0; 6];
            schedule.copy_from_slice(&order);
            let (final_value, _) = execute(scenario, &schedule, start, &mut |_, _, _, _| {});
            Order {
                schedule: schedule_text(&schedule),
                final_value,
                lost: final_value < start + 2,
            }
        })
        .collect()
}

fn names(scenario: Scenario) -> [&'static str; 2] {
    if scenario == Scenario::Fork {
        ["親", "子"]
    } else {
        ["T1", "T2"]
    }
}

fn program(scenario: Scenario, start: u64) -> String {
    match scenario {
        Scenario::Threads => format!(
            "int counter = {start};          /* 2 つのスレッドが共有 */\n\nvoid *work(void *arg) {{\n    counter++;   /* r = counter; r = r + 1; counter = r; */\n    return NULL;\n}}\n\nint main(void) {{\n    pthread_t t2;\n    pthread_create(&t2, NULL, work, NULL);\n    work(NULL);\n    pthread_join(t2, NULL);\n    printf(\"%d\\n\", counter);\n}}"
        ),
        Scenario::Mutex => format!(
            "int counter = {start};\npthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;\n\nvoid *work(void *arg) {{\n    pthread_mutex_lock(&m);\n    counter++;   /* r = counter; r = r + 1; counter = r; */\n    pthread_mutex_unlock(&m);\n    return NULL;\n}}\n\nint main(void) {{\n    pthread_t t2;\n    pthread_create(&t2, NULL, work, NULL);\n    work(NULL);\n    pthread_join(t2, NULL);\n    printf(\"%d\\n\", counter);\n}}"
        ),
        Scenario::Fork => format!(
            "int counter = {start};\n\nint main(void) {{\n    pid_t pid = fork();\n    counter++;   /* r = counter; r = r + 1; counter = r; */\n    if (pid == 0) {{\n        printf(\"child: %d\\n\", counter);\n        exit(0);\n    }}\n    waitpid(pid, NULL, 0);\n    printf(\"%d\\n\", counter);\n}}"
        ),
    }
}

fn memory(scenario: Scenario, s: &State) -> Vec<Memory> {
    match (scenario, s.copied) {
        (Scenario::Fork, true) => vec![
            Memory {
                label: "親のページ",
                value: s.vals[0],
                seen_by: vec![1],
            },
            Memory {
                label: "子のページ",
                value: s.vals[1],
                seen_by: vec![2],
            },
        ],
        (Scenario::Fork, false) => vec![Memory {
            label: "親子で共有するページ（書き込み禁止）",
            value: s.vals[0],
            seen_by: vec![1, 2],
        }],
        _ => vec![Memory {
            label: "プロセスのメモリ（2 つのスレッドで共有）",
            value: s.vals[0],
            seen_by: vec![1, 2],
        }],
    }
}

/// Runs `p` and writes every step.
pub fn simulate(p: &Params) -> Run {
    let scenario = p.scenario;
    let [n1, n2] = names(scenario);
    let start = p.start;
    let mut steps: Vec<Step> = Vec::new();
    let mut last_mem = start;
    let (final_value, child_value) = execute(
        scenario,
        &p.schedule,
        start,
        &mut |s, a, op, value| {
            let (me, other) = if a == 1 { (n1, n2) } else { (n2, n1) };
            let i = usize::from(a - 1);
            let o = 1 - i;
            let v = value.unwrap_or_default();
            let fork = scenario == Scenario::Fork;
            let (code, note, explain, source): (&'static str, String, String, &'static str) = match op {
            Op::Create if fork => (
                "pid = fork();",
                format!("親（PID {PID}）が fork() し、子（PID {}）ができる", PID + 1),
                "POSIX では、fork() は呼んだプロセスの複製を作り、子は親のメモリのコピーを持ちます（fork(3p)）。Linux ではページをすぐにはコピーせず、親子で同じページを書き込み禁止にして共有し、どちらかが書いたときに初めてその側にコピーを作ります（copy-on-write、fork(2) の NOTES）。どちらにしても、子が counter を変えても親の counter は変わりません。親も子も counter++ を実行し、ここでは選んだ順番で 1 ステップずつ進めます。".into(),
                "fork(2), fork(3p)",
            ),
            Op::Create => (
                "pthread_create(&t2, NULL, work, NULL);",
                format!("T1（main、TID {PID}）が pthread_create() で T2（TID {}）を作る", PID + 1),
                format!(
                    "新しいスレッドは同じプロセスの中に作られます。メモリ（counter を含む）、ファイル記述子、PID（{PID}）は 2 つのスレッドで共有し、スタック、レジスタ、TID はスレッドごとです。両方が counter++ を実行します。どちらが先に動くかはスケジューラ次第なので、ここでは選んだ順番（スケジュール）で 1 ステップずつ進めます。{}",
                    if scenario == Scenario::Mutex { "counter++ は pthread_mutex_lock() と pthread_mutex_unlock() で囲んであります。" } else { "" }
                ),
                if scenario == Scenario::Mutex { "pthreads(7), pthread_create(3), pthread_mutex_lock(3p)" } else { "pthreads(7), pthread_create(3)" },
            ),
            Op::Load => {
                let mut text = format!(
                    "counter++ は 1 つの式でも、メモリから読む（load）、1 を足す（add）、書き戻す（store）の 3 段階です。{me} は{} counter = {v} を自分のレジスタ r に読みます。レジスタは{}ごとなので、{other} からは見えません。",
                    if fork { "自分から見える" } else { "メモリの" },
                    if fork { "プロセス" } else { "スレッド" }
                );
                if !fork && matches!(s.pos[o], 1 | 2) {
                    text.push_str(&format!("{other} もすでに {} を読んでいて、まだ書き戻していません。2 つとも同じ値に 1 を足すことになります。", s.regs[o].map_or(v, |r| if s.pos[o] == 2 { r - 1 } else { r })));
                }
                ("r = counter;", format!("{me} が counter を読む: r = {v}"), text, if fork { "fork(2)" } else { "pthreads(7)" })
            }
            Op::Add => (
                "r = r + 1;",
                format!("{me} がレジスタで 1 を足す: r = {v}"),
                format!("足し算はレジスタの中だけで起きます。{me} から見えるメモリの counter はまだ {} のままです。", s.vals[i]),
                "pthreads(7)",
            ),
            Op::Copy => (
                "counter = r;  /* ページフォールト */",
                format!("書き込み禁止のページへの書き込みでページフォールト: カーネルが {me} 用にページをコピーする"),
                format!("fork の後、counter のあるページは親子で共有され、書き込み禁止になっています。{me} が書こうとするとページフォールトが起き、Linux はそのページを複製して {me} の側に割り当て、書き込みを許します（copy-on-write、fork(2) の NOTES）。ここから親と子は別々の counter を持ちます。"),
                "fork(2)",
            ),
            Op::Store => {
                let mut text = format!("r の {v} を{}counter に書きます。", if fork { "自分のページの " } else { "メモリの " });
                if fork {
                    text.push_str(&format!("{other} の counter は変わりません。"));
                    if s.copied && steps.iter().filter(|st| st.op == Op::Store).count() == 1 {
                        text.push_str(&format!("Linux では、もう一方がすでにコピーを持っていったので、このページを使っているのは {me} だけです。そのためコピーせずにそのまま書き込みを許します。"));
                    }
                } else if scenario == Scenario::Mutex {
                    text.push_str(&format!("ロックを持っている間の読み書きなので、その間 {other} は counter に触れていません。"));
                } else if v <= last_mem {
                    text.push_str(&format!("counter はすでに {last_mem} でした。{other} の加算を上書きしたので、1 回分の加算が消えました（更新の消失、lost update）。C ではこのように同期なしで同じ変数を読み書きすることをデータ競合と呼び、未定義の動作です。"));
                }
                ("counter = r;", format!("{me} が counter に書き戻す: counter = {v}"), text, if fork { "fork(2)" } else if scenario == Scenario::Mutex { "pthread_mutex_lock(3p)" } else { "pthreads(7), C11 §5.1.2.4" })
            }
            Op::Block => (
                "pthread_mutex_lock(&m);",
                format!("{me} が pthread_mutex_lock() を呼ぶが、{other} が持っているので眠る"),
                format!("ミューテックスは同時に 1 つのスレッドしか持てません。すでにロックされていれば、呼んだスレッドは空くまでブロックします。スケジュールで {me} の番が来ても眠っているので、{other} が先に進みます。"),
                "pthread_mutex_lock(3p)",
            ),
            Op::Lock => (
                "pthread_mutex_lock(&m);",
                format!("{me} がロックを取る"),
                if steps.iter().any(|st| st.op == Op::Block && st.actor == a) {
                    format!("{other} が unlock したので、{me} が起きてロックを取り、続きを実行します。counter はもう {} になっています。", s.vals[i])
                } else {
                    format!("ミューテックスは空いていたので、{me} がすぐにロックを持ちます。unlock するまでの load・add・store の間、{other} は counter に触れられません。")
                },
                "pthread_mutex_lock(3p)",
            ),
            Op::Unlock => (
                "pthread_mutex_unlock(&m);",
                format!("{me} がロックを放す{}", if s.blocked.is_some() { format!("（眠っていた {other} が起こされる）") } else { String::new() }),
                format!("counter を {} にしてから放すので、次にロックを取ったスレッドは必ず新しい値を読みます。", s.vals[i]),
                "pthread_mutex_lock(3p)",
            ),
            Op::Exit => (
                "printf(\"child: %d\\n\", counter); exit(0);",
                format!("子が自分の counter = {v} を表示して終わる"),
                format!("子が見るのは子のページの counter で、{v} です。exit() した子は、親が wait するまでゾンビとして残ります。"),
                "fork(2), exit(3)",
            ),
            Op::Join if fork => (
                "waitpid(pid, NULL, 0);",
                "親が waitpid() で子の終了を待ち、回収する".into(),
                "waitpid() は子の終了を待ち、ゾンビになった子を回収します。子の counter の値は親には届きません。終了ステータスで小さな数を返すことはできても、メモリは共有していないからです。".into(),
                "waitpid(2)",
            ),
            Op::Join => (
                "pthread_join(t2, NULL);",
                "T1 が pthread_join() で T2 の終わりを待つ".into(),
                "pthread_join() は T2 が終わるまで待ちます。これで両方の counter++ が済んでいます。".into(),
                "pthread_join(3)",
            ),
            Op::Print => {
                let text = match scenario {
                    Scenario::Threads if v < start + 2 => format!("2 回 counter++ したのに {start} + 1 = {v} です。両方のスレッドが同じ値を読んでから書き戻したので、一方の加算が上書きされて消えました。20 通りの順番のうち、2 になるのは片方ずつ続けて実行した 2 通りだけです。"),
                    Scenario::Threads => format!("この順番では一方が書き終えてからもう一方が読んだので、{start} + 2 = {v} になりました。ただし 20 通りの順番のうち、こうなるのは片方ずつ続けて実行した 2 通りだけです。"),
                    Scenario::Mutex => format!("どの順番でも、ロックのおかげで読んでから書き戻すまでが割り込まれないので {start} + 2 = {v} になります。"),
                    Scenario::Fork => format!("親が見るのは自分のページの counter なので {v} です。子の加算は子のページに入っただけで、親には届きません。スレッドならメモリを共有するので 2 回分が同じ counter に入り得ますが、fork したプロセスはメモリを共有しません（共有したいなら mmap の MAP_SHARED などを使います）。"),
                };
                ("printf(\"%d\\n\", counter);", format!("{me} が counter = {v} を表示する"), text, if fork { "fork(2)" } else if scenario == Scenario::Mutex { "pthread_mutex_lock(3p)" } else { "pthreads(7), C11 §5.1.2.4" })
            }
        };
            let mut ask = Vec::new();
            if value.is_some() {
                ask.push(Field::Value);
            }
            ask.extend([Field::Final, Field::LostOrders]);
            last_mem = s.vals[i];
            steps.push(Step {
                actor: a,
                op,
                code,
                registers: s.regs,
                memory: memory(scenario, s),
                value,
                lock: s.lock,
                blocked: s.blocked,
                ask,
                note,
                explain,
                source,
            });
        },
    );
    let all = orders(scenario, start);
    let lost_orders = all.iter().filter(|o| o.lost).count();
    let outcome = match scenario {
        Scenario::Threads => format!(
            "この順番では {n1} が表示する counter は {final_value} です。20 通りの順番のうち {lost_orders} 通りで加算が 1 回分失われます。"
        ),
        Scenario::Mutex => format!(
            "ミューテックスがあると、20 通りのどの順番でも counter は {} になります。",
            start + 2
        ),
        Scenario::Fork => format!(
            "親は {final_value}、子は {} を表示します。20 通りのどの順番でも、子の加算は親の counter に入りません。",
            child_value.unwrap_or_default()
        ),
    };
    let actor = |id: u8, name: &'static str| Actor {
        id,
        name,
        pid: if scenario == Scenario::Fork {
            PID + u32::from(id) - 1
        } else {
            PID
        },
        tid: PID + u32::from(id) - 1,
    };
    Run {
        scenario,
        schedule: schedule_text(&p.schedule),
        start,
        code: program(scenario, start),
        actors: [actor(1, n1), actor(2, n2)],
        steps,
        final_value,
        child_value,
        orders: all,
        lost_orders,
        outcome,
    }
}
