//! `server backup` and `server restore`, run as a shop runs them (the server binary, configured by
//! the environment): what a shop must not lose comes back after Redis is wiped (the kiosks and
//! their credentials, the staff password, the rules, the history, who texted STOP), nothing of
//! the day's personal data is in the file, and a file that is not a backup of ours is refused
//! whole, changing nothing.

use crate::common::{
    client, day_resets_at, server_binary, spawn_app, spawn_app_with, TestApp, TestRedis,
    ADMIN_PASSWORD, STAFF_API_TOKEN,
};
use crate::twilio_standin::TwilioStandIn;
use serde_json::{json, Value};

/// Texts JOIN today: its ticket has a verified phone.
const CUSTOMER: &str = "+819011112222";
/// Texted STOP.
const STOPPED: &str = "+819033334444";

/// Runs `server <args>` against `redis` with only what a backup needs in its environment
/// (`stdin` fed to it); answers the exit code, stdout and stderr.
async fn server(redis: &TestRedis, args: &[&str], stdin: &str) -> (i32, String, String) {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(server_binary())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("REDIS_URL", redis.url())
        .env("DAY_RESETS_AT", day_resets_at())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the server binary runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `server backup -`: the document, checked to have been made.
async fn backup(redis: &TestRedis) -> Value {
    let (code, out, err) = server(redis, &["backup", "-"], "").await;
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// FLUSHALL on every node.
async fn wipe(redis: &TestRedis) {
    for url in redis.node_urls() {
        let mut node = redis::Client::open(url)
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let () = redis::cmd("FLUSHALL").query_async(&mut node).await.unwrap();
    }
}

async fn console(app: &TestApp, staff: &reqwest::Client) -> Value {
    let (status, console) = app
        .post_form(staff, "/api/admin/console", &[("queue", "default")])
        .await;
    assert_eq!(status, 200, "{console}");
    console
}

async fn history(app: &TestApp, from: &str, to: &str) -> Value {
    let r = app
        .http
        .get(app.url(&format!(
            "/api/v1/queues/default/history?from={from}&to={to}"
        )))
        .bearer_auth(STAFF_API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn issue_at(app: &TestApp, kiosk: &reqwest::Client) -> (u16, Value) {
    app.post_form(kiosk, "/api/kiosk/issue_ticket", &[("queue", "default")])
        .await
}

#[tokio::test]
async fn a_backup_brings_back_kiosks_password_rules_history_and_stops_after_a_wipe() {
    use waitingroom::history::{DayFigures, HourFigures};
    use waitingroom::store::QueueKeys;

    let redis = TestRedis::start();
    let standin = TwilioStandIn::start().await;
    let app = spawn_app_with(standin.config(&redis, &[])).await;
    let entrance = app.new_kiosk("入口").await;
    let counter = app.new_kiosk("会計").await;
    assert_eq!(issue_at(&app, &entrance).await.0, 200);
    let staff = client();
    assert!(app.sign_in(&staff, ADMIN_PASSWORD).await.is_success());
    for (path, form) in [
        (
            "/api/admin/late",
            vec![("places", "5"), ("no_show_after", "15")],
        ),
        (
            "/api/admin/hours",
            vec![("opens", ""), ("closes", ""), ("limit", "50")],
        ),
        ("/api/admin/autodial", vec![("places", "2")]),
    ] {
        let mut form = form;
        form.push(("queue", "default"));
        let (status, body) = app.post_form(&staff, path, &form).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    // a day closed a week ago, kept as the day's close keeps it (with its expiry)
    let today = crate::common::test_calendar().now().day;
    let week_ago = today.checked_sub(jiff::Span::new().days(7)).unwrap();
    let yesterday = today.checked_sub(jiff::Span::new().days(1)).unwrap();
    let mut kept = DayFigures::default();
    kept.hours.insert(
        10,
        HourFigures {
            served: 9,
            no_shows: 1,
            waits: [(4, 5), (8, 5)].into(),
            ..HourFigures::default()
        },
    );
    let history_key =
        QueueKeys::of(&waitingroom::QueueId::default_queue()).history(&week_ago.to_string());
    let expires_at = jiff::Timestamp::now().as_second() + 300 * 86_400;
    let mut conn = redis.connection().await;
    let () = redis::pipe()
        .atomic()
        .hset(
            &history_key,
            week_ago.to_string(),
            serde_json::to_string(&kept).unwrap(),
        )
        .ignore()
        .expire_at(&history_key, expires_at)
        .ignore()
        .query_async(&mut conn)
        .await
        .unwrap();
    // today: a ticket with a verified phone (it texted JOIN), and a number that texted STOP
    let (status, joined) = crate::sms::text(&app, "SM0001", CUSTOMER, "JOIN").await;
    assert_eq!(status, 200, "{joined}");
    let token: String = joined
        .split("/t/")
        .nth(1)
        .expect("the ticket's link")
        .chars()
        .take(32)
        .collect();
    let (status, _) = standin
        .text_in(&app.url("/twilio/sms"), "SM0002", STOPPED, "STOP", false)
        .await;
    assert_eq!(status, 200);
    // the number that texted STOP cannot be registered for texts on a ticket's page
    let refuses_the_stopped_number = || async {
        let (status, slip) = issue_at(&app, &counter).await;
        assert_eq!(status, 200, "{slip}");
        app.post_form(
            &client(),
            "/api/ticket/phone",
            &[
                ("token", slip["ticket"]["token"].as_str().unwrap()),
                ("phone", "090-3333-4444"),
            ],
        )
        .await
    };
    let before_stop = refuses_the_stopped_number().await;
    assert_eq!(
        before_stop,
        (409, json!({"error": "phone_stopped"})),
        "the stop list refuses it"
    );
    let console_before = console(&app, &staff).await;
    let history_before = history(&app, &week_ago.to_string(), &yesterday.to_string()).await;
    assert_eq!(history_before["days"][0]["total"]["served"], 9);
    let version_before = app.get_json("/api/v1/queues/default").await["version"]
        .as_u64()
        .unwrap();

    let dir = std::env::temp_dir().join(format!("wr-backup-{}-{}", std::process::id(), redis.port));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("backup.json");
    let (code, out, err) = server(&redis, &["backup", file.to_str().unwrap()], "").await;
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600,
        "readable by its owner only"
    );
    // nothing of the day's personal data: no phone in any form, no ticket token
    for personal in [
        CUSTOMER,
        "9011112222",
        "1111-2222",
        STOPPED,
        "9033334444",
        "3333-4444",
        &token,
    ] {
        assert!(!text.contains(personal), "{personal} is in the backup");
    }
    let document: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["format"], "waitingroom-backup");
    assert_eq!(document["format_version"], 2);
    assert_eq!(document["kiosks"].as_object().unwrap().len(), 2);
    assert_eq!(
        document["accounts"].as_object().unwrap().len(),
        1,
        "the owner's account"
    );
    assert_eq!(document["sms_stopped"].as_array().unwrap().len(), 1);
    let queue = &document["queues"]["default"];
    assert_eq!(queue["rules"]["places"], "5");
    assert_eq!(queue["autodial"], "2");
    assert_eq!(queue["history"][0]["date"], week_ago.to_string());
    assert_eq!(
        queue["history"][0]["expires_at_ms"],
        json!(expires_at * 1000)
    );

    wipe(&redis).await;
    assert!(
        !app.sign_in(&client(), ADMIN_PASSWORD).await.is_success(),
        "wiped: no password"
    );
    assert_eq!(issue_at(&app, &entrance).await.0, 403, "wiped: no kiosk");

    let (code, _, err) = server(&redis, &["restore", file.to_str().unwrap()], "").await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.starts_with("restored: 2 kiosks, 1 queues, 1 dates"),
        "{err}"
    );

    // as the staff see it: the same password, both kiosks (whose credentials still issue), the
    // same rules and history
    let staff = client();
    assert!(app.sign_in(&staff, ADMIN_PASSWORD).await.is_success());
    let (_, kiosks) = app.post_form(&staff, "/api/admin/kiosks", &[]).await;
    let names: Vec<&str> = kiosks["kiosks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["入口", "会計"]);
    for kiosk in [&entrance, &counter] {
        let (status, slip) = issue_at(&app, kiosk).await;
        assert_eq!(status, 200, "{slip}");
    }
    let console_after = console(&app, &staff).await;
    for setting in ["autodial_places", "late", "hours"] {
        assert_eq!(console_after[setting], console_before[setting], "{setting}");
    }
    assert_eq!(
        console_after["late"]["move_back_places"], 5,
        "{console_after}"
    );
    assert_eq!(
        history(&app, &week_ago.to_string(), &yesterday.to_string()).await,
        history_before
    );
    let expiry: i64 = redis::cmd("EXPIRETIME")
        .arg(&history_key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(expiry, expires_at, "the same end, not a new one");
    assert!(
        app.get_json("/api/v1/queues/default").await["version"]
            .as_u64()
            .unwrap()
            > version_before,
        "the version went on from where it was"
    );
    let after_stop = refuses_the_stopped_number().await;
    assert_eq!(after_stop, before_stop, "a STOP survives a restore");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_file_that_is_no_backup_of_ours_is_refused_whole_and_changes_nothing() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let gone = app.new_kiosk("入口").await;
    let made = backup(&redis).await;
    // since then: a kiosk revoked, another made
    let staff = client();
    assert!(app.sign_in(&staff, ADMIN_PASSWORD).await.is_success());
    let (_, list) = app.post_form(&staff, "/api/admin/kiosks", &[]).await;
    let id = list["kiosks"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .post_form(&staff, "/api/admin/revoke_kiosk", &[("id", &id)])
        .await;
    assert_eq!(status, 200);
    app.new_kiosk("会計").await;
    let without_made_at = |mut backup: Value| {
        backup["made_at"] = Value::Null;
        backup
    };
    let now = without_made_at(backup(&redis).await);
    assert_ne!(now, without_made_at(made.clone()));

    let with = |change: &dyn Fn(&mut Value)| {
        let mut bad = made.clone();
        change(&mut bad);
        bad.to_string()
    };
    for (file, message) in [
        (made.to_string()[..40].to_owned(), "not JSON"),
        ("[]".to_owned(), "not a Waiting Room backup"),
        (
            with(&|b| b["format_version"] = 3.into()),
            "format version 3 is unknown (this server reads versions 1 to 2)",
        ),
        (
            with(&|b| {
                let queue = b["queues"]["default"].take();
                b["queues"] = json!({ "default": queue.clone(), "nope": queue });
            }),
            "queue \"nope\" is not in QUEUES",
        ),
        (
            with(&|b| b["queues"]["default"]["rules"]["places"] = "many".into()),
            "malformed: queue default: rule places",
        ),
        // whoever can alter a backup must not make every sign-in allocate 4 GiB
        (
            with(&|b| {
                b["staff_password_hash"] =
                    "$argon2id$v=19$m=4194304,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$6yoYjOaxGO8DnkCgZUhw2A"
                        .into()
            }),
            "staff_password_hash: its m=4194304 is above 65536",
        ),
    ] {
        let (code, out, err) = server(&redis, &["restore", "-"], &file).await;
        assert_eq!(code, 2, "{file}");
        assert_eq!(out, "");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(
            err.starts_with("error: the backup is refused, nothing was written: ")
                && err.contains(message),
            "{err}"
        );
        assert_eq!(
            without_made_at(backup(&redis).await),
            now,
            "nothing written: {message}"
        );
    }
    // the whole file, good: the kiosk revoked since comes back, the one made since is gone
    let (code, _, err) = server(&redis, &["restore", "-"], &made.to_string()).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(issue_at(&app, &gone).await.0, 200);
    let (_, list) = app.post_form(&staff, "/api/admin/kiosks", &[]).await;
    assert_eq!(list["kiosks"].as_array().unwrap().len(), 1, "{list}");
}
