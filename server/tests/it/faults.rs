//! What survives a crash: Redis killed (SIGKILL) and restarted while tickets are issued, the
//! server killed and restarted, two server processes calling next at once. Nothing acknowledged
//! is lost or renumbered, the server reconnects by itself, and screens come back to exactly the
//! current state.

use crate::common::{
    config_with, eventually, next_json, spawn_app_process, spawn_app_with, TestApp, TestRedis,
    STAFF_API_TOKEN,
};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use waitingroom::{Applied, LiveMessage, QueueSnapshot};

/// A screen as the browser keeps it: the snapshot it started from, moved on by each event, and
/// replaced by every snapshot the server sends (after a gap, or a reconnect to Redis).
struct Screen {
    socket: crate::common::Socket,
    shown: QueueSnapshot,
}

impl Screen {
    async fn open(app: &TestApp) -> Self {
        let (mut socket, _) =
            tokio_tungstenite::connect_async(app.ws_url("/api/v1/queues/default/live"))
                .await
                .unwrap();
        let first: LiveMessage = serde_json::from_value(next_json(&mut socket).await).unwrap();
        let LiveMessage::Snapshot { snapshot } = first else {
            panic!("a screen starts from a snapshot");
        };
        Self {
            socket,
            shown: snapshot,
        }
    }

    /// Reads what the server sent until nothing more comes for `quiet`.
    async fn follow(&mut self, quiet: Duration) {
        use futures::StreamExt;
        while let Ok(Some(Ok(message))) = tokio::time::timeout(quiet, self.socket.next()).await {
            let tokio_tungstenite::tungstenite::Message::Text(text) = message else {
                continue;
            };
            match serde_json::from_str::<LiveMessage>(&text).unwrap() {
                LiveMessage::Snapshot { snapshot } => self.shown = snapshot,
                LiveMessage::Event { event } => {
                    let applied = self.shown.apply(&event);
                    assert_ne!(
                        applied,
                        Applied::Gap,
                        "a gap the server did not follow with a snapshot"
                    );
                }
            }
        }
    }
}

/// What a screen shows of the queue: its version, the line, who is at which counter, the last
/// number; as the API answers it, or as a screen holds it.
#[derive(Debug, PartialEq)]
struct Shown {
    version: u64,
    waiting: Vec<u64>,
    serving: Vec<(String, u64)>,
    last_number: u64,
}

impl From<&QueueSnapshot> for Shown {
    fn from(s: &QueueSnapshot) -> Self {
        Self {
            version: s.version,
            waiting: s.waiting.clone(),
            serving: s
                .serving
                .iter()
                .map(|s| (s.counter.to_string(), s.number))
                .collect(),
            last_number: s.last_number,
        }
    }
}

async fn current(app: &TestApp) -> Shown {
    let api = app.get_json("/api/v1/queues/default").await;
    let numbers = |v: &Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .collect()
    };
    Shown {
        version: api["version"].as_u64().unwrap(),
        waiting: numbers(&api["waiting"]),
        serving: api["now_serving"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["counter"].as_str().unwrap().to_owned(),
                    s["number"].as_u64().unwrap(),
                )
            })
            .collect(),
        last_number: api["last_number"].as_u64().unwrap(),
    }
}

