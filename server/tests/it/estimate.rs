//! Waits that come true: once the history knows the weekday's hour, the estimate a ticket shows
//! (its page, the kiosk's slip) follows the history's service time over the counters calling
//! now; without history it is today's estimate.

use crate::common::{
    client, config_with, spawn_app_with, test_calendar, text_of, TestApp, TestRedis,
};
use waitingroom::history::{DayFigures, HourFigures, Service};
use waitingroom::store::QueueKeys;
use waitingroom::{CounterId, QueueId};

const MINUTE: u64 = 60_000;

/// The queue's recent service times average `minutes` today.
async fn average_service(redis: &TestRedis, queue: &str, minutes: u64) {
    let keys = crate::common::day_keys(redis, queue).await;
    let mut conn = redis.connection().await;
    let _: () = redis::cmd("SET")
        .arg(keys.avg_service())
        .arg(minutes * MINUTE)
        .query_async(&mut conn)
        .await
        .unwrap();
}

/// The same weekday of the `weeks` earlier weeks kept in the history: at every hour, each of the
/// two counters served 5 customers in `minutes` each.
async fn earlier_weeks(redis: &TestRedis, queue: &str, weeks: i64, minutes: u64) {
    let mut hour = HourFigures::default();
    for counter in ["1", "2"] {
        hour.service.insert(
            CounterId::parse(counter).unwrap(),
            Service {
                served: 5,
                total_ms: 5 * minutes * MINUTE,
            },
        );
    }
    let figures = DayFigures {
        hours: (0..24).map(|h| (h, hour.clone())).collect(),
    };
    let json = serde_json::to_string(&figures).unwrap();
    let keys = QueueKeys::of(&QueueId::parse(queue).unwrap());
    let today = test_calendar().now().day;
    let mut conn = redis.connection().await;
    for week in 1..=weeks {
        let date = today - jiff::Span::new().days(7 * week);
        let _: () = redis::cmd("HSET")
            .arg(keys.history(&date.to_string()))
            .arg(date.to_string())
            .arg(&json)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}

/// Issues `n` tickets at the kiosk; answers the last one's token and the slip's estimate.
async fn issue(app: &TestApp, queue: &str, n: usize) -> (String, serde_json::Value) {
    let mut last = serde_json::Value::Null;
    for _ in 0..n {
        let r = app.issue(queue).await;
        assert_eq!(r.status(), 200);
        last = r.json().await.unwrap();
    }
    (
        last["ticket"]["token"].as_str().unwrap().to_owned(),
        last["ticket"]["estimated_wait_ms"].clone(),
    )
}

/// The estimate the ticket page shows (server-rendered), and the basis it sends the page.
async fn page(app: &TestApp, token: &str) -> (String, serde_json::Value) {
    let html = app.get_text(&format!("/t/{token}")).await;
    let shown = text_of(&html, "estimated-wait").expect("the estimate is on the page");
    let (status, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", token)])
        .await;
    assert_eq!(status, 200);
    (shown, view["wait"].clone())
}

#[tokio::test]
async fn the_ticket_pages_estimate_follows_the_history_once_it_exists() {
    let redis = TestRedis::start();
    let app = spawn_app_with(config_with(
        &redis.url(),
        &[("QUEUES", "plain,known"), ("COUNTERS", "1,2")],
    ))
    .await;
    // two queues alike today (4 minutes a customer lately), but earlier weeks of `known` took 10
    earlier_weeks(&redis, "known", 2, 10).await;
    // the day's keys exist once a ticket is issued
    issue(&app, "plain", 1).await;
    issue(&app, "known", 1).await;
    average_service(&redis, "plain", 4).await;
    average_service(&redis, "known", 4).await;

    // the fifth ticket: 4 ahead, 2 counters
    let (plain, plain_slip) = issue(&app, "plain", 4).await;
    let (known, known_slip) = issue(&app, "known", 4).await;
    // without history: today's estimate, 4 ahead over 2 counters at 4 minutes
    assert_eq!(plain_slip, 8 * MINUTE);
    let (shown, basis) = page(&app, &plain).await;
    assert_eq!(shown, "約8分");
    assert_eq!(basis["learned_service_ms"], serde_json::Value::Null);
    // with history: 10 minutes a customer at this weekday and hour, over the 2 counters
    assert_eq!(known_slip, 20 * MINUTE, "the kiosk's slip");
    let (shown, basis) = page(&app, &known).await;
    assert_eq!(shown, "約20分", "the ticket page");
    assert_eq!(basis["learned_service_ms"], 10 * MINUTE);

    // only counter 1 calls: 3 ahead of the fifth, at one counter calling now
    assert_eq!(app.call_next_as_staff("known", "1").await.status(), 200);
    assert_eq!(app.call_next_as_staff("plain", "1").await.status(), 200);
    let (shown, basis) = page(&app, &known).await;
    assert_eq!(basis["active_counters"], 1);
    assert_eq!(shown, "約30分");
    // today's estimate still counts the configured counters
    let (shown, _) = page(&app, &plain).await;
    assert_eq!(shown, "約8分", "ceil(3 / 2) × 4 minutes");
}

/// The issue script's closing-time prediction uses the learned service time when it is given one
/// (SERVICE) over the counters calling (COUNTERS), the day's average otherwise.
#[tokio::test]
async fn remote_intake_closes_by_the_learned_service_time() {
    use waitingroom::store::{Store, StoreError};
    use waitingroom::Problem;
    use waitingroom::{Channel, Lang, OpeningHours};
    let redis = TestRedis::start();
    let store = Store::open(&redis.url()).unwrap();
    let q = QueueId::parse("clinic").unwrap();
    // 2027-01-15 (a Friday), Tokyo
    let at = |hh: i8, mm: i8| {
        let ts = jiff::civil::date(2027, 1, 15)
            .at(hh, mm, 0, 0)
            .to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
            .unwrap()
            .timestamp();
        waitingroom::calendar::Calendar::tokyo().moment_at(ts)
    };
    let hours = OpeningHours {
        opens: Some(9 * 60),
        closes: Some(18 * 60),
        daily_limit: 0,
    };
    store
        .queues()
        .set_opening_hours(&q, hours, at(8, 0))
        .await
        .unwrap();
    let take = |service_ms: Option<u64>, counters: u32| {
        let store = &store;
        let q = &q;
        async move {
            let token = waitingroom::services::random_token();
            let mut new = waitingroom::store::NewTicket::new(Channel::Remote, &token, Lang::Ja);
            new.remote = true;
            new.counters = counters;
            new.service_ms = service_ms;
            store
                .tickets()
                .issue(q, new, "", at(17, 0))
                .await
                .map(|i| i.ticket.number)
        }
    };
    // two waiting at 17:00; no service times today: the day's average says nothing
    assert_eq!(take(None, 2).await.unwrap(), 1);
    assert_eq!(take(None, 2).await.unwrap(), 2);
    // learned: an hour a customer; the third over 2 counters is done at 18:30, after closing
    let before = store.queues().day(&q).await.unwrap();
    assert!(
        matches!(
            take(Some(60 * MINUTE), 2).await,
            Err(StoreError::Refused(Problem::RemoteClosedToday))
        ),
        "本日のオンライン受付は終了しました"
    );
    assert_eq!(
        store.queues().day(&q).await.unwrap(),
        before,
        "the refusal changes nothing"
    );
    // 20 minutes a customer: 17:30, served before closing
    assert_eq!(take(Some(20 * MINUTE), 2).await.unwrap(), 3);
    // the same 20 minutes at the one counter calling: 3 ahead and it, 18:20
    assert!(matches!(
        take(Some(20 * MINUTE), 1).await,
        Err(StoreError::Refused(Problem::RemoteClosedToday))
    ));
}
