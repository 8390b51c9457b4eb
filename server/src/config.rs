//! Configuration from environment variables (every one, with its default, in
//! [`crate::settings::SETTINGS`], which `docs/configuration.md` shows). A missing or invalid value
//! stops start-up with a message naming the variable.

use crate::live::LiveLimits;
use crate::serve::{HttpLimits, ServerSettings};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use waitingroom::calendar::Calendar;
use waitingroom::line::{LineConfig, LineSettings};
use waitingroom::phone::{is_region, PhoneNumber};
use waitingroom::services::phones::{PhoneVerify, SmsLimits};
use waitingroom::services::voice::Voices;
use waitingroom::services::{Limits, Setup, SiteSettings, StaffSettings};
use waitingroom::store::{AutodialPlaces, StoreSettings};
use waitingroom::twilio::client::SmsSender;
use waitingroom::twilio::{TwilioConfig, TwilioSettings};
use waitingroom::{CounterId, QueueId, QueueInfo};

/// The settings (each one's default and meaning: [`crate::settings::SETTINGS`]), in one section
/// per part that uses them, each handed to its part whole. The sections are the parts' own types:
/// the library says what it needs, this only fills it from the environment. No `Debug`: it holds
/// secrets, which are never logged.
#[derive(Clone)]
pub struct Config {
    /// The HTTP server: `BIND_ADDR`, `PORT`, `SITE_ROOT`, `HTTP_READ_SECS`,
    /// `HTTP_WRITE_STALL_SECS`.
    pub server: ServerSettings,
    /// Redis and the rules its scripts keep: `REDIS_URL`, `MAX_TICKETS_PER_DAY`,
    /// `REMOTE_SHARE_PERCENT`, `AUTODIAL_PLACES`, `PHONE_HASH_SECRET`.
    pub store: StoreSettings,
    /// The live channel: `LIVE_MAX_CONNECTIONS`, `LIVE_MAX_PER_ADDRESS`, `LIVE_PING_SECS`,
    /// `LIVE_RESERVED_CONNECTIONS`.
    pub live: LiveLimits,
    /// The waiting room, in sections of its own (queues and counters, calendar, limits, site,
    /// staff, SMS, Twilio, reminders): see [`Setup`].
    pub room: Setup,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set; {1}")]
    Missing(&'static str, &'static str),
    #[error("{0} is invalid: {1}")]
    Invalid(&'static str, String),
}

/// A setting's value: the variable's, or (unset or empty) its default, if it has one.
type Get<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a test's map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = with_defaults(lookup);
        let store = store(&get)?;
        let server = server(&get)?;
        let room = room(&get)?;
        if let Some((queue, _)) = store
            .autodial_places
            .per_queue
            .iter()
            .find(|(q, _)| !room.queues.iter().any(|info| &info.id == q))
        {
            return Err(ConfigError::Invalid(
                "AUTODIAL_PLACES",
                format!("{:?} is not a queue of QUEUES", queue.as_str()),
            ));
        }
        if room.twilio.sends() && store.phone_hash_secret.is_none() {
            return Err(ConfigError::Missing(
                "PHONE_HASH_SECRET",
                "Twilio needs it: the key the stop list hashes numbers with (e.g. openssl rand -hex 32; keep it, a new one forgets who texted STOP)",
            ));
        }
        if room.line.is_on() && store.phone_hash_secret.is_none() {
            return Err(ConfigError::Missing(
                "PHONE_HASH_SECRET",
                "LINE needs it: the key LINE user ids are hashed with wherever one is kept past the day (who blocked the account) or named (e.g. openssl rand -hex 32)",
            ));
        }
        if room.line.is_on() && room.site.public_url.is_none() {
            return Err(ConfigError::Missing(
                "PUBLIC_URL",
                "LINE needs it: every message links the ticket's page (e.g. https://queue.example.jp)",
            ));
        }
        if room.twilio.sends() && room.site.public_url.is_none() {
            // a link texted to a phone must never name the host a request claimed to be
            return Err(ConfigError::Missing(
                "PUBLIC_URL",
                "Twilio needs it: every link texted to a phone, and every webhook's signature, names it (e.g. https://queue.example.jp)",
            ));
        }
        Ok(Self {
            server,
            store,
            live: LiveLimits {
                max_connections: number(&get, "LIVE_MAX_CONNECTIONS", 1)? as usize,
                max_per_address: number(&get, "LIVE_MAX_PER_ADDRESS", 1)? as usize,
                ping_every: seconds(&get, "LIVE_PING_SECS")?,
                reserved: number(&get, "LIVE_RESERVED_CONNECTIONS", 0)? as usize,
            },
            room,
        })
    }
}

/// A setting's value through `lookup`; unset or empty: the setting's default, if it has one.
fn with_defaults(lookup: impl Fn(&str) -> Option<String>) -> impl Fn(&str) -> Option<String> {
    move |name: &str| {
        lookup(name)
            .filter(|v| !v.trim().is_empty())
            .or_else(|| crate::settings::default_of(name).map(str::to_owned))
    }
}

/// What `server backup` and `server restore` read of the configuration: Redis (the store's
/// section), `QUEUES`, the calendar (`TIMEZONE`, `DAY_RESETS_AT`, `DATA_RETENTION_HOURS`) and
/// `HISTORY_DAYS`; nothing else is required (no staff password, no Twilio).
#[derive(Clone)]
pub struct BackupConfig {
    pub store: StoreSettings,
    pub queues: Vec<QueueId>,
    pub calendar: Calendar,
    pub history_days: u32,
}

