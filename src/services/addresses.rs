//! Addresses: where a request came from (only a trusted proxy may say otherwise), where
//! customers' phones reach this server, and the links and QR codes handed out.

use crate::ticket::TicketToken;
use std::net::IpAddr;

/// The address of a ticket's page: `base` is `PUBLIC_URL` or `http://<the request's host>`.
pub fn ticket_url(base: &str, token: &TicketToken) -> String {
    format!("{}/t/{token}", base.trim_end_matches('/'))
}

/// A QR code of `text`, as an SVG image that scales to its container.
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(160, 160)
            .quiet_zone(true)
            .build(),
        Err(e) => {
            tracing::error!(error = %e, "QR code not made");
            String::new()
        }
    }
}

/// The address a request came from: the peer, or — only when the peer is a `trusted` proxy —
/// the last address in `X-Forwarded-For` that is not a trusted proxy. A client cannot choose
/// its address by sending the header itself.
pub fn client_ip(trusted: &[IpAddr], peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded_for
        .into_iter()
        .flat_map(|header| header.rsplit(','))
        .map_while(|hop| hop.trim().parse::<IpAddr>().ok())
        .find(|hop| !trusted.contains(hop))
        .unwrap_or(peer)
}

/// What a request says of where it was sent: its `Host`, the peer's address and, through a
/// proxy, `X-Forwarded-Proto`.
#[derive(Clone, Copy, Debug)]
pub struct RequestOrigin<'a> {
    pub host: Option<&'a str>,
    pub peer: IpAddr,
    pub forwarded_proto: Option<&'a str>,
}

/// Where customers' phones reach this server: `PUBLIC_URL`, else the host the request named,
/// with https only when a trusted proxy says the request came over https.
pub fn base_url(
    public_url: Option<&str>,
    trusted: &[IpAddr],
    request: &RequestOrigin<'_>,
) -> String {
    if let Some(url) = public_url {
        return url.to_owned();
    }
    let host = request
        .host
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let https = trusted.contains(&request.peer)
        && request
            .forwarded_proto
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_https_only_when_a_trusted_proxy_says_so() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let request = |peer: &str, proto| RequestOrigin {
            host: Some("queue.example.jp"),
            peer: peer.parse().unwrap(),
            forwarded_proto: proto,
        };
        let url = |r: RequestOrigin| base_url(None, &[proxy], &r);
        assert_eq!(
            url(request("10.0.0.1", Some("https"))),
            "https://queue.example.jp"
        );
        assert_eq!(url(request("10.0.0.1", None)), "http://queue.example.jp");
        assert_eq!(
            url(request("203.0.113.5", Some("https"))),
            "http://queue.example.jp",
            "not a proxy of ours"
        );
        let public = base_url(Some("https://q.example"), &[], &request("1.1.1.1", None));
        assert_eq!(public, "https://q.example");
        let odd = RequestOrigin {
            host: Some("evil\"><script>"),
            peer: proxy,
            forwarded_proto: None,
        };
        assert_eq!(base_url(None, &[], &odd), "http://localhost");
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = ip("10.0.0.1");
        let trusted = [proxy];
        assert_eq!(
            client_ip(&trusted, ip("203.0.113.9"), Some("1.2.3.4")),
            ip("203.0.113.9"),
            "not a proxy: its own address"
        );
        assert_eq!(
            client_ip(&trusted, proxy, Some("198.51.100.7")),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(&trusted, proxy, Some("6.6.6.6, 198.51.100.7, 10.0.0.1")),
            ip("198.51.100.7"),
            "the client cannot prepend an address of its choice"
        );
        assert_eq!(client_ip(&trusted, proxy, Some("garbage")), proxy);
        assert_eq!(client_ip(&trusted, proxy, None), proxy);
        assert_eq!(
            client_ip(&[], ip("127.0.0.1"), Some("1.1.1.1")),
            ip("127.0.0.1")
        );
    }
}
