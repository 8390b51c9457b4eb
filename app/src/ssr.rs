//! What server functions share on the server: the waiting room, the session, the staff check,
//! the request's language. Compiled only with the `ssr` feature.

use crate::error::AppError;
use crate::i18n::Locale;
use waitingroom::services::staff::StaffPass;
use waitingroom::services::WaitingRoom;
use waitingroom::Lang;

pub const STAFF_KEY: &str = "staff";
pub const TICKETS_KEY: &str = "tickets";

pub fn room() -> Result<WaitingRoom, AppError> {
    leptos::prelude::use_context::<WaitingRoom>().ok_or(AppError::Unavailable)
}

pub async fn session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|_| AppError::Unavailable)
}

/// Refuses unless the caller signed in as staff, under the current staff epoch (the password
/// has not changed, nobody signed everyone out) and within the session's lifetime.
pub async fn require_staff() -> Result<WaitingRoom, AppError> {
    let room = room()?;
    let session = session().await?;
    let pass: Option<StaffPass> = session
        .get(STAFF_KEY)
        .await
        .map_err(|_| AppError::Unavailable)?;
    match pass {
        Some(pass) if room.admits(&pass).await? => Ok(room),
        Some(_) => {
            let _ = session.flush().await;
            Err(AppError::NotSignedIn)
        }
        None => Err(AppError::NotSignedIn),
    }
}

/// The address the request came from (through a trusted proxy: the client's).
pub async fn client_ip(room: &WaitingRoom) -> Result<std::net::IpAddr, AppError> {
    let headers: axum::http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    let forwarded = headers.get("x-forwarded-for").and_then(|h| h.to_str().ok());
    Ok(room.client_ip(peer().await?, forwarded))
}

/// `PUBLIC_URL`, or the address the browser used (https when a trusted proxy says so).
pub async fn base_url(room: &WaitingRoom) -> Result<String, AppError> {
    let headers: axum::http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    let peer = peer().await?;
    let named = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
    Ok(room.base_url(&waitingroom::services::RequestOrigin {
        host: named("host"),
        peer,
        forwarded_proto: named("x-forwarded-proto"),
    }))
}

async fn peer() -> Result<std::net::IpAddr, AppError> {
    let axum::extract::ConnectInfo(peer) =
        leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .await
            .map_err(|_| AppError::Unavailable)?;
    Ok(peer.ip())
}

/// The language of the request: the language cookie, else `Accept-Language`, else Japanese.
pub fn lang() -> Lang {
    crate::components::lang_menu::to_lang(leptos_i18n::locale::resolve_locale::<Locale>())
}
