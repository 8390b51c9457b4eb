//! The use cases, shared by the pages' server functions and the JSON API.

pub mod calendar;
mod error;
pub mod inbound;
pub mod kiosks;
pub mod notify;
pub mod phones;
pub mod reminders;
pub mod staff;
pub mod voice;

use crate::day::Console;
use crate::lang::Lang;
use crate::live::{EventHub, HubMessage};
use crate::phone::PhoneNumber;
pub use crate::queue::MAX_AUTODIAL_PLACES;
use crate::queue::{
    estimated_wait_ms, Channel, CounterId, Intake, QueueId, QueueInfo, QueueSnapshot,
};
use crate::store::{
    DayId, Issued, LimitReached, NewTicket, Source, Store, StoreError, TakeLimits, Taker, TokenDay,
};
use crate::ticket::{IssuedTicket, Ticket, TicketAction, TicketToken};
use calendar::Calendar;
pub use error::ServiceError;
use std::net::IpAddr;
use std::time::Duration;
use tokio::sync::broadcast;

/// What staff type to confirm a reset of the day's numbering.
pub const RESET_CONFIRMATION: &str = "reset";

/// 128 random bits from the OS, as a ticket token (also used as an opaque id).
pub fn random_token() -> TicketToken {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    TicketToken::from_bytes(bytes)
}

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

/// Limits of remote takes (remote check-in and anonymous API calls), over all queues together.
/// A window starts with its first take and lasts an hour; refused attempts do not extend it.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub active_per_client: u32,
    pub per_hour_per_client: u32,
    /// Takes from one address (an IPv6 /64) per hour: phones behind one shop Wi-Fi or one
    /// carrier's NAT share it, so it is well above the per-phone limit.
    pub per_hour_per_address: u32,
    /// Tickets one kiosk issues per minute at most (`KIOSK_MAX_PER_MINUTE`).
    pub kiosk_per_minute: u32,
}

/// How long a place taken for a ticket that is being issued counts, at most (a process that
/// stopped between the take and the issue leaves one behind).
const PENDING_PLACE_MS: u64 = 60_000;

/// Who takes a ticket remotely: where the request came from and, for a phone, the id its session
/// keeps (none: an anonymous API call, or a phone whose first ticket this is).
#[derive(Clone, Debug)]
pub struct RemoteClient {
    pub via: Via,
    pub id: Option<String>,
}

/// Where a remote take comes from.
#[derive(Clone, Debug)]
pub enum Via {
    /// A browser or an integration, from this client address.
    Address(IpAddr),
    /// An SMS or a call from this number: the ticket keeps it, verified.
    Phone(PhoneNumber),
}

pub use crate::store::address_key;

/// How an installation is set up.
#[derive(Clone, Debug)]
pub struct Setup {
    /// At least one; the first is the default.
    pub queues: Vec<QueueInfo>,
    /// At least one; the first is the default of call-next.
    pub counters: Vec<CounterId>,
    pub limits: Limits,
    pub calendar: Calendar,
    /// The address customers' phones use (for QR codes); `None`: the request's host.
    pub public_url: Option<String>,
    /// Proxies whose `X-Forwarded-For` names the real client (`TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpAddr>,
    /// A staff session ends this long after its sign-in, active or not.
    pub staff_session_lifetime: Duration,
    /// Verification SMS: limits and allowed countries.
    pub sms: phones::SmsLimits,
    /// Whether SMS and calls really leave (Twilio), or go to the dev outbox.
    pub twilio: bool,
    /// Whether SMS can be scheduled (Twilio with a messaging service, or the dev outbox): the
    /// ticket page offers reminders only then.
    pub schedules_sms: bool,
    /// How often the reminders are planned again (`REMINDER_CHECK_SECS`).
    pub reminder_check: Duration,
}

/// The waiting room of one installation: its setup, the store and the live events.
#[derive(Clone)]
pub struct WaitingRoom {
    store: Store,
    hub: EventHub,
    staff: staff::StaffDesk,
    setup: std::sync::Arc<Setup>,
}

impl WaitingRoom {
    pub fn new(store: Store, hub: EventHub, setup: Setup) -> Self {
        assert!(
            !setup.queues.is_empty(),
            "a waiting room needs at least one queue"
        );
        assert!(
            !setup.counters.is_empty(),
            "a waiting room needs at least one counter"
        );
        Self {
            store,
            hub,
            staff: staff::StaffDesk::new(setup.staff_session_lifetime),
            setup: std::sync::Arc::new(setup),
        }
    }

    /// The address a request came from (see [`client_ip`]).
    pub fn client_ip(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        client_ip(&self.setup.trusted_proxies, peer, forwarded_for)
    }

