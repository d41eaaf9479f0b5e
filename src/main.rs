//! The `infra-dojo` command: parse the command line, set up logging, and hand over to the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use infra_dojo::config::{ContentArgs, ServeConfig};
use infra_dojo::content::source::ContentSource;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

// mimalloc instead of glibc's malloc: under quiz load glibc's allocator was the largest single cost in
// request handling, and its per-thread arenas kept the resident size several times higher
// (`bench/quiz.sh`, see bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// infra-dojo: topic pages, widgets and quizzes generated from study notes.
#[derive(Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no subcommand, `serve` runs with these settings.
    #[command(flatten)]
    serve: ServeConfig,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site (the default).
    Serve(ServeConfig),
    /// Check the content and print every problem with file and line; exit 1 if there is any.
    Check(ContentArgs),
    /// Create a content folder to start a course from: notes.md with one topic, course.toml, an
    /// annotation and a question bank. DIR must not exist yet, or be empty.
    New {
        dir: std::path::PathBuf,
        /// The sample's language, and the course's: ja or en.
        #[arg(long, default_value = "ja", value_parser = parse_language)]
        language: infra_dojo::content::Language,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Create demo data: the instructor demo-teacher (password demo-password), a class of synthetic
    /// learners and a few weeks of their attempts. Running it again changes nothing.
    DemoSeed {
        /// The SQLite database file, or a postgres:// URL.
        #[arg(long, env = "INFRA_DOJO_DB", default_value = "data/infra-dojo.db")]
        db: std::path::PathBuf,
        /// Learners in the demo class.
        #[arg(long, default_value_t = 30)]
        learners: usize,
        /// Attempts per learner, spread over the last four weeks.
        #[arg(long, default_value_t = 20)]
        attempts: usize,
        /// The address `serve` will listen on (the same flag and variable), for the log-in address this
        /// prints.
        #[arg(long, env = "INFRA_DOJO_BIND", default_value = "127.0.0.1:3000")]
        bind: std::net::SocketAddr,
        #[command(flatten)]
        content: ContentArgs,
    },
    /// Copy a SQLite database into an empty PostgreSQL database (every table but the sessions), in one
    /// transaction, verified by each table's row count. The SQLite file's schema is first brought up to
    /// date, as `serve` would.
    Migrate {
        /// The SQLite database: sqlite:PATH
        #[arg(long, value_name = "sqlite:PATH")]
        from: String,
        /// The PostgreSQL database: postgres://USER:PASSWORD@HOST:PORT/NAME (its schema is made if missing)
        #[arg(long, value_name = "postgres://…")]
        to: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a learner (or, with --instructor, an instructor). The password is read from standard input,
    /// or asked for without echo on a terminal.
    Add {
        name: String,
        #[arg(long)]
        instructor: bool,
        /// Name shown in the interface (defaults to NAME).
        #[arg(long)]
        display_name: Option<String>,
        /// The SQLite database file, or a postgres:// URL.
        #[arg(long, env = "INFRA_DOJO_DB", default_value = "data/infra-dojo.db")]
        db: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    // No transparent huge pages for this process. mimalloc asks for them on the regions it reserves, and
    // the kernel then makes each 2 MiB region touched at all fully resident: idle after start-up that
    // was 74.6 MB (58.1 MB anonymous) against 45.0 MB (27.6 MB) without (bench/results/memory.md).
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("transparent huge pages stay on: {e}");
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Check(args)) => check(&args),
        Some(Command::New { dir, language }) => new_course(&dir, language),
        Some(Command::Serve(config)) => run_serve(config),
        Some(Command::User(UserCommand::Add {
            name,
            instructor,
            display_name,
            db,
        })) => run(add_user(name, instructor, display_name, db)),
        Some(Command::DemoSeed {
            db,
            learners,
            attempts,
            bind,
            content,
        }) => run(demo_seed(db, learners, attempts, bind, content)),
        Some(Command::Migrate { from, to }) => run(migrate(from, to)),
        None => run_serve(cli.serve),
    }
}

