//! Attacks, tried as an attacker would: each refused request is asserted refused, and nothing
//! changed.

use crate::common::{
    client, client_at, config_with, memory_kib, spawn_app, spawn_app_process, spawn_app_with,
    TestApp, TestRedis, ADMIN_PASSWORD,
};
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
        (
            "/api/admin/reset",
            &[("queue", "default"), ("confirm", "reset")],
        ),
        (
            "/api/admin/intake",
            &[("queue", "default"), ("intake", "paused")],
        ),
        ("/api/kiosk/issue_ticket", &[("queue", "default")]),
        ("/api/join/take", &[("queue", "default")]),
    ];
    for (path, form) in forged {
        for (header, value) in [
            ("origin", "http://evil.example".to_owned()),
            (
                "origin",
                format!("http://127.0.0.1:{}", app.addr.port() + 1),
            ),
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
    assert_eq!(
        sessions_after.len(),
        sessions_before.len(),
        "no session was made"
    );

    // the site's own pages (Origin, or a same-site Referer) still work
    let (status, _) = app
        .post_form(
            &staff,
            "/api/admin/intake",
            &[("queue", "default"), ("intake", "paused")],
        )
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
    let integration = app.issue_as_staff("default").await;
    assert_eq!(integration.status(), 201);
}

#[tokio::test]
async fn a_write_redis_refuses_for_memory_is_a_clear_503_and_loses_no_number() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    assert_eq!(app.issue_as_staff("default").await.status(), 201);
    app.kiosk().await; // set up while Redis takes writes
    let mut conn = redis.connection().await;
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("noeviction")
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg("1")
        .query_async(&mut conn)
        .await
        .unwrap();

    let refused = app.issue_as_staff("default").await;
    assert_eq!(refused.status(), 503);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "unavailable"
    );
    let kiosk = app.issue("default").await;
    assert_eq!(kiosk.status(), 503);
    assert_eq!(
        kiosk.json::<Value>().await.unwrap(),
        serde_json::json!({"error": "unavailable"})
    );

    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg("0")
        .query_async(&mut conn)
        .await
        .unwrap();
    let next: Value = app.issue_as_staff("default").await.json().await.unwrap();
    assert_eq!(
        next["number"], 2,
        "no number was taken by the refused issues"
    );
    let waiting = app.get_json("/api/v1/queues/default").await["waiting"].clone();
    assert_eq!(waiting, serde_json::json!([1, 2]));
}

/// Whether `staff` may still act on the console.
async fn console_opens(app: &TestApp, staff: &reqwest::Client) -> u16 {
    app.post_form(staff, "/api/admin/console", &[]).await.0
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_address_and_lock_nobody_else_out() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let attacker = client_at("127.0.0.2");
    for _ in 0..10 {
        assert_eq!(app.sign_in(&attacker, "guess-guess-guess").await, 401);
    }
    let (status, body) = app
        .post_form(
            &attacker,
            "/api/admin/login",
            &[("password", "guess-guess-guess")],
        )
        .await;
    assert_eq!(status, 429);
    assert_eq!(
        body,
        serde_json::json!({"error": "too_many_attempts", "wait_minutes": 15})
    );
    assert_eq!(
        app.sign_in(&attacker, ADMIN_PASSWORD).await,
        429,
        "not even the right one gets through"
    );
    // the shop's tablet, on another address, is not locked out
    let tablet = client_at("127.0.0.3");
    assert!(app.sign_in(&tablet, ADMIN_PASSWORD).await.is_success());
    assert_eq!(console_opens(&app, &tablet).await, 200);
    assert_eq!(console_opens(&app, &attacker).await, 401);
}

