//! The limits of remote takes (`/join` and the anonymous API), tried as an attacker would: new
//! cookies, parallel posts, several queues. Each refusal is asserted, and that nothing changed.

use crate::common::{client, client_at, config_with, spawn_app_with, TestApp, TestRedis};
use futures::future::join_all;
use redis::AsyncCommands;
use serde_json::{json, Value};

async fn take(app: &TestApp, phone: &reqwest::Client, queue: &str) -> (u16, Value) {
    app.post_form(phone, "/api/join/take", &[("queue", queue)])
        .await
}

fn taken(status: u16) -> bool {
    (200..400).contains(&status)
}

async fn session_keys(conn: &mut waitingroom::store::Connection) -> usize {
    let keys: Vec<String> = conn.keys("wr:session:*").await.unwrap();
    keys.len()
}

#[tokio::test]
async fn a_cookieless_flood_of_join_posts_is_refused_per_address_and_creates_no_sessions() {
    let redis = TestRedis::start();
    let config = config_with(
        &redis.url(),
        &[
            ("ADDRESS_MAX_PER_HOUR", "4"),
            ("REMOTE_MAX_PER_HOUR", "100"),
        ],
    );
    let app = spawn_app_with(config).await;
    let mut conn = redis.connection().await;
    // every post from a new cookie jar: a new phone each time, as far as cookies go
    for _ in 0..4 {
        let (status, body) = take(&app, &client_at("127.0.0.2"), "default").await;
        assert!(taken(status), "{status} {body}");
    }
    let sessions = session_keys(&mut conn).await;
    let window: i64 = conn.ttl("wr:{limits}:address:127.0.0.2").await.unwrap();
    assert!(
        window > 3500 && window <= 3600,
        "an hour's window: {window}"
    );
    let before = app.get_json("/api/v1/queues/default").await;

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for _ in 0..10 {
        let (status, body) = take(&app, &client_at("127.0.0.2"), "default").await;
        assert_eq!(status, 429);
        assert_eq!(body, json!({"error": "limit_address", "max": 4}));
    }
    assert_eq!(
        app.get_json("/api/v1/queues/default").await,
        before,
        "no ticket"
    );
    assert_eq!(session_keys(&mut conn).await, sessions, "no session made");
    let after: i64 = conn.ttl("wr:{limits}:address:127.0.0.2").await.unwrap();
    assert!(
        after < window,
        "refusals do not extend the window ({window} → {after})"
    );
    let refused: u32 = conn
        .hget("wr:{limits}:address:127.0.0.2", "refused")
        .await
        .unwrap();
    assert_eq!(refused, 10, "refusals are counted");

    let (status, _) = take(&app, &client_at("127.0.0.3"), "default").await;
    assert!(taken(status), "another address is not affected: {status}");
}

#[tokio::test]
async fn parallel_posts_of_one_phone_cannot_slip_under_its_limits_together() {
    let redis = TestRedis::start();
    let config = config_with(&redis.url(), &[("REMOTE_MAX_ACTIVE", "2")]);
    let app = spawn_app_with(config).await;
    let phone = client_at("127.0.0.2");
    let (status, _) = take(&app, &phone, "default").await;
    assert!(taken(status));

    let statuses: Vec<u16> = join_all((0..10).map(|_| take(&app, &phone, "default")))
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| taken(**s)).count(),
        1,
        "one more, to the limit of 2 held: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| taken(*s) || *s == 429),
        "{statuses:?}"
    );
    let snapshot = app.get_json("/api/v1/queues/default").await;
    assert_eq!(snapshot["last_number"], 2);

    // a finished ticket no longer counts: the phone may take one again
    let staff = client();
    app.sign_in(&staff, crate::common::ADMIN_PASSWORD).await;
    let (status, _) = app
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
    assert_eq!(status, 200);
    let (status, body) = take(&app, &phone, "default").await;
    assert!(taken(status), "{status} {body}");
    let (status, body) = take(&app, &phone, "default").await;
    assert_eq!(
        (status, body),
        (429, json!({"error": "limit_active", "max": 2}))
    );
}

