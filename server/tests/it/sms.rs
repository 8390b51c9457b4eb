//! Texts to the store's number, posted as Twilio posts them (signed): 受付 / JOIN takes a ticket,
//! 状況 / STATUS tells where it is, キャンセル / CANCEL cancels it, STOP silences the number (the
//! outbox sends it nothing, scheduled or not) until START; anything else gets help. A retried
//! webhook gets the same reply and changes nothing; a forged one is refused. A number we may not
//! text (outside the allowed regions, or no mobile) gets no reply, and its text changes nothing.

use crate::common::TestRedis;
use crate::common::{client, eventually, spawn_app_with, TestApp};
use crate::twilio_standin::{signed_post, TwilioStandIn};
use serde_json::Value;
use std::time::Duration;

const CUSTOMER: &str = "+819011112222";

/// Texts `body` from `from` as message `sid`; answers the HTTP status and the reply's TwiML.
pub async fn text(app: &TestApp, sid: &str, from: &str, body: &str) -> (u16, String) {
    signed_post(
        &app.url("/twilio/sms"),
        &[
            ("MessageSid", sid),
            ("AccountSid", crate::twilio_standin::ACCOUNT_SID),
            ("From", from),
            ("To", "+15005550006"),
            ("Body", body),
        ],
    )
    .await
}

/// The text of the reply's one `<Message>` (`None`: no reply).
fn message(twiml: &str) -> Option<&str> {
    let start = twiml.find("<Message>")? + "<Message>".len();
    Some(&twiml[start..start + twiml[start..].find("</Message>")?])
}

async fn last_number(app: &TestApp) -> u64 {
    app.get_json("/api/v1/queues/default").await["last_number"]
        .as_u64()
        .unwrap()
}

async fn ticket_of_link(app: &TestApp, reply: &str) -> Value {
    let token = reply
        .split("/t/")
        .nth(1)
        .expect("the ticket's link")
        .chars()
        .take(32)
        .collect::<String>();
    let (status, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", &token)])
        .await;
    assert_eq!(status, 200);
    view["ticket"].clone()
}

#[tokio::test]
async fn a_text_takes_a_ticket_asks_where_it_is_and_cancels_it() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    app.issue("default").await;
    app.issue("default").await;

    let (status, twiml) = text(&app, "SM0001", CUSTOMER, "受付").await;
    assert_eq!(status, 200);
    assert!(
        twiml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message>"#),
        "{twiml}"
    );
    let joined = message(&twiml).unwrap().to_owned();
    assert!(
        joined.starts_with("【待合室】受付番号3番です。前に2人お待ちです。"),
        "{joined}"
    );
    assert!(joined.contains(&format!("{}/t/", app.url(""))), "{joined}");
    let ticket = ticket_of_link(&app, &joined).await;
    assert_eq!(ticket["channel"], "phone");
    assert_eq!(ticket["phone_status"], "verified", "it texted us");

    // Twilio retries the webhook: the same reply, no second ticket
    assert_eq!(
        text(&app, "SM0001", CUSTOMER, "受付").await,
        (200, twiml.clone())
    );
    assert_eq!(last_number(&app).await, 3);
    // JOIN again from the same phone: its ticket, not another one
    let (_, again) = text(&app, "SM0002", CUSTOMER, "JOIN").await;
    assert!(
        message(&again).unwrap().contains("Ticket 3: 2 ahead"),
        "{again}"
    );
    assert_eq!(last_number(&app).await, 3);

    let (_, status_ja) = text(&app, "SM0003", CUSTOMER, "状況").await;
    assert!(
        message(&status_ja)
            .unwrap()
            .starts_with("【待合室】受付番号3番：前に2人お待ちです。"),
        "{status_ja}"
    );

    // a forged text changes nothing; one without a Sid is malformed
    let forged = reqwest::Client::new()
        .post(app.url("/twilio/sms"))
        .header("x-twilio-signature", "forged")
        .form(&[
            ("MessageSid", "SM0009"),
            ("From", CUSTOMER),
            ("Body", "キャンセル"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(ticket_of_link(&app, &joined).await["state"], "waiting");
    let (status, _) = signed_post(&app.url("/twilio/sms"), &[("Body", "受付")]).await;
    assert_eq!(status, 400);

    let (_, cancelled) = text(&app, "SM0004", CUSTOMER, "キャンセル").await;
    assert!(
        message(&cancelled)
            .unwrap()
            .contains("受付番号3番を取り消しました"),
        "{cancelled}"
    );
    assert_eq!(ticket_of_link(&app, &joined).await["state"], "cancelled");
    let (_, none) = text(&app, "SM0005", CUSTOMER, "status").await;
    assert!(
        message(&none).unwrap().contains("You hold no ticket today"),
        "{none}"
    );
    let (_, help) = text(&app, "SM0006", CUSTOMER, "こんにちは").await;
    assert!(
        message(&help).unwrap().contains("「受付」で整理券"),
        "{help}"
    );

    // every text received is in the console's log, numbers masked
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let (_, log) = app.post_form(&staff, "/api/admin/contact_log", &[]).await;
    let received: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "received")
        .collect();
    assert_eq!(received.len(), 6, "one entry per MessageSid: {log}");
    assert!(received.iter().all(|e| e["to"] == "090-****-2222"), "{log}");
    // the whole number only for staff who open the ticket
    let open = |client: reqwest::Client, number: &'static str| {
        let app = &app;
        async move {
            app.post_form(
                &client,
                "/api/admin/ticket_phone",
                &[("queue", "default"), ("number", number)],
            )
            .await
        }
    };
    assert_eq!(
        open(staff.clone(), "3").await,
        (200, Value::from("090-1111-2222"))
    );
    assert_eq!(
        open(client(), "3").await.0,
        401,
        "not without a staff session"
    );
    assert_eq!(
        open(staff.clone(), "1").await.0,
        409,
        "ticket 1 has no phone"
    );
}

#[tokio::test]
async fn after_stop_nothing_is_sent_to_the_number_until_start() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    let (_, joined) = text(&app, "SM0101", CUSTOMER, "JOIN").await;
    assert!(
        message(&joined).unwrap().contains("Your ticket is 1"),
        "{joined}"
    );

    let (status, stopped) = standin
        .text_in(&app.url("/twilio/sms"), "SM0102", CUSTOMER, "STOP", false)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        message(&stopped),
        None,
        "Twilio confirms a STOP itself: {stopped}"
    );
    let (_, silent) = text(&app, "SM0103", CUSTOMER, "状況").await;
    assert_eq!(
        message(&silent),
        None,
        "a stopped number gets no replies: {silent}"
    );

    // staff call the ticket's phone: the job is made, but nothing reaches Twilio
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let call_out = || async { app.call_phone(&staff, 1, "1").await.0 };
    assert_eq!(call_out().await, 200);
    let refused = eventually(Duration::from_secs(10), || async {
        let (_, log) = app.post_form(&staff, "/api/admin/contact_log", &[]).await;
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["status"] == "failed" && e["error_code"] == "21610")
    })
    .await;
    assert!(refused, "the log shows the call was not made, and why");
    assert!(standin.creates().is_empty(), "nothing was sent");
    // and the number cannot be registered for texts on a ticket page either
    let slip: Value = app.issue("default").await.json().await.unwrap();
    let (status, body) = app
        .post_form(
            &client(),
            "/api/ticket/phone",
            &[
                ("token", slip["ticket"]["token"].as_str().unwrap()),
                ("phone", "090-1111-2222"),
            ],
        )
        .await;
    assert_eq!(status, 409, "{body}");

    // Twilio answers START itself: a reply of ours would be a second one
    let (_, started) = standin
        .text_in(&app.url("/twilio/sms"), "SM0104", CUSTOMER, "start", false)
        .await;
    assert_eq!(message(&started), None, "{started}");
    assert_eq!(call_out().await, 200);
    let called = eventually(Duration::from_secs(10), || async {
        standin.calls().len() == 1
    })
    .await;
    assert!(called, "after START the call goes out");
}

