//! The `livegate` binary as a user runs it: `check`, `explain`, `schema`, and `serve`
//! applying edits to the policy file while it runs. Each test runs the real executable.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::process::{livegate, serve_in};

fn run(args: &[&str]) -> Output {
    livegate()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running livegate {args:?}: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every policy file shipped in `policies/` (the JSON Schema beside them is not a policy).
fn shipped_policies() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("policies/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && !p.ends_with("schema.json"))
        .collect();
    files.sort();
    files
}

#[test]
fn check_passes_every_shipped_policy() {
    let files = shipped_policies();
    assert!(
        files.len() >= 2,
        "expected the shipped policies, found {files:?}"
    );
    for file in files {
        let out = run(&["check", &file.to_string_lossy()]);
        assert!(out.status.success(), "{}: {}", file.display(), stdout(&out));
        assert!(stdout(&out).contains(": ok ("), "{}", stdout(&out));
    }
}

#[test]
fn check_fails_broken_policies_with_json_paths() {
    let cases: &[(&str, &[&str])] = &[
        (
            "bad-window.json",
            &[r#"tools.create_audio_track.limits[0].window: unknown window "minite" (did you mean "minute"?); expected second, minute, hour, day or a number of seconds"#],
        ),
        (
            "unknown-fields.json",
            &["defualt: unknown field", "tools.create_audio_track.limts: unknown field"],
        ),
        (
            "bad-values.json",
            &[
                "version: ",
                "default: ",
                "hide[0]: ",
                "categories.Destructive.approval.timeout_s: ",
                "categories.Destructive.approval.remember: ",
                "categories.Writes: ",
                "tools.set_tempo.conditions[0].op: ",
                "tools.set_tempo.conditions[1].path: ",
                "tools.set_tempo.conditions[2].value: not a valid regular expression: unclosed character class",
                "tools.set_tempo.limits[0].window: ",
                "tools.set_tempo.limits[0].max: ",
                "tools.set_tempo.limits[0].scope: ",
            ],
        ),
        (
            "shared-counter-conflict.json",
            &["tools.set_clip_name.limits[0]: counter \"edits\"", "tools.fire_clip.conditions[0].path: unknown counter \"edit\""],
        ),
        ("not-json.json", &["(document): not valid JSON: trailing comma at line 4 column 39"]),
    ];
    for (file, expected) in cases {
        let path = format!("tests/fixtures/policies/broken/{file}");
        let out = run(&["check", &path]);
        assert_eq!(out.status.code(), Some(1), "{file} should fail");
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), expected.len(), "{file}:\n{text}");
        for (line, want) in lines.iter().zip(expected.iter()) {
            let line = line.strip_prefix(&format!("{path}: ")).unwrap_or(line);
            assert!(
                line.starts_with(want),
                "{file}: {line:?} should start with {want:?}"
            );
        }
    }
    // Several files at once: one bad file fails the run, the good one is still reported.
    let out = run(&[
        "check",
        "policies/ableton-default.json",
        "tests/fixtures/policies/broken/bad-window.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("policies/ableton-default.json: ok"));
    let out = run(&["check", "no/such/file.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("cannot read"), "{}", stdout(&out));
}

#[test]
fn explain_says_which_rule_decides_and_why() {
    let out = run(&[
        "explain",
        "policies/policylayer-ableton.json",
        "create_audio_track",
    ]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("rule:      tools.create_audio_track (a tools entry with its exact name)"),
        "{text}"
    );
    assert!(
        text.contains("limit:     create_audio_track_rate at 0/30 minute per grant"),
        "{text}"
    );
    assert!(text.ends_with("decision:  allow\n"), "{text}");

    let out = run(&[
        "explain",
        "policies/policylayer-ableton.json",
        "delete_track",
        r#"{"track_index": 1}"#,
    ]);
    assert_eq!(out.status.code(), Some(1), "denied calls exit 1");
    assert!(stdout(&out).contains("no rule matched, so the policy's default"));

    let out = run(&[
        "explain",
        "policies/ableton-default.json",
        "set_tempo",
        r#"{"tempo": 1200}"#,
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert_eq!(json["rule"], "tools.set_tempo");
    assert_eq!(json["conditions"][1]["holds"], false);
    assert_eq!(json["outcome"]["decision"], "deny");

    let out = run(&[
        "explain",
        "policies/ableton-default.json",
        "other.list_things",
        "--annotations",
        r#"{"readOnlyHint": true}"#,
    ]);
    assert!(
        stdout(&out).contains("category:  Read (from the tool's MCP annotations)"),
        "{}",
        stdout(&out)
    );

    let out = run(&[
        "explain",
        "policies/ableton-default.json",
        "set_tempo",
        "{not json",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid JSON"));
}

#[test]
fn the_shipped_schema_matches_the_model() {
    let out = run(&["schema"]);
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("schema is JSON");
    let shipped_text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/schema.json"))
            .expect("policies/schema.json exists");
    let shipped: serde_json::Value =
        serde_json::from_str(&shipped_text).expect("shipped schema is JSON");
    assert_eq!(
        printed, shipped,
        "policies/schema.json is stale: run `livegate schema > policies/schema.json`"
    );
}

#[test]
fn serve_writes_the_recommended_policy_then_applies_valid_edits_and_rejects_bad_ones() {
    let home = tempfile::tempdir().expect("temp dir");
    let (mut lines, _guard) = serve_in(home.path());

    lines.wait_for("wrote livegate's recommended Ableton policy");
    let summary = lines.wait_for("known tools:");
    assert!(summary.contains("128 known tools"), "{summary}");
    assert!(summary.contains("13 ask you first"), "{summary}");
    lines.wait_for("watching");

    let policy = home.path().join("config/policy.json");
    std::fs::write(&policy, r#"{"version":"1","default":"alow"}"#).expect("write policy");
    lines.wait_for("edit rejected, the last good policy stays in force");
    let why = lines.wait_for("default: unknown action");
    assert!(why.contains("did you mean \"allow\""), "{why}");

    // An atomic save (write elsewhere, rename over) is seen too.
    let staged = home.path().join("config/.policy.json.tmp");
    std::fs::write(&staged, livegate::policy::builtin::POLICYLAYER_ABLETON_JSON)
        .expect("write policy");
    std::fs::rename(&staged, &policy).expect("rename policy");
    let summary = lines.wait_for("known tools:");
    assert!(
        summary.contains("1 allowed within limits or conditions"),
        "{summary}"
    );
    assert!(summary.contains("127 denied"), "{summary}");

    std::fs::remove_file(&policy).expect("remove policy");
    lines.wait_for("policy file removed: denying every call");
}

#[test]
fn import_intercept_writes_a_valid_policy_and_lists_what_it_could_not_translate() {
    let out = run(&[
        "import",
        "intercept",
        "tests/fixtures/intercept/github.yaml",
    ]);
    assert!(out.status.success());
    let policy: serde_json::Value = serde_json::from_slice(&out.stdout).expect("prints JSON");
    assert_eq!(
        policy["default"], "allow",
        "Intercept's missing default means allow"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("everything was translated"));

    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("stripe.json");
    let target_arg = target.to_string_lossy();
    let out = run(&[
        "import",
        "intercept",
        "tests/fixtures/intercept/valid_policy.yaml",
        "-o",
        &target_arg,
        "--strict",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--strict fails when parts were not translated"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 part(s) not translated"), "{stderr}");
    assert!(stderr.contains("tools.create_charge.rules: "), "{stderr}");
    let check = run(&["check", &target_arg]);
    assert!(
        check.status.success(),
        "imported policy must pass check: {}",
        stdout(&check)
    );

    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "version: \"2\"\ntools: {}\n").expect("write yaml");
    let out = run(&["import", "intercept", &bad.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("version"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn scan_writes_a_starter_policy_for_a_real_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let description = dir.path().join("description.txt");
    std::fs::write(&description, "Shouts the text back.").expect("write");
    let output = dir.path().join("starter.json");
    let out = run(&[
        "scan",
        "-o",
        &output.to_string_lossy(),
        "--",
        "python3",
        "tests/peers/toy_server.py",
        &description.to_string_lossy(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let policy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&output).expect("written")).expect("JSON");
    assert_eq!(policy["default"], "deny");
    assert_eq!(policy["tools"]["shout"]["action"], "allow");
    assert_eq!(
        policy["tools"]["shout"]["reason"],
        "Write (from no annotations, so treated as Write): changes things, so at most 60 calls a minute."
    );
    let check = run(&["check", &output.to_string_lossy()]);
    assert!(check.status.success(), "{}", stdout(&check));

    let out = run(&["scan", "--", "no-such-program-here"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot start `no-such-program-here`"));
}

#[test]
fn grants_are_added_listed_and_revoked_and_connect_says_when_no_gateway_runs() {
    let home = tempfile::tempdir().expect("temp dir");
    let with_home = |args: &[&str]| {
        livegate()
            .args(args)
            .env("LIVEGATE_HOME", home.path())
            .env_remove("LIVEGATE_TOKEN")
            .env_remove("LIVEGATE_URL")
            .output()
            .expect("livegate runs")
    };
    let add = with_home(&["grant", "add", "claude-desktop"]);
    assert!(add.status.success());
    let token = stdout(&add).trim().to_string();
    assert!(token.starts_with("lg_"), "{token}");
    assert!(String::from_utf8_lossy(&add.stderr).contains("shown only now"));
    let settings =
        std::fs::read_to_string(home.path().join("config/settings.json")).expect("settings");
    assert!(!settings.contains(&token), "only the hash is stored");
    assert!(stdout(&with_home(&["grant", "list"])).starts_with("claude-desktop\tcreated "));
    assert!(!with_home(&["grant", "add", "claude-desktop"])
        .status
        .success());
    assert!(with_home(&["grant", "revoke", "claude-desktop"])
        .status
        .success());
    assert!(stdout(&with_home(&["grant", "list"])).contains("no grants yet"));

    let out = with_home(&[
        "connect",
        "--url",
        "http://127.0.0.1:9/mcp",
        "--token",
        &token,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no livegate is answering at http://127.0.0.1:9/mcp"),
        "{err}"
    );
    assert!(
        err.contains("livegate serve") && err.contains("--embedded"),
        "{err}"
    );
    let out = with_home(&["connect"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no grant token"));
}

#[test]
fn pause_and_resume_reach_a_running_gateway() {
    let home = tempfile::tempdir().expect("temp dir");
    let (mut lines, _guard) = serve_in(home.path());
    lines.wait_for("watching");
    let pause = livegate()
        .arg("pause")
        .env("LIVEGATE_HOME", home.path())
        .output()
        .expect("pause runs");
    assert!(stdout(&pause).contains("agents paused"));
    lines.wait_for("agents paused");
    let resume = livegate()
        .arg("resume")
        .env("LIVEGATE_HOME", home.path())
        .output()
        .expect("resume runs");
    assert!(resume.status.success());
    lines.wait_for("agents resumed");
}

#[test]
fn scan_reaches_an_http_server_with_headers() {
    let home = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(home.path().join("config")).expect("config dir");
    std::fs::write(
        home.path().join("config/settings.json"),
        r#"{"upstreams": [{"name": "echo", "type": "builtin", "builtin": "echo"}]}"#,
    )
    .expect("settings");
    let grant = livegate()
        .args(["grant", "add", "scanner"])
        .env("LIVEGATE_HOME", home.path())
        .output()
        .expect("grant");
    let token = stdout(&grant).trim().to_string();
    let (mut lines, _guard) = serve_in(home.path());
    let endpoint = lines.wait_for("MCP endpoint for agents:");
    let url = endpoint.rsplit(' ').next().expect("url").to_string();
    let auth = format!("Authorization: Bearer {token}");
    let out = run(&["scan", "--upstream", &url, "--header", &auth]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let policy: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON policy");
    assert_eq!(policy["tools"]["echo"]["action"], "allow");
    assert_eq!(
        policy["tools"]["fail"]["reason"],
        "Write (from its MCP annotations): changes things, so at most 60 calls a minute."
    );
}
