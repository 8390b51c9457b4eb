//! LINE, judged by LINE's own spec: every request to LINE goes through Prism (validating proxy,
//! `testdata/line/messaging-api.yml`) to the stand-in of api.line.me, and every webhook the
//! stand-in posts is shaped by `webhook.yml` and signed as LINE signs.

use crate::line_standin::{Fault, LineStandIn, ACCESS_TOKEN, ACCOUNT_ID, CHANNEL_SECRET};
use std::time::Duration;
use waitingroom::line::client::text_message;
use waitingroom::line::{LineClient, LineConfig, LineError, Pushed};

const USER: &str = "U4af4980629abcdef0123456789abcdef";
const KEY: &str = "123e4567-e89b-42d3-a456-426614174000";

fn client(standin: &LineStandIn, timeout: Duration) -> LineClient {
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
    let line = client(&standin, Duration::from_secs(5));
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
    let line = client(&standin, Duration::from_millis(700));
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
    let line = client(&standin, Duration::from_secs(5));
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
