//! The owner's figures: each business day summed at its close into the history (nothing
//! personal, kept `HISTORY_DAYS`), today's read live, the export's range, and today's tickets for
//! the CSV.

use super::{ServiceError, Setup};
use crate::history::{DateRange, DayFigures, History as Report, TicketRow};
use crate::problem::Problem;
use crate::queue::QueueId;
use crate::queue::QueueInfo;
use crate::store::DayId;
use crate::store::{self, Store};
use std::sync::Arc;

/// What [`WaitingRoom::close_days`] did: the days it kept, and those another process is summing.
#[derive(Debug, Default)]
pub struct Closed {
    pub kept: Vec<DayId>,
    pub elsewhere: Vec<DayId>,
}

/// How many times (100 ms apart) a read of the history waits for a day another process sums.
const CLOSING_WAITS: usize = 50;

/// The days' figures kept after they close, and today's. Handed out by [`super::WaitingRoom::history`].
#[derive(Clone)]
pub struct History {
    days: store::Days,
    history_records: store::HistoryRecords,
    queues: store::Queues,
    setup: Arc<Setup>,
}

impl History {
    pub(super) fn new(store: &Store, setup: Arc<Setup>) -> Self {
        Self {
            days: store.days(),
            history_records: store.history_records(),
            queues: store.queues(),
            setup,
        }
    }

    /// Sums every closed business day of `queue` not yet in the history (while its data lives):
    /// one process does each (the first to take it), and a day is kept once. Run every minute and
    /// before every read of the history. Answers the days it kept.
    pub async fn close_days(&self, queue: &QueueId) -> Result<Closed, ServiceError> {
        let calendar = &self.setup.calendar;
        let now = calendar.now();
        let today = self.days.today(queue).await?;
        let mut kept = Vec::new();
        let mut elsewhere = Vec::new();
        for day in self.history_records.recent_days(queue).await? {
            if day == today || self.history_records.is_kept(queue, &day).await? {
                continue;
            }
            let Ok(date) = day.date().parse::<jiff::civil::Date>() else {
                continue;
            };
            let close = calendar.close_of(date);
            let data_until = close.as_second().max(0) as u64 + calendar.retention().as_secs();
            // its tickets expired (the servers were all down): unknown, not zero
            if now.now_ms / 1000 >= data_until {
                continue;
            }
            if !self.history_records.claim_closing(queue, &day).await? {
                elsewhere.push(day);
                continue;
            }
            let (tickets, sent) = self.history_records.day_for_history(queue, &day).await?;
            let figures = DayFigures::of(&tickets, &sent, |ms| calendar.local_hour(ms));
            let json = serde_json::to_string(&figures)
                .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
            let keep_until =
                close.as_second().max(0) as u64 + u64::from(self.setup.history_days) * 86_400;
            if self
                .history_records
                .keep_day(queue, &day, &json, keep_until)
                .await?
            {
                tracing::info!(%queue, %day, tickets = tickets.len(), "the day's figures are kept");
                kept.push(day);
            }
        }
        Ok(Closed { kept, elsewhere })
    }

    /// [`WaitingRoom::close_days`] for every queue.
    pub async fn close_all_days(&self) -> Result<(), ServiceError> {
        for queue in &self.setup.queues {
            self.close_days(&queue.id).await?;
        }
        Ok(())
    }

    /// The export's range, checked (`from`, `to` as `YYYY-MM-DD`, at most `HISTORY_DAYS` days).
    pub fn history_range(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<DateRange, ServiceError> {
        DateRange::parse(from, to, self.setup.history_days).map_err(|e| {
            Problem::BadRequest {
                detail: e.to_string(),
            }
            .into()
        })
    }

    /// The figures of `queue` for every date of `range` that has any: the kept days, and today
    /// read live.
    pub async fn report(
        &self,
        queue: &QueueInfo,
        range: DateRange,
    ) -> Result<Report, ServiceError> {
        // a day another process is summing right now is there in a moment
        let closed = self.close_days(&queue.id).await?;
        for day in &closed.elsewhere {
            for _ in 0..CLOSING_WAITS {
                if self.history_records.is_kept(&queue.id, day).await? {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        let calendar = &self.setup.calendar;
        let today = calendar.now().day;
        let dates = range.dates();
        let names: Vec<String> = dates.iter().map(|d| d.to_string()).collect();
        let kept = self.history_records.kept_days(&queue.id, &names).await?;
        let mut days = Vec::new();
        for (date, kept) in dates.iter().zip(kept) {
            let mut figures = DayFigures::default();
            let mut any = !kept.is_empty();
            for json in kept {
                let day: DayFigures = serde_json::from_str(&json)
                    .map_err(|e| crate::store::StoreError::Corrupt(format!("history: {e}")))?;
                figures.add(&day);
            }
            let live = *date == today;
            if live {
                figures.add(&self.today_figures(&queue.id).await?);
                any = true;
            }
            if any {
                days.push(crate::history::day_report(*date, live, figures));
            }
        }
        Ok(Report {
            queue: queue.id.to_string(),
            from: range.from.to_string(),
            to: range.to.to_string(),
            days,
        })
    }

    /// Today's figures so far (not kept until the day closes).
    pub async fn today_figures(&self, queue: &QueueId) -> Result<DayFigures, ServiceError> {
        let calendar = &self.setup.calendar;
        let day = self.queues.day(queue).await?;
        let sent = self.history_records.today_sent(queue).await?;
        Ok(DayFigures::of(day.tickets.values(), &sent, |ms| {
            calendar.local_hour(ms)
        }))
    }

    /// Today's tickets of `queue` for the CSV: number, channel, times, outcome (no phone, no
    /// token), in number order.
    pub async fn today_ticket_rows(
        &self,
        queue: &QueueInfo,
    ) -> Result<Vec<TicketRow>, ServiceError> {
        let calendar = &self.setup.calendar;
        let day = self.queues.day(&queue.id).await?;
        let time = |ms: Option<u64>| ms.map(|ms| calendar.local_time(ms)).unwrap_or_default();
        Ok(day
            .tickets
            .values()
            .map(|t| TicketRow {
                label: queue.label(t.number),
                channel: t.channel,
                issued_at: time(Some(t.issued_at)),
                called_at: time(t.called_at),
                finished_at: time(t.finished_at),
                counter: t
                    .counter
                    .as_ref()
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                state: t.state,
                recalls: t.recalls,
            })
            .collect())
    }
}
