//! Waits that come true: what the estimate ([`crate::estimate::wait_ms`]) is fed with — the
//! history's service time of the weekday's hour (the same weekday of up to
//! [`LEARN_WEEKS`] earlier weeks, read at most every [`LEARN_REFRESH`] per process) and the
//! counters calling now (the snapshot's serving and recent calls).

use super::Setup;
use crate::estimate::{active_counters, learned_service_ms, WaitBasis, LEARN_WEEKS};
use crate::history::{DayFigures, HourFigures};
use crate::queue::{QueueId, QueueSnapshot};
use crate::store::StoreError;
use crate::store::{self, Store};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a process keeps what the history says of an hour before it reads it again.
pub const LEARN_REFRESH: Duration = Duration::from_secs(5 * 60);

/// A queue, a business date and a local hour.
type HourKey = (QueueId, String, u8);

/// What each (queue, business date, local hour) learned, and when it was read.
#[derive(Default)]
pub struct Learned {
    hours: Mutex<HashMap<HourKey, (Instant, Option<u64>)>>,
}

impl Learned {
    fn get(&self, key: &HourKey) -> Option<Option<u64>> {
        let hours = self.hours.lock().unwrap_or_else(|e| e.into_inner());
        hours
            .get(key)
            .filter(|(at, _)| at.elapsed() < LEARN_REFRESH)
            .map(|(_, ms)| *ms)
    }

    fn put(&self, key: HourKey, ms: Option<u64>) {
        let mut hours = self.hours.lock().unwrap_or_else(|e| e.into_inner());
        hours.retain(|_, (at, _)| at.elapsed() < LEARN_REFRESH);
        hours.insert(key, (Instant::now(), ms));
    }
}

/// What the wait estimate is fed with. Handed out by [`super::WaitingRoom::estimate`].
#[derive(Clone)]
pub struct Estimate {
    history_records: store::HistoryRecords,
    queues: store::Queues,
    setup: Arc<Setup>,
    learned: Arc<Learned>,
}

impl Estimate {
    pub(super) fn new(store: &Store, setup: Arc<Setup>, learned: Arc<Learned>) -> Self {
        Self {
            history_records: store.history_records(),
            queues: store.queues(),
            setup,
            learned,
        }
    }

    /// What the estimate of `queue` knows now besides today's average: the history's service time
    /// of this weekday and hour, and the counters calling (from `snapshot`).
    pub async fn wait_basis(
        &self,
        queue: &QueueId,
        snapshot: &QueueSnapshot,
    ) -> Result<WaitBasis, StoreError> {
        let learned = self.learned_service_ms(queue).await?;
        Ok(self.basis_with(learned, snapshot))
    }

    fn basis_with(&self, learned: Option<u64>, snapshot: &QueueSnapshot) -> WaitBasis {
        let now_ms = self.setup.calendar.now().now_ms;
        WaitBasis {
            learned_service_ms: learned,
            active_counters: active_counters(
                &snapshot.recent_calls,
                &snapshot.serving,
                now_ms,
                learned,
            ),
        }
    }

    /// The basis for a ticket about to be issued: the snapshot is read only when the history
    /// knows the hour (without it the counters calling change nothing).
    pub(super) async fn issue_basis(&self, queue: &QueueId) -> Result<WaitBasis, StoreError> {
        let Some(learned) = self.learned_service_ms(queue).await? else {
            return Ok(WaitBasis::default());
        };
        let snapshot = self.queues.snapshot(queue).await?;
        Ok(self.basis_with(Some(learned), &snapshot))
    }

    /// The expected wait of someone `ahead` places from the front of a queue whose snapshot says
    /// `recent_avg_ms`, on `basis`: the one estimate every screen, text and call uses.
    pub fn wait_ms(
        &self,
        ahead: usize,
        recent_avg_ms: Option<u64>,
        basis: &WaitBasis,
    ) -> Option<u64> {
        crate::estimate::wait_ms(ahead, recent_avg_ms, self.setup.counters.len(), basis)
    }

    /// The mean service time at one counter the history knows for `queue` at this weekday and
    /// local hour (earlier weeks'), cached per process for [`LEARN_REFRESH`].
    pub async fn learned_service_ms(&self, queue: &QueueId) -> Result<Option<u64>, StoreError> {
        let calendar = &self.setup.calendar;
        let now = calendar.now();
        let hour = calendar.local_hour(now.now_ms);
        let key = (queue.clone(), now.day.to_string(), hour);
        if let Some(ms) = self.learned.get(&key) {
            return Ok(ms);
        }
        let mut dates = Vec::new();
        let mut date = now.day;
        for _ in 0..LEARN_WEEKS {
            match date.checked_sub(jiff::Span::new().days(7)) {
                Ok(earlier) => date = earlier,
                Err(_) => break,
            }
            dates.push(date.to_string());
        }
        let mut hours: Vec<HourFigures> = Vec::new();
        for kept in self.history_records.kept_days(queue, &dates).await? {
            for json in kept {
                // a day the history cannot read teaches nothing (the export reports it)
                let Ok(day) = serde_json::from_str::<DayFigures>(&json) else {
                    continue;
                };
                if let Some(h) = day.hours.get(&hour) {
                    hours.push(h.clone());
                }
            }
        }
        let ms = learned_service_ms(&hours);
        self.learned.put(key, ms);
        Ok(ms)
    }
}
