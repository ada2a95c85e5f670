//! The words of approval prompts. The bridge itself is tested against a real notification
//! server (dunst on a private D-Bus) in `tests/notifications.rs`.

use livegate::policy::Remember;
use serde_json::json;

use super::*;

fn approval(tool: &str, args: serde_json::Value, reason: Option<&str>) -> PendingApproval {
    PendingApproval {
        id: "id-1".into(),
        tool: tool.into(),
        args,
        args_hash: String::new(),
        grant: "claude".into(),
        session: None,
        rule: "tools.delete_track".into(),
        reason: reason.map(str::to_string),
        remember: Remember::Once,
        timeout_s: 120,
        created_ms: 0,
        deadline_ms: 120_000,
        seconds_left: 120,
    }
}

const DUNST: ServerCaps = ServerCaps {
    actions: true,
    body_markup: true,
};

#[test]
fn the_prompt_names_grant_tool_exact_arguments_reason_and_deadline() {
    let text = PromptText::for_approval(
        &approval(
            "delete_track",
            json!({"track_index": 2}),
            Some("deleting loses work"),
        ),
        ServerCaps {
            actions: true,
            body_markup: false,
        },
    );
    assert_eq!(text.summary, "claude wants to run delete_track");
    assert_eq!(
        text.body,
        "{\"track_index\":2}\ndeleting loses work\nNo answer within 2 min means no."
    );
}

#[test]
fn agent_text_cannot_add_markup_or_lines() {
    let text = PromptText::for_approval(
        &approval(
            "set_name\nApprove",
            json!({"name": "<b>ok</b> & \"x\""}),
            Some("a\nb"),
        ),
        DUNST,
    );
    assert_eq!(text.summary, "claude wants to run set_name Approve");
    assert!(!text.body.contains('<'), "{}", text.body);
    assert!(
        text.body.starts_with(
            "{&quot;name&quot;:&quot;&lt;b&gt;ok&lt;/b&gt; &amp; \\&quot;x\\&quot;&quot;}\na b\n"
        ),
        "{}",
        text.body
    );
}

#[test]
fn long_arguments_are_cut_short_on_a_character_boundary() {
    let long = "é".repeat(1000);
    let plain = ServerCaps {
        actions: true,
        body_markup: false,
    };
    let text = PromptText::for_approval(&approval("t", json!({ "s": long }), None), plain);
    let first = text.body.lines().next().unwrap_or_default();
    assert_eq!(first.chars().count(), ARGS_SHOWN + 1);
    assert!(first.ends_with('…'));
}

#[test]
fn without_actions_the_prompt_says_where_to_answer() {
    let text = PromptText::for_approval(
        &approval("t", json!({}), None),
        ServerCaps {
            actions: false,
            body_markup: false,
        },
    );
    assert!(
        text.body.ends_with("Open livegate to approve or deny it."),
        "{}",
        text.body
    );
}

#[test]
fn capabilities_are_read_from_their_names() {
    assert_eq!(
        ServerCaps::from_names(&["body", "actions", "body-markup", "persistence"]),
        DUNST
    );
    assert_eq!(
        ServerCaps::from_names(&["body"]),
        ServerCaps {
            actions: false,
            body_markup: false
        }
    );
}

#[test]
fn deadlines_read_naturally() {
    for (s, words) in [
        (5, "5 s"),
        (89, "89 s"),
        (90, "2 min"),
        (120, "2 min"),
        (3600, "60 min"),
        (5400, "1 h 30 min"),
        (7200, "2 h"),
    ] {
        assert_eq!(duration_words(s), words);
    }
}
