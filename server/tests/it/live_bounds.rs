//! The live channel faces the internet: connections per address and in all are limited, screens
//! cannot send it large messages, a screen that stops answering is dropped, thousands of screens
//! that never read cost little memory and delay no one, and a storm of reconnecting screens costs
//! Redis one read.

use crate::common::{
    config_with, memory_kib, next_json, spawn_app_process, spawn_app_with, Socket, TestApp,
    TestRedis,
};
use futures::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// A TCP connection to the app from `from` (a loopback address of its own).
async fn connect_from(app: &TestApp, from: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(app.addr).await.unwrap()
}

/// A screen that reads, connecting from `from`; `Err(status)` when the upgrade is refused.
async fn screen(app: &TestApp, from: &str) -> Result<Socket, u16> {
    let stream = connect_from(app, from).await;
    let url = app.ws_url("/api/v1/queues/default/live");
    match tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(stream))
        .await
    {
        Ok((socket, _)) => Ok(socket),
        Err(WsError::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("live channel: {e}"),
    }
}

/// A screen that completes the handshake and then never reads a byte nor answers a ping.
async fn silent_screen(app: &TestApp, from: &str) -> TcpStream {
    let mut stream = connect_from(app, from).await;
    let request = format!(
        "GET /api/v1/queues/default/live HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        app.addr
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut status = [0u8; 12];
    stream.read_exact(&mut status).await.unwrap();
    assert_eq!(&status, b"HTTP/1.1 101", "upgraded");
    stream
}

/// Waits until `from` may open a live connection again (the server dropped one of its others).
async fn slot_frees_up(app: &TestApp, from: &str, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if screen(app, from).await.is_ok() {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test]
async fn live_connections_are_limited_per_address_and_in_all() {
    let redis = TestRedis::start();
    let config = config_with(
        &redis.url(),
        &[("LIVE_MAX_PER_ADDRESS", "3"), ("LIVE_MAX_CONNECTIONS", "5")],
    );
    let app = spawn_app_with(config).await;
    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(screen(&app, "127.0.0.2").await.expect("within the limit"));
    }
    assert_eq!(
        screen(&app, "127.0.0.2").await.err(),
        Some(429),
        "a 4th from one address"
    );
    let _others = [
        screen(&app, "127.0.0.3").await.expect("another address"),
        screen(&app, "127.0.0.3").await.expect("another address"),
    ];
    assert_eq!(
        screen(&app, "127.0.0.4").await.err(),
        Some(503),
        "the 6th in all"
    );
    // a screen that leaves frees its place
    mine.pop().unwrap().close(None).await.unwrap();
    assert!(slot_frees_up(&app, "127.0.0.4", Duration::from_secs(5))
        .await
        .is_some());
    // the screens let in still follow the queue
    app.issue("default").await;
    let mut first = mine.remove(0);
    assert_eq!(next_json(&mut first).await["kind"], "snapshot");
    assert_eq!(next_json(&mut first).await["event"]["change"], "issued");
}

#[tokio::test]
async fn a_screen_that_sends_a_large_message_is_dropped() {
    let redis = TestRedis::start();
    let app = spawn_app_with(config_with(&redis.url(), &[])).await;
    let mut small = screen(&app, "127.0.0.2").await.unwrap();
    let mut large = screen(&app, "127.0.0.2").await.unwrap();
    next_json(&mut small).await;
    next_json(&mut large).await;
    small.send(Message::Text("hello".into())).await.unwrap();
    large
        .send(Message::Text("x".repeat(4096).into()))
        .await
        .unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match large.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the server closed the connection");
    app.issue("default").await;
    assert_eq!(
        next_json(&mut small).await["event"]["change"],
        "issued",
        "a small one is harmless"
    );
}

#[tokio::test]
async fn a_screen_that_answers_no_ping_is_dropped_and_one_that_does_stays() {
    let redis = TestRedis::start();
    let config = config_with(
        &redis.url(),
        &[("LIVE_PING_SECS", "1"), ("LIVE_MAX_PER_ADDRESS", "1")],
    );
    let app = spawn_app_with(config).await;
    let _silent = silent_screen(&app, "127.0.0.2").await;
    let mut alive = screen(&app, "127.0.0.3").await.unwrap();
    let reader = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(Ok(message)) = alive.next().await {
            if let Message::Text(text) = message {
                seen.push(serde_json::from_str::<serde_json::Value>(&text).unwrap());
                if seen.len() == 2 {
                    break;
                }
            }
        }
        seen
    });
    assert_eq!(
        screen(&app, "127.0.0.2").await.err(),
        Some(429),
        "the silent one holds the place"
    );
    let freed = slot_frees_up(&app, "127.0.0.2", Duration::from_secs(6)).await;
    let freed = freed.expect("the silent screen was dropped");
    println!("a silent screen was dropped after {freed:?} (pings every 1 s)");
    // the screen that answers pings (its reader polls the socket) is still there
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.issue("default").await;
    let seen = tokio::time::timeout(Duration::from_secs(5), reader)
        .await
        .expect("the answering screen got the event")
        .unwrap();
    assert_eq!(seen[1]["event"]["change"], "issued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_screens_that_never_read_take_little_memory_and_delay_no_one() {
    const SILENT: usize = 2000;
    const EVENTS: usize = 50;
    let redis = TestRedis::start();
    let app = spawn_app_process(&redis, &[]).await;
    let pid = app.pid().unwrap();
    let mut reading = screen(&app, "127.0.0.2").await.unwrap();
    next_json(&mut reading).await;
    let before = memory_kib(pid, "VmRSS");
    let mut silent = Vec::with_capacity(SILENT);
    for i in 0..SILENT {
        // 20 addresses, 100 screens each, within the per-address limit
        silent.push(silent_screen(&app, &format!("127.0.3.{}", 10 + i % 20)).await);
    }
    let mut delays = Vec::with_capacity(EVENTS);
    for _ in 0..EVENTS {
        let start = Instant::now();
        assert_eq!(app.issue_as_staff("default").await.status(), 201);
        let message = next_json(&mut reading).await;
        assert_eq!(message["event"]["change"], "issued");
        delays.push(start.elapsed());
    }
    let grown = memory_kib(pid, "VmRSS").saturating_sub(before);
    delays.sort();
    let per_screen = grown as f64 / SILENT as f64;
    println!(
        "{SILENT} silent screens and {EVENTS} events: server memory +{} MiB ({per_screen:.1} KiB a \
         screen); a reading screen saw each issue after p50 {:?}, max {:?}",
        grown / 1024,
        delays[EVENTS / 2],
        delays[EVENTS - 1]
    );
    assert!(
        per_screen < 48.0,
        "at most 48 KiB a connection (default buffers took 256): {per_screen:.1} KiB"
    );
    assert!(
        delays[EVENTS - 1] < Duration::from_secs(2),
        "the reading screen is not held up: {:?}",
        delays[EVENTS - 1]
    );
    drop(silent);
}

