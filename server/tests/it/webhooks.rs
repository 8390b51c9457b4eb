//! Twilio's webhooks: a forged or unsigned one is refused (403) and changes nothing; a signed one
//! is noted once, never moving a message back; a malformed one is a 400; a Sid not ours, ignored.

use crate::common::{client, config_with, eventually, spawn_app_with, TestApp, TestRedis};
use crate::phones::open_link;
use crate::twilio_standin::{TwilioStandIn, ACCOUNT_SID, AUTH_TOKEN};
use serde_json::Value;
use std::time::Duration;
use waitingroom::twilio::signature::signature;

/// Posts `params` to `path` as Twilio does: signed with `token` over the URL it calls.
async fn callback(app: &TestApp, path: &str, params: &[(&str, &str)], token: Option<&str>) -> u16 {
    let url = app.url(path);
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut request = reqwest::Client::new().post(&url).form(params);
    if let Some(token) = token {
        request = request.header("x-twilio-signature", signature(token, &url, &owned));
    }
    request.send().await.unwrap().status().as_u16()
}

/// Issues a ticket and registers 090-1234-5678 for it (its verification SMS made due); answers
/// the ticket's token.
async fn ticket_with_a_phone(app: &TestApp) -> String {
    let slip: Value = app.issue("default").await.json().await.unwrap();
    let token = slip["ticket"]["token"].as_str().unwrap().to_owned();
    let (status, _) = app
        .post_form(
            &client(),
            "/api/ticket/phone",
            &[("token", &token), ("phone", "090-1234-5678")],
        )
        .await;
    assert_eq!(status, 200, "the phone is registered");
    token
}

async fn log(app: &TestApp, staff: &reqwest::Client) -> Vec<Value> {
    let (_, log) = app.post_form(staff, "/api/admin/contact_log", &[]).await;
    log.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn status_callbacks_must_be_signed_and_never_move_a_message_back() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let config = standin.config(&redis, &[]);
    let app = spawn_app_with(config).await;
    ticket_with_a_phone(&app).await;
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let logged = eventually(Duration::from_secs(10), || async {
        log(&app, &staff).await.len() == 1
    })
    .await;
    assert!(logged, "the SMS sent is in the log");
    let entry = log(&app, &staff).await.remove(0);
    assert_eq!(entry["status"], "queued");
    assert_eq!(entry["to"], "090-****-5678", "masked");
    assert_eq!(entry["ticket"], 1);
    let sid = entry["sid"].as_str().unwrap().to_owned();
    let status_of = || async { log(&app, &staff).await[0]["status"].clone() };

    let delivered = [
        ("MessageSid", sid.as_str()),
        ("MessageStatus", "delivered"),
        ("AccountSid", ACCOUNT_SID),
    ];
    assert_eq!(
        callback(&app, "/twilio/status", &delivered, None).await,
        403,
        "unsigned"
    );
    assert_eq!(
        callback(&app, "/twilio/status", &delivered, Some("not-the-token")).await,
        403,
        "forged"
    );
    assert_eq!(status_of().await, "queued", "nothing changed");

    assert_eq!(
        callback(&app, "/twilio/status", &delivered, Some(AUTH_TOKEN)).await,
        204
    );
    assert_eq!(status_of().await, "delivered");
    let late = [("MessageSid", sid.as_str()), ("MessageStatus", "sent")];
    assert_eq!(
        callback(&app, "/twilio/status", &late, Some(AUTH_TOKEN)).await,
        204
    );
    assert_eq!(
        status_of().await,
        "delivered",
        "a late 'sent' never overwrites 'delivered'"
    );
    assert_eq!(
        callback(&app, "/twilio/status", &delivered, Some(AUTH_TOKEN)).await,
        204,
        "a retry"
    );

    let unknown = [
        ("MessageSid", "SMffffffffffffffffffffffffffffffff"),
        ("MessageStatus", "delivered"),
    ];
    assert_eq!(
        callback(&app, "/twilio/status", &unknown, Some(AUTH_TOKEN)).await,
        204
    );
    assert_eq!(log(&app, &staff).await.len(), 1, "not ours: ignored");
    let malformed = [("MessageStatus", "delivered")];
    assert_eq!(
        callback(&app, "/twilio/status", &malformed, Some(AUTH_TOKEN)).await,
        400
    );
}

#[tokio::test]
async fn without_an_auth_token_every_webhook_is_refused() {
    let redis = TestRedis::start();
    let app = spawn_app_with(config_with(&redis.url(), &[])).await;
    let params = [("MessageSid", "SM0123"), ("MessageStatus", "delivered")];
    assert_eq!(
        callback(&app, "/twilio/status", &params, Some("")).await,
        403
    );
    assert_eq!(
        callback(&app, "/twilio/status", &params, Some("anything")).await,
        403
    );
}

