//! Issuing tickets through the kiosk's server function, against a real Redis.

use crate::common::{spawn_app, TestRedis};
use futures::future::join_all;
use redis::AsyncCommands;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_issues_give_each_number_once_in_list_order() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;

    let responses = join_all((0..1000).map(|_| async {
        let response = app.issue("default").await;
        let status = response.status();
        let body = response.json::<Value>().await.unwrap();
        assert_eq!(status, 200, "{body}");
        body
    }))
    .await;

    let mut numbers: Vec<u64> = responses
        .iter()
        .map(|r| r["ticket"]["number"].as_u64().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=1000).collect::<Vec<u64>>(),
        "no duplicate, no gap"
    );

    let mut conn = redis.connection().await;
    let keys = crate::common::day_keys(&redis, "default").await;
    let list: Vec<u64> = conn.lrange(keys.waiting(), 0, -1).await.unwrap();
    assert_eq!(
        list,
        (1..=1000).collect::<Vec<u64>>(),
        "the LIST holds the numbers in order"
    );

    let snapshot = app.get_json("/api/v1/queues/default").await;
    assert_eq!(snapshot["version"], 1000);
    assert_eq!(snapshot["waiting_count"], 1000);
    assert_eq!(snapshot["last_number"], 1000);
    let waiting: Vec<u64> = serde_json::from_value(snapshot["waiting"].clone()).unwrap();
    assert_eq!(waiting, (1..=1000).collect::<Vec<u64>>());
}

