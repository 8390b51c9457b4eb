//! The use cases, shared by the pages' server functions, the JSON API and the webhooks: the
//! [`WaitingRoom`] facade is here, each use case in its own file (issue, tickets, console, day,
//! phones, kiosks, staff, reminders, inbound texts, voice, the outbox and the contact log).

mod addresses;
mod console;
mod contacts;
mod day;
pub mod devices;
mod error;
pub mod estimate;
mod history;
pub mod inbound;
mod issue;
mod line;
mod outbox;
pub mod phones;
pub mod reminders;
mod requests;
mod setup;
pub mod staff;
mod tickets;
pub mod voice;

pub use crate::queue::MAX_AUTODIAL_PLACES;
pub use crate::store::address_key;
pub use addresses::{base_url, client_ip, qr_svg, ticket_url, RequestOrigin};
pub use day::RESET_CONFIRMATION;
pub use error::ServiceError;
pub use issue::{RemoteClient, Via};
pub use line::{LineWebhookError, LINE_MESSAGES_PER_HOUR};
pub use setup::{Limits, Setup, SiteSettings};
pub use staff::StaffSettings;

use crate::calendar::Calendar;
use crate::live::{EventHub, HubMessage};
use crate::notify::{LineNotifier, Notifier, Texts};
use crate::problem::Problem;
use crate::queue::{CounterId, QueueId, QueueInfo, QueueSnapshot};
use crate::store::{Store, StoreError};
use crate::ticket::TicketToken;
use std::net::IpAddr;
use std::sync::Arc;
use tokio::sync::broadcast;

/// 128 random bits from the OS, as a ticket token (also used as an opaque id).
pub fn random_token() -> TicketToken {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    TicketToken::from_bytes(bytes)
}

/// The waiting room of one installation: its setup, the store, the live events, and its clients
/// (where SMS and calls go, and what they say).
#[derive(Clone)]
pub struct WaitingRoom {
    store: Store,
    hub: EventHub,
    staff: staff::StaffDesk,
    setup: Arc<Setup>,
    /// Where SMS and calls go: Twilio, or the dev outbox (by the setup's Twilio section).
    notifier: Arc<dyn Notifier>,
    /// What SMS and calls say, in a ticket's language (the app's locale files).
    texts: Arc<dyn Texts>,
    /// Where LINE messages go (`None`: LINE is off).
    line: Option<LineNotifier>,
    /// What the history taught the wait estimate, per queue and hour (read every few minutes).
    learned: Arc<estimate::Learned>,
    devices: devices::Devices,
}

impl WaitingRoom {
    /// The waiting room `setup` describes, on `store`; its SMS and calls say `texts`.
    pub fn new(store: Store, hub: EventHub, setup: Setup, texts: Arc<dyn Texts>) -> Self {
        assert!(
            !setup.queues.is_empty(),
            "a waiting room needs at least one queue"
        );
        assert!(
            !setup.counters.is_empty(),
            "a waiting room needs at least one counter"
        );
        let notifier =
            crate::notify::notifier_for(&setup.twilio, setup.site.public_url.as_deref(), &store);
        let line = LineNotifier::of(&setup.line);
        Self {
            line,
            devices: devices::Devices::new(store.clone(), setup.calendar.clone()),
            store,
            hub,
            staff: staff::StaffDesk::new(setup.staff.session_lifetime()),
            setup: Arc::new(setup),
            notifier,
            texts,
            learned: Arc::default(),
        }
    }

    /// The kiosks (and, to come, the boards and printers).
    pub fn devices(&self) -> &devices::Devices {
        &self.devices
    }

    /// The address a request came from (see [`client_ip`]).
    pub fn client_ip(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        client_ip(&self.setup.site.trusted_proxies, peer, forwarded_for)
    }

    pub fn queues(&self) -> &[QueueInfo] {
        &self.setup.queues
    }

    pub fn counters(&self) -> &[CounterId] {
        &self.setup.counters
    }

    pub fn public_url(&self) -> Option<&str> {
        self.setup.site.public_url.as_deref()
    }

    /// Where customers' phones reach this server: `PUBLIC_URL`, or the host the request named.
    pub fn base_url(&self, request: &RequestOrigin<'_>) -> String {
        base_url(self.public_url(), &self.setup.site.trusted_proxies, request)
    }

    /// Whether SMS and calls really leave (Twilio), or go to the dev outbox.
    pub fn sends_for_real(&self) -> bool {
        self.setup.twilio.sends()
    }

    /// How this installation is set up (its configuration, each part's section whole).
    pub fn setup(&self) -> &Setup {
        &self.setup
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
            .ok_or_else(|| {
                Problem::UnknownQueue {
                    queue: raw.chars().take(64).collect(),
                }
                .into()
            })
    }

    pub fn counter(&self, raw: &str) -> Result<CounterId, ServiceError> {
        self.setup
            .counters
            .iter()
            .find(|c| c.as_str() == raw)
            .cloned()
            .ok_or_else(|| {
                Problem::UnknownCounter {
                    counter: raw.chars().take(16).collect(),
                }
                .into()
            })
    }

    /// What the app counts, for `/metrics`.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        self.store.metrics()
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
