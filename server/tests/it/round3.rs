//! The third round of attacks (issue 28), each as an attacker would try it: the call-in
//! verification taken over by a later registration or a forged caller ID, registrations without
//! limits, forged calls filling the day by the phone menu. A refused attempt is asserted refused,
//! and nothing changed.

use crate::common::{client, client_at, spawn_app_with, TestApp, TestRedis};
use crate::phones::{
    asks_code, call_code_of, call_in, call_in_with_code, key_in_code, register, ticket_token,
};
use crate::twilio_standin::TwilioStandIn;
use crate::voice::version;
use serde_json::Value;
use std::collections::HashMap;

/// The store's Japanese voice number alone (call mode: `TWILIO_FROM_NUMBER` only).
fn call_mode(redis: &TestRedis, standin: &TwilioStandIn, extra: &[(&str, &str)]) -> server::Config {
    let mut vars = vec![
        ("TWILIO_FROM_NUMBER", "050-1234-5678"),
        ("TWILIO_SMS_SENDER", ""),
        ("AUTODIAL_PLACES", "0"),
    ];
    vars.extend_from_slice(extra);
    standin.config(redis, &vars)
}

async fn view(app: &TestApp, token: &str) -> Value {
    app.post_form(&client(), "/api/ticket/view", &[("token", token)])
        .await
        .1
}

/// The day's `verify` hash of queue `default`: what waits for a link or a call.
async fn verify_hash(redis: &TestRedis) -> HashMap<String, String> {
    let key = crate::common::day_keys(redis, "default").await.verify();
    let mut conn = redis.connection().await;
    redis::cmd("HGETALL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap()
}

fn sid() -> String {
    format!("CA{}", waitingroom::services::random_token())
}

#[tokio::test]
async fn a_later_registration_of_the_same_number_takes_nothing_from_the_first() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(call_mode(&redis, &standin, &[])).await;
    let (victim, attacker) = (ticket_token(&app).await, ticket_token(&app).await);
    // the victim registers their number; the attacker, knowing it, registers it on their own
    assert_eq!(
        register(&app, &client(), &victim, "090-3333-4444").await.0,
        200
    );
    assert_eq!(
        register(&app, &client_at("127.0.0.31"), &attacker, "090-3333-4444")
            .await
            .0,
        200
    );
    let (mine, theirs) = (
        call_code_of(&app, &victim).await,
        call_code_of(&app, &attacker).await,
    );
    assert_ne!(mine, theirs, "each ticket its own code");

    // the victim's call, with the code their page shows, verifies their ticket and says its number
    let heard = call_in_with_code(&app, "+819033334444", &victim).await;
    assert!(heard.contains("電話番号を確認しました"), "{heard}");
    assert!(heard.contains("受付番号1番"), "{heard}");
    assert!(!heard.contains("受付番号2番"), "{heard}");
    assert_eq!(
        view(&app, &victim).await["ticket"]["phone_status"],
        "verified"
    );
    assert_eq!(
        view(&app, &attacker).await["ticket"]["phone_status"],
        "pending"
    );

    // the attacker re-registering the number again and again does not stop the victim either
    let redis2 = TestRedis::start();
    let app = spawn_app_with(call_mode(&redis2, &standin, &[])).await;
    let (victim, attacker) = (ticket_token(&app).await, ticket_token(&app).await);
    assert_eq!(
        register(&app, &client(), &victim, "090-3333-4444").await.0,
        200
    );
    for other in ["090-3333-5555", "090-3333-4444", "090-3333-6666"] {
        register(&app, &client_at("127.0.0.32"), &attacker, other).await;
    }
    let heard = call_in_with_code(&app, "+819033334444", &victim).await;
    assert!(heard.contains("受付番号1番"), "{heard}");
    assert_eq!(
        view(&app, &victim).await["ticket"]["phone_status"],
        "verified"
    );
}

