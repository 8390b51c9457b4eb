//! The live channel: snapshot first, then every change, across server processes.

use crate::common::{next_json, spawn_app, TestRedis};

#[tokio::test]
async fn a_screen_gets_the_snapshot_then_each_change_with_its_version() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    app.issue("default").await;

    let (mut socket, _) =
        tokio_tungstenite::connect_async(app.ws_url("/api/v1/queues/default/live"))
            .await
            .unwrap();
    let message = next_json(&mut socket).await;
    assert_eq!(message["kind"], "snapshot");
    assert_eq!(message["snapshot"]["version"], 1);
    assert_eq!(message["snapshot"]["waiting"], serde_json::json!([1]));
    let mut screen: waitingroom::QueueSnapshot =
        serde_json::from_value(message["snapshot"].clone()).unwrap();

    app.issue("default").await;
    // The first issue's event may still be on its way (the server subscribed before reading the
    // snapshot): a screen ignores what its snapshot already holds, as the protocol says.
    let event = loop {
        let message = next_json(&mut socket).await;
        assert_eq!(message["kind"], "event");
        let event: waitingroom::QueueEvent =
            serde_json::from_value(message["event"].clone()).unwrap();
        match screen.apply(&event) {
            waitingroom::Applied::Stale => assert!(event.version <= 1),
            applied => {
                assert_eq!(applied, waitingroom::Applied::Updated);
                break message["event"].clone();
            }
        }
    };
    assert_eq!(event["change"], "issued");
    assert_eq!(event["version"], 2);
    assert_eq!(event["number"], 2);

    // the screen's own reducer, applied to the events, equals a fresh read of Redis
    let store = waitingroom::store::Store::open(&redis.url()).unwrap();
    let fresh = store
        .snapshot(&waitingroom::QueueId::parse("default").unwrap())
        .await
        .unwrap();
    assert_eq!(screen, fresh);
}

#[tokio::test]
async fn two_server_processes_on_one_redis_see_each_others_changes() {
    let redis = TestRedis::start();
    let a = spawn_app(&redis).await;
    let b = spawn_app(&redis).await;

    let (mut on_b, _) = tokio_tungstenite::connect_async(b.ws_url("/api/v1/queues/default/live"))
        .await
        .unwrap();
    assert_eq!(next_json(&mut on_b).await["snapshot"]["version"], 0);
    // the subscription of B's hub may still be starting: issue until B reports it
    let mut seen = None;
    for _ in 0..3 {
        a.issue("default").await;
        let message = next_json(&mut on_b).await;
        if message["kind"] == "event" {
            seen = Some(message);
            break;
        }
    }
    let event = seen.expect("B saw an issue made on A");
    assert_eq!(event["event"]["change"], "issued");
}

#[tokio::test]
async fn an_unknown_queue_has_no_live_channel() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let result = tokio_tungstenite::connect_async(app.ws_url("/api/v1/queues/nope/live")).await;
    match result {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 404)
        }
        other => panic!("expected a 404, got {other:?}"),
    }
}
