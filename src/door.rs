//! The one door: who a request comes from and where, worked out once, as axum extractors used
//! alike by the server functions (`app::ssr::admit`), the JSON API, the live channel and the
//! webhooks. They read the waiting room from the request's extensions (the router adds it), the
//! peer from `ConnectInfo` (the server's accept loop adds it) and the session from
//! `tower-sessions`. A refusal is a [`Problem`] ([`Refused`]), answered the same way by every door (JSON
//! `{"error", "message"}` with its status, `WWW-Authenticate` on a 401 of the API, `Retry-After`
//! at a limit). Who a staff request is ([`Actor`]: an account and its role, or the API's token)
//! and what it may do ([`Capability`]) are checked here too.

use crate::account::Capability;
use crate::problem::{ErrorCode, Problem};
use crate::services::devices::KioskDevice;
use crate::services::staff::{Actor, StaffPass};
use crate::services::{RequestOrigin, WaitingRoom};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use tower_sessions::Session;

/// The cookie a kiosk keeps its credential in.
pub const KIOSK_COOKIE: &str = "wr_kiosk";
/// The session's key for a staff sign-in ([`StaffPass`]).
pub const STAFF_KEY: &str = "staff";

/// `problem` as an HTTP answer, with `message` (the problem's own words when it has none).
pub fn answer(problem: &Problem, message: &str) -> Response {
    let status =
        StatusCode::from_u16(problem.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = problem.code();
    let body = serde_json::json!({"error": code.as_str(), "message": message}).to_string();
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if code == ErrorCode::Unauthorized {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if let Some(wait) = problem.retry_after_s() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
    }
    response
}

/// A request the door refused, with the [`Problem`] every door answers alike.
#[derive(Debug)]
pub struct Refused(pub Problem);

impl From<Problem> for Refused {
    fn from(problem: Problem) -> Self {
        Refused(problem)
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        answer(&self.0, &self.0.to_string())
    }
}

/// The waiting room, which the router puts in every request (missing: a programming error,
/// answered 503 and logged).
fn room(parts: &Parts) -> Result<&WaitingRoom, Problem> {
    parts.extensions.get::<WaitingRoom>().ok_or_else(|| {
        tracing::error!("the waiting room is not in the request");
        Problem::Unavailable
    })
}

fn peer(parts: &Parts) -> Result<IpAddr, Problem> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip())
        .ok_or_else(|| {
            tracing::error!("the peer's address is not in the request");
            Problem::Unavailable
        })
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|h| h.to_str().ok())
}

async fn session<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<Session, Problem> {
    Session::from_request_parts(parts, state)
        .await
        .map_err(|_| {
            tracing::error!("the session layer is not in front of this route");
            Problem::Unavailable
        })
}

/// The client's address: the peer's, or behind one of `TRUSTED_PROXIES` the client it names in
/// `X-Forwarded-For`.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = peer(parts)?;
        Ok(Self(
            room(parts)?.client_ip(peer, header(parts, "x-forwarded-for")),
        ))
    }
}

/// Where customers' phones reach this server, for the links a request gets back: `PUBLIC_URL`,
/// else the host the request named (https only when a trusted proxy says so).
#[derive(Clone, Debug)]
pub struct BaseUrl(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let origin = RequestOrigin {
            host: header(parts, "host"),
            peer: peer(parts)?,
            forwarded_proto: header(parts, "x-forwarded-proto"),
        };
        Ok(Self(room(parts)?.base_url(&origin)))
    }
}

/// The kiosk credential the request's cookies carry, if any (unchecked: [`KioskDevice`] checks
/// it).
#[derive(Clone, Debug, Default)]
pub struct KioskCredential(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for KioskCredential {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|h| h.to_str().ok())
                .flat_map(|h| h.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .find_map(|(name, value)| (name == KIOSK_COOKIE).then(|| value.to_owned())),
        ))
    }
}