#[tokio::test]
async fn staff_call_a_verified_phone_and_see_the_call_progress() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    // (ticket 1 is first in line: no automatic call here, only the staff's)
    let config = standin.config(&redis, &[("AUTODIAL_PLACES", "0")]);
    let app = spawn_app_with(config).await;
    let slip: Value = app.issue("default").await.json().await.unwrap();
    let token = slip["ticket"]["token"].as_str().unwrap().to_owned();
    app.issue("default").await; // ticket 2: no phone
    let phone = client();
    app.post_form(
        &phone,
        "/api/ticket/phone",
        &[("token", &token), ("phone", "090-1234-5678")],
    )
    .await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            standin.creates().len() == 1
        })
        .await
    );
    let text = standin.creates()[0].value("Body").unwrap().to_owned();
    let opened = open_link(&app, &phone, &text).await;
    assert!(opened.status().is_redirection());

    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let (status, body) = app.call_phone(&staff, 2, "2").await;
    assert_eq!(
        (status, body),
        (409, serde_json::json!({"error": "no_phone"})),
        "ticket 2 has no phone"
    );
    let (status, _) = app.call_phone(&staff, 1, "2").await;
    assert_eq!(status, 200);
    let called = eventually(Duration::from_secs(10), || async {
        standin.creates().len() == 2
    })
    .await;
    assert!(called, "the call was placed");
    let call = standin.creates().remove(1);
    assert!(call.path.ends_with("/Calls.json"));
    assert_eq!(call.value("To"), Some("+819012345678"));
    assert_eq!(
        call.value("Twiml"),
        Some(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say language="ja-JP" loop="2" voice="Polly.Mizuki">受付番号1番の方、2番窓口へお越しください</Say></Response>"#
        )
    );

    let logged = eventually(Duration::from_secs(5), || async {
        log(&app, &staff).await.iter().any(|e| e["kind"] == "call")
    })
    .await;
    assert!(logged, "the call is in the log");
    let sid = log(&app, &staff)
        .await
        .iter()
        .find(|e| e["kind"] == "call")
        .unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let call_status = || async {
        log(&app, &staff)
            .await
            .iter()
            .find(|e| e["kind"] == "call")
            .unwrap()["status"]
            .clone()
    };
    for (status, expected) in [
        ("ringing", "ringing"),
        ("completed", "completed"),
        ("ringing", "completed"),
    ] {
        let params = [("CallSid", sid.as_str()), ("CallStatus", status)];
        assert_eq!(
            callback(&app, "/twilio/status", &params, Some(AUTH_TOKEN)).await,
            204
        );
        assert_eq!(call_status().await, expected, "after {status}");
    }
}

/// Issues `n` tickets and verifies a phone for the last one; answers its number and token.
pub async fn last_ticket_with_a_verified_phone(
    app: &TestApp,
    standin: &TwilioStandIn,
    n: usize,
) -> (u64, String) {
    let mut last = Value::Null;
    for _ in 0..n {
        last = app.issue("default").await.json().await.unwrap();
    }
    let token = last["ticket"]["token"].as_str().unwrap().to_owned();
    let phone = client();
    app.post_form(
        &phone,
        "/api/ticket/phone",
        &[("token", &token), ("phone", "090-1234-5678")],
    )
    .await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            !standin.creates().is_empty()
        })
        .await
    );
    let text = standin.creates()[0].value("Body").unwrap().to_owned();
    let opened = open_link(app, &phone, &text).await;
    assert!(opened.status().is_redirection());
    (last["ticket"]["number"].as_u64().unwrap(), token)
}

