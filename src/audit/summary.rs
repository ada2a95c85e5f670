//! A one-line summary of an MCP tool result, for the audit log's `summary` column.

use serde_json::Value;

/// The longest summary, in characters.
pub const SUMMARY_MAX_CHARS: usize = 160;

/// A short summary of an MCP tool result (`{"content": [...], "structuredContent": ...}`):
/// its first text content, else its structured content as JSON, else the kind of its first
/// content (`[image]`); on one line (whitespace runs become one space), at most
/// [`SUMMARY_MAX_CHARS`] characters (cut ones end in `…`). Empty when there is nothing to
/// show (the log stores an empty summary as none).
pub fn summarize_result(result: &Value) -> String {
    summarize(result).unwrap_or_default()
}

/// [`summarize_result`], `None` when there is nothing.
fn summarize(result: &Value) -> Option<String> {
    let content = result.get("content").and_then(Value::as_array);
    let first_text = content.and_then(|items| {
        items.iter().find_map(|item| {
            (item.get("type").and_then(Value::as_str) == Some("text"))
                .then(|| item.get("text").and_then(Value::as_str))
                .flatten()
        })
    });
    let text = match first_text {
        Some(text) => text.to_string(),
        None => match result.get("structuredContent") {
            Some(structured) if !structured.is_null() => structured.to_string(),
            _ => {
                let kind = content
                    .and_then(|items| items.first())
                    .and_then(|item| item.get("type"))
                    .and_then(Value::as_str)?;
                format!("[{kind}]")
            }
        },
    };
    one_line(&text, SUMMARY_MAX_CHARS)
}

/// `text` on one line, trimmed and cut to `max` characters; `None` when empty.
fn one_line(text: &str, max: usize) -> Option<String> {
    let mut line = String::new();
    let mut count = 0;
    for word in text.split_whitespace() {
        let needed = word.chars().count() + usize::from(!line.is_empty());
        if count + needed > max {
            let room = max.saturating_sub(count + usize::from(!line.is_empty()) + 1);
            if room > 0 {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.extend(word.chars().take(room));
            }
            line.push('…');
            return Some(line);
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        count += needed;
    }
    (!line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn first_text_on_one_line() {
        let result = json!({"content": [
            {"type": "image", "data": "..", "mimeType": "image/png"},
            {"type": "text", "text": "  Tempo set\n to\t120 BPM  "},
            {"type": "text", "text": "second"}
        ]});
        assert_eq!(summarize_result(&result), "Tempo set to 120 BPM");
    }

    #[test]
    fn long_text_is_cut_to_160_characters() {
        let long = "é".repeat(100) + " " + &"x".repeat(300);
        let summary = summarize_result(&json!({"content": [{"type": "text", "text": long}]}));
        assert_eq!(summary.chars().count(), SUMMARY_MAX_CHARS);
        assert!(summary.ends_with('…') && summary.starts_with("éé"));
        let exact = "a".repeat(160);
        let kept = summarize_result(&json!({"content": [{"type": "text", "text": exact}]}));
        assert_eq!(kept, exact);
    }

    #[test]
    fn structured_content_then_content_kind_then_nothing() {
        assert_eq!(
            summarize_result(&json!({"content": [], "structuredContent": {"tempo": 120}})),
            r#"{"tempo":120}"#
        );
        assert_eq!(
            summarize_result(&json!({"content": [{"type": "image", "data": ""}]})),
            "[image]"
        );
        for nothing in [
            json!({"content": []}),
            json!({"content": [{"type": "text", "text": " \n "}]}),
            json!("not a result"),
            Value::Null,
        ] {
            assert_eq!(summarize_result(&nothing), "", "{nothing}");
        }
    }
}
