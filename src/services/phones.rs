//! A customer registers a phone on the ticket page: the number becomes E.164, only numbers of
//! allowed regions pass (by the phone-number metadata), and it is verified as `PHONE_VERIFY`
//! says: by a verification SMS with a single-use link (10 minutes) made due through the outbox
//! (mobiles only), and/or by a call from that number to the store's (see `voice.rs`), the way
//! that works in Japan, where Twilio has no SMS-capable numbers and carriers are reported to
//! filter SMS with links (BEHAVIOUR.md, "Japan"). SMS pumping is bounded: 3 verification SMS per ticket, limits per number and per
//! client address per day, and a cap per hour in all.

use super::desk::Desk;
use super::{random_token, ServiceError, Setup};
use crate::notify::Texts;
use crate::notify::Words;
use crate::phone::{PhoneNumber, PhoneRules};
use crate::problem::Problem;
use crate::queue::{CounterId, QueueId};
use crate::store::{self, Store};
use crate::store::{Registration, Source, TakeLimits, Taker};
use crate::ticket::{PhoneStatus, TicketToken};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long a verification link is valid.
pub const LINK_VALID_MS: u64 = 10 * 60 * 1000;
/// Verification SMS one ticket gets at most.
pub const MAX_SMS_PER_TICKET: u32 = 3;
/// Different numbers one ticket may register (a typo corrected, another phone of the family).
pub const MAX_NUMBERS_PER_TICKET: u32 = 3;
/// Registrations of one number per day, whichever tickets make them.
pub const REGISTRATIONS_PER_NUMBER_PER_DAY: u32 = 10;
/// Registrations from one client address per day (counted in its networks as the remote limits
/// are: an IPv6 /64 ×1, /56 ×2, /48 ×4); a shop's Wi-Fi or a carrier's NAT shares it.
pub const REGISTRATIONS_PER_ADDRESS_PER_DAY: u32 = 30;
/// Digits of the code a caller keys in to verify a phone by calling the store.
pub const CALL_CODE_DIGITS: usize = 4;

/// The limits of verification SMS (`SMS_MAX_PER_NUMBER_PER_DAY`, `SMS_MAX_PER_ADDRESS_PER_DAY`,
/// `SMS_MAX_PER_HOUR`), and the regions numbers may be in (`TWILIO_ALLOWED_COUNTRIES`: texts
/// and calls go to nowhere else, replies included).
#[derive(Clone, Debug)]
pub struct SmsLimits {
    pub per_number_per_day: u32,
    pub per_address_per_day: u32,
    pub per_hour: u32,
    pub allowed_countries: Vec<String>,
}

/// How a phone is verified (`PHONE_VERIFY`): a call from it to the store's number, the link of a
/// verification SMS, or either.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneVerify {
    Call,
    Sms,
    Both,
}

impl PhoneVerify {
    /// `call`, `sms` or `both`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "call" => Some(Self::Call),
            "sms" => Some(Self::Sms),
            "both" => Some(Self::Both),
            _ => None,
        }
    }

    /// Registering a number texts it its link.
    pub fn sends_sms(self) -> bool {
        matches!(self, Self::Sms | Self::Both)
    }

    /// A call from the number verifies it.
    pub fn calls_in(self) -> bool {
        matches!(self, Self::Call | Self::Both)
    }
}

/// The part of the hour's verification SMS one network (an IPv4 /24, an IPv6 /48) may ask for:
/// holding the hourly cap takes this many networks at least.
const NETWORKS_TO_FILL_AN_HOUR: u32 = 10;

impl SmsLimits {
    /// Verification SMS one network may ask for per hour (`SMS_MAX_PER_HOUR` / 10, at least 1).
    pub fn network_share_per_hour(&self) -> u32 {
        (self.per_hour / NETWORKS_TO_FILL_AN_HOUR).max(1)
    }
}

impl Default for SmsLimits {
    fn default() -> Self {
        Self {
            per_number_per_day: 5,
            per_address_per_day: 10,
            per_hour: 100,
            allowed_countries: vec!["JP".to_owned()],
        }
    }
}

/// A ticket's phone: registered, verified, called by staff, and the limits of what reaches it. Handed out by [`super::WaitingRoom::phones`].
#[derive(Clone)]
pub struct Phones {
    phone_records: store::PhoneRecords,
    places: store::Places,
    setup: Arc<Setup>,
    texts: Arc<dyn Texts>,
    desk: Desk,
}

impl Phones {
    pub(super) fn new(store: &Store, setup: Arc<Setup>, texts: Arc<dyn Texts>, desk: Desk) -> Self {
        Self {
            phone_records: store.phone_records(),
            places: store.places(),
            setup,
            texts,
            desk,
        }
    }

