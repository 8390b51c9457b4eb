//! LINE, judged by LINE's own spec: every request to LINE goes through Prism (validating proxy,
//! `testdata/line/messaging-api.yml`) to the stand-in of api.line.me, and every webhook the
//! stand-in posts is shaped by `webhook.yml` and signed as LINE signs.

use crate::line_standin::{Fault, LineStandIn, ACCESS_TOKEN, ACCOUNT_ID, CHANNEL_SECRET};
use std::time::Duration;
use waitingroom::line::client::text_message;
use waitingroom::line::{LineClient, LineConfig, LineError, Pushed};

const USER: &str = "U4af4980629abcdef0123456789abcdef";
const KEY: &str = "123e4567-e89b-42d3-a456-426614174000";

fn line_client(standin: &LineStandIn, timeout: Duration) -> LineClient {
    LineClient::new(LineConfig {
        base_url: standin.base_url.clone(),
        channel_secret: CHANNEL_SECRET.to_owned(),
        access_token: ACCESS_TOKEN.to_owned(),
        account_id: ACCOUNT_ID.to_owned(),
        timeout,
    })
}

#[tokio::test]
async fn a_push_carries_its_retry_key_and_the_same_key_again_is_no_second_message() {
    let standin = LineStandIn::start().await;
    let line = line_client(&standin, Duration::from_secs(5));
    let first = line
        .push(
            USER,
            &[text_message("受付番号42番の方、まもなく順番です。")],
            KEY,
        )
        .await
        .unwrap();
    assert!(
        matches!(
            first,
            Pushed::Sent {
                request_id: Some(_)
            }
        ),
        "{first:?}"
    );
    // the same key again (a retry by another process): LINE answers 409, which is success
    let again = line
        .push(
            USER,
            &[text_message("受付番号42番の方、まもなく順番です。")],
            KEY,
        )
        .await
        .unwrap();
    let Pushed::AcceptedBefore { request_id } = again else {
        panic!("{again:?}")
    };
    let pushes = standin.pushes();
    assert_eq!(pushes.len(), 1, "one message");
    assert_eq!(request_id.as_deref(), Some(pushes[0].request_id.as_str()));
    assert_eq!(pushes[0].to.as_deref(), Some(USER));
    assert_eq!(pushes[0].retry_key.as_deref(), Some(KEY));
    assert_eq!(pushes[0].text(), "受付番号42番の方、まもなく順番です。");
}

#[tokio::test]
async fn a_push_after_a_500_a_429_or_a_timeout_is_retried_with_its_key_and_sent_once() {
    let standin = LineStandIn::start().await;
    let line = line_client(&standin, Duration::from_millis(700));
    // sent, but the answer comes too late: the retry carries the same key, LINE answers 409
    standin.fail_next(&[Fault::Slow(Duration::from_secs(2))]);
    let pushed = line.push(USER, &[text_message("a")], KEY).await.unwrap();
    assert!(
        matches!(pushed, Pushed::AcceptedBefore { .. }),
        "{pushed:?}"
    );
    assert_eq!(standin.pushes().len(), 1, "never two messages");
    let attempts = standin.push_attempts();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert!(attempts.iter().all(|k| k.as_deref() == Some(KEY)));
    // sent, but answered 500: the same
    let lost = "123e4567-e89b-42d3-a456-426614174003";
    standin.fail_next(&[Fault::Lost(500)]);
    let pushed = line.push(USER, &[text_message("a2")], lost).await.unwrap();
    assert!(
        matches!(pushed, Pushed::AcceptedBefore { .. }),
        "{pushed:?}"
    );
    assert_eq!(standin.pushes().len(), 2, "never two messages");

    // throttled, then a server error: nothing sent until the third attempt
    let other = "123e4567-e89b-42d3-a456-426614174001";
    standin.fail_next(&[Fault::Refuse(429), Fault::Refuse(500)]);
    let pushed = line.push(USER, &[text_message("b")], other).await.unwrap();
    assert!(matches!(pushed, Pushed::Sent { .. }), "{pushed:?}");
    assert_eq!(standin.pushes().len(), 3);

    // a refusal that no retry mends is not retried
    let third = "123e4567-e89b-42d3-a456-426614174002";
    standin.fail_next(&[Fault::Refuse(400)]);
    let refused = line
        .push(USER, &[text_message("c")], third)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, LineError::Api { status: 400, .. }),
        "{refused:?}"
    );
    assert!(!refused.is_retryable());
    assert_eq!(standin.pushes().len(), 3);
}

