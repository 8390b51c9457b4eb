//! How an installation is set up: the room's section of the configuration, made of one section
//! per part that owns it (its queues and counters, the calendar, the limits of remote intake,
//! where it is reached, staff sign-in, SMS, Twilio), each handed whole to its part.

use super::phones::SmsLimits;
use super::staff::StaffSettings;
use super::ServiceError;
use crate::calendar::Calendar;
use crate::line::LineSettings;
use crate::problem::Problem;
use crate::queue::{CounterId, QueueId, QueueInfo};
use crate::twilio::TwilioSettings;
use std::net::IpAddr;
use std::time::Duration;

/// Limits of remote takes (remote check-in and anonymous API calls), over all queues together.
/// A window starts with its first take and lasts an hour; refused attempts do not extend it.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `REMOTE_MAX_ACTIVE`: tickets one phone may hold at once.
    pub active_per_client: u32,
    /// `REMOTE_MAX_PER_HOUR`: tickets one phone may take per hour.
    pub per_hour_per_client: u32,
    /// `ADDRESS_MAX_PER_HOUR`: takes from one address (an IPv6 /64) per hour: phones behind one
    /// shop Wi-Fi or one carrier's NAT share it, so it is well above the per-phone limit.
    pub per_hour_per_address: u32,
    /// `KIOSK_MAX_PER_MINUTE`: tickets one kiosk issues per minute at most.
    pub kiosk_per_minute: u32,
    /// `PHONE_MAX_PER_HOUR`: tickets taken by phone (menu, SMS) per hour, for the whole shop.
    pub phone_per_hour: u32,
}

/// Where customers reach this server, and who may say where a request came from.
#[derive(Clone, Debug, Default)]
pub struct SiteSettings {
    /// `PUBLIC_URL`: the address customers' phones use (QR codes, texted links); `None`: the
    /// request's host.
    pub public_url: Option<String>,
    /// `TRUSTED_PROXIES`: proxies whose `X-Forwarded-For` names the real client.
    pub trusted_proxies: Vec<IpAddr>,
}

/// How an installation is set up. No `Debug`: it holds secrets, which are never logged.
#[derive(Clone)]
pub struct Setup {
    /// `QUEUES`: at least one; the first is the default.
    pub queues: Vec<QueueInfo>,
    /// `COUNTERS`: at least one; the first is the default of call-next.
    pub counters: Vec<CounterId>,
    /// `TIMEZONE`, `DAY_RESETS_AT`, `DATA_RETENTION_HOURS`.
    pub calendar: Calendar,
    /// `REMOTE_MAX_*`, `ADDRESS_MAX_PER_HOUR`, `KIOSK_MAX_PER_MINUTE`.
    pub limits: Limits,
    /// `PUBLIC_URL`, `TRUSTED_PROXIES`.
    pub site: SiteSettings,
    /// `ADMIN_PASSWORD`, `STAFF_API_TOKEN`, `SESSION_HOURS`, `SESSION_MAX_DAYS`.
    pub staff: StaffSettings,
    /// `SMS_MAX_*`, `TWILIO_ALLOWED_COUNTRIES`: verification SMS and where texts may go.
    pub sms: SmsLimits,
    /// `TWILIO_*`: whether SMS and calls really leave, and how.
    pub twilio: TwilioSettings,
    /// `LINE_*`: whether customers can be told on LINE, and through which channel.
    pub line: LineSettings,
    /// `REMINDER_CHECK_SECS`: how often the reminders are planned again.
    pub reminder_check: Duration,
    /// How a phone is verified (`PHONE_VERIFY`).
    pub phone_verify: super::phones::PhoneVerify,
    /// The voice of each language's `<Say>` (`VOICE_JA`, ...).
    pub voices: super::voice::Voices,
    /// `HISTORY_DAYS`: how long each day's figures (nothing personal) are kept after it closes.
    pub history_days: u32,
}

impl Setup {
    /// Turns raw input (a URL segment, a form field) into one of this installation's queues.
    pub fn queue(&self, raw: &str) -> Result<&QueueInfo, ServiceError> {
        self.queues
            .iter()
            .find(|q| q.id.as_str() == raw)
            .ok_or_else(|| {
                Problem::UnknownQueue {
                    queue: raw.chars().take(64).collect(),
                }
                .into()
            })
    }

    /// The first queue, where a call or a text that names none joins.
    pub fn default_queue(&self) -> &QueueInfo {
        &self.queues[0]
    }

    /// Turns raw input into one of this installation's counters.
    pub fn counter(&self, raw: &str) -> Result<CounterId, ServiceError> {
        self.counters
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

    /// How ticket `number` of `queue` is printed and spoken (`A-042`, `42`).
    pub fn label_of(&self, queue: &QueueId, number: u64) -> String {
        self.queues
            .iter()
            .find(|q| &q.id == queue)
            .map(|q| q.label(number))
            .unwrap_or_else(|| number.to_string())
    }

    /// `PUBLIC_URL`, if set.
    pub fn public_url(&self) -> Option<&str> {
        self.site.public_url.as_deref()
    }
}