async fn demo_seed(
    db: std::path::PathBuf,
    learners: usize,
    attempts: usize,
    bind: std::net::SocketAddr,
    content: ContentArgs,
) -> anyhow::Result<()> {
    use infra_dojo::demo;
    let source = content.source();
    let loaded = infra_dojo::load_content(&source).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("コンテンツに問題があります:\n{}", list.join("\n"))
    })?;
    let pool = infra_dojo::db::Db::open(&db, false).await?;
    let started = std::time::Instant::now();
    let options = demo::Options {
        learners,
        attempts,
        ..demo::Options::default()
    };
    match demo::seed(&pool, &loaded.course, &loaded.quizzes, &options).await? {
        demo::Outcome::Created {
            class_id,
            join_code,
            learners,
            attempts,
            answers,
            widget_answers,
        } => {
            println!(
                "デモデータを作りました（{:.1} 秒）: 「{}」 受講者 {learners} 人、提出 {attempts} 回、解答 {answers} 問、ウィジェットの予想 {widget_answers} 件",
                started.elapsed().as_secs_f64(),
                demo::CLASS_NAME
            );
            println!("参加コード: {join_code}");
            println!("  クラスのページ: /instructor/classes/{class_id}");
        }
        demo::Outcome::AlreadyThere { class_id } => {
            println!(
                "デモデータはすでにあります（{}、/instructor/classes/{class_id}）。何も変更していません。",
                infra_dojo::db::redact_password(&db.to_string_lossy())
            );
        }
    }
    println!();
    // The command and address `serve` will use: the same --db, --content and --bind as this run (flags
    // or INFRA_DOJO_* variables).
    println!(
        "ログインのしかた: `{}` でサーバーを起動し、",
        demo::serve_command(
            std::path::Path::new(&infra_dojo::db::redact_password(&db.to_string_lossy())),
            content.content.as_deref(),
            bind
        )
    );
    println!(
        "  {} で ユーザー名 {} / パスワード {} でログインしてください。",
        demo::login_url(bind),
        demo::TEACHER_NAME,
        demo::PASSWORD
    );
    println!(
        "  （受講者 demo-01… も同じパスワードでログインできます。すべてデモ用のデータです。）"
    );
    Ok(())
}

async fn migrate(from: String, to: String) -> anyhow::Result<()> {
    let Some(path) = from.strip_prefix("sqlite:") else {
        anyhow::bail!(
            "--from {from}: 移行元は sqlite:PATH の形で指定してください（例: --from sqlite:data/infra-dojo.db）。"
        );
    };
    // `sqlite://PATH` too, as sqlx writes it.
    let path = std::path::Path::new(path.strip_prefix("//").unwrap_or(path));
    if !infra_dojo::db::is_postgres_url(&to) {
        anyhow::bail!(
            "--to {}: 移行先は PostgreSQL の URL で指定してください（例: --to postgres://user:password@localhost:5432/infra_dojo）。",
            infra_dojo::db::redact_password(&to)
        );
    }
    if !path.is_file() {
        anyhow::bail!(
            "--from {from}: SQLite のデータベースファイル {} がありません。パスを確かめてください。",
            path.display()
        );
    }
    // The target first: a wrong address must not have touched the source.
    let postgres = infra_dojo::db::open_postgres(&to).await?;
    let sqlite = infra_dojo::db::open_existing(path).await?;
    // A database from before the class aggregates gets them first, as `serve` would give them.
    infra_dojo::store::aggregates::rebuild_if_needed(&infra_dojo::db::Db::from(sqlite.clone()))
        .await?;
    let started = std::time::Instant::now();
    let copied = infra_dojo::store::transfer::sqlite_to_postgres(&sqlite, &postgres).await?;
    sqlite.close().await;
    postgres.close().await;
    println!(
        "{} を {} に移しました（{:.1} 秒）。",
        path.display(),
        infra_dojo::db::redact_password(&to),
        started.elapsed().as_secs_f64()
    );
    for table in &copied {
        println!("  {:<22} {:>10} 行", table.table, table.rows);
    }
    println!(
        "検証: {} 表すべてで、SQLite と PostgreSQL の行数が一致しました。セッションは移していません（移行後は全員がもう一度ログインします）。",
        copied.len()
    );
    Ok(())
}

