//! The Twilio stand-in of the integration tests (a stateful api.twilio.com behind Stoplight Prism,
//! which validates every request against Twilio's spec), as a process of its own for the
//! end-to-end tests. Prints `twilio stand-in: api URL control URL` and stops on SIGTERM or
//! Ctrl-C (stopping Prism with it). On the control address: `GET /made` lists every message and
//! call made (`[{sid, kind, form}]`), `POST /report` (`{sid, status}`) has the stand-in send the
//! app a status callback signed as Twilio signs it.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use testkit::twilio_standin::TwilioStandIn;

#[tokio::main]
async fn main() {
    let standin = Arc::new(TwilioStandIn::start().await);
    let control = Router::new()
        .route("/made", get(made))
        .route("/report", post(report))
        .with_state(standin.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a control port");
    let address = listener.local_addr().expect("its address");
    println!(
        "twilio stand-in: api {} control http://{address}",
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

async fn made(State(standin): State<Arc<TwilioStandIn>>) -> Json<Value> {
    let made: Vec<Value> = standin
        .placed()
        .into_iter()
        .map(|(sid, request)| {
            let kind = if request.path.ends_with("/Calls.json") {
                "call"
            } else {
                "sms"
            };
            let form: serde_json::Map<String, Value> = request
                .form
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect();
            json!({ "sid": sid, "kind": kind, "form": form })
        })
        .collect();
    Json(Value::from(made))
}

async fn report(State(standin): State<Arc<TwilioStandIn>>, Json(body): Json<Value>) -> Json<Value> {
    let sid = body["sid"].as_str().unwrap_or_default();
    let status = body["status"].as_str().unwrap_or_default();
    Json(json!({ "status": standin.report(sid, status, &[]).await }))
}
