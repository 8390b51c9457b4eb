//! The use cases, shared by the pages' server functions, the JSON API and the webhooks: one
//! service per capability, each in the file of its name (the desk, issuing, the estimate, phones,
//! inbound texts, voice, LINE, reminders, the outbox, the contact log, history, API requests,
//! staff, devices), each holding only what it needs; [`WaitingRoom`] builds them and hands them out.

pub mod accounts;
mod addresses;
pub mod api_tokens;
pub mod audit;
pub mod contacts;
pub mod desk;
pub mod devices;
mod error;
pub mod estimate;
pub mod history;
pub mod inbound;
pub mod issue;
pub mod line;
pub mod outbox;
pub mod phones;
pub mod reminders;
pub mod requests;
mod setup;
pub mod staff;
pub mod voice;

pub use crate::queue::MAX_AUTODIAL_PLACES;
pub use crate::store::address_key;
pub use addresses::{base_url, client_ip, qr_svg, ticket_url, RequestOrigin};
pub use desk::RESET_CONFIRMATION;
pub use error::ServiceError;
pub use issue::{RemoteClient, Via};
pub use line::{LineWebhookError, LINE_MESSAGES_PER_HOUR};
pub use setup::{Limits, Setup, SiteSettings};
pub use staff::StaffSettings;

use crate::live::{EventHub, HubMessage};
use crate::notify::{LineNotifier, Notifier, Texts};
use crate::queue::{QueueId, QueueSnapshot};
use crate::store::{Store, StoreError};
use crate::ticket::TicketToken;
use std::net::IpAddr;
use std::sync::Arc;
use tokio::sync::broadcast;

use accounts::Accounts;
use api_tokens::ApiTokens;
use audit::Audit;
use contacts::Contacts;
use desk::Desk;
use devices::Devices;
use estimate::Estimate;
use history::History;
use inbound::Inbound;
use issue::Issuing;
use line::Line;
use outbox::Outbox;
use phones::Phones;
use reminders::Reminders;
use requests::Requests;
use staff::StaffDesk;
use voice::Voice;

/// 128 random bits from the OS, as a ticket token (also used as an opaque id).
pub fn random_token() -> TicketToken {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    TicketToken::from_bytes(bytes)
}

/// The waiting room of one installation: its setup, the live events, and its services, one per
/// capability, each holding only what it needs (see docs/architecture.md). A clone is a pointer's
/// (the services, some 20 KB, are built once).
#[derive(Clone)]
pub struct WaitingRoom(Arc<Services>);

