//! A customer's phone: registered on the ticket page, texted a verification link through the
//! outbox (Twilio through Prism and the stand-in, or the dev outbox), verified by opening it.

use crate::common::{
    client, client_at, config_with, eventually, spawn_app_with, TestApp, TestRedis,
};
use crate::twilio_standin::TwilioStandIn;
use serde_json::{json, Value};
use std::time::Duration;

/// An app sending through `standin`; these tests are about texts: no automatic calls (those are
/// tested in it/webhooks.rs).
fn with_twilio(redis: &TestRedis, standin: &TwilioStandIn) -> server::Config {
    standin.config(redis, &[("AUTODIAL_PLACES", "0")])
}

pub(crate) async fn ticket_token(app: &TestApp) -> String {
    let slip: Value = app.issue("default").await.json().await.unwrap();
    slip["ticket"]["token"].as_str().unwrap().to_owned()
}

/// The default queue's live channel, as a screen watches it (its snapshot read).
async fn watch(app: &TestApp) -> crate::common::Socket {
    let (mut screen, _) =
        tokio_tungstenite::connect_async(app.ws_url("/api/v1/queues/default/live"))
            .await
            .unwrap();
    crate::common::next_json(&mut screen).await;
    screen
}

pub(crate) async fn register(
    app: &TestApp,
    phone: &reqwest::Client,
    token: &str,
    number: &str,
) -> (u16, Value) {
    app.post_form(
        phone,
        "/api/ticket/phone",
        &[("token", token), ("phone", number)],
    )
    .await
}

/// A link refused (used, expired, or for another number): the button's post comes back to the
/// link's page, which says so in Japanese.
async fn assert_link_refused(phone: &reqwest::Client, pressed: reqwest::Response) {
    let (location, page) = crate::common::refusal_page(phone, pressed).await;
    assert!(location.contains("/v/default/"), "{location}");
    assert!(
        page.contains("このリンクは期限切れか、すでに使われています"),
        "the page says why"
    );
}

