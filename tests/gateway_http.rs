//! The gateway over real HTTP on 127.0.0.1, with raw JSON-RPC: every revision on one
//! endpoint, enforcement, sessions, and the gate (tokens, origins, body cap, bad input).

mod common;

use common::{echo, start, tool_text};
use serde_json::{json, Value};

const ECHO_LIMITED: &str = r#"{"version":"1","default":"deny","tools":{
    "echo":{"limits":[{"counter":"echo_rate","window":"minute","max":30,"scope":"grant"}]},
    "add":{"action":"approve"}}}"#;

#[tokio::test]
async fn handshake_revisions_initialize_list_and_call_under_the_policy() {
    let gw = start(ECHO_LIMITED, vec![echo("echo")]).await;
    for revision in ["2025-03-26", "2025-06-18", "2025-11-25"] {
        let session = gw.initialize(revision).await;
        let list = gw.call(&session, 1, "tools/list", json!({})).await;
        let names = common::tool_names(&list);
        assert_eq!(names, ["echo", "add", "fail"], "{revision}");
        let ok = gw
            .call_tool(&session, 2, "echo", json!({"text": revision}))
            .await;
        assert_eq!(tool_text(&ok), revision);
    }
    // The default denies; the agent sees why, as a tool result.
    let session = gw.initialize("2025-11-25").await;
    let denied = gw.call_tool(&session, 3, "fail", json!({})).await;
    assert_eq!(denied.status, 200);
    assert_eq!(denied.body["result"]["isError"], true);
    assert_eq!(
        tool_text(&denied),
        "Policy violation: no rule allows fail and this policy denies everything else"
    );
    assert_eq!(
        denied.body["result"]["_meta"]["livegate"]["decision"],
        "deny"
    );
    assert_eq!(
        denied.body["result"]["_meta"]["livegate"]["rule"],
        "default"
    );
    // An approve rule holds the call until the human answers; here the human says no.
    let approvals = gw.running.approvals.clone();
    let denier = tokio::spawn(async move {
        loop {
            if let Some(pending) = approvals.list().into_iter().next() {
                assert_eq!(pending.tool, "add");
                assert_eq!(pending.args, json!({"a": 1, "b": 2}));
                approvals
                    .deny(&pending.id, Some("not now".into()), "test")
                    .expect("pending");
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    });
    let ask = gw
        .call_tool(&session, 4, "add", json!({"a": 1, "b": 2}))
        .await;
    denier.await.expect("denier");
    assert_eq!(tool_text(&ask), "Denied by the user: not now");
    assert_eq!(ask.body["result"]["isError"], true);
    // Unknown tools get the JSON-RPC error the spec prescribes.
    let unknown = gw.call_tool(&session, 5, "nope", json!({})).await;
    assert_eq!(unknown.body["error"]["code"], -32602);
    assert_eq!(unknown.body["error"]["message"], "Unknown tool: nope");
}

#[tokio::test]
async fn the_31st_call_in_a_minute_is_rate_limited_per_grant() {
    let gw = start(ECHO_LIMITED, vec![echo("echo")]).await;
    let session = gw.initialize("2025-11-25").await;
    // 3 calls already went to the per-grant counter in the stateless revision.
    for id in 0..3 {
        let r = gw
            .stateless(
                id,
                "tools/call",
                json!({"name": "echo", "arguments": {"text": "s"}}),
            )
            .await;
        assert_eq!(tool_text(&r), "s");
    }
    for id in 3..30 {
        let r = gw
            .call(
                &session,
                id,
                "tools/call",
                json!({"name": "echo", "arguments": {"text": "x"}}),
            )
            .await;
        assert_eq!(
            r.body["result"]["isError"],
            Value::Null,
            "call {id}: {:?}",
            r.body
        );
    }
    let limited = gw
        .call_tool(&session, 31, "echo", json!({"text": "x"}))
        .await;
    assert_eq!(limited.body["result"]["isError"], true);
    assert!(tool_text(&limited)
        .starts_with("Rate limit exceeded: echo_rate allows 30 per minute per grant; retry after"));
    assert!(limited.body["result"]["_meta"]["livegate"]["retry_after_s"]
        .as_u64()
        .is_some_and(|s| (1..=60).contains(&s)));
}

#[tokio::test]
async fn batches_only_in_2025_03_26() {
    let gw = start(ECHO_LIMITED, vec![echo("echo")]).await;
    let old = gw.initialize("2025-03-26").await;
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "a"}}},
        {"jsonrpc": "2.0", "method": "notifications/progress", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    ]);
    let r = gw.post(&batch, &[("mcp-session-id", &old)]).await;
    assert_eq!(r.status, 200);
    let answers = r.body.as_array().expect("a batch answer");
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["result"]["content"][0]["text"], "a");
    assert_eq!(answers[1], json!({"jsonrpc": "2.0", "id": 2, "result": {}}));
    let new = gw.initialize("2025-06-18").await;
    let r = gw.post(&batch, &[("mcp-session-id", &new)]).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_i64()),
        (400, Some(-32600))
    );
}

