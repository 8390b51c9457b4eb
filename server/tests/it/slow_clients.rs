//! Clients that are slow on purpose cannot keep a socket: a request's head dripped a line at a
//! time (slowloris), a body that never ends, an idle keep-alive connection, and a Server-Sent
//! Events client that stops reading are all closed by the server while the attacker keeps going.

use crate::common::{config_with, spawn_app_with, TestApp, TestRedis, STAFF_API_TOKEN};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// What the tests let a client take: short, so each closes within seconds.
const LIMITS: [(&str, &str); 2] = [("HTTP_READ_SECS", "2"), ("HTTP_WRITE_STALL_SECS", "2")];
/// Far longer than any limit above: an attacker still connected after it kept its socket.
const ATTACKER_GIVES_UP: Duration = Duration::from_secs(30);

async fn app() -> (TestRedis, TestApp) {
    let redis = TestRedis::start();
    let app = spawn_app_with(config_with(&redis.url(), &LIMITS)).await;
    (redis, app)
}

async fn connect(app: &TestApp, from: &str, receive_buffer: Option<u32>) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    if let Some(size) = receive_buffer {
        socket.set_recv_buffer_size(size).unwrap();
    }
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(app.addr).await.unwrap()
}

/// Sends `drip` every 300 ms until the server closes the connection (a write fails or a read
/// ends), answering what the server sent meanwhile; `None` if it was still open when the attacker
/// gave up.
async fn drip_until_closed(stream: &mut TcpStream, drip: &[u8]) -> Option<String> {
    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + ATTACKER_GIVES_UP;
    while tokio::time::Instant::now() < deadline {
        if stream.write_all(drip).await.is_err() {
            return Some(String::from_utf8_lossy(&received).into_owned());
        }
        let mut buf = [0u8; 4096];
        match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&received).into_owned()),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    None
}

#[tokio::test]
async fn a_request_head_dripped_a_line_at_a_time_is_cut_off() {
    let (_redis, app) = app().await;
    let mut stream = connect(&app, "127.0.0.2", None).await;
    stream
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n", app.addr).as_bytes())
        .await
        .unwrap();
    let answered = drip_until_closed(&mut stream, b"X-Slow: 1\r\n").await;
    let answered = answered.expect("the server closed the dripping connection");
    assert!(
        !answered.contains("200 OK"),
        "the dripped request was never served: {answered}"
    );
    // an honest client is served as before
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let (_redis, app) = app().await;
    let mut stream = connect(&app, "127.0.0.2", None).await;
    stream
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", app.addr).as_bytes())
        .await
        .unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200", "served, and kept alive");
    // then nothing: the server closes it (the rest of the response, then the end)
    let closed = tokio::time::timeout(ATTACKER_GIVES_UP, async {
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await
    })
    .await;
    assert!(
        matches!(closed, Ok(Ok(_)) | Ok(Err(_))),
        "an idle connection was still open after {ATTACKER_GIVES_UP:?}"
    );
}

#[tokio::test]
async fn a_body_that_never_ends_is_cut_off_and_issues_nothing() {
    let (_redis, app) = app().await;
    assert_eq!(app.issue_as_staff("default").await.status(), 201);
    // the staff API's call-next, whose body names the counter: it never comes
    let mut stream = connect(&app, "127.0.0.2", None).await;
    let head = format!(
        "POST /api/v1/queues/default/call-next HTTP/1.1\r\nHost: {}\r\n\
         Authorization: Bearer {STAFF_API_TOKEN}\r\nContent-Type: application/json\r\n\
         Content-Length: 4000\r\n\r\n{{\"counter\":",
        app.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answered = drip_until_closed(&mut stream, b" ").await;
    let answered = answered.expect("the server ended the endless body");
    assert!(
        answered.is_empty() || answered.starts_with("HTTP/1.1 4"),
        "refused, not served: {answered}"
    );
    let queue = app.get_json("/api/v1/queues/default").await;
    assert_eq!(queue["waiting_count"], 1, "nobody called: {queue}");
    assert_eq!(
        queue["now_serving"],
        serde_json::json!([]),
        "nobody called: {queue}"
    );
}

#[tokio::test]
async fn an_event_stream_client_that_stops_reading_loses_its_place() {
    let redis = TestRedis::start();
    let mut extra = LIMITS.to_vec();
    extra.extend([("LIVE_MAX_PER_ADDRESS", "1"), ("MAX_TICKETS_PER_DAY", "0")]);
    let app = spawn_app_with(config_with(&redis.url(), &extra)).await;
    // one event stream from 127.0.0.5, with a small window, that never reads
    let mut stalled = connect(&app, "127.0.0.5", Some(2048)).await;
    stalled
        .write_all(
            format!(
                "GET /api/v1/queues/default/events HTTP/1.1\r\nHost: {}\r\n\r\n",
                app.addr
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let events_from = |from: &'static str| {
        let url = app.url("/api/v1/queues/default/events");
        async move {
            let client = crate::common::client_at(from);
            client.get(url).send().await.unwrap().status().as_u16()
        }
    };
    assert!(
        crate::common::eventually(Duration::from_secs(5), || async {
            events_from("127.0.0.5").await == 429
        })
        .await,
        "the stalled stream holds the address's only place"
    );
    // the queue moves, fast (issued straight through the store, as another server process
    // would): what the stalled client does not read fills its socket, then the server gives up
    let store = crate::common::store(&redis);
    let calendar = crate::common::test_calendar();
    let queue = waitingroom::QueueId::parse("default").unwrap();
    let mut freed = false;
    for _ in 0..40 {
        let issues = (0..500).map(|_| {
            let (store, queue, at) = (store.clone(), queue.clone(), calendar.now());
            async move {
                let token = waitingroom::services::random_token();
                let new = waitingroom::store::NewTicket::new(
                    waitingroom::Channel::Api,
                    &token,
                    waitingroom::Lang::Ja,
                );
                store.tickets().issue(&queue, new, "", at).await.unwrap();
            }
        });
        futures::future::join_all(issues).await;
        if events_from("127.0.0.5").await == 200 {
            freed = true;
            break;
        }
    }
    if !freed {
        freed = crate::common::eventually(Duration::from_secs(10), || async {
            events_from("127.0.0.5").await == 200
        })
        .await;
    }
    assert!(freed, "a client that stopped reading kept its place");
    drop(stalled);
}
