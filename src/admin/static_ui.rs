//! The web UI: the files of `ui/`, built into livegate with `rust-embed` (release builds
//! carry them; debug builds read the folder, so edits show on reload). `/` is
//! `ui/index.html`. The files are not secret, so they need no sign-in; what they show comes
//! from `/api/…`, which does. Every answer forbids framing (no clickjacking of Approve) and
//! content sniffing.

use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// The `ui/` folder.
#[derive(rust_embed::RustEmbed)]
#[folder = "ui/"]
#[allow_missing = true]
struct Ui;

/// Serves a file of `ui/` for any path no route took.
pub(crate) async fn serve(method: Method, uri: Uri) -> Response {
    let mut response = answer(&method, uri.path());
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    response
}

fn answer(method: &Method, path: &str) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            "the UI's files are read with GET\n",
        )
            .into_response();
    }
    let mut name = path.trim_start_matches('/').to_string();
    if name.is_empty() || name.ends_with('/') {
        name.push_str("index.html");
    }
    if name.split('/').any(|part| part == ".." || part.is_empty()) || name.contains('\\') {
        return not_found(path);
    }
    match Ui::get(&name) {
        Some(file) => {
            let mut response = file.data.into_owned().into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&name)),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        None if name == "index.html" => (
            StatusCode::NOT_FOUND,
            "this livegate was built without its web UI (the ui/ folder was empty); \
             the admin API is at /api/\n",
        )
            .into_response(),
        None => not_found(path),
    }
}

fn not_found(path: &str) -> Response {
    (StatusCode::NOT_FOUND, format!("nothing at {path}\n")).into_response()
}

/// The content type of a UI file, by its extension.
fn content_type(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("js/app.JS"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("img/icon.svg"), "image/svg+xml");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }

    #[test]
    fn paths_outside_the_folder_are_not_served() {
        for path in [
            "/../Cargo.toml",
            "/js/../../Cargo.toml",
            "//etc/passwd",
            "/a\\b",
        ] {
            let response = answer(&Method::GET, path);
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
        assert_eq!(
            answer(&Method::POST, "/").status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }
}
