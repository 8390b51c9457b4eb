//! The staff console's server functions. Each needs the staff session; each action changes the
//! queue through one script that refuses (changing nothing) what no longer applies.

use crate::error::AppError;
use leptos::prelude::*;
use domain::day::Console;
#[cfg(feature = "ssr")]
use domain::{AuditAction, AuditEvent, Capability};
use domain::{Intake, TicketAction};

/// The console of `queue` (the first queue when absent): the whole day, read once; the live
/// channel's events keep it current, and it is read again only after a gap.
#[server(endpoint = "admin/console")]
pub async fn load_console(queue: Option<String>) -> Result<Console, AppError> {
    let (room, staff) = crate::ssr::require(Capability::Line).await?;
    let you = domain::account::SignedIn {
        name: staff.actor.name,
        role: staff.actor.role,
    };
    let info = match queue {
        Some(raw) => room.setup().queue(&raw)?.clone(),
        None => room.setup().default_queue().clone(),
    };
    Ok(room.desk().console(&info, you).await?)
}

/// Calls the first in line to `counter`.
#[server(endpoint = "admin/call_next")]
pub async fn call_next(queue: String, counter: String) -> Result<u64, AppError> {
    let (room, staff) = crate::ssr::require(Capability::Line).await?;
    let queue = room.setup().queue(&queue)?.id.clone();
    let counter = room.setup().counter(&counter)?;
    let (number, _) = room.desk().call_next(&queue, &counter).await?;
    let event = AuditEvent::new(AuditAction::CallNext)
        .queue(&queue)
        .target(number)
        .detail(format!("counter {counter}"));
    crate::ssr::audit(&room, &staff, event).await;
    Ok(number)
}

/// `action` on ticket `number`, refused when the ticket changed since revision `rev`;
/// `counter` is where [`TicketAction::Call`] calls to.
#[server(endpoint = "admin/act")]
pub async fn act(
    queue: String,
    number: u64,
    rev: u64,
    action: TicketAction,
    counter: Option<String>,
) -> Result<(), AppError> {
    let (room, staff) = crate::ssr::require(Capability::Line).await?;
    let queue = room.setup().queue(&queue)?.id.clone();
    let counter = counter.map(|c| room.setup().counter(&c)).transpose()?;
    room.desk().act(&queue, number, action, counter.as_ref(), Some(rev))
        .await?;
    let event = AuditEvent::new(AuditAction::TicketAction)
        .queue(&queue)
        .target(number)
        .detail(action.as_str());
    crate::ssr::audit(&room, &staff, event).await;
    Ok(())
}

#[server(endpoint = "admin/intake")]
pub async fn set_intake(queue: String, intake: Intake) -> Result<(), AppError> {
    let (room, staff) = crate::ssr::require(Capability::Settings).await?;
    let queue = room.setup().queue(&queue)?.id.clone();
    let (_, before) = room.desk().set_intake(&queue, intake).await?;
    let event = AuditEvent::new(AuditAction::SettingChanged)
        .queue(&queue)
        .detail("intake")
        .change(Some(before.as_str().to_owned()), intake.as_str());
    crate::ssr::audit(&room, &staff, event).await;
    Ok(())
}

/// Ticket `number`'s phone number, whole (`090-1234-5678`): only staff see it, and only when
/// they open it.
#[server(endpoint = "admin/ticket_phone")]
pub async fn ticket_phone(queue: String, number: u64) -> Result<String, AppError> {
    let (room, staff) = crate::ssr::require(Capability::Line).await?;
    let queue = room.setup().queue(&queue)?.id.clone();
    let phone = room.phones().ticket_phone(&queue, number).await?.national();
    let event = AuditEvent::new(AuditAction::PhoneShown)
        .queue(&queue)
        .target(number);
    crate::ssr::audit(&room, &staff, event).await;
    Ok(phone)
}

/// How many places ahead `queue` calls a verified phone (0: never).
#[server(endpoint = "admin/autodial")]
pub async fn set_autodial(queue: String, places: u32) -> Result<(), AppError> {
    let (room, staff) = crate::ssr::require(Capability::Settings).await?;
    let queue = room.setup().queue(&queue)?.id.clone();
    let before = room.desk().set_autodial_places(&queue, places).await?;
    let event = AuditEvent::new(AuditAction::SettingChanged)
        .queue(&queue)
        .detail("autodial_places")
        .change(Some(before.to_string()), places);
    crate::ssr::audit(&room, &staff, event).await;
    Ok(())
}