impl BackupConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = with_defaults(lookup);
        Ok(Self {
            store: store(&get)?,
            queues: queues(&get)?.into_iter().map(|q| q.id).collect(),
            calendar: calendar(&get)?,
            history_days: number(&get, "HISTORY_DAYS", 1)?,
        })
    }
}

fn queues(get: Get<'_>) -> Result<Vec<QueueInfo>, ConfigError> {
    match get("QUEUES") {
        None => Ok(vec![QueueInfo::default_queue()]),
        Some(v) => QueueInfo::parse_list(&v).map_err(|e| ConfigError::Invalid("QUEUES", e)),
    }
}

/// A whole number of at least `min`.
fn number(get: Get<'_>, name: &'static str, min: u32) -> Result<u32, ConfigError> {
    match get(name) {
        None => Err(ConfigError::Missing(name, "a whole number")),
        Some(v) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= min)
            .ok_or_else(|| {
                ConfigError::Invalid(
                    name,
                    format!("{v:?} is not a whole number of at least {min}"),
                )
            }),
    }
}

/// A whole number of seconds, at least one.
fn seconds(get: Get<'_>, name: &'static str) -> Result<Duration, ConfigError> {
    Ok(Duration::from_secs(u64::from(number(get, name, 1)?)))
}

fn server(get: Get<'_>) -> Result<ServerSettings, ConfigError> {
    let ip: IpAddr = match get("BIND_ADDR") {
        None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Some(v) => v.trim().parse().map_err(|_| {
            ConfigError::Invalid(
                "BIND_ADDR",
                format!("{v:?} is not an IP address (e.g. 0.0.0.0)"),
            )
        })?,
    };
    let port: u16 = match get("PORT") {
        None => 3000,
        Some(v) => v.trim().parse().map_err(|_| {
            ConfigError::Invalid("PORT", format!("{v:?} is not a port number (0–65535)"))
        })?,
    };
    // resolved once, at start: when an upgrade points a symlink on the way (`current`, see
    // docs/deployment.md) at a newer release, a running server keeps serving its own site
    let site_root = get("SITE_ROOT").unwrap_or_default();
    let site_root = std::fs::canonicalize(&site_root)
        .map(|path| path.to_string_lossy().into_owned())
        .unwrap_or(site_root);
    Ok(ServerSettings {
        addr: SocketAddr::new(ip, port),
        site_root,
        http: HttpLimits {
            read: seconds(get, "HTTP_READ_SECS")?,
            write_stall: seconds(get, "HTTP_WRITE_STALL_SECS")?,
        },
    })
}

/// The store's section (that `AUTODIAL_PLACES` names queues of `QUEUES` is checked with them).
fn store(get: Get<'_>) -> Result<StoreSettings, ConfigError> {
    let redis_url = get("REDIS_URL").ok_or(ConfigError::Missing(
        "REDIS_URL",
        "set it to your Redis server, e.g. redis://127.0.0.1:6379/0 (scripts/run.sh starts one for you)",
    ))?;
    let autodial_places: AutodialPlaces = get("AUTODIAL_PLACES")
        .unwrap_or_default()
        .parse()
        .map_err(|e| ConfigError::Invalid("AUTODIAL_PLACES", e))?;
    let phone_hash_secret = get("PHONE_HASH_SECRET");
    if phone_hash_secret
        .as_ref()
        .is_some_and(|s| s.len() < MIN_API_TOKEN_CHARS)
    {
        return Err(ConfigError::Invalid(
            "PHONE_HASH_SECRET",
            format!("use at least {MIN_API_TOKEN_CHARS} characters (e.g. openssl rand -hex 32)"),
        ));
    }
    Ok(StoreSettings {
        redis_url,
        max_tickets_per_day: number(get, "MAX_TICKETS_PER_DAY", 0)?,
        remote_share_percent: match number(get, "REMOTE_SHARE_PERCENT", 1)? {
            p if p <= 100 => p,
            _ => {
                return Err(ConfigError::Invalid(
                    "REMOTE_SHARE_PERCENT",
                    "a percent of MAX_TICKETS_PER_DAY, 1–100".to_owned(),
                ))
            }
        },
        autodial_places,
        phone_hash_secret,
    })
}

/// The waiting room's sections.
fn room(get: Get<'_>) -> Result<Setup, ConfigError> {
    let queues = queues(get)?;
    let counters = parse_counters(&get("COUNTERS").unwrap_or_default())?;
    let site = site(get)?;
    let twilio = twilio(get)?;
    let phone_verify = phone_verify(get("PHONE_VERIFY").as_deref(), twilio.api.as_ref())?;
    Ok(Setup {
        queues,
        counters,
        calendar: calendar(get)?,
        limits: Limits {
            active_per_client: number(get, "REMOTE_MAX_ACTIVE", 1)?,
            per_hour_per_client: number(get, "REMOTE_MAX_PER_HOUR", 1)?,
            per_hour_per_address: number(get, "ADDRESS_MAX_PER_HOUR", 1)?,
            kiosk_per_minute: number(get, "KIOSK_MAX_PER_MINUTE", 1)?,
            phone_per_hour: number(get, "PHONE_MAX_PER_HOUR", 1)?,
        },
        site,
        staff: staff(get)?,
        sms: SmsLimits {
            per_number_per_day: number(get, "SMS_MAX_PER_NUMBER_PER_DAY", 1)?,
            per_address_per_day: number(get, "SMS_MAX_PER_ADDRESS_PER_DAY", 1)?,
            per_hour: number(get, "SMS_MAX_PER_HOUR", 1)?,
            allowed_countries: allowed_countries(get("TWILIO_ALLOWED_COUNTRIES").as_deref())?,
        },
        twilio,
        line: line(get)?,
        reminder_check: seconds(get, "REMINDER_CHECK_SECS")?,
        phone_verify,
        voices: voices(get)?,
        history_days: number(get, "HISTORY_DAYS", 1)?,
    })
}