#[tokio::test]
async fn sessions_are_required_known_and_end_on_delete() {
    let gw = start(ECHO_LIMITED, vec![echo("echo")]).await;
    let r = gw
        .post(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            &[],
        )
        .await;
    assert_eq!(r.status, 400, "no session, no stateless _meta");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("send initialize first"));
    let r = gw.call("no-such-session", 1, "tools/list", json!({})).await;
    assert_eq!(r.status, 404);
    let session = gw.initialize("2025-11-25").await;
    let r = gw.call(&session, 1, "initialize", json!({})).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_i64()),
        (400, Some(-32602)),
        "initialize needs a protocolVersion"
    );
    let deleted = gw
        .http
        .delete(&gw.url)
        .bearer_auth(&gw.token)
        .header("mcp-session-id", &session)
        .send()
        .await
        .expect("delete sent");
    assert_eq!(deleted.status(), 200);
    assert_eq!(
        gw.call(&session, 2, "tools/list", json!({})).await.status,
        404
    );
    // Another grant cannot use someone else's session.
    let other = livegate::grants::add(
        &livegate::settings::Paths::under(gw.home()).settings_file(),
        "other",
    )
    .expect("grant");
    let session = gw.initialize("2025-11-25").await;
    let r = gw
        .post_raw(
            json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})
                .to_string()
                .into_bytes(),
            &other,
            &[("mcp-session-id", &session)],
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn the_stateless_revision_checks_meta_and_headers_and_decorates_results() {
    let gw = start(ECHO_LIMITED, vec![echo("echo")]).await;
    let r = gw.stateless(1, "server/discover", json!({})).await;
    assert_eq!(r.status, 200);
    let result = &r.body["result"];
    assert_eq!(result["supportedVersions"][0], "2026-07-28");
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "livegate"
    );
    assert_eq!(result["resultType"], "complete");

    let r = gw.stateless(2, "tools/list", json!({})).await;
    assert_eq!(r.body["result"]["resultType"], "complete");
    assert_eq!(r.body["result"]["ttlMs"], 5000);
    assert_eq!(r.body["result"]["cacheScope"], "private");
    let r = gw
        .stateless(
            3,
            "tools/call",
            json!({"name": "echo", "arguments": {"text": "hey"}}),
        )
        .await;
    assert_eq!(
        (
            tool_text(&r).as_str(),
            r.body["result"]["resultType"].as_str()
        ),
        ("hey", Some("complete"))
    );

    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}});
    let call = |name: &str| json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": name, "arguments": {"text": "x"}, "_meta": meta}});
    let base = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
    ];
    // Mcp-Name missing, then different from the body.
    let r = gw.post(&call("echo"), &base).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_i64()),
        (400, Some(-32020))
    );
    let r = gw
        .post(&call("echo"), &[base[0], base[1], ("mcp-name", "fail")])
        .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_i64()),
        (400, Some(-32020))
    );
    // Mcp-Method different from the body.
    let r = gw
        .post(
            &call("echo"),
            &[base[0], ("mcp-method", "tools/list"), ("mcp-name", "echo")],
        )
        .await;
    assert_eq!(r.body["error"]["code"], -32020);
    // A name in base64 form matches.
    let r = gw
        .post(
            &call("echo"),
            &[base[0], base[1], ("mcp-name", "=?base64?ZWNobw==?=")],
        )
        .await;
    assert_eq!(tool_text(&r), "x");
    // Missing capabilities in _meta; an unsupported version; unknown and removed methods.
    let bad_meta = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}});
    let r = gw
        .post(&bad_meta, &[base[0], ("mcp-method", "tools/list")])
        .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_i64()),
        (400, Some(-32602))
    );
    let old = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2024-01-01", "io.modelcontextprotocol/clientCapabilities": {}}}});
    let r = gw
        .post(
            &old,
            &[
                ("mcp-protocol-version", "2024-01-01"),
                ("mcp-method", "tools/list"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_i64()),
        (400, Some(-32022))
    );
    assert_eq!(r.body["error"]["data"]["requested"], "2024-01-01");
    for method in ["ping", "logging/setLevel", "no/such"] {
        let r = gw.stateless(5, method, json!({})).await;
        assert_eq!(
            (r.status, r.body["error"]["code"].as_i64()),
            (404, Some(-32601)),
            "{method}"
        );
    }
    // No GET stream and no DELETE in this revision.
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let r = gw
            .http
            .request(method, &gw.url)
            .bearer_auth(&gw.token)
            .header("mcp-protocol-version", "2026-07-28")
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), 405);
    }
}