/// How many places 「後ろに回す」 moves a called ticket back, and after how many minutes a called
/// ticket becomes a no-show by itself (0: never).
#[server(endpoint = "admin/late")]
pub async fn set_late(queue: String, places: u32, no_show_after: u32) -> Result<(), AppError> {
    let (room, staff) = crate::ssr::require(Capability::Settings).await?;
    let queue = room.setup().queue(&queue)?.id.clone();
    let late = domain::LateArrivals {
        move_back_places: places,
        no_show_after_minutes: no_show_after,
    };
    let before = room.desk().set_late_arrivals(&queue, late).await?;
    let event = AuditEvent::new(AuditAction::SettingChanged)
        .queue(&queue)
        .detail("late_arrivals")
        .change(Some(late_text(before)), late_text(late));
    crate::ssr::audit(&room, &staff, event).await;
    Ok(())
}

/// The queue's opening hours (`HH:MM`, both empty: none) and daily limit (0: none).
#[server(endpoint = "admin/hours")]
pub async fn set_hours(
    queue: String,
    opens: String,
    closes: String,
    limit: u32,
) -> Result<(), AppError> {
    let (room, staff) = crate::ssr::require(Capability::Settings).await?;
    let queue = room.setup().queue(&queue)?.id.clone();
    let time = |raw: &str| -> Result<Option<u16>, AppError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        domain::OpeningHours::parse_hhmm(raw)
            .map(Some)
            .ok_or(AppError(domain::Problem::BadSetting {
                detail: "HH:MM".into(),
            }))
    };
    let hours = domain::OpeningHours {
        opens: time(&opens)?,
        closes: time(&closes)?,
        daily_limit: limit,
    };
    let before = room.desk().set_opening_hours(&queue, hours).await?;
    let event = AuditEvent::new(AuditAction::SettingChanged)
        .queue(&queue)
        .detail("opening_hours")
        .change(Some(hours_text(before)), hours_text(hours));
    crate::ssr::audit(&room, &staff, event).await;
    Ok(())
}

/// Restarts the day's numbering; `confirm` must be what the staff typed (`reset`).
#[server(endpoint = "admin/reset")]
pub async fn reset_day(queue: String, confirm: String) -> Result<(), AppError> {
    let (room, staff) = crate::ssr::require(Capability::Settings).await?;
    let queue = room.setup().queue(&queue)?.id.clone();
    room.desk().reset(&queue, &confirm).await?;
    let event = AuditEvent::new(AuditAction::DayReset).queue(&queue);
    crate::ssr::audit(&room, &staff, event).await;
    Ok(())
}

/// Calls ticket `number`'s verified phone now, asking its holder to `counter`
/// (「受付番号42番の方、2番窓口へお越しください」, in the ticket's language).
#[server(endpoint = "admin/call_phone")]
pub async fn call_phone(queue: String, number: u64, counter: String) -> Result<(), AppError> {
    let (room, staff) = crate::ssr::require(Capability::Line).await?;
    let info = room.setup().queue(&queue)?.clone();
    let counter = room.setup().counter(&counter)?;
    room.phones().call_out(&info.id, number, &counter).await?;
    let event = AuditEvent::new(AuditAction::PhoneCalled)
        .queue(&info.id)
        .target(number)
        .detail(format!("counter {counter}"));
    crate::ssr::audit(&room, &staff, event).await;
    Ok(())
}

/// Late arrivals as the audit trail writes them (`move back 3, no-show after 10 min`).
#[cfg(feature = "ssr")]
fn late_text(late: domain::LateArrivals) -> String {
    format!(
        "move back {}, no-show after {} min",
        late.move_back_places, late.no_show_after_minutes
    )
}

/// Opening hours as the audit trail writes them (`09:00-18:00, limit 120`; `-`: none).
#[cfg(feature = "ssr")]
fn hours_text(hours: domain::OpeningHours) -> String {
    let time = |t: Option<u16>| t.map(domain::OpeningHours::hhmm).unwrap_or_default();
    format!(
        "{}-{}, limit {}",
        time(hours.opens),
        time(hours.closes),
        hours.daily_limit
    )
}
