//! Bad input from outside, generated (proptest): random form bodies for every server function,
//! random paths, JSON bodies and headers for the API, random frames on the live channel. Each
//! gets an answer below 500 (a 4xx with a JSON error code where the route speaks JSON), the
//! server never drops a connection (a panic would), and nothing outside the day's known keys is
//! ever written.

use crate::common::{spawn_app, TestApp, TestRedis, STAFF_API_TOKEN};
use futures::{SinkExt, StreamExt};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use redis::AsyncCommands;
use tokio_tungstenite::tungstenite::Message;

/// Text that parsers find tricky: numbers out of range, ids, hex, separators, control and
/// full-width characters, JSON and URL syntax.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        Just(String::new()),
        "-?[0-9]{1,25}",
        "[a-z0-9_-]{0,20}",
        "[0-9a-f]{32}(\\.[0-9a-f]{0,33})?",
        "[\\x00-\\x1f%&=+;,{}\\[\\]\"'<>\\\\/ ]{0,20}",
        "[０-９受付窓口\u{200b}]{0,10}",
        Just("default".to_owned()),
        Just("1".to_owned()),
        Just("call".to_owned()),
        Just("paused".to_owned()),
    ]
    .boxed()
}

const FIELDS: [&str; 13] = [
    "queue", "number", "rev", "action", "counter", "intake", "confirm", "name", "id", "token",
    "password", "queue[]", "phone",
];

/// Every server function a browser can post to (sign-outs and making a kiosk end the session
/// the rest needs; their input is a session alone, or a name tested in `it/kiosks.rs`).
const SERVER_FUNCTIONS: [&str; 17] = [
    "/api/kiosk/setup",
    "/api/kiosk/issue_ticket",
    "/api/ticket/view",
    "/api/ticket/cancel",
    "/api/ticket/phone",
    "/api/verify/open",
    "/api/join/view",
    "/api/join/take",
    "/api/display/setup",
    "/api/admin/console",
    "/api/admin/call_next",
    "/api/admin/act",
    "/api/admin/intake",
    "/api/admin/reset",
    "/api/admin/kiosks",
    "/api/admin/revoke_kiosk",
    "/api/admin/dev_outbox",
];

fn generate<S: Strategy>(runner: &mut TestRunner, strategy: S) -> S::Value {
    strategy.new_tree(runner).unwrap().current()
}

/// Asserts that `response` is an answer, not a failure, and a clear one.
async fn assert_clear(response: Result<reqwest::Response, reqwest::Error>, what: &str) {
    let response = response.unwrap_or_else(|e| panic!("{what}: no answer ({e})"));
    let status = response.status().as_u16();
    assert!(status < 500, "{what}: {status}");
    let json = response
        .headers()
        .get("content-type")
        .is_some_and(|t| t.to_str().unwrap_or("").starts_with("application/json"));
    if status >= 400 && json {
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["error"].is_string(), "{what}: {status} {body}");
    }
}

/// A device that is both a kiosk and a signed-in staff tablet, so requests reach the parsing
/// behind both checks.
async fn insider(app: &TestApp) -> reqwest::Client {
    let device = app.new_kiosk("検査").await;
    assert!(app.sign_in(&device, &app.password).await.is_success());
    device
}

#[tokio::test]
async fn random_form_bodies_for_every_server_function_get_a_clear_4xx() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let device = insider(&app).await;
    app.issue("default").await;
    let mut runner = TestRunner::deterministic();
    let form = proptest::collection::vec((prop::sample::select(&FIELDS[..]), text()), 0..5);
    for case in 0..400 {
        let path = SERVER_FUNCTIONS[case % SERVER_FUNCTIONS.len()];
        let fields = generate(&mut runner, &form);
        let response = app.post(&device, path).form(&fields).send().await;
        assert_clear(response, &format!("{path} {fields:?}")).await;
    }
    // bodies that are no form at all
    let raw = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        text().prop_map(String::into_bytes),
    ];
    for case in 0..150 {
        let path = SERVER_FUNCTIONS[case % SERVER_FUNCTIONS.len()];
        let body = generate(&mut runner, &raw);
        let content_type = [
            "application/x-www-form-urlencoded",
            "application/json",
            "text/plain",
        ][case % 3];
        let response = app
            .post(&device, path)
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await;
        assert_clear(response, &format!("{path} {content_type} {body:?}")).await;
    }
    assert_only_known_keys(&redis).await;
    assert_eq!(app.issue("default").await.status(), 200, "still issuing");
}