/// `call`, `sms` or `both`; unset: `both` when SMS can be sent and there is a number to call,
/// else whichever of the two there is. A call in needs `TWILIO_FROM_NUMBER` (the number to call,
/// whose webhooks Twilio signs); an SMS link needs SMS that can be sent.
fn phone_verify(
    raw: Option<&str>,
    twilio: Option<&TwilioConfig>,
) -> Result<PhoneVerify, ConfigError> {
    // the dev outbox "sends" anything
    let sms = twilio.is_none_or(TwilioConfig::sends_sms);
    let number = twilio.is_some_and(|t| t.from.is_some());
    let Some(raw) = raw else {
        return Ok(match (sms, number) {
            (true, true) => PhoneVerify::Both,
            (false, true) => PhoneVerify::Call,
            _ => PhoneVerify::Sms,
        });
    };
    let verify = PhoneVerify::parse(raw).ok_or_else(|| {
        ConfigError::Invalid("PHONE_VERIFY", format!("{raw:?} is not call, sms or both"))
    })?;
    if verify.calls_in() && !number {
        return Err(ConfigError::Invalid(
            "PHONE_VERIFY",
            format!("{raw:?} needs TWILIO_FROM_NUMBER: the store's number customers call"),
        ));
    }
    if verify.sends_sms() && !sms {
        return Err(ConfigError::Invalid(
            "PHONE_VERIFY",
            format!("{raw:?} needs SMS, and Twilio sells no Japanese number that sends them: set TWILIO_MESSAGING_SERVICE_SID or TWILIO_SMS_SENDER (an alphanumeric sender), or PHONE_VERIFY=call"),
        ));
    }
    Ok(verify)
}

/// `VOICE_JA` ... `VOICE_KO`: each a voice Twilio's `<Say>` has for its language (an
/// unsupported voice/language pair fails the `<Say>`: BEHAVIOUR.md, "`<Say>`").
fn voices(get: Get<'_>) -> Result<Voices, ConfigError> {
    use waitingroom::Lang;
    let voice = |name: &'static str, lang: Lang| -> Result<String, ConfigError> {
        let voice = get(name).unwrap_or_default().trim().to_owned();
        Voices::check(lang, &voice).map_err(|why| ConfigError::Invalid(name, why))?;
        Ok(voice)
    };
    Ok(Voices {
        ja: voice("VOICE_JA", Lang::Ja)?,
        en: voice("VOICE_EN", Lang::En)?,
        zh: voice("VOICE_ZH", Lang::Zh)?,
        ko: voice("VOICE_KO", Lang::Ko)?,
    })
}

fn calendar(get: Get<'_>) -> Result<Calendar, ConfigError> {
    let tz_name = get("TIMEZONE").unwrap_or_default();
    let tz = jiff::tz::TimeZone::get(tz_name.trim())
        .map_err(|e| ConfigError::Invalid("TIMEZONE", format!("{tz_name:?}: {e}")))?;
    let resets_at = get("DAY_RESETS_AT").unwrap_or_default();
    let resets_at: jiff::civil::Time = resets_at.trim().parse().map_err(|_| {
        ConfigError::Invalid(
            "DAY_RESETS_AT",
            format!("{resets_at:?} is not a time of day such as 04:00"),
        )
    })?;
    let retention = number(get, "DATA_RETENTION_HOURS", 1)?;
    Ok(Calendar::new(
        tz,
        resets_at,
        Duration::from_secs(u64::from(retention) * 3600),
    ))
}

fn site(get: Get<'_>) -> Result<SiteSettings, ConfigError> {
    let public_url = match get("PUBLIC_URL") {
        None => None,
        Some(v) if v.starts_with("http://") || v.starts_with("https://") => {
            Some(v.trim_end_matches('/').to_owned())
        }
        Some(v) => {
            return Err(ConfigError::Invalid(
                "PUBLIC_URL",
                format!("{v:?} must start with http:// or https://"),
            ))
        }
    };
    Ok(SiteSettings {
        public_url,
        trusted_proxies: parse_addresses("TRUSTED_PROXIES", get("TRUSTED_PROXIES").as_deref())?,
    })
}