#[tokio::test]
async fn the_per_phone_hourly_limit_holds_across_queues() {
    let redis = TestRedis::start();
    let config = config_with(
        &redis.url(),
        &[
            ("QUEUES", "a,b"),
            ("REMOTE_MAX_PER_HOUR", "2"),
            ("REMOTE_MAX_ACTIVE", "5"),
        ],
    );
    let app = spawn_app_with(config).await;
    let phone = client_at("127.0.0.2");
    assert!(taken(take(&app, &phone, "a").await.0));
    assert!(taken(take(&app, &phone, "b").await.0));
    let (status, body) = take(&app, &phone, "b").await;
    assert_eq!(
        (status, body),
        (429, json!({"error": "limit_per_hour", "max": 2}))
    );
    assert_eq!(app.get_json("/api/v1/queues/b").await["last_number"], 1);
}

#[tokio::test]
async fn the_anonymous_api_limit_covers_every_queue_and_join_together() {
    let redis = TestRedis::start();
    let config = config_with(
        &redis.url(),
        &[("QUEUES", "a,b"), ("ADDRESS_MAX_PER_HOUR", "3")],
    );
    let app = spawn_app_with(config).await;
    let api = client_at("127.0.0.4");
    let issue = |queue: &'static str| {
        let request = api.post(app.url(&format!("/api/v1/queues/{queue}/tickets")));
        async move { request.send().await.unwrap() }
    };
    for queue in ["a", "b", "a"] {
        assert_eq!(issue(queue).await.status(), 201);
    }
    let refused = issue("b").await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "limit_address"
    );
    let (status, body) = take(&app, &client_at("127.0.0.4"), "b").await;
    assert_eq!(
        (status, body),
        (429, json!({"error": "limit_address", "max": 3})),
        "/join from the same address shares the limit"
    );
    assert_eq!(app.get_json("/api/v1/queues/b").await["last_number"], 1);
    assert_eq!(
        app.issue_as_staff("b").await.status(),
        201,
        "the staff token is not limited"
    );
    let other = client_at("127.0.0.5")
        .post(app.url("/api/v1/queues/b/tickets"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 201, "another address is not affected");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_limit_is_per_forwarded_client() {
    let redis = TestRedis::start();
    let config = config_with(
        &redis.url(),
        &[
            ("ADDRESS_MAX_PER_HOUR", "1"),
            ("TRUSTED_PROXIES", "127.0.0.1"),
        ],
    );
    let app = spawn_app_with(config).await;
    let issue = |from: &'static str, forwarded: &'static str| {
        let request = client_at(from)
            .post(app.url("/api/v1/queues/default/tickets"))
            .header("x-forwarded-for", forwarded);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(issue("127.0.0.1", "203.0.113.7").await, 201);
    assert_eq!(issue("127.0.0.1", "203.0.113.7").await, 429);
    assert_eq!(
        issue("127.0.0.1", "203.0.113.8").await,
        201,
        "another client"
    );
    // an untrusted peer cannot pick its address with the header
    assert_eq!(issue("127.0.0.6", "203.0.113.9").await, 201);
    assert_eq!(issue("127.0.0.6", "203.0.113.10").await, 429);
}

#[tokio::test]
async fn one_customers_ipv6_prefix_cannot_walk_its_64s_for_fresh_limits() {
    let redis = TestRedis::start();
    let config = config_with(
        &redis.url(),
        &[
            ("ADDRESS_MAX_PER_HOUR", "2"),
            ("TRUSTED_PROXIES", "127.0.0.1"),
        ],
    );
    let app = spawn_app_with(config).await;
    let issue = |forwarded: String| {
        let request = client()
            .post(app.url("/api/v1/queues/default/tickets"))
            .header("x-forwarded-for", forwarded);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // a new /64 of one /56 each time: the /56 allows twice a /64's limit
    let mut statuses = Vec::new();
    for i in 0..6 {
        statuses.push(issue(format!("2001:db8:a:{i:x}::1")).await);
    }
    assert_eq!(statuses, [201, 201, 201, 201, 429, 429], "one /56");
    // other /56s of the same /48: the /48 allows four times a /64's limit
    let mut statuses = Vec::new();
    for i in 1..8 {
        statuses.push(issue(format!("2001:db8:a:{i:x}00::1")).await);
    }
    assert_eq!(statuses, [201, 201, 201, 201, 429, 429, 429], "one /48");
    let snapshot = app.get_json("/api/v1/queues/default").await;
    assert_eq!(snapshot["last_number"], 8, "no number for a refused take");
    // another customer's /48 is not held up
    assert_eq!(issue("2001:db8:b::1".to_owned()).await, 201);
}
