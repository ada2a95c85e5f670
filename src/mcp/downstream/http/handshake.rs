//! The handshake revisions (2025-03-26, 2025-06-18, 2025-11-25) over Streamable HTTP:
//! `initialize` opens a session (`Mcp-Session-Id`), later requests name it, GET opens the
//! session's notification stream, DELETE ends it, `notifications/cancelled` cancels.
//! 2025-03-26 sessions may send JSON-RPC batches.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use super::reply::{self, rpc_body, rpc_error};
use super::{accepts_sse, header, Admitted, AppState, SESSION_HEADER, VERSION_HEADER};
use crate::mcp::downstream::revision::Revision;
use crate::mcp::gateway::{Caller, ClientInfo, Gateway};
use crate::mcp::jsonrpc::{notification, Message, RpcError};

/// JSON-RPC code for a request the client cancelled (as LSP and the SDKs use it).
const REQUEST_CANCELLED: i64 = -32800;

/// One agent's session.
struct Session {
    id: String,
    grant: String,
    client: Option<ClientInfo>,
    revision: Revision,
    initialized: AtomicBool,
    in_flight: Mutex<HashMap<String, CancellationToken>>,
    closed: CancellationToken,
}

/// Open sessions by id.
#[derive(Default)]
pub(super) struct Sessions {
    map: Mutex<HashMap<String, Arc<Session>>>,
}

pub(super) async fn post(state: &AppState, admitted: Admitted, value: Value) -> Response {
    if let Value::Array(items) = value {
        return batch(state, &admitted, items).await;
    }
    match Message::parse(value) {
        Err((id, error)) => rpc_error(StatusCode::BAD_REQUEST, id, &error),
        Ok(Message::Request { id, method, params }) if method == "initialize" => {
            initialize(state, &admitted, id, params.as_ref())
        }
        Ok(message) => {
            let session = match session_of(state, &admitted) {
                Ok(session) => session,
                Err(response) => return response,
            };
            handle_message(state, &admitted, &session, message)
                .await
                .unwrap_or_else(reply::accepted)
        }
    }
}

/// 2025-03-26 batches: every message handled, the responses returned together.
async fn batch(state: &AppState, admitted: &Admitted, items: Vec<Value>) -> Response {
    let session = match session_of(state, admitted) {
        Ok(session) => session,
        Err(response) => return response,
    };
    if session.revision != Revision::V2025_03_26 || items.is_empty() {
        let error = RpcError::invalid_request(
            "JSON-RPC batches are only accepted in protocol revision 2025-03-26, and never empty",
        );
        return rpc_error(StatusCode::BAD_REQUEST, Value::Null, &error);
    }
    let answers = futures::future::join_all(items.into_iter().map(|item| {
        let session = Arc::clone(&session);
        async move {
            match Message::parse(item) {
                Err((id, error)) => Some(crate::mcp::jsonrpc::error_response(id, &error)),
                Ok(message) => answer(state, &session, message).await,
            }
        }
    }))
    .await;
    let responses: Vec<Value> = answers.into_iter().flatten().collect();
    if responses.is_empty() {
        reply::accepted()
    } else {
        reply::json_body(StatusCode::OK, &Value::Array(responses))
    }
}

fn initialize(
    state: &AppState,
    admitted: &Admitted,
    id: Value,
    params: Option<&Value>,
) -> Response {
    let Some(requested) = params
        .and_then(|p| p.get("protocolVersion"))
        .and_then(Value::as_str)
    else {
        let error = RpcError::invalid_params("initialize needs params.protocolVersion");
        return rpc_error(StatusCode::BAD_REQUEST, id, &error);
    };
    let revision = Revision::negotiate(requested);
    let session_id = uuid::Uuid::new_v4().simple().to_string();
    let client = params
        .and_then(|p| p.get("clientInfo"))
        .cloned()
        .unwrap_or(Value::Null);
    tracing::info!(session = %session_id, grant = %admitted.grant, revision = %revision, client = %client, "agent connected");
    state.sessions.map.lock().insert(
        session_id.clone(),
        Arc::new(Session {
            id: session_id.clone(),
            grant: admitted.grant.clone(),
            client: ClientInfo::from_value(&client),
            revision,
            initialized: AtomicBool::new(false),
            in_flight: Mutex::new(HashMap::new()),
            closed: CancellationToken::new(),
        }),
    );
    let result = json!({
        "protocolVersion": revision.as_str(),
        "capabilities": state.config.gateway.capabilities(),
        "serverInfo": Gateway::server_info(),
        "instructions": "livegate checks every tool call against your policy before it reaches the server behind it; refused calls say why."
    });
    let mut response = reply::json_body(StatusCode::OK, &rpc_body(id, Ok(result)));
    if let Ok(value) = HeaderValue::from_str(&session_id) {
        response.headers_mut().insert(SESSION_HEADER, value);
    }
    response
}