    pub fn queues(&self) -> &[QueueInfo] {
        &self.setup.queues
    }

    pub fn counters(&self) -> &[CounterId] {
        &self.setup.counters
    }

    pub fn public_url(&self) -> Option<&str> {
        self.setup.public_url.as_deref()
    }

    /// Where customers' phones reach this server: `PUBLIC_URL`, or the host the request named.
    pub fn base_url(&self, request: &RequestOrigin<'_>) -> String {
        base_url(self.public_url(), &self.setup.trusted_proxies, request)
    }

    /// Whether SMS and calls really leave (Twilio), or go to the dev outbox.
    pub fn sends_for_real(&self) -> bool {
        self.setup.twilio
    }

    pub fn calendar(&self) -> &Calendar {
        &self.setup.calendar
    }

    pub fn default_queue(&self) -> &QueueInfo {
        &self.setup.queues[0]
    }

    /// Turns raw input (a URL segment, a form field) into one of this installation's queues.
    pub fn queue(&self, raw: &str) -> Result<&QueueInfo, ServiceError> {
        self.setup
            .queues
            .iter()
            .find(|q| q.id.as_str() == raw)
            .ok_or_else(|| ServiceError::UnknownQueue(raw.chars().take(64).collect()))
    }

    pub fn counter(&self, raw: &str) -> Result<CounterId, ServiceError> {
        self.setup
            .counters
            .iter()
            .find(|c| c.as_str() == raw)
            .cloned()
            .ok_or_else(|| ServiceError::UnknownCounter(raw.chars().take(16).collect()))
    }

    /// Issues the next number of `queue`; the ticket keeps `lang`, the language it was taken in.
    pub async fn issue_ticket(
        &self,
        queue: &QueueInfo,
        channel: Channel,
        lang: Lang,
    ) -> Result<IssuedTicket, ServiceError> {
        Ok(self
            .issue_with_phone(queue, channel, lang, None, false)
            .await?
            .0)
    }

    /// The same, for a ticket taken by SMS or a call: it keeps `phone`, verified; `remote`: taken
    /// from outside the store (within remote intake's share of the day).
    async fn issue_with_phone(
        &self,
        queue: &QueueInfo,
        channel: Channel,
        lang: Lang,
        phone: Option<&PhoneNumber>,
        remote: bool,
    ) -> Result<(IssuedTicket, DayId), ServiceError> {
        let token = random_token();
        let new = NewTicket {
            channel,
            token: &token,
            lang,
            phone,
            remote,
        };
        let Issued {
            mut ticket,
            avg_service_ms,
            day,
        } = self
            .store
            .issue(&queue.id, new, &queue.prefix, self.setup.calendar.now())
            .await?;
        self.metrics()
            .ticket_issued(queue.id.as_str(), channel.as_str());
        ticket.estimated_wait_ms = estimated_wait_ms(
            ticket.people_ahead as usize,
            avg_service_ms,
            self.setup.counters.len(),
        );
        Ok((ticket, day))
    }

    /// Remote check-in (and anonymous API calls): the same issue, within the limits of the
    /// client's address and, for a phone, of the phone. The limits are checked and the place
    /// taken in one Redis step, so parallel requests cannot slip under a limit together.
    pub async fn issue_limited(
        &self,
        queue: &QueueInfo,
        channel: Channel,
        lang: Lang,
        client: &RemoteClient,
    ) -> Result<IssuedTicket, ServiceError> {
        let limits = self.setup.limits;
        let (source, per_source, phone) = match &client.via {
            Via::Address(ip) => (Source::Network(*ip), limits.per_hour_per_address, None),
            Via::Phone(phone) => (
                Source::Phone(phone.as_str()),
                limits.per_hour_per_client,
                Some(phone),
            ),
        };
        let taker = Taker {
            source,
            client: client.id.as_deref(),
        };
        let now_ms = self.setup.calendar.now().now_ms;
        let release = match &client.id {
            Some(id) => self.finished_places(id, now_ms).await?,
            None => Vec::new(),
        };
        let reservation = format!("pending:{now_ms}:{}", random_token());
        let take = TakeLimits {
            window: Duration::from_secs(3600),
            per_source,
            per_client: limits.per_hour_per_client,
            active: limits.active_per_client,
        };
        if let Some(hit) = self
            .store
            .take_place(taker, take, &reservation, &release)
            .await?
        {
            return Err(match hit {
                LimitReached::Source { retry_after_s } => ServiceError::LimitAddress {
                    max: take.per_source,
                    retry_after_s,
                },
                LimitReached::Client { retry_after_s } => ServiceError::LimitPerHour {
                    max: take.per_client,
                    retry_after_s,
                },
                LimitReached::Active => ServiceError::LimitActive { max: take.active },
            });
        }
        let issued = self
            .issue_with_phone(queue, channel, lang, phone, true)
            .await;
        match (&issued, &client.id) {
            (Ok((ticket, day)), Some(id)) => {
                let held = format!("{}/{day}/{}", queue.id, ticket.number);
                if let Err(e) = self.store.settle_place(id, &reservation, &held).await {
                    tracing::warn!(error = %e, "an issued ticket is not yet counted as held");
                }
            }
            (Ok(_), None) => {}
            (Err(_), _) => {
                if let Err(e) = self.store.give_back_place(taker, &reservation).await {
                    tracing::warn!(error = %e, "a place of a ticket not issued was not given back");
                }
            }
        }
        issued.map(|(ticket, _)| ticket)
    }