#[tokio::test]
async fn a_verified_phone_gets_exactly_one_automatic_call_three_places_before_its_turn() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    // two server processes on one Redis, both calling next at once
    let a = spawn_app_with(standin.config(&redis, &[])).await;
    let b = spawn_app_with(standin.config(&redis, &[])).await;
    let (number, _) = last_ticket_with_a_verified_phone(&a, &standin, 6).await;
    assert_eq!(number, 6);
    let calls = || {
        standin
            .creates()
            .into_iter()
            .filter(|r| r.path.ends_with("/Calls.json"))
            .collect::<Vec<_>>()
    };
    async fn call_next(app: &TestApp, counter: &str) -> u16 {
        app.call_next_as_staff("default", counter)
            .await
            .status()
            .as_u16()
    }
    // 5 ahead, then 3 (two called): the call is due once, whoever moved the line
    assert_eq!(call_next(&a, "1").await, 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(calls().is_empty(), "4 ahead: not yet");
    let (x, y) = tokio::join!(call_next(&a, "1"), call_next(&b, "2"));
    assert_eq!((x, y), (200, 200));
    assert!(
        eventually(Duration::from_secs(10), || async { calls().len() == 1 }).await,
        "called"
    );
    let (x, y) = tokio::join!(call_next(&a, "1"), call_next(&b, "2"));
    assert_eq!((x, y), (200, 200));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let calls = calls();
    assert_eq!(calls.len(), 1, "exactly one call per ticket");
    assert_eq!(calls[0].value("To"), Some("+819012345678"));
    let twiml = calls[0].value("Twiml").unwrap();
    assert!(
        twiml.contains(r#"<Gather action=""#)
            && twiml.contains(r#"<Say language="ja-JP" voice="Polly.Mizuki">"#),
        "{twiml}"
    );
    assert!(
        twiml.contains("受付番号6番の方、まもなく順番です"),
        "{twiml}"
    );
}

#[tokio::test]
async fn a_text_twilio_refuses_shows_in_the_log_as_failed_and_is_not_retried() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let config = standin.config(&redis, &[]);
    let app = spawn_app_with(config).await;
    // Twilio refuses the number (21211: not a valid phone number)
    standin.fail_next(&[crate::twilio_standin::Fault::Refuse(400, 21211)]);
    // the queue does not wait for Twilio
    ticket_with_a_phone(&app).await;
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let failed = eventually(Duration::from_secs(10), || async {
        log(&app, &staff)
            .await
            .first()
            .is_some_and(|e| e["status"] == "failed")
    })
    .await;
    assert!(failed, "the refusal shows in the console's log");
    let entry = log(&app, &staff).await.remove(0);
    assert_eq!(entry["error_code"], "21211");
    assert_eq!(entry["to"], "090-****-5678");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(standin.creates().len(), 1, "a refusal is not retried");
}

#[tokio::test]
async fn a_status_that_arrives_before_its_message_is_logged_is_not_lost() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[("AUTODIAL_PLACES", "0")])).await;
    // Twilio makes the message at once but its answer to the create takes 1.5 s; its status
    // callback comes meanwhile
    standin.fail_next(&[crate::twilio_standin::Fault::Slow(Duration::from_millis(
        1500,
    ))]);
    let token = ticket_with_a_phone(&app).await;
    let made = eventually(Duration::from_secs(10), || async {
        !standin.messages().is_empty()
    })
    .await;
    assert!(made);
    let sid = standin.messages()[0]["sid"].as_str().unwrap().to_owned();
    assert_eq!(standin.report(&sid, "delivered", &[]).await, 204);
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let logged = eventually(Duration::from_secs(10), || async {
        log(&app, &staff)
            .await
            .first()
            .is_some_and(|e| e["sid"] == sid.as_str())
    })
    .await;
    assert!(logged, "the message is logged once its create answered");
    assert_eq!(
        log(&app, &staff).await[0]["status"],
        "delivered",
        "the early status kept"
    );
    let (_, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", &token)])
        .await;
    assert_eq!(
        view["ticket"]["contact"]["status"], "delivered",
        "and the ticket shows it"
    );
}

#[tokio::test]
async fn twilio_failing_or_lagging_never_slows_the_queue_and_nothing_goes_twice() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[("AUTODIAL_PLACES", "0")])).await;
    // the verification text meets two 500s (retried), the staff's call a Twilio that answers
    // only after the client gave up (10 s): it looks the call up instead of placing another
    standin.fail_next(&[
        crate::twilio_standin::Fault::Refuse(500, 20500),
        crate::twilio_standin::Fault::Refuse(500, 20500),
    ]);
    let _ = last_ticket_with_a_verified_phone(&app, &standin, 1).await;
    let sent = eventually(Duration::from_secs(10), || async {
        standin.placed().len() == 1
    })
    .await;
    assert!(sent, "the text went, after two 500s");
    let tried = |path: &'static str| {
        standin
            .recorded()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with(path))
            .count()
    };
    assert_eq!(tried("/Messages.json"), 3, "two refused, one made");
    standin.fail_next(&[crate::twilio_standin::Fault::Slow(Duration::from_secs(12))]);
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let (status, _) = app.call_phone(&staff, 1, "1").await;
    assert_eq!(status, 200);
    // meanwhile the queue answers as fast as ever
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..10 {
        let started = std::time::Instant::now();
        assert!(app.issue("default").await.status().is_success());
        let (status, _) = app
            .post_form(
                &staff,
                "/api/admin/call_next",
                &[("queue", "default"), ("counter", "2")],
            )
            .await;
        assert_eq!(status, 200);
        assert!(
            started.elapsed() < Duration::from_millis(1000),
            "the queue does not wait for Twilio: {:?}",
            started.elapsed()
        );
    }
    let logged = eventually(Duration::from_secs(25), || async {
        log(&app, &staff).await.iter().any(|e| e["kind"] == "call")
    })
    .await;
    assert!(logged, "the slow call is logged once Twilio answered");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        tried("/Calls.json"),
        1,
        "asked for once: the lost answer was looked up, not sent again"
    );
    let one_call = eventually(Duration::from_secs(10), || async {
        standin.calls().len() == 1
    })
    .await;
    assert!(one_call, "Twilio holds one call");
}

