//! Intake that closes itself: the console's opening hours and daily limit (受付上限). The kiosk
//! stops at closing time or at the limit, remote intake as soon as a new ticket would not be
//! served before closing, and the next business day opens by itself. Each refusal changes nothing.

use crate::common::{client, spawn_app, TestRedis};
use waitingroom::store::{Moment, NewTicket, Store, StoreError};
use waitingroom::{Channel, CounterId, Lang, OpeningHours, Problem, QueueId};

/// 2027-01-15 (a Friday) at `hh:mm` in Tokyo, `days` later.
fn at(days: i64, hh: i8, mm: i8) -> Moment {
    let ts = jiff::civil::date(2027, 1, 15)
        .at(hh, mm, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
        .unwrap()
        .timestamp()
        + jiff::SignedDuration::from_hours(24 * days);
    waitingroom::calendar::Calendar::tokyo().moment_at(ts)
}

async fn take(
    store: &Store,
    q: &QueueId,
    channel: Channel,
    when: Moment,
) -> Result<u64, StoreError> {
    let token = waitingroom::services::random_token();
    let mut new = NewTicket::new(channel, &token, Lang::Ja);
    new.remote = channel == Channel::Remote;
    store
        .tickets()
        .issue(q, new, "", when)
        .await
        .map(|issued| issued.ticket.number)
}

fn closed(result: Result<u64, StoreError>, why: Problem) {
    assert!(
        matches!(&result, Err(StoreError::Refused(w)) if *w == why),
        "{why:?}: {result:?}"
    );
}

#[tokio::test]
async fn intake_closes_at_closing_time_remote_before_it_and_opens_again_the_next_day() {
    let redis = TestRedis::start();
    let store = Store::open(&redis.url()).unwrap();
    let q = QueueId::parse("clinic").unwrap();
    let nine_to_six = OpeningHours {
        opens: Some(9 * 60),
        closes: Some(18 * 60),
        daily_limit: 0,
    };
    store
        .queues()
        .set_opening_hours(&q, nine_to_six, at(0, 8, 0))
        .await
        .unwrap();
    assert_eq!(store.queues().opening_hours(&q).await.unwrap(), nine_to_six);

    // before opening: nobody, by any channel
    closed(
        take(&store, &q, Channel::Kiosk, at(0, 8, 59)).await,
        Problem::NotOpenYet,
    );
    closed(
        take(&store, &q, Channel::Remote, at(0, 8, 59)).await,
        Problem::NotOpenYet,
    );
    assert_eq!(store.queues().snapshot(&q).await.unwrap().last_number, 0);

    // a morning at one counter: 20 minutes a customer
    let one = CounterId::parse("1").unwrap();
    for _ in 0..4 {
        take(&store, &q, Channel::Kiosk, at(0, 9, 0)).await.unwrap();
    }
    for (i, mm) in [0, 20, 40].into_iter().enumerate() {
        store
            .tickets()
            .call_next(&q, &one, at(0, 9, mm))
            .await
            .unwrap();
        assert_eq!(
            store.queues().snapshot(&q).await.unwrap().serving[0].number,
            i as u64 + 1
        );
    }
    store
        .tickets()
        .call_next(&q, &one, at(0, 10, 0))
        .await
        .unwrap();
    assert_eq!(
        store.queues().snapshot(&q).await.unwrap().avg_service_ms,
        Some(20 * 60_000)
    );

    // 17:30, nobody waiting: a remote ticket is served by 17:50, before closing
    assert_eq!(
        take(&store, &q, Channel::Remote, at(0, 17, 30))
            .await
            .unwrap(),
        5
    );
    // 17:35, one ahead: it would finish at 18:15, after closing: 本日のオンライン受付は終了しました
    let before = store.queues().day(&q).await.unwrap();
    closed(
        take(&store, &q, Channel::Remote, at(0, 17, 35)).await,
        Problem::RemoteClosedToday,
    );
    assert_eq!(
        store.queues().day(&q).await.unwrap(),
        before,
        "the refusal changed nothing"
    );
    // the kiosk in the shop still takes them until closing time
    assert_eq!(
        take(&store, &q, Channel::Kiosk, at(0, 17, 59))
            .await
            .unwrap(),
        6
    );
    closed(
        take(&store, &q, Channel::Kiosk, at(0, 18, 0)).await,
        Problem::ClosedToday,
    );
    closed(
        take(&store, &q, Channel::Remote, at(0, 23, 0)).await,
        Problem::ClosedToday,
    );

    // the next business day opens by itself at nine, from number 1
    closed(
        take(&store, &q, Channel::Kiosk, at(1, 8, 30)).await,
        Problem::NotOpenYet,
    );
    assert_eq!(
        take(&store, &q, Channel::Remote, at(1, 9, 0))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn the_daily_limit_stops_every_channel_and_the_console_refuses_bad_hours() {
    let redis = TestRedis::start();
    let store = crate::common::store(&redis);
    let app = spawn_app(&redis).await;
    let staff = client();
    assert!(app.sign_in(&staff, &app.password).await.is_success());
    let set = |opens: &'static str, closes: &'static str, limit: &'static str| {
        let staff = staff.clone();
        let app = &app;
        async move {
            app.post_form(
                &staff,
                "/api/admin/hours",
                &[
                    ("queue", "default"),
                    ("opens", opens),
                    ("closes", closes),
                    ("limit", limit),
                ],
            )
            .await
        }
    };
    let (status, body) = set("", "", "2").await;
    assert_eq!(status, 200, "{body}");
    let q = QueueId::default_queue();
    assert_eq!(
        store.queues().opening_hours(&q).await.unwrap().daily_limit,
        2
    );
    for _ in 0..2 {
        assert_eq!(app.issue("default").await.status(), 200, "the kiosk");
    }
    // the third: 本日の受付は終了しました（1日2枚まで）
    let third = app.issue("default").await;
    assert_eq!(third.status(), 409);
    let body: serde_json::Value = third.json().await.unwrap();
    assert_eq!(body["error"], "day_full", "{body}");
    let api = app.issue_as_staff("default").await;
    assert_eq!(api.status(), 409, "the staff API too");
    assert_eq!(store.queues().snapshot(&q).await.unwrap().last_number, 2);

    // out of range or half-set: 422, nothing changes
    for (opens, closes, limit) in [
        ("25:00", "18:00", "2"),
        ("09:00", "", "2"),
        ("18:00", "09:00", "2"),
        ("09:00", "18:00", "10001"),
        ("9時", "18:00", "2"),
    ] {
        let (status, body) = set(opens, closes, limit).await;
        assert_eq!(status, 422, "{opens}-{closes} {limit}: {body}");
        assert_eq!(body["error"], "bad_setting", "{body}");
        assert_eq!(
            store.queues().opening_hours(&q).await.unwrap(),
            OpeningHours {
                opens: None,
                closes: None,
                daily_limit: 2
            }
        );
    }
}
