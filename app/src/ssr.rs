//! What server functions share on the server: the waiting room, the session, the staff check,
//! the request's language. Compiled only with the `ssr` feature.

use crate::error::AppError;
use crate::i18n::Locale;
use domain::{Capability, Lang, Problem};
use waitingroom::door::{BaseUrl, ClientAddr, StaffSession};
use waitingroom::notify::Words;
use waitingroom::services::WaitingRoom;

pub use waitingroom::door::KIOSK_COOKIE;
/// How long a kiosk's cookie lasts: 400 days, the most browsers keep one (revoking it is what
/// ends a kiosk).
const KIOSK_COOKIE_SECONDS: u64 = 400 * 86_400;
pub const TICKETS_KEY: &str = "tickets";

pub fn room() -> Result<WaitingRoom, AppError> {
    leptos::prelude::use_context::<WaitingRoom>().ok_or(AppError(Problem::Unavailable))
}

pub async fn session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|_| AppError(Problem::Unavailable))
}

/// What the one door (`waitingroom::door`) makes of this request: `T` (a [`StaffSession`], a
/// kiosk, the client's address, ...), or its refusal as the page gets it.
pub async fn admit<T>() -> Result<T, AppError>
where
    T: axum::extract::FromRequestParts<(), Rejection = waitingroom::door::Refused>,
{
    let mut parts = leptos::prelude::use_context::<axum::http::request::Parts>()
        .ok_or(AppError(Problem::Unavailable))?;
    T::from_request_parts(&mut parts, &())
        .await
        .map_err(|refused| AppError(refused.0))
}

/// The waiting room and who is signed in, for a browser signed in to the console
/// ([`StaffSession`]) whose role may do `what`; else `not_signed_in`, `not_allowed` or
/// `password_change_required`.
pub async fn require(what: Capability) -> Result<(WaitingRoom, StaffSession), AppError> {
    let room = room()?;
    let staff = admit::<StaffSession>().await?;
    staff.may(what)?;
    Ok((room, staff))
}

/// Writes `event` to the audit trail, done by `staff` from this request's address.
pub async fn audit(room: &WaitingRoom, staff: &StaffSession, event: domain::AuditEvent) {
    let address = client_ip().await.ok();
    room.audit().record_by(&staff.actor, address, event).await;
}

