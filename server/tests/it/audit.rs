//! The audit trail: sign-ins (and failed ones), staff actions, settings, accounts and downloads
//! are written with who, when and from where; admins read it and download it as CSV; an entry
//! edited or removed in Redis is reported by `server audit verify` (run as a shop runs it) and by
//! the console's page.

use crate::common::{
    client_at, day_resets_at, server_binary, spawn_app, TestApp, TestRedis, ADMIN_PASSWORD,
};
use serde_json::Value;

/// `server audit verify` against `redis`: its exit code and what it printed.
async fn verify(redis: &TestRedis) -> (i32, String) {
    let out = tokio::process::Command::new(server_binary())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("REDIS_URL", redis.url())
        .env("DAY_RESETS_AT", day_resets_at())
        .args(["audit", "verify"])
        .output()
        .await
        .expect("the server binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The trail as kept in Redis, oldest first.
async fn kept(redis: &TestRedis) -> Vec<Value> {
    let mut conn = redis.connection().await;
    let raw: Vec<String> = redis::cmd("LRANGE")
        .arg("wr:{audit}:log")
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap();
    raw.iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect()
}

async fn sign_in_as(app: &TestApp, client: &reqwest::Client, login: &str, password: &str) -> u16 {
    app.post_form(
        client,
        "/api/admin/login",
        &[("login", login), ("password", password)],
    )
    .await
    .0
}

#[tokio::test]
async fn who_did_what_is_written_chained_and_an_edit_or_removal_is_found() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let issued: Value = app.issue("default").await.json().await.unwrap();
    // what the test app's own set-up wrote (its kiosk)
    let before = kept(&redis).await.len();
    let owner = client_at("127.0.0.2");
    assert!(app.sign_in(&owner, ADMIN_PASSWORD).await.is_success());

    // the owner adds a staff account; it signs in from its tablet, changes its password, calls
    let (_, made) = app
        .post_form(
            &owner,
            "/api/admin/create_account",
            &[("login", "sato"), ("name", "佐藤"), ("role", "staff")],
        )
        .await;
    let temporary = made["password"].as_str().unwrap().to_owned();
    let tablet = client_at("127.0.0.3");
    assert!(sign_in_as(&app, &tablet, "sato", &temporary).await < 400);
    let chosen = "sato-chosen-password";
    let (status, _) = app
        .post_form(
            &tablet,
            "/api/admin/change_password",
            &[("current", &temporary), ("new", chosen), ("again", chosen)],
        )
        .await;
    assert!(status < 400);
    let (status, _) = app
        .post_form(
            &tablet,
            "/api/admin/call_next",
            &[("queue", "default"), ("counter", "1")],
        )
        .await;
    assert_eq!(status, 200);
    // a wrong password from elsewhere; a setting changed by the owner
    assert_eq!(
        sign_in_as(&app, &client_at("127.0.0.4"), "sato", "guess-guess").await,
        401
    );
    let (status, _) = app
        .post_form(
            &owner,
            "/api/admin/autodial",
            &[("queue", "default"), ("places", "2")],
        )
        .await;
    assert!(status < 400);
    // refused: written nowhere
    let (status, _) = app
        .post_form(
            &tablet,
            "/api/admin/autodial",
            &[("queue", "default"), ("places", "5")],
        )
        .await;
    assert_eq!(status, 403);

    let all = kept(&redis).await;
    let trail = &all[before..];
    let seen: Vec<(String, String, String)> = trail
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["who"]["name"].as_str().unwrap().to_owned(),
                e["address"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("sign_in", "owner", "127.0.0.2"),
        ("account_created", "owner", "127.0.0.2"),
        ("sign_in", "佐藤", "127.0.0.3"),
        ("password_changed", "佐藤", "127.0.0.3"),
        ("call_next", "佐藤", "127.0.0.3"),
        ("sign_in_failed", "sato", "127.0.0.4"),
        ("setting_changed", "owner", "127.0.0.2"),
    ];
    assert_eq!(
        seen,
        expected
            .iter()
            .map(|(a, w, ip)| (a.to_string(), w.to_string(), ip.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        trail[4]["target"],
        issued["ticket"]["number"].to_string(),
        "the ticket called"
    );
    assert_eq!(trail[4]["who"]["role"], "staff");
    assert_eq!(
        (
            trail[6]["detail"].as_str(),
            trail[6]["before"].as_str(),
            trail[6]["after"].as_str()
        ),
        (Some("autodial_places"), Some("3"), Some("2")),
        "the setting before (AUTODIAL_PLACES's 3) and after"
    );
    assert_eq!(trail[1]["target"], "sato");
    let token = issued["ticket"]["token"].as_str().unwrap();
    assert!(
        !serde_json::to_string(&all).unwrap().contains(token),
        "no ticket token in the trail"
    );
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1);
        let prev = if i == 0 {
            ""
        } else {
            all[i - 1]["hash"].as_str().unwrap()
        };
        assert_eq!(e["prev"], prev, "entry {} links to the one before", i + 1);
    }

    // admins read it (and the download is written too); staff may not
    let response = owner
        .get(app.url("/api/v1/audit.csv?action=call_next"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csv = response.text().await.unwrap();
    assert!(
        csv.starts_with("\u{feff}番号,日時,アカウント,名前,権限"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 2, "the header and the one call: {csv}");
    assert!(csv.contains("佐藤") && csv.contains("\r\n"));
    let response = tablet
        .get(app.url("/api/v1/audit.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let (status, page) = app.post_form(&owner, "/api/admin/audit", &[]).await;
    assert_eq!(status, 200);
    let count = before + 8;
    assert_eq!(page["chain"]["Ok"], count, "{page}");

    // the chain holds; an entry edited, then one removed, is found
    let (code, out) = verify(&redis).await;
    assert_eq!(
        (code, out.trim().to_owned()),
        (
            0,
            format!("the audit trail holds: {count} entries, each chained to the one before")
        )
    );
    let mut conn = redis.connection().await;
    let mut edited = trail[4].clone();
    edited["who"]["name"] = "誰か".into();
    let _: () = redis::cmd("LSET")
        .arg("wr:{audit}:log")
        .arg(before + 4)
        .arg(edited.to_string())
        .query_async(&mut conn)
        .await
        .unwrap();
    let (code, out) = verify(&redis).await;
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("breaks at entry {}", before + 5)),
        "{out}"
    );
    let (_, page) = app.post_form(&owner, "/api/admin/audit", &[]).await;
    assert_eq!(
        page["chain"]["Err"][0],
        before + 5,
        "the console's page says so too"
    );

    let _: () = redis::cmd("LSET")
        .arg("wr:{audit}:log")
        .arg(before + 4)
        .arg(trail[4].to_string())
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(verify(&redis).await.0, 0, "put back, it holds again");
    // removed as it is stored (its exact text)
    let stored: String = redis::cmd("LINDEX")
        .arg("wr:{audit}:log")
        .arg(before + 2)
        .query_async(&mut conn)
        .await
        .unwrap();
    let removed: u64 = redis::cmd("LREM")
        .arg("wr:{audit}:log")
        .arg(1)
        .arg(stored)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    let (code, out) = verify(&redis).await;
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("breaks at entry {}", before + 3)),
        "{out}"
    );
}