#[tokio::test]
async fn a_reconnect_storm_costs_redis_one_snapshot_read() {
    const SCREENS: usize = 300;
    let redis = TestRedis::start();
    let app = spawn_app_with(config_with(&redis.url(), &[])).await;
    // the hub is subscribed once a screen sees an event
    let mut first = screen(&app, "127.0.0.2").await.unwrap();
    next_json(&mut first).await;
    app.issue_as_staff("default").await;
    assert_eq!(next_json(&mut first).await["event"]["version"], 1);
    // a snapshot is one MULTI of reads; nothing else runs a MULTI meanwhile (the outbox's
    // senders poll their streams without one)
    let snapshot_reads = || -> u64 {
        redis
            .command_stats()
            .lines()
            .filter_map(|l| l.strip_prefix("cmdstat_multi:calls="))
            .filter_map(|rest| rest.split(',').next())
            .map(|n| n.parse::<u64>().unwrap())
            .sum()
    };
    let before = snapshot_reads();
    let storm = futures::future::join_all((0..SCREENS).map(|i| {
        let app = &app;
        async move {
            let mut s = screen(app, &format!("127.0.4.{}", 10 + i % 3))
                .await
                .unwrap();
            next_json(&mut s).await["snapshot"]["version"].as_u64()
        }
    }))
    .await;
    let after = snapshot_reads();
    assert!(
        storm.iter().all(|v| *v == Some(1)),
        "every screen got the current snapshot"
    );
    let reads = after - before;
    println!("{SCREENS} screens connecting at once: {reads} snapshot reads from Redis");
    assert_eq!(reads, 0, "every screen got the process's copy");

    // the process's copy follows the events: a screen connecting after a change gets it
    app.issue_as_staff("default").await;
    assert_eq!(next_json(&mut first).await["event"]["version"], 2);
    let mut late = screen(&app, "127.0.0.2").await.unwrap();
    let store = crate::common::store(&redis);
    let fresh = store
        .queues()
        .snapshot(&waitingroom::QueueId::parse("default").unwrap())
        .await
        .unwrap();
    let cached: waitingroom::QueueSnapshot =
        serde_json::from_value(next_json(&mut late).await["snapshot"].clone()).unwrap();
    assert_eq!(cached, fresh);
}

