//! `GET /api/events`: the event bus as Server-Sent Events. Each event is `event: <type>` and
//! `data: <the event as JSON, with its type>`; a comment every 15 s keeps idle connections
//! open. A client too slow to keep up gets `event: lagged` (`{"type": "lagged", "missed": N}`)
//! and should reload what it shows. The stream ends when livegate stops.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use serde_json::json;
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
    let stop = state.config.shutdown.clone();
    let stream = async_stream::stream! {
        yield Ok(SseEvent::default().comment("livegate events"));
        loop {
            let received = tokio::select! {
                () = stop.cancelled() => break,
                received = events.recv() => received,
            };
            match received {
                Ok(event) => {
                    if let Some(sse) = to_sse(&event) {
                        yield Ok(sse);
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "an admin event stream fell behind");
                    yield Ok(SseEvent::default()
                        .event("lagged")
                        .data(json!({"type": "lagged", "missed": missed}).to_string()));
                }
                Err(RecvError::Closed) => break,
            }
        }
    };
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// One bus event as an SSE event named by its type.
fn to_sse(event: &Event) -> Option<SseEvent> {
    let value = match serde_json::to_value(event) {
        Ok(value) => value,
        Err(e) => {
            tracing::error!(error = %e, "an event could not be shown as JSON");
            return None;
        }
    };
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("event");
    Some(SseEvent::default().event(kind).data(value.to_string()))
}