    /// Registers `raw` as the phone of the ticket held by `token`, and makes its verification SMS
    /// due (`body` writes the SMS around the link; `client`: where the request came from), and/or
    /// gives it the code a call from it keys in, as `PHONE_VERIFY` says. Registering the number
    /// the ticket already has verified changes nothing; every other registration counts against
    /// the number's and the address's registrations of the day (and the SMS limits when it texts).
    pub async fn register_phone(
        &self,
        token: &TicketToken,
        raw: &str,
        client: IpAddr,
        base_url: &str,
    ) -> Result<PhoneNumber, ServiceError> {
        let ticket = self
            .desk
            .ticket_by_token(token)
            .await?
            .ok_or(Problem::TicketNotFound)?;
        if !ticket.state().is_active() {
            return Err(Problem::TicketChanged {
                state: ticket.state(),
            }
            .into());
        }
        let limits = &self.setup.sms;
        let phone = self.check_phone(raw)?;
        if self.phone_records.is_stopped(&phone).await? {
            return Err(Problem::PhoneStopped.into());
        }
        if ticket.phone.as_ref() == Some(&phone)
            && ticket.summary.phone_status == Some(PhoneStatus::Verified)
        {
            return Ok(phone);
        }
        let verify = self.setup.phone_verify;
        let day = Duration::from_secs(86_400);
        let hour = Duration::from_secs(3600);
        let registrations = [
            (
                Source::RegisterTo(phone.as_str()),
                REGISTRATIONS_PER_NUMBER_PER_DAY,
                day,
            ),
            (
                Source::RegisterFrom(client),
                REGISTRATIONS_PER_ADDRESS_PER_DAY,
                day,
            ),
        ];
        let Some(taken) = self.take_all(&registrations).await? else {
            return Err(Problem::PhoneLimited.into());
        };
        let texts = [
            (
                Source::SmsTo(phone.as_str()),
                limits.per_number_per_day,
                day,
            ),
            (Source::SmsFrom(client), limits.per_address_per_day, day),
            // no one network may spend more than its share of the hour's SMS: a few of them
            // cannot hold the cap and block verification for everyone
            (
                Source::SmsShare(client),
                limits.network_share_per_hour(),
                hour,
            ),
            (Source::SmsAll, limits.per_hour, hour),
        ];
        let texted = if verify.sends_sms() {
            match self.take_all(&texts).await {
                Ok(Some(texted)) => texted,
                Ok(None) => {
                    self.give_back(&taken).await;
                    return Err(Problem::SmsLimited.into());
                }
                Err(e) => {
                    self.give_back(&taken).await;
                    return Err(e);
                }
            }
        } else {
            Vec::new()
        };
        let link_token = random_token().to_string();
        let link = verify_link(base_url, &ticket.queue, &link_token);
        let label = self.setup.label_of(&ticket.queue, ticket.number());
        let text = self.texts.say(
            ticket.lang,
            Words::VerifyPhone {
                label: &label,
                link: &link,
            },
        );
        let now_ms = self.setup.calendar.now().now_ms;
        let codes = call_codes();
        let registration = Registration {
            phone: &phone,
            link_token: &link_token,
            valid_until_ms: now_ms + LINK_VALID_MS,
            max_sms: MAX_SMS_PER_TICKET,
            body: &text,
            send_sms: verify.sends_sms(),
            call_in: verify.calls_in(),
            call_codes: &codes,
            max_numbers: MAX_NUMBERS_PER_TICKET,
        };
        let registered = self
            .phone_records
            .register_phone(
                &ticket.queue,
                ticket.number(),
                token,
                &registration,
                self.setup.calendar.now(),
            )
            .await;
        if let Err(e) = registered {
            self.give_back(&taken).await;
            self.give_back(&texted).await;
            return Err(e.into());
        }
        Ok(phone)
    }

    /// Takes one place of each `(source, most, window)`, all or none: `None` when one of them is
    /// full (what was taken is given back).
    pub(crate) async fn take_all<'a>(
        &self,
        takes: &[(Source<'a>, u32, Duration)],
    ) -> Result<Option<Vec<Taker<'a>>>, ServiceError> {
        let mut taken = Vec::new();
        for &(source, max, window) in takes {
            let taker = Taker {
                source,
                holder: None,
            };
            let limit = TakeLimits {
                window,
                per_source: max,
                per_client: 0,
                active: 0,
            };
            match self.places.take_place(taker, limit, &[]).await {
                Ok(None) => {}
                Ok(Some(_)) => {
                    self.give_back(&taken).await;
                    return Ok(None);
                }
                Err(e) => {
                    self.give_back(&taken).await;
                    return Err(e.into());
                }
            }
            taken.push(taker);
        }
        Ok(Some(taken))
    }