async fn phone_status(app: &TestApp, token: &str) -> Value {
    let (_, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", token)])
        .await;
    view["ticket"]["phone_status"].clone()
}

/// The path of the verification link in `body` (the link names this site: `http://HOST/v/...`).
fn link_path(body: &str) -> String {
    let start = body.find("/v/").expect("a link");
    assert!(
        body[..start].ends_with(|c: char| c.is_ascii_digit()),
        "after the host: {body}"
    );
    body[start..].split_whitespace().next().unwrap().to_owned()
}

/// Opens the verification link in SMS `body` as the phone's holder does: the page (which changes
/// nothing), then its button (the page's form, posted as a browser posts it). Answers the
/// button's response: a redirect to the ticket's page, or back to the link's page with the error.
pub async fn open_link(app: &TestApp, phone: &reqwest::Client, body: &str) -> reqwest::Response {
    let path = link_path(body);
    let page = phone
        .get(app.url(&path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "the link's page");
    let (queue, token) = path["/v/".len()..].split_once('/').unwrap();
    app.post(phone, "/api/verify/open")
        .header("accept", "text/html")
        .header("referer", app.url(&path))
        .form(&[("queue", queue), ("token", token)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_phone_is_verified_by_the_link_twilio_texts_it() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(with_twilio(&redis, &standin)).await;
    let token = ticket_token(&app).await;
    let mut screen = watch(&app).await;

    let phone = client();
    let (status, body) = register(&app, &phone, &token, "０９０－１２３４－５６７８").await;
    assert_eq!((status, body), (200, json!("pending")));
    assert_eq!(phone_status(&app, &token).await, "pending");
    let sent = eventually(Duration::from_secs(10), || async {
        !standin.creates().is_empty()
    })
    .await;
    assert!(sent, "the outbox sent the SMS through Twilio");
    let sms = standin.creates().remove(0);
    assert_eq!(sms.value("To"), Some("+819012345678"));
    assert_eq!(
        sms.value("From"),
        Some("WaitingRoom"),
        "the SMS sender, not the voice number"
    );
    let text = sms.value("Body").unwrap();
    assert!(
        text.contains("受付番号"),
        "in the ticket's language: {text}"
    );
    let path = link_path(text);
    assert!(path.starts_with("/v/default/"), "{path}");

    // the event says "pending", never the number
    let mut event = crate::common::next_json(&mut screen).await;
    while event["event"]["change"] == "issued" {
        event = crate::common::next_json(&mut screen).await;
    }
    assert_eq!(event["event"]["change"], "phone");
    assert_eq!(event["event"]["ticket"]["phone_status"], "pending");
    assert!(
        !event.to_string().contains("9012345678"),
        "no number in events"
    );

    // a link previewer (a chat app, a mail scanner, a carrier's URL check) fetches the link, as
    // often as it likes, from anywhere: nothing is verified, nor used up
    for accept in ["text/html", "*/*"] {
        let previewed = client_at("127.0.0.9")
            .get(app.url(&path))
            .header("accept", accept)
            .header("user-agent", "facebookexternalhit/1.1")
            .send()
            .await
            .unwrap();
        assert_eq!(previewed.status(), 200);
        let page = previewed.text().await.unwrap();
        assert!(
            page.contains("電話番号を確認する"),
            "the page asks for a press"
        );
    }
    let head = client().head(app.url(&path)).send().await.unwrap();
    assert!(head.status().is_success(), "{}", head.status());
    assert_eq!(
        phone_status(&app, &token).await,
        "pending",
        "a GET verifies nothing"
    );

    let opened = open_link(&app, &phone, text).await;
    assert!(opened.status().is_redirection(), "{}", opened.status());
    // back to the link's own page, which says it is done: never to the ticket (a mistyped
    // number's link opened by a stranger gives them nothing of the ticket)
    let location = opened.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&path) && location.ends_with("?verified"),
        "{location}"
    );
    assert!(!location.contains(&token), "{location}");
    let done = phone.get(app.url(&location)).send().await.unwrap();
    let done = done.text().await.unwrap();
    assert!(
        done.contains("電話番号を確認しました"),
        "the page says it is done"
    );
    assert!(!done.contains(&token), "the page names no ticket");
    assert_eq!(phone_status(&app, &token).await, "verified");
    // the ticket showing its text on its way (an event of its own) may come first
    let mut event = crate::common::next_json(&mut screen).await;
    while event["event"]["ticket"]["phone_status"] == "pending" {
        assert_eq!(
            event["event"]["ticket"]["contact"]["kind"], "sms",
            "{event}"
        );
        event = crate::common::next_json(&mut screen).await;
    }
    assert_eq!(event["event"]["ticket"]["phone_status"], "verified");

    // the ticket's holder sees the number masked, in the API and in the page's embedded data
    let (_, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", &token)])
        .await;
    assert_eq!(view["phone"], "090-****-5678", "{view}");
    let page = app.get_text(&format!("/t/{token}")).await;
    for (what, text) in [("the view", view.to_string()), ("the page", page)] {
        assert!(!text.contains("9012345678"), "{what} leaks the number");
        assert!(!text.contains("1234-5678"), "{what} leaks the number");
    }

    let again = open_link(&app, &phone, text).await;
    assert_link_refused(&phone, again).await; // single use
    assert_eq!(standin.creates().len(), 1, "one SMS");
}

#[tokio::test]
async fn bad_numbers_and_too_many_texts_are_refused_and_nothing_is_sent() {
    let redis = TestRedis::start();
    let config = config_with(&redis.url(), &[("SMS_MAX_PER_ADDRESS_PER_DAY", "4")]);
    let app = spawn_app_with(config).await;
    let token = ticket_token(&app).await;
    let phone = client_at("127.0.0.2");
    for bad in ["", "abc", "090-1234", "０３"] {
        let (status, body) = register(&app, &phone, &token, bad).await;
        assert_eq!(status, 422, "{bad:?} {body}");
        assert_eq!(body["error"], "bad_phone");
    }
    let (status, body) = register(&app, &phone, &token, "+1 415 867 5309").await;
    assert_eq!(
        (status, body),
        (422, json!({"error": "bad_phone", "reason": "country"}))
    );
    assert_eq!(
        phone_status(&app, &token).await,
        Value::Null,
        "nothing registered"
    );

    for _ in 0..3 {
        let (status, _) = register(&app, &phone, &token, "090-1234-5678").await;
        assert_eq!(status, 200);
    }
    let (status, body) = register(&app, &phone, &token, "090-1234-5678").await;
    assert_eq!(
        (status, body),
        (429, json!({"error": "sms_per_ticket", "max": 3}))
    );
    // the address's limit of the day holds across tickets
    let other = ticket_token(&app).await;
    let (status, _) = register(&app, &phone, &other, "080-1111-2222").await;
    assert_eq!(status, 200, "the 4th text of this address");
    let (status, body) = register(&app, &phone, &other, "080-1111-2222").await;
    assert_eq!((status, body), (429, json!({"error": "sms_limited"})));

    // without Twilio, the texts wait in the dev outbox, marked as not sent
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let shown = eventually(Duration::from_secs(10), || async {
        let (_, outbox) = app.post_form(&staff, "/api/admin/dev_outbox", &[]).await;
        outbox.as_array().is_some_and(|m| m.len() == 4)
    })
    .await;
    assert!(shown, "4 texts in the dev outbox");
}

#[tokio::test]
async fn a_few_networks_cannot_spend_the_hours_texts_and_block_verification_for_everyone() {
    let redis = TestRedis::start();
    let config = config_with(
        &redis.url(),
        &[("SMS_MAX_PER_HOUR", "20"), ("TRUSTED_PROXIES", "127.0.0.1")],
    );
    let app = spawn_app_with(config).await;
    let register_from = |network: &'static str, i: usize| {
        let app = &app;
        async move {
            let token = ticket_token(app).await;
            let number = format!("090-1234-{:04}", 5000 + i);
            app.post(&client(), "/api/ticket/phone")
                .header("x-forwarded-for", format!("{network}{}", 10 + i))
                .form(&[("token", token.as_str()), ("phone", number.as_str())])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // one attacker's /24 (a new address, a new ticket and a new number each time): a tenth of
    // the hour's 20 texts
    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(register_from("198.51.100.", i).await);
    }
    assert_eq!(statuses, [200, 200, 429, 429, 429], "one network's share");
    // everyone else still verifies
    assert_eq!(register_from("203.0.113.", 0).await, 200);
    assert_eq!(register_from("192.0.2.", 0).await, 200);
}

#[tokio::test]
async fn a_link_sent_to_an_earlier_number_does_not_verify_a_later_one() {
    let redis = TestRedis::start();
    let app = spawn_app_with(config_with(&redis.url(), &[])).await;
    let token = ticket_token(&app).await;
    let phone = client();
    register(&app, &phone, &token, "090-1111-1111").await;
    register(&app, &phone, &token, "090-2222-2222").await;
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let mut outbox = Value::Null;
    for _ in 0..100 {
        outbox = app.post_form(&staff, "/api/admin/dev_outbox", &[]).await.1;
        if outbox.as_array().is_some_and(|m| m.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let to_first = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to"] == "+819011111111")
        .expect("the first text");
    let opened = open_link(&app, &phone, to_first["body"].as_str().unwrap()).await;
    assert_link_refused(&phone, opened).await;
    assert_eq!(phone_status(&app, &token).await, "pending");
}

#[tokio::test]
async fn two_server_processes_send_each_text_once() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let a = spawn_app_with(with_twilio(&redis, &standin)).await;
    let b = spawn_app_with(with_twilio(&redis, &standin)).await;
    for i in 0..6 {
        let token = ticket_token(&a).await;
        let (status, _) = register(&b, &client(), &token, &format!("090-1000-000{i}")).await;
        assert_eq!(status, 200);
    }
    let all = eventually(Duration::from_secs(15), || async {
        standin.creates().len() >= 6
    })
    .await;
    assert!(all, "every text sent");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut numbers: Vec<String> = standin
        .creates()
        .iter()
        .map(|r| r.value("To").unwrap().to_owned())
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(
        standin.creates().len(),
        6,
        "each once, by one of the two processes"
    );
    assert_eq!(numbers.len(), 6);
}

#[tokio::test]
async fn a_phone_given_at_remote_check_in_is_texted_its_link_and_a_bad_one_takes_no_ticket() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(with_twilio(&redis, &standin)).await;
    let phone = client();
    let (status, body) = app
        .post_form(
            &phone,
            "/api/join/take",
            &[("queue", "default"), ("phone", "090-1234")],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        app.get_json("/api/v1/queues/default").await["last_number"],
        0,
        "no ticket taken"
    );

    let (status, body) = app
        .post_form(
            &phone,
            "/api/join/take",
            &[("queue", "default"), ("phone", "+81 90 1234 5678")],
        )
        .await;
    assert!(status < 400, "{status} {body}");
    let token = body.as_str().unwrap().trim_start_matches("/t/").to_owned();
    assert_eq!(
        app.get_json("/api/v1/queues/default").await["last_number"],
        1
    );
    let texted = eventually(Duration::from_secs(10), || async {
        standin.creates().len() == 1
    })
    .await;
    assert!(texted, "the verification link was texted");
    let text = standin.creates()[0].value("Body").unwrap().to_owned();
    assert!(text.contains("受付番号1番"), "{text}");
    let opened = open_link(&app, &phone, &text).await;
    assert!(opened.status().is_redirection());
    assert_eq!(phone_status(&app, &token).await, "verified");
}

/// The texts the dev outbox holds (the console's view of it).
async fn dev_outbox(app: &TestApp) -> Vec<Value> {
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let (_, outbox) = app.post_form(&staff, "/api/admin/dev_outbox", &[]).await;
    outbox.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn numbers_of_regions_that_share_an_allowed_calling_code_are_refused() {
    // +1 is the US, Canada and the Caribbean (toll-fraud ranges); +44 is Britain and the Crown
    // Dependencies: the allow-list names regions, not calling codes
    for (allowed, refused, admitted) in [
        (
            "US,CA",
            ["+1 876 210 1234", "+1 (809) 234-5678"], // Jamaica, the Dominican Republic
            "+1 415 867 5309",
        ),
        (
            "GB",
            ["+44 7624 123456", "+44 7781 123456"],
            "+44 7400 123456",
        ), // Isle of Man, Guernsey
    ] {
        let redis = TestRedis::start();
        let config = config_with(&redis.url(), &[("TWILIO_ALLOWED_COUNTRIES", allowed)]);
        let app = spawn_app_with(config).await;
        let token = ticket_token(&app).await;
        let phone = client();
        for number in refused {
            let (status, body) = register(&app, &phone, &token, number).await;
            assert_eq!(
                (status, &body["error"], &body["reason"]),
                (422, &json!("bad_phone"), &json!("country")),
                "{number} with {allowed}: {body}"
            );
            // nor at remote check-in: no ticket taken for it
            let (status, _) = app
                .post_form(
                    &phone,
                    "/api/join/take",
                    &[("queue", "default"), ("phone", number)],
                )
                .await;
            assert_eq!(status, 422, "{number}");
        }
        assert_eq!(
            phone_status(&app, &token).await,
            Value::Null,
            "nothing registered"
        );
        assert_eq!(
            app.get_json("/api/v1/queues/default").await["last_number"],
            1
        );

        // the allowed region's own number goes (so the outbox did run when it shows one text)
        let (status, _) = register(&app, &phone, &token, admitted).await;
        assert_eq!(status, 200, "{admitted} with {allowed}");
        let one = eventually(Duration::from_secs(10), || async {
            dev_outbox(&app).await.len() == 1
        })
        .await;
        assert!(one, "one text in the dev outbox");
        let outbox = dev_outbox(&app).await;
        let to = outbox[0]["to"].as_str().unwrap();
        let admitted = waitingroom::PhoneNumber::parse(admitted).unwrap();
        assert_eq!(to, admitted.as_str(), "only the allowed number");
    }
}

#[tokio::test]
async fn a_landline_cannot_receive_the_verification_text_and_the_page_says_why() {
    let redis = TestRedis::start();
    let app = spawn_app_with(config_with(&redis.url(), &[])).await;
    let token = ticket_token(&app).await;
    let phone = client();
    // a Tokyo landline, an IP phone, a toll-free and a navi-dial number: Japanese, not mobiles
    for number in [
        "03-1234-5678",
        "050-1234-5678",
        "0120-123-456",
        "0570-123-456",
    ] {
        let (status, body) = register(&app, &phone, &token, number).await;
        assert_eq!(
            (status, body),
            (422, json!({"error": "bad_phone", "reason": "not_mobile"})),
            "{number}"
        );
    }
    // the ticket page's form, posted as a browser posts it, comes back with the reason
    let page = format!("/t/{token}");
    let pressed = app
        .post(&phone, "/api/ticket/phone")
        .header("accept", "text/html")
        .header("referer", app.url(&page))
        .form(&[("token", token.as_str()), ("phone", "03-1234-5678")])
        .send()
        .await
        .unwrap();
    let (location, shown) = crate::common::refusal_page(&phone, pressed).await;
    assert!(location.contains(&page), "{location}");
    assert!(
        shown.contains("この番号にはSMSを送れません"),
        "the page says why, in Japanese"
    );
    assert_eq!(
        phone_status(&app, &token).await,
        Value::Null,
        "nothing registered"
    );
    // a mobile goes: the outbox ran, and holds that one text only
    let (status, _) = register(&app, &phone, &token, "090-1234-5678").await;
    assert_eq!(status, 200);
    let sent = eventually(Duration::from_secs(10), || async {
        !dev_outbox(&app).await.is_empty()
    })
    .await;
    assert!(sent);
    let outbox = dev_outbox(&app).await;
    assert_eq!(outbox.len(), 1, "only the mobile was texted: {outbox:?}");
    assert_eq!(outbox[0]["to"], "+819012345678");
}

/// The staff console reads its log (with Twilio) or dev outbox (without) again when a ticket's
/// SMS or call is made or moves on: the text the outbox makes is in them by the time the event
/// of its ticket showing it is on the live channel.
#[tokio::test]
async fn a_text_the_outbox_makes_is_in_the_log_or_dev_outbox_when_its_ticket_shows_it() {
    for twilio in [false, true] {
        let redis = TestRedis::start();
        let standin = if twilio {
            Some(TwilioStandIn::start().await)
        } else {
            None
        };
        let config = match &standin {
            Some(standin) => with_twilio(&redis, standin),
            None => config_with(&redis.url(), &[]),
        };
        let app = spawn_app_with(config).await;
        let token = ticket_token(&app).await;
        let mut screen = watch(&app).await;

        let (status, _) = register(&app, &client(), &token, "090-1234-5678").await;
        assert_eq!(status, 200);
        // (the issue's event, perhaps) the registration's (pending), then the text's
        let mut event = crate::common::next_json(&mut screen).await;
        while event["event"]["ticket"]["contact"].is_null() {
            if event["event"]["change"] == "phone" {
                assert_eq!(
                    event["event"]["ticket"]["phone_status"], "pending",
                    "{event}"
                );
            }
            event = crate::common::next_json(&mut screen).await;
        }
        let contact = &event["event"]["ticket"]["contact"];
        let status = if twilio { "queued" } else { "unsent" };
        assert_eq!(
            (&contact["kind"], &contact["status"]),
            (&json!("sms"), &json!(status)),
            "{event}"
        );
        assert!(contact["at"].as_u64().unwrap() > 0, "when: {event}");
        assert!(!event.to_string().contains("1234"), "no number: {event}");

        let staff = client();
        app.sign_in(&staff, &app.password).await;
        if twilio {
            let (_, log) = app.post_form(&staff, "/api/admin/contact_log", &[]).await;
            let log = log.as_array().unwrap();
            assert_eq!(log.len(), 1, "{log:?}");
            assert_eq!(
                (&log[0]["kind"], &log[0]["status"], &log[0]["to"]),
                (&json!("sms"), &json!("queued"), &json!("090-****-5678"))
            );
        } else {
            let outbox = dev_outbox(&app).await;
            assert_eq!(outbox.len(), 1, "{outbox:?}");
            assert_eq!(outbox[0]["to"], "+819012345678");
        }
    }
}

/// Notes `status` of message `sid` (a call) on ticket 1, as the sender and the status callbacks
/// do.
async fn note_call(store: &waitingroom::store::Store, sid: &str, status: &str) {
    let queue = waitingroom::QueueId::parse("default").unwrap();
    let record = waitingroom::phone::ContactRecord {
        sid: sid.to_owned(),
        kind: "call".to_owned(),
        to: "090-****-5678".to_owned(),
        status: status.to_owned(),
        progress: waitingroom::twilio::status::progress(status),
        created_at: 0,
        updated_at: 0,
        error_code: None,
        ticket: Some(1),
        queue: Some(queue.clone()),
        purpose: Some("call_out".to_owned()),
    };
    let now = crate::common::test_calendar().now();
    store
        .phone_records()
        .note_contact_state(&queue, 1, &record, false, now)
        .await
        .unwrap();
}

/// The sender notes `queued` once Twilio answered, and Twilio's first callback about the same
/// call can come before that: a ticket's call never moves back to an earlier status of the same
/// call, and a new call always shows.
#[tokio::test]
async fn a_tickets_call_never_moves_back_to_an_earlier_status_of_the_same_call() {
    let redis = TestRedis::start();
    let app = spawn_app_with(config_with(&redis.url(), &[])).await;
    let token = ticket_token(&app).await;
    let store = crate::common::store(&redis);
    let shown = || async {
        let (_, view) = app
            .post_form(&client(), "/api/ticket/view", &[("token", &token)])
            .await;
        let version = app.get_json("/api/v1/queues/default").await["version"].clone();
        (view["ticket"]["contact"]["status"].clone(), version)
    };

    note_call(&store, "CA01", "ringing").await;
    let (status, version) = shown().await;
    assert_eq!(status, "ringing");
    note_call(&store, "CA01", "queued").await;
    assert_eq!(
        shown().await,
        (json!("ringing"), version.clone()),
        "no change, no event"
    );
    note_call(&store, "CA02", "queued").await;
    let (status, later) = shown().await;
    assert_eq!(status, "queued", "another call shows");
    assert_eq!(later, json!(version.as_u64().unwrap() + 1));
}

/// The store's Japanese voice number: with it alone (no SMS sender), phones are verified by
/// calling in (`PHONE_VERIFY` unset: `call`).
const STORE_NUMBER: &str = "050-1234-5678";

/// A call from `from` to the store's number starts, as Twilio posts it (with `extra`
/// parameters: `StirVerstat`): what it hears.
pub(crate) async fn call_in(app: &TestApp, from: &str, extra: &[(&str, &str)]) -> String {
    let sid = format!("CA{}", waitingroom::services::random_token());
    let mut params = vec![
        ("AccountSid", crate::twilio_standin::ACCOUNT_SID),
        ("CallSid", sid.as_str()),
        ("From", from),
        ("To", "+815012345678"),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
    ];
    params.extend_from_slice(extra);
    let (status, twiml) =
        crate::twilio_standin::signed_post(&app.url("/twilio/voice/incoming"), &params).await;
    assert_eq!(status, 200, "{twiml}");
    twiml
}

/// The code the page of ticket `token` shows, to key in when calling the store's number.
pub(crate) async fn call_code_of(app: &TestApp, token: &str) -> String {
    let (_, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", token)])
        .await;
    view["call_in"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no call code: {view}"))
        .to_owned()
}

/// `digits` keyed in on call `sid` from `from` when it was asked for the code (`repeats` times
/// before), as Twilio posts the `<Gather>`'s keys: what the call hears then.
pub(crate) async fn key_in_code(
    app: &TestApp,
    sid: &str,
    from: &str,
    digits: &str,
    repeats: u32,
) -> String {
    let params = [
        ("AccountSid", crate::twilio_standin::ACCOUNT_SID),
        ("CallSid", sid),
        ("From", from),
        ("To", "+815012345678"),
        ("CallStatus", "in-progress"),
        ("Direction", "inbound"),
        ("Digits", digits),
    ];
    let url = app.url(&format!("/twilio/voice/code?repeats={repeats}"));
    let (status, twiml) = crate::twilio_standin::signed_post(&url, &params).await;
    assert_eq!(status, 200, "{twiml}");
    twiml
}

/// Whether a call is asked for the code a ticket's page shows (`<Gather>` of 4 keys to
/// `/twilio/voice/code`).
pub(crate) fn asks_code(twiml: &str) -> bool {
    twiml.contains("/twilio/voice/code?repeats=") && twiml.contains(r#"numDigits="4""#)
}

/// A call from `from` that keys in the code ticket `token`'s page shows: what it hears then.
pub(crate) async fn call_in_with_code(app: &TestApp, from: &str, token: &str) -> String {
    let code = call_code_of(app, token).await;
    let asked = call_in(app, from, &[]).await;
    assert!(asks_code(&asked), "{asked}");
    let sid = format!("CA{}", waitingroom::services::random_token());
    key_in_code(app, &sid, from, &code, 0).await
}

/// The store's phone menu, as any other call hears it.
fn is_menu(twiml: &str) -> bool {
    twiml.contains("<Gather ") && twiml.contains("整理券をお取りになる方は1を")
}

fn texts_sent(standin: &TwilioStandIn) -> usize {
    standin
        .creates()
        .iter()
        .filter(|r| r.path.ends_with("/Messages.json"))
        .count()
}

#[tokio::test]
async fn a_phone_is_verified_by_calling_the_stores_number_from_it() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(
        &redis,
        &[
            ("TWILIO_FROM_NUMBER", STORE_NUMBER),
            ("TWILIO_SMS_SENDER", ""),
        ],
    ))
    .await;
    let token = ticket_token(&app).await;
    let mut screen = watch(&app).await;

    // registering texts nothing (Twilio has no Japanese number that sends SMS) and spends no
    // SMS limit; the page offers the store's number to call, as a tel: link and written out
    let phone = client();
    let (status, body) = register(&app, &phone, &token, "090-1234-5678").await;
    assert_eq!((status, body), (200, json!("pending")));
    let (_, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", &token)])
        .await;
    assert_eq!(view["call_in"]["tel"], "+815012345678");
    assert_eq!(view["call_in"]["written"], "050-1234-5678");
    let code = view["call_in"]["code"].as_str().unwrap();
    assert!(
        code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    assert_eq!(view["verifies_by_sms"], false);
    let page = app.get_text(&format!("/t/{token}")).await;
    assert!(
        page.contains("この番号に電話して確認"),
        "the page offers the call"
    );
    assert!(page.contains(r#"href="tel:+815012345678""#), "a tel: link");
    assert!(page.contains("050-1234-5678"), "the number written out");
    assert!(!page.contains("確認用SMS"), "no SMS is promised");
    let mut event = crate::common::next_json(&mut screen).await;
    while event["event"]["change"] == "issued" {
        event = crate::common::next_json(&mut screen).await;
    }
    assert_eq!(event["event"]["ticket"]["phone_status"], "pending");

    // a stranger's call, and a call claiming the number whose caller ID Twilio says failed its
    // attestation, verify nothing: the menu, or the refusal
    let stranger = call_in(&app, "+819099998888", &[]).await;
    assert!(is_menu(&stranger), "{stranger}");
    let forged = call_in(
        &app,
        "+819012345678",
        &[("StirVerstat", "TN-Validation-Failed-B")],
    )
    .await;
    assert!(
        forged.contains("電話番号を確認できませんでした"),
        "{forged}"
    );
    assert_eq!(phone_status(&app, &token).await, "pending");

    // the call from the number typed is asked for the code its page shows; a wrong code
    // verifies nothing and is asked again
    let code = call_code_of(&app, &token).await;
    assert_eq!(code.len(), 4, "{code}");
    assert!(
        page.contains(&format!(r#"data-testid="call-code">{code}<"#)),
        "the page shows it"
    );
    let asked = call_in(
        &app,
        "+819012345678",
        &[("StirVerstat", "TN-Validation-Passed-A")],
    )
    .await;
    assert!(asks_code(&asked), "{asked}");
    assert!(asked.contains("4桁の確認コード"), "{asked}");
    let sid = format!("CA{}", waitingroom::services::random_token());
    let wrong = if code == "0000" { "1111" } else { "0000" };
    let again = key_in_code(&app, &sid, "+819012345678", wrong, 0).await;
    assert!(
        asks_code(&again) && again.contains("確認コードが違います"),
        "{again}"
    );
    assert_eq!(phone_status(&app, &token).await, "pending");
    // the code keyed in: verified, the ticket's number and place said in its language by its
    // voice, and the call ends
    let heard = key_in_code(&app, &sid, "+819012345678", &code, 1).await;
    assert!(
        heard.contains(r#"<Say language="ja-JP" voice="Polly.Mizuki">お電話ありがとうございます。電話番号を確認しました。"#),
        "{heard}"
    );
    assert!(
        heard.contains("受付番号1番、前に0人お待ちです。"),
        "{heard}"
    );
    assert!(
        heard.ends_with("<Hangup /></Response>") && !heard.contains("<Gather"),
        "{heard}"
    );
    assert_eq!(phone_status(&app, &token).await, "verified");
    // every open copy of the page sees it live
    let mut event = crate::common::next_json(&mut screen).await;
    while event["event"]["ticket"]["phone_status"] == "pending" {
        event = crate::common::next_json(&mut screen).await;
    }
    assert_eq!(event["event"]["change"], "phone");
    assert_eq!(event["event"]["ticket"]["phone_status"], "verified");
    assert!(
        !event.to_string().contains("9012345678"),
        "no number in events"
    );

    // the automatic call now works (the ticket is next: within reach at once)
    let called = eventually(Duration::from_secs(10), || async {
        standin
            .calls()
            .iter()
            .any(|(_, r)| r.value("To") == Some("+819012345678"))
    })
    .await;
    assert!(called, "the automatic call to the verified phone");
    // single use: the same number calling again hears the menu
    let again = call_in(&app, "+819012345678", &[]).await;
    assert!(is_menu(&again), "{again}");
    assert_eq!(texts_sent(&standin), 0, "no SMS at all");
}

#[tokio::test]
async fn a_call_verifies_nothing_for_a_ticket_that_is_over_or_a_number_no_longer_its() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let config = standin.config(
        &redis,
        &[
            ("TWILIO_FROM_NUMBER", STORE_NUMBER),
            ("AUTODIAL_PLACES", "0"),
        ],
    );
    let app = spawn_app_with(config).await;
    let (cancelled, done, renumbered) = (
        ticket_token(&app).await,
        ticket_token(&app).await,
        ticket_token(&app).await,
    );
    let phone = client();
    for (token, number) in [
        (&cancelled, "090-1111-0001"),
        (&done, "090-1111-0002"),
        (&renumbered, "090-1111-0003"),
    ] {
        assert_eq!(register(&app, &phone, token, number).await.0, 200);
    }
    // ticket 1 is cancelled; ticket 2 is called, then done when ticket 3 is called after it
    let (status, _) = app
        .post_form(&phone, "/api/ticket/cancel", &[("token", &cancelled)])
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.call_next_as_staff("default", "1").await.status(), 200);
    assert_eq!(app.call_next_as_staff("default", "1").await.status(), 200);
    // ticket 3's holder typed another number since
    assert_eq!(
        register(&app, &phone, &renumbered, "090-1111-0004").await.0,
        200
    );
    let version = || async {
        app.get_json("/api/v1/queues/default").await["version"]
            .as_u64()
            .unwrap()
    };
    let before = version().await;

    for from in ["+819011110001", "+819011110002", "+819011110003"] {
        let heard = call_in(&app, from, &[]).await;
        assert!(is_menu(&heard), "{from}: {heard}");
    }
    assert_eq!(version().await, before, "nothing changed");
    for token in [&cancelled, &done, &renumbered] {
        assert_eq!(phone_status(&app, token).await, "pending");
    }
    // the number ticket 3 has now verifies it, though it is called
    let heard = call_in_with_code(&app, "+819011110004", &renumbered).await;
    assert!(heard.contains("電話番号を確認しました"), "{heard}");
    assert_eq!(phone_status(&app, &renumbered).await, "verified");
}

#[tokio::test]
async fn where_sms_can_be_sent_the_page_offers_the_link_and_the_call_in() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    // a sender that can text (outside Japan): both ways, by default
    let app = spawn_app_with(with_twilio(&redis, &standin)).await;
    let token = ticket_token(&app).await;
    let phone = client();
    assert_eq!(register(&app, &phone, &token, "090-1234-5678").await.0, 200);
    let (_, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", &token)])
        .await;
    assert_eq!(view["verifies_by_sms"], true);
    assert_eq!(view["call_in"]["tel"], "+15005550006");
    let texted = eventually(Duration::from_secs(10), || async {
        texts_sent(&standin) == 1
    })
    .await;
    assert!(texted, "the link is texted");
    // the customer calls instead of opening it
    let heard = call_in_with_code(&app, "+819012345678", &token).await;
    assert!(heard.contains("電話番号を確認しました"), "{heard}");
    assert_eq!(phone_status(&app, &token).await, "verified");

    // PHONE_VERIFY=sms: a call verifies nothing, the page offers no number
    let redis = TestRedis::start();
    let app = spawn_app_with(
        standin.config(&redis, &[("AUTODIAL_PLACES", "0"), ("PHONE_VERIFY", "sms")]),
    )
    .await;
    let token = ticket_token(&app).await;
    assert_eq!(register(&app, &phone, &token, "090-1234-9999").await.0, 200);
    let (_, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", &token)])
        .await;
    assert_eq!(view["call_in"], Value::Null);
    let heard = call_in(&app, "+819012349999", &[]).await;
    assert!(is_menu(&heard), "{heard}");
    assert_eq!(phone_status(&app, &token).await, "pending");
}