/// The event stream from `client`: its status, and the open response (the connection) while it is
/// held.
async fn event_stream(app: &TestApp, client: &reqwest::Client) -> (u16, reqwest::Response) {
    let response = client
        .get(app.url("/api/v1/queues/default/events"))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response)
}

#[tokio::test]
async fn another_sites_page_cannot_open_the_live_channel() {
    let redis = TestRedis::start();
    let config = config_with(&redis.url(), &[("LIVE_MAX_PER_ADDRESS", "1")]);
    let app = spawn_app_with(config).await;
    // a WebSocket handshake a browser makes from a page of evil.example
    let mut request = app
        .ws_url("/api/v1/queues/default/live")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(request).await;
    assert!(
        matches!(&refused, Err(WsError::Http(r)) if r.status() == 403),
        "a foreign origin's WebSocket is refused: {refused:?}"
    );
    let sse = app
        .http
        .get(app.url("/api/v1/queues/default/events"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 403, "a foreign origin's event stream");
    // nothing was counted: the address's only place is still free, for our own page
    let mut ours = app
        .ws_url("/api/v1/queues/default/live")
        .into_client_request()
        .unwrap();
    ours.headers_mut()
        .insert("origin", format!("http://{}", app.addr).parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(ours)
        .await
        .expect("this site's own page connects");
    assert_eq!(next_json(&mut socket).await["kind"], "snapshot");
}

#[tokio::test]
async fn the_stores_devices_connect_when_the_public_has_taken_every_place() {
    let redis = TestRedis::start();
    let config = config_with(
        &redis.url(),
        &[
            ("LIVE_MAX_CONNECTIONS", "2"),
            ("LIVE_MAX_PER_ADDRESS", "2"),
            ("LIVE_RESERVED_CONNECTIONS", "1"),
        ],
    );
    let app = spawn_app_with(config).await;
    let kiosk = app.new_kiosk("入口").await;
    let console = crate::common::client();
    let signed_in = app.sign_in(&console, &app.password).await;
    assert!(
        signed_in.is_success() || signed_in.is_redirection(),
        "{signed_in}"
    );
    // the public fills the server (from the kiosk's own address too: one shop Wi-Fi)
    let (first, _held1) = event_stream(&app, &crate::common::client()).await;
    let (second, _held2) = event_stream(&app, &crate::common::client()).await;
    assert_eq!((first, second), (200, 200));
    let (public, _) = event_stream(&app, &crate::common::client()).await;
    assert_eq!(public, 503, "the public's places are taken");
    // the kiosk still connects, on the place kept for the store
    let (at_kiosk, held_by_kiosk) = event_stream(&app, &kiosk).await;
    assert_eq!(at_kiosk, 200, "a kiosk connects past the public's limit");
    let (at_console, _) = event_stream(&app, &console).await;
    assert_eq!(at_console, 503, "the one kept place is taken");
    let (public, _) = event_stream(&app, &crate::common::client()).await;
    assert_eq!(public, 503, "the public never gets a kept place");
    drop(held_by_kiosk);
    assert!(
        crate::common::eventually(Duration::from_secs(5), || async {
            event_stream(&app, &console).await.0 == 200
        })
        .await,
        "a console signed in as staff takes the kept place once free"
    );
}