#[tokio::test]
async fn an_issue_answers_the_number_and_the_people_ahead() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;

    let first: Value = app.issue("default").await.json().await.unwrap();
    let second: Value = app.issue("default").await.json().await.unwrap();
    let (first, slip) = (&first["ticket"], &second);
    let second = &second["ticket"];
    assert_eq!(
        (first["number"].as_u64(), first["people_ahead"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        (second["number"].as_u64(), second["people_ahead"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(second["version"], 2);
    assert_eq!(second["label"], "2");
    let token = second["token"].as_str().unwrap();
    assert_eq!(token.len(), 32, "128 random bits");
    assert_ne!(first["token"], second["token"]);
    assert!(
        !slip.to_string().contains("/t/"),
        "the kiosk's slip carries no link to the ticket, only its QR code: {slip}"
    );
    let qr = app
        .http
        .get(app.url(&format!("/t/{token}/qr.svg")))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status(), 200);
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert!(
        qr.text().await.unwrap().contains("<svg"),
        "a QR code as SVG"
    );
    let unknown = app
        .http
        .get(app.url(&format!("/t/{}/qr.svg", "0".repeat(32))))
        .send()
        .await
        .unwrap();
    assert_eq!(
        unknown.status(),
        404,
        "no QR code for tickets that do not exist"
    );

    // the stored ticket is readable by the domain type
    let mut conn = redis.connection().await;
    let keys = crate::common::day_keys(&redis, "default").await;
    let raw: String = conn.hget(keys.tickets(), 2).await.unwrap();
    let ticket: waitingroom::Ticket = serde_json::from_str(&raw).unwrap();
    assert_eq!(ticket.number(), 2);
    assert_eq!(ticket.token.as_str(), token);
    assert_eq!(ticket.state(), waitingroom::TicketState::Waiting);
    assert_eq!(
        ticket.lang,
        waitingroom::Lang::Ja,
        "taken in the kiosk's language"
    );
    let ttl: i64 = conn.ttl(keys.tickets()).await.unwrap();
    assert!(
        ttl > 24 * 3600 && ttl <= 48 * 3600,
        "the day's data expires 24 h after the day closes (ttl {ttl} s)"
    );
    assert_eq!(ticket.summary.channel, waitingroom::Channel::Kiosk);
    assert!(ticket.summary.issued_at > 1_700_000_000_000);
}

#[tokio::test]
async fn an_unknown_queue_is_refused_and_changes_nothing() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;

    let response = app.issue("nope").await;
    assert_eq!(response.status(), 404, "the real status, not 500");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"error": "unknown_queue"}));

    let api = app
        .http
        .get(app.url("/api/v1/queues/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 404);
    let body: Value = api.json().await.unwrap();
    assert_eq!(body["error"], "unknown_queue");

    let mut conn = redis.connection().await;
    let keys: Vec<String> = conn.keys("wr:{nope}*").await.unwrap();
    assert!(keys.is_empty(), "nothing was written: {keys:?}");
    let seq: Vec<String> = conn.keys("wr:{default}:*seq").await.unwrap();
    assert!(seq.is_empty(), "{seq:?}");
}

#[tokio::test]
async fn the_kiosk_is_rendered_on_the_server_with_the_waiting_count() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    for _ in 0..3 {
        app.issue("default").await;
    }

    let response = app
        .kiosk()
        .await
        .get(app.url("/kiosk"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"ja\""), "Japanese by default");
    assert!(html.contains("受付"), "the button");
    assert_eq!(
        crate::common::text_of(&html, "waiting-count").as_deref(),
        Some("3"),
        "the waiting count is in the server-rendered HTML"
    );
    assert!(
        html.contains("/pkg/waitingroom-screens.js"),
        "the page hydrates, with the screens' bundle"
    );
    let issued: serde_json::Value = app.issue("default").await.json().await.unwrap();
    let token = issued["ticket"]["token"].as_str().unwrap();
    let ticket_page = app.get_text(&format!("/t/{token}")).await;
    assert!(
        ticket_page.contains("/pkg/waitingroom-phone.js")
            && !ticket_page.contains("/pkg/waitingroom.js"),
        "the ticket page hydrates with the phone's bundle"
    );

    let kiosk = app.kiosk().await;
    let in_lang = |header: &'static str, value: &'static str| {
        let request = kiosk.get(app.url("/kiosk")).header(header, value);
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let english = in_lang("accept-language", "en-US,en;q=0.9").await;
    assert!(
        english.contains("<html lang=\"en\""),
        "the browser's language"
    );
    assert!(english.contains("People waiting"));
    let chinese = in_lang("accept-language", "zh-CN,zh;q=0.9").await;
    assert!(chinese.contains("<html lang=\"zh\""));
    let other = in_lang("accept-language", "fr-FR").await;
    assert!(
        other.contains("<html lang=\"ja\""),
        "Japanese when we speak none of the browser's"
    );
    // last: the kiosk's browser keeps the choice in its cookies
    let korean = in_lang("cookie", "i18n_pref_locale=ko").await;
    assert!(
        korean.contains("<html lang=\"ko\""),
        "the language chosen in the menu"
    );
}

#[tokio::test]
async fn the_language_menu_remembers_the_choice_and_comes_back() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let browser = crate::common::client();
    let chosen = browser
        .get(app.url("/lang/ko"))
        .header("referer", app.url("/join?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status(), 303);
    assert_eq!(
        chosen.headers()["location"],
        "/join?x=1",
        "back to the page"
    );
    let cookie = chosen.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("i18n_pref_locale=ko;") && cookie.contains("Path=/"),
        "{cookie}"
    );
    let page = browser
        .get(app.url("/join"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<html lang=\"ko\""),
        "the cookie is sent back"
    );

    // never back to another site, and an unknown language is Japanese
    let elsewhere = browser
        .get(app.url("/lang/xx"))
        .header("referer", "https://evil.example//x")
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.headers()["location"], "/");
    let cookie = elsewhere.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("i18n_pref_locale=ja;"), "{cookie}");
}

