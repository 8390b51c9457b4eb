//! The day's log of SMS and calls (the console's): what left, and where each stands by Twilio's
//! status callbacks, which also move the ticket it is about on (an automatic call that reached
//! nobody makes an SMS due instead); and the dev outbox's messages.

use super::{ServiceError, Setup};
use crate::notify::Notifier;
use crate::phone::{ContactRecord, PhoneNumber};
use crate::store::{self, Store};
use crate::store::{DevMessage, LogUpdate, Outgoing, StoreError};
use crate::twilio::status::{progress, Stage};
use std::sync::Arc;

/// A status that has not moved for this long is read from Twilio (a call lasts 2 minutes at most;
/// a message is sent within seconds, or stays `scheduled`, which is read again each time).
pub const RECONCILE_AFTER_MS: u64 = 3 * 60_000;
/// The statuses read from Twilio in one round at most.
const RECONCILE_AT_MOST: usize = 20;
/// How often the log is reconciled with Twilio (one process does it).
pub const RECONCILE_EVERY_MS: u64 = 60_000;

/// The 24-hour log of texts and calls, and what Twilio says of each. Handed out by [`super::WaitingRoom::contacts`].
#[derive(Clone)]
pub struct Contacts {
    contact_records: store::ContactRecords,
    outbox_stream: store::OutboxStream,
    phone_records: store::PhoneRecords,
    setup: Arc<Setup>,
    notifier: Arc<dyn Notifier>,
}

impl Contacts {
    pub(super) fn new(store: &Store, setup: Arc<Setup>, notifier: Arc<dyn Notifier>) -> Self {
        Self {
            contact_records: store.contact_records(),
            outbox_stream: store.outbox_stream(),
            phone_records: store.phone_records(),
            setup,
            notifier,
        }
    }

    /// Adds `record` to the day's log; a status Twilio reported before it (its first callback
    /// can beat the answer to the create) takes effect now. `on_ticket`: its ticket shows it
    /// even without one.
    pub(crate) async fn log_contact(
        &self,
        mut record: ContactRecord,
        on_ticket: bool,
    ) -> Result<(), StoreError> {
        let answered_by = match self.contact_records.log_contact(&record).await? {
            Some(early) => {
                record.status = early.status;
                record.progress = progress(&record.status);
                early.answered_by
            }
            None if on_ticket => None,
            None => return Ok(()),
        };
        self.contact_moved(&record, answered_by.as_deref()).await
    }