/// A kiosk: the request's cookie holds the credential of a kiosk that was not revoked (noted as
/// seen now); else `not_a_kiosk`.
impl<S: Send + Sync> FromRequestParts<S> for KioskDevice {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Ok(KioskCredential(credential)) =
            KioskCredential::from_request_parts(parts, state).await;
        Ok(room(parts)?
            .devices()
            .admit_kiosk(credential.as_deref())
            .await
            .map_err(refusal)?)
    }
}

/// The staff API's bearer token as the request gives it, and whom it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffToken {
    /// No `Authorization` header: an anonymous call.
    Absent,
    /// `STAFF_API_TOKEN` (an admin), or a token made in the console (its scopes).
    Valid(Actor),
    /// Another token (one revoked among them), or any while none is configured.
    Invalid,
}

impl<S: Send + Sync> FromRequestParts<S> for StaffToken {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(given) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Self::Absent);
        };
        let given = given
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let room = room(parts)?;
        // `STAFF_API_TOKEN`, the legacy way
        let legacy = room
            .setup()
            .staff
            .api_token
            .as_ref()
            .is_some_and(|expected| {
                crate::secret::constant_time_eq(given.as_bytes(), expected.as_bytes())
            });
        if legacy {
            return Ok(Self::Valid(Actor::api_token()));
        }
        Ok(
            match room.api_tokens().admit(given).await.map_err(refusal)? {
                Some(actor) => Self::Valid(actor),
                None => Self::Invalid,
            },
        )
    }
}

/// The staff pass of `session` and who it signs in, if it still holds (see
/// [`StaffDesk::admits`](crate::services::staff::StaffDesk::admits)). A pass that no longer holds
/// is removed with its session.
pub async fn staff_pass(
    room: &WaitingRoom,
    session: &Session,
) -> Result<Option<(StaffPass, Actor)>, Problem> {
    let pass: Option<StaffPass> = session.get(STAFF_KEY).await.map_err(|e| {
        tracing::error!(error = %e, "the session store could not answer");
        Problem::Unavailable
    })?;
    let Some(pass) = pass else {
        return Ok(None);
    };
    if let Some(actor) = room.staff().admits(&pass).await.map_err(refusal)? {
        return Ok(Some((pass, actor)));
    }
    let _ = session.flush().await;
    Ok(None)
}

/// A browser signed in to the console (its server functions); else `not_signed_in`. Who it is
/// ([`Actor`]) says what it may do: [`StaffSession::may`].
#[derive(Clone, Debug)]
pub struct StaffSession {
    pub pass: StaffPass,
    pub actor: Actor,
}

impl StaffSession {
    /// Refused (`not_allowed`, or `password_change_required`) unless it may do `what`.
    pub fn may(&self, what: Capability) -> Result<(), Problem> {
        self.actor.may(what)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for StaffSession {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = session(parts, state).await?;
        match staff_pass(room(parts)?, &session).await? {
            Some((pass, actor)) => Ok(Self { pass, actor }),
            None => Err(Problem::NotSignedIn.into()),
        }
    }
}

/// Staff either way: the API token (an admin), or (the console's download links) a browser
/// signed in; else `unauthorized`. What it may do: [`Actor::may`].
#[derive(Clone, Debug)]
pub struct Staff(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match StaffToken::from_request_parts(parts, state).await? {
            StaffToken::Valid(actor) => Ok(Staff(actor)),
            StaffToken::Invalid => Err(Problem::Unauthorized.into()),
            StaffToken::Absent => {
                let session = session(parts, state).await?;
                match staff_pass(room(parts)?, &session).await? {
                    Some((_, actor)) => Ok(Staff(actor)),
                    None => Err(Problem::Unauthorized.into()),
                }
            }
        }
    }
}

/// A use case's error at the door: a refusal as is, a fault logged here and answered
/// `unavailable`.
fn refusal(e: crate::services::ServiceError) -> Problem {
    if e.is_fault() {
        tracing::error!(error = %e, "a request's check could not finish");
    }
    e.problem()
}
