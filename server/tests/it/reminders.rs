//! The SMS reminder about 30 minutes before the turn, scheduled with Twilio (Message Scheduling,
//! through Prism and the stand-in): scheduled when asked, scheduled again when the estimate moves
//! by more than 10 minutes (cancel, then create), left alone when it moves less, cancelled when
//! the ticket is called.

use crate::common::{client, eventually, spawn_app_with, TestApp, TestRedis};
use crate::twilio_standin::TwilioStandIn;
use crate::webhooks::last_ticket_with_a_verified_phone;
use serde_json::Value;
use std::time::Duration;

const MESSAGING_SERVICE: &str = "MG0123456789abcdef0123456789abcdef";

/// The queue's recent service times average `minutes` (as if the day so far had gone so).
async fn average_service(redis: &TestRedis, minutes: u64) {
    let keys = crate::common::day_keys(redis, "default").await;
    let mut conn = redis.connection().await;
    let _: () = redis::cmd("SET")
        .arg(keys.avg_service())
        .arg(minutes * 60_000)
        .query_async(&mut conn)
        .await
        .unwrap();
}

fn scheduled(standin: &TwilioStandIn) -> Vec<Value> {
    standin
        .messages()
        .into_iter()
        .filter(|m| m["status"] == "scheduled")
        .collect()
}

async fn ask(app: &TestApp, token: &str, want: &str) -> (u16, Value) {
    app.post_form(
        &client(),
        "/api/ticket/reminder",
        &[("token", token), ("want", want)],
    )
    .await
}

/// An app that texts through the stand-in's messaging service (so it schedules), plans reminders
/// every second and makes no automatic call.
async fn reminder_app() -> (TestRedis, TwilioStandIn, TestApp) {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let config = standin.config(
        &redis,
        &[
            ("TWILIO_MESSAGING_SERVICE_SID", MESSAGING_SERVICE),
            ("REMINDER_CHECK_SECS", "1"),
            ("AUTODIAL_PLACES", "0"),
        ],
    );
    let app = spawn_app_with(config).await;
    (redis, standin, app)
}

/// When the scheduled message is to be sent, in ms.
fn send_at_ms(request: &crate::twilio_standin::Recorded) -> i64 {
    let at: jiff::Timestamp = request.value("SendAt").unwrap().parse().unwrap();
    at.as_millisecond()
}