#[tokio::test]
async fn a_text_from_a_number_we_may_not_text_gets_no_reply_and_changes_nothing() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let config = standin.config(&redis, &[("TWILIO_ALLOWED_COUNTRIES", "JP,US,CA")]);
    let app = spawn_app_with(config).await;
    // correctly signed texts from Jamaica (+1, but not the US nor Canada), the Isle of Man
    // (+44), a Tokyo landline (JP, but no mobile): each asks for a reply we would pay for
    let senders = ["+18762101234", "+447624123456", "+81312345678"];
    for (i, from) in senders.iter().enumerate() {
        for (j, body) in [
            "HELP",
            "状況",
            "START",
            "受付",
            "JOIN",
            "STOP",
            "キャンセル",
        ]
        .iter()
        .enumerate()
        {
            let sid = format!("SM09{i}{j}");
            let (status, twiml) = text(&app, &sid, from, body).await;
            assert_eq!(status, 200, "Twilio is answered");
            assert_eq!(
                twiml, r#"<?xml version="1.0" encoding="UTF-8"?><Response />"#,
                "no reply to {body} from {from}"
            );
        }
    }
    // an allowed mobile's HELP is answered: the webhook did run
    let (_, help) = text(&app, "SM0999", "+14158675309", "hello").await;
    assert!(message(&help).is_some(), "{help}");

    assert_eq!(last_number(&app).await, 0, "no ticket taken");
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let (_, log) = app.post_form(&staff, "/api/admin/contact_log", &[]).await;
    let log = log.as_array().unwrap();
    assert_eq!(
        log.len(),
        1,
        "only the allowed number's text is logged: {log:?}"
    );
    assert!(
        standin.creates().is_empty(),
        "nothing was sent through Twilio"
    );
}

