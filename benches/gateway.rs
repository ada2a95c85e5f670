//! What the gateway adds to a tool call, measured in one run against a baseline:
//! the same trivial in-process tool (`echo`) served over HTTP directly (a bare JSON-RPC
//! endpoint, no policy), and through livegate's gateway over HTTP (grant check, session,
//! policy decision with a rate limit, routing, reservation commit).
//!
//! Prints p50/p99 latency of sequential calls, the added latency, and throughput with
//! concurrent clients, as figures and as ratios to the direct baseline.
//! Targets: ≤ 50 µs p50 and ≤ 250 µs p99 added; ≥ 20,000 calls/s through the gateway
//! (≥ 0.8× direct). Run with `cargo bench --bench gateway`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::{Json, Router};
use livegate::mcp::upstream::{EchoUpstream, Upstream};
use livegate::server::{self, ServerOptions};
use livegate::settings::{Paths, Settings, UpstreamConfig};
use serde_json::{json, Value};

const LATENCY_CALLS: usize = 5_000;
const WARMUP_CALLS: usize = 500;
const THROUGHPUT_CLIENTS: usize = 16;
const THROUGHPUT_TIME: Duration = Duration::from_secs(3);

/// The baseline: the echo tool behind a bare JSON-RPC endpoint.
async fn direct_server() -> String {
    let upstream = Arc::new(EchoUpstream::new("echo"));
    let app = Router::new().route(
        "/mcp",
        post(move |Json(request): Json<Value>| {
            let upstream = Arc::clone(&upstream);
            async move {
                let id = request["id"].clone();
                let params = request.get("params").cloned();
                let method = request["method"].as_str().unwrap_or_default().to_string();
                let body = match upstream.request(&method, params).await {
                    Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
                    Err(e) => json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32603, "message": e.to_string()}}),
                };
                Json(body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/mcp")
}

struct Target {
    url: String,
    headers: Vec<(&'static str, String)>,
}

async fn call(client: &reqwest::Client, target: &Target, id: u64) {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                      "params": {"name": "echo", "arguments": {"text": "bench"}}});
    let mut request = client
        .post(&target.url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .json(&body);
    for (k, v) in &target.headers {
        request = request.header(*k, v);
    }
    let response = request.send().await.expect("call sent");
    let value: Value = response.json().await.expect("JSON answer");
    assert_eq!(value["result"]["content"][0]["text"], "bench", "{value}");
}

/// Sequential latencies in microseconds, sorted.
async fn latencies(client: &reqwest::Client, target: &Target) -> Vec<f64> {
    for id in 0..WARMUP_CALLS {
        call(client, target, id as u64).await;
    }
    let mut samples = Vec::with_capacity(LATENCY_CALLS);
    for id in 0..LATENCY_CALLS {
        let started = Instant::now();
        call(client, target, id as u64).await;
        samples.push(started.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    samples
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Calls per second with several concurrent clients for a fixed time.
async fn throughput(client: &reqwest::Client, target: Arc<Target>) -> f64 {
    let started = Instant::now();
    let tasks: Vec<_> = (0..THROUGHPUT_CLIENTS)
        .map(|c| {
            let (client, target) = (client.clone(), Arc::clone(&target));
            tokio::spawn(async move {
                let mut n = 0_u64;
                while started.elapsed() < THROUGHPUT_TIME {
                    call(&client, &target, c as u64 * 1_000_000 + n).await;
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("client task");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let home = tempfile::tempdir().expect("temp dir");
        let paths = Paths::under(home.path());
        paths.ensure().expect("folders");
        let settings = Settings {
            upstreams: vec![UpstreamConfig::Builtin { name: "echo".into(), builtin: "echo".into() }],
            ..Settings::default()
        };
        settings.save(&paths.settings_file()).expect("settings");
        let token = livegate::grants::add(&paths.settings_file(), "bench").expect("grant");
        std::fs::write(
            paths.policy_file(),
            r#"{"version":"1","default":"deny","tools":{"echo":{"limits":[
                {"counter":"echo","window":"second","max":1000000,"scope":"grant"}]}}}"#,
        )
        .expect("policy");
        let running = server::start(ServerOptions {
            policy_file: paths.policy_file(),
            paths,
            listen: Some(([127, 0, 0, 1], 0).into()),
            catalogs: Vec::new(),
            simulator: None,
        })
        .await
        .expect("livegate starts");

        let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().expect("client");
        // A handshake session through the gateway.
        let init = client
            .post(running.mcp_url())
            .bearer_auth(&token)
            .header("accept", "application/json, text/event-stream")
            .json(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}}))
            .send()
            .await
            .expect("initialize");
        let session = init.headers()["mcp-session-id"].to_str().expect("session").to_string();

        // Both targets get the same request headers (an MCP client sends its token and
        // session to any server), so the client's own work is the same on both sides.
        let headers = vec![
            ("authorization", format!("Bearer {token}")),
            ("mcp-session-id", session),
            ("mcp-protocol-version", "2025-11-25".to_string()),
        ];
        let direct = Arc::new(Target { url: direct_server().await, headers: headers.clone() });
        let gateway = Arc::new(Target { url: running.mcp_url(), headers });

        println!("livegate gateway bench: echo tool, {LATENCY_CALLS} sequential calls, then {THROUGHPUT_CLIENTS} clients for {} s", THROUGHPUT_TIME.as_secs());
        let d = latencies(&client, &direct).await;
        let g = latencies(&client, &gateway).await;
        let (d50, d99, g50, g99) = (percentile(&d, 0.5), percentile(&d, 0.99), percentile(&g, 0.5), percentile(&g, 0.99));
        println!("latency  direct:  p50 {d50:8.1} µs   p99 {d99:8.1} µs");
        println!("latency  gateway: p50 {g50:8.1} µs   p99 {g99:8.1} µs   ({:.2}× / {:.2}× direct)", g50 / d50, g99 / d99);
        println!("added by the gateway: p50 {:+.1} µs (target ≤ 50)   p99 {:+.1} µs (target ≤ 250)", g50 - d50, g99 - d99);
        let dt = throughput(&client, Arc::clone(&direct)).await;
        let gt = throughput(&client, Arc::clone(&gateway)).await;
        println!("throughput direct:  {dt:9.0} calls/s");
        println!("throughput gateway: {gt:9.0} calls/s   ({:.2}× direct; targets ≥ 20000 calls/s and ≥ 0.80×)", gt / dt);
        running.stop().await;
    });
}
