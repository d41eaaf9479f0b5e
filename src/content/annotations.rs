//! Annotation files (`annotations/<slug>.md`): corrections and additions shown beside the notes, each with
//! its source. The notes are never edited; an annotation names an anchor — text that occurs in exactly one
//! list item or paragraph of its topic — and appears right after that block.
//!
//! ```text
//! ::: anchor="ただし、シーケンス番号はランダムな値になる" title="ISN は各側が選ぶ" source="RFC 9293 §3.4.1"
//! 本文（Markdown）
//! :::
//! ```

/// One annotation as written in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    pub anchor: String,
    pub title: String,
    pub source: String,
    /// Markdown body.
    pub body: String,
    /// 1-based line of the opening `:::` line.
    pub line: usize,
}

/// Parses an annotation file. Errors are `(line, message)`.
pub fn parse(text: &str) -> Result<Vec<Annotation>, Vec<(usize, String)>> {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    // The open block: its annotation (None when its opening line was malformed, so that its body is
    // skipped instead of reported line by line), its opening line, and its body lines.
    let mut open: Option<(Option<Annotation>, usize, Vec<&str>)> = None;
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let trimmed = line.trim_end();
        match open.take() {
            Some((annotation, _, body)) if trimmed == ":::" => {
                let Some(mut annotation) = annotation else {
                    continue;
                };
                annotation.body = body.join("\n").trim().to_string();
                if annotation.body.is_empty() {
                    problems.push((annotation.line, "補足の本文が空です".to_string()));
                } else {
                    found.push(annotation);
                }
            }
            Some((annotation, opened, mut body)) => {
                if trimmed.starts_with("::: ") {
                    problems.push((
                        number,
                        format!(
                            "{opened} 行目の補足が ::: で閉じられる前に次の補足が始まっています"
                        ),
                    ));
                }
                body.push(line);
                open = Some((annotation, opened, body));
            }
            None if trimmed.starts_with(":::") => {
                let annotation = match parse_opening(trimmed) {
                    Ok((anchor, title, source)) => Some(Annotation {
                        anchor,
                        title,
                        source,
                        body: String::new(),
                        line: number,
                    }),
                    Err(message) => {
                        problems.push((number, message));
                        None
                    }
                };
                open = Some((annotation, number, Vec::new()));
            }
            None if trimmed.trim().is_empty() || trimmed.starts_with("<!--") => {}
            None => problems.push((
                number,
                "補足ブロック（::: で始まる行）の外に文字があります".to_string(),
            )),
        }
    }
    if let Some((_, opened, _)) = open {
        problems.push((opened, "補足が ::: で閉じられていません".to_string()));
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(problems)
    }
}

/// `::: anchor="…" title="…" source="…"` → the three values.
fn parse_opening(line: &str) -> Result<(String, String, String), String> {
    let mut rest = line.trim_start_matches(':').trim();
    let mut values = std::collections::HashMap::new();
    while !rest.is_empty() {
        let Some(eq) = rest.find("=\"") else {
            return Err(format!(
                "属性の形が正しくありません: {rest}（name=\"値\" の形で書きます）"
            ));
        };
        let name = rest[..eq].trim().to_string();
        let after = &rest[eq + 2..];
        let Some(close) = after.find('"') else {
            return Err(format!("属性 {name} の \" が閉じられていません"));
        };
        values.insert(name, after[..close].to_string());
        rest = after[close + 1..].trim_start();
    }
    let mut take = |name: &str| match values.remove(name) {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => Err(format!("属性 {name}=\"…\" がありません")),
    };
    let triple = (take("anchor")?, take("title")?, take("source")?);
    if let Some(extra) = values.keys().next() {
        return Err(format!(
            "知らない属性です: {extra}（使えるのは anchor, title, source）"
        ));
    }
    Ok(triple)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocks() {
        let text = "::: anchor=\"P38\" title=\"図\" source=\"fork(2)\"\n本文\n\n- a\n:::\n\n::: anchor=\"x\" title=\"t\" source=\"s\"\nb\n:::\n";
        let found = parse(text).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].anchor, "P38");
        assert_eq!(found[0].body, "本文\n\n- a");
        assert_eq!(found[1].line, 7);
    }

    #[test]
    fn reports_problems_with_lines() {
        let errors = parse("stray\n::: anchor=\"a\" title=\"t\"\nx\n:::\n::: anchor=\"b\" title=\"t\" source=\"s\"\nopen\n").unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|(l, _)| *l).collect();
        assert_eq!(
            lines,
            vec![1, 2, 5],
            "stray text, a missing attribute, an unclosed block: {errors:?}"
        );
        assert!(errors[1].1.contains("source"));
    }
}