/// Makes this browser a kiosk: its credential in a cookie scripts cannot read, sent only to this
/// site (only over https when `PUBLIC_URL` is https).
pub fn keep_kiosk_credential(room: &WaitingRoom, credential: &domain::KioskCredential) {
    let secure = room
        .setup()
        .public_url()
        .is_some_and(|u| u.starts_with("https://"));
    let cookie = format!(
        "{KIOSK_COOKIE}={credential}; Path=/; Max-Age={KIOSK_COOKIE_SECONDS}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    );
    if let (Some(response), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(&cookie),
    ) {
        response.append_header(axum::http::header::SET_COOKIE, value);
    }
}

/// The address the request came from (through a trusted proxy: the client's).
pub async fn client_ip() -> Result<std::net::IpAddr, AppError> {
    let ClientAddr(ip) = admit().await?;
    Ok(ip)
}

/// `PUBLIC_URL`, or the address the browser used (https when a trusted proxy says so).
pub async fn base_url() -> Result<String, AppError> {
    let BaseUrl(base) = admit().await?;
    Ok(base)
}

/// The language of the request: the language cookie, else `Accept-Language`, else Japanese.
pub fn lang() -> Lang {
    crate::components::lang_menu::to_lang(leptos_i18n::locale::resolve_locale::<Locale>())
}

/// What calls and messages say, from the locale files, for the outbox's senders.
pub struct LocaleTexts;

impl waitingroom::notify::Texts for LocaleTexts {
    fn say(&self, lang: Lang, words: Words<'_>) -> String {
        use crate::i18n::td_string;
        let locale = crate::components::lang_menu::to_locale(lang);
        match words {
            Words::TurnNear { label } => td_string!(locale, phone.turn_near, label = label),
            Words::TurnMenu => td_string!(locale, phone.turn_menu).to_owned(),
            Words::OnMyWay => td_string!(locale, phone.on_my_way).to_owned(),
            Words::Cancelled { label } => td_string!(locale, phone.cancelled, label = label),
            Words::Goodbye => td_string!(locale, phone.goodbye).to_owned(),
            Words::TurnNearText { label, link } => {
                td_string!(locale, phone.turn_near_text, label = label, link = link)
            }
            Words::Joined { label, ahead, link } => {
                td_string!(locale, sms.joined, label = label, n = ahead, link = link)
            }
            Words::Waiting {
                label,
                ahead,
                minutes,
                link,
            } => match (minutes, link) {
                (Some(minutes), Some(link)) => td_string!(
                    locale,
                    sms.waiting,
                    label = label,
                    n = ahead,
                    minutes = minutes,
                    link = link
                ),
                (None, Some(link)) => td_string!(
                    locale,
                    sms.waiting_no_estimate,
                    label = label,
                    n = ahead,
                    link = link
                ),
                (Some(minutes), None) => td_string!(
                    locale,
                    voice.waiting,
                    label = label,
                    n = ahead,
                    minutes = minutes
                ),
                (None, None) => {
                    td_string!(locale, voice.waiting_no_estimate, label = label, n = ahead)
                }
            },
            Words::AtCounter {
                label,
                counter,
                spoken,
            } => {
                let counter = crate::words::counter_name(locale, counter);
                if spoken {
                    td_string!(locale, voice.at_counter, label = label, counter = counter)
                } else {
                    td_string!(locale, sms.at_counter, label = label, counter = counter)
                }
            }
            Words::PhoneMenu => td_string!(locale, voice.menu).to_owned(),
            Words::JoinedByCall { label, ahead } => {
                td_string!(locale, voice.joined, label = label, n = ahead)
            }
            Words::PhoneVerifiedByCall => td_string!(locale, voice.verified).to_owned(),
            Words::EnterCallCode => td_string!(locale, voice.enter_code).to_owned(),
            Words::WrongCallCode => td_string!(locale, voice.wrong_code).to_owned(),
            Words::TooManyCallCodes => td_string!(locale, voice.too_many_codes).to_owned(),
            Words::NoCallerId => td_string!(locale, voice.no_caller_id).to_owned(),
            Words::CallerNotConfirmed => td_string!(locale, voice.caller_not_confirmed).to_owned(),
            Words::NoTicket { spoken: false } => td_string!(locale, sms.no_ticket).to_owned(),
            Words::NoTicket { spoken: true } => td_string!(locale, voice.no_ticket).to_owned(),
            Words::NotNow { spoken: false } => td_string!(locale, sms.not_now).to_owned(),
            Words::NotNow { spoken: true } => td_string!(locale, voice.not_now).to_owned(),
            Words::Started => td_string!(locale, sms.started).to_owned(),
            Words::Help => td_string!(locale, sms.help).to_owned(),
            Words::Unavailable { spoken: false } => td_string!(locale, sms.unavailable).to_owned(),
            Words::Unavailable { spoken: true } => td_string!(locale, voice.unavailable).to_owned(),
            Words::Reminder { label, link } => {
                td_string!(locale, sms.reminder, label = label, link = link)
            }
            Words::VerifyPhone { label, link } => {
                td_string!(locale, phone.sms_body, number = label, link = link)
            }
            Words::CallToCounter { label, counter } => {
                crate::pages::display::announcement(locale, label, counter)
            }
            Words::LinePrefill { label, code } => {
                td_string!(locale, line.prefill, label = label, code = code)
            }
            Words::LineLinked { label } => td_string!(locale, line.linked_reply, label = label),
            Words::LineHelp => td_string!(locale, line.help).to_owned(),
            Words::LineGreeting => td_string!(locale, line.greeting).to_owned(),
            Words::LineCodeUnknown => td_string!(locale, line.code_unknown).to_owned(),
            Words::LineTooMany { max } => td_string!(locale, line.too_many, max = max),
            Words::LineTurnNear { label, link } => {
                td_string!(locale, line.turn_near, label = label, link = link)
            }
            Words::LineCalled {
                label,
                counter,
                link,
            } => {
                let counter = crate::words::counter_name(locale, counter);
                td_string!(
                    locale,
                    line.called,
                    label = label,
                    counter = counter,
                    link = link
                )
            }
            Words::LineReminder { label, link } => {
                td_string!(locale, line.reminder, label = label, link = link)
            }
        }
    }
}

/// The page's bundle (see [`crate::pages::bundle_of`]) in place of the whole one.
pub fn bundle_for_the_page(
    mut options: leptos::prelude::LeptosOptions,
) -> leptos::prelude::LeptosOptions {
    if let Some(request) = leptos::prelude::use_context::<axum::http::request::Parts>() {
        let suffix = crate::pages::bundle_of(request.uri.path()).suffix();
        options.output_name = format!("{}{suffix}", options.output_name).into();
    }
    options
}