#[tokio::test]
async fn a_reply_takes_its_token_once() {
    let standin = LineStandIn::start().await;
    let line = line_client(&standin, Duration::from_secs(5));
    let event = standin.text_event(USER, "こんにちは");
    let token = event["replyToken"].as_str().unwrap();
    line.reply(token, &[text_message("どうぞ")]).await.unwrap();
    let again = line
        .reply(token, &[text_message("どうぞ")])
        .await
        .unwrap_err();
    assert_eq!(again.status(), Some(400), "a reply token is used once");
    let replies = standin.replies();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].text(), "どうぞ");
}

// ---- the app through the stand-in: linking, the webhook, the pushes ----

use crate::common::{client, eventually, next_json, spawn_app_with, TestApp, TestRedis};
use crate::days::staff_reset;
use serde_json::Value;

const OTHER: &str = "Uaaaabbbbccccddddeeeeffff00001111";

/// Takes a ticket at the kiosk: its number and token.
async fn take(app: &TestApp) -> (u64, String) {
    let slip: Value = app.issue("default").await.json().await.unwrap();
    (
        slip["ticket"]["number"].as_u64().unwrap(),
        slip["ticket"]["token"].as_str().unwrap().to_owned(),
    )
}

async fn view(app: &TestApp, token: &str) -> Value {
    let (status, view) = app
        .post_form(&client(), "/api/ticket/view", &[("token", token)])
        .await;
    assert_eq!(status, 200, "{view}");
    view
}

