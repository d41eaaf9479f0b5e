//! Rebuild when a migration, template or embedded file changes: `sqlx::migrate!()`, askama and
//! `include_dir!` read them at compile time, and cargo does not see new files on its own.
fn main() {
    for dir in [
        "migrations",
        "templates",
        "static",
        "content",
        "src/scaffold/files",
    ] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
