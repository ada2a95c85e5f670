//! The audit log: `GET /api/audit` (a page of records, newest first, with filters and a
//! cursor), `GET /api/audit/{id}`, and `GET /api/audit/export?format=jsonl|csv` (every
//! matching record, oldest first, streamed as a download). SQLite reads run on the blocking
//! pool, never on the async workers.

use std::io::Write;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::admin::error::ApiError;
use crate::admin::AdminState;
use crate::audit::{self, AuditError, ExportFormat, Page, Record};

/// Chunks of an export in flight between the SQLite reader and the client.
const EXPORT_CHUNKS: usize = 16;

/// An export's chunk size, in bytes.
const CHUNK_BYTES: usize = 64 * 1024;

/// The filters of a query string; a malformed one (a bad time, limit or decision) is `400`.
fn filters(query: Result<Query<audit::Query>, QueryRejection>) -> Result<audit::Query, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request(e.body_text()))
}

/// An audit error as an answer: the caller's mistakes are `400`, the log's failures `500`.
fn audit_error(error: AuditError) -> ApiError {
    match error {
        AuditError::BadCursor(_) | AuditError::BadTime(_) | AuditError::BadFormat(_) => {
            ApiError::bad_request(error.to_string())
        }
        _ => ApiError::internal(error.to_string()),
    }
}

/// Runs a blocking audit read on the blocking pool.
async fn read<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AuditError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("the audit query stopped: {e}")))?
        .map_err(audit_error)
}

/// `GET /api/audit`: `{records, next_cursor}`.
pub(super) async fn query(
    State(state): State<Arc<AdminState>>,
    query: Result<Query<audit::Query>, QueryRejection>,
) -> Result<Json<Page>, ApiError> {
    let query = filters(query)?;
    let log = state.config.audit.clone();
    read(move || log.query(&query)).await.map(Json)
}

/// `GET /api/audit/{id}`: one record.
pub(super) async fn one(
    State(state): State<Arc<AdminState>>,
    Path(id): Path<String>,
) -> Result<Json<Record>, ApiError> {
    let number: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("audit record ids are numbers, not {id:?}")))?;
    let log = state.config.audit.clone();
    read(move || log.get(number))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("there is no audit record {number}")))
}

/// The export's own parameter, beside the filters.
#[derive(Debug, Deserialize)]
pub(super) struct ExportParams {
    format: Option<String>,
}

/// `GET /api/audit/export?format=jsonl|csv&…filters`: the file, streamed.
pub(super) async fn export(
    State(state): State<Arc<AdminState>>,
    query: Result<Query<audit::Query>, QueryRejection>,
    params: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let query = filters(query)?;
    let format: ExportFormat = match params.map(|Query(p)| p.format) {
        Ok(Some(format)) => format.parse().map_err(audit_error)?,
        Ok(None) => ExportFormat::Jsonl,
        Err(e) => return Err(ApiError::bad_request(e.body_text())),
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(EXPORT_CHUNKS);
    let log = state.config.audit.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter {
            tx: tx.clone(),
            buffer: Vec::with_capacity(CHUNK_BYTES),
        };
        let result = log
            .export(&query, format, &mut out, |_| {})
            .and_then(|written| out.flush().map(|()| written).map_err(AuditError::Export));
        match result {
            Ok(written) => tracing::info!(written, %format, "audit log exported"),
            Err(error) => {
                tracing::error!(%error, "the audit export failed part way; the download is cut off");
                // An error in the body makes the server abort the download, so the client
                // sees it fail instead of a file that looks complete.
                let _ = tx.blocking_send(Err(std::io::Error::other(error.to_string())));
            }
        }
    });
    let mut response = Body::from_stream(ReceiverStream::new(rx)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    let name = format!(
        "attachment; filename=\"livegate-audit-{}.{}\"",
        chrono::Utc::now().format("%Y%m%d-%H%M%S"),
        format.extension()
    );
    if let Ok(value) = HeaderValue::from_str(&name) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A writer that hands its bytes to the response body in chunks, waiting (backpressure)
/// while the client is slower than SQLite.
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    fn send_buffer(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK_BYTES),
        ));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the client stopped the download",
            )
        })
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK_BYTES {
            self.send_buffer()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send_buffer()
    }
}