#[tokio::test]
async fn a_forged_caller_id_without_the_code_verifies_nothing_and_its_guesses_are_counted() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(call_mode(&redis, &standin, &[])).await;
    let token = ticket_token(&app).await;
    assert_eq!(
        register(&app, &client(), &token, "090-7777-8888").await.0,
        200
    );
    let code = call_code_of(&app, &token).await;
    let before = version(&app).await;

    // someone calling with the customer's number (forged: no attestation comes with it in Japan)
    // is asked for the code; five wrong guesses a day, then even the right one is refused
    let asked = call_in(&app, "+819077778888", &[]).await;
    assert!(asks_code(&asked), "{asked}");
    let wrong: Vec<String> = (0..6u32)
        .map(|i| format!("{:04}", (code.parse::<u32>().unwrap() + 1 + i) % 10_000))
        .collect();
    let call = sid();
    for (i, guess) in wrong.iter().take(5).enumerate() {
        let heard = key_in_code(&app, &call, "+819077778888", guess, i as u32 % 3).await;
        assert!(!heard.contains("確認しました"), "{heard}");
    }
    let refused = key_in_code(&app, &sid(), "+819077778888", &code, 0).await;
    assert!(refused.contains("確認コードの誤りが多すぎる"), "{refused}");
    assert!(refused.contains("<Hangup"), "{refused}");
    assert_eq!(
        view(&app, &token).await["ticket"]["phone_status"],
        "pending"
    );
    assert_eq!(version(&app).await, before, "nothing changed");
    // not a code at all (letters, too long) verifies nothing either, on another number
    let other = ticket_token(&app).await;
    assert_eq!(
        register(&app, &client(), &other, "090-7777-9999").await.0,
        200
    );
    let code = call_code_of(&app, &other).await;
    for junk in [format!("{code}0"), "12a4".to_owned(), String::new()] {
        let heard = key_in_code(&app, &sid(), "+819077779999", &junk, 0).await;
        assert!(!heard.contains("確認しました"), "{junk:?}: {heard}");
    }
    // the right code on a call from another number verifies nothing
    let heard = key_in_code(&app, &sid(), "+819000001111", &code, 0).await;
    assert!(!heard.contains("確認しました"), "{heard}");
    assert_eq!(
        view(&app, &other).await["ticket"]["phone_status"],
        "pending"
    );
    // the right code posted without Twilio's signature: refused, nothing changed
    let form = [
        ("CallSid", "CA0001"),
        ("From", "+819077779999"),
        ("Digits", code.as_str()),
    ];
    let unsigned = client()
        .post(app.url("/twilio/voice/code?repeats=0"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
    assert_eq!(
        view(&app, &other).await["ticket"]["phone_status"],
        "pending"
    );
    let (status, _) =
        crate::twilio_standin::signed_post(&app.url("/twilio/voice/code?repeats=0"), &form).await;
    assert_eq!(status, 200, "signed, it is taken");
    assert_eq!(
        view(&app, &other).await["ticket"]["phone_status"],
        "verified"
    );
}

#[tokio::test]
async fn registrations_are_limited_and_a_ticket_waits_for_one_number_at_a_time() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(call_mode(&redis, &standin, &[])).await;
    let token = ticket_token(&app).await;
    let from = client_at("127.0.0.41");

    // per ticket: three different numbers, each replacing the one before in the verify hash
    for (i, number) in ["090-4100-0001", "090-4100-0002", "090-4100-0003"]
        .iter()
        .enumerate()
    {
        let (status, body) = register(&app, &from, &token, number).await;
        assert_eq!(status, 200, "{number}: {body}");
        let kept = verify_hash(&redis).await;
        let e164 = format!("+8190{}", number[4..].replace('-', ""));
        assert_eq!(
            kept.len(),
            2,
            "one call code and its count, after {i}: {kept:?}"
        );
        assert!(kept.keys().all(|k| k.contains(&e164)), "{kept:?}");
    }
    // the same number again: nothing changes, nothing is published
    let before = version(&app).await;
    let code = call_code_of(&app, &token).await;
    assert_eq!(register(&app, &from, &token, "090-4100-0003").await.0, 200);
    assert_eq!(
        version(&app).await,
        before,
        "an unchanged number publishes nothing"
    );
    assert_eq!(call_code_of(&app, &token).await, code, "and keeps its code");
    // a fourth number is refused and changes nothing
    let (status, body) = register(&app, &from, &token, "090-4100-0004").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("phone_limited")),
        "{body}"
    );
    assert_eq!(call_code_of(&app, &token).await, code);
    assert_eq!(view(&app, &token).await["phone"], "090-****-0003");
    assert_eq!(version(&app).await, before);

    // per client address and day: 30 registrations, whatever tickets and numbers (this address
    // made 4 above: 3 counted and the same number again), then refused, nothing changed
    let mut made = 4;
    let mut n = 0;
    let refused = loop {
        let token = ticket_token(&app).await;
        let mut refused = None;
        let mut last = Value::Null;
        for _ in 0..3 {
            n += 1;
            let (status, body) = register(&app, &from, &token, &format!("080-4200-{n:04}")).await;
            if status != 200 {
                refused = Some((status, body, token.clone(), last));
                break;
            }
            last = Value::from(format!("080-****-{n:04}"));
            made += 1;
        }
        if let Some(refused) = refused {
            break refused;
        }
        assert!(made <= 30, "no limit per address");
    };
    assert_eq!(made, 30);
    assert_eq!(
        (refused.0, refused.1["error"].as_str()),
        (429, Some("phone_limited"))
    );
    assert_eq!(
        view(&app, &refused.2).await["phone"],
        refused.3,
        "the ticket's number unchanged"
    );
    // another address still registers
    let token = ticket_token(&app).await;
    assert_eq!(
        register(&app, &client_at("127.0.0.42"), &token, "080-4300-0001")
            .await
            .0,
        200
    );

    // per number and day: one number registered on 10 tickets (from 10 addresses), then refused
    for i in 0..10 {
        let token = ticket_token(&app).await;
        let at = client_at(&format!("127.0.1.{}", 10 + i));
        assert_eq!(
            register(&app, &at, &token, "070-4400-0001").await.0,
            200,
            "{i}"
        );
    }
    let token = ticket_token(&app).await;
    let (status, body) = register(&app, &client_at("127.0.1.99"), &token, "070-4400-0001").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("phone_limited"))
    );
    assert!(
        view(&app, &token).await["phone"].is_null(),
        "nothing registered"
    );
}

