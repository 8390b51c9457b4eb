//! `/metrics` for Prometheus (only with the staff token) counts what happened, by queue, route and
//! status; `LOG_FORMAT=json` logs one JSON object per line.

use crate::common::{spawn_app_process, TestRedis, STAFF_API_TOKEN};
use serde_json::Value;

#[tokio::test]
async fn metrics_count_tickets_calls_requests_and_screens_for_staff_only() {
    let redis = TestRedis::start();
    let app = spawn_app_process(&redis, &[("LOG_FORMAT", "json"), ("RUST_LOG", "info")]).await;
    let metrics = |token: Option<&'static str>| {
        let mut request = app.http.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let answer = request.send().await.unwrap();
            (answer.status().as_u16(), answer.text().await.unwrap())
        }
    };
    assert_eq!(metrics(None).await.0, 401, "not without the staff token");
    assert_eq!(
        metrics(Some("wrong-token-0123456789abcdef0123456789"))
            .await
            .0,
        401
    );

    for _ in 0..3 {
        assert_eq!(app.issue_as_staff("default").await.status(), 201);
    }
    assert_eq!(app.call_next_as_staff("default", "1").await.status(), 200);
    let (_screen, _) = tokio_tungstenite::connect_async(app.ws_url("/api/v1/queues/default/live"))
        .await
        .unwrap();
    let token_path = app.get_json("/api/v1/queues/default").await;
    assert_eq!(token_path["last_number"], 3);

    let (status, text) = metrics(Some(STAFF_API_TOKEN)).await;
    assert_eq!(status, 200);
    for expected in [
        r#"waitingroom_tickets_issued_total{queue="default",channel="api"} 3"#,
        r#"waitingroom_calls_total{queue="default"} 1"#,
        "waitingroom_live_connections 1",
        r#"waitingroom_http_requests_total{method="POST",route="/api/v1/queues/{queue}/tickets",status="201"} 3"#,
        "waitingroom_redis_script_seconds_count",
        "waitingroom_redis_errors_total 0",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    // a ticket's page is counted under its route, never its token
    let slip: Value = app.issue_as_staff("default").await.json().await.unwrap();
    let token = slip["token"].as_str().unwrap().to_owned();
    let _ = app.get_text(&format!("/t/{token}")).await;
    let (_, text) = metrics(Some(STAFF_API_TOKEN)).await;
    assert!(text.contains(r#"route="/t/{token}""#), "{text}");
    assert!(!text.contains(&token), "no token in the metrics");

    // the logs are JSON, one object a line
    let logs: Vec<Value> = app
        .output()
        .iter()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).expect("a JSON log line"))
        .collect();
    assert!(
        logs.iter().any(|l| l["fields"]["message"] == "served"),
        "request lines among {} JSON lines",
        logs.len()
    );
}

/// An attacker sends requests with invented methods (each a new 2 KB name): each counts as
/// `OTHER`, none becomes a label of its own (each would be kept in memory for good).
#[tokio::test]
async fn invented_methods_count_as_one_label() {
    let redis = TestRedis::start();
    let app = crate::common::spawn_app(&redis).await;
    for i in 0..200 {
        let name = format!("X{i:04}{}", "A".repeat(2000));
        let method = reqwest::Method::from_bytes(name.as_bytes()).unwrap();
        let answer = app
            .http
            .request(method, app.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_client_error(), "{}", answer.status());
    }
    let text = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth(STAFF_API_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("X0000"), "an invented method became a label");
    assert!(
        text.contains(r#"method="OTHER""#),
        "{}",
        &text[..text.len().min(2000)]
    );
    assert!(
        text.len() < 100_000,
        "the metrics stay small: {} bytes",
        text.len()
    );
}
