//! What a request says about who sent it and where, worked out once, as axum extractors: for the
//! JSON API, the live channel, the Twilio webhooks and (through `leptos_axum::extract`) the server
//! functions. They read the waiting room (and through it the staff API token) from the request's
//! extensions (the router adds it) and the peer from `ConnectInfo` (the server's accept loop adds it).
//! Compiled only with the `ssr` feature.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use std::net::{IpAddr, SocketAddr};
use waitingroom::services::{RequestOrigin, WaitingRoom};

/// The cookie a kiosk keeps its credential in.
pub const KIOSK_COOKIE: &str = "wr_kiosk";

/// What is missing when the router or the accept loop did not set a request up: a programming
/// error, answered 500.
type Unset = (StatusCode, &'static str);

fn room(parts: &Parts) -> Result<&WaitingRoom, Unset> {
    parts.extensions.get::<WaitingRoom>().ok_or((
        StatusCode::INTERNAL_SERVER_ERROR,
        "the waiting room is not in the request",
    ))
}

fn peer(parts: &Parts) -> Result<IpAddr, Unset> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip())
        .ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "the peer's address is not in the request",
        ))
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|h| h.to_str().ok())
}

/// The client's address: the peer's, or behind one of `TRUSTED_PROXIES` the client it names in
/// `X-Forwarded-For`.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Unset;

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
    type Rejection = Unset;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let origin = RequestOrigin {
            host: header(parts, "host"),
            peer: peer(parts)?,
            forwarded_proto: header(parts, "x-forwarded-proto"),
        };
        Ok(Self(room(parts)?.base_url(&origin)))
    }
}

/// The kiosk credential the request's cookies carry, if any (unchecked).
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

/// The staff API's bearer token as the request gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffToken {
    /// No `Authorization` header: an anonymous call.
    Absent,
    /// The configured token.
    Valid,
    /// Another token, or any while the staff API is closed.
    Invalid,
}

impl<S: Send + Sync> FromRequestParts<S> for StaffToken {
    type Rejection = Unset;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(given) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Self::Absent);
        };
        let given = given
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // `STAFF_API_TOKEN`; none: the staff API is closed
        let expected = &room(parts)?.setup().staff.api_token;
        let valid = expected.as_ref().is_some_and(|expected| {
            waitingroom::secret::constant_time_eq(given.as_bytes(), expected.as_bytes())
        });
        Ok(if valid { Self::Valid } else { Self::Invalid })
    }
}
