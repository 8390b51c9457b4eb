//! The automatic call when the turn is near: its menu (1 on my way, 2 cancel, 9 repeat) answered
//! through the stand-in as Twilio posts it, the answer seen by the ticket's page and the console,
//! and the SMS that goes instead when the call reaches nobody. Through Prism and the stand-in.

use crate::common::{client, eventually, spawn_app_with, TestApp, TestRedis};
use crate::twilio_standin::{gather_action, signed_post, TwilioStandIn};
use crate::webhooks::last_ticket_with_a_verified_phone;
use serde_json::Value;
use std::time::Duration;

/// The Sid of the one automatic call the stand-in was asked to make, and its create request.
async fn the_call(standin: &TwilioStandIn) -> (String, crate::twilio_standin::Recorded) {
    let placed = eventually(Duration::from_secs(10), || async {
        standin.calls().len() == 1
    })
    .await;
    assert!(placed, "the automatic call was placed");
    standin.calls().remove(0)
}

async fn ticket_view(app: &TestApp, token: &str) -> Value {
    let (status, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", token)])
        .await;
    assert_eq!(status, 200);
    view
}

async fn version(app: &TestApp) -> u64 {
    app.get_json("/api/v1/queues/default").await["version"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn the_customer_answers_the_automatic_call_with_a_key() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    // 3 ahead when verified: the call is due at once
    let (number, token) = last_ticket_with_a_verified_phone(&app, &standin, 4).await;
    assert_eq!(number, 4);
    let (sid, call) = the_call(&standin).await;
    assert_eq!(call.value("MachineDetection"), Some("Enable"));
    let public = app.url("");
    assert_eq!(
        call.value("StatusCallback").map(str::to_owned),
        Some(format!("{public}/twilio/status"))
    );
    let twiml = call.value("Twiml").unwrap();
    let action = format!("{public}/twilio/voice/answer/default/4");
    assert!(
        twiml.contains(&format!(
            r#"<Gather action="{action}" method="POST" numDigits="1" timeout="8"><Say language="ja-JP">待合室からのお知らせです。受付番号4番の方、まもなく順番です。"#
        )),
        "{twiml}"
    );
    assert!(twiml.contains("1を"), "the menu: {twiml}");
    assert_eq!(gather_action(twiml).as_deref(), Some(action.as_str()));

    // the call rings: the ticket shows it
    assert_eq!(standin.report(&sid, "ringing", &[]).await, 204);
    let ringing = eventually(Duration::from_secs(5), || async {
        ticket_view(&app, &token).await["ticket"]["contact"]["status"] == "ringing"
    })
    .await;
    assert!(ringing, "the ticket shows its call ringing");

    // a forged answer changes nothing
    let before = version(&app).await;
    let forged = reqwest::Client::new()
        .post(&action)
        .header("x-twilio-signature", "forged")
        .form(&[("CallSid", sid.as_str()), ("Digits", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(version(&app).await, before, "nothing changed");

    // 9: the words and the menu again
    let (status, again) = standin.press(&sid, "9").await;
    assert_eq!(status, 200);
    assert!(
        again.contains("<Gather ") && again.contains("まもなく順番です"),
        "{again}"
    );
    assert_eq!(version(&app).await, before, "repeating changes nothing");

    // 1: on my way, on the ticket page; Twilio retrying the webhook changes nothing twice
    let (status, thanks) = standin.press(&sid, "1").await;
    assert_eq!(status, 200);
    assert!(thanks.contains("お待ちしております"), "{thanks}");
    let view = ticket_view(&app, &token).await;
    assert_eq!(view["ticket"]["answer"], "on_my_way");
    assert_eq!(view["ticket"]["state"], "waiting");
    let after = version(&app).await;
    assert_eq!(standin.press(&sid, "1").await.0, 200);
    assert_eq!(
        version(&app).await,
        after,
        "a repeated answer changes nothing"
    );

    // 2: the ticket is cancelled
    let (status, bye) = standin.press(&sid, "2").await;
    assert_eq!(status, 200);
    assert!(bye.contains("受付番号4番を取り消しました"), "{bye}");
    let view = ticket_view(&app, &token).await;
    assert_eq!(view["ticket"]["state"], "cancelled");
    assert_eq!(view["ticket"]["answer"], "cancel");
    // and an answer about a ticket that is not there is refused
    let (status, _) = signed_post(
        &app.url("/twilio/voice/answer/default/99"),
        &[("CallSid", sid.as_str()), ("Digits", "1")],
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_automatic_call_that_reaches_nobody_becomes_one_sms() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    let (_, token) = last_ticket_with_a_verified_phone(&app, &standin, 4).await;
    let (sid, _) = the_call(&standin).await;
    let texts = || {
        standin
            .creates()
            .into_iter()
            .filter(|r| r.path.ends_with("/Messages.json"))
            .collect::<Vec<_>>()
    };
    assert_eq!(texts().len(), 1, "the verification SMS only");
    assert_eq!(standin.report(&sid, "ringing", &[]).await, 204);
    assert_eq!(standin.report(&sid, "no-answer", &[]).await, 204);
    let texted = eventually(Duration::from_secs(10), || async { texts().len() == 2 }).await;
    assert!(texted, "an SMS went instead");
    let sms = texts().remove(1);
    assert_eq!(sms.value("To"), Some("+819012345678"));
    let body = sms.value("Body").unwrap();
    assert!(body.contains("受付番号4番の方、まもなく順番です"), "{body}");
    assert!(
        body.contains(&format!("{}/t/{token}", app.url(""))),
        "the ticket's page: {body}"
    );
    // the same status again, or a machine reported late: still one SMS
    assert_eq!(standin.report(&sid, "no-answer", &[]).await, 204);
    assert_eq!(
        standin
            .report(&sid, "completed", &[("AnsweredBy", "machine_start")])
            .await,
        204
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        texts().len(),
        2,
        "one SMS instead of the call, however many callbacks"
    );
    let view = ticket_view(&app, &token).await;
    assert_eq!(view["ticket"]["contact"]["kind"], "call");
}

/// A call to the store's number presses `digits` on the menu, from `from`.
async fn menu(app: &TestApp, from: &str, digits: &str) -> String {
    let (status, twiml) = signed_post(
        &app.url("/twilio/voice/menu"),
        &[
            ("CallSid", "CA0000000000000000000000000000menu"),
            ("From", from),
            ("To", "+15005550006"),
            ("Digits", digits),
        ],
    )
    .await;
    assert_eq!(status, 200, "{twiml}");
    twiml
}

#[tokio::test]
async fn a_caller_without_a_smartphone_takes_hears_and_cancels_a_ticket_by_keys() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    app.issue("default").await;
    let caller = "+819055556666";

    let (status, welcome) = signed_post(
        &app.url("/twilio/voice/incoming"),
        &[
            ("CallSid", "CA01"),
            ("From", caller),
            ("To", "+15005550006"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        gather_action(&welcome),
        Some(format!("{}/twilio/voice/menu", app.url("")))
    );
    assert!(welcome.contains("整理券をお取りになる方は1を"), "{welcome}");

    let taken = menu(&app, caller, "1").await;
    assert!(
        taken.contains(
            r#"<Say language="ja-JP" loop="2">受付番号2番をお取りしました。前に1人お待ちです。"#
        ),
        "the number, read twice: {taken}"
    );
    // a mobile number also gets the ticket's page by SMS
    let texted = eventually(Duration::from_secs(10), || async {
        standin.creates().iter().any(|r| {
            r.value("To") == Some(caller) && r.value("Body").is_some_and(|b| b.contains("/t/"))
        })
    })
    .await;
    assert!(texted, "the ticket's link was texted");
    let body = standin.creates()[0].value("Body").unwrap().to_owned();
    let token: String = body.split("/t/").nth(1).unwrap().chars().take(32).collect();
    let ticket = ticket_view(&app, &token).await["ticket"].clone();
    assert_eq!(ticket["channel"], "phone");
    assert_eq!(ticket["phone_status"], "verified");

    let place = menu(&app, caller, "2").await;
    assert!(
        place.contains("受付番号2番、前に1人お待ちです。"),
        "{place}"
    );
    let again = menu(&app, caller, "1").await;
    assert!(
        again.contains("受付番号2番、前に1人"),
        "its ticket, not another: {again}"
    );
    assert_eq!(
        app.get_json("/api/v1/queues/default").await["last_number"],
        2
    );

    let cancelled = menu(&app, caller, "3").await;
    assert!(
        cancelled.contains("受付番号2番を取り消しました"),
        "{cancelled}"
    );
    assert_eq!(
        ticket_view(&app, &token).await["ticket"]["state"],
        "cancelled"
    );
    let none = menu(&app, caller, "2").await;
    assert!(none.contains("本日お取りの整理券はありません"), "{none}");
    let unknown = menu(&app, caller, "7").await;
    assert!(unknown.contains("<Gather "), "the menu again: {unknown}");

    // a withheld number cannot take a ticket
    let withheld = menu(&app, "anonymous", "1").await;
    assert!(withheld.contains("電話番号を通知して"), "{withheld}");
    assert_eq!(
        app.get_json("/api/v1/queues/default").await["last_number"],
        2
    );
}

#[tokio::test]
async fn staff_change_how_far_ahead_the_automatic_call_reaches() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[("AUTODIAL_PLACES", "1")])).await;
    // 3 ahead: out of reach of 1
    let _ = last_ticket_with_a_verified_phone(&app, &standin, 4).await;
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let (_, console) = app.post_form(&staff, "/api/admin/console", &[]).await;
    assert_eq!(console["autodial_places"], 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(standin.calls().is_empty(), "not called at 3 ahead");

    let (status, body) = app
        .post_form(
            &staff,
            "/api/admin/autodial",
            &[("queue", "default"), ("places", "99")],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (_, console) = app.post_form(&staff, "/api/admin/console", &[]).await;
    assert_eq!(console["autodial_places"], 1, "nothing changed");
    // without a staff session: refused
    let (status, _) = app
        .post_form(
            &client(),
            "/api/admin/autodial",
            &[("queue", "default"), ("places", "3")],
        )
        .await;
    assert_eq!(status, 401);

    let (status, _) = app
        .post_form(
            &staff,
            "/api/admin/autodial",
            &[("queue", "default"), ("places", "3")],
        )
        .await;
    assert_eq!(status, 200);
    let (_, console) = app.post_form(&staff, "/api/admin/console", &[]).await;
    assert_eq!(console["autodial_places"], 3);
    let (_, call) = the_call(&standin).await;
    assert!(call
        .value("Twiml")
        .unwrap()
        .contains("受付番号4番の方、まもなく順番です"));
}
