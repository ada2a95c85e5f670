//! Signing a browser in: `POST /api/login-links` (admin token or session) makes a one-time
//! URL; `GET /login?code=…` exchanges its code for the session cookie and sends the browser
//! to the UI. The code is in the URL only once: the answer asks the browser not to pass it
//! on (`Referrer-Policy: no-referrer`) nor keep it (`Cache-Control: no-store`).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::admin::session::session_cookie;
use crate::admin::AdminState;

/// The `/login` page (outside `/api`: the browser has no credential yet).
pub(in crate::admin) fn page() -> Router<Arc<AdminState>> {
    Router::new().route("/login", get(redeem))
}

/// `POST /api/login-links`: `{url}`.
pub(super) async fn new_link(State(state): State<Arc<AdminState>>) -> Json<Value> {
    Json(json!({"url": state.login_url()}))
}

/// The query of `/login`.
#[derive(Debug, Deserialize)]
pub(super) struct LoginQuery {
    code: Option<String>,
}

/// `GET /login?code=…`: `303` to `/` with the session cookie, or `401` saying how to get a
/// fresh link.
async fn redeem(State(state): State<Arc<AdminState>>, Query(query): Query<LoginQuery>) -> Response {
    let session = query
        .code
        .as_deref()
        .and_then(|code| state.sessions.redeem(code));
    let mut response = match session {
        Some(session) => {
            tracing::info!("a browser signed in to the admin UI");
            let mut response =
                (StatusCode::SEE_OTHER, "signed in; continue to /\n").into_response();
            let headers = response.headers_mut();
            headers.insert(header::LOCATION, HeaderValue::from_static("/"));
            match HeaderValue::from_str(&session_cookie(&session)) {
                Ok(cookie) => {
                    headers.insert(header::SET_COOKIE, cookie);
                }
                Err(e) => tracing::error!(error = %e, "cannot set the session cookie"),
            }
            response
        }
        None => {
            tracing::info!("a login link was refused (unknown, used or expired)");
            let body = "<!doctype html><meta charset=utf-8><title>livegate: sign-in link not valid</title>\
                <p>This sign-in link is not valid: each link works once, for ten minutes.</p>\
                <p>Get a fresh one with <code>livegate ui --open</code>.</p>\n";
            let mut response = (StatusCode::UNAUTHORIZED, body).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