#[tokio::test]
async fn progress_requests_are_answered_as_event_streams() {
    let gw = start(ECHO_LIMITED, vec![echo("echo")]).await;
    let session = gw.initialize("2025-11-25").await;
    let r = gw
        .call(
            &session,
            7,
            "tools/call",
            json!({"name": "echo", "arguments": {"text": "streamed"}, "_meta": {"progressToken": "p1"}}),
        )
        .await;
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/event-stream"),
        "{r:?}"
    );
    assert_eq!(r.body["id"], 7);
    assert_eq!(tool_text(&r), "streamed");
}

#[tokio::test]
async fn the_gate_refuses_bad_tokens_origins_bodies_and_json() {
    let gw = start(ECHO_LIMITED, vec![echo("echo")]).await;
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})
        .to_string()
        .into_bytes();
    let r = gw.post_raw(ping.clone(), "", &[]).await;
    assert_eq!(r.status, 401);
    assert!(r.headers.contains_key("www-authenticate"));
    let r = gw.post_raw(ping.clone(), "lg_not_a_real_token", &[]).await;
    assert_eq!(r.status, 401);
    let r = gw
        .post_raw(
            ping.clone(),
            &gw.token,
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = gw
        .post_raw(
            ping.clone(),
            &gw.token,
            &[("origin", "http://localhost:5173")],
        )
        .await;
    assert_ne!(r.status, 403, "loopback origins are fine");
    let r = gw
        .post_raw(ping.clone(), &gw.token, &[("host", "attacker.example")])
        .await;
    assert_eq!(r.status, 403);
    // Over the 4 MiB cap: a clear error, and the gateway keeps serving.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":"{}"}}}}"#,
        "a".repeat(5 << 20)
    );
    let r = gw.post_raw(huge.into_bytes(), &gw.token, &[]).await;
    assert_eq!(r.status, 413);
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("larger than 4194304 bytes"));
    let r = gw.post_raw(b"{not json".to_vec(), &gw.token, &[]).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_i64()),
        (400, Some(-32700))
    );
    let r = gw
        .post_raw(
            br#"{"jsonrpc":"2.0","id":1,"method":5}"#.to_vec(),
            &gw.token,
            &[],
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_i64()),
        (400, Some(-32600))
    );
    let r = gw
        .http
        .post(&gw.url)
        .bearer_auth(&gw.token)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 415);
    // After all that, a normal session still works.
    let session = gw.initialize("2025-11-25").await;
    let r = gw
        .call_tool(&session, 1, "echo", json!({"text": "still here"}))
        .await;
    assert_eq!(tool_text(&r), "still here");
}

