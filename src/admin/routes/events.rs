//! `GET /api/events`: the event bus as Server-Sent Events, and every record committed to
//! the audit log as `audit_record` (`{"type": "audit_record", "record": {...}}`). Each event
//! is `event: <type>` and `data: <the event as JSON, with its type>`; a comment every 15 s
//! keeps idle connections open. A client too slow to keep up gets `event: lagged`
//! (`{"type": "lagged", "missed": N}`) and should reload what it shows. The stream ends
//! when livegate stops.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use crate::admin::AdminState;
use crate::events::Event;

/// How often an idle stream gets a keep-alive comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /api/events`.
pub(super) async fn stream(
    State(state): State<Arc<AdminState>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    // Subscribed before the answer starts, so nothing published after it is missed.
    let mut events = state.config.bus.subscribe();
    let mut records = state.config.audit.subscribe();
    let stop = state.config.shutdown.clone();
    let stream = async_stream::stream! {
        yield Ok(SseEvent::default().comment("livegate events"));
        loop {
            let received = tokio::select! {
                () = stop.cancelled() => break,
                event = events.recv() => event.map(|e| to_json(&e)),
                record = records.recv() => {
                    record.map(|r| Some(json!({"type": "audit_record", "record": &*r})))
                }
            };
            match received {
                Ok(Some(value)) => yield Ok(to_sse(&value)),
                Ok(None) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "an admin event stream fell behind");
                    yield Ok(to_sse(&json!({"type": "lagged", "missed": missed})));
                }
                Err(RecvError::Closed) => break,
            }
        }
    };
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// A bus event as JSON (with its `type`).
fn to_json(event: &Event) -> Option<Value> {
    serde_json::to_value(event)
        .map_err(|e| tracing::error!(error = %e, "an event could not be shown as JSON"))
        .ok()
}

/// An SSE event named by the value's `type`.
fn to_sse(value: &Value) -> SseEvent {
    let kind = value.get("type").and_then(Value::as_str).unwrap_or("event");
    SseEvent::default().event(kind).data(value.to_string())
}
