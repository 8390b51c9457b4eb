//! The staff console's server functions and the staff API: sessions, concurrency, conflicts.

use crate::common::{
    client, config_with, spawn_app, spawn_app_with, text_of, TestRedis, ADMIN_PASSWORD,
    STAFF_API_TOKEN,
};
use serde_json::Value;

async fn issue_n(app: &crate::common::TestApp, n: usize) -> Vec<Value> {
    let mut slips = Vec::new();
    for _ in 0..n {
        slips.push(app.issue("default").await.json::<Value>().await.unwrap());
    }
    slips
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_actions_need_a_session() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    issue_n(&app, 1).await;

    let stranger = client();
    let (status, body) = app
        .post_form(
            &stranger,
            "/api/admin/call_next",
            &[("queue", "default"), ("counter", "1")],
        )
        .await;
    assert_eq!(
        (status, body),
        (401, serde_json::json!({"error": "not_signed_in"}))
    );

    let (status, body) = app
        .post_form(
            &stranger,
            "/api/admin/login",
            &[("password", "wrong password")],
        )
        .await;
    assert_eq!(
        (status, body),
        (401, serde_json::json!({"error": "wrong_password"}))
    );
    let (status, _) = app
        .post_form(
            &stranger,
            "/api/admin/call_next",
            &[("queue", "default"), ("counter", "1")],
        )
        .await;
    assert_eq!(status, 401, "still not signed in");

    // nothing was called
    let snapshot = app.get_json("/api/v1/queues/default").await;
    assert_eq!(snapshot["waiting"], serde_json::json!([1]));

    // the console page sends strangers to the login
    let page = stranger.get(app.url("/admin")).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("data-testid=\"call-next\""),
        "no console without a session"
    );

    let staff = client();
    assert!(app.sign_in(&staff, ADMIN_PASSWORD).await.is_success());
    let (status, number) = app
        .post_form(
            &staff,
            "/api/admin/call_next",
            &[("queue", "default"), ("counter", "1")],
        )
        .await;
    assert_eq!((status, number), (200, serde_json::json!(1)));

    // after signing out, the session no longer acts
    let (status, _) = app.post_form(&staff, "/api/admin/logout", &[]).await;
    assert!(status < 400);
    let (_, body) = app
        .post_form(
            &staff,
            "/api/admin/call_next",
            &[("queue", "default"), ("counter", "1")],
        )
        .await;
    assert_eq!(body, serde_json::json!({"error": "not_signed_in"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tablets_calling_at_once_never_call_the_same_ticket() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    issue_n(&app, 40).await;
    let (one, two) = (client(), client());
    assert!(app.sign_in(&one, ADMIN_PASSWORD).await.is_success());
    assert!(app.sign_in(&two, ADMIN_PASSWORD).await.is_success());

    let call = |c: reqwest::Client, counter: &'static str| {
        let app = &app;
        async move {
            let mut called = Vec::new();
            loop {
                let (status, body) = app
                    .post_form(
                        &c,
                        "/api/admin/call_next",
                        &[("queue", "default"), ("counter", counter)],
                    )
                    .await;
                if status != 200 {
                    assert_eq!(
                        (status, body),
                        (409, serde_json::json!({"error": "nobody_waiting"}))
                    );
                    return called;
                }
                called.push(body.as_u64().unwrap());
            }
        }
    };
    let (a, b) = tokio::join!(call(one, "1"), call(two, "2"));
    assert!(
        !a.is_empty() && !b.is_empty(),
        "both tablets called: {a:?} {b:?}"
    );
    let mut all: Vec<u64> = a.iter().chain(&b).copied().collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=40).collect::<Vec<u64>>(),
        "each ticket called exactly once"
    );
    assert!(
        a.windows(2).all(|w| w[0] < w[1]) && b.windows(2).all(|w| w[0] < w[1]),
        "in line order"
    );
}

