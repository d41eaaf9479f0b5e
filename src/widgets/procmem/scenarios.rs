//! The stories: a tour of the process's components as /proc shows them, then fork, execve and a
//! second thread — each operation one step whose fates 予想モード asks for, followed by a step that
//! shows the difference in action.

use super::model::*;
use super::rules::{self, Operation};
use super::{Params, Scenario, SigintSetting};

/// Runs the scenario in `p`.
pub fn simulate(p: &Params) -> ProcRun {
    let sigint = match p.sigint {
        SigintSetting::Handler => Disposition::Handler,
        SigintSetting::Ignore => Disposition::Ignore,
        SigintSetting::Default => Disposition::Default,
    };
    let start = rules::initial(p.cloexec, sigint);
    let steps = match p.scenario {
        Scenario::Anatomy => anatomy(&start),
        Scenario::Fork => fork(&start),
        Scenario::Exec => exec(&start),
        Scenario::Thread => thread(&start),
    };
    ProcRun {
        scenario: p.scenario,
        cloexec: p.cloexec,
        sigint,
        initial: vec![start],
        steps,
    }
}

/// A step that looks at one part of `procs` and changes nothing.
fn look(
    procs: &[Proc],
    call: &str,
    focus: &'static str,
    note: &str,
    explain: String,
    source: &'static str,
) -> Step {
    Step {
        call: call.into(),
        note: note.into(),
        explain,
        source,
        focus: Some(focus),
        processes: procs.to_vec(),
        fates: Vec::new(),
        ask: false,
    }
}

fn lines(p: &Proc, regions: &[Region]) -> String {
    p.maps
        .iter()
        .filter(|m| regions.contains(&m.region))
        .map(|m| m.line.clone())
        .collect::<Vec<_>>()
        .join(" / ")
}