    /// What the phone `client` holds that no longer counts: finished (or expired) tickets and
    /// places of issues that never completed.
    async fn finished_places(
        &self,
        client: &str,
        now_ms: u64,
    ) -> Result<Vec<String>, ServiceError> {
        let mut finished = Vec::new();
        for place in self.store.held(client).await? {
            let counts = match place.splitn(3, '/').collect::<Vec<_>>()[..] {
                // `queue/day/number`: a ticket of an earlier day is over
                [queue, day, number] => match (
                    QueueId::parse(queue),
                    DayId::parse(day),
                    number.parse::<u64>(),
                ) {
                    (Ok(queue), Some(day), Ok(number)) => {
                        self.store.today(&queue).await? == day
                            && self
                                .store
                                .ticket_on(&queue, &day, number)
                                .await?
                                .is_some_and(|t| t.state().is_active())
                    }
                    _ => false,
                },
                // a place being issued (`pending:<ms>:<id>`) counts a while
                _ => place
                    .strip_prefix("pending:")
                    .and_then(|rest| rest.split(':').next()?.parse::<u64>().ok())
                    .is_some_and(|at| now_ms.saturating_sub(at) < PENDING_PLACE_MS),
            };
            if !counts {
                finished.push(place);
            }
        }
        Ok(finished)
    }

    pub async fn snapshot(&self, queue: &QueueId) -> Result<QueueSnapshot, ServiceError> {
        Ok(self.store.snapshot(queue).await?)
    }

    /// The ticket with `token`, in whichever queue it is, today. A ticket of an earlier day is
    /// over: [`ServiceError::TicketOfEarlierDay`].
    pub async fn ticket_by_token(
        &self,
        token: &TicketToken,
    ) -> Result<Option<Ticket>, ServiceError> {
        let mut earlier = false;
        for queue in &self.setup.queues {
            match self.store.token_day_and_today(&queue.id, token).await? {
                (TokenDay::Today(number), day) => {
                    return Ok(self.store.ticket_on(&queue.id, &day, number).await?)
                }
                (TokenDay::Earlier, _) => earlier = true,
                (TokenDay::Unknown, _) => {}
            }
        }
        if earlier {
            return Err(ServiceError::TicketOfEarlierDay);
        }
        Ok(None)
    }

    pub async fn ticket(
        &self,
        queue: &QueueId,
        number: u64,
    ) -> Result<Option<Ticket>, ServiceError> {
        Ok(self.store.ticket(queue, number).await?)
    }

    /// What the staff console of `queue` starts from (and re-reads only after a gap).
    pub async fn console(&self, queue: &QueueInfo) -> Result<Console, ServiceError> {
        let day = self.store.day(&queue.id).await?;
        let calendar = &self.setup.calendar;
        Ok(Console {
            queues: self.setup.queues.clone(),
            queue: queue.clone(),
            counters: self.setup.counters.clone(),
            autodial_places: self.store.autodial_places(&queue.id).await?,
            day,
            now_ms: calendar.now().now_ms,
            utc_offset_ms: calendar.utc_offset_ms(),
        })
    }

    /// Staff set how many places ahead `queue` calls a verified phone (0: never); tickets now
    /// within reach get their call at once.
    pub async fn set_autodial_places(
        &self,
        queue: &QueueId,
        places: u32,
    ) -> Result<(), ServiceError> {
        if places > MAX_AUTODIAL_PLACES {
            return Err(ServiceError::BadAutodial(MAX_AUTODIAL_PLACES));
        }
        Ok(self
            .store
            .set_autodial_places(queue, places, self.setup.calendar.now())
            .await?)
    }

    /// Its holder cancels `ticket` (on its page, by SMS or on the phone).
    pub async fn cancel(&self, ticket: &Ticket) -> Result<u64, ServiceError> {
        self.act(
            &ticket.queue,
            ticket.number(),
            TicketAction::Cancel,
            None,
            None,
        )
        .await
    }