#[tokio::test]
async fn an_unknown_page_is_a_404() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let response = app.http.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn with_several_queues_the_kiosk_asks_which_and_each_has_its_own_numbers() {
    let redis = TestRedis::start();
    let config = crate::common::config_with(
        &redis.url(),
        &[(
            "QUEUES",
            "shinsatsu:A:診察:Consultation,kaikei:B:会計:Payment",
        )],
    );
    let app = crate::common::spawn_app_with(config).await;

    let kiosk = app.kiosk().await;
    let html = kiosk
        .get(app.url("/kiosk"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("ご用件をお選びください"),
        "the kiosk asks which"
    );
    assert!(html.contains("診察") && html.contains("会計"));

    let a: Value = app.issue("shinsatsu").await.json().await.unwrap();
    let b: Value = app.issue("kaikei").await.json().await.unwrap();
    let a2: Value = app.issue("shinsatsu").await.json().await.unwrap();
    assert_eq!(a["ticket"]["label"], "A-001");
    assert_eq!(b["ticket"]["label"], "B-001");
    assert_eq!(a2["ticket"]["label"], "A-002");
    assert_eq!(
        app.issue("default").await.status(),
        404,
        "the unconfigured default queue is gone"
    );
}

#[tokio::test]
async fn the_day_restarts_once_keeping_the_version_and_staff_intake_pauses_stop_issuing() {
    use waitingroom::calendar::Calendar;
    use waitingroom::store::{NewTicket, Store, TokenDay};
    use waitingroom::{Channel, Intake, Lang, QueueId, TicketToken};
    let redis = TestRedis::start();
    let store = Store::open(&redis.url()).unwrap();
    let q = QueueId::default_queue();
    let tokyo = Calendar::tokyo();
    let moment = |iso: &str| tokyo.moment_at(iso.parse().unwrap());
    // 2027-01-15 in Tokyo, then the next business day (it starts at 04:00 JST, 19:00Z)
    let day_one = moment("2027-01-15T01:00:00Z");
    let at = moment("2027-01-15T19:00:00Z");
    let token = |b: u8| TicketToken::from_bytes([b; 16]);

    for b in 1..=2 {
        store
            .tickets()
            .issue(
                &q,
                NewTicket::new(Channel::Kiosk, &token(b), Lang::Ja),
                "",
                day_one,
            )
            .await
            .unwrap();
    }
    assert_eq!(
        store.days().reset(&q, false, day_one).await.unwrap(),
        None,
        "same day: nothing happens"
    );
    assert_eq!(
        store.queues().snapshot(&q).await.unwrap().waiting,
        vec![1, 2]
    );

    // a new business day: numbering restarts at 1, the version keeps counting
    let before = store.queues().snapshot(&q).await.unwrap().version;
    assert_eq!(
        store
            .days()
            .reset(&q, false, at)
            .await
            .unwrap()
            .map(|d| d.to_string()),
        Some("2027-01-16".to_owned()),
        "the first check of a new day starts it"
    );
    assert_eq!(
        store.days().reset(&q, false, at).await.unwrap(),
        None,
        "only once"
    );
    let after = store.queues().snapshot(&q).await.unwrap();
    assert!(after.waiting.is_empty());
    assert_eq!(after.version, before + 1);
    let first = store
        .tickets()
        .issue(
            &q,
            NewTicket::new(Channel::Kiosk, &token(3), Lang::Ja),
            "",
            at,
        )
        .await
        .unwrap();
    assert_eq!(first.ticket.number, 1);
    assert_eq!(
        store.days().token_day(&q, &token(1)).await.unwrap(),
        TokenDay::Earlier,
        "yesterday's token is known as yesterday's, and reaches nothing of today"
    );
    assert_eq!(
        store.days().token_day(&q, &token(3)).await.unwrap(),
        TokenDay::Today(1)
    );
    assert_eq!(
        store.days().token_day(&q, &token(9)).await.unwrap(),
        TokenDay::Unknown
    );

    // staff start a new day on the same date: numbering from 1 again
    assert_eq!(
        store
            .days()
            .reset(&q, true, at)
            .await
            .unwrap()
            .map(|d| d.to_string()),
        Some("2027-01-16.2".to_owned())
    );
    assert!(store
        .queues()
        .snapshot(&q)
        .await
        .unwrap()
        .waiting
        .is_empty());
    assert_eq!(
        store.days().token_day(&q, &token(3)).await.unwrap(),
        TokenDay::Earlier
    );
    store
        .tickets()
        .issue(
            &q,
            NewTicket::new(Channel::Kiosk, &token(7), Lang::Ja),
            "",
            at,
        )
        .await
        .unwrap();

    store
        .queues()
        .set_intake(&q, Intake::RemotePaused, at)
        .await
        .unwrap();
    assert!(
        store
            .tickets()
            .issue(
                &q,
                NewTicket::new(Channel::Remote, &token(4), Lang::Ja),
                "",
                at
            )
            .await
            .is_err(),
        "remote paused"
    );
    assert!(
        store
            .tickets()
            .issue(
                &q,
                NewTicket::new(Channel::Kiosk, &token(5), Lang::Ja),
                "",
                at
            )
            .await
            .is_ok(),
        "the kiosk still issues"
    );
    store
        .queues()
        .set_intake(&q, Intake::Paused, at)
        .await
        .unwrap();
    assert!(
        store
            .tickets()
            .issue(
                &q,
                NewTicket::new(Channel::Kiosk, &token(6), Lang::Ja),
                "",
                at
            )
            .await
            .is_err(),
        "all intake paused"
    );
    assert_eq!(
        store.queues().snapshot(&q).await.unwrap().waiting,
        vec![1, 2]
    );
}