#[tokio::test]
async fn forged_calls_take_at_most_phone_max_per_hour_tickets_for_the_whole_shop() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(
        &redis,
        &[("PHONE_MAX_PER_HOUR", "5"), ("AUTODIAL_PLACES", "0")],
    ))
    .await;
    // eight "different callers" (caller IDs are free to forge), each pressing 1
    for i in 0..8 {
        let heard = crate::voice::menu(&app, &format!("+81906000{i:04}"), "1").await;
        if i < 5 {
            assert!(heard.contains("をお取りしました"), "{i}: {heard}");
        } else {
            assert!(
                heard.contains("ただいま受付を停止しています"),
                "{i}: {heard}"
            );
        }
    }
    assert_eq!(
        app.get_json("/api/v1/queues/default").await["last_number"],
        5
    );

    // each 「受付しました」 SMS of a ticket taken by phone counts against that ticket's budget
    let keys = crate::common::day_keys(&redis, "default").await;
    let budget = keys.verify().replace(":verify", ":budget");
    let mut conn = redis.connection().await;
    let spent: HashMap<String, u32> = redis::cmd("HGETALL")
        .arg(&budget)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(spent.len(), 5, "{spent:?}");
    assert!(spent.values().all(|n| *n == 1), "{spent:?}");
}

/// A staff-token API call with `Idempotency-Key` `key` (and a JSON `body`, if any).
async fn api_call(
    app: &TestApp,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut call = client()
        .post(app.url(path))
        .bearer_auth(crate::common::STAFF_API_TOKEN);
    if let Some(key) = key {
        call = call.header("Idempotency-Key", key);
    }
    if let Some(body) = body {
        call = call.json(&body);
    }
    call.send().await.unwrap()
}

async fn snapshot(app: &TestApp) -> Value {
    app.get_json("/api/v1/queues/default").await
}