/// 40 guesses at once from one address: each is counted before its (slow) check, so exactly the
/// limit's 10 are judged and the rest refused; and the limit holds for a whole IPv6 /64 (one
/// customer's connection), whichever of its addresses the guesses come from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_are_counted_before_they_are_checked_and_per_ipv6_prefix() {
    let redis = TestRedis::start();
    let app = spawn_app_with(config_with(
        &redis.url(),
        &[("TRUSTED_PROXIES", "127.0.0.1")],
    ))
    .await;
    let guess = |from: String| {
        let app = &app;
        async move {
            let attacker = client();
            app.post(&attacker, "/api/admin/login")
                .header("x-forwarded-for", from)
                .form(&[("password", "guess-guess-guess")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let statuses =
        futures::future::join_all((0..40).map(|_| guess("203.0.113.7".to_owned()))).await;
    let judged = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((judged, refused), (10, 30), "{statuses:?}");

    // one /64, a new address for each guess
    for i in 1..=10 {
        assert_eq!(guess(format!("2001:db8:1:2::{i:x}")).await, 401);
    }
    assert_eq!(
        guess("2001:db8:1:2:ffff::1".to_owned()).await,
        429,
        "the same /64"
    );
    assert_eq!(
        guess("2001:db8:1:3::1".to_owned()).await,
        401,
        "another /64 is not locked out"
    );
    // but fresh /64s of one /56 share its limit, twice a /64's (12 counted so far)
    for i in 4..12 {
        assert_eq!(guess(format!("2001:db8:1:{i:x}::1")).await, 401);
    }
    assert_eq!(
        guess("2001:db8:1:c::1".to_owned()).await,
        429,
        "the same /56"
    );
    assert_eq!(
        guess("2001:db8:1:100::1".to_owned()).await,
        401,
        "another /56 of the /48, within four times a /64's"
    );
    // the right password from the shop's own address still works, and does not count
    let tablet = client_at("127.0.0.3");
    for _ in 0..12 {
        assert!(app.sign_in(&tablet, ADMIN_PASSWORD).await.is_success());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_parallel_sign_ins_takes_little_memory_and_the_queue_keeps_issuing() {
    let redis = TestRedis::start();
    let app = spawn_app_process(&redis, &[]).await;
    let pid = app.pid().unwrap();
    let before = memory_kib(pid, "VmHWM");
    let attempts = (0..120).map(|i| {
        let attacker = client_at(&format!("127.0.1.{}", 10 + i % 12));
        let app = &app;
        async move { app.sign_in(&attacker, "guess-guess-guess").await }
    });
    let issuing = async {
        let mut slowest = std::time::Duration::ZERO;
        for _ in 0..20 {
            let started = std::time::Instant::now();
            let r = app.issue_as_staff("default").await;
            assert_eq!(r.status(), 201, "the queue keeps issuing during the flood");
            slowest = slowest.max(started.elapsed());
        }
        slowest
    };
    let (statuses, slowest) = tokio::join!(futures::future::join_all(attempts), issuing);
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    let grown_mib = (memory_kib(pid, "VmHWM").saturating_sub(before)) / 1024;
    println!("120 parallel sign-ins: peak memory grew {grown_mib} MiB; slowest issue meanwhile {slowest:?}");
    assert!(
        grown_mib < 512,
        "argon2 checks run a few at a time (peak grew {grown_mib} MiB)"
    );
    assert_eq!(
        app.get_json("/api/v1/queues/default").await["last_number"],
        20
    );
}

#[tokio::test]
async fn a_changed_password_or_sign_out_everywhere_ends_every_staff_session() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let (one, two) = (client(), client());
    assert!(app.sign_in(&one, ADMIN_PASSWORD).await.is_success());
    assert!(app.sign_in(&two, ADMIN_PASSWORD).await.is_success());
    let (status, _) = app
        .post_form(&one, "/api/admin/logout_everywhere", &[])
        .await;
    assert!(status < 400, "{status}");
    assert_eq!(console_opens(&app, &one).await, 401);
    assert_eq!(console_opens(&app, &two).await, 401, "the other tablet too");

    // a restart with another ADMIN_PASSWORD ends the sessions made under the old one
    assert!(app.sign_in(&one, ADMIN_PASSWORD).await.is_success());
    assert_eq!(console_opens(&app, &one).await, 200);
    let renewed = "another-password-456";
    let restarted = spawn_app_with(config_with(&redis.url(), &[("ADMIN_PASSWORD", renewed)])).await;
    assert_eq!(console_opens(&restarted, &one).await, 401);
    assert_eq!(
        restarted.sign_in(&client(), ADMIN_PASSWORD).await,
        401,
        "the old password is gone"
    );
    // the same password again at the next start changes nothing
    let staff = client();
    assert!(restarted.sign_in(&staff, renewed).await.is_success());
    let again = spawn_app_with(config_with(&redis.url(), &[("ADMIN_PASSWORD", renewed)])).await;
    assert_eq!(console_opens(&again, &staff).await, 200);
}

#[tokio::test]
async fn a_staff_session_ends_after_its_lifetime_even_when_active() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let staff = client();
    assert!(app.sign_in(&staff, ADMIN_PASSWORD).await.is_success());
    assert_eq!(console_opens(&app, &staff).await, 200);
    // age the session's sign-in by 8 days (the lifetime is 7)
    let mut conn = redis.connection().await;
    let keys: Vec<String> = conn.keys("wr:session:*").await.unwrap();
    let mut aged = 0;
    for key in keys {
        let raw: String = conn.get(&key).await.unwrap();
        // edited as text: the record's id is a 128-bit number no JSON value holds exactly
        let record: Value = serde_json::from_str(&raw).unwrap();
        if let Some(at) = record["data"]["staff"]["signed_in_at"].as_u64() {
            let aged_at = at - 8 * 86_400_000;
            let edited = raw.replace(
                &format!("\"signed_in_at\":{at}"),
                &format!("\"signed_in_at\":{aged_at}"),
            );
            assert_ne!(edited, raw);
            let ttl: i64 = conn.ttl(&key).await.unwrap();
            let _: () = conn.set_ex(&key, edited, ttl as u64).await.unwrap();
            aged += 1;
        }
    }
    assert!(aged >= 1);
    assert_eq!(console_opens(&app, &staff).await, 401);
}

#[tokio::test]
async fn the_day_has_a_cap_of_tickets_so_nobody_can_fill_redis() {
    let redis = TestRedis::start();
    let config = config_with(&redis.url(), &[("MAX_TICKETS_PER_DAY", "3")]);
    let app = spawn_app_with(config).await;
    for _ in 0..3 {
        assert_eq!(app.issue("default").await.status(), 200);
    }
    let kiosk = app.issue("default").await;
    assert_eq!(kiosk.status(), 409);
    assert_eq!(
        kiosk.json::<Value>().await.unwrap(),
        serde_json::json!({"error": "day_full", "max": 3})
    );
    let api = app.issue_as_staff("default").await;
    assert_eq!(api.status(), 409);
    assert_eq!(api.json::<Value>().await.unwrap()["error"], "day_full");
    let snapshot = app.get_json("/api/v1/queues/default").await;
    assert_eq!(snapshot["last_number"], 3, "no number past the cap");
    assert_eq!(snapshot["waiting_count"], 3);
}

#[tokio::test]
async fn a_remote_flood_never_refuses_the_people_in_the_shop() {
    let redis = TestRedis::start();
    let config = config_with(
        &redis.url(),
        &[("MAX_TICKETS_PER_DAY", "4"), ("REMOTE_SHARE_PERCENT", "50")],
    );
    let app = spawn_app_with(config).await;
    // remote takes from many addresses (each within its own limits)
    let mut statuses = Vec::new();
    for i in 2..12 {
        let phone = client_at(&format!("127.0.1.{i}"));
        let taken = phone
            .post(app.url("/api/v1/queues/default/tickets"))
            .send()
            .await
            .unwrap();
        statuses.push(taken.status().as_u16());
        if taken.status() == 409 {
            assert_eq!(
                taken.json::<Value>().await.unwrap()["error"],
                "remote_full",
                "remote intake's share is taken"
            );
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        2,
        "half of the day for remote intake: {statuses:?}"
    );
    let snapshot = app.get_json("/api/v1/queues/default").await;
    assert_eq!(
        snapshot["last_number"], 2,
        "no number for a refused remote take"
    );
    // the kiosk still issues the rest of the day
    for _ in 0..2 {
        assert_eq!(app.issue("default").await.status(), 200);
    }
    let kiosk = app.issue("default").await;
    assert_eq!(kiosk.json::<Value>().await.unwrap()["error"], "day_full");
}

#[tokio::test]
async fn links_are_https_only_behind_a_trusted_proxy_that_says_so() {
    let redis = TestRedis::start();
    let url_of = |app: &TestApp, proto: &'static str| {
        let request = app
            .http
            .post(app.url("/api/v1/queues/default/tickets"))
            .header("x-forwarded-proto", proto);
        async move {
            let ticket: Value = request.send().await.unwrap().json().await.unwrap();
            ticket["url"].as_str().unwrap().to_owned()
        }
    };
    let direct = spawn_app(&redis).await;
    assert!(
        url_of(&direct, "https").await.starts_with("http://"),
        "anyone may send the header"
    );
    let proxied = spawn_app_with(config_with(
        &redis.url(),
        &[("TRUSTED_PROXIES", "127.0.0.1")],
    ))
    .await;
    assert!(url_of(&proxied, "https").await.starts_with("https://"));
    assert!(url_of(&proxied, "http").await.starts_with("http://"));
}

/// A forged `Host` (with a matching `Origin`, as a script of the attacker's can send) must never
/// make the shop's number text a victim a link to the attacker's site: with Twilio, links come
/// from `PUBLIC_URL` only (the server does not start without it).
#[tokio::test]
async fn a_forged_host_never_names_the_links_the_shop_texts() {
    let redis = TestRedis::start();
    let standin = crate::twilio_standin::TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[("AUTODIAL_PLACES", "0")])).await;
    let slip: Value = app.issue("default").await.json().await.unwrap();
    let token = slip["ticket"]["token"].as_str().unwrap().to_owned();
    let attacker = client();
    for path in ["/api/ticket/phone", "/api/join/take"] {
        let form: &[(&str, &str)] = if path == "/api/ticket/phone" {
            &[("token", &token), ("phone", "090-1234-5678")]
        } else {
            &[("queue", "default"), ("phone", "090-8765-4321")]
        };
        let answer = attacker
            .post(app.url(path))
            .header("host", "evil.example")
            .header("origin", "http://evil.example")
            .form(form)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 403, "{path}: a foreign origin is refused");
    }
    // the same, posted as the site's own page: the link names PUBLIC_URL, not the Host
    let (status, body) = app
        .post_form(
            &attacker,
            "/api/ticket/phone",
            &[("token", &token), ("phone", "090-1234-5678")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let texted = crate::common::eventually(std::time::Duration::from_secs(10), || async {
        !standin.creates().is_empty()
    })
    .await;
    assert!(texted);
    for made in standin.creates() {
        let body = made.value("Body").unwrap_or_default();
        assert!(!body.contains("evil.example"), "{body}");
        assert!(body.contains(&app.url("/v/")), "{body}");
    }
}
