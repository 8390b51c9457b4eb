//! SMS reminders about 30 minutes before the turn: asked for on the ticket page, planned (and
//! scheduled with Twilio) by one process at a time, dropped by the scripts when the ticket is
//! called or over.

use super::keys::{DayId, QueueKeys};
use super::scripts::{ReminderArgs, ReminderSetArgs, ReminderTakeArgs};
use super::{Moment, Store, StoreError};
use crate::queue::QueueId;
use crate::ticket::TicketToken;
use serde::{Deserialize, Serialize};

/// A ticket's reminder, as kept (the number it goes to included: never sent to a browser).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    #[serde(default)]
    pub asked_at: u64,
    /// The phone (E.164), for cancelling.
    #[serde(default)]
    pub to: Option<String>,
    /// Twilio's Sid of the scheduled message.
    #[serde(default)]
    pub sid: Option<String>,
    /// When it is (or was) to be sent, ms.
    #[serde(default)]
    pub send_at: Option<u64>,
    /// Sent at once (the turn was already near).
    #[serde(default)]
    pub sent: bool,
}

/// The store's reminders: a handle on [`Store`], from [`Store::reminder_records`].
#[derive(Clone)]
pub struct ReminderRecords {
    store: Store,
}

impl ReminderRecords {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// Asks for (`want`) or drops the reminder of ticket `number`; `token`: its holder's (none:
    /// the system drops it).
    pub async fn ask_reminder(
        &self,
        queue: &QueueId,
        number: u64,
        token: Option<&TicketToken>,
        want: bool,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.store.invoke(
            queue,
            at,
            ReminderArgs {
                number: number.to_string(),
                token: token
                    .map(TicketToken::as_str)
                    .unwrap_or_default()
                    .to_string(),
                want: if want { "1" } else { "" }.to_string(),
            },
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }

    /// The reminders asked for in `queue`'s current day (by ticket number), and that day.
    pub async fn reminders(
        &self,
        queue: &QueueId,
    ) -> Result<(DayId, Vec<(u64, Reminder)>), StoreError> {
        let (day, replies) = self
            .store
            .read_day(queue, |pipe, _, day| {
                pipe.hgetall(day.reminders());
            })
            .await?;
        let raw: Vec<(u64, String)> = super::day::single(replies)?;
        raw.into_iter()
            .map(|(number, json)| {
                serde_json::from_str(&json)
                    .map(|r| (number, r))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect::<Result<_, _>>()
            .map(|reminders| (day, reminders))
    }

    pub async fn reminder(
        &self,
        queue: &QueueId,
        number: u64,
    ) -> Result<Option<Reminder>, StoreError> {
        let (_, replies) = self
            .store
            .read_day(queue, |pipe, _, day| {
                pipe.hget(day.reminders(), number);
            })
            .await?;
        let raw: Option<String> = super::day::single(replies)?;
        raw.map(|json| serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    /// The planner is about to send or schedule `number`'s reminder for the first time: spends
    /// one of the ticket's messages (see `spend` in `prelude.lua`). Refused (`NotFound`) when the
    /// reminder was dropped meanwhile, or (`SmsPerTicket`) when the ticket has caused all it may; the
    /// reminder is then dropped. One sent `at_once` counts as sent from here on (turned off and on
    /// while it goes, it does not go twice).
    pub async fn take_reminder(
        &self,
        queue: &QueueId,
        number: u64,
        at_once: bool,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.store.invoke(
            queue,
            at,
            ReminderTakeArgs {
                number: number.to_string(),
                at_once: if at_once { "1" } else { "" }.to_owned(),
            },
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }

    /// Notes what the planner did: scheduled as `sid` for `send_at`, or `sent` at once. Refused
    /// (`NotFound`) when the reminder was dropped meanwhile.
    pub async fn reminder_planned(
        &self,
        queue: &QueueId,
        number: u64,
        sid: Option<&str>,
        send_at: u64,
        sent: bool,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.store.invoke(
            queue,
            at,
            ReminderSetArgs {
                number: number.to_string(),
                sid: sid.unwrap_or_default().to_string(),
                send_at: send_at.to_string(),
                sent: if sent { "1" } else { "" }.to_string(),
            },
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }

    /// Takes the planning of `queue`'s reminders for `for_ms` (one process at a time): whether it
    /// was free.
    pub async fn take_planner(&self, queue: &QueueId, for_ms: u64) -> Result<bool, StoreError> {
        self.store
            .take_turn(&QueueKeys::of(queue).planner(), for_ms)
            .await
    }
}