fn staff(get: Get<'_>) -> Result<StaffSettings, ConfigError> {
    let password = get("ADMIN_PASSWORD");
    if password
        .as_ref()
        .is_some_and(|p| p.chars().count() < MIN_PASSWORD_CHARS)
    {
        return Err(ConfigError::Invalid(
            "ADMIN_PASSWORD",
            format!("use at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    let api_token = get("STAFF_API_TOKEN");
    if api_token
        .as_ref()
        .is_some_and(|t| t.len() < MIN_API_TOKEN_CHARS)
    {
        return Err(ConfigError::Invalid(
            "STAFF_API_TOKEN",
            format!("use at least {MIN_API_TOKEN_CHARS} characters (e.g. openssl rand -hex 32)"),
        ));
    }
    Ok(StaffSettings {
        password,
        api_token,
        session_hours: number(get, "SESSION_HOURS", 1)?,
        session_max_days: number(get, "SESSION_MAX_DAYS", 1)?,
    })
}

/// Twilio's section: the REST API's account (all of account, secret and sender, or none: the dev
/// outbox) and the webhooks' auth token.
fn twilio(get: Get<'_>) -> Result<TwilioSettings, ConfigError> {
    Ok(TwilioSettings {
        api: twilio_api(get)?,
        auth_token: get("TWILIO_AUTH_TOKEN"),
    })
}

fn twilio_api(get: Get<'_>) -> Result<Option<TwilioConfig>, ConfigError> {
    let account = get("TWILIO_ACCOUNT_SID");
    let token = get("TWILIO_AUTH_TOKEN");
    let key = get("TWILIO_API_KEY_SID").zip(get("TWILIO_API_KEY_SECRET"));
    let from = get("TWILIO_FROM_NUMBER");
    let service = get("TWILIO_MESSAGING_SERVICE_SID");
    let sms_sender = get("TWILIO_SMS_SENDER");
    let Some(account) = account else {
        if token.is_some()
            || key.is_some()
            || from.is_some()
            || service.is_some()
            || sms_sender.is_some()
        {
            return Err(ConfigError::Missing(
                "TWILIO_ACCOUNT_SID",
                "the other TWILIO_ settings need it (or unset them all for the dev outbox)",
            ));
        }
        return Ok(None);
    };
    let (username, password) = match (key, token) {
        (Some((sid, secret)), _) => (sid, secret),
        (None, Some(token)) => (account.clone(), token),
        (None, None) => {
            return Err(ConfigError::Missing(
                "TWILIO_AUTH_TOKEN",
                "or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET",
            ))
        }
    };
    let from = from
        .map(|raw| {
            PhoneNumber::parse(&raw)
                .map_err(|e| ConfigError::Invalid("TWILIO_FROM_NUMBER", format!("{raw:?}: {e}")))
        })
        .transpose()?;
    let sms_sender = sms_sender
        .map(|raw| {
            SmsSender::parse(&raw).map_err(|why| ConfigError::Invalid("TWILIO_SMS_SENDER", why))
        })
        .transpose()?;
    if from.is_none() && service.is_none() && sms_sender.is_none() {
        return Err(ConfigError::Missing(
            "TWILIO_FROM_NUMBER",
            "or TWILIO_MESSAGING_SERVICE_SID / TWILIO_SMS_SENDER: the number customers are called from, or who SMS come from",
        ));
    }
    let base_url = get("TWILIO_API_BASE_URL").unwrap_or_default();
    if !base_url.starts_with("http://") && !base_url.starts_with("https://") {
        return Err(ConfigError::Invalid(
            "TWILIO_API_BASE_URL",
            format!("{base_url:?} must start with http:// or https://"),
        ));
    }
    Ok(Some(TwilioConfig {
        base_url,
        account_sid: account,
        username,
        password,
        from,
        messaging_service_sid: service,
        sms_sender,
        timeout: waitingroom::twilio::client::REQUEST_TIMEOUT,
    }))
}

/// LINE's section: the channel's secret, access token and LINE ID, all three or none.
fn line(get: Get<'_>) -> Result<LineSettings, ConfigError> {
    let secret = get("LINE_CHANNEL_SECRET");
    let token = get("LINE_CHANNEL_ACCESS_TOKEN");
    let account = get("LINE_ACCOUNT_ID");
    if secret.is_none() && token.is_none() && account.is_none() {
        return Ok(LineSettings::default());
    }
    let need = |value: Option<String>, name: &'static str| {
        value.map(|v| v.trim().to_owned()).ok_or(ConfigError::Missing(
            name,
            "LINE needs LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN and LINE_ACCOUNT_ID together (or none of them)",
        ))
    };
    let channel_secret = need(secret, "LINE_CHANNEL_SECRET")?;
    let access_token = need(token, "LINE_CHANNEL_ACCESS_TOKEN")?;
    let account_id = need(account, "LINE_ACCOUNT_ID")?;
    if !waitingroom::line::is_account_id(&account_id) {
        return Err(ConfigError::Invalid(
            "LINE_ACCOUNT_ID",
            format!("{account_id:?} is not a LINE ID: @ then lowercase letters, digits, . _ - (e.g. @abc1234)"),
        ));
    }
    let base_url = get("LINE_API_BASE_URL").unwrap_or_default();
    if !base_url.starts_with("http://") && !base_url.starts_with("https://") {
        return Err(ConfigError::Invalid(
            "LINE_API_BASE_URL",
            format!("{base_url:?} must start with http:// or https://"),
        ));
    }
    Ok(LineSettings {
        channel: Some(LineConfig {
            base_url,
            channel_secret,
            access_token,
            account_id,
            timeout: waitingroom::line::client::REQUEST_TIMEOUT,
        }),
    })
}

/// `JP,US`: ISO codes of the regions phones may be in, as the phone-number metadata names them
/// (`US` is the United States only: Jamaica is `JM`, the Isle of Man `IM`).
fn allowed_countries(raw: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let countries: Vec<String> = raw
        .unwrap_or_default()
        .split(',')
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect();
    for country in &countries {
        if !is_region(country) {
            return Err(ConfigError::Invalid(
                "TWILIO_ALLOWED_COUNTRIES",
                format!("{country:?} is not a region code (ISO 3166: JP, US, CA, GB...)"),
            ));
        }
    }
    Ok(countries)
}

fn parse_addresses(name: &'static str, raw: Option<&str>) -> Result<Vec<IpAddr>, ConfigError> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse()
                .map_err(|_| ConfigError::Invalid(name, format!("{a:?} is not an IP address")))
        })
        .collect()
}

/// A staff password must hold at least this many characters.
const MIN_PASSWORD_CHARS: usize = 12;
/// The staff API token: a machine's secret, long enough never to be guessed.
const MIN_API_TOKEN_CHARS: usize = 32;

fn parse_counters(raw: &str) -> Result<Vec<CounterId>, ConfigError> {
    let mut counters: Vec<CounterId> = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = CounterId::parse(part)
            .map_err(|e| ConfigError::Invalid("COUNTERS", format!("{part:?} {e}")))?;
        if counters.contains(&id) {
            return Err(ConfigError::Invalid(
                "COUNTERS",
                format!("{part:?} is listed twice"),
            ));
        }
        counters.push(id);
    }
    if counters.is_empty() {
        return Err(ConfigError::Invalid("COUNTERS", "no counter given".into()));
    }
    Ok(counters)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn a_backup_needs_only_redis_and_reads_the_queues() {
        let lookup = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let missing = BackupConfig::from_lookup(lookup(&[("QUEUES", "a,b")])).err();
        assert!(
            missing.is_some_and(|e| e.to_string().starts_with("REDIS_URL is not set")),
            "a missing REDIS_URL is named"
        );
        let c = BackupConfig::from_lookup(lookup(&[
            ("REDIS_URL", "redis://x/"),
            ("QUEUES", "uketsuke:A,kaikei:B"),
            ("HISTORY_DAYS", "30"),
            // the server's own settings are not read: a bad one does not stop a backup
            ("ADMIN_PASSWORD", "short"),
            ("TWILIO_ACCOUNT_SID", "AC00"),
        ]))
        .unwrap();
        assert_eq!(
            c.queues,
            ["uketsuke", "kaikei"].map(|q| QueueId::parse(q).unwrap())
        );
        assert_eq!(c.history_days, 30);
        let bad =
            BackupConfig::from_lookup(lookup(&[("REDIS_URL", "redis://x/"), ("QUEUES", "a b")]));
        assert!(bad
            .err()
            .is_some_and(|e| e.to_string().starts_with("QUEUES is invalid")));
    }

    #[test]
    fn defaults_need_only_redis() {
        let c = config(&[("REDIS_URL", "redis://127.0.0.1:1/")]).unwrap();
        assert_eq!(c.server.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.room.queues, vec![QueueInfo::default_queue()]);
        assert_eq!(c.room.counters.len(), 2);
        assert!(c.room.staff.password.is_none() && c.room.staff.api_token.is_none());
        assert_eq!(c.server.site_root, "target/site");
    }

    #[test]
    fn the_automatic_call_reaches_as_far_as_set_per_queue() {
        let c = config(&[
            ("REDIS_URL", "redis://x/"),
            ("QUEUES", "uketsuke,kaikei"),
            ("AUTODIAL_PLACES", "2, kaikei:5"),
        ])
        .unwrap();
        let queue = |id: &str| QueueId::parse(id).unwrap();
        assert_eq!(c.store.autodial_places.of(&queue("uketsuke")), 2);
        assert_eq!(c.store.autodial_places.of(&queue("kaikei")), 5);
        let default = config(&[("REDIS_URL", "redis://x/")]).unwrap();
        assert_eq!(default.store.autodial_places.of(&queue("default")), 3);
    }

    #[test]
    fn history_is_kept_400_days_unless_set() {
        let c = config(&[("REDIS_URL", "redis://x/")]).unwrap();
        assert_eq!(c.room.history_days, 400);
        let c = config(&[("REDIS_URL", "redis://x/"), ("HISTORY_DAYS", "30")]).unwrap();
        assert_eq!(c.room.history_days, 30);
        for bad in ["0", "-1", "a year"] {
            let e = config(&[("REDIS_URL", "redis://x/"), ("HISTORY_DAYS", bad)])
                .err()
                .unwrap()
                .to_string();
            assert!(e.starts_with("HISTORY_DAYS is invalid"), "{e}");
        }
    }

    #[test]
    fn every_setting_read_is_listed_and_every_listed_one_is_read() {
        let read = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let twilio = [
            ("REDIS_URL", "redis://x/"),
            ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
            ("TWILIO_AUTH_TOKEN", "0123456789abcdef0123456789abcdef"),
            ("TWILIO_FROM_NUMBER", "+815012345678"),
            ("PHONE_HASH_SECRET", "0123456789abcdef0123456789abcdef"),
            ("PUBLIC_URL", "https://queue.example.jp"),
            ("LINE_CHANNEL_SECRET", "0ae71c5f39e191095278da7bb8a0aece"),
            ("LINE_CHANNEL_ACCESS_TOKEN", "token"),
            ("LINE_ACCOUNT_ID", "@abc1234"),
        ];
        for vars in [&twilio[..1], &twilio[..]] {
            let map: HashMap<&str, &str> = vars.iter().copied().collect();
            let config = Config::from_lookup(|name| {
                read.borrow_mut().insert(name.to_owned());
                map.get(name).map(|v| v.to_string())
            });
            assert!(config.is_ok(), "{:?}", config.err());
        }
        let mut read = read.into_inner();
        // read by main.rs, for logging
        read.extend(["RUST_LOG".to_owned(), "LOG_FORMAT".to_owned()]);
        let listed: std::collections::BTreeSet<String> = crate::settings::SETTINGS
            .iter()
            .map(|s| s.name.to_owned())
            .collect();
        assert_eq!(read, listed, "the settings read are the settings listed");
    }

    #[test]
    fn line_is_on_with_its_secret_token_and_id_together_and_names_what_is_missing() {
        let base = [
            ("REDIS_URL", "redis://x/"),
            ("PHONE_HASH_SECRET", "0123456789abcdef0123456789abcdef"),
            ("PUBLIC_URL", "https://queue.example.jp"),
        ];
        let off = config(&base).unwrap();
        assert!(!off.room.line.is_on(), "without its settings LINE is off");
        let line = [
            ("LINE_CHANNEL_SECRET", "0ae71c5f39e191095278da7bb8a0aece"),
            ("LINE_CHANNEL_ACCESS_TOKEN", "token"),
            ("LINE_ACCOUNT_ID", "@abc1234"),
        ];
        let on = config(&[&base[..], &line[..]].concat()).unwrap();
        let channel = on.room.line.channel.as_ref().unwrap();
        assert_eq!(channel.base_url, "https://api.line.me");
        assert_eq!(channel.account_id, "@abc1234");
        let error = |vars: &[(&str, &str)]| config(vars).err().unwrap().to_string();
        for missing in 0..3 {
            let mut vars = base.to_vec();
            vars.extend(
                line.iter()
                    .enumerate()
                    .filter(|(i, _)| *i != missing)
                    .map(|(_, v)| *v),
            );
            assert!(
                error(&vars).starts_with(&format!("{} is not set", line[missing].0)),
                "{}",
                error(&vars)
            );
        }
        let bad_id = [&base[..], &line[..2], &[("LINE_ACCOUNT_ID", "abc1234")]].concat();
        assert!(error(&bad_id).starts_with("LINE_ACCOUNT_ID is invalid"));
        let bad_url = [
            &base[..],
            &line[..],
            &[("LINE_API_BASE_URL", "api.line.me")],
        ]
        .concat();
        assert!(error(&bad_url).starts_with("LINE_API_BASE_URL is invalid"));
        let no_secret = [&base[..1], &base[2..], &line[..]].concat();
        assert!(error(&no_secret).starts_with("PHONE_HASH_SECRET is not set"));
        let no_url = [&base[..2], &line[..]].concat();
        assert!(error(&no_url).starts_with("PUBLIC_URL is not set"));
    }

    #[test]
    fn docs_show_the_list_of_settings() {
        let docs = include_str!("../../docs/configuration.md");
        let table = crate::settings::table();
        assert!(
            docs.contains(&table),
            "docs/configuration.md's table is not settings::SETTINGS; it should read:\n{table}"
        );
    }

    #[test]
    fn allowed_countries_are_regions_of_the_phone_metadata() {
        let countries = |raw: &str| {
            config(&[
                ("REDIS_URL", "redis://x/"),
                ("TWILIO_ALLOWED_COUNTRIES", raw),
            ])
            .map(|c| c.room.sms.allowed_countries)
            .map_err(|e| e.to_string())
        };
        assert_eq!(
            config(&[("REDIS_URL", "redis://x/")])
                .unwrap()
                .room
                .sms
                .allowed_countries,
            ["JP"]
        );
        assert_eq!(countries(" us, ca ").unwrap(), ["US", "CA"]);
        // any region of the metadata, the Caribbean's and the Crown Dependencies' too
        assert_eq!(countries("JP,JM,IM").unwrap(), ["JP", "JM", "IM"]);
        for bad in ["XX", "001", "JPN", "+1"] {
            let error = countries(&format!("JP,{bad}")).unwrap_err();
            assert!(
                error.starts_with("TWILIO_ALLOWED_COUNTRIES is invalid"),
                "{error}"
            );
        }
    }

    #[test]
    fn errors_name_the_variable() {
        let missing = config(&[]).err().unwrap().to_string();
        assert!(missing.starts_with("REDIS_URL is not set"), "{missing}");
        let port = config(&[("REDIS_URL", "redis://x/"), ("PORT", "80a")])
            .err()
            .unwrap();
        assert!(port.to_string().starts_with("PORT is invalid"), "{port}");
        let bind = config(&[("REDIS_URL", "redis://x/"), ("BIND_ADDR", "localhost:1")])
            .err()
            .unwrap();
        assert!(
            bind.to_string().starts_with("BIND_ADDR is invalid"),
            "{bind}"
        );
        let queues = config(&[("REDIS_URL", "redis://x/"), ("QUEUES", "a,B")])
            .err()
            .unwrap();
        assert!(
            queues.to_string().starts_with("QUEUES is invalid"),
            "{queues}"
        );
        let twice = config(&[("REDIS_URL", "redis://x/"), ("QUEUES", "a, a")])
            .err()
            .unwrap();
        assert!(twice.to_string().contains("twice"), "{twice}");
    }

    #[test]
    fn port_and_queues_are_read() {
        let c = config(&[
            ("REDIS_URL", "redis://x/"),
            ("PORT", "8080"),
            ("BIND_ADDR", "0.0.0.0"),
            ("QUEUES", "shinsatsu, kaikei"),
        ])
        .unwrap();
        assert_eq!(c.server.addr.to_string(), "0.0.0.0:8080");
        let ids: Vec<&str> = c.room.queues.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(ids, ["shinsatsu", "kaikei"]);
        let c = config(&[
            ("REDIS_URL", "redis://x/"),
            (
                "QUEUES",
                "shinsatsu:A:診察:Consultation:看诊:진찰, kaikei:B:会計",
            ),
        ])
        .unwrap();
        assert_eq!(c.room.queues[0].label(1), "A-001");
        assert_eq!(c.room.queues[0].name(waitingroom::Lang::Zh), "看诊");
        assert_eq!(c.room.queues[0].name(waitingroom::Lang::Ko), "진찰");
        assert_eq!(
            (
                c.room.queues[1].name_ja.as_str(),
                c.room.queues[1].name_en.as_str()
            ),
            ("会計", "会計")
        );
        assert_eq!(c.room.queues[1].name_zh, None);
    }

    #[test]
    fn counters_limits_and_calendar_are_checked() {
        let bad = |k: &str, v: &str| {
            config(&[("REDIS_URL", "redis://x/"), (k, v)])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(bad("COUNTERS", "1,1").starts_with("COUNTERS is invalid"));
        assert!(bad("REMOTE_MAX_ACTIVE", "0").starts_with("REMOTE_MAX_ACTIVE is invalid"));
        assert!(bad("ADDRESS_MAX_PER_HOUR", "x").starts_with("ADDRESS_MAX_PER_HOUR is invalid"));
        assert!(bad("LIVE_MAX_PER_ADDRESS", "0").starts_with("LIVE_MAX_PER_ADDRESS is invalid"));
        assert!(bad("HTTP_READ_SECS", "0").starts_with("HTTP_READ_SECS is invalid"));
        assert!(bad("REMOTE_SHARE_PERCENT", "101").starts_with("REMOTE_SHARE_PERCENT is invalid"));
        assert!(bad("LIVE_RESERVED_CONNECTIONS", "-1")
            .starts_with("LIVE_RESERVED_CONNECTIONS is invalid"));
        assert!(bad("HTTP_WRITE_STALL_SECS", "x").starts_with("HTTP_WRITE_STALL_SECS is invalid"));
        assert!(bad("TWILIO_AUTH_TOKEN", "x").starts_with("TWILIO_ACCOUNT_SID is not set"));
        assert!(bad("TWILIO_ALLOWED_COUNTRIES", "JP,XX")
            .starts_with("TWILIO_ALLOWED_COUNTRIES is invalid"));
        assert!(bad("TIMEZONE", "Mars/Base").starts_with("TIMEZONE is invalid"));
        assert!(bad("DAY_RESETS_AT", "25:00").starts_with("DAY_RESETS_AT is invalid"));
        assert!(bad("ADMIN_PASSWORD", "short").starts_with("ADMIN_PASSWORD is invalid"));
        assert!(bad("ADMIN_PASSWORD", "elevenchars").starts_with("ADMIN_PASSWORD is invalid"));
        assert!(
            bad("ADMIN_PASSWORD", "twelve chars").is_empty(),
            "12 are enough"
        );
        let token = "0123456789abcdef0123456789abcde";
        assert!(bad("STAFF_API_TOKEN", token).starts_with("STAFF_API_TOKEN is invalid"));
        assert!(
            bad("STAFF_API_TOKEN", &format!("{token}f")).is_empty(),
            "32 are enough"
        );
        assert!(bad("PUBLIC_URL", "example.com").starts_with("PUBLIC_URL is invalid"));
        assert!(bad("AUTODIAL_PLACES", "3,nope:2").starts_with("AUTODIAL_PLACES is invalid"));
        assert!(bad("AUTODIAL_PLACES", "99").starts_with("AUTODIAL_PLACES is invalid"));
        assert!(bad("QUEUES", "a:TOOLONG").starts_with("QUEUES is invalid"));
        assert!(bad("TRUSTED_PROXIES", "10.0.0.1, proxy").starts_with("TRUSTED_PROXIES is invalid"));
        let proxies = config(&[
            ("REDIS_URL", "redis://x/"),
            ("TRUSTED_PROXIES", "10.0.0.1, ::1"),
        ])
        .unwrap();
        assert_eq!(proxies.room.site.trusted_proxies.len(), 2);
    }

    #[test]
    fn twilio_needs_the_key_of_the_stop_lists_hashes() {
        let twilio = [
            ("REDIS_URL", "redis://x/"),
            ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
            ("TWILIO_AUTH_TOKEN", "token"),
            ("TWILIO_FROM_NUMBER", "+15005550006"),
            ("PUBLIC_URL", "https://queue.example.jp"),
        ];
        let err = config(&twilio)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("PHONE_HASH_SECRET is not set"), "{err}");
        let with = |secret: &str| {
            let mut vars = twilio.to_vec();
            vars.push(("PHONE_HASH_SECRET", secret));
            config(&vars)
        };
        assert!(with("short").is_err());
        let ok = with("0123456789abcdef0123456789abcdef").unwrap();
        assert!(ok.store.phone_hash_secret.is_some());
    }

    #[test]
    fn a_phone_is_verified_by_calling_in_wherever_there_is_a_number_to_call() {
        let verify = |vars: &[(&str, &str)]| {
            let mut all = vec![("REDIS_URL", "redis://x/")];
            all.extend_from_slice(vars);
            config(&all)
                .map(|c| c.room.phone_verify)
                .map_err(|e| e.to_string())
        };
        let twilio = |from: &'static str| {
            vec![
                ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
                ("TWILIO_AUTH_TOKEN", "token"),
                ("TWILIO_FROM_NUMBER", from),
                ("PHONE_HASH_SECRET", "0123456789abcdef0123456789abcdef"),
                ("PUBLIC_URL", "https://queue.example.jp"),
            ]
        };
        // the dev outbox: the link (there is no number to call)
        assert_eq!(verify(&[]), Ok(PhoneVerify::Sms));
        // a Japanese voice number only: calling in
        assert_eq!(verify(&twilio("050-1234-5678")), Ok(PhoneVerify::Call));
        // SMS too (a messaging service, or an SMS sender): both
        let mut service = twilio("050-1234-5678");
        service.push((
            "TWILIO_MESSAGING_SERVICE_SID",
            "MG0123456789abcdef0123456789abcdef",
        ));
        assert_eq!(verify(&service), Ok(PhoneVerify::Both));
        // the voice number never sends SMS, even one outside Japan
        assert_eq!(verify(&twilio("+15005550006")), Ok(PhoneVerify::Call));
        let sender = [
            twilio("050-1234-5678"),
            vec![("TWILIO_SMS_SENDER", "WaitingRoom")],
        ]
        .concat();
        assert_eq!(verify(&sender), Ok(PhoneVerify::Both));
        // chosen
        let mut call = service.clone();
        call.push(("PHONE_VERIFY", " Call "));
        assert_eq!(verify(&call), Ok(PhoneVerify::Call));
        let mut sms = service.clone();
        sms.push(("PHONE_VERIFY", "sms"));
        assert_eq!(verify(&sms), Ok(PhoneVerify::Sms));
        // refused with the reason: a word of its own, a call in without a number to call, SMS
        // from a Japanese voice number
        for (vars, why) in [
            (vec![("PHONE_VERIFY", "link")], "is not call, sms or both"),
            (vec![("PHONE_VERIFY", "call")], "needs TWILIO_FROM_NUMBER"),
            (
                [twilio("050-1234-5678"), vec![("PHONE_VERIFY", "both")]].concat(),
                "Twilio sells no Japanese number",
            ),
        ] {
            let error = verify(&vars).unwrap_err();
            assert!(error.starts_with("PHONE_VERIFY is invalid"), "{error}");
            assert!(error.contains(why), "{error}");
        }
    }

    #[test]
    fn each_language_speaks_with_a_voice_twilio_has_for_it() {
        let c = config(&[("REDIS_URL", "redis://x/")]).unwrap();
        assert_eq!(c.room.voices, Voices::default());
        assert_eq!(c.room.voices.zh, "Polly.Zhiyu");
        let c = config(&[
            ("REDIS_URL", "redis://x/"),
            ("VOICE_JA", " Polly.Takumi "),
            ("VOICE_ZH", "Google.cmn-CN-Standard-A"),
        ])
        .unwrap();
        assert_eq!(c.room.voices.ja, "Polly.Takumi");
        assert_eq!(c.room.voices.zh, "Google.cmn-CN-Standard-A");
        assert_eq!(c.room.voices.en, "Polly.Joanna");
        for (name, bad) in [
            ("VOICE_JA", "alice"),
            ("VOICE_EN", "Google.ja-JP-Standard-A"),
            ("VOICE_KO", "Polly."),
            ("VOICE_ZH", "Google.zh-CN-Standard-A"),
        ] {
            let error = config(&[("REDIS_URL", "redis://x/"), (name, bad)])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.starts_with(&format!("{name} is invalid")), "{error}");
        }
    }

    #[test]
    fn sms_come_from_a_sender_that_can_send_them_never_a_japanese_voice_number() {
        let twilio = |sender: &'static str| {
            config(&[
                ("REDIS_URL", "redis://x/"),
                ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
                ("TWILIO_AUTH_TOKEN", "token"),
                ("TWILIO_FROM_NUMBER", "050-1234-5678"),
                ("TWILIO_SMS_SENDER", sender),
                ("PHONE_HASH_SECRET", "0123456789abcdef0123456789abcdef"),
                ("PUBLIC_URL", "https://queue.example.jp"),
            ])
        };
        let ok = twilio(" WaitingRm ").unwrap();
        let api = ok.room.twilio.api.as_ref().unwrap();
        assert_eq!(
            api.sms_sender,
            Some(SmsSender::Alphanumeric("WaitingRm".into()))
        );
        assert!(api.sends_sms());
        assert_eq!(ok.room.phone_verify, PhoneVerify::Both);
        assert!(twilio("+15005550006").is_ok(), "a number outside Japan");
        for (bad, why) in [
            (
                "050-1234-5678",
                "Twilio sells no Japanese number that sends SMS",
            ),
            (
                "+81 3 1234 5678",
                "Twilio sells no Japanese number that sends SMS",
            ),
            ("Waiting Room Shop", "11 characters"),
            ("12345", "a letter"),
            ("待合室", "letters, digits and spaces"),
        ] {
            let error = twilio(bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                error.starts_with("TWILIO_SMS_SENDER is invalid"),
                "{bad}: {error}"
            );
            assert!(error.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn twilio_needs_the_public_url_for_every_link_it_texts() {
        let err = config(&[
            ("REDIS_URL", "redis://x/"),
            ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
            ("TWILIO_AUTH_TOKEN", "token"),
            ("TWILIO_FROM_NUMBER", "+15005550006"),
            ("PHONE_HASH_SECRET", "0123456789abcdef0123456789abcdef"),
        ])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.starts_with("PUBLIC_URL is not set"), "{err}");
    }
}
