//! The admin side of a test gateway: a client holding its admin token (or none), signing
//! browsers in through login links, reading the event stream, and the answers' parts.

use std::time::Duration;

use futures::StreamExt;
use livegate::settings::Paths;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;

use super::{Reply, TestGateway};

/// The admin side of a test gateway: its origin and admin token, and a client that never
/// follows redirects nor keeps cookies (each test handles those itself).
pub struct Admin {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Admin {
    pub fn of(gw: &TestGateway) -> Self {
        let file = Paths::under(gw.home()).admin_token_file();
        let token = std::fs::read_to_string(&file)
            .expect("the admin token is written at start")
            .trim()
            .to_string();
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: format!("http://{}", gw.running.addr),
            token,
        }
    }

    /// A request to `path`, with no credential yet.
    pub fn bare(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// A request to `path` with the admin token.
    pub fn authed(&self, method: Method, path: &str) -> RequestBuilder {
        self.bare(method, path).bearer_auth(&self.token)
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(self.authed(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        send(self.authed(Method::POST, path).json(body)).await
    }

    pub async fn put(&self, path: &str, body: &str) -> Reply {
        send(
            self.authed(Method::PUT, path)
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        send(self.authed(Method::DELETE, path)).await
    }

    /// Waits until exactly `n` approvals are pending (as the API lists them).
    pub async fn pending(&self, n: usize) -> Vec<Value> {
        for _ in 0..500 {
            let list = self.get("/api/approvals").await;
            assert_eq!(list.status, 200, "{list:?}");
            let items = list.body.as_array().cloned().unwrap_or_default();
            if items.len() == n {
                return items;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("expected {n} pending approvals");
    }

    /// Signs a browser in through a fresh login link; the session cookie's value.
    pub async fn sign_in(&self, gw: &TestGateway) -> String {
        let r = send(self.http.get(gw.running.login_url())).await;
        assert_eq!(r.status, 303, "{r:?}");
        session_cookie(&r).expect("a session cookie")
    }
}

pub async fn send(request: RequestBuilder) -> Reply {
    super::reply(request.send().await.expect("request sent")).await
}

/// The `livegate_admin` value a reply sets, if any.
pub fn session_cookie(reply: &Reply) -> Option<String> {
    let set = reply.headers.get("set-cookie")?.to_str().ok()?;
    let first = set.split(';').next()?;
    first
        .strip_prefix("livegate_admin=")
        .map(|v| v.trim().to_string())
}

pub fn error_text(reply: &Reply) -> &str {
    reply.body["error"].as_str().unwrap_or_default()
}

/// Server-Sent Events read one at a time.
pub struct Events {
    stream: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl Events {
    /// Opens `/api/events` with the admin token.
    pub async fn open(admin: &Admin) -> Self {
        let response = admin
            .authed(Method::GET, "/api/events")
            .send()
            .await
            .expect("stream opens");
        assert_eq!(response.status(), 200);
        let kind = response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        Self {
            stream: response.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    /// The next event of type `kind` (others are skipped), with its data.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(e) = line.strip_prefix("event:") {
                        event = Some(e.trim().to_string());
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.trim());
                    }
                }
                if event.as_deref() == Some(kind) {
                    let value: Value = serde_json::from_str(&data).expect("JSON data");
                    assert_eq!(value["type"], kind);
                    return value;
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .unwrap_or_else(|_| panic!("no {kind} event within 10 s"))
                .expect("stream open")
                .expect("chunk");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// The `records` of an audit page.
pub fn records(reply: &Reply) -> Vec<Value> {
    reply.body["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}
