//! Bad input never hurts the gateway: 10,000 random messages (random JSON, broken JSON-RPC,
//! real methods with random params, random headers) each get an HTTP answer that is not a
//! server error, and afterwards a normal session still works and policy still holds.

mod common;

use common::{echo, start, tool_text};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

const MESSAGES: usize = 10_000;

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
        prop::sample::select(vec![
            "2.0",
            "tools/call",
            "echo",
            "fail",
            "2026-07-28",
            "2025-06-18"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map("[a-z_/]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A message body: mostly JSON-RPC-shaped with random parts, some random JSON, some junk.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let methods = prop::sample::select(vec![
        "initialize",
        "ping",
        "tools/list",
        "tools/call",
        "resources/read",
        "prompts/get",
        "server/discover",
        "subscriptions/listen",
        "notifications/initialized",
        "notifications/cancelled",
        "completion/complete",
        "logging/setLevel",
        "nope/nope",
    ]);
    let id = prop_oneof![
        Just(json!(1)),
        Just(json!("x")),
        Just(Value::Null),
        any_json()
    ];
    let params = prop_oneof![
        Just(None),
        any_json().prop_map(Some),
        (any_json(), any_json()).prop_map(|(name, args)| Some(json!({"name": name, "arguments": args}))),
        any_json().prop_map(|args| Some(json!({"name": "echo", "arguments": args,
            "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}))),
        Just(Some(json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "f", "version": "1"}}))),
    ];
    let rpc = (
        prop::option::of(prop_oneof![Just(json!("2.0")), any_json()]),
        prop::option::of(id),
        prop::option::of(methods),
        params,
    )
        .prop_map(|(jsonrpc, id, method, params)| {
            let mut m = serde_json::Map::new();
            if let Some(v) = jsonrpc {
                m.insert("jsonrpc".into(), v);
            }
            if let Some(v) = id {
                m.insert("id".into(), v);
            }
            if let Some(v) = method {
                m.insert("method".into(), json!(v));
            }
            if let Some(v) = params {
                m.insert("params".into(), v);
            }
            Value::Object(m).to_string().into_bytes()
        });
    prop_oneof![
        6 => rpc,
        2 => any_json().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => prop::collection::vec(any_json(), 0..4).prop_map(|v| Value::Array(v).to_string().into_bytes()),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    let version = prop::sample::select(vec![
        "2025-03-26",
        "2025-06-18",
        "2025-11-25",
        "2026-07-28",
        "1999-01-01",
        "",
    ]);
    (
        prop::option::of(version),
        prop::option::of("[a-f0-9]{0,32}"),
        prop::option::of("[a-z/]{0,12}"),
    )
        .prop_map(|(v, session, method)| {
            let mut h = Vec::new();
            if let Some(v) = v {
                h.push(("mcp-protocol-version", v.to_string()));
            }
            if let Some(s) = session {
                h.push(("mcp-session-id", s));
            }
            if let Some(m) = method {
                h.push(("mcp-method", m));
            }
            h
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_random_messages_then_a_normal_call_still_works() {
    let policy = r#"{"version":"1","default":"deny","tools":{"echo":{}}}"#;
    let gw = start(policy, vec![echo("echo")]).await;
    let mut runner = TestRunner::new(Config::default());
    let strategy = (body(), headers());
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..MESSAGES {
        let (body, headers) = strategy.new_tree(&mut runner).expect("a message").current();
        let extra: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = gw.post_raw(body.clone(), &gw.token, &extra).await;
        assert!(
            reply.status < 500,
            "message {i} got {}: {}\nsent: {}",
            reply.status,
            reply.text,
            String::from_utf8_lossy(&body)
        );
        *statuses.entry(reply.status).or_insert(0) += 1;
    }
    eprintln!("statuses over {MESSAGES} random messages: {statuses:?}");
    assert!(
        statuses.len() >= 3,
        "the generator should reach several kinds of answers: {statuses:?}"
    );

    let session = gw.initialize("2025-11-25").await;
    let ok = gw
        .call_tool(&session, 1, "echo", json!({"text": "alive"}))
        .await;
    assert_eq!(tool_text(&ok), "alive");
    let denied = gw.call_tool(&session, 2, "fail", json!({})).await;
    assert_eq!(denied.body["result"]["isError"], true, "still fails closed");
}