    pub(crate) async fn give_back(&self, taken: &[Taker<'_>]) {
        for taker in taken {
            if let Err(e) = self.places.give_back_place(*taker).await {
                tracing::warn!(error = %e, "a limit's take was not given back");
            }
        }
    }

    /// Opens verification link `link_token` of `queue`: the phone it was sent to is verified.
    /// Nothing of the ticket is answered: a mistyped number's link opened by a stranger gives them
    /// nothing of the ticket.
    pub async fn verify_phone(&self, queue: &str, link_token: &str) -> Result<(), ServiceError> {
        let queue = self.setup.queue(queue)?.id.clone();
        let link = TicketToken::parse(link_token).map_err(|_| Problem::LinkExpired)?;
        self.phone_records
            .verify_phone(&queue, link.as_str(), self.setup.calendar.now())
            .await?;
        Ok(())
    }

    /// Calls ticket `number`'s verified phone now (「電話で呼び出す」), asking its holder to
    /// `counter` in the ticket's language (「受付番号42番の方、2番窓口へお越しください」), twice.
    pub async fn call_out(
        &self,
        queue: &QueueId,
        number: u64,
        counter: &CounterId,
    ) -> Result<(), ServiceError> {
        let ticket = self
            .desk
            .ticket(queue, number)
            .await?
            .ok_or(Problem::TicketNotFound)?;
        let label = self.setup.label_of(queue, number);
        let text = self.texts.say(
            ticket.lang,
            Words::CallToCounter {
                label: &label,
                counter,
            },
        );
        let twiml =
            crate::twilio::twiml::response(&[self.setup.voices.say(ticket.lang, text.clone(), 2)]);
        Ok(self
            .phone_records
            .call_out(queue, number, &twiml, &text, self.setup.calendar.now())
            .await?)
    }

    /// Whether `raw` is a number that may be registered (written any usual way, of an allowed
    /// region): a mobile when it is texted its link; when it is verified only by calling in,
    /// any number we may call (a landline takes the automatic call too). Before anything is
    /// taken for it.
    pub fn check_phone(&self, raw: &str) -> Result<PhoneNumber, ServiceError> {
        let allowed = &self.setup.sms.allowed_countries;
        let sends_sms = self.setup.phone_verify.sends_sms();
        PhoneNumber::parse(raw)
            .and_then(|p| {
                if sends_sms {
                    p.check_texts(allowed)
                } else {
                    p.check_calls(allowed)
                }
                .map(|()| p)
            })
            .map_err(|bad| {
                Problem::BadPhone {
                    reason: bad.reason(),
                }
                .into()
            })
    }

    /// The store's number a customer calls to verify a phone (`TWILIO_FROM_NUMBER`), when
    /// `PHONE_VERIFY` lets a call verify it.
    pub fn call_in_number(&self) -> Option<&PhoneNumber> {
        self.setup
            .twilio
            .api
            .as_ref()
            .and_then(|api| api.from.as_ref())
            .filter(|_| self.setup.phone_verify.calls_in())
    }

    /// Whether registering a phone texts it a verification link.
    pub fn verifies_by_sms(&self) -> bool {
        self.setup.phone_verify.sends_sms()
    }

    /// Ticket `number`'s phone, whole (staff opening the ticket: everywhere else it is masked).
    pub async fn ticket_phone(
        &self,
        queue: &QueueId,
        number: u64,
    ) -> Result<PhoneNumber, ServiceError> {
        let ticket = self
            .desk
            .ticket(queue, number)
            .await?
            .ok_or(Problem::TicketNotFound)?;
        let phone = ticket.phone.ok_or(Problem::NoPhone)?;
        tracing::info!(%queue, number, "staff opened a ticket's phone number");
        Ok(phone)
    }
}

/// Three candidates for a ticket's call code ([`CALL_CODE_DIGITS`] random digits each): the
/// store takes the first no other ticket registering the same number holds.
fn call_codes() -> Vec<String> {
    let bytes = random_token().to_string();
    (0..3)
        .map(|i| {
            let chunk = u32::from_str_radix(&bytes[i * 8..i * 8 + 8], 16).unwrap_or_default();
            format!(
                "{:0width$}",
                chunk % 10u32.pow(CALL_CODE_DIGITS as u32),
                width = CALL_CODE_DIGITS
            )
        })
        .collect()
}

/// The address a verification SMS carries.
pub fn verify_link(base_url: &str, queue: &QueueId, link_token: &str) -> String {
    format!("{}/v/{queue}/{link_token}", base_url.trim_end_matches('/'))
}
