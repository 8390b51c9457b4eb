//! The owner's export: the history as JSON and CSV, today's tickets as CSV; only for the staff,
//! and a range that is not one is refused precisely, changing nothing.

use crate::common::{client, spawn_app, TestApp, TestRedis, ADMIN_PASSWORD, STAFF_API_TOKEN};
use redis::AsyncCommands;

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String, String) {
    let mut r = app.http.get(app.url(path));
    if let Some(token) = token {
        r = r.bearer_auth(token);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, r.text().await.unwrap())
}

#[tokio::test]
async fn today_is_exported_live_as_json_and_csv_without_anything_personal() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let slip: serde_json::Value = app.issue("default").await.json().await.unwrap();
        tokens.push(slip["ticket"]["token"].as_str().unwrap().to_owned());
    }
    assert_eq!(app.call_next_as_staff("default", "1").await.status(), 200);
    // the second call at counter 1 finishes the first
    assert_eq!(app.call_next_as_staff("default", "1").await.status(), 200);
    let today = crate::common::test_calendar().now().day.to_string();
    let range = format!("from={today}&to={today}");

    let (status, kind, body) = get(
        &app,
        &format!("/api/v1/queues/default/history?{range}"),
        Some(STAFF_API_TOKEN),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(kind.starts_with("application/json"), "{kind}");
    let history: serde_json::Value = serde_json::from_str(&body).unwrap();
    let day = &history["days"][0];
    assert_eq!(day["date"], today.as_str());
    assert_eq!(day["live"], true);
    assert_eq!(day["total"]["issued"], 3);
    assert_eq!(day["total"]["issued_by_channel"]["kiosk"], 3);
    assert_eq!(
        day["total"]["served"], 1,
        "the first; the second is at the counter"
    );
    assert_eq!(history["days"].as_array().unwrap().len(), 1);

    let (status, kind, csv) = get(
        &app,
        &format!("/api/v1/queues/default/history.csv?{range}"),
        Some(STAFF_API_TOKEN),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert!(csv.starts_with("\u{feff}日付,曜日,時,発行数,"), "{csv}");
    assert!(csv.lines().count() >= 2 && csv.matches("\r\n").count() == csv.lines().count());
    assert!(csv.contains(&format!("\r\n{today},")), "{csv}");

    let (status, _, tickets) = get(
        &app,
        "/api/v1/queues/default/tickets.csv",
        Some(STAFF_API_TOKEN),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        tickets.starts_with(
            "\u{feff}番号,受付方法,発行時刻,呼出時刻,終了時刻,窓口,結果,再呼出回数\r\n"
        ),
        "{tickets}"
    );
    assert_eq!(
        tickets.matches("\r\n").count(),
        4,
        "a header and 3 tickets: {tickets}"
    );
    assert!(
        tickets.contains("\r\n1,受付機,") && tickets.contains(",完了,"),
        "{tickets}"
    );
    for token in &tokens {
        assert!(!tickets.contains(token.as_str()) && !body.contains(token.as_str()));
    }

    // the console's download buttons: a staff session does without the token
    let staff = client();
    assert!(app.sign_in(&staff, &app.password).await.is_success());
    let r = staff
        .get(app.url("/api/v1/queues/default/tickets.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"tickets-default-"));
}

#[tokio::test]
async fn a_bad_range_or_no_staff_is_refused_precisely_and_changes_nothing() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    app.issue("default").await;
    let mut conn = redis.connection().await;
    let keys_before: Vec<String> = conn.keys("*").await.unwrap();
    let base = "/api/v1/queues/default/history";
    for (path, token, status, message) in [
        (
            format!("{base}?from=2026-11-01&to=2026-11-30"),
            None,
            401,
            "staff token",
        ),
        (
            format!("{base}.csv?from=2026-11-01&to=2026-11-30"),
            Some("wrong"),
            401,
            "staff token",
        ),
        (
            "/api/v1/queues/default/tickets.csv".to_owned(),
            Some("wrong"),
            401,
            "staff token",
        ),
        (
            format!("{base}?to=2026-11-30"),
            Some(STAFF_API_TOKEN),
            400,
            "from must be a date",
        ),
        (
            format!("{base}?from=2026-11-01&to=30.11.2026"),
            Some(STAFF_API_TOKEN),
            400,
            "to must be a date",
        ),
        (
            format!("{base}?from=2026-02-30&to=2026-03-01"),
            Some(STAFF_API_TOKEN),
            400,
            "from must be a date",
        ),
        (
            format!("{base}.csv?from=2026-12-01&to=2026-11-30"),
            Some(STAFF_API_TOKEN),
            400,
            "from must not be after to",
        ),
        (
            format!("{base}?from=2024-01-01&to=2026-11-30"),
            Some(STAFF_API_TOKEN),
            400,
            "at most 400 days",
        ),
        (
            format!("{base}?from=2026-11-01%27%3B--&to=2026-11-30"),
            Some(STAFF_API_TOKEN),
            400,
            "from must be a date",
        ),
        (
            "/api/v1/queues/nope/history?from=2026-11-01&to=2026-11-30".to_owned(),
            Some(STAFF_API_TOKEN),
            404,
            "nope",
        ),
    ] {
        let (got, _, body) = get(&app, &path, token).await;
        assert_eq!(got, status, "{path}: {body}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(
            body["message"].as_str().unwrap().contains(message),
            "{path}: {body}"
        );
    }
    let mut keys_after: Vec<String> = conn.keys("*").await.unwrap();
    let mut keys_before = keys_before;
    keys_before.sort();
    keys_after.sort();
    assert_eq!(keys_after, keys_before, "a refused export writes nothing");
}

/// The console's 履歴 (`/api/admin/history`, the staff session): the view's period, the map's
/// weeks and the same weekday of 8 weeks, with the kept days and today read live; without a
/// session, or with a date or view that is none, refused precisely, changing nothing.
#[tokio::test]
async fn the_consoles_history_reads_a_week_and_the_same_weekday_before_for_the_staff_only() {
    use waitingroom::history::{DayFigures, HourFigures};
    use waitingroom::store::QueueKeys;
    use waitingroom::Channel;

    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    for _ in 0..3 {
        assert!(app.issue("default").await.status().is_success());
    }
    assert_eq!(app.call_next_as_staff("default", "1").await.status(), 200);
    assert_eq!(app.call_next_as_staff("default", "1").await.status(), 200);
    let today = crate::common::test_calendar().now().day;
    // a day kept a week ago (as the day's close keeps it): 10 issued at 10:00, waits 4 and 8 min
    let week_ago = today.checked_sub(jiff::Span::new().days(7)).unwrap();
    let mut kept = DayFigures::default();
    kept.hours.insert(
        10,
        HourFigures {
            issued: [(Channel::Kiosk, 6), (Channel::Remote, 4)].into(),
            served: 9,
            no_shows: 1,
            waits: [(4, 5), (8, 5)].into(),
            ..HourFigures::default()
        },
    );
    let mut conn = redis.connection().await;
    let _: () = conn
        .hset(
            QueueKeys::of(&waitingroom::QueueId::default_queue()).history(&week_ago.to_string()),
            week_ago.to_string(),
            serde_json::to_string(&kept).unwrap(),
        )
        .await
        .unwrap();

    let staff = client();
    assert!(app.sign_in(&staff, ADMIN_PASSWORD).await.is_success());
    let today_s = today.to_string();
    let (status, screen) = app
        .post_form(
            &staff,
            "/api/admin/history",
            &[("queue", "default"), ("view", "week"), ("date", &today_s)],
        )
        .await;
    assert_eq!(status, 200, "{screen}");
    assert_eq!(screen["date"], today_s.as_str());
    assert_eq!(screen["view"], "week");
    let period = screen["period"].as_array().unwrap();
    assert_eq!(period.len(), 7);
    assert_eq!(period[0][1], 1, "the week starts on Monday");
    assert!(period.iter().any(|p| p[0] == today_s.as_str()));
    let same: Vec<&str> = screen["same_weekdays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(same.len(), 8);
    assert_eq!(same[1], week_ago.to_string());
    let days = screen["history"]["days"].as_array().unwrap();
    let day = |date: &str| days.iter().find(|d| d["date"] == date).unwrap();
    assert_eq!(day(&today_s)["live"], true);
    assert_eq!(day(&today_s)["total"]["issued"], 3);
    assert_eq!(day(&today_s)["total"]["served"], 1);
    let before = day(&week_ago.to_string());
    assert_eq!(before["total"]["issued"], 10);
    assert_eq!(before["total"]["wait_p50_min"], 4);
    assert_eq!(before["total"]["wait_p90_min"], 8);
    assert_eq!(screen["previous"], week_ago.to_string());

    // the month by default, today by default
    let (status, screen) = app
        .post_form(&staff, "/api/admin/history", &[("queue", "default")])
        .await;
    assert_eq!(status, 200, "{screen}");
    assert_eq!(screen["view"], "month");
    assert_eq!(screen["date"], today_s.as_str());
    assert_eq!(screen["map_from"], today.first_of_month().to_string());

    let keys_before: Vec<String> = conn.keys("*").await.unwrap();
    for (client, form, status, error) in [
        (
            client(),
            vec![("queue", "default"), ("date", today_s.as_str())],
            401,
            "not_signed_in",
        ),
        (
            staff.clone(),
            vec![("queue", "default"), ("date", "2026-13-01")],
            400,
            "bad_request",
        ),
        (
            staff.clone(),
            vec![("queue", "default"), ("view", "year")],
            400,
            "bad_request",
        ),
        (
            staff.clone(),
            vec![
                ("queue", "default"),
                ("view", "week"),
                ("date", "9999-12-31"),
            ],
            400,
            "bad_request",
        ),
        (
            staff.clone(),
            vec![("queue", "nowhere")],
            404,
            "unknown_queue",
        ),
    ] {
        let (got, body) = app.post_form(&client, "/api/admin/history", &form).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(error)),
            "{form:?}: {body}"
        );
    }
    let keys_after: Vec<String> = conn.keys("*").await.unwrap();
    let (mut a, mut b) = (keys_before, keys_after);
    a.sort();
    b.sort();
    assert_eq!(a, b, "a refusal changes nothing");
}
