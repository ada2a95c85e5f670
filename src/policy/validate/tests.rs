//! Tests of the policy validator: paths, messages, and that every error is reported.
use super::*;

fn errors(text: &str) -> Vec<String> {
    match parse_policy(text) {
        Ok(_) => Vec::new(),
        Err(e) => e.lines(),
    }
}

#[test]
fn the_policylayer_example_is_valid() {
    let policy = parse_policy(
        r#"{"version":"1","default":"deny","tools":{"create_audio_track":{"limits":[
            {"counter":"create_audio_track_rate","window":"minute","max":30,"scope":"grant"}]}}}"#,
    )
    .expect("valid policy");
    assert_eq!(policy.default, Action::Deny);
    assert_eq!(policy.tools["create_audio_track"].limits[0].max, 30.0);
}

#[test]
fn a_misspelt_window_names_its_path_and_the_choices() {
    let errs = errors(
        r#"{"version":"1","tools":{"create_audio_track":{"limits":[
            {"counter":"c","window":"minite","max":30}]}}}"#,
    );
    assert_eq!(
        errs,
        [
            r#"tools.create_audio_track.limits[0].window: unknown window "minite" (did you mean "minute"?); expected second, minute, hour, day or a number of seconds"#
        ]
    );
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let errs = errors(
        r#"{"version":"1","defualt":"allow","tools":{
            "a":{"action":"alow","limts":[]},
            "b":{"conditions":[{"path":"args.x","op":"bigger","value":1},{"path":"x","op":"eq","value":1}]},
            "c":{"limits":[{"counter":"n","window":0,"max":-1,"scope":"team"}]}}}"#,
    );
    let paths: Vec<&str> = errs
        .iter()
        .map(|e| e.split(": ").next().unwrap_or(""))
        .collect();
    assert_eq!(
        paths,
        [
            "defualt",
            "tools.a.limts",
            "tools.a.action",
            "tools.b.conditions[0].op",
            "tools.b.conditions[1].path",
            "tools.c.limits[0].window",
            "tools.c.limits[0].max",
            "tools.c.limits[0].scope",
        ],
        "{errs:#?}"
    );
    assert!(errs[0].contains("did you mean \"default\""), "{}", errs[0]);
}

#[test]
fn value_types_are_checked_per_operator() {
    let errs = errors(
        r#"{"version":"1","tools":{"t":{"conditions":[
            {"path":"args.a","op":"in","value":3},
            {"path":"args.a","op":"lt","value":"3"},
            {"path":"args.a","op":"regex","value":"("},
            {"path":"args.a","op":"exists","value":"yes"},
            {"path":"args.a","op":"eq"},
            {"path":"args.a","op":"exists"}]}}}"#,
    );
    assert_eq!(errs.len(), 5, "{errs:#?}");
    assert!(errs[0].starts_with("tools.t.conditions[0].value: in takes a list"));
    assert!(errs[2].contains("not a valid regular expression"));
    assert!(errs[4].starts_with("tools.t.conditions[4]: missing \"value\""));
}

#[test]
fn shared_counters_must_agree_on_window_and_scope() {
    let errs = errors(
        r#"{"version":"1","tools":{
            "a":{"limits":[{"counter":"writes","window":"minute","max":5}]},
            "b":{"limits":[{"counter":"writes","window":"minute","max":9}]},
            "c":{"limits":[{"counter":"writes","window":"hour","max":9}]}}}"#,
    );
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].starts_with("tools.c.limits[0]: counter \"writes\" counts per minute"));
}

#[test]
fn state_paths_must_name_a_declared_counter() {
    let errs = errors(
        r#"{"version":"1","tools":{
            "a":{"limits":[{"counter":"writes","window":"minute","max":5}],
                 "conditions":[{"path":"state.writes","op":"lt","value":3},
                               {"path":"state.wrties","op":"lt","value":3}]}}}"#,
    );
    assert_eq!(
        errs,
        [
            r#"tools.a.conditions[1].path: unknown counter "wrties" (did you mean "writes"?); counters declared by limits: writes"#
        ]
    );
}

#[test]
fn categories_approvals_and_versions_are_checked() {
    let errs = errors(
        r#"{"version":1,"categories":{"Wirte":{},"Destructive":{"action":"approve",
            "approval":{"timeout_s":0,"remember":"forever"}},"Read":{"approval":{}}}}"#,
    );
    let paths: Vec<&str> = errs
        .iter()
        .map(|e| e.split(": ").next().unwrap_or(""))
        .collect();
    assert_eq!(
        paths,
        [
            "version",
            "categories.Wirte",
            "categories.Destructive.approval.timeout_s",
            "categories.Destructive.approval.remember",
            "categories.Read.approval",
        ],
        "{errs:#?}"
    );
}

#[test]
fn broken_json_reports_line_and_column() {
    let errs = errors("{\n  \"version\": \"1\",\n  \"tools\": {,}\n}");
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("(document): not valid JSON: "),
        "{}",
        errs[0]
    );
    assert!(errs[0].ends_with("at line 3 column 13"), "{}", errs[0]);
    assert_eq!(
        errors("[]"),
        ["(document): expected a JSON object, found a list"]
    );
}

#[test]
fn keys_that_would_be_ambiguous_are_quoted() {
    assert_eq!(join("tools", "delete_*"), "tools.delete_*");
    assert_eq!(join("tools", "my tool"), r#"tools["my tool"]"#);
    assert_eq!(join("", "version"), "version");
}
