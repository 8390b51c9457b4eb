//! Every day like the first: a shop runs every day, so what holds on day 1 must hold on day 2 and
//! day 7. Two server processes on one Redis, on a clock the test moves (the system's clock shifted:
//! time still flows, days pass in seconds), Twilio through Prism and the stand-in.

use crate::common::{client, eventually, spawn_app_with, TestApp, TestRedis, STAFF_API_TOKEN};
use crate::phones::open_link;
use crate::twilio_standin::{signed_post, Fault, Recorded, TwilioStandIn};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;
use waitingroom::calendar::{Calendar, Clock};

/// An app sending through `standin`, on `clock`, with `extra` settings.
async fn app_on(
    redis: &TestRedis,
    standin: &TwilioStandIn,
    clock: &Clock,
    extra: &[(&str, &str)],
) -> TestApp {
    let mut vars = vec![
        // the week's customers come from one loopback address and a few phones
        ("ADDRESS_MAX_PER_HOUR", "100000"),
        ("REMOTE_MAX_PER_HOUR", "100000"),
        ("REMOTE_MAX_ACTIVE", "1000"),
        ("SMS_MAX_PER_NUMBER_PER_DAY", "1000"),
        ("SMS_MAX_PER_ADDRESS_PER_DAY", "100000"),
        ("SMS_MAX_PER_HOUR", "100000"),
    ];
    vars.extend_from_slice(extra);
    let mut config = standin.config(redis, &vars);
    config.room.calendar = config.room.calendar.clone().with_clock(clock.clone());
    spawn_app_with(config).await
}

/// Texts `body` from `from` to the store's number, as Twilio posts it; answers the reply's TwiML.
async fn text(app: &TestApp, from: &str, body: &str) -> String {
    let sid = format!("SM{:032x}", rand_u128());
    let (status, twiml) = crate::sms::text(app, &sid, from, body).await;
    assert_eq!(status, 200, "{twiml}");
    twiml
}

fn rand_u128() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    u128::from(NEXT.fetch_add(1, Ordering::SeqCst)) << 64 | u128::from(std::process::id())
}

fn creates_to(standin: &TwilioStandIn, to: &str, what: &str) -> Vec<Recorded> {
    standin
        .creates()
        .into_iter()
        .filter(|r| r.path.ends_with(what) && r.value("To") == Some(to))
        .collect()
}

fn calls_to(standin: &TwilioStandIn, to: &str) -> usize {
    creates_to(standin, to, "/Calls.json").len()
}