    /// Log entry `entry` moved on to its status: the ticket it is about shows it, and an
    /// automatic call that reached nobody (busy, no answer, failed, a machine: `answered_by`)
    /// makes an SMS due instead.
    pub(crate) async fn contact_moved(
        &self,
        entry: &ContactRecord,
        answered_by: Option<&str>,
    ) -> Result<(), StoreError> {
        let (Some(queue), Some(number)) = (&entry.queue, entry.ticket) else {
            return Ok(());
        };
        let text_instead = entry.purpose.as_deref() == Some(Outgoing::Autodial.purpose())
            && Stage::missed_call(&entry.status, answered_by);
        let now = self.setup.calendar.now();
        match self
            .phone_records
            .note_contact_state(queue, number, entry, text_instead, now)
            .await
        {
            Ok(()) | Err(StoreError::Refused(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// A status callback of Twilio's for message or call `sid`: moves its log entry on, never
    /// backwards, and with it the state its ticket shows (see `contact_moved`). A Sid not in the
    /// log is kept aside a few minutes, for the entry its sender is about to write; one that is
    /// not ours is thus ignored.
    pub async fn contact_status(
        &self,
        sid: &str,
        status: &str,
        error_code: Option<&str>,
        answered_by: Option<&str>,
    ) -> Result<LogUpdate, ServiceError> {
        let now_ms = self.setup.calendar.now().now_ms;
        let update = self
            .contact_records
            .update_contact(
                sid,
                status,
                progress(status),
                now_ms,
                error_code,
                answered_by,
            )
            .await?;
        if let LogUpdate::Updated(entry) = &update {
            self.contact_moved(entry, answered_by).await?;
        }
        Ok(update)
    }

    /// Reads from Twilio where each message and call of the log stands whose status has not moved
    /// for [`RECONCILE_AFTER_MS`] and is not final: a callback that never arrived (Twilio does
    /// not retry one that failed; ours may have answered while Redis was down) is made up for,
    /// with all it does (a missed automatic call still texts the customer).
    pub async fn reconcile_contacts(&self) {
        let now_ms = self.setup.calendar.now().now_ms;
        let log = match self.contact_records.contact_log().await {
            Ok(log) => log,
            Err(e) => {
                tracing::warn!(error = %e, "the log is not reconciled with Twilio");
                return;
            }
        };
        let stale = log.into_iter().filter(|e| {
            e.progress < progress("delivered")
                && e.updated_at + RECONCILE_AFTER_MS <= now_ms
                && ["SM", "MM", "CA"].iter().any(|p| e.sid.starts_with(p))
        });
        for entry in stale.take(RECONCILE_AT_MOST) {
            let reported = match self.notifier.status_of(&entry.sid).await {
                Ok(Some(reported)) => reported,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(sid = %entry.sid, error = %e, "a status is not read from Twilio");
                    continue;
                }
            };
            if progress(&reported.status) <= entry.progress {
                continue;
            }
            tracing::info!(sid = %entry.sid, status = %reported.status, "a status read from Twilio, its callback missed");
            let moved = self
                .contact_status(
                    &entry.sid,
                    &reported.status,
                    reported.error_code.as_deref(),
                    reported.answered_by.as_deref(),
                )
                .await;
            if let Err(e) = moved {
                tracing::warn!(sid = %entry.sid, error = %e, "a status read from Twilio is not noted");
            }
        }
    }

    /// Twilio's answering machine detection (`AsyncAmd`) reports who took call `sid`
    /// (`answered_by`: human, machine_start, machine_end_beep, machine_end_silence,
    /// machine_end_other, fax, unknown). Twilio posts it to `AsyncAmdStatusCallback` on its own,
    /// with no `CallStatus`, once the call was answered (BEHAVIOUR.md, "Answering machine
    /// detection"): the call is noted in progress (a status further along stays), and a machine
    /// or a fax on the automatic call makes its SMS due instead — once per ticket, whether this
    /// callback, a retry of it or a status callback says so first.
    pub async fn machine_detection(
        &self,
        sid: &str,
        answered_by: &str,
    ) -> Result<LogUpdate, ServiceError> {
        let update = self
            .contact_status(sid, "in-progress", None, Some(answered_by))
            .await?;
        if update == LogUpdate::Kept && Stage::missed_call("in-progress", Some(answered_by)) {
            // the call's status went further before this report came: the SMS is still due
            if let Some(entry) = self.contact_records.contact(sid).await? {
                let automatic = entry.purpose.as_deref() == Some(Outgoing::Autodial.purpose());
                if let (true, Some(queue), Some(number)) = (automatic, &entry.queue, entry.ticket) {
                    let now = self.setup.calendar.now();
                    match self
                        .phone_records
                        .machine_answered(queue, number, now)
                        .await
                    {
                        Ok(()) | Err(StoreError::Refused(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Ok(update)
    }

    /// The day's SMS and calls, newest first.
    pub async fn contact_log(&self) -> Result<Vec<ContactRecord>, ServiceError> {
        Ok(self.contact_records.contact_log().await?)
    }

    /// The dev outbox, newest first (empty when Twilio sends for real).
    pub async fn dev_messages(&self) -> Result<Vec<DevMessage>, ServiceError> {
        Ok(self.outbox_stream.dev_messages().await?)
    }

    /// Twilio refused a send with 21610 (the number opted out with STOP, maybe to a keyword we
    /// did not see): it joins our stop list, so nothing more is tried for it.
    pub(crate) async fn opted_out(&self, to: &PhoneNumber) {
        match self.phone_records.stop_sending(to).await {
            Ok(()) => {
                tracing::info!(to = %to.masked(), "Twilio says the number opted out: stopped")
            }
            Err(e) => tracing::warn!(error = %e, "an opted-out number is not on the stop list"),
        }
    }
}
