//! The LINE stand-in of the integration tests (a stateful api.line.me behind Stoplight Prism,
//! which validates every request against LINE's spec), as a process of its own for the
//! end-to-end tests. Prints `line stand-in: api URL control URL` and stops on SIGTERM or Ctrl-C
//! (stopping Prism with it). On the control address: `GET /pushes` and `GET /replies` list what
//! LINE delivered (`[{to, text, retry_key}]`); `POST /send` (`{webhook, user, text}`) has the
//! stand-in post a text message event from `user` to the app's `webhook`, signed as LINE signs.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use testkit::line_standin::{Delivered, LineStandIn};

#[tokio::main]
async fn main() {
    let standin = Arc::new(LineStandIn::start().await);
    let control = Router::new()
        .route("/pushes", get(pushes))
        .route("/replies", get(replies))
        .route("/send", post(send))
        .with_state(standin.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a control port");
    let address = listener.local_addr().expect("its address");
    println!(
        "line stand-in: api {} control http://{address}",
        standin.base_url
    );
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM can be awaited");
    tokio::select! {
        _ = axum::serve(listener, control) => {}
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    // the last reference: dropping it stops Prism
    drop(standin);
}

fn listed(delivered: Vec<Delivered>) -> Json<Value> {
    Json(Value::from(
        delivered
            .iter()
            .map(|d| json!({"to": d.to, "text": d.text(), "retry_key": d.retry_key}))
            .collect::<Vec<_>>(),
    ))
}

async fn pushes(State(standin): State<Arc<LineStandIn>>) -> Json<Value> {
    listed(standin.pushes())
}

async fn replies(State(standin): State<Arc<LineStandIn>>) -> Json<Value> {
    listed(standin.replies())
}

async fn send(State(standin): State<Arc<LineStandIn>>, Json(body): Json<Value>) -> Json<Value> {
    let webhook = body["webhook"].as_str().unwrap_or_default();
    let user = body["user"].as_str().unwrap_or_default();
    let text = body["text"].as_str().unwrap_or_default();
    let event = standin.text_event(user, text);
    Json(json!({ "status": standin.post_events(webhook, &[event]).await }))
}