/// The session a request names; `400` without one, `404` for an unknown one.
fn session_of(state: &AppState, admitted: &Admitted) -> Result<Arc<Session>, Response> {
    let Some(id) = header(&admitted.headers, SESSION_HEADER) else {
        let error = RpcError::invalid_request(
            "missing Mcp-Session-Id: send initialize first (or use protocol revision 2026-07-28, which needs no session)",
        );
        return Err(rpc_error(StatusCode::BAD_REQUEST, Value::Null, &error));
    };
    let session = state.sessions.map.lock().get(id).cloned();
    match session {
        // A session is only usable with the grant that opened it.
        Some(session) if session.grant == admitted.grant => {
            if let Some(version) = header(&admitted.headers, VERSION_HEADER) {
                if Revision::parse(version).is_none_or(|r| !r.is_handshake()) {
                    let error = RpcError::invalid_request(format!(
                        "unsupported MCP-Protocol-Version {version:?} for this session ({})",
                        session.revision
                    ));
                    return Err(rpc_error(StatusCode::BAD_REQUEST, Value::Null, &error));
                }
            }
            Ok(session)
        }
        _ => {
            let error = RpcError::invalid_request("unknown or ended session; initialize a new one");
            Err(rpc_error(StatusCode::NOT_FOUND, Value::Null, &error))
        }
    }
}

/// Handles one message of a session; `None` means "202, no body".
async fn handle_message(
    state: &AppState,
    admitted: &Admitted,
    session: &Arc<Session>,
    message: Message,
) -> Option<Response> {
    let wants_progress = |params: &Option<Value>| {
        params
            .as_ref()
            .and_then(|p| p.pointer("/_meta/progressToken"))
            .is_some()
    };
    match message {
        Message::Request { id, method, params }
            if wants_progress(&params) && accepts_sse(&admitted.headers) =>
        {
            let (tx, rx) = mpsc::unbounded_channel();
            let gateway = Arc::clone(&state.config.gateway);
            let session = Arc::clone(session);
            let caller = caller(&session, Some(tx));
            let request_id = id.clone();
            let answer =
                async move { run(&gateway, &session, &caller, &request_id, &method, params).await };
            Some(reply::sse_with_progress(rx, answer, move |result| {
                rpc_body(id, result)
            }))
        }
        message => answer(state, session, message)
            .await
            .map(|body| reply::json_body(StatusCode::OK, &body)),
    }
}

/// A message's JSON-RPC answer, if it gets one (requests do; notifications and responses do not).
async fn answer(state: &AppState, session: &Arc<Session>, message: Message) -> Option<Value> {
    match message {
        Message::Request { id, method, params } => {
            let result = run(
                &state.config.gateway,
                session,
                &caller(session, None),
                &id,
                &method,
                params,
            )
            .await;
            Some(rpc_body(id, result))
        }
        Message::Notification { method, params } => {
            match method.as_str() {
                "notifications/initialized" => session.initialized.store(true, Ordering::SeqCst),
                "notifications/cancelled" => {
                    let request = params
                        .as_ref()
                        .and_then(|p| p.get("requestId"))
                        .map(Value::to_string);
                    if let Some(token) = request.and_then(|r| session.in_flight.lock().remove(&r)) {
                        token.cancel();
                    }
                }
                _ => state.config.gateway.notification(&method, params).await,
            }
            None
        }
        // livegate sends agents no requests, so responses have nothing to answer.
        Message::Response { .. } | Message::Error { .. } => None,
    }
}

fn caller(session: &Session, progress: Option<mpsc::UnboundedSender<Value>>) -> Caller {
    Caller {
        grant: session.grant.clone(),
        session: Some(session.id.clone()),
        client: session.client.clone(),
        progress,
    }
}

/// Runs one request, cancellable by `notifications/cancelled` or by ending the session.
async fn run(
    gateway: &Gateway,
    session: &Session,
    caller: &Caller,
    id: &Value,
    method: &str,
    params: Option<Value>,
) -> Result<Value, RpcError> {
    if method == "initialize" {
        return Err(RpcError::invalid_request(
            "this session is initialized already",
        ));
    }
    let token = session.closed.child_token();
    let key = id.to_string();
    session.in_flight.lock().insert(key.clone(), token.clone());
    let result = tokio::select! {
        result = gateway.request(caller, method, params) => result,
        () = token.cancelled() => Err(RpcError::new(REQUEST_CANCELLED, "Request cancelled by the client")),
    };
    session.in_flight.lock().remove(&key);
    result
}

/// GET: the session's stream of notifications (tool list changes, upstream log messages).
pub(super) async fn open_stream(state: &AppState, admitted: &Admitted) -> Response {
    let session = match session_of(state, admitted) {
        Ok(session) => session,
        Err(response) => return response,
    };
    if !accepts_sse(&admitted.headers) {
        return reply::plain(
            StatusCode::NOT_ACCEPTABLE,
            "GET /mcp streams text/event-stream; say so in Accept",
        );
    }
    let mut notes = state.config.gateway.subscribe();
    let closed = session.closed.clone();
    let stream = async_stream::stream! {
        loop {
            tokio::select! {
                () = closed.cancelled() => break,
                note = notes.recv() => match note {
                    Ok(note) => {
                        let message = notification(&note.method, note.params);
                        yield Ok::<Event, Infallible>(Event::default().event("message").data(message.to_string()));
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            }
        }
    };
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// DELETE: ends the session; its requests in flight are cancelled.
pub(super) fn end_session(state: &AppState, admitted: &Admitted) -> Response {
    let session = match session_of(state, admitted) {
        Ok(session) => session,
        Err(response) => return response,
    };
    state.sessions.map.lock().remove(&session.id);
    session.closed.cancel();
    state.config.gateway.end_session(&session.id);
    tracing::info!(session = %session.id, grant = %session.grant, "agent ended its session");
    StatusCode::OK.into_response()
}
