//! The page chrome in the course's language: the words of the frame around the notes (header, search,
//! navigation, footer, the topic page's labels, the search and error pages). A course in English gets
//! English chrome; see `content::language` for how the language is chosen.
//!
//! Each request runs inside [`scope`] (a layer in `web::router`), so the error page — rendered from an
//! `AppError`, far from the state — knows the language as well as the handlers do.

use crate::content::Language;
use crate::web::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

tokio::task_local! {
    static LANGUAGE: Language;
}

/// Layer: runs the request with the course's language in scope.
pub async fn scope(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let language = state.content().course.language;
    LANGUAGE.scope(language, next.run(request)).await
}

/// The language of the request being served (Japanese outside a request).
pub fn current() -> Language {
    LANGUAGE.try_with(|l| *l).unwrap_or_default()
}

/// A phrase in the language of the request being served, for handlers' messages.
pub fn pick(ja: &'static str, en: &'static str) -> &'static str {
    Chrome::of(current()).pick(ja, en)
}

/// The same for a message with values in it: `pick_with(|| format!(…), || format!(…))`.
pub fn pick_with(ja: impl FnOnce() -> String, en: impl FnOnce() -> String) -> String {
    match current() {
        Language::En => en(),
        Language::Ja => ja(),
    }
}

/// The words of the page frame.
#[derive(Debug)]
pub struct Chrome {
    pub lang: &'static str,
    pub skip_link: &'static str,
    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub search_button: &'static str,
    pub account: &'static str,
    pub my_classes: &'static str,
    /// After the user's name: their page.
    pub my_page_suffix: &'static str,
    pub my_page_prefix: &'static str,
    pub log_in: &'static str,
    pub sign_up: &'static str,
    pub theme_toggle: &'static str,
    pub footer: &'static str,
    // Topic pages.
    pub breadcrumb: &'static str,
    pub on_this_page: &'static str,
    pub notes: &'static str,
    pub notes_empty: &'static str,
    pub notes_empty_supplement: &'static str,
    pub supplement_badge: &'static str,
    pub supplement_title: &'static str,
    pub supplement_note: &'static str,
    pub quiz_link_open: &'static str,
    pub quiz_link_close: &'static str,
    pub quiz_done_reading: &'static str,
    pub quiz_check_open: &'static str,
    pub pager: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub course_contents: &'static str,
    /// The phone's menu button, which opens the course navigation.
    pub menu: &'static str,
    /// Its close button, inside the opened navigation.
    pub menu_close: &'static str,
    // The course map.
    pub course_map: &'static str,
    pub badge_widget_title: &'static str,
    pub badge_widget: &'static str,
    pub badge_annotation: &'static str,
    pub badge_empty_title: &'static str,
    pub badge_empty: &'static str,
    pub keys_hint_search: &'static str,
    pub keys_hint_or: &'static str,
    pub keys_hint_pages: &'static str,
    pub review_due_prefix: &'static str,
    pub review_due_suffix: &'static str,
    pub review_none: &'static str,
    pub review_progress: &'static str,
    // Search.
    pub search_title: &'static str,
    pub glossary: &'static str,
    pub no_results: &'static str,
    pub scanned: &'static str,
    pub results_suffix: &'static str,
    pub quote_open: &'static str,
    pub quote_close: &'static str,
    // Errors.
    pub back_home: &'static str,
    /// Between two links on one line.
    pub separator: &'static str,
    pub search_notes: &'static str,
}

impl Chrome {
    /// The chrome for `language`.
    pub fn of(language: Language) -> &'static Chrome {
        match language {
            Language::Ja => &JA,
            Language::En => &EN,
        }
    }

    /// One phrase in the course's language, both written where it is used: `{{ layout.t.pick("採点する",
    /// "Check answers") }}`. (The frame's phrases, used on every page, are fields above.)
    pub fn pick(&self, ja: &'static str, en: &'static str) -> &'static str {
        if self.lang == "en" { en } else { ja }
    }

    /// "このトピックのクイズ（N 問）".
    pub fn quiz_link(&self, count: &usize) -> String {
        format!("{}{count}{}", self.quiz_link_open, self.quiz_link_close)
    }

    /// "クイズで確かめる（N 問）".
    pub fn quiz_check(&self, count: &usize) -> String {
        format!("{}{count}{}", self.quiz_check_open, self.quiz_link_close)
    }

    /// "補足 N 件" as a badge.
    pub fn annotations(&self, count: &usize) -> String {
        format!("{} {count}", self.badge_annotation)
    }

    /// "NAME のページ".
    pub fn my_page(&self, name: &str) -> String {
        format!("{}{name}{}", self.my_page_prefix, self.my_page_suffix)
    }

    /// The title of a search results page.
    pub fn results_title(&self, query: &str) -> String {
        if self.lang == "en" {
            format!("Results for “{query}”")
        } else {
            format!("「{query}」の検索結果")
        }
    }

    /// The heading of an error page.
    pub fn error_heading(&self, status: axum::http::StatusCode) -> &'static str {
        use axum::http::StatusCode;
        let (ja, en) = match status {
            StatusCode::NOT_FOUND => ("ページが見つかりません", "Page not found"),
            StatusCode::FORBIDDEN => ("権限がありません", "Not allowed"),
            StatusCode::UNAUTHORIZED => ("ログインが必要です", "Please log in"),
            StatusCode::TOO_MANY_REQUESTS => ("しばらくお待ちください", "Please wait a moment"),
            StatusCode::SERVICE_UNAVAILABLE => {
                ("一時的にご利用いただけません", "Temporarily unavailable")
            }
            s if s.is_server_error() => ("サーバーエラー", "Server error"),
            _ => (
                "リクエストを処理できません",
                "The request cannot be handled",
            ),
        };
        if self.lang == "en" { en } else { ja }
    }
}

