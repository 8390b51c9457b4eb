//! The web layer around the pages and the API: the language menu's route, honest statuses for
//! server functions' errors, the CSRF check, the security headers, and request tracing that never
//! logs a ticket token.

use crate::api::ApiError;
use app::components::lang_menu::LANG_COOKIE;
use app::error::AppError;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::http::{header, HeaderMap, Request, Response, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::Router;
use std::time::Duration;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::trace::TraceLayer;
use tracing::Span;
use waitingroom::services::WaitingRoom;
use waitingroom::{Lang, Problem};

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

/// This site's origin as browsers name it (`https://queue.example.jp`), when `PUBLIC_URL` is set;
/// otherwise a request's own `Host` is this site.
#[derive(Clone, Debug)]
pub struct SiteOrigin(Option<String>);

impl SiteOrigin {
    pub fn new(public_url: Option<&str>) -> Self {
        Self(public_url.and_then(origin_of))
    }

    fn accepts(&self, origin: &str, host: Option<&str>) -> bool {
        match &self.0 {
            Some(ours) => origin.eq_ignore_ascii_case(ours),
            None => host.is_some_and(|host| {
                origin
                    .split_once("://")
                    .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
            }),
        }
    }
}

/// `scheme://host[:port]` of a URL, without path, query or a trailing slash.
fn origin_of(url: &str) -> Option<String> {
    let uri: Uri = url.parse().ok()?;
    Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?))
}

/// CSRF: a POST to the screens' server functions (`/api/...` but the JSON API) must come from
/// this site's own pages: its `Origin` (or, without one, its `Referer`) must be this site. Anything
/// else — another site's form or script, or a request that names no origin — gets 403 and changes
/// nothing. The JSON API refuses only a foreign `Origin` (integrations send none), and so does
/// the live channel (WebSocket and Server-Sent Events): another site's page cannot make its
/// visitors' browsers hold our connections.
pub async fn same_site_only(
    State(site): State<SiteOrigin>,
    request: Request<Body>,
    next: Next,
) -> Response<Body> {
    let path = request.uri().path();
    let api = path.starts_with("/api/v1/");
    let server_fn = path.starts_with("/api/") && !api;
    let live = api && (path.ends_with("/live") || path.ends_with("/events"));
    let guarded = match *request.method() {
        Method::POST => server_fn || api,
        Method::GET => live,
        _ => false,
    };
    if !guarded {
        return next.run(request).await;
    }
    let headers = request.headers();
    let named = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let origin = named(header::ORIGIN)
        .filter(|o| *o != "null")
        .map(str::to_owned)
        .or_else(|| named(header::REFERER).and_then(origin_of));
    let host = named(header::HOST);
    let allowed = match &origin {
        Some(origin) => site.accepts(origin, host),
        None => !server_fn,
    };
    if allowed {
        return next.run(request).await;
    }
    tracing::warn!(path = %loggable_path(path), origin = origin.as_deref().unwrap_or("-"), "refused a request from another site");
    if !server_fn {
        return ApiError::from(Problem::Forbidden).into_response();
    }
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&AppError(Problem::Forbidden)).unwrap_or_default(),
    )
        .into_response()
}

/// Whether this site is served over https (`PUBLIC_URL`), for HSTS.
#[derive(Clone, Copy, Debug)]
pub struct Https(pub bool);

/// Headers every response carries. Pages set their own Content-Security-Policy (with the nonce
/// of their inline scripts, see `app::content_security_policy`); everything else gets one that
/// allows nothing. `Referrer-Policy: same-origin`: ticket URLs carry the token, so no other site
/// ever learns them, while this site's own form posts keep the `Referer` that plain-form
/// fallbacks and the CSRF check use (`no-referrer` would make browsers send `Origin: null`).
pub async fn security_headers(
    State(https): State<Https>,
    mut response: Response<Body>,
) -> Response<Body> {
    let headers = response.headers_mut();
    let page_has_its_own = headers.contains_key(header::CONTENT_SECURITY_POLICY);
    let mut set = |name: header::HeaderName, value: &'static str| {
        headers.insert(name, header::HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    );
    if https.0 {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    if !page_has_its_own {
        set(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        );
    }
    response
}

/// The path of a request as it may be logged: ticket tokens (`/t/{token}`) and verification
/// links (`/v/{queue}/{link}`) are cut to a prefix.
pub fn loggable_path(path: &str) -> String {
    let (head, secret_and_tail) = if let Some(rest) = path.strip_prefix("/t/") {
        ("/t/".to_owned(), rest)
    } else if let Some((queue, rest)) = path.strip_prefix("/v/").and_then(|r| r.split_once('/')) {
        (format!("/v/{queue}/"), rest)
    } else {
        return path.to_owned();
    };
    let (secret, tail) = secret_and_tail
        .split_once('/')
        .unwrap_or((secret_and_tail, ""));
    let shown: String = secret.chars().take(4).collect();
    let tail = if tail.is_empty() {
        String::new()
    } else {
        format!("/{tail}")
    };
    format!("{head}{shown}…{tail}")
}

/// One log line per request: method, path (without tokens or query), status and latency; and
/// each request counted by method, route and status (`/metrics`).
pub fn traced(router: Router, room: WaitingRoom) -> Router {
    router
        .layer(axum::middleware::from_fn_with_state(room, count_request))
        // a bug must never take a connection down with it: a panic is logged and answered 500
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            answer_panic,
        ))
        .layer(
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

/// Counts a request under its route's pattern (never its path: it may hold a ticket's token).
async fn count_request(
    State(room): State<WaitingRoom>,
    request: Request<Body>,
    next: Next,
) -> Response<Body> {
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("(none)", |p| p.as_str())
        .to_owned();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    room.metrics().http_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

fn answer_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %what, "a request panicked");
    let body = serde_json::to_string(&Problem::Internal).unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_site_is_this_site() {
        let by_host = SiteOrigin::new(None);
        assert!(by_host.accepts("http://127.0.0.1:3000", Some("127.0.0.1:3000")));
        assert!(!by_host.accepts("http://127.0.0.1:3001", Some("127.0.0.1:3000")));
        assert!(!by_host.accepts("http://evil.example", Some("127.0.0.1:3000")));
        assert!(!by_host.accepts("http://evil.example", None));
        let public = SiteOrigin::new(Some("https://queue.example.jp/"));
        assert!(public.accepts("https://queue.example.jp", Some("10.0.0.5:3000")));
        assert!(!public.accepts("http://queue.example.jp", Some("queue.example.jp")));
        assert!(!public.accepts("https://queue.example.jp.evil.example", None));
        assert_eq!(
            origin_of("https://a.example:8443/t/x?y=1").as_deref(),
            Some("https://a.example:8443")
        );
        assert_eq!(origin_of("/relative"), None);
    }

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
        assert_eq!(
            loggable_path(&format!("/v/default/{token}")),
            "/v/default/0123…"
        );
    }
}