#[tokio::test]
async fn an_action_on_a_ticket_that_changed_meanwhile_is_refused_and_changes_nothing() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    issue_n(&app, 2).await;
    let staff = client();
    assert!(app.sign_in(&staff, ADMIN_PASSWORD).await.is_success());

    // both tablets see ticket 1 waiting at revision 1
    let (status, _) = app
        .post_form(
            &staff,
            "/api/admin/act",
            &[
                ("queue", "default"),
                ("number", "1"),
                ("rev", "1"),
                ("action", "call"),
                ("counter", "1"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    // the other tablet, still showing revision 1, tries to cancel it
    let (status, body) = app
        .post_form(
            &staff,
            "/api/admin/act",
            &[
                ("queue", "default"),
                ("number", "1"),
                ("rev", "1"),
                ("action", "cancel"),
            ],
        )
        .await;
    assert_eq!(
        (status, body),
        (
            409,
            serde_json::json!({"error": "ticket_changed", "state": "called"})
        )
    );
    // an action that does not fit the state is refused too
    let (_, body) = app
        .post_form(
            &staff,
            "/api/admin/act",
            &[
                ("queue", "default"),
                ("number", "2"),
                ("rev", "1"),
                ("action", "done"),
            ],
        )
        .await;
    assert_eq!(
        body,
        serde_json::json!({"error": "ticket_changed", "state": "waiting"})
    );

    let snapshot = app.get_json("/api/v1/queues/default").await;
    assert_eq!(
        snapshot["now_serving"][0]["number"], 1,
        "ticket 1 is still called"
    );
    assert_eq!(snapshot["waiting"], serde_json::json!([2]));

    // done, no-show, back into the line, recall
    let act = |number: &'static str, rev: &'static str, action: &'static str| {
        let (app, staff) = (&app, &staff);
        async move {
            app.post_form(
                staff,
                "/api/admin/act",
                &[
                    ("queue", "default"),
                    ("number", number),
                    ("rev", rev),
                    ("action", action),
                    ("counter", "2"),
                ],
            )
            .await
        }
    };
    assert_eq!(act("1", "2", "recall").await.0, 200);
    assert_eq!(act("1", "3", "no_show").await.0, 200);
    assert_eq!(act("1", "4", "requeue").await.0, 200);
    let snapshot = app.get_json("/api/v1/queues/default").await;
    assert_eq!(
        snapshot["waiting"],
        serde_json::json!([1, 2]),
        "back at the front of the line"
    );
    assert_eq!(snapshot["now_serving"], serde_json::json!([]));
}

#[tokio::test]
async fn the_ticket_page_shows_only_its_ticket_and_unknown_tokens_are_404() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let slips = issue_n(&app, 2).await;
    let token = slips[1]["ticket"]["token"].as_str().unwrap();

    let page = app
        .http
        .get(app.url(&format!("/t/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert_eq!(
        text_of(&html, "ticket-number").as_deref(),
        Some("2"),
        "its number, server-rendered"
    );
    assert_eq!(text_of(&html, "people-ahead").as_deref(), Some("1人"));
    assert!(
        !html.contains(slips[0]["ticket"]["token"].as_str().unwrap()),
        "no other ticket's token"
    );

    for bad in ["0".repeat(32), "not-a-token".to_owned()] {
        let page = app
            .http
            .get(app.url(&format!("/t/{bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 404, "{bad}");
        assert!(page.text().await.unwrap().contains("ticket-error"));
    }

    // cancel as a plain form post (no WASM): the browser is sent back to the page
    let browser = client();
    let response = browser
        .post(app.url("/api/ticket/cancel"))
        .header("referer", app.url(&format!("/t/{token}")))
        .header("accept", "text/html")
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let html = app.get_text(&format!("/t/{token}")).await;
    assert!(html.contains("data-state=\"cancelled\""), "cancelled");
    let snapshot = app.get_json("/api/v1/queues/default").await;
    assert_eq!(snapshot["waiting"], serde_json::json!([1]));
}

#[tokio::test]
async fn the_staff_api_calls_next_with_a_token_only() {
    let redis = TestRedis::start();
    let config = config_with(&redis.url(), &[("ADDRESS_MAX_PER_HOUR", "5")]);
    let app = spawn_app_with(config).await;
    let post = |auth: Option<&str>, body: &'static str| {
        let mut request = app
            .http
            .post(app.url("/api/v1/queues/default/call-next"))
            .body(body)
            .header("content-type", "application/json");
        if let Some(token) = auth {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let response = post(None, "").await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "unauthorized"
    );
    assert_eq!(
        post(Some("wrong-token-wrong-token"), "")
            .await
            .unwrap()
            .status(),
        401
    );

    let nobody = post(Some(STAFF_API_TOKEN), "").await.unwrap();
    assert_eq!(nobody.status(), 409);
    assert_eq!(
        nobody.json::<Value>().await.unwrap()["error"],
        "nobody_waiting"
    );

    // issue through the API: anonymous is limited per address, the staff token is not
    for _ in 0..5 {
        let r = app
            .http
            .post(app.url("/api/v1/queues/default/tickets"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let limited = app
        .http
        .post(app.url("/api/v1/queues/default/tickets"))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(
        limited.json::<Value>().await.unwrap()["error"],
        "limit_address"
    );
    let staff = app.issue_as_staff("default").await;
    assert_eq!(staff.status(), 201);
    let ticket: Value = staff.json().await.unwrap();
    assert_eq!(ticket["number"], 6);
    assert_eq!(ticket["people_ahead"], 5);
    assert!(ticket["url"]
        .as_str()
        .unwrap()
        .ends_with(ticket["token"].as_str().unwrap()));

    let called = post(Some(STAFF_API_TOKEN), r#"{"counter": "2"}"#)
        .await
        .unwrap();
    assert_eq!(called.status(), 200);
    let called: Value = called.json().await.unwrap();
    assert_eq!(
        (called["number"].as_u64(), called["counter"].as_str()),
        (Some(1), Some("2"))
    );
    assert_eq!(
        post(Some(STAFF_API_TOKEN), r#"{"counter": "9"}"#)
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(
        post(Some(STAFF_API_TOKEN), "{oops").await.unwrap().status(),
        400
    );
}
