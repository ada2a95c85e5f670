//! Who may use the admin API, checked before any handler runs.
//!
//! - Every request (API, login page, UI files) must name a `Host` this server serves
//!   (DNS-rebinding defence, as on `/mcp`).
//! - `/api/…` needs `Authorization: Bearer <admin token>` or a valid `livegate_admin`
//!   session cookie; anything else (no credential, a wrong token, an agent's grant token,
//!   an unknown or expired cookie) is `401`. A bearer header that is present decides alone.
//!   Admin tokens are compared in constant time; grant tokens are never looked up here.
//! - A request that changes state (POST, PUT, DELETE, PATCH) is `403` when it carries an
//!   `Origin` other than the server's own, and, when authenticated by cookie, also when it
//!   carries none: a browser always sends `Origin` on those, so a missing one is suspicious.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::session::{cookie_value, COOKIE};
use super::AdminState;
use crate::grants::TOKEN_PREFIX;
use crate::mcp::downstream::http::host_allowed;

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Principal {
    /// The admin token (the CLI, the desktop app).
    Token,
    /// A browser session cookie (the web UI).
    Session,
}

/// Refuses requests naming a `Host` this server does not serve.
pub(crate) async fn check_host(
    State(state): State<Arc<AdminState>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(host) = text(request.headers(), header::HOST) {
        if !host_allowed(host, state.config.listen) {
            return ApiError::forbidden(format!(
                "Host {host:?} is not served here; open {} instead",
                state.base_url()
            ))
            .into_response();
        }
    }
    next.run(request).await
}

/// Authenticates an `/api/…` request and checks the `Origin` of state changes.
pub(crate) async fn require_admin(
    State(state): State<Arc<AdminState>>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let principal = authenticate(&state, request.headers())?;
    check_origin(
        request.method(),
        request.headers(),
        principal,
        state.config.listen,
    )?;
    request.extensions_mut().insert(principal);
    Ok(next.run(request).await)
}

fn authenticate(state: &AdminState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    if let Some(authorization) = text(headers, header::AUTHORIZATION) {
        let token = authorization
            .strip_prefix("Bearer ")
            .or_else(|| authorization.strip_prefix("bearer "))
            .map(str::trim)
            .unwrap_or_default();
        if state.config.token.verify(token) {
            return Ok(Principal::Token);
        }
        // Recognised by its prefix only: the admin API never says whether a grant is valid.
        if token.starts_with(TOKEN_PREFIX) {
            tracing::warn!("an agent's grant token was offered to the admin API; refused");
            return Err(ApiError::unauthorized(
                "this is an agent's grant token, which only works on /mcp; the admin API takes \
                 the admin token (in livegate's config folder, file admin-token)",
            ));
        }
        return Err(ApiError::unauthorized(
            "wrong admin token; the CLI and the desktop app read it from livegate's config \
             folder (file admin-token)",
        ));
    }
    if let Some(cookies) = text(headers, header::COOKIE) {
        if let Some(session) = cookie_value(cookies, COOKIE) {
            if state.sessions.is_valid(session) {
                return Ok(Principal::Session);
            }
            return Err(ApiError::unauthorized(
                "this browser session has expired (or livegate restarted); sign in again with \
                 a fresh link from `livegate ui`",
            ));
        }
    }
    Err(ApiError::unauthorized(
        "not signed in: send Authorization: Bearer <admin token>, or open the login link \
         `livegate ui` prints",
    ))
}

/// True for methods that change state.
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn check_origin(
    method: &Method,
    headers: &HeaderMap,
    principal: Principal,
    listen: SocketAddr,
) -> Result<(), ApiError> {
    if !changes_state(method) {
        return Ok(());
    }
    match text(headers, header::ORIGIN) {
        Some(origin) if is_own_origin(origin, listen) => Ok(()),
        Some(origin) => Err(ApiError::forbidden(format!(
            "Origin {origin} may not change livegate's settings; use livegate's own UI"
        ))),
        None if principal == Principal::Session => Err(ApiError::forbidden(
            "a change made with a browser session must carry the page's Origin",
        )),
        None => Ok(()),
    }
}

/// `http://127.0.0.1:<port>`, `http://localhost:<port>`, `http://[::1]:<port>`, or the
/// listen address's own IP with its port.
pub(crate) fn is_own_origin(origin: &str, listen: SocketAddr) -> bool {
    let Some(authority) = origin.strip_prefix("http://") else {
        return false;
    };
    let port = listen.port().to_string();
    let own_ip = match listen.ip() {
        std::net::IpAddr::V4(ip) => ip.to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
    };
    ["127.0.0.1", "localhost", "[::1]", own_ip.as_str()]
        .iter()
        .any(|host| authority == format!("{host}:{port}"))
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name, value.parse().expect("header value"));
        }
        map
    }

    #[test]
    fn only_the_servers_own_origin_counts() {
        let listen: SocketAddr = ([127, 0, 0, 1], 7420).into();
        for ok in [
            "http://127.0.0.1:7420",
            "http://localhost:7420",
            "http://[::1]:7420",
        ] {
            assert!(is_own_origin(ok, listen), "{ok}");
        }
        for bad in [
            "http://127.0.0.1:7421",
            "https://127.0.0.1:7420",
            "http://localhost:7420.evil.example",
            "http://evil.example",
            "null",
            "http://localhost",
        ] {
            assert!(!is_own_origin(bad, listen), "{bad}");
        }
    }

    #[test]
    fn state_changes_need_the_own_origin_and_cookies_need_one_at_all() {
        let listen: SocketAddr = ([127, 0, 0, 1], 7420).into();
        let own = headers(&[(header::ORIGIN, "http://127.0.0.1:7420")]);
        let foreign = headers(&[(header::ORIGIN, "http://evil.example")]);
        let none = HeaderMap::new();
        for principal in [Principal::Token, Principal::Session] {
            assert!(check_origin(&Method::POST, &own, principal, listen).is_ok());
            let refused = check_origin(&Method::PUT, &foreign, principal, listen)
                .expect_err("foreign origin");
            assert_eq!(refused.status(), axum::http::StatusCode::FORBIDDEN);
            assert!(check_origin(&Method::GET, &foreign, principal, listen).is_ok());
        }
        assert!(check_origin(&Method::DELETE, &none, Principal::Token, listen).is_ok());
        assert!(check_origin(&Method::DELETE, &none, Principal::Session, listen).is_err());
        assert!(check_origin(&Method::GET, &none, Principal::Session, listen).is_ok());
    }
}