fn check(args: &ContentArgs) -> ExitCode {
    let source = args.source();
    match infra_dojo::load_content(&source) {
        Ok(content) => {
            println!("{}: 問題はありません", source.describe());
            println!(
                "topics: {}, questions: {}",
                content.course.topics.len(),
                content.quizzes.len()
            );
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for problem in &problems {
                eprintln!("{problem}");
            }
            eprintln!("{} 件の問題があります", problems.len());
            ExitCode::FAILURE
        }
    }
}

/// `--language`: "ja" or "en".
fn parse_language(code: &str) -> Result<infra_dojo::content::Language, String> {
    infra_dojo::content::Language::from_code(code)
        .ok_or_else(|| format!("言語は ja か en です: {code}"))
}

fn new_course(dir: &std::path::Path, language: infra_dojo::content::Language) -> ExitCode {
    match infra_dojo::scaffold::create(dir, language) {
        Ok(files) => {
            println!("{} にコンテンツを作りました:", dir.display());
            for file in &files {
                println!("  {}", file.display());
            }
            println!();
            println!("次に:");
            println!(
                "  infra-dojo serve --content {} --watch   # 書きながらブラウザーで確かめる",
                dir.display()
            );
            println!(
                "  infra-dojo check --content {}           # 問題をファイルと行つきで一覧する",
                dir.display()
            );
            println!("書き方は docs/AUTHORING.md にあります。");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run_serve(config: ServeConfig) -> ExitCode {
    run(serve(config))
}

/// Runs a command on a tokio runtime, printing its error.
fn run(command: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio を起動できません: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(command);
    // Tasks still running (a blocking password hash, a stuck client) must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let source = config.content.source();
    // Made before the content is loaded, so an edit saved while the server starts is not lost.
    let watcher = match (&source, config.watch) {
        (_, false) => None,
        (ContentSource::Dir(dir), true) => Some(infra_dojo::web::watch::Watcher::new(dir.clone())),
        (ContentSource::Embedded, true) => anyhow::bail!(
            "--watch には --content DIR が必要です（監視できるのはディスク上のコンテンツフォルダーだけで、バイナリーに埋め込まれたコンテンツは変わりません）。\n例: infra-dojo serve --content mycourse --watch"
        ),
    };
    let content = infra_dojo::load_content(&source).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "コンテンツに問題があるため起動しません:\n{}",
            list.join("\n")
        )
    })?;
    let db = infra_dojo::db::Db::open(&config.db, config.db_must_exist).await?;
    let settings = infra_dojo::web::state::Settings {
        secure_cookies: config.secure_cookies,
        watch: config.watch,
        metrics: config.metrics_bind.is_some(),
        trusted_proxies: config.trusted_proxy.clone().into(),
    };
    let state = infra_dojo::build_state(db, content, settings).await?;
    state.warm_pages();
    if let Some(watcher) = watcher {
        if !config.bind.ip().is_loopback() {
            // Problem reports name files on this machine, and pages reload on every save.
            tracing::warn!(addr = %config.bind, "--watch is for authoring: serve it on a loopback address");
        }
        watcher.spawn(state.clone());
    }
    // Expired sessions are deleted hourly, by whichever instance runs this.
    tokio::spawn(
        tower_sessions::ExpiredDeletion::continuously_delete_expired(
            infra_dojo::web::session_store::Store::new(
                state.db.clone(),
                infra_dojo::web::visitor::USER_ID,
            ),
            std::time::Duration::from_secs(3600),
        ),
    );
    // Before the limits are worked out: the default connection cap follows the open-file limit.
    let fd_limit = infra_dojo::server::raise_fd_limit();
    let limits = config.limits();
    if (limits.max_connections as u64).saturating_add(infra_dojo::server::FD_RESERVE) > fd_limit {
        tracing::warn!(
            max_connections = limits.max_connections,
            fd_limit,
            "--max-connections leaves less than {} file descriptors for the database and files: \
             expect accept errors (EMFILE) under load",
            infra_dojo::server::FD_RESERVE
        );
    }
    let listener = infra_dojo::server::bind(config.bind)
        .with_context(|| format!("{} で待ち受けできません", config.bind))?;
    tracing::info!(
        addr = %config.bind,
        db = %config.db.display(),
        content = %source.describe(),
        fd_limit,
        max_connections = limits.max_connections,
        max_connections_per_client = limits.max_connections_per_client,
        header_timeout_s = limits.header_timeout.as_secs_f64(),
        "infra-dojo listening on http://{}", config.bind
    );
    // The metrics listener: its own socket and router, so nothing on the public address serves metrics.
    let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
    let metrics_server = match config.metrics_bind {
        Some(addr) => {
            let listener = infra_dojo::server::bind(addr)
                .with_context(|| format!("{addr} で待ち受けできません（--metrics-bind）"))?;
            tracing::info!(addr = %addr, "metrics on http://{addr}/metrics");
            let limits = infra_dojo::server::Limits {
                max_connections: 64,
                max_connections_per_client: 64,
                ..limits.clone()
            };
            Some(tokio::spawn(infra_dojo::server::serve(
                listener,
                infra_dojo::web::metrics::router(state.clone()),
                limits,
                async {
                    let _ = metrics_stopped.await;
                },
            )))
        }
        None => None,
    };
    let db = state.db.clone();
    let attempts = state.attempts.clone();
    let live_reload = state.live_reload.clone();
    let shutdown = async move {
        shutdown_signal().await;
        // Open pages' event streams never end by themselves: end them, or the drain waits for its deadline.
        if let Some(live) = live_reload {
            live.close();
        }
    };
    let stopped =
        infra_dojo::server::serve(listener, infra_dojo::service(state), limits, shutdown).await;
    // Attempts still queued — their requests cut off at the deadline included — are written before the
    // process ends; then the writer's connection closes, so the pool's close below is the last one.
    if tokio::time::timeout(std::time::Duration::from_secs(5), attempts.close())
        .await
        .is_err()
    {
        tracing::warn!("attempt writer did not finish in 5 s");
    }
    let _ = stop_metrics.send(());
    if let Some(metrics_server) = metrics_server {
        let _ = metrics_server.await;
    }
    // Closing the pool's last connection checkpoints the WAL into the database file; bounded, like the
    // rest of shutdown.
    if tokio::time::timeout(std::time::Duration::from_secs(2), db.close())
        .await
        .is_err()
    {
        tracing::warn!("database pool did not close in 2 s");
    }
    tracing::info!(
        drained = stopped.drained,
        closed_at_deadline = stopped.closed_at_deadline,
        "stopped"
    );
    Ok(())
}

