//! Attacks, tried as an attacker would: each refused request is asserted refused, and nothing
//! changed.

use crate::common::{client, spawn_app, TestRedis, ADMIN_PASSWORD, STAFF_API_TOKEN};
use redis::AsyncCommands;
use serde_json::Value;

#[tokio::test]
async fn forms_posted_from_another_site_are_refused_and_change_nothing() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let staff = client();
    assert!(app.sign_in(&staff, ADMIN_PASSWORD).await.is_success());
    app.issue("default").await;
    let before = app.get_json("/api/v1/queues/default").await;
    let mut conn = redis.connection().await;
    let sessions_before: Vec<String> = conn.keys("wr:session:*").await.unwrap();

    let forged: [(&str, &[(&str, &str)]); 4] = [
        ("/api/admin/reset", &[("queue", "default"), ("confirm", "reset")]),
        ("/api/admin/intake", &[("queue", "default"), ("intake", "paused")]),
        ("/api/kiosk/issue_ticket", &[("queue", "default")]),
        ("/api/join/take", &[("queue", "default")]),
    ];
    for (path, form) in forged {
        for (header, value) in [
            ("origin", "http://evil.example".to_owned()),
            ("origin", format!("http://127.0.0.1:{}", app.addr.port() + 1)),
            ("referer", "http://evil.example/page".to_owned()),
        ] {
            let response = staff
                .post(app.url(path))
                .header(header, value.as_str())
                .form(form)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "{path} with {header}: {value}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body, serde_json::json!({"error": "forbidden"}), "{path}");
        }
        // a request that names no origin at all is no page of ours either
        let bare = staff.post(app.url(path)).form(form).send().await.unwrap();
        assert_eq!(bare.status(), 403, "{path} without Origin or Referer");
    }
    let after = app.get_json("/api/v1/queues/default").await;
    assert_eq!(after, before, "nothing changed");
    let sessions_after: Vec<String> = conn.keys("wr:session:*").await.unwrap();
    assert_eq!(sessions_after.len(), sessions_before.len(), "no session was made");

    // the site's own pages (Origin, or a same-site Referer) still work
    let (status, _) = app
        .post_form(&staff, "/api/admin/intake", &[("queue", "default"), ("intake", "paused")])
        .await;
    assert_eq!(status, 200);
    let referred = staff
        .post(app.url("/api/admin/intake"))
        .header("referer", app.url("/admin"))
        .form(&[("queue", "default"), ("intake", "open")])
        .send()
        .await
        .unwrap();
    assert_eq!(referred.status(), 200);

    // the JSON API: integrations send no Origin, but a foreign page's script is refused
    let foreign = app
        .http
        .post(app.url("/api/v1/queues/default/tickets"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let integration = app
        .http
        .post(app.url("/api/v1/queues/default/tickets"))
        .bearer_auth(STAFF_API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(integration.status(), 201);
}

#[tokio::test]
async fn a_write_redis_refuses_for_memory_is_a_clear_503_and_loses_no_number() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let issue_api = || {
        app.http
            .post(app.url("/api/v1/queues/default/tickets"))
            .bearer_auth(STAFF_API_TOKEN)
            .send()
    };
    assert_eq!(issue_api().await.unwrap().status(), 201);
    let mut conn = redis.connection().await;
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("noeviction")
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg("1").query_async(&mut conn).await.unwrap();

    let refused = issue_api().await.unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "unavailable");
    let kiosk = app.issue("default").await;
    assert_eq!(kiosk.status(), 503);
    assert_eq!(kiosk.json::<Value>().await.unwrap(), serde_json::json!({"error": "unavailable"}));

    let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg("0").query_async(&mut conn).await.unwrap();
    let next: Value = issue_api().await.unwrap().json().await.unwrap();
    assert_eq!(next["number"], 2, "no number was taken by the refused issues");
    let waiting = app.get_json("/api/v1/queues/default").await["waiting"].clone();
    assert_eq!(waiting, serde_json::json!([1, 2]));
}
