//! The owner's export: the history as JSON and CSV, today's tickets as CSV; only for the staff,
//! and a range that is not one is refused precisely, changing nothing.

use crate::common::{client, spawn_app, TestApp, TestRedis, STAFF_API_TOKEN};
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
