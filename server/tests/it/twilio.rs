//! The Twilio client, judged by Twilio's own spec: every request goes through Prism (validating
//! proxy) to the stand-in of api.twilio.com, so a request that breaks the spec fails the test.

use crate::twilio_standin::{Fault, TwilioStandIn, ACCOUNT_SID};
use std::time::Duration;
use waitingroom::twilio::{Call, CallScript, TwilioClient, TwilioConfig, TwilioError};
use waitingroom::PhoneNumber;

fn client(standin: &TwilioStandIn, timeout: Duration) -> TwilioClient {
    TwilioClient::new(TwilioConfig {
        base_url: standin.base_url.clone(),
        account_sid: ACCOUNT_SID.to_owned(),
        username: ACCOUNT_SID.to_owned(),
        password: "test-auth-token".to_owned(),
        from: Some(PhoneNumber::parse("+15005550006").unwrap()),
        messaging_service_sid: Some("MG0123456789abcdef0123456789abcdef".to_owned()),
        timeout,
    })
}

fn phone() -> PhoneNumber {
    PhoneNumber::parse("090-1234-5678").unwrap()
}

#[tokio::test]
async fn an_sms_now_and_a_scheduled_one_then_cancelled_are_sent_as_twilios_spec_says() {
    let standin = TwilioStandIn::start().await;
    let twilio = client(&standin, Duration::from_secs(5));
    let sent = twilio
        .send_sms(
            &phone(),
            "受付番号42番の方、まもなく順番です。",
            Some("https://shop.example/twilio/status"),
        )
        .await
        .unwrap();
    assert!(sent.sid.starts_with("SM"), "{sent:?}");
    assert_eq!(sent.status, "queued");

    let now = jiff::Timestamp::now();
    let later = now + jiff::SignedDuration::from_hours(1);
    let scheduled = twilio
        .schedule_sms(&phone(), "30分ほどで順番です", later, now)
        .await
        .unwrap();
    assert_eq!(scheduled.status, "scheduled");
    let cancelled = twilio.cancel_sms(&scheduled.sid).await.unwrap();
    assert_eq!(cancelled.status, "canceled");
    let too_soon = now + jiff::SignedDuration::from_mins(4);
    assert!(matches!(
        twilio.schedule_sms(&phone(), "x", too_soon, now).await,
        Err(TwilioError::Invalid(_))
    ));

    let creates = standin.creates();
    assert_eq!(creates.len(), 2, "the refused schedule never left");
    assert_eq!(creates[0].value("To"), Some("+819012345678"));
    assert_eq!(
        creates[0].value("Body"),
        Some("受付番号42番の方、まもなく順番です。")
    );
    assert_eq!(
        creates[0].value("StatusCallback"),
        Some("https://shop.example/twilio/status")
    );
    assert_eq!(creates[1].value("ScheduleType"), Some("fixed"));
    assert!(creates[1].value("SendAt").unwrap().ends_with('Z'));
    assert!(creates[1].value("MessagingServiceSid").is_some());
    let update = standin
        .recorded()
        .into_iter()
        .find(|r| r.path.contains("/Messages/SM"))
        .unwrap();
    assert_eq!(update.value("Status"), Some("canceled"));
}

#[tokio::test]
async fn a_call_sends_its_status_events_as_repeated_keys() {
    let standin = TwilioStandIn::start().await;
    let twilio = client(&standin, Duration::from_secs(5));
    let to = phone();
    let call = twilio
        .call(&Call {
            to: &to,
            script: CallScript::Twiml(waitingroom::twilio::twiml::response(&[
                waitingroom::twilio::twiml::Verb::Hangup,
            ])),
            status_callback: Some("https://shop.example/twilio/status".into()),
            timeout_s: 25,
            time_limit_s: 120,
            machine_callback: Some("https://shop.example/twilio/voice/amd".into()),
        })
        .await
        .unwrap();
    assert!(call.sid.starts_with("CA"));
    let create = &standin.creates()[0];
    assert_eq!(
        create.values("StatusCallbackEvent"),
        ["initiated", "ringing", "answered", "completed"]
    );
    // answering machine detection in the background, its result posted apart (Twilio does not
    // hold inline TwiML for a synchronous one: BEHAVIOUR.md)
    assert_eq!(create.value("MachineDetection"), Some("Enable"));
    assert_eq!(create.value("AsyncAmd"), Some("true"));
    assert_eq!(
        create.value("AsyncAmdStatusCallback"),
        Some("https://shop.example/twilio/voice/amd")
    );
    assert_eq!(create.value("TimeLimit"), Some("120"));
    assert!(create.value("Twiml").unwrap().contains("<Hangup />"));
    assert_eq!(twilio.calls_to(&to).await.unwrap().len(), 1, "listed");
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_and_other_refusals_are_not() {
    let standin = TwilioStandIn::start().await;
    let twilio = client(&standin, Duration::from_secs(5));
    standin.fail_next(&[Fault::Refuse(429, 20429), Fault::Refuse(503, 20503)]);
    let sent = twilio.send_sms(&phone(), "retry", None).await.unwrap();
    assert_eq!(standin.creates().len(), 3, "two refusals, then the message");
    assert_eq!(twilio.messages_to(&phone()).await.unwrap()[0].sid, sent.sid);

    standin.fail_next(&[Fault::Refuse(400, 21211)]);
    let refused = twilio
        .send_sms(&phone(), "invalid To", None)
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        TwilioError::Api {
            status: 400,
            code: Some(21211),
            message: "stand-in error 21211".into()
        }
    );
    assert_eq!(standin.creates().len(), 4, "a refusal is final: no retry");
}

#[tokio::test]
async fn a_message_whose_answer_was_lost_is_not_sent_twice() {
    let standin = TwilioStandIn::start().await;
    let twilio = client(&standin, Duration::from_secs(1));
    // Twilio makes the message but its answer never arrives in time
    standin.fail_next(&[Fault::Slow(Duration::from_secs(3))]);
    let sent = twilio.send_sms(&phone(), "once only", None).await.unwrap();
    assert_eq!(
        standin.creates().len(),
        1,
        "found in the list, not sent again"
    );
    let listed = twilio.messages_to(&phone()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].sid, sent.sid);
}

#[tokio::test]
async fn the_judge_refuses_a_request_that_breaks_twilios_spec() {
    let standin = TwilioStandIn::start().await;
    let response = reqwest::Client::new()
        .post(format!(
            "{}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
            standin.base_url
        ))
        .basic_auth(ACCOUNT_SID, Some("x"))
        .form(&[("Body", "no recipient")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(
        standin.recorded().is_empty(),
        "it never reached the stand-in"
    );
}
