//! W2: the FTP active vs passive model.
//!
//! It owns which TCP connections an FTP download needs in each mode (active PORT, passive PASV,
//! extended passive EPSV), who opens each one, and whether a NAT or firewall on the client side,
//! or a firewall on the server side, lets it through (facts.md §7, §9 and W2). It also owns the
//! PORT/PASV/EPSV/EPRT encodings and the calculators the widget's exercises use, and the grading
//! of the predict mode's question "which connection does the server open?" ([`predict_check`]).
//!
//! [`model`] holds the types, [`params`] the settings and the names a setup is stored under,
//! [`encoding`] the PORT/227/229 arithmetic, [`scenarios`] the download step by step, [`predict`]
//! the grading and [`questions`] the quiz questions; [`FtpWidget`] is the widget as the
//! [registry](crate::widgets::registry) lists it.

pub mod encoding;
pub mod model;
pub mod params;
pub mod predict;
pub mod questions;
pub mod scenarios;
#[cfg(test)]
mod tests;

pub use encoding::*;
pub use model::*;
pub use params::*;
pub use predict::*;
pub use scenarios::simulate;

use crate::widgets::{
    Graded, Json, QuestionGenerator, ScenarioInfo, Widget, WidgetError, numbered_step, step_at,
    to_json,
};

/// FTP active vs passive in the [registry](crate::widgets::registry).
pub struct FtpWidget;

/// This widget, as the [`REGISTRY`](crate::widgets::REGISTRY) lists it.
pub static WIDGET: &dyn Widget = &FtpWidget;

impl Widget for FtpWidget {
    fn name(&self) -> &'static str {
        "ftp"
    }

    fn label(&self) -> &'static str {
        "FTP アクティブ / パッシブ"
    }

    fn short_label(&self) -> &'static str {
        "FTP"
    }

    /// The three modes with the default settings; every other setup is named by
    /// [`scenario_name`] (`active+nat`).
    fn scenarios(&self) -> Vec<ScenarioInfo> {
        ScenarioInfo::list(&Mode::ALL, Mode::name, Mode::label)
    }

    fn scenario_json(&self, query: &[(String, String)]) -> Result<Json, WidgetError> {
        to_json(&simulate(&params_from_query(query)?))
    }

    fn check(&self, body: &serde_json::Value) -> Result<Graded, WidgetError> {
        predict::check(body)
    }

    /// A setup as [`scenario_name`] wrote it, in words: 「アクティブモード (PORT)・クライアントが NAT の内側」.
    fn scenario_label(&self, scenario: &str) -> String {
        params_from_scenario_name(scenario)
            .map_or_else(|| scenario.to_owned(), |p| scenario_label(&p))
    }

    /// The step's title in that setup's run: the predict mode asks just before the data connection.
    fn step_label(&self, scenario: &str, step: i64) -> String {
        let title = params_from_scenario_name(scenario)
            .and_then(|p| step_at(&simulate(&p).steps, step).map(|st| st.title.clone()));
        numbered_step(step, title)
    }

    fn field_label(&self, field: &str) -> Option<&'static str> {
        (field == DATA_FIELD).then_some("データ接続（開く側・宛先ポート・届くか）")
    }

    fn generators(&self) -> &'static [QuestionGenerator] {
        &questions::GENERATORS
    }
}
