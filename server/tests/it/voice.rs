//! The automatic call when the turn is near: its menu (1 on my way, 2 cancel, 9 repeat) answered
//! through the stand-in as Twilio posts it, the answer seen by the ticket's page and the console,
//! and the SMS that goes instead when the call reaches nobody. Through Prism and the stand-in.

use crate::common::{client, eventually, spawn_app_with, TestApp, TestRedis};
use crate::days::{staff_reset, verified_ticket};
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

/// The test apps' current business day of queue `default` (`2026-11-25`, `2026-11-25.2`).
async fn day_of(redis: &TestRedis) -> String {
    let queue = waitingroom::QueueId::parse("default").unwrap();
    crate::common::store(redis)
        .days()
        .today(&queue)
        .await
        .unwrap()
        .to_string()
}

pub(crate) async fn version(app: &TestApp) -> u64 {
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
    assert_eq!(call.value("AsyncAmd"), Some("true"));
    // no menu keeps the call open past two minutes
    assert_eq!(call.value("TimeLimit"), Some("120"));
    let public = app.url("");
    assert_eq!(
        call.value("StatusCallback").map(str::to_owned),
        Some(format!("{public}/twilio/status"))
    );
    let twiml = call.value("Twiml").unwrap();
    assert!(
        twiml.contains(r#"method="POST" numDigits="1" timeout="8"><Say language="ja-JP" voice="Polly.Mizuki">待合室からのお知らせです。受付番号4番の方、まもなく順番です。"#),
        "{twiml}"
    );
    assert!(twiml.contains("1を"), "the menu: {twiml}");
    // the answer names the ticket: its queue, business day and number, and its call's key
    let action = gather_action(twiml).unwrap();
    let day = day_of(&redis).await;
    let prefix = format!("{public}/twilio/voice/answer?queue=default&day={day}&number=4&key=");
    assert!(action.starts_with(&prefix), "{action}");
    assert!(action.ends_with("&repeats=0&lang=ja"), "{action}");
    let key = &action[prefix.len()..action.len() - "&repeats=0&lang=ja".len()];
    assert_eq!(key.len(), 32, "{action}");
    assert!(!key.contains(&token), "the key is not the ticket's token");

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

    // 9: the words and the menu again, three times at most; then goodbye, and the call ends
    let (status, again) = standin.press(&sid, "9").await;
    assert_eq!(status, 200);
    assert!(
        again.contains("<Gather ") && again.contains("まもなく順番です"),
        "{again}"
    );
    let mut heard = again;
    for repeats in 1..=3 {
        let action = gather_action(&heard).expect("the menu again");
        assert!(
            action.ends_with(&format!("&repeats={repeats}&lang=ja")),
            "{action}"
        );
        let (status, next) =
            signed_post(&action, &[("CallSid", sid.as_str()), ("Digits", "9")]).await;
        assert_eq!(status, 200);
        heard = next;
    }
    assert!(!heard.contains("<Gather"), "no fourth repeat: {heard}");
    assert!(
        heard.contains("お電話ありがとうございました") && heard.ends_with("<Hangup /></Response>"),
        "{heard}"
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
}

/// A goodbye that changed nothing: the call ends.
fn is_goodbye(twiml: &str) -> bool {
    twiml.contains("お電話ありがとうございました")
        && twiml.ends_with("<Hangup /></Response>")
        && !twiml.contains("<Gather")
}

#[tokio::test]
async fn an_answer_acts_only_on_the_ticket_its_call_was_made_for() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    let yesterdays_phone = "+819011110001";
    let todays_phone = "+819022220002";
    let calls_to = |to: &str| {
        standin
            .calls()
            .into_iter()
            .filter(|(_, r)| r.value("To") == Some(to))
            .collect::<Vec<_>>()
    };

    // day 1: ticket 4 gets its automatic call, which its holder leaves unanswered for now
    for _ in 0..3 {
        app.issue("default").await;
    }
    let (number, _) = verified_ticket(&app, &standin, yesterdays_phone).await;
    assert_eq!(number, 4);
    let called = eventually(Duration::from_secs(10), || async {
        calls_to(yesterdays_phone).len() == 1
    })
    .await;
    assert!(called, "day 1: the automatic call");
    let (old_sid, _) = calls_to(yesterdays_phone).remove(0);

    // the staff start a new day: ticket 4 is now a stranger's, with its own call
    staff_reset(&app).await;
    for _ in 0..3 {
        app.issue("default").await;
    }
    let (number, todays_token) = verified_ticket(&app, &standin, todays_phone).await;
    assert_eq!(number, 4);
    let called = eventually(Duration::from_secs(10), || async {
        calls_to(todays_phone).len() == 1
    })
    .await;
    assert!(called, "day 2: the automatic call");
    let (todays_sid, todays_call) = calls_to(todays_phone).remove(0);
    let action = gather_action(todays_call.value("Twiml").unwrap()).unwrap();
    // the ticket shows its call on its way (an event of its own): from then on nothing changes
    let shown = eventually(Duration::from_secs(5), || async {
        ticket_view(&app, &todays_token).await["ticket"]["contact"]["kind"] == "call"
    })
    .await;
    assert!(shown, "today's ticket shows its call");
    let before = version(&app).await;
    let unchanged = || async {
        assert_eq!(
            ticket_view(&app, &todays_token).await["ticket"]["state"],
            "waiting",
            "today's ticket 4 is untouched"
        );
        assert_eq!(version(&app).await, before, "nothing changed");
    };

    // yesterday's call, answered now (signed by Twilio): "cancel" reaches no ticket of today
    let (status, twiml) = standin.press(&old_sid, "2").await;
    assert_eq!(status, 200, "{twiml}");
    assert!(is_goodbye(&twiml), "{twiml}");
    unchanged().await;
    let (status, twiml) = standin.press(&old_sid, "9").await;
    assert_eq!(status, 200);
    assert!(
        is_goodbye(&twiml),
        "yesterday's call is not repeated: {twiml}"
    );

    // today's action URL with another key, or none, signed as Twilio would sign it
    let key_at = action.find("&key=").unwrap() + "&key=".len();
    let forged = format!(
        "{}{}{}",
        &action[..key_at],
        "0".repeat(32),
        &action[key_at + 32..]
    );
    let keyless = action.replace(&action[key_at - "&key=".len()..key_at + 32], "");
    assert!(!keyless.contains("key="), "{keyless}");
    for url in [forged, keyless] {
        let (status, twiml) =
            signed_post(&url, &[("CallSid", todays_sid.as_str()), ("Digits", "2")]).await;
        assert_eq!(status, 200, "{url}: {twiml}");
        assert!(is_goodbye(&twiml), "{url}: {twiml}");
    }
    unchanged().await;
    // the old shape, which named a bare number, is gone
    let (status, _) = signed_post(
        &app.url("/twilio/voice/answer/default/4"),
        &[("CallSid", todays_sid.as_str()), ("Digits", "2")],
    )
    .await;
    assert_eq!(status, 404);
    unchanged().await;

    // today's own call still works
    let (status, bye) = standin.press(&todays_sid, "2").await;
    assert_eq!(status, 200);
    assert!(bye.contains("受付番号4番を取り消しました"), "{bye}");
    assert_eq!(
        ticket_view(&app, &todays_token).await["ticket"]["state"],
        "cancelled"
    );
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
    // the ticket shows the SMS that went instead, not the call its late reports were about
    let texted_shown = eventually(Duration::from_secs(5), || async {
        let contact = &ticket_view(&app, &token).await["ticket"]["contact"];
        contact["kind"] == "sms" && contact["status"] == "queued"
    })
    .await;
    assert!(texted_shown, "{}", ticket_view(&app, &token).await);
}

#[tokio::test]
async fn a_machine_reported_by_twilios_answering_machine_detection_gets_the_sms_once() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    // three tickets in reach of the automatic call, each with its own verified phone
    let phones = ["+819011112222", "+819033334444", "+819055556666"];
    for phone in phones {
        verified_ticket(&app, &standin, phone).await;
    }
    let placed = eventually(Duration::from_secs(10), || async {
        standin.calls().len() == 3
    })
    .await;
    assert!(placed, "three automatic calls");
    let call_to = |phone: &str| {
        standin
            .calls()
            .into_iter()
            .find(|(_, r)| r.value("To") == Some(phone))
            .unwrap()
    };
    let texts_to = |phone: &str| {
        standin
            .creates()
            .into_iter()
            .filter(|r| r.path.ends_with("/Messages.json") && r.value("To") == Some(phone))
            .count()
    };
    for phone in phones {
        let (_, create) = call_to(phone);
        // in the background, the result posted to a webhook of its own (BEHAVIOUR.md: inline
        // TwiML is never held for a synchronous detection)
        assert_eq!(create.value("MachineDetection"), Some("Enable"));
        assert_eq!(create.value("AsyncAmd"), Some("true"));
        assert_eq!(
            create.value("AsyncAmdStatusCallback").map(str::to_owned),
            Some(app.url("/twilio/voice/amd"))
        );
        assert_eq!(texts_to(phone), 1, "the verification SMS only");
    }

    // 1: a machine took the call: one SMS instead, however often and by whichever callback
    // Twilio says so (the detection's own, its retry, a status callback with AnsweredBy)
    let (first, _) = call_to(phones[0]);
    assert_eq!(standin.report(&first, "in-progress", &[]).await, 204);
    assert_eq!(
        standin.machine_detected(&first, "machine_end_beep").await,
        204
    );
    let texted = eventually(Duration::from_secs(10), || async {
        texts_to(phones[0]) == 2
    })
    .await;
    assert!(texted, "an SMS went instead of the call a machine took");
    let body = standin
        .creates()
        .into_iter()
        .rfind(|r| r.value("To") == Some(phones[0]))
        .unwrap()
        .value("Body")
        .unwrap()
        .to_owned();
    assert!(body.contains("まもなく順番です"), "{body}");
    assert_eq!(
        standin.machine_detected(&first, "machine_end_beep").await,
        204
    );
    assert_eq!(
        standin
            .report(&first, "completed", &[("AnsweredBy", "machine_end_beep")])
            .await,
        204
    );

    // 2: the call's last status came first; a machine reported after it still gets its SMS
    let (second, _) = call_to(phones[1]);
    assert_eq!(standin.report(&second, "completed", &[]).await, 204);
    assert_eq!(
        standin.machine_detected(&second, "machine_start").await,
        204
    );
    let texted = eventually(Duration::from_secs(10), || async {
        texts_to(phones[1]) == 2
    })
    .await;
    assert!(texted, "the SMS after a late machine report");

    // 3: a person answered: no SMS
    let (third, _) = call_to(phones[2]);
    assert_eq!(standin.machine_detected(&third, "human").await, 204);
    assert_eq!(standin.report(&third, "completed", &[]).await, 204);

    // unsigned or forged: 403; without AnsweredBy: 400; neither sends anything
    let amd = app.url("/twilio/voice/amd");
    let forged = reqwest::Client::new()
        .post(&amd)
        .header("x-twilio-signature", "forged")
        .form(&[("CallSid", third.as_str()), ("AnsweredBy", "machine_start")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let (status, _) = signed_post(&amd, &[("CallSid", third.as_str())]).await;
    assert_eq!(status, 400);

    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        texts_to(phones[0]),
        2,
        "one SMS instead, however many reports"
    );
    assert_eq!(texts_to(phones[1]), 2);
    assert_eq!(texts_to(phones[2]), 1, "a person answered: no SMS");
}

/// A new call to the store's number (a CallSid of its own) presses `digits` on the menu, from
/// `from`.
pub(crate) async fn menu(app: &TestApp, from: &str, digits: &str) -> String {
    let (status, twiml) = press(app, &new_call_sid(), from, digits, &[]).await;
    assert_eq!(status, 200, "{twiml}");
    twiml
}

fn new_call_sid() -> String {
    format!("CA{}", waitingroom::services::random_token())
}

/// Call `sid` from `from` presses `digits` on the store's menu, as Twilio posts it (with `extra`
/// parameters: `StirVerstat`).
async fn press(
    app: &TestApp,
    sid: &str,
    from: &str,
    digits: &str,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let mut params = vec![
        ("CallSid", sid),
        ("From", from),
        ("To", "+15005550006"),
        ("Digits", digits),
    ];
    params.extend_from_slice(extra);
    signed_post(&app.url("/twilio/voice/menu?repeats=0"), &params).await
}

/// A call from `from` to the store's number starts (with `extra` parameters): what it hears.
async fn incoming(app: &TestApp, from: &str, extra: &[(&str, &str)]) -> String {
    let sid = new_call_sid();
    let mut params = vec![
        ("CallSid", sid.as_str()),
        ("From", from),
        ("To", "+15005550006"),
    ];
    params.extend_from_slice(extra);
    let (status, twiml) = signed_post(&app.url("/twilio/voice/incoming"), &params).await;
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

    let welcome = incoming(&app, caller, &[]).await;
    assert_eq!(
        gather_action(&welcome),
        Some(format!("{}/twilio/voice/menu?repeats=0", app.url("")))
    );
    assert!(welcome.contains("整理券をお取りになる方は1を"), "{welcome}");

    let taken = menu(&app, caller, "1").await;
    assert!(
        taken.contains(
            r#"<Say language="ja-JP" loop="2" voice="Polly.Mizuki">受付番号2番をお取りしました。前に1人お待ちです。"#
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
    // an unknown key: the menu again, three times at most; then goodbye, and the call ends
    let sid = new_call_sid();
    let mut heard = welcome;
    for repeats in 1..=3 {
        let (status, next) = signed_post(
            &gather_action(&heard).expect("the menu"),
            &[("CallSid", sid.as_str()), ("From", caller), ("Digits", "7")],
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            gather_action(&next),
            Some(format!(
                "{}/twilio/voice/menu?repeats={repeats}",
                app.url("")
            )),
            "the menu again: {next}"
        );
        heard = next;
    }
    let (status, last) = signed_post(
        &gather_action(&heard).unwrap(),
        &[("CallSid", sid.as_str()), ("From", caller), ("Digits", "7")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(is_goodbye(&last), "no fourth repeat: {last}");

    // a withheld number cannot take a ticket
    let withheld = menu(&app, "anonymous", "1").await;
    assert!(withheld.contains("電話番号を通知して"), "{withheld}");
    assert_eq!(
        app.get_json("/api/v1/queues/default").await["last_number"],
        2
    );
}

#[tokio::test]
async fn a_press_on_the_phone_menu_that_twilio_posts_twice_is_carried_out_once() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    app.issue("default").await;
    let caller = "+819055556666";
    let last_number =
        || async { app.get_json("/api/v1/queues/default").await["last_number"].clone() };

    // 1 (take a ticket), posted again by Twilio while the first delivery is being answered
    let sid = new_call_sid();
    let (first, retry) = tokio::join!(
        press(&app, &sid, caller, "1", &[]),
        press(&app, &sid, caller, "1", &[])
    );
    assert_eq!((first.0, retry.0), (200, 200), "{first:?} {retry:?}");
    assert!(first.1.contains("受付番号2番をお取りしました"), "{first:?}");
    assert_eq!(retry.1, first.1, "the retry hears the same answer");
    assert_eq!(last_number().await, 2, "one ticket, not two");
    // and once more after it was answered: the same answer, no other ticket
    let late = press(&app, &sid, caller, "1", &[]).await;
    assert_eq!(late, first);
    assert_eq!(last_number().await, 2);
    let texts_to_caller = || {
        standin
            .creates()
            .into_iter()
            .filter(|r| r.value("To") == Some(caller))
            .count()
    };
    let texted = eventually(Duration::from_secs(10), || async { texts_to_caller() == 1 }).await;
    assert!(texted, "the ticket's page was texted");

    // 3 (cancel), posted twice at once: cancelled once, both deliveries answered alike
    let sid = new_call_sid();
    let (first, retry) = tokio::join!(
        press(&app, &sid, caller, "3", &[]),
        press(&app, &sid, caller, "3", &[])
    );
    assert_eq!((first.0, retry.0), (200, 200), "{first:?} {retry:?}");
    assert!(first.1.contains("受付番号2番を取り消しました"), "{first:?}");
    assert_eq!(retry.1, first.1);
    let snapshot = app.get_json("/api/v1/queues/default").await;
    assert_eq!(snapshot["waiting"], serde_json::json!([1]), "{snapshot}");
    assert_eq!(texts_to_caller(), 1, "one text of the ticket's page");
}

#[tokio::test]
async fn a_caller_id_that_failed_its_attestation_reaches_no_ticket_of_that_number() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    let holder = "+819055556666";
    // the holder takes ticket 1 by phone (no StirVerstat: most calls in Japan carry none)
    let taken = menu(&app, holder, "1").await;
    assert!(taken.contains("受付番号1番をお取りしました"), "{taken}");
    let before = version(&app).await;
    let waiting = || async { app.get_json("/api/v1/queues/default").await["waiting"].clone() };
    assert_eq!(waiting().await, serde_json::json!([1]));

    // a call that claims the holder's number, whose caller ID Twilio says failed its check
    let failed = [("StirVerstat", "TN-Validation-Failed-A")];
    let welcome = incoming(&app, holder, &failed).await;
    assert!(!welcome.contains("<Gather"), "no menu: {welcome}");
    assert!(
        welcome.contains("電話番号を確認できませんでした"),
        "{welcome}"
    );
    assert!(welcome.ends_with("<Hangup /></Response>"), "{welcome}");
    // nor does a press on the menu (were it posted) hear, cancel or take a ticket for it
    for digits in ["3", "2", "1"] {
        let (status, twiml) = press(&app, &new_call_sid(), holder, digits, &failed).await;
        assert_eq!(status, 200, "{twiml}");
        assert!(
            twiml.contains("電話番号を確認できませんでした"),
            "{digits}: {twiml}"
        );
        assert!(!twiml.contains("受付番号"), "{digits}: {twiml}");
    }
    assert_eq!(version(&app).await, before, "nothing changed");
    assert_eq!(waiting().await, serde_json::json!([1]));
    assert_eq!(
        app.get_json("/api/v1/queues/default").await["last_number"],
        1
    );

    // an attestation that passed: the menu serves the number as it always did
    let passed = [("StirVerstat", "TN-Validation-Passed-A")];
    let welcome = incoming(&app, holder, &passed).await;
    assert!(welcome.contains("<Gather "), "{welcome}");
    let (_, place) = press(&app, &new_call_sid(), holder, "2", &passed).await;
    assert!(place.contains("受付番号1番、前に0人"), "{place}");
    let (_, cancelled) = press(&app, &new_call_sid(), holder, "3", &passed).await;
    assert!(
        cancelled.contains("受付番号1番を取り消しました"),
        "{cancelled}"
    );
    assert_eq!(waiting().await, serde_json::json!([]));
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
