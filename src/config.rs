//! Settings, read once at start from flags and `INFRA_DOJO_*` environment variables (clap does both).
//! A bad value fails at boot with a message, never later in a request.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the content comes from: `--content DIR`, or the copy embedded in the binary.
#[derive(Debug, Clone, Args)]
pub struct ContentArgs {
    /// A content directory holding notes.md (course.toml, annotations/, supplements/ and glossary.toml are
    /// optional). Without it the content embedded in the binary is used.
    #[arg(long, env = "INFRA_DOJO_CONTENT")]
    pub content: Option<PathBuf>,
}

/// `infra-dojo serve` settings.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "INFRA_DOJO_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,
    /// SQLite database file, created with its folder if missing.
    #[arg(long, env = "INFRA_DOJO_DB", default_value = "data/infra-dojo.db")]
    pub db: PathBuf,
    /// Mark the session cookie Secure: set this when infra-dojo is served over HTTPS.
    #[arg(long, env = "INFRA_DOJO_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// For authors: load the content again whenever a file in the --content folder changes, and reload
    /// the pages open in the browser (problems are shown on the page). Needs --content.
    #[arg(long, env = "INFRA_DOJO_WATCH")]
    pub watch: bool,
    #[command(flatten)]
    pub content: ContentArgs,
}

impl ContentArgs {
    /// The source these arguments name.
    pub fn source(&self) -> crate::content::source::ContentSource {
        match &self.content {
            Some(dir) => crate::content::source::ContentSource::Dir(dir.clone()),
            None => crate::content::source::ContentSource::Embedded,
        }
    }
}