#[tokio::test]
async fn paused_agents_may_only_read() {
    let gw = start(r#"{"version":"1","default":"allow"}"#, vec![echo("echo")]).await;
    let session = gw.initialize("2025-11-25").await;
    gw.running.gateway.set_paused(true);
    let read = gw
        .call_tool(&session, 1, "echo", json!({"text": "r"}))
        .await;
    assert_eq!(tool_text(&read), "r");
    let write = gw.call_tool(&session, 2, "fail", json!({})).await;
    assert_eq!(tool_text(&write), "Policy violation: paused by the user");
    gw.running.gateway.set_paused(false);
    let write = gw.call_tool(&session, 3, "fail", json!({})).await;
    assert_eq!(
        tool_text(&write),
        "this tool always fails",
        "the upstream's own tool error passes through"
    );
}

#[tokio::test]
async fn colliding_tool_names_are_namespaced_and_resources_prompts_pass_through() {
    let gw = start(
        r#"{"version":"1","default":"allow"}"#,
        vec![echo("left"), echo("right")],
    )
    .await;
    let session = gw.initialize("2025-11-25").await;
    let list = gw.call(&session, 1, "tools/list", json!({})).await;
    let names = common::tool_names(&list);
    assert_eq!(
        names,
        [
            "left.echo",
            "left.add",
            "left.fail",
            "right.echo",
            "right.add",
            "right.fail"
        ]
    );
    let r = gw
        .call_tool(&session, 2, "right.add", json!({"a": 2, "b": 3}))
        .await;
    assert_eq!(r.body["result"]["structuredContent"]["sum"], 5.0);
    let resources = gw.call(&session, 3, "resources/list", json!({})).await;
    assert_eq!(
        resources.body["result"]["resources"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let read = gw
        .call(
            &session,
            4,
            "resources/read",
            json!({"uri": "echo://right/readme"}),
        )
        .await;
    assert_eq!(read.body["result"]["contents"][0]["text"], "echo upstream");
    let prompt = gw
        .call(
            &session,
            5,
            "prompts/get",
            json!({"name": "greet", "arguments": {"who": "Live"}}),
        )
        .await;
    assert_eq!(
        prompt.body["result"]["messages"][0]["content"]["text"],
        "Hello, Live!"
    );
    let missing = gw
        .call(
            &session,
            6,
            "resources/read",
            json!({"uri": "echo://nowhere"}),
        )
        .await;
    assert!(missing.body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("Resource not found"));
    let unknown = gw
        .call(&session, 7, "sampling/createMessage", json!({}))
        .await;
    assert_eq!(unknown.body["error"]["code"], -32601);
}

#[tokio::test]
async fn hidden_tools_are_not_listed_and_cannot_be_called_and_edits_apply_live() {
    let gw = start(
        r#"{"version":"1","default":"allow","hide":["fail"]}"#,
        vec![echo("echo")],
    )
    .await;
    let session = gw.initialize("2025-11-25").await;
    let names = |r: &common::Reply| -> Vec<String> {
        r.body["result"]["tools"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|t| t["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let list = gw.call(&session, 1, "tools/list", json!({})).await;
    assert_eq!(names(&list), ["echo", "add"]);
    let call = gw.call_tool(&session, 2, "fail", json!({})).await;
    assert_eq!(
        tool_text(&call),
        "Policy violation: fail is hidden by this policy"
    );
    assert_eq!(call.body["result"]["_meta"]["livegate"]["rule"], "hide[0]");
    // Edit the policy file: the next list and call follow the new policy.
    let policy = livegate::settings::Paths::under(gw.home()).policy_file();
    std::fs::write(
        &policy,
        r#"{"version":"1","default":"allow","hide":["echo"]}"#,
    )
    .expect("policy written");
    let mut listed = Vec::new();
    for _ in 0..100 {
        listed = names(&gw.call(&session, 3, "tools/list", json!({})).await);
        if listed == ["add", "fail"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(listed, ["add", "fail"], "the edit was not applied");
    // A broken edit keeps the last good policy.
    std::fs::write(&policy, r#"{"version":"1","default":"alow"}"#).expect("policy written");
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(
        names(&gw.call(&session, 4, "tools/list", json!({})).await),
        ["add", "fail"]
    );
}

#[tokio::test]
async fn stopping_does_not_wait_forever_for_open_notification_streams() {
    let gw = start(r#"{"version":"1","default":"allow"}"#, vec![echo("echo")]).await;
    let session = gw.initialize("2025-11-25").await;
    let stream = gw
        .http
        .get(&gw.url)
        .bearer_auth(&gw.token)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session)
        .send()
        .await
        .expect("GET stream");
    assert_eq!(stream.status(), 200);
    let started = std::time::Instant::now();
    gw.running.stop().await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "stop hung on an open stream"
    );
    drop(stream);
}
