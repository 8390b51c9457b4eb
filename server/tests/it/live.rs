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
    let store = crate::common::store(&redis);
    let fresh = store
        .queues()
        .snapshot(&waitingroom::QueueId::parse("default").unwrap())
        .await
        .unwrap();
    assert_eq!(screen, fresh);
}

#[tokio::test]
async fn calls_in_a_burst_reach_a_screen_each_event_in_order() {
    // each call publishes two events (the ticket its counter served finished, the next called),
    // and the server sends what is waiting in one write: none may be lost, merged or reordered
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    for _ in 0..8 {
        app.issue("default").await;
    }
    let (mut socket, _) =
        tokio_tungstenite::connect_async(app.ws_url("/api/v1/queues/default/live"))
            .await
            .unwrap();
    let message = next_json(&mut socket).await;
    assert_eq!(message["kind"], "snapshot");
    let mut screen: waitingroom::QueueSnapshot =
        serde_json::from_value(message["snapshot"].clone()).unwrap();
    for _ in 0..6 {
        let call = app
            .http
            .post(app.url("/api/v1/queues/default/call-next"))
            .bearer_auth(crate::common::STAFF_API_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(call.status(), 200);
    }
    let mut changes = Vec::new();
    while changes.len() < 11 {
        let message = next_json(&mut socket).await;
        assert_eq!(message["kind"], "event", "{message}");
        let event: waitingroom::QueueEvent =
            serde_json::from_value(message["event"].clone()).unwrap();
        match screen.apply(&event) {
            // an issue's event may still have been on its way as the screen connected
            waitingroom::Applied::Stale => assert!(event.version <= 8),
            applied => {
                assert_eq!(applied, waitingroom::Applied::Updated, "{message}");
                changes.push(message["event"]["change"].as_str().unwrap().to_owned());
            }
        }
    }
    // the first call finished nothing; each of the other five finished the ticket before it
    assert_eq!(changes.iter().filter(|c| *c == "called").count(), 6);
    assert_eq!(changes.iter().filter(|c| *c == "finished").count(), 5);
    let store = crate::common::store(&redis);
    let fresh = store
        .queues()
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

/// A Server-Sent Events client: the messages of `GET path` as (event, id, data) as they come.
struct EventStream {
    answer: reqwest::Response,
    buffer: String,
}

impl EventStream {
    async fn open(app: &crate::common::TestApp, last_event_id: Option<u64>) -> (u16, Option<Self>) {
        let mut request = app.http.get(app.url("/api/v1/queues/default/events"));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let answer = request.send().await.unwrap();
        let status = answer.status().as_u16();
        if status != 200 {
            return (status, None);
        }
        assert_eq!(answer.headers()["content-type"], "text/event-stream");
        (
            status,
            Some(Self {
                answer,
                buffer: String::new(),
            }),
        )
    }

    /// The next message (comments skipped), within 5 s.
    async fn next(&mut self) -> (String, u64, serde_json::Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim().to_owned())
                };
                if let (Some(event), Some(id), Some(data)) =
                    (field("event:"), field("id:"), field("data:"))
                {
                    return (
                        event,
                        id.parse().unwrap(),
                        serde_json::from_str(&data).unwrap(),
                    );
                }
                continue;
            }
            let chunk =
                tokio::time::timeout(std::time::Duration::from_secs(5), self.answer.chunk())
                    .await
                    .expect("a message within 5 s")
                    .unwrap()
                    .expect("the stream goes on");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[tokio::test]
async fn the_live_channel_also_comes_as_server_sent_events_and_resumes_from_a_version() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    app.issue("default").await;
    let (status, stream) = EventStream::open(&app, None).await;
    assert_eq!(status, 200);
    let mut stream = stream.unwrap();
    let (kind, id, data) = stream.next().await;
    assert_eq!((kind.as_str(), id), ("snapshot", 1));
    assert_eq!(data["snapshot"]["waiting"], serde_json::json!([1]));
    app.issue("default").await;
    let (kind, id, data) = stream.next().await;
    assert_eq!((kind.as_str(), id), ("event", 2));
    assert_eq!(data["event"]["change"], "issued");
    drop(stream);

    // back with the current version: only what follows; with an older one: the snapshot first
    let (_, resumed) = EventStream::open(&app, Some(2)).await;
    let mut resumed = resumed.unwrap();
    app.issue("default").await;
    let (kind, id, _) = resumed.next().await;
    assert_eq!(
        (kind.as_str(), id),
        ("event", 3),
        "no snapshot for a client up to date"
    );
    let (_, behind) = EventStream::open(&app, Some(1)).await;
    let (kind, id, data) = behind.unwrap().next().await;
    assert_eq!((kind.as_str(), id), ("snapshot", 3));
    assert_eq!(data["snapshot"]["waiting"], serde_json::json!([1, 2, 3]));
}

#[tokio::test]
async fn server_sent_events_count_within_the_live_limits() {
    let redis = TestRedis::start();
    let config = crate::common::config_with(&redis.url(), &[("LIVE_MAX_PER_ADDRESS", "2")]);
    let app = crate::common::spawn_app_with(config).await;
    let (_, a) = EventStream::open(&app, None).await;
    let (_, b) = EventStream::open(&app, None).await;
    assert!(a.is_some() && b.is_some());
    let (status, _) = EventStream::open(&app, None).await;
    assert_eq!(status, 429, "a third from one address");
    drop(a);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (status, _) = EventStream::open(&app, None).await;
    assert_eq!(status, 200, "a closed one makes room");
}