struct Services {
    store: Store,
    hub: EventHub,
    setup: Arc<Setup>,
    desk: Desk,
    issuing: Issuing,
    estimate: Estimate,
    phones: Phones,
    inbound: Inbound,
    voice: Voice,
    line: Line,
    reminders: Reminders,
    outbox: Outbox,
    contacts: Contacts,
    history: History,
    requests: Requests,
    staff: StaffDesk,
    accounts: Accounts,
    audit: Audit,
    api_tokens: ApiTokens,
    devices: Devices,
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
        let notifier: Arc<dyn Notifier> =
            crate::notify::notifier_for(&setup.twilio, setup.site.public_url.as_deref(), &store);
        let setup = Arc::new(setup);
        let at = || Arc::clone(&setup);
        let desk = Desk::new(&store, at());
        let staff = StaffDesk::new(&store, at());
        let estimate = Estimate::new(&store, at(), Arc::default());
        let issuing = Issuing::new(&store, at(), estimate.clone());
        let contacts = Contacts::new(&store, at(), Arc::clone(&notifier));
        let phones = Phones::new(&store, at(), Arc::clone(&texts), desk.clone());
        let inbound = Inbound::new(
            &store,
            at(),
            Arc::clone(&texts),
            desk.clone(),
            issuing.clone(),
            phones.clone(),
            estimate.clone(),
            contacts.clone(),
        );
        let voice = Voice::new(
            &store,
            at(),
            Arc::clone(&texts),
            desk.clone(),
            phones.clone(),
            inbound.clone(),
        );
        let line = Line::new(
            &store,
            at(),
            Arc::clone(&texts),
            LineNotifier::of(&setup.line),
            phones.clone(),
            contacts.clone(),
        );
        let reminders = Reminders::new(
            &store,
            at(),
            Arc::clone(&texts),
            desk.clone(),
            Arc::clone(&notifier),
            line.clone(),
            estimate.clone(),
            contacts.clone(),
        );
        let outbox = Outbox::new(
            &store,
            at(),
            texts,
            notifier,
            contacts.clone(),
            line.clone(),
            reminders.clone(),
            voice.clone(),
        );
        Self(Arc::new(Services {
            history: History::new(&store, at()),
            requests: Requests::new(&store),
            accounts: Accounts::new(&store, at(), staff.clone()),
            audit: Audit::new(&store, at()),
            api_tokens: ApiTokens::new(&store, at()),
            staff,
            devices: Devices::new(&store, setup.calendar.clone()),
            desk,
            issuing,
            estimate,
            phones,
            inbound,
            voice,
            line,
            reminders,
            outbox,
            contacts,
            store,
            hub,
            setup,
        }))
    }

    /// Tickets once issued, the console's settings, the business day.
    pub fn desk(&self) -> &Desk {
        &self.0.desk
    }

    /// Tickets issued: at the kiosk, remotely, by phone.
    pub fn issuing(&self) -> &Issuing {
        &self.0.issuing
    }

    /// What the wait estimate is fed with.
    pub fn estimate(&self) -> &Estimate {
        &self.0.estimate
    }

    /// A ticket's phone: registered, verified, called.
    pub fn phones(&self) -> &Phones {
        &self.0.phones
    }

    /// Texts received and answered.
    pub fn inbound(&self) -> &Inbound {
        &self.0.inbound
    }

    /// Calls: automatic, to the store, by staff.
    pub fn voice(&self) -> &Voice {
        &self.0.voice
    }

    /// The shop's LINE account.
    pub fn line(&self) -> &Line {
        &self.0.line
    }

    /// Reminders customers ask for.
    pub fn reminders(&self) -> &Reminders {
        &self.0.reminders
    }

    /// What is sent, once each.
    pub fn outbox(&self) -> &Outbox {
        &self.0.outbox
    }

    /// The 24-hour log of texts and calls.
    pub fn contacts(&self) -> &Contacts {
        &self.0.contacts
    }

    /// The days' figures.
    pub fn history(&self) -> &History {
        &self.0.history
    }

    /// The API's calls carried out once.
    pub fn requests(&self) -> &Requests {
        &self.0.requests
    }

    /// Staff sign-in and sessions.
    pub fn staff(&self) -> &StaffDesk {
        &self.0.staff
    }

    /// The accounts, as admins keep them.
    pub fn accounts(&self) -> &Accounts {
        &self.0.accounts
    }

    /// The API tokens made in the console.
    pub fn api_tokens(&self) -> &ApiTokens {
        &self.0.api_tokens
    }

    /// The audit trail.
    pub fn audit(&self) -> &Audit {
        &self.0.audit
    }

    /// The kiosks (and, to come, the boards and printers).
    pub fn devices(&self) -> &Devices {
        &self.0.devices
    }

    /// How this installation is set up (its configuration, each part's section whole; its
    /// queues, counters and labels).
    pub fn setup(&self) -> &Setup {
        &self.0.setup
    }

    /// The address a request came from (see [`client_ip`]).
    pub fn client_ip(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        client_ip(&self.0.setup.site.trusted_proxies, peer, forwarded_for)
    }

    /// Where customers' phones reach this server: `PUBLIC_URL`, or the host the request named.
    pub fn base_url(&self, request: &RequestOrigin<'_>) -> String {
        base_url(
            self.0.setup.public_url(),
            &self.0.setup.site.trusted_proxies,
            request,
        )
    }

    /// Whether SMS and calls really leave (Twilio), or go to the dev outbox.
    pub fn sends_for_real(&self) -> bool {
        self.0.setup.twilio.sends()
    }

    /// What the app counts, for `/metrics`.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        self.0.store.metrics()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<HubMessage> {
        self.0.hub.subscribe()
    }

    /// The snapshot a live screen starts from (after [`Self::subscribe`]): this process's copy,
    /// kept current by the events, so reconnecting screens cost Redis one read per queue.
    pub async fn live_snapshot(&self, queue: &QueueId) -> Result<QueueSnapshot, ServiceError> {
        Ok(self.0.hub.snapshot(queue).await?)
    }

    pub async fn health(&self) -> Result<(), StoreError> {
        self.0.store.ping().await
    }
}