static JA: Chrome = Chrome {
    lang: "ja",
    skip_link: "本文へスキップ",
    search_label: "ノートを検索",
    search_placeholder: "検索（/ キー）",
    search_button: "検索",
    account: "アカウント",
    my_classes: "担当クラス",
    my_page_prefix: "",
    my_page_suffix: " のページ",
    log_in: "ログイン",
    sign_up: "登録",
    theme_toggle: "テーマを切り替える",
    footer: "infra-dojo — 学習ノートから生成されたページです。ノート本文は著者のメモのまま表示し、訂正と補足は「補足」として出典つきで横に添えています。",
    breadcrumb: "パンくずリスト",
    on_this_page: "このページの内容",
    notes: "ノート",
    notes_empty: "この節のノートは空です（見出しだけがあります）。",
    notes_empty_supplement: "下に infra-dojo が検証済みの資料から書いた補足資料があります。",
    supplement_badge: "補足資料",
    supplement_title: "infra-dojo の補足資料",
    supplement_note: "この内容は元のノートにはありません。infra-dojo が RFC や man ページで確かめた事実から書いたものです。",
    quiz_link_open: "このトピックのクイズ（",
    quiz_link_close: " 問）",
    quiz_done_reading: "読み終えたら",
    quiz_check_open: "クイズで確かめる（",
    pager: "前後のトピック",
    previous: "← 前",
    next: "次 →",
    course_contents: "コース目次",
    menu: "目次",
    menu_close: "閉じる",
    course_map: "コースマップ",
    badge_widget_title: "図解あり",
    badge_widget: "図解",
    badge_annotation: "補足",
    badge_empty_title: "ノートは空です",
    badge_empty: "空",
    keys_hint_search: "キーボード:",
    keys_hint_or: "または",
    keys_hint_pages: "で検索、トピックのページでは ← → で前後のトピックへ。",
    review_due_prefix: "復習が必要な問題が ",
    review_due_suffix: " 問あります",
    review_none: "いま復習が必要な問題はありません。",
    review_progress: "学習状況を見る",
    search_title: "検索",
    glossary: "用語集",
    no_results: "一致するページはありませんでした。別の言い方（英語やカタカナ）でもお試しください。",
    scanned: "（2 文字以下の語を含むため全文を走査しました）",
    results_suffix: " 件",
    quote_open: "「",
    quote_close: "」",
    back_home: "ホーム（コースマップ）へ戻る",
    separator: " ・ ",
    search_notes: "ノートを検索する",
};

static EN: Chrome = Chrome {
    lang: "en",
    skip_link: "Skip to content",
    search_label: "Search the notes",
    search_placeholder: "Search (/ key)",
    search_button: "Search",
    account: "Account",
    my_classes: "My classes",
    my_page_prefix: "",
    my_page_suffix: "’s page",
    log_in: "Log in",
    sign_up: "Sign up",
    theme_toggle: "Toggle theme",
    footer: "infra-dojo — pages generated from study notes. The notes are shown as their author wrote them; corrections sit beside them as sourced notes.",
    breadcrumb: "Breadcrumb",
    on_this_page: "On this page",
    notes: "Notes",
    notes_empty: "This section of the notes is empty (only its heading).",
    notes_empty_supplement: "Below is a supplement infra-dojo wrote from checked sources.",
    supplement_badge: "Supplement",
    supplement_title: "infra-dojo supplement",
    supplement_note: "This is not in the original notes. infra-dojo wrote it from facts checked against RFCs and man pages.",
    quiz_link_open: "Quiz on this topic (",
    quiz_link_close: " questions)",
    quiz_done_reading: "Done reading?",
    quiz_check_open: "Check yourself (",
    pager: "Previous and next topics",
    previous: "← Previous",
    next: "Next →",
    course_contents: "Course contents",
    menu: "Contents",
    menu_close: "Close",
    course_map: "Course map",
    badge_widget_title: "Has a diagram",
    badge_widget: "Diagram",
    badge_annotation: "Annotations",
    badge_empty_title: "No notes in this section",
    badge_empty: "Empty",
    keys_hint_search: "Keys:",
    keys_hint_or: "or",
    keys_hint_pages: "to search; on a topic page ← → go to the previous and next topic.",
    review_due_prefix: "",
    review_due_suffix: " questions are due for review",
    review_none: "Nothing is due for review now.",
    review_progress: "See your progress",
    search_title: "Search",
    glossary: "Glossary",
    no_results: "No page matches. Try other words.",
    scanned: " (a word of two characters or fewer: the whole text was scanned)",
    results_suffix: " results",
    quote_open: "“",
    quote_close: "”",
    back_home: "Back to the course map",
    separator: " · ",
    search_notes: "Search the notes",
};
