//! A queue as a whole: its snapshot and its day (what screens and the console start from), its
//! intake, and the reach of its automatic calls.

use super::keys::{DayKeys, QueueKeys};
use super::replies::Version;
use super::scripts::{SetAutodialArgs, SetHoursArgs, SetIntakeArgs, SetLateArgs};
use super::tickets::parse_ticket;
use super::{Moment, Store, StoreError};
use crate::day::QueueDay;
use crate::queue::{
    Call, CounterId, Intake, LateArrivals, OpeningHours, QueueId, QueueSnapshot, Serving,
};
use redis::{AsyncCommands, Value};

/// The store's queues' settings and snapshots: a handle on [`Store`], from [`Store::queues`].
#[derive(Clone)]
pub struct Queues {
    store: Store,
}

impl Queues {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// How many places ahead `queue` calls a verified phone now (the console's setting, else
    /// the configured one).
    pub async fn autodial_places(&self, queue: &QueueId) -> Result<u32, StoreError> {
        let mut conn = self.store.conn.clone();
        let set: Option<u32> = conn.get(QueueKeys::of(queue).autodial()).await?;
        Ok(set.unwrap_or_else(|| self.store.settings.autodial_places.of(queue)))
    }

    /// Staff set how many places ahead `queue` calls a verified phone; tickets now within reach
    /// get their call.
    pub async fn set_autodial_places(
        &self,
        queue: &QueueId,
        places: u32,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.store.invoke(
            queue,
            at,
            SetAutodialArgs {
                places: places.to_string(),
            },
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }

    /// What `queue` does with late arrivals (the console's setting, else the defaults).
    pub async fn late_arrivals(&self, queue: &QueueId) -> Result<LateArrivals, StoreError> {
        let mut conn = self.store.conn.clone();
        let (places, minutes): (Option<u32>, Option<u32>) = conn
            .hmget(QueueKeys::of(queue).rules(), &["places", "no_show_after"])
            .await?;
        let default = LateArrivals::default();
        Ok(LateArrivals {
            move_back_places: places.unwrap_or(default.move_back_places),
            no_show_after_minutes: minutes.unwrap_or(default.no_show_after_minutes),
        })
    }

    /// `queue`'s opening hours and daily limit (the console's; none set: always, no limit).
    pub async fn opening_hours(&self, queue: &QueueId) -> Result<OpeningHours, StoreError> {
        let mut conn = self.store.conn.clone();
        let (opens, closes, limit): (Option<u16>, Option<u16>, Option<u32>) = conn
            .hmget(QueueKeys::of(queue).rules(), &["opens", "closes", "limit"])
            .await?;
        Ok(OpeningHours {
            opens,
            closes,
            daily_limit: limit.unwrap_or(0),
        })
    }

    /// Staff set `queue`'s opening hours and daily limit.
    pub async fn set_opening_hours(
        &self,
        queue: &QueueId,
        hours: OpeningHours,
        at: Moment,
    ) -> Result<(), StoreError> {
        let time = |m: Option<u16>| m.map(|m| m.to_string()).unwrap_or_default();
        let invocation = self.store.invoke(
            queue,
            at,
            SetHoursArgs {
                opens: time(hours.opens).to_string(),
                closes: time(hours.closes).to_string(),
                limit: hours.daily_limit.to_string(),
            },
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }

    /// Staff set what `queue` does with late arrivals.
    pub async fn set_late_arrivals(
        &self,
        queue: &QueueId,
        late: LateArrivals,
        at: Moment,
    ) -> Result<(), StoreError> {
        let invocation = self.store.invoke(
            queue,
            at,
            SetLateArgs {
                places: late.move_back_places.to_string(),
                no_show_after: late.no_show_after_minutes.to_string(),
            },
        );
        let () = self.store.run(invocation).await?;
        Ok(())
    }

    pub async fn set_intake(
        &self,
        queue: &QueueId,
        intake: Intake,
        at: Moment,
    ) -> Result<u64, StoreError> {
        let invocation = self.store.invoke(
            queue,
            at,
            SetIntakeArgs {
                intake_state: intake.as_str().to_string(),
            },
        );
        let Version(version) = self.store.run(invocation).await?;
        Ok(version)
    }

    /// The queue as one consistent picture (MULTI/EXEC).
    pub async fn snapshot(&self, queue: &QueueId) -> Result<QueueSnapshot, StoreError> {
        let (_, replies) = self.store.read_day(queue, snapshot_reads).await?;
        let raw: RawSnapshot = redis::from_redis_value_ref(&Value::Array(replies))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        raw.into_snapshot(queue)
    }

    /// The snapshot and every ticket of the day, read together (one MULTI/EXEC): what the staff
    /// console starts from, and reads again only after a gap in the events.
    pub async fn day(&self, queue: &QueueId) -> Result<QueueDay, StoreError> {
        let (_, mut replies) = self
            .store
            .read_day(queue, |pipe, queue_keys, day_keys| {
                snapshot_reads(pipe, queue_keys, day_keys);
                pipe.hvals(day_keys.tickets());
            })
            .await?;
        let corrupt = |e: redis::ParsingError| StoreError::Corrupt(e.to_string());
        let tickets: Vec<String> = replies
            .pop()
            .map(|v| redis::from_redis_value_ref(&v).map_err(corrupt))
            .transpose()?
            .unwrap_or_default();
        let raw: RawSnapshot =
            redis::from_redis_value_ref(&Value::Array(replies)).map_err(corrupt)?;
        let snapshot = raw.into_snapshot(queue)?;
        let tickets = tickets
            .iter()
            .map(|json| parse_ticket(json).map(|t| t.summary))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(QueueDay::new(snapshot, tickets))
    }
}

/// What [`snapshot_reads`] answers, in its order.
type RawSnapshot = (
    Option<u64>,
    Vec<u64>,
    Vec<(String, u64)>,
    Vec<String>,
    Option<u64>,
    Option<String>,
    Option<u64>,
);

/// The reads of a snapshot, in a MULTI/EXEC that callers may extend.
fn snapshot_reads(pipe: &mut redis::Pipeline, queue: &QueueKeys, day: &DayKeys) {
    pipe.get(queue.version())
        .lrange(day.waiting(), 0, -1)
        .hgetall(day.serving())
        .lrange(day.recent(), 0, -1)
        .get(day.sequence())
        .get(queue.intake())
        .get(day.avg_service());
}

trait IntoSnapshot {
    fn into_snapshot(self, queue: &QueueId) -> Result<QueueSnapshot, StoreError>;
}

impl IntoSnapshot for RawSnapshot {
    fn into_snapshot(self, queue: &QueueId) -> Result<QueueSnapshot, StoreError> {
        let (version, waiting, serving, recent, last_number, intake, avg) = self;
        let mut serving = serving
            .into_iter()
            .map(|(counter, number)| {
                let counter =
                    CounterId::parse(&counter).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(Serving { counter, number })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        serving.sort_by(|a, b| a.counter.cmp(&b.counter));
        let recent_calls = recent
            .iter()
            .map(|raw| {
                serde_json::from_str::<Call>(raw).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(QueueSnapshot {
            queue: queue.clone(),
            version: version.unwrap_or(0),
            waiting,
            serving,
            recent_calls,
            last_number: last_number.unwrap_or(0),
            intake: parse_intake(intake.as_deref())?,
            avg_service_ms: avg,
        })
    }
}

/// No intake key means open; anything but a known name is corrupt data, never a guess.
pub(super) fn parse_intake(raw: Option<&str>) -> Result<Intake, StoreError> {
    raw.map_or(Ok(Intake::Open), |raw| {
        Intake::parse(raw).map_err(|e| StoreError::Corrupt(e.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_intake_is_corrupt_data() {
        assert_eq!(parse_intake(None).unwrap(), Intake::Open);
        assert_eq!(parse_intake(Some("paused")).unwrap(), Intake::Paused);
        assert!(parse_intake(Some("closed")).is_err());
    }
}
