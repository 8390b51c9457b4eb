//! API tokens made in the console: shown once and kept as a hash, each allowed only its scopes,
//! its last use noted, refused once revoked; `STAFF_API_TOKEN` still an admin's.

use crate::common::{client, spawn_app, TestApp, TestRedis, ADMIN_PASSWORD, STAFF_API_TOKEN};
use serde_json::Value;

/// A token named `name` with `scopes`, made by the signed-in `admin`.
async fn token(app: &TestApp, admin: &reqwest::Client, name: &str, scopes: &[&str]) -> String {
    let mut form = vec![("name", name)];
    form.extend(scopes.iter().map(|s| (*s, "on")));
    let (status, made) = app
        .post_form(admin, "/api/admin/create_api_token", &form)
        .await;
    assert_eq!(status, 200, "{made}");
    made["token"].as_str().unwrap().to_owned()
}

async fn call_next(app: &TestApp, bearer: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/queues/default/call-next"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str, bearer: &str) -> u16 {
    reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_token_may_only_its_scopes_and_nothing_once_revoked() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    for _ in 0..3 {
        app.issue("default").await;
    }
    let owner = client();
    assert!(app.sign_in(&owner, ADMIN_PASSWORD).await.is_success());
    let caller = token(&app, &owner, "呼び出しボタン", &["act"]).await;
    let reports = token(&app, &owner, "集計", &["read", "export"]).await;
    assert!(
        caller.starts_with("wrt_") && caller.len() == 4 + 32 + 1 + 32,
        "{caller}"
    );

    // act: calls; no history, no CSV, no metrics
    let (status, called) = call_next(&app, &caller).await;
    assert_eq!(status, 200, "{called}");
    let csv = "/api/v1/queues/default/tickets.csv";
    let history = "/api/v1/queues/default/history?from=2026-11-01&to=2026-11-30";
    assert_eq!(get(&app, csv, &caller).await, 403);
    assert_eq!(get(&app, history, &caller).await, 403);
    assert_eq!(get(&app, "/metrics", &caller).await, 403);
    // read and export: reads and downloads; calls nobody
    assert_eq!(get(&app, csv, &reports).await, 200);
    assert_eq!(get(&app, history, &reports).await, 200);
    assert_eq!(get(&app, "/metrics", &reports).await, 200);
    let (status, body) = call_next(&app, &reports).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("missing_scope"))
    );
    assert!(
        body["message"].as_str().unwrap().contains("`act`"),
        "the reason names the scope: {body}"
    );
    // no token reads the audit trail
    assert_eq!(get(&app, "/api/v1/audit.csv", &reports).await, 403);
    // a wrong secret is refused like no token of ours
    let forged = format!(
        "{}{}",
        &caller[..caller.len() - 1],
        if caller.ends_with('0') { '1' } else { '0' }
    );
    assert_eq!(call_next(&app, &forged).await.0, 401);

    // the list shows their scopes and use, never the secret; the call is in the audit trail
    let (_, list) = app.post_form(&owner, "/api/admin/api_tokens", &[]).await;
    let tokens = list["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0]["scopes"], serde_json::json!(["act"]));
    assert_eq!(tokens[0]["created_by"], "owner");
    assert!(tokens[0]["last_used_at"].is_u64(), "{list}");
    let secret = caller.split_once('.').unwrap().1;
    let mut conn = redis.connection().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    for key in keys.iter().filter(|k| k.contains("tokens")) {
        let dump: Value = serde_json::to_value(
            redis::cmd("HGETALL")
                .arg(key)
                .query_async::<std::collections::HashMap<String, String>>(&mut conn)
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(
            !dump.to_string().contains(secret),
            "the secret is kept only hashed"
        );
    }
    let trail: Vec<String> = redis::cmd("LRANGE")
        .arg("wr:{audit}:log")
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.contains("\"call_next\"") && e.contains("呼び出しボタン")),
        "the token's call is written with its name"
    );

    // revoked: refused at once; the legacy token still an admin's
    let id = tokens[0]["id"].as_str().unwrap();
    let (status, _) = app
        .post_form(&owner, "/api/admin/revoke_api_token", &[("id", id)])
        .await;
    assert_eq!(status, 200);
    assert_eq!(call_next(&app, &caller).await.0, 401);
    let (status, body) = app
        .post_form(&owner, "/api/admin/revoke_api_token", &[("id", id)])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("token_not_found"))
    );
    assert_eq!(call_next(&app, STAFF_API_TOKEN).await.0, 200);
    assert_eq!(get(&app, "/api/v1/audit.csv", STAFF_API_TOKEN).await, 200);
}
