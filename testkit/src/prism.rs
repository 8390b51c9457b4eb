//! Stoplight Prism in validating-proxy mode, in front of a stand-in of an outside API: a request
//! that breaks the outside service's own OpenAPI spec gets Prism's 422 and never reaches the
//! stand-in; an answer that breaks it, a 500. Used by the Twilio and the LINE stand-ins.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts Prism with `spec` in front of `upstream`; answers the process and its base URL. The
/// free port may be taken by another test before Prism binds it: then Prism exits, and starts
/// again on another one.
pub(crate) async fn start(spec: &Path, upstream: SocketAddr) -> (Child, String) {
    for _ in 0..3 {
        let port = crate::free_port();
        let mut prism = spawn(spec, port, upstream);
        let base_url = format!("http://127.0.0.1:{port}");
        if wait_for(&base_url, &mut prism).await {
            return (prism, base_url);
        }
    }
    panic!("Prism did not start");
}

fn spawn(spec: &Path, port: u16, upstream: SocketAddr) -> Child {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let prism = root.join("end2end/node_modules/.bin/prism");
    assert!(
        prism.exists(),
        "Prism is missing: scripts/test.sh installs it (npm, end2end/)"
    );
    Command::new(prism)
        .args([
            "proxy",
            "--errors",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .arg(spec)
        .arg(format!("http://{upstream}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("Prism starts")
}

/// Whether Prism answers at `base_url` (false: it exited, or did not answer within 60 s).
async fn wait_for(base_url: &str, prism: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if reqwest::get(format!("{base_url}/")).await.is_ok() {
            return true;
        }
        if prism.try_wait().ok().flatten().is_some() {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = prism.kill();
    let _ = prism.wait();
    false
}