fn anatomy(p: &Proc) -> Vec<Step> {
    let procs = std::slice::from_ref(p);
    let pid = p.pid;
    let sig = |name: &str| {
        p.signals
            .iter()
            .find(|s| s.signal == name)
            .map_or("", |s| s.disposition.label())
    };
    vec![
        look(
            procs,
            &format!("cat /proc/{pid}/maps"),
            "text",
            "コード（text）: 実行できる r-xp のマッピング",
            format!(
                "/proc/{pid}/maps の 1 行は「開始-終了アドレス 権限 オフセット デバイス inode パス」です。権限に x（実行）が付いているのがプログラムのコードで、ファイル {} から読み込まれています（{}）。アドレスは例で、ASLR により実行のたびに変わります。",
                p.program,
                lines(p, &[Region::Text])
            ),
            "proc(5)",
        ),
        look(
            procs,
            &format!("cat /proc/{pid}/maps"),
            "data",
            "データ（data）と bss",
            format!(
                "初期値のある大域変数は rw-p のファイルのマッピング（data）に、初期値 0 の変数はそのすぐ後の無名の rw-p（bss）にあります（{}）。bss が小さく data の最後のページの残りに収まるプログラム（実機の sleep など）では、bss は data と同じ行に含まれ、別の行になりません。r--p は定数などの読み取り専用データです。",
                lines(p, &[Region::Data, Region::Bss])
            ),
            "proc(5), elf(5)",
        ),
        look(
            procs,
            &format!("cat /proc/{pid}/maps"),
            "heap",
            "ヒープ: [heap]",
            format!(
                "malloc の小さな領域は [heap] から取られ、brk で上（高いアドレス）へ伸びます（{}）。",
                lines(p, &[Region::Heap])
            ),
            "proc(5), brk(2)",
        ),
        look(
            procs,
            &format!("cat /proc/{pid}/maps"),
            "mmap",
            "mmap の領域: 共有ライブラリと無名マッピング",
            format!(
                "libc などの共有ライブラリや、大きな malloc の無名マッピングは mmap で作られ、ヒープとスタックの間の高いアドレスに置かれます（{}）。",
                lines(p, &[Region::Lib, Region::Anon])
            ),
            "proc(5), mmap(2)",
        ),
        look(
            procs,
            &format!("cat /proc/{pid}/maps"),
            "stack",
            "スタック: [stack]",
            format!(
                "メインスレッドのスタックは最も高いアドレスの近くにあり、下（低いアドレス）へ伸びます（{}）。",
                lines(p, &[Region::Stack])
            ),
            "proc(5)",
        ),
        look(
            procs,
            &format!("ls -l /proc/{pid}/fd"),
            "fds",
            "ファイル記述子の表",
            format!(
                "0, 1, 2 は端末、3 はログファイル、4 はソケットです。4 は {}。FD_CLOEXEC は記述子ごとの印で、execve のときに閉じるかどうかを決めます。",
                if p.fds.iter().any(|f| f.fd == 4 && f.cloexec) {
                    "O_CLOEXEC（FD_CLOEXEC）付きで開かれています"
                } else {
                    "FD_CLOEXEC なしで開かれています"
                }
            ),
            "proc(5), open(2), fcntl(2)",
        ),
        look(
            procs,
            &format!("grep -E 'Uid|Gid' /proc/{pid}/status"),
            "creds",
            "資格情報: UID と GID",
            format!(
                "プロセスは uid={} gid={} で動いていて、これでファイルなどへのアクセスが決まります。",
                p.uid, p.gid
            ),
            "credentials(7), proc(5)",
        ),
        look(
            procs,
            &format!("ls -l /proc/{pid}/cwd"),
            "cwd",
            "カレントディレクトリ",
            format!(
                "相対パスは {} から探されます。プロセスごとに持つので、子が chdir しても親は変わりません（だから cd はシェルの組み込みコマンドです）。",
                p.cwd
            ),
            "proc(5), chdir(2)",
        ),
        look(
            procs,
            &format!("grep -E 'SigBlk|SigIgn|SigCgt' /proc/{pid}/status"),
            "signals",
            "シグナルの処理方法とマスク",
            format!(
                "SIGINT は{}、SIGPIPE は{}、SIGTERM は{}です（処理方法はプロセス単位）。シグナルマスク（ブロックするシグナルの集合）はスレッドごとで、このスレッドは SIGUSR1 をブロックしています。/proc/PID/status の SigCgt・SigIgn・SigBlk に出ます。",
                sig("SIGINT"),
                sig("SIGPIPE"),
                sig("SIGTERM")
            ),
            "signal(7), proc(5)",
        ),
        look(
            procs,
            &format!("grep -E 'Pid|PPid|Threads' /proc/{pid}/status"),
            "pid",
            "PID・PPID・スレッド",
            format!(
                "PID {pid}、親は bash（PPID {}）、スレッドは {} 個です。スケジューラが動かすのはスレッドで、プロセスはここまでの資源を持つ単位です。",
                p.ppid,
                p.threads.len()
            ),
            "proc(5), pthreads(7)",
        ),
    ]
}

fn fork(p: &Proc) -> Vec<Step> {
    let child = rules::fork(p, NEXT_ID);
    let fates = rules::fates(Operation::Fork, p, &child);
    let op = Step {
        call: "fork()".into(),
        note: format!("server（{}）が fork() し、子 {} ができます", p.pid, child.pid),
        explain: "子は親の複製です。違うのは PID と PPID などだけで、アドレス空間・記述子の表・カレントディレクトリ・資格情報・シグナルの処理方法とマスクはコピーを受け継ぎます。アドレス空間はすぐには複製されず、ページを共有したまま書き込まれたページだけを複製します（copy-on-write）。子のスレッドは fork を呼んだ 1 つだけです。".into(),
        source: "fork(2)",
        focus: None,
        processes: vec![p.clone(), child.clone()],
        fates,
        ask: true,
    };
    let mut closed = child.clone();
    closed.fds.retain(|f| f.fd != 3);
    let after_close = vec![p.clone(), closed];
    vec![
        op,
        look(&[p.clone(), child.clone()], "子: heap[0] = 42（書き込み）", "heap", "子がヒープに書き込むと、そのページだけが子のために複製されます",
            "fork の直後、親と子は同じ物理ページを読み取り専用で共有しています。子が書き込むとページフォルトが起き、カーネルはそのページだけをコピーして子に渡します。親のヒープの値は変わりません。".into(),
            "fork(2)"),
        look(&after_close, "子: close(3)", "fds", "子が fd 3 を閉じても、親の fd 3 は開いたままです",
            "記述子の表はプロセスごとのコピーなので、子が閉じても親の表は変わりません。ただし閉じる前は同じ「開いているファイル」を指していたので、どちらかが書けばファイルオフセットは両方で進みます。".into(),
            "fork(2), close(2)"),
    ]
}

