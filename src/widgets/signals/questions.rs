//! Quiz questions on signals, answered by the model: the number of a signal on x86 and on other
//! architectures (signal(7)'s table), how many processes a keystroke or `kill` reaches, and how many are
//! still alive right after it.

use super::model::{Life, Sig};
use super::{Handler, Params, Scenario, simulate};
use crate::widgets::rng::Rng;
use crate::widgets::{GeneratedQuestion, QuestionGenerator};

/// The generators a question bank can name for this widget.
pub static GENERATORS: [QuestionGenerator; 4] = [
    QuestionGenerator {
        id: "signal-number",
        make: number,
    },
    QuestionGenerator {
        id: "signal-number-arch",
        make: number_arch,
    },
    QuestionGenerator {
        id: "signal-receivers",
        make: receivers,
    },
    QuestionGenerator {
        id: "signal-survivors",
        make: survivors,
    },
];

/// "What is SIGxxx's number on x86?"
fn number(seed: u64) -> GeneratedQuestion {
    let sig = Sig::ALL[Rng::new(seed).below(Sig::ALL.len() as u64) as usize];
    let answer = u64::from(sig.x86());
    GeneratedQuestion {
        prompt: format!(
            "x86（と ARM）の Linux で、{}（{}）のシグナル番号は？",
            sig.name(),
            sig.typical_source()
        ),
        answer,
        values: vec![
            ("signal", sig.name().to_owned()),
            (
                "varies",
                if sig.varies() {
                    "アーキテクチャによって違います"
                } else {
                    "どのアーキテクチャでも同じです"
                }
                .to_owned(),
            ),
            ("answer", answer.to_string()),
        ],
    }
}

/// Architectures after x86 in signal(7)'s table.
const ARCHES: [&str; 3] = ["Alpha と SPARC", "MIPS", "PA-RISC"];

/// "What is SIGxxx's number on MIPS?" — only signals whose number varies.
fn number_arch(seed: u64) -> GeneratedQuestion {
    let mut rng = Rng::new(seed);
    let varying: Vec<Sig> = Sig::ALL.into_iter().filter(|s| s.varies()).collect();
    let sig = varying[rng.below(varying.len() as u64) as usize];
    let arch = 1 + rng.below(3) as usize;
    let answer = u64::from(sig.numbers()[arch]);
    GeneratedQuestion {
        prompt: format!(
            "{} の番号は x86 の Linux では {} 番です。{} の Linux では何番ですか？（signal(7) の表）",
            sig.name(),
            sig.x86(),
            ARCHES[arch - 1]
        ),
        answer,
        values: vec![
            ("signal", sig.name().to_owned()),
            ("x86", sig.x86().to_string()),
            ("arch", ARCHES[arch - 1].to_owned()),
            ("answer", answer.to_string()),
        ],
    }
}

/// A random first action and disposition, described without its outcome.
fn setup(seed: u64) -> (Params, String) {
    let mut rng = Rng::new(seed);
    let scenario = Scenario::ALL[rng.below(Scenario::ALL.len() as u64) as usize];
    let handler = Handler::ALL[rng.below(Handler::ALL.len() as u64) as usize];
    let p = Params { scenario, handler };
    let run = simulate(&p);
    let action = run
        .steps
        .first()
        .map_or_else(String::new, |s| s.action.clone());
    let world = match scenario {
        Scenario::Kill | Scenario::StopCont => format!(
            "bash (PID 100) のプロンプトが出ていて、バックグラウンドで ./server（PID 301）と sleep 600（PID 401）が動いています。server の SIGTERM の扱いは「{}」です。",
            handler.label()
        ),
        _ => format!(
            "bash (PID 100) で cat app.log | grep Error をフォアグラウンドで実行中です（cat は PID 201、grep は PID 202、プロセスグループは 201）。バックグラウンドでは ./server（PID 301）が動いています。grep の SIGINT の扱いは「{}」です。",
            handler.label()
        ),
    };
    (p, format!("{world}ここで次の操作をしました:「{action}」。"))
}

/// "How many processes does it reach?"
fn receivers(seed: u64) -> GeneratedQuestion {
    let (p, story) = setup(seed);
    let run = simulate(&p);
    let answer = run.steps.first().map_or(0, |s| s.targets.len()) as u64;
    GeneratedQuestion {
        prompt: format!("{story}このシグナルを受け取るプロセスはいくつですか？"),
        answer,
        values: vec![
            (
                "signal",
                run.steps[0].signal.map_or("", |s| s.name()).to_owned(),
            ),
            ("answer", answer.to_string()),
        ],
    }
}

/// "How many are still alive right after it?" — running or stopped, bash included.
fn survivors(seed: u64) -> GeneratedQuestion {
    let (p, story) = setup(seed ^ 0x5355_5256);
    let run = simulate(&p);
    let answer = run.steps.first().map_or(0, |s| {
        s.processes
            .iter()
            .filter(|p| matches!(p.life, Life::Running | Life::Stopped))
            .count()
    }) as u64;
    GeneratedQuestion {
        prompt: format!(
            "{story}その直後、まだ終了していないプロセス（bash を含み、停止中のものも数える）はいくつですか？"
        ),
        answer,
        values: vec![
            (
                "signal",
                run.steps[0].signal.map_or("", |s| s.name()).to_owned(),
            ),
            ("answer", answer.to_string()),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_come_from_the_table() {
        for seed in 0..100 {
            let q = number(seed);
            let sig = Sig::ALL
                .iter()
                .find(|s| q.prompt.contains(s.name()))
                .unwrap();
            assert_eq!(q.answer, u64::from(sig.x86()));
            let a = number_arch(seed);
            assert!(
                ["SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP"]
                    .iter()
                    .any(|s| a.prompt.contains(s))
            );
        }
        // facts.md W5: SIGTSTP is 18 on Alpha/SPARC, 24 on MIPS, 25 on PA-RISC.
        assert_eq!(Sig::Tstp.numbers(), [20, 18, 24, 25]);
    }

    #[test]
    fn prompts_name_the_action_but_not_its_outcome() {
        for seed in 0..200 {
            for q in [receivers(seed), survivors(seed)] {
                for word in ["終了します", "停止します", "保留", "回収", "ハンドラが動"]
                {
                    assert!(
                        !q.prompt.contains(word),
                        "seed {seed}: {word} in {}",
                        q.prompt
                    );
                }
                assert!(q.prompt.contains("「"), "{}", q.prompt);
            }
        }
    }
}
