//! What the pages need from the web layer besides Leptos: the language menu's route, honest
//! statuses for server functions' errors, and request tracing that never logs a ticket token.

use app::components::lang_menu::LANG_COOKIE;
use app::error::AppError;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderMap, Request, Response, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use std::time::Duration;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::trace::TraceLayer;
use tracing::Span;
use waitingroom::Lang;

/// How long the language chosen in the menu is remembered.
const LANG_REMEMBERED_S: u64 = 365 * 24 * 3600;
/// Server functions' error bodies are small; anything bigger is passed on untouched.
const ERROR_BODY_LIMIT: usize = 16 * 1024;

/// `GET /lang/{code}`: remembers the language in a cookie and goes back to the page the menu
/// was on (its path only, never another site). Works without JavaScript.
pub async fn choose_language(Path(code): Path<String>, headers: HeaderMap) -> impl IntoResponse {
    let lang = Lang::parse(&code).unwrap_or_default();
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.parse::<Uri>().ok())
        .and_then(|u| u.path_and_query().map(|p| p.as_str().to_owned()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/lang/"))
        .unwrap_or_else(|| "/".to_owned());
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age={LANG_REMEMBERED_S}; SameSite=Lax",
        lang.code()
    );
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, cookie), (header::LOCATION, back)],
    )
}

/// Server functions answer 500 for every error; this gives each refusal its real status (401,
/// 404, 409, 422, 429, 503, ...), decided by [`AppError::status`]. Plain form posts (no
/// JavaScript) keep their redirect back to the page, which shows the error.
pub async fn server_fn_status(response: Response<Body>) -> Response<Body> {
    let is_server_fn_error = response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && response.headers().contains_key("serverfnerror");
    if !is_server_fn_error {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "error body too large").into_response();
    };
    if let Some(status) =
        AppError::status_of_body(&bytes).and_then(|s| StatusCode::from_u16(s).ok())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The path of a request as it may be logged: ticket tokens (`/t/{token}`) are cut to a prefix.
pub fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/t/") {
        Some(rest) => {
            let (token, tail) = rest.split_once('/').unwrap_or((rest, ""));
            let shown: String = token.chars().take(4).collect();
            let tail = if tail.is_empty() {
                String::new()
            } else {
                format!("/{tail}")
            };
            format!("/t/{shown}…{tail}")
        }
        None => path.to_owned(),
    }
}

/// One log line per request: method, path (without tokens or query), status and latency.
pub fn traced(router: Router) -> Router {
    router.layer(
        TraceLayer::new_for_http()
            .make_span_with(|request: &Request<Body>| {
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %loggable_path(request.uri().path()),
                )
            })
            .on_request(())
            .on_response(|response: &Response<Body>, latency: Duration, _: &Span| {
                let latency_ms = latency.as_secs_f64() * 1000.0;
                tracing::info!(status = response.status().as_u16(), latency_ms, "served");
            })
            .on_failure(
                |failure: ServerErrorsFailureClass, latency: Duration, _: &Span| {
                    let latency_ms = latency.as_secs_f64() * 1000.0;
                    tracing::warn!(%failure, latency_ms, "failed");
                },
            ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_reach_the_log() {
        let token = "0123456789abcdef0123456789abcdef";
        assert_eq!(loggable_path(&format!("/t/{token}")), "/t/0123…");
        assert_eq!(
            loggable_path(&format!("/t/{token}/qr.svg")),
            "/t/0123…/qr.svg"
        );
        assert_eq!(
            loggable_path("/api/v1/queues/default"),
            "/api/v1/queues/default"
        );
    }
}