/// Resolves on SIGINT or SIGTERM; the server then drains (see `infra_dojo::server`).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

async fn add_user(
    name: String,
    instructor: bool,
    display_name: Option<String>,
    db: std::path::PathBuf,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("パスワード: ")?;
        let again = rpassword::prompt_password("もう一度: ")?;
        anyhow::ensure!(first == again, "パスワードが一致しません");
        first
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    let display_name = display_name.unwrap_or_else(|| name.clone());
    let errors = infra_dojo::auth::signup_errors(
        &name,
        &display_name,
        &password,
        infra_dojo::content::Language::Ja,
    );
    anyhow::ensure!(errors.is_empty(), "{}", errors.join("\n"));
    let pool = infra_dojo::db::Db::open(&db, false).await?;
    let hash = infra_dojo::auth::password::hash_blocking(password).await?;
    let role = if instructor {
        infra_dojo::auth::Role::Instructor
    } else {
        infra_dojo::auth::Role::Learner
    };
    let now = infra_dojo::store::now();
    let created =
        infra_dojo::store::users::create(&pool, &name, &display_name, &hash, role, now).await;
    // The last connection's close checkpoints the WAL: the file is whole on its own (DEPLOY.md copies it).
    pool.close().await;
    match created {
        Ok(id) => {
            println!("{role} \"{name}\" を作成しました（id {id}）");
            Ok(())
        }
        Err(e) if infra_dojo::store::is_unique_violation(&e) => {
            anyhow::bail!("ユーザー名 \"{name}\" はすでに使われています")
        }
        Err(e) => Err(e.into()),
    }
}