#[tokio::test]
async fn a_status_whose_callback_never_came_is_read_from_twilio_with_all_it_does() {
    // Twilio does not retry a callback that failed: the automatic call that reached nobody must
    // still text the customer, once its status is read from Twilio's REST API
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let clock = waitingroom::calendar::Clock::shifted();
    let mut config = standin.config(&redis, &[]);
    config.room.calendar = config.room.calendar.clone().with_clock(clock.clone());
    let app = spawn_app_with(config).await;
    let (number, _) = last_ticket_with_a_verified_phone(&app, &standin, 4).await;
    assert_eq!(number, 4);
    assert_eq!(app.call_next_as_staff("default", "1").await.status(), 200);
    let called = eventually(Duration::from_secs(10), || async {
        !standin.calls().is_empty()
    })
    .await;
    assert!(called, "the automatic call");
    let (sid, _) = standin.calls().remove(0);
    // it rang out; no callback ever reached us
    standin.set_status(&sid, "no-answer");
    let texts = || {
        standin
            .creates()
            .into_iter()
            .filter(|r| r.path.ends_with("/Messages.json"))
            .count()
    };
    let before = texts();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(texts(), before, "nothing known yet");
    clock.advance(jiff::SignedDuration::from_mins(4));
    let texted = eventually(Duration::from_secs(10), || async { texts() == before + 1 }).await;
    assert!(
        texted,
        "read from Twilio: the text instead of the call goes"
    );
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let entry = log(&app, &staff)
        .await
        .into_iter()
        .find(|e| e["sid"] == sid.as_str())
        .unwrap();
    assert_eq!(entry["status"], "no-answer");
}

#[tokio::test]
async fn with_redis_down_every_webhook_still_answers_twilio_with_valid_twiml() {
    let mut redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    redis.stop();
    // a status: 2xx (Twilio would drop a 5xx; the status is read from Twilio later)
    let (status, _) = crate::twilio_standin::signed_post(
        &app.url("/twilio/status"),
        &[
            ("AccountSid", crate::twilio_standin::ACCOUNT_SID),
            ("MessageSid", "SM0123"),
            ("MessageStatus", "delivered"),
        ],
    )
    .await;
    assert_eq!(status, 204);
    // a text: an apology in the sender's language
    let (status, twiml) = crate::sms::text(&app, "SM0124", "+819011112222", "状況").await;
    assert_eq!(status, 200, "{twiml}");
    assert!(
        twiml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message>"#)
            && twiml.contains("一時的に使えません"),
        "{twiml}"
    );
    // a key on the store's menu: said sorry, and hung up (not Twilio's "application error")
    let (status, twiml) = crate::twilio_standin::signed_post(
        &app.url("/twilio/voice/menu?repeats=0"),
        &[
            ("AccountSid", crate::twilio_standin::ACCOUNT_SID),
            ("CallSid", "CA0125"),
            ("From", "+819011112222"),
            ("Digits", "2"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{twiml}");
    assert!(
        twiml.contains("一時的に使えません") && twiml.ends_with("<Hangup /></Response>"),
        "{twiml}"
    );
    // a call code keyed in: the same
    let (status, twiml) = crate::twilio_standin::signed_post(
        &app.url("/twilio/voice/code?repeats=0"),
        &[
            ("AccountSid", crate::twilio_standin::ACCOUNT_SID),
            ("CallSid", "CA0127"),
            ("From", "+819011112222"),
            ("Digits", "1234"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{twiml}");
    assert!(
        twiml.contains("一時的に使えません") && twiml.ends_with("<Hangup /></Response>"),
        "{twiml}"
    );
    // a key on an automatic call, to a ticket in Korean: sorry in Korean
    let query = "queue=default&day=2026-11-25.1&number=3&key=00&repeats=0&lang=ko";
    let (status, twiml) = crate::twilio_standin::signed_post(
        &app.url(&format!("/twilio/voice/answer?{query}")),
        &[
            ("AccountSid", crate::twilio_standin::ACCOUNT_SID),
            ("CallSid", "CA0126"),
            ("Digits", "1"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{twiml}");
    assert!(
        twiml.contains(r#"language="ko-KR""#) && twiml.contains("죄송합니다"),
        "{twiml}"
    );
}
