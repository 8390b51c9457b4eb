//! Health, Redis outages and start-up errors.

use crate::common::{eventually, spawn_app, TestRedis};
use serde_json::Value;
use std::time::Duration;

#[tokio::test]
async fn health_follows_redis_and_the_app_recovers_without_a_restart() {
    let mut redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let health = || async { app.http.get(app.url("/healthz")).send().await.unwrap() };

    let up = health().await;
    assert_eq!(up.status(), 200);
    let body: Value = up.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], server::VERSION, "the build's version");
    assert!(server::VERSION.starts_with(env!("CARGO_PKG_VERSION")));
    assert_eq!(app.issue("default").await.status(), 200);

    redis.stop();
    let down = health().await;
    assert_eq!(down.status(), 503);
    let body: Value = down.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    let reason = body["reason"].as_str().unwrap();
    assert_eq!(
        reason, "the queue store is unreachable",
        "no internal error text"
    );
    // the kiosk's issue fails cleanly while Redis is down
    let refused = app.issue("default").await;
    assert_eq!(refused.status(), 503);
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        serde_json::json!({"error": "unavailable"})
    );

    redis.restart();
    let recovered = eventually(Duration::from_secs(15), || async {
        health().await.status() == 200
    })
    .await;
    assert!(recovered, "healthz is 200 again once Redis is back");
    // (this Redis keeps nothing across a restart, the kiosk included: issue through the API)
    assert_eq!(app.issue_as_staff("default").await.status(), 201);
}

#[tokio::test]
async fn the_server_starts_while_redis_is_down() {
    let port = crate::common::free_port();
    let app =
        crate::common::spawn_app_with(crate::common::config(&format!("redis://127.0.0.1:{port}/")))
            .await;
    let response = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
}

#[test]
fn a_bad_environment_stops_start_up_with_a_message_naming_the_variable() {
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("REDIS_URL is not set"), "{err}");

    // --version needs no configuration
    let version = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("--version")
        .env_clear()
        .output()
        .unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("waitingroom {}", server::VERSION)
    );

    let (code, err) = run(&[("REDIS_URL", "http://example.com")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("REDIS_URL is not a valid Redis URL"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let (code, err) = run(&[("REDIS_URL", "redis://127.0.0.1:1/"), ("PORT", "x")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("PORT is invalid"), "{err}");
}

/// Leptos lists an app's routes with resource loading suppressed process-wide; a page rendering
/// meanwhile in the same process used to wait forever. Pages keep answering while other apps
/// start beside them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_answer_while_other_apps_start_in_the_same_process() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let pages = async {
        for _ in 0..40 {
            let renders = (0..8).map(|_| {
                let request = app
                    .http
                    .get(app.url(&format!("/t/{}", "0".repeat(32))))
                    .timeout(Duration::from_secs(5));
                async move { request.send().await.map(|r| r.status().as_u16()) }
            });
            for status in futures::future::join_all(renders).await {
                assert_eq!(status.expect("the page answered within 5 s"), 404);
            }
        }
    };
    let starts = async {
        for _ in 0..10 {
            drop(spawn_app(&redis).await);
        }
    };
    tokio::join!(pages, starts);
}
