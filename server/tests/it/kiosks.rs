//! Kiosks are devices staff set up: nobody else issues at the kiosk, a kiosk holds no staff
//! session, issues within its own limit, and ends when revoked.

use crate::common::{client, config_with, spawn_app, spawn_app_with, TestRedis, ADMIN_PASSWORD};
use serde_json::{json, Value};

const KIOSK_ID: &str = "0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn a_browser_that_is_not_a_kiosk_cannot_issue_and_is_shown_how_to_set_one_up() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let before = app.get_json("/api/v1/queues/default").await;
    let stranger = client();
    let forged = |cookie: String| {
        app.post(&stranger, "/api/kiosk/issue_ticket")
            .header("cookie", cookie)
            .form(&[("queue", "default")])
    };
    // a signed-in staff member is no kiosk either
    let staff = client();
    app.sign_in(&staff, ADMIN_PASSWORD).await;
    let (status, body) = app
        .post_form(&staff, "/api/kiosk/issue_ticket", &[("queue", "default")])
        .await;
    assert_eq!((status, body), (403, json!({"error": "not_a_kiosk"})));
    let real = app.kiosk().await;
    let _ = real; // a real kiosk exists: guessing its id is not enough
    for cookie in [
        String::new(),
        "wr_kiosk=garbage".to_owned(),
        format!("wr_kiosk={KIOSK_ID}.{KIOSK_ID}"),
    ] {
        let response = forged(cookie.clone()).send().await.unwrap();
        assert_eq!(response.status(), 403, "{cookie}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({"error": "not_a_kiosk"}));
    }
    let kiosks = app.get_json("/api/v1/queues/default").await;
    assert_eq!(kiosks, before, "nothing issued");

    let page = stranger.get(app.url("/kiosk")).send().await.unwrap();
    assert_eq!(page.status(), 403);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-testid=\"not-a-kiosk\""), "{html}");
    assert!(html.contains("この端末を受付機にする"), "how to set one up");
    assert!(
        html.contains("href=\"/join\""),
        "where customers go instead"
    );
}

#[tokio::test]
async fn staff_make_a_device_a_kiosk_that_issues_holds_no_staff_session_and_can_be_revoked() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let device = app.new_kiosk("入口").await;
    // the device left the console
    let (status, _) = app.post_form(&device, "/api/admin/console", &[]).await;
    assert_eq!(status, 401, "no staff session on a kiosk");
    let page = device.get(app.url("/kiosk")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let (status, slip) = app
        .post_form(&device, "/api/kiosk/issue_ticket", &[("queue", "default")])
        .await;
    assert_eq!(status, 200);
    assert_eq!(slip["ticket"]["number"], 1);

    let tablet = client();
    app.sign_in(&tablet, ADMIN_PASSWORD).await;
    let (status, list) = app.post_form(&tablet, "/api/admin/kiosks", &[]).await;
    assert_eq!(status, 200);
    let kiosks = list["kiosks"].as_array().unwrap();
    assert_eq!(kiosks.len(), 1);
    assert_eq!(kiosks[0]["name"], "入口");
    assert!(
        kiosks[0]["last_seen_at"].as_u64().unwrap() >= kiosks[0]["created_at"].as_u64().unwrap()
    );
    let id = kiosks[0]["id"].as_str().unwrap().to_owned();

    // a stranger cannot list, make or revoke kiosks
    let stranger = client();
    for (path, form) in [
        ("/api/admin/kiosks", vec![]),
        ("/api/admin/make_kiosk", vec![("name", "偽物")]),
        ("/api/admin/revoke_kiosk", vec![("id", id.as_str())]),
    ] {
        let (status, _) = app.post_form(&stranger, path, &form).await;
        assert_eq!(status, 401, "{path}");
    }

    let (status, _) = app
        .post_form(&tablet, "/api/admin/revoke_kiosk", &[("id", &id)])
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .post_form(&device, "/api/kiosk/issue_ticket", &[("queue", "default")])
        .await;
    assert_eq!(
        (status, body),
        (403, json!({"error": "not_a_kiosk"})),
        "revoked"
    );
    let (_, list) = app.post_form(&tablet, "/api/admin/kiosks", &[]).await;
    assert_eq!(list["kiosks"], json!([]));
    let (status, body) = app
        .post_form(&tablet, "/api/admin/revoke_kiosk", &[("id", &id)])
        .await;
    assert_eq!((status, body), (404, json!({"error": "kiosk_not_found"})));
    assert_eq!(
        app.get_json("/api/v1/queues/default").await["last_number"],
        1
    );
}

#[tokio::test]
async fn a_kiosk_name_must_be_short_plain_text() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let tablet = client();
    app.sign_in(&tablet, ADMIN_PASSWORD).await;
    for name in ["", "   ", &"長".repeat(41), "a\u{7}b"] {
        let (status, body) = app
            .post_form(&tablet, "/api/admin/make_kiosk", &[("name", name)])
            .await;
        assert_eq!(
            (status, body),
            (422, json!({"error": "bad_kiosk_name"})),
            "{name:?}"
        );
    }
    let (_, list) = app.post_form(&tablet, "/api/admin/kiosks", &[]).await;
    assert_eq!(list["kiosks"], json!([]), "no kiosk made");
    let (status, _) = app.post_form(&tablet, "/api/admin/console", &[]).await;
    assert_eq!(status, 200, "the tablet is still signed in");
}

#[tokio::test]
async fn a_kiosk_issues_at_most_its_limit_a_minute_and_another_kiosk_is_not_held_up() {
    let redis = TestRedis::start();
    let config = config_with(&redis.url(), &[("KIOSK_MAX_PER_MINUTE", "3")]);
    let app = spawn_app_with(config).await;
    let one = app.new_kiosk("一号機").await;
    let issue = |device: &reqwest::Client| {
        let request = app
            .post(device, "/api/kiosk/issue_ticket")
            .form(&[("queue", "default")]);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    for _ in 0..3 {
        assert_eq!(issue(&one).await, 200);
    }
    let refused = app
        .post(&one, "/api/kiosk/issue_ticket")
        .form(&[("queue", "default")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        json!({"error": "limit_kiosk", "max": 3})
    );
    assert_eq!(
        app.get_json("/api/v1/queues/default").await["last_number"],
        3
    );
    let two = app.new_kiosk("二号機").await;
    assert_eq!(issue(&two).await, 200, "each kiosk has its own limit");
}