/// A kiosk ticket of `app` whose holder registers `phone` (E.164) and opens the link texted to it.
pub(crate) async fn verified_ticket(
    app: &TestApp,
    standin: &TwilioStandIn,
    phone: &str,
) -> (u64, String) {
    let slip: Value = app.issue("default").await.json().await.unwrap();
    let token = slip["ticket"]["token"].as_str().unwrap().to_owned();
    let browser = client();
    let (status, body) = app
        .post_form(
            &browser,
            "/api/ticket/phone",
            &[("token", &token), ("phone", phone)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let texted = eventually(Duration::from_secs(10), || async {
        !creates_to(standin, phone, "/Messages.json").is_empty()
    })
    .await;
    assert!(texted, "the verification SMS to {phone}");
    let sms = creates_to(standin, phone, "/Messages.json").pop().unwrap();
    let opened = open_link(app, &browser, sms.value("Body").unwrap()).await;
    assert!(opened.status().is_redirection(), "{}", opened.status());
    (slip["ticket"]["number"].as_u64().unwrap(), token)
}

async fn view(app: &TestApp, token: &str) -> (u16, Value) {
    app.post_form(&client(), "/api/ticket/view", &[("token", token)])
        .await
}

async fn snapshot(app: &TestApp) -> Value {
    app.get_json("/api/v1/queues/default").await
}

pub(crate) async fn staff_reset(app: &TestApp) {
    let staff = client();
    assert!(app.sign_in(&staff, &app.password).await.is_success());
    let (status, body) = app
        .post_form(
            &staff,
            "/api/admin/reset",
            &[("queue", "default"), ("confirm", "reset")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn issue_api(app: &TestApp) -> Value {
    let r = app
        .http
        .post(app.url("/api/v1/queues/default/tickets"))
        .bearer_auth(STAFF_API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "staff API issue");
    r.json().await.unwrap()
}

#[tokio::test]
async fn the_second_day_calls_again_and_yesterdays_phone_and_ticket_reach_nothing_of_today() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let clock = Clock::shifted();
    let app = app_on(&redis, &standin, &clock, &[]).await;
    let yesterdays_phone = "+819011110001";
    let todays_phone = "+819022220002";

    // day 1: ticket 4 with a verified phone is 3 places from its turn: its automatic call
    for _ in 0..3 {
        app.issue("default").await;
    }
    let (number, old_token) = verified_ticket(&app, &standin, yesterdays_phone).await;
    assert_eq!(number, 4);
    let called = eventually(Duration::from_secs(10), || async {
        calls_to(&standin, yesterdays_phone) == 1
    })
    .await;
    assert!(called, "day 1: the automatic call");

    // the staff start a new day; ticket 4 of day 2 is a stranger's with another verified phone
    staff_reset(&app).await;
    for _ in 0..3 {
        app.issue("default").await;
    }
    let (number, todays_token) = verified_ticket(&app, &standin, todays_phone).await;
    assert_eq!(number, 4, "numbering restarted");
    let called = eventually(Duration::from_secs(10), || async {
        calls_to(&standin, todays_phone) == 1
    })
    .await;
    assert!(
        called,
        "day 2: ticket 4 is called again (yesterday's mark does not count)"
    );
    assert_eq!(calls_to(&standin, yesterdays_phone), 1);

    // yesterday's phone asks where it is: it holds nothing today, and never gets today's link
    let reply = text(&app, yesterdays_phone, "状況").await;
    assert!(!reply.contains("/t/"), "{reply}");
    assert!(!reply.contains(&todays_token), "{reply}");
    let reply = text(&app, yesterdays_phone, "キャンセル").await;
    assert!(!reply.contains("/t/"), "{reply}");
    let (status, today) = view(&app, &todays_token).await;
    assert_eq!(status, 200);
    assert_eq!(
        today["ticket"]["state"], "waiting",
        "the stranger's ticket is not cancelled"
    );
    // nor by the phone menu's cancel key
    let (status, twiml) = signed_post(
        &app.url("/twilio/voice/menu"),
        &[
            ("CallSid", "CA00000000000000000000000000000day"),
            ("From", yesterdays_phone),
            ("To", "+15005550006"),
            ("Digits", "3"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{twiml}");
    assert_eq!(
        view(&app, &todays_token).await.1["ticket"]["state"],
        "waiting"
    );

    // yesterday's ticket page says so, in the API and on the page
    let (status, body) = view(&app, &old_token).await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"], "ticket_of_earlier_day");
    let page = app
        .http
        .get(app.url(&format!("/t/{old_token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 410);
    assert!(page.text().await.unwrap().contains("前の営業日"));
}

/// The business day turns at DAY_RESETS_AT by the clock, here in New York across the night the
/// clocks jump (02:30 does not exist on 2027-03-14: the day starts at 03:30 EDT), while two
/// processes issue: the first request after the boundary, in either process, starts the new day
/// at 1, and no ticket is lost on either side of it.
#[tokio::test]
async fn the_day_turns_on_the_second_while_two_processes_issue_across_daylight_saving_time() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let clock = Clock::shifted();
    let zone = [("TIMEZONE", "America/New_York"), ("DAY_RESETS_AT", "02:30")];
    let a = app_on(&redis, &standin, &clock, &zone).await;
    let b = app_on(&redis, &standin, &clock, &zone).await;
    let boundary: Timestamp = "2027-03-14T07:30:00Z".parse().unwrap();
    clock.set(boundary - SignedDuration::from_millis(1500));
    for app in [&a, &b] {
        issue_api(app).await;
    }

    // both issue as fast as they can while the clock passes the boundary
    let mut issued: Vec<(String, Timestamp)> = Vec::new();
    let deadline = boundary + SignedDuration::from_millis(1500);
    while clock.now() < deadline {
        let (x, y) = tokio::join!(issue_api(&a), issue_api(&b));
        for slip in [x, y] {
            issued.push((slip["token"].as_str().unwrap().to_owned(), clock.now()));
        }
    }
    let store = waitingroom::store::Store::open(&redis.url())
        .unwrap()
        .with_calendar(
            Calendar::new(
                jiff::tz::TimeZone::get("America/New_York").unwrap(),
                jiff::civil::Time::constant(2, 30, 0, 0),
                Duration::from_secs(24 * 3600),
            )
            .with_clock(clock.clone()),
        );
    let q = waitingroom::QueueId::default_queue();
    assert_eq!(
        store.days().today(&q).await.unwrap().to_string(),
        "2027-03-14"
    );
    let mut today = Vec::new();
    for (token, answered_at) in &issued {
        let token = waitingroom::TicketToken::parse(token).unwrap();
        match store.days().token_day(&q, &token).await.unwrap() {
            waitingroom::store::TokenDay::Today(number) => today.push(number),
            waitingroom::store::TokenDay::Earlier => {
                assert!(*answered_at >= boundary - SignedDuration::from_millis(1500));
            }
            waitingroom::store::TokenDay::Unknown => panic!("an acknowledged ticket was lost"),
        }
    }
    today.sort_unstable();
    assert!(!today.is_empty(), "tickets were issued after the boundary");
    assert_eq!(
        today,
        (1..=today.len() as u64).collect::<Vec<_>>(),
        "the new day numbers from 1, each number once, none deleted"
    );
    assert!(
        today.len() < issued.len(),
        "some were issued before the boundary"
    );
    let snapshot = snapshot(&a).await;
    assert_eq!(snapshot["last_number"], today.len() as u64);
    assert_eq!(snapshot["waiting"].as_array().unwrap().len(), today.len());
}

/// Seven business days of a shop, two server processes on one Redis: each day kiosk, /join, API,
/// SMS and phone-call tickets; verified phones and their automatic calls, a call nobody answers
/// (an SMS instead), STOP and START, no-shows and cancellations; some days end with a staff
/// reset, the others when the clock turns the day. After each day: every verified phone that came
/// within reach got exactly one call that day; yesterday's phones reach nothing; numbering starts
/// at 1; a job made due yesterday is never sent. After the week: no key without an expiry holds
/// a phone number or a token, and every key of a day expires at its close plus the retention.
#[tokio::test]
async fn a_week_of_operation_two_processes_each_day_like_the_first() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let clock = Clock::shifted();
    // the shop's own day: 04:00 in Tokyo, as the calendar below
    let tokyo = [("DAY_RESETS_AT", "04:00")];
    let a = app_on(&redis, &standin, &clock, &tokyo).await;
    let b = app_on(&redis, &standin, &clock, &tokyo).await;
    let calendar = Calendar::tokyo().with_clock(clock.clone());
    // Monday 2027-01-11, 10:00 in Tokyo
    let monday: Timestamp = "2027-01-11T01:00:00Z".parse().unwrap();
    let mut tokens: Vec<String> = Vec::new();
    let mut phones_of_earlier_days: Vec<String> = Vec::new();
    let mut days_seen: Vec<String> = Vec::new();

    for d in 0..7i64 {
        let morning = monday + SignedDuration::from_hours(24 * d);
        if clock.now() < morning {
            clock.set(morning);
        }
        let date = calendar.now().day.to_string();
        days_seen.push(date.clone());
        // the staff sign in each morning (a session lasts at most SESSION_MAX_DAYS)
        let staff = client();
        assert!(a.sign_in(&staff, &a.password).await.is_success());
        // the owner looks at the history from both processes at once: yesterday is summed
        // once, and today is there live
        if let Some(yesterday) = days_seen.iter().rev().nth(1) {
            let path = format!(
                "/api/v1/queues/default/history?from={}&to={date}",
                days_seen[0]
            );
            let (one, two) = tokio::join!(history_of(&a, &path), history_of(&b, &path));
            assert_eq!(one["days"], two["days"], "both processes answer the same");
            let kept = day_of(&one, yesterday);
            assert_eq!(kept["live"], false);
            check_a_closed_day(kept, d - 1);
            let today = day_of(&one, &date);
            assert_eq!(today["live"], true);
            assert_eq!(today["total"]["issued"], 0, "day {date}: nothing yet");
        }
        let phone = |k: u32| format!("+81901{:03}{:04}", d, k);

        // the first ticket of the day is number 1, whoever takes it
        let first = issue_api(if d % 2 == 0 { &a } else { &b }).await;
        assert_eq!(first["number"], 1, "day {date}: numbering starts at 1");
        tokens.push(first["token"].as_str().unwrap().to_owned());
        // yesterday's phones reach nothing of today
        for old in phones_of_earlier_days.iter().rev().take(3) {
            let reply = text(&b, old, "状況").await;
            assert!(!reply.contains("/t/"), "day {date}: {old} got {reply}");
        }

        // the day's customers: kiosk, /join, a text, a call to the store's number, the API
        for _ in 0..2 {
            let slip: Value = a.issue("default").await.json().await.unwrap();
            tokens.push(slip["ticket"]["token"].as_str().unwrap().to_owned());
        }
        let joiner = client();
        let (status, joined) = b
            .post_form(&joiner, "/api/join/take", &[("queue", "default")])
            .await;
        assert_eq!(status, 200, "{joined}");
        let texter = phone(1);
        let reply = text(&b, &texter, "受付").await;
        assert!(reply.contains("/t/"), "{reply}");
        let caller = phone(2);
        let (status, twiml) = signed_post(
            &a.url("/twilio/voice/menu"),
            &[
                ("CallSid", &format!("CA{:032x}", rand_u128())),
                ("From", &caller),
                ("To", "+15005550006"),
                ("Digits", "1"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{twiml}");
        let mut verified = vec![texter.clone(), caller.clone()];
        for k in 3..=5 {
            let app = if k % 2 == 0 { &a } else { &b };
            let (_, token) = verified_ticket(app, &standin, &phone(k)).await;
            tokens.push(token);
            verified.push(phone(k));
        }
        for _ in 0..4 {
            issue_api(&b).await;
        }

        // STOP and START from the texter: stopped, then texted again
        if d == 2 {
            text(&b, &texter, "STOP").await;
            text(&b, &texter, "START").await;
        }

        // the line moves, by both processes; a call nobody answers becomes one SMS; one no-show
        let mut moved = 0;
        loop {
            let app = if moved % 2 == 0 { &a } else { &b };
            let r = app.call_next_as_staff("default", "1").await;
            if r.status() != 200 {
                assert_eq!(r.status(), 409, "only an empty line refuses");
                break;
            }
            moved += 1;
            // the tickets now at most 3 places from their turn (numbers 5 to 9 have phones) get
            // their call before the line moves on, as at a counter's pace
            for (n, to) in (5u64..).zip(&verified) {
                if n <= moved + 4 {
                    let called = eventually(Duration::from_secs(10), || async {
                        calls_to(&standin, to) >= 1
                    })
                    .await;
                    assert!(
                        called,
                        "day {date}: ticket {n} ({to}) within reach, not called"
                    );
                }
            }
            if moved == 2 {
                // the one called first did not come
                let called: Value = r.json().await.unwrap();
                let number = called["number"].as_u64().unwrap_or(1);
                let ticket = a
                    .post_form(&staff, "/api/admin/console", &[("queue", "default")])
                    .await
                    .1;
                let rev = ticket["day"]["tickets"][number.to_string()]["rev"]
                    .as_u64()
                    .unwrap_or(0);
                let (status, body) = a
                    .post_form(
                        &staff,
                        "/api/admin/act",
                        &[
                            ("queue", "default"),
                            ("number", &number.to_string()),
                            ("rev", &rev.to_string()),
                            ("action", "no_show"),
                        ],
                    )
                    .await;
                assert_eq!(status, 200, "no-show: {body}");
            }
            if moved == 3 {
                // ticket 7 (phone 3) is 3 places from its turn: its call rings out unanswered
                let rang = eventually(Duration::from_secs(10), || async {
                    calls_to(&standin, &phone(3)) == 1
                })
                .await;
                assert!(rang, "day {date}: the call to {}", phone(3));
                let (sid, _) = standin
                    .calls()
                    .into_iter()
                    .find(|(_, c)| c.value("To") == Some(phone(3).as_str()))
                    .unwrap();
                assert!((200..300).contains(&standin.report(&sid, "no-answer", &[]).await));
            }
        }
        // every verified phone of the day came within reach: exactly one call each
        for to in &verified {
            let once = eventually(Duration::from_secs(10), || async {
                calls_to(&standin, to) == 1
            })
            .await;
            assert!(
                once,
                "day {date}: {to} called {} times",
                calls_to(&standin, to)
            );
        }
        let texted_instead = eventually(Duration::from_secs(10), || async {
            creates_to(&standin, &phone(3), "/Messages.json").len() == 2
        })
        .await;
        assert!(
            texted_instead,
            "day {date}: one SMS instead of the unanswered call"
        );
        let (status, _) = view(&a, tokens.last().unwrap()).await;
        assert_eq!(status, 200);
        // the day's figures: this day's tickets only
        let figures = a
            .post_form(&staff, "/api/admin/console", &[("queue", "default")])
            .await
            .1;
        let count = figures["day"]["tickets"].as_object().unwrap().len();
        assert_eq!(
            count, 13,
            "day {date}: the console holds the day's tickets only"
        );

        // on Wednesday a call is made due just before the day ends and cannot be sent then
        // (Twilio fails): after the turn it is never sent
        let late = phone(9);
        if d == 2 {
            // every attempt of the next send fails, as when Twilio is down
            standin.fail_next(&[
                Fault::Refuse(503, 20500),
                Fault::Refuse(503, 20500),
                Fault::Refuse(503, 20500),
                Fault::Refuse(503, 20500),
            ]);
            let slip = issue_api(&a).await;
            let token = slip["token"].as_str().unwrap().to_owned();
            let (status, body) = a
                .post_form(
                    &client(),
                    "/api/ticket/phone",
                    &[("token", &token), ("phone", &late)],
                )
                .await;
            assert_eq!(status, 200, "{body}");
            let tried = eventually(Duration::from_secs(10), || async {
                !creates_to(&standin, &late, "/Messages.json").is_empty()
            })
            .await;
            assert!(tried, "the first attempt, before the day ended");
        }

        // the day ends: a staff reset on odd days, the clock on the others (next morning)
        if d % 2 == 1 {
            staff_reset(&b).await;
        } else {
            clock.set(morning + SignedDuration::from_hours(24));
        }
        let after = snapshot(&b).await;
        assert_eq!(after["last_number"], 0, "day {date} is over");
        if d == 2 {
            // a worker takes the failed job over after 15 s: by then its day is over
            tokio::time::sleep(Duration::from_secs(17)).await;
            assert!(
                !standin.messages().iter().any(|m| m["to"] == late.as_str()),
                "a job of an earlier day is never sent"
            );
        }
        phones_of_earlier_days.extend(verified);
    }

    // after the week: every day is in the history once, summed as it was
    let path = format!(
        "/api/v1/queues/default/history?from={}&to={}",
        days_seen[0],
        calendar.now().day
    );
    let history = history_of(&b, &path).await;
    for (d, date) in days_seen.iter().enumerate() {
        check_a_closed_day(day_of(&history, date), d as i64);
    }
    let history_json = history.to_string();
    assert!(!history_json.contains("+81"), "no phone in the export");

    // after the week: what Redis keeps
    let retention = calendar.retention().as_secs() as i64;
    let mut history_keys = 0;
    let mut day_keys = 0;
    for node in redis.node_urls() {
        let mut conn = redis::Client::open(node)
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut conn)
            .await
            .unwrap();
        for key in keys {
            let expires: i64 = redis::cmd("EXPIRETIME")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .unwrap();
            if let Some(date) = date_of_day_key(&key) {
                day_keys += 1;
                let (_, close) = calendar.day_of(noon_of(&date));
                assert_eq!(
                    expires,
                    close.as_second() + retention,
                    "{key}: its day's close plus the retention"
                );
            }
            if let Some(date) = key.strip_prefix("wr:{default}:history:") {
                // nothing personal, kept HISTORY_DAYS after the day's close; one field per
                // business day of the date (two after a staff reset), each written once
                history_keys += 1;
                let close = calendar.close_of(date.parse().unwrap());
                assert_eq!(expires, close.as_second() + 400 * 86_400, "{key}");
                let kept: std::collections::HashMap<String, String> = redis::cmd("HGETALL")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                let d = days_seen.iter().position(|s| s == date).unwrap();
                assert_eq!(
                    kept.len(),
                    if d % 2 == 1 { 2 } else { 1 },
                    "{key}: {kept:?}"
                );
                for (field, figures) in &kept {
                    assert!(field.starts_with(date), "{key}: {field}");
                    let all = format!("{field} {figures}");
                    for phone in &phones_of_earlier_days {
                        assert!(!all.contains(phone.as_str()), "{key} holds {phone}");
                        assert!(!all.contains(&phone[3..]), "{key} holds {phone}'s digits");
                    }
                    for token in &tokens {
                        assert!(!all.contains(token.as_str()), "{key} holds a token");
                    }
                    assert!(
                        !all.contains("+81") && !all.contains("line_id"),
                        "{key}: {all}"
                    );
                    let parsed: Result<waitingroom::history::DayFigures, _> =
                        serde_json::from_str(figures);
                    assert!(parsed.is_ok(), "{key}: {figures}");
                }
            }
            if expires == -1 {
                let dump: Vec<u8> = redis::cmd("DUMP")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                let dump = String::from_utf8_lossy(&dump);
                assert!(!dump.contains("+81"), "{key} keeps a phone number forever");
                for token in &tokens {
                    assert!(
                        !dump.contains(token.as_str()),
                        "{key} keeps a token forever"
                    );
                }
            }
        }
    }
    assert!(day_keys >= 7 * 5, "every day had its keys ({day_keys})");
    assert_eq!(history_keys, 7, "one history key per date");
    let distinct: HashSet<&String> = days_seen.iter().collect();
    assert_eq!(distinct.len(), 7);
}

/// The history export of `path`, with the staff token.
async fn history_of(app: &TestApp, path: &str) -> Value {
    let r = app
        .http
        .get(app.url(path))
        .bearer_auth(STAFF_API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

/// The export's day of `date`.
fn day_of<'a>(history: &'a Value, date: &str) -> &'a Value {
    history["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == date)
        .unwrap_or_else(|| panic!("{date} in {history}"))
}

/// Day `d` of the week as the history keeps it: what the week's test did that day.
fn check_a_closed_day(day: &Value, d: i64) {
    let total = &day["total"];
    let wednesday = d == 2;
    assert_eq!(day["live"], false, "{day}");
    assert_eq!(
        total["issued"],
        if wednesday { 14 } else { 13 },
        "day {d}: {total}"
    );
    let by = &total["issued_by_channel"];
    assert_eq!(
        (&by["kiosk"], &by["remote"], &by["phone"], &by["api"]),
        (
            &5.into(),
            &1.into(),
            &2.into(),
            &(if wednesday { 6 } else { 5 }).into()
        ),
        "day {d}: {by}"
    );
    assert_eq!(
        total["served"], 11,
        "day {d}: every call finished the one before, but one"
    );
    assert_eq!(total["no_shows"], 1, "day {d}");
    assert_eq!(total["cancelled"], 0, "day {d}");
    assert_eq!(total["phones_verified"], 5, "day {d}");
    assert_eq!(
        total["calls"], 5,
        "day {d}: one automatic call per verified phone"
    );
    assert_eq!(
        total["sms"],
        if wednesday { 6 } else { 5 },
        "day {d}: three links, the caller's ticket, one instead (Wednesday: the late one's link)"
    );
    assert_eq!(total["line_links"], 0);
    assert!(
        total["wait_p50_min"].is_u64() && total["wait_p90_min"].is_u64(),
        "{total}"
    );
    assert_eq!(total["service"]["1"]["served"], 11, "{total}");
}

/// `wr:{default}:2027-01-11(.N):name` → the date.
fn date_of_day_key(key: &str) -> Option<String> {
    let rest = key.strip_prefix("wr:{default}:")?;
    let (day, _) = rest.split_once(':')?;
    waitingroom::store::DayId::parse(day).map(|d| d.date().to_owned())
}

/// A moment inside the business day of `date` in Tokyo (its noon).
fn noon_of(date: &str) -> Timestamp {
    let date: jiff::civil::Date = date.parse().unwrap();
    date.at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
        .unwrap()
        .timestamp()
}

#[tokio::test]
async fn a_call_on_the_next_day_does_not_verify_yesterdays_registration() {
    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let clock = Clock::shifted();
    // a Japanese voice number only: phones are verified by calling in
    let vars = [
        ("TWILIO_FROM_NUMBER", "050-1234-5678"),
        ("DAY_RESETS_AT", "04:00"),
        ("AUTODIAL_PLACES", "0"),
    ];
    let app = app_on(&redis, &standin, &clock, &vars).await;
    let phone = "+819012345678";
    // day 1, 20:00 in Tokyo: ticket 1's holder types the number, and does not call
    let evening: Timestamp = "2027-01-11T11:00:00Z".parse().unwrap();
    clock.set(evening);
    let slip: Value = app.issue("default").await.json().await.unwrap();
    let yesterdays = slip["ticket"]["token"].as_str().unwrap().to_owned();
    let (status, _) = app
        .post_form(
            &client(),
            "/api/ticket/phone",
            &[("token", &yesterdays), ("phone", phone)],
        )
        .await;
    assert_eq!(status, 200);

    // day 2, 10:00: ticket 1 is a stranger's; the call from yesterday's number verifies nothing
    clock.set(evening + SignedDuration::from_hours(14));
    let slip: Value = app.issue("default").await.json().await.unwrap();
    assert_eq!(slip["ticket"]["number"], 1, "a new day");
    let todays = slip["ticket"]["token"].as_str().unwrap().to_owned();
    let before = snapshot(&app).await["version"].clone();
    let heard = crate::phones::call_in(&app, phone, &[]).await;
    assert!(heard.contains("<Gather "), "the menu: {heard}");
    assert!(!heard.contains("確認しました"), "{heard}");
    assert_eq!(snapshot(&app).await["version"], before, "nothing changed");
    let (_, today) = view(&app, &todays).await;
    assert_eq!(today["ticket"]["phone_status"], Value::Null, "{today}");
    assert_eq!(view(&app, &yesterdays).await.0, 410);

    // registered today, the same number's call verifies today's ticket
    let (status, _) = app
        .post_form(
            &client(),
            "/api/ticket/phone",
            &[("token", &todays), ("phone", phone)],
        )
        .await;
    assert_eq!(status, 200);
    let heard = crate::phones::call_in_with_code(&app, phone, &todays).await;
    assert!(heard.contains("電話番号を確認しました"), "{heard}");
    assert_eq!(
        view(&app, &todays).await.1["ticket"]["phone_status"],
        "verified"
    );
}
