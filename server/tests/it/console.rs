//! The staff console: a tablet keeps its day from the live channel's events alone, and every
//! refusal answers its real status and changes nothing, also as a plain form post.

use crate::common::{
    client, next_json, spawn_app_with, TestApp, TestRedis, ADMIN_PASSWORD, STAFF_API_TOKEN,
};
use serde_json::Value;
use waitingroom::day::Console;
use waitingroom::{Applied, QueueDay, QueueEvent};

/// Redis's count of every command it ran, scripts' own commands included.
/// Every command Redis processed so far, but those of the outbox's senders, which poll their
/// streams in the background whatever the screens do (and `INFO` itself).
async fn commands_processed(redis: &TestRedis) -> u64 {
    let info = redis.command_stats();
    info.lines()
        .filter_map(|l| l.strip_prefix("cmdstat_"))
        .filter(|l| {
            !["xreadgroup:", "xautoclaim:", "xgroup|", "info:"]
                .iter()
                .any(|c| l.starts_with(c))
        })
        .filter_map(|l| {
            l.split_once("calls=")?
                .1
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

/// The same changes on `queue`: 6 issues and 4 calls through the API (more events, as a call
/// also finishes the ticket its counter served).
async fn ten_changes(app: &TestApp, queue: &str) {
    for _ in 0..6 {
        let r = app.issue_as_staff(queue).await;
        assert_eq!(r.status(), 201);
    }
    for _ in 0..4 {
        let r = app
            .http
            .post(app.url(&format!("/api/v1/queues/{queue}/call-next")))
            .bearer_auth(STAFF_API_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

async fn load_console(app: &TestApp, staff: &reqwest::Client, queue: &str) -> Console {
    let (status, body) = app
        .post_form(staff, "/api/admin/console", &[("queue", queue)])
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn a_tablet_follows_the_day_from_events_alone_with_no_redis_reads_per_event() {
    let redis = TestRedis::start();
    let config = crate::common::config_with(&redis.url(), &[("QUEUES", "alone:A,watched:B")]);
    let app = spawn_app_with(config).await;
    let staff = client();
    assert!(app.sign_in(&staff, ADMIN_PASSWORD).await.is_success());
    // two queues with the same history
    ten_changes(&app, "alone").await;
    ten_changes(&app, "watched").await;

    // the tablet reads its day once, then follows the live channel
    let mut day: QueueDay = load_console(&app, &staff, "watched").await.day;
    assert_eq!(day.tickets.len(), 6);
    let (mut socket, _) =
        tokio_tungstenite::connect_async(app.ws_url("/api/v1/queues/watched/live"))
            .await
            .unwrap();
    let snapshot = next_json(&mut socket).await;
    assert_eq!(
        snapshot["snapshot"]["version"].as_u64(),
        Some(day.version()),
        "no gap"
    );

    // the same changes with no tablet watching, then with the tablet watching
    let start = commands_processed(&redis).await;
    ten_changes(&app, "alone").await;
    let alone = commands_processed(&redis).await - start;
    let start = commands_processed(&redis).await;
    ten_changes(&app, "watched").await;
    let watched = commands_processed(&redis).await - start;

    let latest = app.get_json("/api/v1/queues/watched").await["version"]
        .as_u64()
        .unwrap();
    let events = latest - day.version();
    while day.version() < latest {
        let message = next_json(&mut socket).await;
        let event: QueueEvent = serde_json::from_value(message["event"].clone()).unwrap();
        assert_ne!(day.apply(&event), Applied::Gap, "{event:?}");
    }
    println!("Redis commands for {events} events: {alone} with no tablet, {watched} with a tablet");
    assert_eq!(watched, alone, "a tablet adds no Redis command per event");

    // and what it holds is exactly what a fresh read gives
    let fresh = load_console(&app, &staff, "watched").await.day;
    assert_eq!(day, fresh);
    assert_eq!(day.waiting().len(), 4);
    assert_eq!(day.serving().len(), 1);
    assert_eq!(day.analytics(9 * 3_600_000).issued, 12);
}

#[tokio::test]
async fn refusals_answer_their_status_and_change_nothing() {
    let redis = TestRedis::start();
    let app = spawn_app_with(crate::common::config(&redis.url())).await;
    let staff = client();
    assert!(app.sign_in(&staff, ADMIN_PASSWORD).await.is_success());
    app.issue("default").await;
    let before = app.get_json("/api/v1/queues/default").await;

    // (server function, form, status, body; null: any 400 bad_request)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], u16, Value);
    let cases: [Case; 5] = [
        (
            "/api/admin/reset",
            &[("queue", "default"), ("confirm", "yes")],
            422,
            serde_json::json!({"error": "reset_not_confirmed"}),
        ),
        (
            "/api/admin/intake",
            &[("queue", "default"), ("intake", "closed")],
            400,
            Value::Null,
        ),
        (
            "/api/admin/act",
            &[
                ("queue", "default"),
                ("number", "1"),
                ("rev", "1"),
                ("action", "delete"),
            ],
            400,
            Value::Null,
        ),
        (
            "/api/admin/act",
            &[
                ("queue", "default"),
                ("number", "1"),
                ("rev", "1"),
                ("action", "call"),
                ("counter", "9"),
            ],
            422,
            serde_json::json!({"error": "unknown_counter"}),
        ),
        (
            "/api/admin/call_next",
            &[("queue", "nope"), ("counter", "1")],
            404,
            serde_json::json!({"error": "unknown_queue"}),
        ),
    ];
    for (path, form, status, body) in cases {
        let (got_status, got_body) = app.post_form(&staff, path, form).await;
        assert_eq!(got_status, status, "{path} {form:?}: {got_body}");
        if body.is_null() {
            assert_eq!(got_body["error"], "bad_request", "{path} {form:?}");
        } else {
            assert_eq!(got_body, body, "{path} {form:?}");
        }
    }
    app.post_form(
        &staff,
        "/api/admin/call_next",
        &[("queue", "default"), ("counter", "1")],
    )
    .await;
    let (status, body) = app
        .post_form(
            &staff,
            "/api/admin/call_next",
            &[("queue", "default"), ("counter", "1")],
        )
        .await;
    assert_eq!(
        (status, body),
        (409, serde_json::json!({"error": "nobody_waiting"}))
    );
    let (status, _) = app
        .post_form(
            &staff,
            "/api/admin/act",
            &[
                ("queue", "default"),
                ("number", "1"),
                ("rev", "2"),
                ("action", "done"),
            ],
        )
        .await;
    assert_eq!(status, 200);

    let after = app.get_json("/api/v1/queues/default").await;
    assert_eq!(
        after["last_number"], before["last_number"],
        "no reset happened"
    );
    assert_eq!(after["intake"], "open");
}

#[tokio::test]
async fn without_javascript_a_refusal_comes_back_to_the_page_in_its_language() {
    let redis = TestRedis::start();
    let app = spawn_app_with(crate::common::config(&redis.url())).await;
    let staff = client();
    assert!(app.sign_in(&staff, ADMIN_PASSWORD).await.is_success());
    app.issue("default").await;

    for (lang, words) in [
        ("ja", "確認のため reset と入力"),
        ("en", "To reset, type reset to confirm"),
    ] {
        // the language menu's choice, kept in the browser's cookies with its session
        staff
            .get(app.url(&format!("/lang/{lang}")))
            .send()
            .await
            .unwrap();
        let response = staff
            .post(app.url("/api/admin/reset"))
            .header("accept", "text/html")
            .header("referer", app.url("/admin"))
            .form(&[("queue", "default"), ("confirm", "nope")])
            .send()
            .await
            .unwrap();
        let (_, page) = crate::common::refusal_page(&staff, response).await;
        assert!(page.contains(&format!("<html lang=\"{lang}\"")), "{page}");
        assert!(page.contains(words), "the page says why, in {lang}");
    }
    let snapshot = app.get_json("/api/v1/queues/default").await;
    assert_eq!(
        snapshot["waiting"],
        serde_json::json!([1]),
        "nothing was reset"
    );
}