/// Issues through the staff API until `stop`, noting each acknowledged number and token.
async fn issue_until(app: &TestApp, stop: Arc<AtomicBool>, acked: Arc<Mutex<Vec<(u64, String)>>>) {
    while !stop.load(Ordering::Relaxed) {
        let answer = app
            .http
            .post(app.url("/api/v1/queues/default/tickets"))
            .bearer_auth(STAFF_API_TOKEN)
            .send()
            .await;
        match answer {
            Ok(r) if r.status() == 201 => {
                let body: Value = r.json().await.unwrap();
                let number = body["number"].as_u64().unwrap();
                let token = body["token"].as_str().unwrap().to_owned();
                acked.lock().unwrap().push((number, token));
            }
            // Redis is down: a clear 503, try again
            Ok(r) => {
                assert_eq!(r.status(), 503, "refused only while Redis is down");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

#[tokio::test]
async fn redis_killed_while_tickets_are_issued_loses_or_renumbers_nothing_acknowledged() {
    let mut redis = TestRedis::start_durable();
    let app = Arc::new(spawn_app_with(config_with(&redis.url(), &[])).await);
    let mut screen = Screen::open(&app).await;
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (app, stop, acked) = (app.clone(), stop.clone(), acked.clone());
            tokio::spawn(async move { issue_until(&app, stop, acked).await })
        })
        .collect();
    let count = || acked.lock().unwrap().len();
    assert!(eventually(Duration::from_secs(10), || async { count() >= 100 }).await);

    redis.stop(); // SIGKILL, mid-issue
    let at_kill = count();
    tokio::time::sleep(Duration::from_millis(500)).await;
    redis.restart();
    let recovered = eventually(Duration::from_secs(20), || async {
        count() >= at_kill + 100
    })
    .await;
    assert!(
        recovered,
        "the server reconnected by itself and issues again"
    );
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }

    // every acknowledged ticket is in Redis, under its number, with its token, in line in order
    let acked = acked.lock().unwrap().clone();
    let numbers: HashSet<u64> = acked.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers.len(), acked.len(), "no number given twice");
    let keys = crate::common::day_keys(&redis, "default").await;
    let mut conn = redis.connection().await;
    let waiting = line(&redis).await;
    assert!(
        waiting.windows(2).all(|w| w[0] < w[1]),
        "the line is in issue order"
    );
    let in_line: HashSet<u64> = waiting.iter().copied().collect();
    for (number, token) in &acked {
        assert!(
            in_line.contains(number),
            "ticket {number} was acknowledged, then lost"
        );
        let raw: String = redis::cmd("HGET")
            .arg(keys.tickets())
            .arg(number)
            .query_async(&mut conn)
            .await
            .unwrap();
        let ticket: Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(
            ticket["token"],
            token.as_str(),
            "ticket {number} renumbered"
        );
    }

    // the screen that watched it all shows exactly the current state
    screen.follow(Duration::from_millis(1500)).await;
    assert_eq!(Shown::from(&screen.shown), current(&app).await);
}

#[tokio::test]
async fn a_server_killed_and_restarted_serves_its_screens_the_current_state() {
    let redis = TestRedis::start();
    let port = crate::common::free_port().to_string();
    let extra = [("PORT", port.as_str())];
    let mut first = spawn_app_process(&redis, &extra).await;
    let other = spawn_app_process(&redis, &[]).await;
    for _ in 0..3 {
        assert_eq!(first.issue_as_staff("default").await.status(), 201);
    }
    let mut screen = Screen::open(&first).await;
    first.kill(); // SIGKILL
                  // the line moves on through another server while this one is down
    for _ in 0..4 {
        assert_eq!(other.issue_as_staff("default").await.status(), 201);
    }
    assert_eq!(other.call_next_as_staff("default", "1").await.status(), 200);
    screen.follow(Duration::from_millis(300)).await; // the connection is gone

    let restarted = spawn_app_process(&redis, &extra).await;
    let mut screen = Screen::open(&restarted).await;
    screen.follow(Duration::from_millis(300)).await;
    let now = current(&other).await;
    assert_eq!(now.last_number, 7);
    assert_eq!(
        Shown::from(&screen.shown),
        now,
        "the screen that reconnects sees the current state"
    );
}