    /// The customer cancels their own ticket.
    pub async fn cancel_by_token(&self, token: &TicketToken) -> Result<Ticket, ServiceError> {
        let ticket = self
            .ticket_by_token(token)
            .await?
            .ok_or(ServiceError::TicketNotFound)?;
        self.cancel(&ticket).await?;
        self.ticket(&ticket.queue, ticket.number())
            .await?
            .ok_or(ServiceError::TicketNotFound)
    }

    /// Calls the first in line to `counter`; answers the ticket's number and the queue's version.
    pub async fn call_next(
        &self,
        queue: &QueueId,
        counter: &CounterId,
    ) -> Result<(u64, u64), ServiceError> {
        let called = self
            .store
            .call_next(queue, counter, self.setup.calendar.now())
            .await?;
        self.metrics().ticket_called(queue.as_str());
        Ok(called)
    }

    /// A staff action on ticket `number`, refused when the ticket changed since revision
    /// `seen_rev`; `counter` is where [`TicketAction::Call`] calls to.
    pub async fn act(
        &self,
        queue: &QueueId,
        number: u64,
        action: TicketAction,
        counter: Option<&CounterId>,
        seen_rev: Option<u64>,
    ) -> Result<u64, ServiceError> {
        if action == TicketAction::Call && counter.is_none() {
            return Err(ServiceError::CounterMissing);
        }
        let at = self.setup.calendar.now();
        let version = self
            .store
            .act(queue, number, action, counter, seen_rev, at)
            .await?;
        if action == TicketAction::Call {
            self.metrics().ticket_called(queue.as_str());
        }
        Ok(version)
    }

    /// What the app counts, for `/metrics`.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        self.store.metrics()
    }

    pub async fn set_intake(&self, queue: &QueueId, intake: Intake) -> Result<u64, ServiceError> {
        Ok(self
            .store
            .set_intake(queue, intake, self.setup.calendar.now())
            .await?)
    }

    /// The staff start a new business day now (numbering from 1), having typed
    /// [`RESET_CONFIRMATION`]. The day before stays as it was until its data expires.
    pub async fn reset(&self, queue: &QueueId, confirmation: &str) -> Result<(), ServiceError> {
        if confirmation.trim() != RESET_CONFIRMATION {
            return Err(ServiceError::ResetNotConfirmed);
        }
        let now = self.setup.calendar.now();
        if let Some(day) = self.store.reset(queue, true, now).await? {
            tracing::info!(%queue, %day, "staff started a new day");
        }
        Ok(())
    }

    /// Starts the new business day of every queue whose date came. The first change after the
    /// boundary does it anyway, in any process; this tells idle screens in time. Run by every
    /// server process at each boundary and every minute (the script makes it happen once).
    pub async fn daily_reset(&self) -> Result<(), ServiceError> {
        let now = self.setup.calendar.now();
        for queue in &self.setup.queues {
            if let Some(day) = self.store.reset(&queue.id, false, now).await? {
                tracing::info!(queue = %queue.id, %day, "a new business day started");
            }
        }
        Ok(())
    }

    /// Sets the staff password at start (see [`staff::init_password`]); answers a generated one.
    pub async fn init_staff_password(
        &self,
        configured: Option<&str>,
    ) -> Result<Option<String>, staff::StaffError> {
        self.staff.init_password(&self.store, configured).await
    }

    /// A staff sign-in from `client` (see [`staff::StaffDesk::sign_in`]).
    pub async fn sign_in(
        &self,
        candidate: &str,
        client: IpAddr,
    ) -> Result<staff::StaffPass, ServiceError> {
        let now = self.setup.calendar.now().now_ms;
        self.staff
            .sign_in(&self.store, candidate, client, now)
            .await
    }

    /// Whether a staff session's pass still holds.
    pub async fn admits(&self, pass: &staff::StaffPass) -> Result<bool, ServiceError> {
        let now = self.setup.calendar.now().now_ms;
        Ok(self.staff.admits(&self.store, pass, now).await?)
    }

    /// Ends every staff session, on every tablet.
    pub async fn sign_out_everywhere(&self) -> Result<(), ServiceError> {
        self.store.next_staff_epoch().await?;
        Ok(())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<HubMessage> {
        self.hub.subscribe()
    }

    /// The snapshot a live screen starts from (after [`Self::subscribe`]): this process's copy,
    /// kept current by the events, so reconnecting screens cost Redis one read per queue.
    pub async fn live_snapshot(&self, queue: &QueueId) -> Result<QueueSnapshot, ServiceError> {
        Ok(self.hub.snapshot(queue).await?)
    }

    pub async fn health(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }
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