/// The text the ticket page's LINE link types in (decoded from the link).
fn prefilled(link: &str) -> String {
    let query = link.split_once("/?").expect("a text after /?").1;
    let bytes = query.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&query[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// What the ticket page's LINE link would have `user` send.
async fn code_text(app: &TestApp, token: &str) -> String {
    let view = view(app, token).await;
    let link = view["line_link"].as_str().expect("the page offers LINE");
    assert!(
        link.starts_with("https://line.me/R/oaMessage/%40waitroom/?"),
        "{link}"
    );
    prefilled(link)
}

/// `user` sends `text` to the account; answers the webhook's status.
async fn send(app: &TestApp, standin: &LineStandIn, user: &str, text: &str) -> u16 {
    let event = standin.text_event(user, text);
    standin
        .post_events(&app.url("/line/webhook"), &[event])
        .await
}

async fn replied(standin: &LineStandIn, n: usize) -> Vec<String> {
    let arrived = eventually(Duration::from_secs(10), || async {
        standin.replies().len() >= n
    })
    .await;
    assert!(arrived, "{n} replies: {:?}", standin.replies());
    standin.replies().iter().map(|r| r.text()).collect()
}

async fn linked(app: &TestApp, token: &str) -> bool {
    view(app, token).await["ticket"]["line"] == true
}

/// `user` links ticket `token` as the customer would: opens the page's link and sends the text.
async fn link(app: &TestApp, standin: &LineStandIn, token: &str, user: &str) {
    let text = code_text(app, token).await;
    assert_eq!(send(app, standin, user, &text).await, 200);
    assert!(
        eventually(Duration::from_secs(10), || async {
            linked(app, token).await
        })
        .await,
        "the ticket follows on LINE"
    );
}

fn texts(standin: &LineStandIn) -> Vec<String> {
    standin.pushes().iter().map(|p| p.text()).collect()
}

#[tokio::test]
async fn a_ticket_is_linked_by_the_code_its_page_offers_once_and_every_open_page_is_told() {
    let redis = TestRedis::start();
    let standin = LineStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    let (number, token) = take(&app).await;
    let text = code_text(&app, &token).await;
    assert!(
        text.starts_with("受付番号1番の通知をLINEで受け取ります #"),
        "{text}"
    );
    assert_eq!(
        code_text(&app, &token).await,
        text,
        "the page shows the same code again"
    );
    let (mut live, _) = tokio_tungstenite::connect_async(app.ws_url("/api/v1/queues/default/live"))
        .await
        .unwrap();
    let _snapshot = next_json(&mut live).await;

    // a friend who sends no code is told how
    assert_eq!(send(&app, &standin, USER, "こんにちは").await, 200);
    assert!(replied(&standin, 1).await[0].contains("LINEで通知を受け取る"));
    assert_eq!(send(&app, &standin, USER, &text).await, 200);
    let replies = replied(&standin, 2).await;
    assert_eq!(
        replies[1],
        "受付番号1番の通知をLINEでお送りします。順番が近づいたとき・呼ばれたときにお知らせします。"
    );
    let event = loop {
        let message = next_json(&mut live).await;
        if message["kind"] == "event" && message["event"]["change"] == "phone" {
            break message["event"].clone();
        }
    };
    assert_eq!(event["ticket"]["number"], number);
    assert_eq!(event["ticket"]["line"], true);
    assert!(
        !event.to_string().contains(USER),
        "no LINE user id in events: {event}"
    );
    let view = view(&app, &token).await;
    assert_eq!(view["ticket"]["line"], true);
    assert!(view["line_link"].is_null(), "no link once linked");
    assert!(!view.to_string().contains(USER), "no user id on the page");

    // the code is used up: another user sending it links nothing
    assert_eq!(send(&app, &standin, OTHER, &text).await, 200);
    assert!(replied(&standin, 3).await[2].starts_with("このコードは使えません"));
    // nobody ahead (at most 3): linked this near, the push goes at once
    assert!(
        eventually(Duration::from_secs(10), || async {
            standin.pushes().len() == 1
        })
        .await
    );
    assert_eq!(standin.pushes()[0].to.as_deref(), Some(USER));
}

#[tokio::test]
async fn a_forged_or_unsigned_webhook_is_refused_and_changes_nothing_and_the_verify_request_is_answered(
) {
    let redis = TestRedis::start();
    let standin = LineStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    let (_, token) = take(&app).await;
    let text = code_text(&app, &token).await;
    let body =
        serde_json::json!({"destination": "U0", "events": [standin.text_event(USER, &text)]})
            .to_string();
    let url = app.url("/line/webhook");
    let http = reqwest::Client::new();
    let forged = waitingroom::line::signature::signature("not the channel secret", body.as_bytes());
    for signature in [Some(forged.as_str()), None, Some("")] {
        let mut request = http.post(&url).body(body.clone());
        if let Some(signature) = signature {
            request = request.header("x-line-signature", signature);
        }
        assert_eq!(request.send().await.unwrap().status(), 403);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!linked(&app, &token).await, "nothing changed");
    assert!(standin.replies().is_empty());
    // a signed body that is not LINE's: 400; LINE's verify request: 200
    assert_eq!(crate::line_standin::signed_post(&url, "[]").await, 400);
    assert_eq!(standin.post_events(&url, &[]).await, 200);
    // the code still links
    assert_eq!(send(&app, &standin, USER, &text).await, 200);
    assert!(
        eventually(Duration::from_secs(10), || async {
            linked(&app, &token).await
        })
        .await
    );
}

#[tokio::test]
async fn a_redelivered_event_is_carried_out_once() {
    let redis = TestRedis::start();
    let standin = LineStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    let (_, token) = take(&app).await;
    let text = code_text(&app, &token).await;
    let event = standin.text_event(USER, &text);
    let mut again = event.clone();
    again["deliveryContext"]["isRedelivery"] = true.into();
    let url = app.url("/line/webhook");
    assert_eq!(standin.post_events(&url, &[event]).await, 200);
    assert_eq!(standin.post_events(&url, &[again]).await, 200);
    replied(&standin, 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(standin.replies().len(), 1, "one reply, not two");
}

async fn call_next(app: &TestApp, counter: &str) -> u16 {
    app.call_next_as_staff("default", counter)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn exactly_one_push_at_three_ahead_and_one_when_called_across_two_server_processes() {
    let redis = TestRedis::start();
    let standin = LineStandIn::start().await;
    let a = spawn_app_with(standin.config(&redis, &[])).await;
    let b = spawn_app_with(standin.config(&redis, &[])).await;
    let mut token = String::new();
    for _ in 0..6 {
        token = take(&a).await.1;
    }
    link(&a, &standin, &token, USER).await;
    // 5 ahead, then 3 (two called at once, by both processes)
    assert_eq!(call_next(&a, "1").await, 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(standin.pushes().is_empty(), "4 ahead: not yet");
    let (x, y) = tokio::join!(call_next(&a, "1"), call_next(&b, "2"));
    assert_eq!((x, y), (200, 200));
    assert!(
        eventually(Duration::from_secs(10), || async {
            standin.pushes().len() == 1
        })
        .await
    );
    let (x, y) = tokio::join!(call_next(&a, "1"), call_next(&b, "2"));
    assert_eq!((x, y), (200, 200));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(standin.pushes().len(), 1, "exactly one push when near");
    let near = &standin.pushes()[0];
    assert_eq!(near.to.as_deref(), Some(USER));
    assert!(near.retry_key.is_some(), "every push carries a retry key");
    assert!(
        near.text()
            .starts_with("【待合室】受付番号6番の方、まもなく順番です。")
            && near.text().contains(&format!("/t/{token}")),
        "{}",
        near.text()
    );
    // nobody ahead: the next call is ticket 6's
    assert_eq!(call_next(&a, "1").await, 200);
    assert!(
        eventually(Duration::from_secs(10), || async {
            standin.pushes().len() == 2
        })
        .await
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let texts = texts(&standin);
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts[1].starts_with("【待合室】受付番号6番の方、1番窓口へお越しください。"),
        "{}",
        texts[1]
    );
    // the log shows the pushes beside SMS and calls, never the user
    let staff = client();
    assert!(a.sign_in(&staff, &a.password).await.is_success());
    let log = a
        .post(&staff, "/api/admin/contact_log")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!log.contains(USER), "{log}");
    let log: Value = serde_json::from_str(&log).unwrap();
    let rows: Vec<(String, String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "line")
        .map(|r| {
            let field = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (field("purpose"), field("status"), field("to"))
        })
        .collect();
    assert_eq!(rows.len(), 2, "{log}");
    assert!(
        rows.contains(&("line_near".into(), "sent".into(), "LINE".into())),
        "{rows:?}"
    );
    assert!(
        rows.contains(&("line_called".into(), "sent".into(), "LINE".into())),
        "{rows:?}"
    );
}

#[tokio::test]
async fn a_push_answered_500_or_throttled_is_retried_with_its_key_and_never_sent_twice() {
    let redis = TestRedis::start();
    let standin = LineStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    // sent but answered 500, then (the key's retry) answered 409: one message
    standin.fail_next(&[Fault::Lost(500)]);
    let (_, token) = take(&app).await;
    link(&app, &standin, &token, USER).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            standin.push_attempts().len() >= 2
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(standin.pushes().len(), 1, "one message");
    let attempts = standin.push_attempts();
    assert!(attempts.iter().all(|k| k == &attempts[0]), "{attempts:?}");
    // throttled twice, then sent
    standin.fail_next(&[Fault::Refuse(429), Fault::Refuse(500)]);
    assert_eq!(call_next(&app, "1").await, 200);
    assert!(
        eventually(Duration::from_secs(10), || async {
            standin.pushes().len() == 2
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(standin.pushes().len(), 2);
    assert_ne!(standin.pushes()[0].retry_key, standin.pushes()[1].retry_key);
}

#[tokio::test]
async fn a_user_who_blocks_the_account_is_pushed_nothing_more() {
    let redis = TestRedis::start();
    let standin = LineStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    let mut token = String::new();
    for _ in 0..5 {
        token = take(&app).await.1;
    }
    link(&app, &standin, &token, USER).await;
    let unfollow = standin.unfollow_event(USER);
    assert_eq!(
        standin
            .post_events(&app.url("/line/webhook"), &[unfollow])
            .await,
        200
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    // 3 ahead, then called: nothing goes
    assert_eq!(call_next(&app, "1").await, 200);
    for _ in 0..4 {
        assert_eq!(call_next(&app, "1").await, 200);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(standin.pushes().is_empty(), "{:?}", texts(&standin));
    // following again: greeted with how to link
    let follow = standin.follow_event(USER);
    assert_eq!(
        standin
            .post_events(&app.url("/line/webhook"), &[follow])
            .await,
        200
    );
    assert!(replied(&standin, 2).await[1].starts_with("友だち追加ありがとうございます"));
}

#[tokio::test]
async fn a_user_follows_at_most_three_tickets_at_once() {
    let redis = TestRedis::start();
    let standin = LineStandIn::start().await;
    // (no pushes wanted here)
    let app = spawn_app_with(standin.config(&redis, &[("AUTODIAL_PLACES", "0")])).await;
    let mut tokens = Vec::new();
    for _ in 0..4 {
        tokens.push(take(&app).await.1);
    }
    for token in &tokens[..3] {
        link(&app, &standin, token, USER).await;
    }
    let fourth = code_text(&app, &tokens[3]).await;
    assert_eq!(send(&app, &standin, USER, &fourth).await, 200);
    assert_eq!(
        replied(&standin, 4).await[3],
        "LINEでお知らせできる受付は、同時に3件までです。"
    );
    assert!(!linked(&app, &tokens[3]).await);
    // one of the three is over: the fourth links with the same code
    let (status, _) = app
        .post_form(&client(), "/api/ticket/cancel", &[("token", &tokens[0])])
        .await;
    assert_eq!(status, 200);
    assert_eq!(send(&app, &standin, USER, &fourth).await, 200);
    assert!(
        eventually(Duration::from_secs(10), || async {
            linked(&app, &tokens[3]).await
        })
        .await
    );
    // another user is not limited by this one's tickets
    let (_, fifth) = take(&app).await;
    link(&app, &standin, &fifth, OTHER).await;
}

#[tokio::test]
async fn on_the_next_day_nothing_of_yesterday_links_or_is_pushed() {
    let redis = TestRedis::start();
    let standin = LineStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    let mut tokens = Vec::new();
    for _ in 0..6 {
        tokens.push(take(&app).await.1);
    }
    link(&app, &standin, &tokens[5], USER).await;
    let yesterdays_code = code_text(&app, &tokens[4]).await;
    let queue = waitingroom::QueueId::parse("default").unwrap();
    let store = crate::common::store(&redis);
    let yesterday = store.days().today(&queue).await.unwrap();
    staff_reset(&app).await;
    // the day's LINE keys expire with their day
    let mut conn = redis.connection().await;
    let line_key = waitingroom::store::QueueKeys::of(&queue)
        .day_keys(&yesterday)
        .line();
    let ttl: i64 = redis::cmd("TTL")
        .arg(&line_key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 0, "{line_key} expires ({ttl})");
    // yesterday's code links nothing today
    assert_eq!(send(&app, &standin, USER, &yesterdays_code).await, 200);
    assert!(replied(&standin, 2).await[1].starts_with("このコードは使えません"));
    // today's line moves: nothing is pushed to yesterday's follower
    for _ in 0..6 {
        take(&app).await;
    }
    for _ in 0..6 {
        assert_eq!(call_next(&app, "1").await, 200);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(standin.pushes().is_empty(), "{:?}", texts(&standin));
}

/// A follower sending message after message (each reply counts in the shop's monthly quota) is
/// answered LINE_MESSAGES_PER_HOUR times, then with nothing; another user is still answered, and
/// the one throttled still cannot link a ticket until the hour is over.
#[tokio::test]
async fn a_follower_sending_message_after_message_is_answered_ten_times_an_hour_then_not_at_all() {
    let redis = TestRedis::start();
    let standin = LineStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[("AUTODIAL_PLACES", "0")])).await;
    let max = waitingroom::services::LINE_MESSAGES_PER_HOUR as usize;
    for i in 0..max + 5 {
        assert_eq!(
            send(&app, &standin, USER, &format!("こんにちは {i}")).await,
            200
        );
    }
    assert_eq!(replied(&standin, max).await.len(), max);
    // the events past the limit were taken (200) and carried out: no reply came of them
    let (_, token) = take(&app).await;
    let code = code_text(&app, &token).await;
    assert_eq!(send(&app, &standin, USER, &code).await, 200);
    link(&app, &standin, &token, OTHER).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        standin.replies().len(),
        max + 1,
        "only the other user's reply"
    );
    assert!(
        standin.replies()[max].text().contains("受付番号"),
        "{:?}",
        standin.replies()[max].text()
    );
}