#[tokio::test]
async fn two_server_processes_calling_next_at_once_call_every_ticket_exactly_once() {
    let redis = TestRedis::start();
    let counters = [("COUNTERS", "1,2,3,4")];
    let a = spawn_app_process(&redis, &counters).await;
    let b = spawn_app_process(&redis, &counters).await;
    for _ in 0..200 {
        assert_eq!(a.issue_as_staff("default").await.status(), 201);
    }
    async fn call_next(app: &TestApp, counter: &str) -> Option<u64> {
        let answer = app.call_next_as_staff("default", counter).await;
        match answer.status().as_u16() {
            200 => answer.json::<Value>().await.unwrap()["number"].as_u64(),
            409 => None, // nobody left
            other => panic!("call-next answered {other}"),
        }
    }
    let mut called = Vec::new();
    loop {
        let round = futures::future::join_all([
            call_next(&a, "1"),
            call_next(&b, "2"),
            call_next(&a, "3"),
            call_next(&b, "4"),
        ])
        .await;
        if round.iter().all(Option::is_none) {
            break;
        }
        called.extend(round.into_iter().flatten());
    }
    called.sort_unstable();
    assert_eq!(
        called,
        (1..=200).collect::<Vec<u64>>(),
        "each ticket called exactly once"
    );
}

/// What Redis holds of the default queue's day: the line, and the token of every ticket issued.
/// The numbers in line today, first first.
async fn line(redis: &TestRedis) -> Vec<u64> {
    let keys = crate::common::day_keys(redis, "default").await;
    let mut conn = redis.connection().await;
    redis::cmd("LRANGE")
        .arg(keys.waiting())
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap()
}

async fn line_and_tokens(redis: &TestRedis) -> (Vec<u64>, Vec<String>) {
    let keys = crate::common::day_keys(redis, "default").await;
    let mut conn = redis.connection().await;
    let waiting = line(redis).await;
    let tickets: Vec<String> = redis::cmd("HVALS")
        .arg(keys.tickets())
        .query_async(&mut conn)
        .await
        .unwrap();
    let tokens = tickets
        .iter()
        .map(|raw| {
            let ticket: Value = serde_json::from_str(raw).unwrap();
            ticket["token"].as_str().unwrap().to_owned()
        })
        .collect();
    (waiting, tokens)
}

/// Presses of which `acked` were answered (number, token) and `lost` were not: Redis holds one
/// ticket per press at most (never two numbers for one press), every acknowledged one in line.
async fn assert_one_ticket_per_press(redis: &TestRedis, acked: &[(u64, String)], lost: usize) {
    let (waiting, mut tokens) = line_and_tokens(redis).await;
    tokens.sort_unstable();
    let tickets = tokens.len();
    tokens.dedup();
    assert_eq!(
        tokens.len(),
        tickets,
        "one press, one number: no press issued twice (line {waiting:?})"
    );
    assert_eq!(waiting.len(), tickets, "every ticket waits in line");
    assert!(
        waiting.len() <= acked.len() + lost,
        "the line holds the acknowledged tickets and at most one per lost answer: {waiting:?}, \
         {} acknowledged, {lost} lost",
        acked.len()
    );
    let in_line: HashSet<u64> = waiting.iter().copied().collect();
    for (number, token) in acked {
        assert!(
            in_line.contains(number),
            "ticket {number} was acknowledged, then lost"
        );
        assert!(tokens.contains(token), "ticket {number} lost its token");
    }
    assert!(
        waiting.windows(2).all(|w| w[0] < w[1]),
        "the line is in issue order"
    );
}

/// One press through the staff API: its number and token if it was answered, None if it failed
/// (503).
async fn press(app: &TestApp) -> Option<(u64, String)> {
    let answer = app.issue_as_staff("default").await;
    match answer.status().as_u16() {
        201 => {
            let body: Value = answer.json().await.unwrap();
            Some((
                body["number"].as_u64().unwrap(),
                body["token"].as_str().unwrap().to_owned(),
            ))
        }
        503 => None,
        other => panic!("a press answered {other}"),
    }
}