#[tokio::test]
async fn a_retried_api_call_with_its_idempotency_key_acts_once() {
    let redis = TestRedis::start();
    let app = spawn_app_with(crate::common::config_with(
        &redis.url(),
        &[("ADDRESS_MAX_PER_HOUR", "1")],
    ))
    .await;
    for _ in 0..3 {
        assert_eq!(app.issue_as_staff("default").await.status(), 201);
    }
    let call_next = "/api/v1/queues/default/call-next";
    let counter = || Some(serde_json::json!({"counter": "1"}));

    // an integration's call-next times out and is retried with the same key: one customer called
    let first = api_call(&app, call_next, Some("retry-7f3a"), counter()).await;
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let again = api_call(&app, call_next, Some("retry-7f3a"), counter()).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        again.json::<Value>().await.unwrap(),
        first,
        "the first answer again"
    );
    let after = snapshot(&app).await;
    assert_eq!(
        after["waiting"],
        serde_json::json!([2, 3]),
        "one customer called: {after}"
    );

    // the same key for another call is refused and changes nothing
    let reused = api_call(
        &app,
        "/api/v1/queues/default/tickets",
        Some("retry-7f3a"),
        None,
    )
    .await;
    assert_eq!(reused.status(), 422);
    assert_eq!(
        reused.json::<Value>().await.unwrap()["error"],
        "idempotency_key_reused"
    );
    let other_body = api_call(
        &app,
        call_next,
        Some("retry-7f3a"),
        Some(serde_json::json!({"counter": "2"})),
    )
    .await;
    assert_eq!(other_body.status(), 422);
    assert_eq!(
        snapshot(&app).await["version"],
        after["version"],
        "nothing changed"
    );

    // ten copies of one issue at once: one ticket, every answer is it or "still in progress"
    let copies = (0..10).map(|_| {
        api_call(
            &app,
            "/api/v1/queues/default/tickets",
            Some("issue-1"),
            None,
        )
    });
    let answers = futures::future::join_all(copies).await;
    let mut tokens = std::collections::HashSet::new();
    for answer in answers {
        match answer.status().as_u16() {
            201 => {
                let body: Value = answer.json().await.unwrap();
                tokens.insert(body["token"].as_str().unwrap().to_owned());
            }
            409 => assert_eq!(
                answer.json::<Value>().await.unwrap()["error"],
                "idempotency_in_progress"
            ),
            other => panic!("{other}"),
        }
    }
    assert_eq!(tokens.len(), 1, "one ticket: {tokens:?}");
    assert_eq!(snapshot(&app).await["last_number"], 4);
    let replayed = api_call(
        &app,
        "/api/v1/queues/default/tickets",
        Some("issue-1"),
        None,
    )
    .await;
    let body: Value = replayed.json().await.unwrap();
    assert!(tokens.contains(body["token"].as_str().unwrap()));

    // a key is its caller's: an anonymous caller's same key is its own
    let anonymous = client()
        .post(app.url("/api/v1/queues/default/tickets"))
        .header("Idempotency-Key", "issue-1")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 201);
    assert_eq!(snapshot(&app).await["last_number"], 5);
    // a refusal that says "later" (429) is not kept: the retry it asks for is carried out anew
    for _ in 0..2 {
        let limited = client()
            .post(app.url("/api/v1/queues/default/tickets"))
            .header("Idempotency-Key", "anon-2")
            .send()
            .await
            .unwrap();
        assert_eq!(limited.status(), 429);
        assert!(limited.headers().get("idempotent-replayed").is_none());
    }
    // a key that is no key is refused, and acts on nothing
    let bad = api_call(
        &app,
        "/api/v1/queues/default/tickets",
        Some(&"k".repeat(256)),
        None,
    )
    .await;
    assert_eq!(bad.status(), 400);
    // without a key, a retry acts again (what the key is for)
    api_call(&app, call_next, None, counter()).await;
    api_call(&app, call_next, None, counter()).await;
    assert_eq!(
        snapshot(&app).await["waiting"],
        serde_json::json!([4, 5]),
        "both acted"
    );
    assert_eq!(snapshot(&app).await["last_number"], 5);
}