#[tokio::test]
async fn random_paths_bodies_and_headers_on_the_api_get_a_clear_4xx() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let mut runner = TestRunner::deterministic();
    let segment = text().prop_map(|s| {
        s.chars()
            .filter(|c| !c.is_control() && !"/?#".contains(*c))
            .collect::<String>()
    });
    let json_body = prop_oneof![
        text(),
        text().prop_map(|s| serde_json::json!({ "counter": s }).to_string()),
        any::<i64>().prop_map(|n| serde_json::json!({ "counter": n }).to_string()),
        Just("{\"counter\":null}".to_owned()),
        Just("[]".to_owned()),
    ];
    for case in 0..300 {
        let raw = generate(&mut runner, &segment);
        let queue: String = url_escape(&raw);
        let body = generate(&mut runner, &json_body);
        let header = generate(&mut runner, &text());
        let request = match case % 6 {
            0 => app.http.get(app.url(&format!("/api/v1/queues/{queue}"))),
            1 => app
                .http
                .post(app.url(&format!("/api/v1/queues/{queue}/tickets")))
                .header("accept-language", header_value(&header)),
            2 => app
                .http
                .post(app.url("/api/v1/queues/default/call-next"))
                .bearer_auth(STAFF_API_TOKEN)
                .body(body.clone()),
            3 => app.http.get(app.url(&format!("/t/{queue}/qr.svg"))),
            4 => app.http.get(app.url(&format!("/t/{queue}"))),
            _ => app.http.get(app.url(&format!("/lang/{queue}"))),
        };
        assert_clear(
            request.send().await,
            &format!("case {case}: {raw:?} {body:?}"),
        )
        .await;
    }
    assert_only_known_keys(&redis).await;
}

#[tokio::test]
async fn random_frames_on_the_live_channel_never_harm_the_server() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let mut runner = TestRunner::deterministic();
    let frame = prop_oneof![
        text().prop_map(|s| Message::Text(s.into())),
        proptest::collection::vec(any::<u8>(), 0..2000).prop_map(|b| Message::Binary(b.into())),
        proptest::collection::vec(any::<u8>(), 0..100).prop_map(|b| Message::Ping(b.into())),
    ];
    for _ in 0..40 {
        let (mut socket, _) =
            tokio_tungstenite::connect_async(app.ws_url("/api/v1/queues/default/live"))
                .await
                .unwrap();
        for _ in 0..5 {
            if socket.send(generate(&mut runner, &frame)).await.is_err() {
                break; // the server closed a channel that sent too much
            }
        }
        let _ = socket.close(None).await;
    }
    // the channel still serves a screen
    let (mut screen, _) =
        tokio_tungstenite::connect_async(app.ws_url("/api/v1/queues/default/live"))
            .await
            .unwrap();
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), screen.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(first.to_text().unwrap().contains("\"snapshot\""));
    assert_only_known_keys(&redis).await;
}

/// What can travel in a header: visible ASCII and spaces.
fn header_value(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .collect()
}

fn url_escape(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Nothing outside the keys the app is known to write: input never names a key.
async fn assert_only_known_keys(redis: &TestRedis) {
    let mut conn = redis.connection().await;
    let keys: Vec<String> = conn.keys("*").await.unwrap();
    let known = [
        "wr:{default}:",
        "wr:{limits}:",
        "wr:{kiosks}:",
        "wr:{accounts}:",
        "wr:{audit}:",
        "wr:{tokens}:",
        "wr:session:",
        "wr:staff:",
        "wr:{signin}:",
        "wr:devoutbox",
    ];
    for key in keys {
        assert!(
            known.iter().any(|prefix| key.starts_with(prefix)),
            "unexpected key {key:?}"
        );
    }
}
