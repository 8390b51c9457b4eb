//! How an installation is set up: its queues and counters, the limits of remote intake, its
//! calendar, its address and what it can send.

use super::calendar::Calendar;
use super::phones::SmsLimits;
use crate::queue::{CounterId, QueueInfo};
use std::net::IpAddr;
use std::time::Duration;

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
    pub sms: SmsLimits,
    /// Whether SMS and calls really leave (Twilio), or go to the dev outbox.
    pub twilio: bool,
    /// Whether SMS can be scheduled (Twilio with a messaging service, or the dev outbox): the
    /// ticket page offers reminders only then.
    pub schedules_sms: bool,
    /// How often the reminders are planned again (`REMINDER_CHECK_SECS`).
    pub reminder_check: Duration,
    /// How a phone is verified (`PHONE_VERIFY`).
    pub phone_verify: super::phones::PhoneVerify,
    /// The store's number customers call to verify their phone (`TWILIO_FROM_NUMBER`).
    pub call_in_number: Option<crate::phone::PhoneNumber>,
    /// The voice of each language's `<Say>` (`VOICE_JA`, ...).
    pub voices: super::voice::Voices,
}