#[tokio::test]
async fn the_outbox_sends_nothing_to_a_number_outside_the_allowed_regions() {
    // a ticket holds a Jamaican number (kept before the allow-list was narrowed, say): its
    // verification text and staff's call to it are refused by the outbox itself
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let config = standin.config(
        &redis,
        &[
            ("TWILIO_ALLOWED_COUNTRIES", "US,CA"),
            ("AUTODIAL_PLACES", "0"),
        ],
    );
    let app = spawn_app_with(config).await;
    let slip: Value = app.issue("default").await.json().await.unwrap();
    let token = waitingroom::TicketToken::parse(slip["ticket"]["token"].as_str().unwrap()).unwrap();
    let store = crate::common::store(&redis);
    let queue = waitingroom::QueueId::parse("default").unwrap();
    let jamaica = waitingroom::PhoneNumber::parse("+18762101234").unwrap();
    let link = "0123456789abcdef0123456789abcdef";
    let registration = waitingroom::store::Registration {
        phone: &jamaica,
        link_token: link,
        valid_until_ms: u64::MAX,
        max_sms: 3,
        body: "verify",
        send_sms: true,
        call_in: false,
        call_codes: &[],
        max_numbers: 3,
    };
    let now = crate::common::test_calendar().now();
    store
        .phone_records()
        .register_phone(&queue, 1, &token, &registration, now)
        .await
        .unwrap();
    store
        .phone_records()
        .verify_phone(&queue, link, now)
        .await
        .unwrap();
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let (status, _) = app.call_phone(&staff, 1, "1").await;
    assert_eq!(status, 200, "the call is made due");
    let failed = |log: &Value, code: &str| {
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["status"] == "failed" && e["error_code"] == code)
    };
    let refused = eventually(Duration::from_secs(10), || async {
        let (_, log) = app.post_form(&staff, "/api/admin/contact_log", &[]).await;
        failed(&log, "21408") && failed(&log, "21215")
    })
    .await;
    assert!(
        refused,
        "the log shows the text and the call refused, and why"
    );
    assert!(standin.creates().is_empty(), "nothing reached Twilio");
}

#[tokio::test]
async fn twilios_keywords_change_our_stop_list_as_they_change_twilios_and_get_no_second_reply() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    let webhook = app.url("/twilio/sms");
    let (_, joined) = text(&app, "SM0201", CUSTOMER, "JOIN").await;
    assert!(message(&joined).is_some(), "{joined}");
    let sends = standin.creates().len();

    // HELP and INFO: Twilio answers them
    for (sid, word) in [("SM0202", "HELP"), ("SM0203", "info")] {
        let (status, reply) = standin.text_in(&webhook, sid, CUSTOMER, word, false).await;
        assert_eq!((status, message(&reply)), (200, None), "{word}");
    }
    // English CANCEL is an opt-out at Twilio: the number is stopped, and its ticket cancelled
    let (_, reply) = standin
        .text_in(&webhook, "SM0204", CUSTOMER, "Cancel", false)
        .await;
    assert_eq!(
        message(&reply),
        None,
        "Twilio confirms the opt-out: {reply}"
    );
    assert!(standin.is_opted_out(CUSTOMER));
    let (_, status) = text(&app, "SM0205", CUSTOMER, "STATUS").await;
    assert_eq!(message(&status), None, "stopped: no reply");
    // YES opts back in, silently (Twilio answers it); the ticket stays cancelled
    let (_, reply) = standin
        .text_in(&webhook, "SM0206", CUSTOMER, "YES", false)
        .await;
    assert_eq!(message(&reply), None, "{reply}");
    let (_, status) = text(&app, "SM0207", CUSTOMER, "STATUS").await;
    assert!(
        message(&status).unwrap().contains("no ticket"),
        "the ticket was cancelled by CANCEL: {status}"
    );
    assert_eq!(standin.creates().len(), sends, "no second reply was sent");

    // a Messaging Service whose keywords the shop changed: Twilio's OptOutType decides
    let (_, reply) = standin
        .text_in(&webhook, "SM0208", CUSTOMER, "配信停止", true)
        .await;
    assert_eq!(message(&reply), None);
    let (_, status) = text(&app, "SM0209", CUSTOMER, "状況").await;
    assert_eq!(message(&status), None, "stopped by 配信停止: no reply");
}

#[tokio::test]
async fn a_send_twilio_refuses_as_opted_out_puts_the_number_on_our_stop_list() {
    // the customer texted STOP, Twilio blocked the number, and its webhook never reached us
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    standin.opt_out(CUSTOMER);
    let register = || async {
        let slip: Value = app.issue("default").await.json().await.unwrap();
        let token = slip["ticket"]["token"].as_str().unwrap().to_owned();
        app.post_form(
            &client(),
            "/api/ticket/phone",
            &[("token", token.as_str()), ("phone", "090-1111-2222")],
        )
        .await
    };
    let (status, body) = register().await;
    assert_eq!(status, 200, "{body}");
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let refused = eventually(Duration::from_secs(10), || async {
        let (_, log) = app.post_form(&staff, "/api/admin/contact_log", &[]).await;
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["status"] == "failed" && e["error_code"] == "21610")
    })
    .await;
    assert!(refused, "Twilio refused the verification text with 21610");
    // on our stop list now: the next registration is refused before anything is sent
    let tries = standin.creates().len();
    let (status, body) = register().await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "phone_stopped", "{body}");
    assert_eq!(standin.creates().len(), tries, "nothing more was tried");
}
