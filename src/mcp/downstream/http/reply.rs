//! Building HTTP replies: JSON-RPC bodies with the right status, and SSE streams that carry
//! a request's progress notifications before its response.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::mcp::jsonrpc::{error_response, notification, RpcError};

/// A JSON body with a status.
pub fn json_body(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A JSON-RPC error response with a status.
pub fn rpc_error(status: StatusCode, id: Value, error: &RpcError) -> Response {
    json_body(status, &error_response(id, error))
}

/// A plain-text error.
pub fn plain(status: StatusCode, text: &str) -> Response {
    (status, format!("{text}\n")).into_response()
}

/// `401` asking for a grant token.
pub fn unauthorized(had_token: bool) -> Response {
    let message = if had_token {
        "the bearer token is not a livegate grant (revoked, or mistyped); create one with `livegate grant add NAME`"
    } else {
        "missing Authorization: Bearer <token>; create a token with `livegate grant add NAME`"
    };
    let mut response = rpc_error(
        StatusCode::UNAUTHORIZED,
        Value::Null,
        &RpcError::invalid_request(message),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"livegate\""),
    );
    response
}

/// `405` for methods this endpoint does not offer in the client's revision.
pub fn method_not_allowed() -> Response {
    let mut response = plain(
        StatusCode::METHOD_NOT_ALLOWED,
        "this MCP endpoint takes POST here",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

/// `202 Accepted` with no body, for notifications and responses.
pub fn accepted() -> Response {
    StatusCode::ACCEPTED.into_response()
}

/// Answers one request as an SSE stream: every progress notification as it comes, then the
/// response, then the stream ends. `finish` turns the gateway's answer into the response body.
pub fn sse_with_progress<F>(
    mut progress: mpsc::UnboundedReceiver<Value>,
    answer: F,
    finish: impl FnOnce(Result<Value, RpcError>) -> Value + Send + 'static,
) -> Response
where
    F: Future<Output = Result<Value, RpcError>> + Send + 'static,
{
    let stream = async_stream::stream! {
        tokio::pin!(answer);
        loop {
            tokio::select! {
                Some(params) = progress.recv() => {
                    let message = notification("notifications/progress", Some(params));
                    yield Ok::<Event, Infallible>(Event::default().event("message").data(message.to_string()));
                }
                result = &mut answer => {
                    // Progress sent just before the answer still goes first.
                    while let Ok(params) = progress.try_recv() {
                        let message = notification("notifications/progress", Some(params));
                        yield Ok(Event::default().event("message").data(message.to_string()));
                    }
                    yield Ok(Event::default().event("message").data(finish(result).to_string()));
                    break;
                }
            }
        }
    };
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// The JSON-RPC response for a gateway answer.
pub fn rpc_body(id: Value, result: Result<Value, RpcError>) -> Value {
    match result {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => error_response(id, &error),
    }
}