// A multi-threaded runtime, as the server runs: the cluster client's own timeout of a node and
// the request's timeout race there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_press_whose_answer_comes_after_the_response_timeout_is_issued_once() {
    let redis = TestRedis::start();
    let app = spawn_app_with(config_with(&redis.url(), &[])).await;
    let mut acked = Vec::new();
    for _ in 0..2 {
        acked.push(press(&app).await.expect("issued before the stall"));
    }

    // Redis stalls past the app's response timeout while presses come in: each one's script
    // waits in Redis and runs when the stall ends, after the app stopped waiting for its answer
    redis.pause_writes(waitingroom::store::RESPONSE_TIMEOUT + Duration::from_secs(2));
    let answers = futures::future::join_all((0..8).map(|_| press(&app))).await;
    let lost = answers.iter().filter(|a| a.is_none()).count();
    acked.extend(answers.into_iter().flatten());
    assert!(lost > 0, "the stall outlasted the response timeout");
    redis.wait_for_writes().await;
    // the scripts held in Redis ran when the stall ended (a moment for any sent again after)
    tokio::time::sleep(Duration::from_millis(500)).await;
    acked.push(
        press(&app)
            .await
            .expect("the app issues again after the stall"),
    );

    assert_one_ticket_per_press(&redis, &acked, lost).await;
}

#[tokio::test]
async fn a_press_whose_answer_is_cut_off_after_its_script_ran_is_issued_once() {
    let redis = TestRedis::start();
    let proxies = redis.behind_proxies().await;
    let app = spawn_app_with(config_with(&proxies.url, &[])).await;
    let mut acked = vec![press(&app).await.expect("issued")];

    proxies.cut_next_script_answer();
    let answer = press(&app).await;
    assert_eq!(
        proxies.cuts(),
        1,
        "the press's script ran and its answer was cut off"
    );
    // One server's connection does not send the command again: the press fails. A cluster's
    // client sends it once more, to the node it then takes for the queue's: while the lost
    // connection is repaired, another one (which answers MOVED, and the press fails); once
    // repaired, the same one, where the script runs again.
    let lost = usize::from(answer.is_none());
    acked.extend(answer);
    acked.push(
        press(&app)
            .await
            .expect("the app issues again after the cut"),
    );

    assert_one_ticket_per_press(&redis, &acked, lost).await;
    let (waiting, _) = line_and_tokens(&redis).await;
    assert_eq!(
        waiting,
        vec![1, 2, 3],
        "the press whose answer was cut off took one number"
    );
}

#[tokio::test]
async fn the_same_press_sent_twice_gets_the_one_ticket_it_was_issued() {
    use waitingroom::store::NewTicket;
    use waitingroom::{Channel, Lang, QueueId, TicketToken};
    let redis = TestRedis::start();
    let store = crate::common::store(&redis);
    let issue = |press: TicketToken| {
        let store = store.clone();
        async move {
            let new = NewTicket::new(Channel::Kiosk, &press, Lang::Ja);
            let queue = QueueId::parse("default").unwrap();
            let at = crate::common::test_calendar().now();
            store
                .tickets()
                .issue(&queue, new, "A", at)
                .await
                .unwrap()
                .ticket
        }
    };
    let press = TicketToken::from_bytes([7; 16]);
    let first = issue(press.clone()).await;
    let other = issue(TicketToken::from_bytes([8; 16])).await;
    // what the Redis client does when a connection is lost before the answer came
    let again = issue(press.clone()).await;
    assert_eq!(
        (again.number, again.token.as_str(), again.people_ahead),
        (first.number, press.as_str(), 0),
        "the same press is answered with the ticket it was issued"
    );
    assert_eq!(other.number, first.number + 1);
    assert_eq!(again.version, other.version, "nothing changed");
    let (waiting, tokens) = line_and_tokens(&redis).await;
    assert_eq!(waiting, vec![first.number, other.number]);
    assert_eq!(tokens.len(), 2);
}
