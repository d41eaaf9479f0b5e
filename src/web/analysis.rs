//! Question analysis and CSV exports for an instructor's class (filled in below).

use crate::state::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
}
