//! Issuing a ticket: at the store's kiosk or browser, and remotely (remote check-in, the
//! anonymous API, an SMS or a call) within the limits of the client's address and phone.

use super::devices::KioskDevice;
use super::estimate::Estimate;
use super::{random_token, ServiceError, Setup};
use crate::lang::Lang;
use crate::phone::PhoneNumber;
use crate::problem::Problem;
use crate::queue::{Channel, QueueInfo};
use crate::store::{self, Store};
use crate::store::{
    DayId, HeldPlace, Holder, Issued, LimitReached, NewTicket, Source, TakeLimits, Taker,
};
use crate::ticket::IssuedTicket;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

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

/// Tickets issued: at the kiosk, remotely, by phone. Handed out by [`super::WaitingRoom::issuing`].
#[derive(Clone)]
pub struct Issuing {
    days: store::Days,
    metrics: Arc<crate::metrics::Metrics>,
    places: store::Places,
    tickets: store::Tickets,
    setup: Arc<Setup>,
    estimate: Estimate,
}

impl Issuing {
    pub(super) fn new(store: &Store, setup: Arc<Setup>, estimate: Estimate) -> Self {
        Self {
            days: store.days(),
            metrics: store.shared_metrics(),
            places: store.places(),
            tickets: store.tickets(),
            setup,
            estimate,
        }
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
        let basis = self.estimate.issue_basis(&queue.id).await?;
        let counters = match (basis.learned_service_ms, basis.active_counters) {
            (Some(_), active) if active > 0 => active,
            _ => self.setup.counters.len() as u32,
        };
        let new = NewTicket {
            channel,
            token: &token,
            lang,
            phone,
            remote,
            counters,
            service_ms: basis.learned_service_ms,
        };
        let Issued {
            mut ticket,
            avg_service_ms,
            day,
        } = self
            .tickets
            .issue(&queue.id, new, &queue.prefix, self.setup.calendar.now())
            .await?;
        self.metrics
            .ticket_issued(queue.id.as_str(), channel.as_str());
        ticket.estimated_wait_ms =
            self.estimate
                .wait_ms(ticket.people_ahead as usize, avg_service_ms, &basis);
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
        let now_ms = self.setup.calendar.now().now_ms;
        let reservation = HeldPlace::Pending {
            since_ms: now_ms,
            id: random_token().to_string(),
        };
        let holder = client.id.as_deref().map(|client| Holder {
            client,
            place: &reservation,
        });
        let taker = Taker { source, holder };
        let release = match holder {
            Some(holder) => self.finished_places(holder.client, now_ms).await?,
            None => Vec::new(),
        };
        let take = TakeLimits {
            window: Duration::from_secs(3600),
            per_source,
            per_client: limits.per_hour_per_client,
            active: limits.active_per_client,
        };
        if let Some(hit) = self.places.take_place(taker, take, &release).await? {
            return Err(match hit {
                LimitReached::Source { retry_after_s } => Problem::LimitAddress {
                    max: take.per_source,
                    retry_after_s,
                },
                LimitReached::Client { retry_after_s } => Problem::LimitPerHour {
                    max: take.per_client,
                    retry_after_s,
                },
                LimitReached::Active => Problem::LimitActive { max: take.active },
            }
            .into());
        }
        let issued = self
            .issue_with_phone(queue, channel, lang, phone, true)
            .await;
        match (&issued, holder) {
            (Ok((ticket, day)), Some(holder)) => {
                let held = HeldPlace::Ticket {
                    queue: queue.id.clone(),
                    day: day.clone(),
                    number: ticket.number,
                };
                if let Err(e) = self.places.settle_place(holder, &held).await {
                    tracing::warn!(error = %e, "an issued ticket is not yet counted as held");
                }
            }
            (Ok(_), None) => {}
            (Err(_), _) => {
                if let Err(e) = self.places.give_back_place(taker).await {
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
    ) -> Result<Vec<HeldPlace>, ServiceError> {
        let mut finished = Vec::new();
        for place in self.places.held(client).await? {
            let counts = match &place {
                // a ticket of an earlier day is over
                HeldPlace::Ticket { queue, day, number } => {
                    self.days.today(queue).await? == *day
                        && self
                            .tickets
                            .ticket_on(queue, day, *number)
                            .await?
                            .is_some_and(|t| t.state().is_active())
                }
                // a place being issued counts a while
                HeldPlace::Pending { since_ms, .. } => {
                    now_ms.saturating_sub(*since_ms) < PENDING_PLACE_MS
                }
                HeldPlace::Unknown(_) => false,
            };
            if !counts {
                finished.push(place);
            }
        }
        Ok(finished)
    }

    /// Issues the next number of `queue` at `kiosk`, within the kiosk's limit per minute (a real
    /// line never needs more than about a ticket a second).
    pub async fn issue_at_kiosk(
        &self,
        kiosk: &KioskDevice,
        queue: &QueueInfo,
        lang: Lang,
    ) -> Result<IssuedTicket, ServiceError> {
        let taker = Taker {
            source: Source::Kiosk(kiosk.id()),
            holder: None,
        };
        let limits = TakeLimits {
            window: Duration::from_secs(60),
            per_source: self.setup.limits.kiosk_per_minute,
            per_client: 0,
            active: 0,
        };
        if let Some(LimitReached::Source { retry_after_s }) =
            self.places.take_place(taker, limits, &[]).await?
        {
            return Err(Problem::LimitKiosk {
                max: limits.per_source,
                retry_after_s,
            }
            .into());
        }
        let issued = self.issue_ticket(queue, Channel::Kiosk, lang).await;
        if issued.is_err() {
            if let Err(e) = self.places.give_back_place(taker).await {
                tracing::warn!(error = %e, "a kiosk's take of a ticket not issued was not given back");
            }
        }
        issued
    }
}
