//! The `infra-dojo` command: parse the command line, set up logging, and hand over to the library.

use anyhow::Context;
use axum::serve::ListenerExt;
use clap::{Parser, Subcommand};
use infra_dojo::config::{ContentArgs, ServeConfig};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

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
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Check(args)) => check(&args),
        Some(Command::Serve(config)) => run_serve(config),
        None => run_serve(cli.serve),
    }
}

fn check(args: &ContentArgs) -> ExitCode {
    let source = args.source();
    match infra_dojo::load_course(&source) {
        Ok(course) => {
            println!("{}: 問題はありません", source.describe());
            println!("topics: {}", course.topics.len());
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

fn run_serve(config: ServeConfig) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio を起動できません: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let source = config.content.source();
    let course = infra_dojo::load_course(&source).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "コンテンツに問題があるため起動しません:\n{}",
            list.join("\n")
        )
    })?;
    let db = infra_dojo::db::open(&config.db).await?;
    let state = infra_dojo::build_state(db, course).await?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("{} で待ち受けできません", config.bind))?
        // Without TCP_NODELAY, streamed responses stall ~40 ms on delayed ACKs (see DESIGN.md).
        .tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
        });
    tracing::info!(addr = %config.bind, db = %config.db.display(), content = %source.describe(), "infra-dojo listening on http://{}", config.bind);
    axum::serve(listener, infra_dojo::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM, so in-flight requests finish before the process exits.
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
