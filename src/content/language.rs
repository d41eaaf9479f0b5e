//! The course's language: named in `course.toml` (`language = "en"` or `"ja"`) or, when it is not, read off
//! the notes themselves. It picks the words infra-dojo adds around the notes — in rendered content here
//! ([`Words`]), and in the page chrome (`web::chrome`) — so an English notes file gets English pages.

/// A language infra-dojo can frame a course in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// Japanese: the notes this project was made for.
    #[default]
    Ja,
    En,
}

impl Language {
    /// The BCP 47 code, for `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Language::Ja => "ja",
            Language::En => "en",
        }
    }

    /// The language `course.toml` names, if it is one infra-dojo speaks.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "ja" | "ja-jp" => Some(Language::Ja),
            "en" | "en-us" | "en-gb" => Some(Language::En),
            _ => None,
        }
    }

    /// The notes' language, when `course.toml` does not say: Japanese if at least one letter in ten is
    /// kana or a CJK ideograph. Japanese technical notes are full of Latin terms (SYN, fork), and English
    /// notes may quote a Japanese word, so a share rather than "any kana" decides.
    pub fn detect(notes: &str) -> Self {
        let (mut japanese, mut latin) = (0usize, 0usize);
        for c in notes.chars() {
            match c {
                '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' => {
                    japanese += 1
                }
                c if c.is_ascii_alphabetic() => latin += 1,
                _ => {}
            }
        }
        if japanese * 10 >= japanese + latin && japanese > 0 {
            Language::Ja
        } else {
            Language::En
        }
    }

    /// The words for rendered content in this language.
    pub fn words(self) -> &'static Words {
        match self {
            Language::Ja => &JA,
            Language::En => &EN,
        }
    }
}

/// What infra-dojo writes into rendered content: labels around annotations, images, links, supplements.
#[derive(Debug)]
pub struct Words {
    /// The badge on an annotation.
    pub annotation: &'static str,
    /// Before an annotation's source.
    pub source: &'static str,
    /// The table-of-contents entry for the notes.
    pub notes: &'static str,
    /// The table-of-contents entry for a widget, before its label.
    pub widget: &'static str,
    /// The table-of-contents entry for infra-dojo's supplement.
    pub supplement: &'static str,
    /// What a search result is: a topic heading, or a block of a supplement.
    pub heading_kind: &'static str,
    pub supplement_kind: &'static str,
    /// … an interactive widget (its description and scenarios), or a quiz question (its prompt only).
    pub widget_kind: &'static str,
    pub question_kind: &'static str,
    /// The course title when neither the notes nor the manifest give one.
    pub untitled: &'static str,
    /// Read by screen readers after a link that leaves the site.
    pub external_site: &'static str,
    /// An image without alt text.
    pub no_description: &'static str,
    /// Labels around an image from another host, which is never loaded: (aria-label prefix, shown
    /// before the alt text, shown after it, why it is not loaded, the link to the original).
    pub image: &'static str,
    pub image_open: &'static str,
    pub image_close: &'static str,
    pub image_not_loaded: &'static str,
    pub image_link: &'static str,
}

static JA: Words = Words {
    annotation: "補足",
    source: "出典: ",
    notes: "ノート",
    widget: "図解: ",
    supplement: "infra-dojo の補足資料",
    heading_kind: "見出し",
    supplement_kind: "補足資料",
    widget_kind: "図解",
    question_kind: "クイズの問題",
    untitled: "ノート",
    external_site: "（外部サイト）",
    no_description: "（説明なし）",
    image: "画像: ",
    image_open: "画像「",
    image_close: "」",
    image_not_loaded: "外部サイトの画像のため、ここでは読み込みません。",
    image_link: "元の画像を開く",
};

static EN: Words = Words {
    annotation: "Annotation",
    source: "Source: ",
    notes: "Notes",
    widget: "Diagram: ",
    supplement: "infra-dojo supplement",
    heading_kind: "Heading",
    supplement_kind: "Supplement",
    widget_kind: "Diagram",
    question_kind: "Quiz question",
    untitled: "Notes",
    external_site: " (external site)",
    no_description: "(no description)",
    image: "Image: ",
    image_open: "Image “",
    image_close: "”",
    image_not_loaded: "An image from another site is not loaded here.",
    image_link: "Open the original image",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_notes_full_of_latin_terms_are_japanese() {
        assert_eq!(
            Language::detect("### TCP\n- SYN, SYN/ACK, ACK の 3-way handshake で接続を確立する\n"),
            Language::Ja
        );
        assert_eq!(
            Language::detect(include_str!("../../content/notes.md")),
            Language::Ja
        );
    }

    #[test]
    fn english_notes_quoting_a_japanese_word_are_english() {
        assert_eq!(
            Language::detect(
                "### Processes\nA process is a running program. The Japanese word is プロセス.\n"
            ),
            Language::En
        );
        assert_eq!(
            Language::detect("### 1\n- 2\n"),
            Language::En,
            "no letters at all"
        );
    }

    #[test]
    fn codes() {
        assert_eq!(Language::from_code("EN"), Some(Language::En));
        assert_eq!(Language::from_code("ja"), Some(Language::Ja));
        assert_eq!(Language::from_code("fr"), None);
        assert_eq!(Language::En.code(), "en");
    }
}