#[tokio::test]
async fn a_reminder_is_scheduled_moved_with_the_estimate_and_cancelled_when_called() {
    let (redis, standin, app) = reminder_app().await;
    // 11 ahead, 2 counters, 10 minutes each: an hour's wait, so the text goes in about 30 minutes
    average_service(&redis, 10).await;
    let (_, token) = last_ticket_with_a_verified_phone(&app, &standin, 12).await;
    let (status, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", &token)])
        .await;
    assert_eq!(status, 200);
    assert_eq!(view["offers_reminders"], true);
    assert_eq!(view["reminder"], Value::Null);

    let asked_at = jiff::Timestamp::now().as_millisecond();
    assert_eq!(ask(&app, &token, "true").await.0, 200);
    let made = eventually(Duration::from_secs(10), || async {
        scheduled(&standin).len() == 1
    })
    .await;
    assert!(made, "the reminder is scheduled with Twilio");
    let create = standin.creates().pop().unwrap();
    assert_eq!(create.value("ScheduleType"), Some("fixed"));
    assert_eq!(create.value("MessagingServiceSid"), Some(MESSAGING_SERVICE));
    assert_eq!(create.value("To"), Some("+819012345678"));
    assert!(
        create
            .value("Body")
            .unwrap()
            .contains("受付番号12番の方、あと30分ほどで順番です"),
        "{create:?}"
    );
    // the estimate, less 30 minutes
    let wait = waitingroom::estimated_wait_ms(11, Some(10 * 60_000), 2).unwrap() as i64;
    let ahead = send_at_ms(&create) - asked_at;
    assert!(
        (ahead - (wait - 30 * 60_000)).abs() < 60_000,
        "{ahead} ms ahead, for a wait of {wait} ms"
    );
    let first = scheduled(&standin)[0]["sid"].as_str().unwrap().to_owned();
    // the planner notes it once Twilio answered the create
    let noted = eventually(Duration::from_secs(5), || async {
        let (_, view) = app
            .post_form(&client(), "/api/ticket/view", &[("token", &token)])
            .await;
        view["reminder"]["send_at"].is_u64()
    })
    .await;
    assert!(noted, "the ticket page knows when it goes");

    // the services take twice as long: cancelled and scheduled anew
    average_service(&redis, 20).await;
    let moved = eventually(Duration::from_secs(10), || async {
        let all = standin.messages();
        let old = all.iter().find(|m| m["sid"] == first.as_str()).unwrap();
        old["status"] == "canceled" && scheduled(&standin).len() == 1
    })
    .await;
    assert!(moved, "the old one is cancelled, a new one scheduled");
    let second = scheduled(&standin)[0]["sid"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    // a smaller move (6 minutes) changes nothing
    average_service(&redis, 21).await;
    let count = standin.creates().len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(standin.creates().len(), count, "moved less than 10 minutes");

    // the ticket is called: the scheduled reminder is cancelled
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let (status, _) = app
        .post_form(
            &staff,
            "/api/admin/act",
            &[
                ("queue", "default"),
                ("number", "12"),
                ("rev", &view_rev(&app, &token).await),
                ("action", "call"),
                ("counter", "1"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let cancelled = eventually(Duration::from_secs(10), || async {
        scheduled(&standin).is_empty()
    })
    .await;
    assert!(cancelled, "called: the reminder is cancelled");
    let all = standin.messages();
    let last = all.iter().find(|m| m["sid"] == second.as_str()).unwrap();
    assert_eq!(last["status"], "canceled");
}

async fn view_rev(app: &TestApp, token: &str) -> String {
    let (_, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", token)])
        .await;
    view["ticket"]["rev"].to_string()
}

#[tokio::test]
async fn only_a_verified_phone_can_ask_for_a_reminder() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    let slip: Value = app.issue("default").await.json().await.unwrap();
    let token = slip["ticket"]["token"].as_str().unwrap();
    assert_eq!(ask(&app, token, "true").await.0, 409, "no phone");
    assert_eq!(ask(&app, &"0".repeat(32), "true").await.0, 404);
    let (_, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", token)])
        .await;
    assert_eq!(
        view["offers_reminders"], false,
        "Twilio schedules only through a messaging service"
    );
}

/// The reminder texts Twilio was asked to create (sent at once or scheduled).
fn reminder_creates(standin: &TwilioStandIn) -> usize {
    standin
        .creates()
        .iter()
        .filter(|c| c.value("Body").is_some_and(|b| b.contains("あと30分")))
        .count()
}

#[tokio::test]
async fn a_reminder_turned_off_and_on_again_is_not_sent_again() {
    let (redis, standin, app) = reminder_app().await;
    // 2 ahead, 10 minutes each: the turn is nearer than 30 minutes, so the text goes at once
    average_service(&redis, 10).await;
    let (_, token) = last_ticket_with_a_verified_phone(&app, &standin, 3).await;
    assert_eq!(ask(&app, &token, "true").await.0, 200);
    assert!(
        eventually(Duration::from_secs(10), || async {
            reminder_creates(&standin) == 1
        })
        .await,
        "the reminder is sent at once"
    );
    // an attacker (or a restless thumb) turns it off and on, again and again
    for _ in 0..5 {
        assert_eq!(ask(&app, &token, "false").await.0, 200);
        assert_eq!(ask(&app, &token, "true").await.0, 200);
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    assert_eq!(
        reminder_creates(&standin),
        1,
        "one reminder, however often asked"
    );
    let (_, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", &token)])
        .await;
    assert_eq!(
        view["reminder"]["sent"], true,
        "the page shows it went: {view}"
    );
}

/// The window the test above can only hit by chance: the planner took the reminder to send it at
/// once (the text may be on its way) and has not noted it sent yet when the customer turns it off
/// and on. It stays sent: the planner will not send it again.
#[tokio::test]
async fn a_reminder_turned_off_and_on_while_it_is_being_sent_stays_sent() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    // the app's own planner never runs here: the test takes its place
    let config = standin.config(
        &redis,
        &[
            ("TWILIO_MESSAGING_SERVICE_SID", MESSAGING_SERVICE),
            ("REMINDER_CHECK_SECS", "86400"),
            ("AUTODIAL_PLACES", "0"),
        ],
    );
    let app = spawn_app_with(config).await;
    let (number, token) = last_ticket_with_a_verified_phone(&app, &standin, 3).await;
    assert_eq!(ask(&app, &token, "true").await.0, 200);
    let store = crate::common::store(&redis);
    let queue = waitingroom::QueueId::parse("default").unwrap();
    let now = crate::common::test_calendar().now();
    store
        .reminder_records()
        .take_reminder(&queue, number, true, now)
        .await
        .unwrap();
    assert_eq!(ask(&app, &token, "false").await.0, 200);
    assert_eq!(ask(&app, &token, "true").await.0, 200);
    let (_, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", &token)])
        .await;
    assert_eq!(
        view["reminder"]["sent"], true,
        "a reminder that may have gone is not planned again: {view}"
    );
}

#[tokio::test]
async fn a_scheduled_reminder_turned_off_and_on_stops_at_the_tickets_budget() {
    let (redis, standin, app) = reminder_app().await;
    // an hour's wait: the reminder is scheduled, and cancelled when turned off
    average_service(&redis, 10).await;
    let (_, token) = last_ticket_with_a_verified_phone(&app, &standin, 12).await;
    let mut planned = 0;
    for _ in 0..8 {
        assert_eq!(ask(&app, &token, "true").await.0, 200);
        let scheduled = eventually(Duration::from_secs(4), || async {
            reminder_creates(&standin) > planned
        })
        .await;
        if !scheduled {
            break;
        }
        planned = reminder_creates(&standin);
        assert_eq!(ask(&app, &token, "false").await.0, 200);
    }
    // 6 SMS and calls per ticket, one of which was the verification text
    assert_eq!(planned, 5, "the ticket's budget ends the loop");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(reminder_creates(&standin), 5, "nothing more was scheduled");
}

/// Ticket `token`'s phone is `phone`, verified by the link Twilio texted it.
async fn verify(app: &TestApp, standin: &TwilioStandIn, token: &str, phone: &str) {
    let browser = client();
    let (status, body) = app
        .post_form(
            &browser,
            "/api/ticket/phone",
            &[("token", token), ("phone", phone)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let to = waitingroom::PhoneNumber::parse(phone).unwrap().to_string();
    let mut text = None;
    let sent = eventually(Duration::from_secs(10), || {
        let found = standin
            .creates()
            .into_iter()
            .find(|c| c.value("To") == Some(to.as_str()))
            .and_then(|c| c.value("Body").map(str::to_owned));
        let done = found.is_some();
        text = found;
        async move { done }
    })
    .await;
    assert!(sent, "the verification text to {phone}");
    let opened = crate::phones::open_link(app, &browser, &text.unwrap()).await;
    assert!(opened.status().is_redirection());
}

/// The tokens of `n` tickets taken now.
async fn take(app: &TestApp, n: usize) -> Vec<String> {
    let mut tokens = Vec::new();
    for _ in 0..n {
        let slip: Value = app.issue("default").await.json().await.unwrap();
        tokens.push(slip["ticket"]["token"].as_str().unwrap().to_owned());
    }
    tokens
}

#[tokio::test]
async fn a_reminder_due_within_twilios_scheduling_window_is_sent_at_once() {
    let (redis, standin, app) = reminder_app().await;
    // 11 ahead, 2 counters, 7 minutes each: 42 minutes, so the text is due in 12 minutes, under
    // the 15 Twilio needs to schedule one
    average_service(&redis, 7).await;
    let (_, token) = last_ticket_with_a_verified_phone(&app, &standin, 12).await;
    assert_eq!(ask(&app, &token, "true").await.0, 200);
    let sent = eventually(Duration::from_secs(10), || async {
        standin
            .creates()
            .iter()
            .any(|c| c.value("Body").is_some_and(|b| b.contains("30分ほどで")))
    })
    .await;
    assert!(sent, "the reminder went");
    let reminder = standin
        .creates()
        .into_iter()
        .find(|c| c.value("Body").is_some_and(|b| b.contains("30分ほどで")))
        .unwrap();
    assert_eq!(
        reminder.value("ScheduleType"),
        None,
        "sent now, not scheduled"
    );
    assert!(scheduled(&standin).is_empty());
    assert_eq!(
        standin.placed().len(),
        2,
        "the link, then the reminder: nothing refused"
    );
}

#[tokio::test]
async fn a_reminder_twilio_refuses_is_logged_and_the_others_are_still_planned() {
    let (redis, standin, app) = reminder_app().await;
    average_service(&redis, 10).await;
    let tokens = take(&app, 13).await;
    let (first, second) = (&tokens[11], &tokens[12]);
    verify(&app, &standin, first, "090-1111-0001").await;
    verify(&app, &standin, second, "090-1111-0002").await;
    // the first number opted out at Twilio since (its STOP never reached us)
    standin.opt_out("+819011110001");
    assert_eq!(ask(&app, first, "true").await.0, 200);
    assert_eq!(ask(&app, second, "true").await.0, 200);
    let planned = eventually(Duration::from_secs(10), || async {
        scheduled(&standin)
            .iter()
            .any(|m| m["to"] == "+819011110002")
    })
    .await;
    assert!(
        planned,
        "the second reminder is scheduled though the first was refused"
    );
    let staff = client();
    app.sign_in(&staff, &app.password).await;
    let logged = eventually(Duration::from_secs(10), || async {
        let (_, log) = app.post_form(&staff, "/api/admin/contact_log", &[]).await;
        log.as_array().unwrap().iter().any(|e| {
            e["purpose"] == "reminder" && e["status"] == "failed" && e["error_code"] == "21610"
        })
    })
    .await;
    assert!(logged, "the console's log shows the refusal and why");
    let (_, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", first)])
        .await;
    assert_eq!(
        view["reminder"],
        Value::Null,
        "the refused reminder is off: {view}"
    );
    // and it is not tried again every round
    let tries = standin.creates().len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(standin.creates().len(), tries);
}

#[tokio::test]
async fn a_reminder_that_went_before_it_could_be_moved_is_not_sent_again() {
    let (redis, standin, app) = reminder_app().await;
    average_service(&redis, 10).await;
    let (_, token) = last_ticket_with_a_verified_phone(&app, &standin, 12).await;
    assert_eq!(ask(&app, &token, "true").await.0, 200);
    let made = eventually(Duration::from_secs(10), || async {
        scheduled(&standin).len() == 1
    })
    .await;
    assert!(made);
    let sid = scheduled(&standin)[0]["sid"].as_str().unwrap().to_owned();
    // Twilio sent it (as if its time had come), then the estimate moved
    standin.set_status(&sid, "sent");
    let creates = standin.creates().len();
    average_service(&redis, 20).await;
    let cancels = || {
        standin
            .recorded()
            .into_iter()
            .filter(|r| r.path.contains("/Messages/SM"))
            .count()
    };
    let tried = eventually(Duration::from_secs(10), || async { cancels() >= 1 }).await;
    assert!(tried, "the planner tries to move it");
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(
        cancels(),
        1,
        "30409 understood: not tried again every round"
    );
    assert_eq!(standin.creates().len(), creates, "not sent a second time");
}