fn exec(p: &Proc) -> Vec<Step> {
    let after = rules::exec(p, "/usr/bin/python3.11");
    let fates = rules::fates(Operation::Exec, p, &after);
    let closed = p.fds.len() - after.fds.len();
    let op = Step {
        call: "execve(\"/usr/bin/python3\", [\"python3\", \"app.py\"], envp)".into(),
        note: format!("PID {} が execve で python3 に置き換わります", p.pid),
        explain: format!(
            "execve は同じプロセスのままプログラムを替えます。アドレス空間は新しいプログラムのものになり、PID・PPID・カレントディレクトリ・資格情報・シグナルマスクは残ります。記述子は close-on-exec のものだけが閉じられます（ここでは {closed} 個）。捕まえていたシグナルは既定の動作に戻り、無視していたものは無視のままです。"
        ),
        source: "execve(2)",
        focus: None,
        processes: vec![after.clone()],
        fates,
        ask: true,
    };
    let sigint = after
        .signals
        .iter()
        .find(|s| s.signal == "SIGINT")
        .map_or("", |s| s.disposition.label());
    vec![
        op,
        look(
            std::slice::from_ref(&after),
            &format!("cat /proc/{}/maps", p.pid),
            "text",
            "新しい /proc/PID/maps: 中身はすべて python3 のもの",
            format!(
                "text・data・bss・ヒープ・スタックは python3 のものになり、server のマッピングは一つも残りません（{}）。それでも fd 3 の server.log にはそのまま書けます。SIGINT は今{}です。",
                lines(&after, &[Region::Text]),
                sigint
            ),
            "execve(2), proc(5)",
        ),
    ]
}

fn thread(p: &Proc) -> Vec<Step> {
    let two = rules::spawn_thread(p, NEXT_ID);
    let fates = rules::fates(Operation::Thread, p, &two);
    let op = Step {
        call: "pthread_create(&t, NULL, worker, NULL)".into(),
        note: format!("server に 2 つ目のスレッド（TID {NEXT_ID}）ができます"),
        explain: "新しいスレッドは同じプロセスの中にできます。メモリ・記述子・カレントディレクトリ・資格情報・シグナルの処理方法・PID は共有し、自分のものはスタック・レジスタ・TID・シグナルマスク（作ったスレッドのコピーから始まる）だけです。新しいアドレス空間を作らないので fork より軽いのです。".into(),
        source: "pthreads(7), pthread_create(3)",
        focus: None,
        processes: vec![two.clone()],
        fates,
        ask: true,
    };
    let mut masked = two.clone();
    if let Some(t) = masked.threads.last_mut() {
        t.mask.push("SIGTERM");
    }
    let mut moved = masked.clone();
    moved.cwd = "/tmp".into();
    vec![
        op,
        look(&[masked.clone()], "スレッド 201: pthread_sigmask(SIG_BLOCK, {SIGTERM})", "signals", "スレッド 201 が SIGTERM をブロックしても、メインスレッドのマスクは変わりません",
            "シグナルマスクはスレッドごとです。プロセスに送られた SIGTERM は、ブロックしていないメインスレッドに届けられます。処理方法（ハンドラか無視か）はプロセス全体で共有です。".into(),
            "pthread_sigmask(3), signal(7)"),
        look(&[moved], "スレッド 201: chdir(\"/tmp\")", "cwd", "スレッド 201 が chdir すると、プロセス全体のカレントディレクトリが /tmp になります",
            "カレントディレクトリはプロセスの持ち物で、スレッドどうしで共有します。メインスレッドの相対パスもこれからは /tmp から探されます。".into(),
            "pthreads(7), chdir(2)"),
    ]
}
