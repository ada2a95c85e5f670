//! The admin API's answers when something is wrong: always JSON, `{"error": "..."}`, with
//! `"errors": [{"path", "message"}]` for invalid policies and settings; and the request body
//! extractors that turn a bad body into such an answer instead of axum's plain text.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

use crate::policy::PolicyErrors;

/// One problem in a submitted document, at a JSON path (`tools.x.limits[0].window`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathError {
    /// Where.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl PathError {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// The problems of a policy, as the API lists them.
pub fn policy_errors(errors: &PolicyErrors) -> Vec<PathError> {
    errors
        .issues()
        .iter()
        .map(|i| PathError::new(&i.path, &i.message))
        .collect()
}

/// An error answer: a status, a message saying what went wrong and what to do, and, for
/// invalid documents, every problem with its path.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    errors: Option<Vec<PathError>>,
}

impl ApiError {
    /// An error with `status`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            errors: None,
        }
    }

    /// `400`: the request itself is wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// `401`: not authenticated.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// `403`: the Host or Origin is refused.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// `404`: no such thing.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// `409`: it is no longer in a state where this applies.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    /// `422`: the document is invalid; `errors` says where.
    pub fn invalid(message: impl Into<String>, errors: Vec<PathError>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: message.into(),
            errors: Some(errors),
        }
    }

    /// `500`: livegate failed to do its part (a file it could not write, ...).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, error = %self.message, "admin API request failed");
        } else {
            tracing::debug!(status = %self.status, error = %self.message, "admin API request refused");
        }
        let mut body = json!({ "error": self.message });
        if let Some(errors) = self.errors {
            body["errors"] = json!(errors);
        }
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"livegate admin\""),
            );
        }
        response
    }
}

/// Reads the raw body within the size cap; a body over it is `413`.
async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                status,
                "the request body is too large; send less, or raise max_body_bytes in settings.json",
            )
        } else {
            ApiError::new(status, format!("cannot read the request body: {rejection}"))
        }
    })
}

/// The request body as UTF-8 text (policy documents, kept exactly as sent).
#[derive(Debug)]
pub struct TextBody(pub String);

impl<S: Send + Sync> FromRequest<S> for TextBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        String::from_utf8(bytes.to_vec())
            .map(TextBody)
            .map_err(|_| ApiError::bad_request("the request body is not UTF-8 text"))
    }
}

/// A JSON body; an empty body gives `T::default()` (for endpoints whose body is optional).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(T::default()));
        }
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            ApiError::bad_request(format!(
                "the request body is not what this endpoint takes: {e}"
            ))
        })
    }
}
