//! What stands in for api.twilio.com, which the tests cannot reach: a small stateful server that
//! records every request, answers as Twilio does (and as the tests tell it to fail), behind
//! Stoplight Prism in validating-proxy mode with Twilio's own OpenAPI spec. A request that breaks
//! the spec gets Prism's 422 and never reaches the stand-in; an answer that breaks it, a 500.
//!
//! It is as strict as Twilio, rule by rule (sources: `testdata/twilio/BEHAVIOUR.md` and README,
//! Twilio's error pages): a message needs a sender and a body; a Japanese number sends no SMS
//! (21606); SMS go to mobiles only (21614); a number that texted an opt-out keyword is refused
//! (21610) until it opts in; scheduling needs a messaging service and 15 minutes to 35 days
//! (35114); only a `scheduled` message can be cancelled (30409); lists apply their filters as
//! Twilio does (a `DateSent` / `StartTime` filter never shows what has no such date yet); a 5xx
//! may come after the message was made (creates are not idempotent); and a webhook that answers
//! 5xx is not tried again (Twilio retries only on connection failure).
//! The end-to-end tests run it as a process of its own (`testkit/examples/twilio_standin.rs`), so
//! it needs nothing of the tests' but `common::free_port`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the stand-in received: method, path and form (repeated keys kept, in order).
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub form: Vec<(String, String)>,
}

impl Recorded {
    pub fn values(&self, key: &str) -> Vec<&str> {
        self.form
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn value(&self, key: &str) -> Option<&str> {
        self.values(key).first().copied()
    }
}

/// How the stand-in answers the next create.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Twilio's error JSON with this HTTP status and code; nothing is made.
    Refuse(u16, u32),
    /// Makes the resource, but answers only after this long (the client times out).
    Slow(Duration),
    /// Makes the resource, then answers this 5xx and code all the same (Twilio's 20500: "creates
    /// are not idempotent: after a 5xx the message or call may have been created").
    Lost(u16, u32),
}

#[derive(Default)]
struct Account {
    recorded: Vec<Recorded>,
    messages: Vec<Value>,
    calls: Vec<Value>,
    faults: VecDeque<Fault>,
    /// Sid → what Twilio would call back: its StatusCallback, and a call's TwiML.
    made: std::collections::HashMap<String, Made>,
    /// The calls made, in order: their Sid and their create request.
    placed: Vec<(String, Recorded)>,
    /// Numbers that texted an opt-out keyword (and no opt-in keyword since).
    opted_out: std::collections::HashSet<String>,
}

#[derive(Clone, Default)]
struct Made {
    status_callback: Option<String>,
    twiml: Option<String>,
    to: String,
    /// A call's `AsyncAmdStatusCallback`, if it asked for answering machine detection.
    amd_callback: Option<String>,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Account>>);

/// The stand-in and the Prism proxy in front of it; both stop when this is dropped.
pub struct TwilioStandIn {
    shared: Shared,
    prism: Child,
    /// What the client under test uses as `TWILIO_API_BASE_URL`: the Prism proxy.
    pub base_url: String,
}

pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
/// The auth token the app is given: Twilio would sign its webhooks with it.
pub const AUTH_TOKEN: &str = "test-auth-token";

impl TwilioStandIn {
    pub async fn start() -> Self {
        let shared = Shared::default();
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(create_message).get(list_messages),
            )
            .route(
                "/2010-04-01/Accounts/{account}/Messages/{sid}",
                post(update_message).get(fetch_message),
            )
            .route(
                "/2010-04-01/Accounts/{account}/Calls/{sid}",
                axum::routing::get(fetch_call),
            )
            .route(
                "/2010-04-01/Accounts/{account}/Calls.json",
                post(create_call).get(list_calls),
            )
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let standin: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let (prism, base_url) = crate::prism::start(&prism_spec(), standin).await;
        Self {
            shared,
            prism,
            base_url,
        }
    }

    /// Every request that reached the stand-in (so: valid by Twilio's spec), in order.
    pub fn recorded(&self) -> Vec<Recorded> {
        self.shared.0.lock().unwrap().recorded.clone()
    }

    /// The requests that created something (POST to a list).
    pub fn creates(&self) -> Vec<Recorded> {
        self.recorded()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("s.json"))
            .collect()
    }

    /// Reports `status` of message or call `sid` to its StatusCallback, signed as Twilio signs,
    /// with `extra` parameters (`AnsweredBy`, `ErrorCode`); answers the HTTP status.
    pub async fn report(&self, sid: &str, status: &str, extra: &[(&str, &str)]) -> u16 {
        let made = self.made(sid);
        let url = made
            .status_callback
            .expect("the create named a StatusCallback");
        let (sid_key, status_key) = if sid.starts_with("CA") {
            ("CallSid", "CallStatus")
        } else {
            ("MessageSid", "MessageStatus")
        };
        self.set_status(sid, status);
        let mut params = vec![
            ("AccountSid", ACCOUNT_SID),
            (sid_key, sid),
            (status_key, status),
            ("To", made.to.as_str()),
            ("From", "+15005550006"),
        ];
        params.extend_from_slice(extra);
        signed_post(&url, &params).await.0
    }

    /// Message or call `sid` is now `status` as its API shows it (a message sent has its
    /// `date_sent`, a call answered its `start_time`), without a callback.
    pub fn set_status(&self, sid: &str, status: &str) {
        let mut account = self.shared.0.lock().unwrap();
        let Account {
            messages, calls, ..
        } = &mut *account;
        if let Some(item) = messages
            .iter_mut()
            .chain(calls.iter_mut())
            .find(|m| m["sid"] == sid)
        {
            item["status"] = json!(status);
            item["date_updated"] = json!(now_rfc2822());
            let (date, dated) = if sid.starts_with("CA") {
                ("start_time", ["in-progress", "completed"].contains(&status))
            } else {
                (
                    "date_sent",
                    ["sent", "delivered", "undelivered", "read"].contains(&status),
                )
            };
            if dated && item[date].is_null() {
                item[date] = json!(now_rfc2822());
            }
        }
    }

    /// `from` texts `body` to the store's number, as Twilio delivers it to the webhook at `url`:
    /// an opt-out keyword (STOP, CANCEL, ...) first blocks the number at Twilio, an opt-in one
    /// unblocks it, and a Messaging Service with Advanced Opt-Out adds `OptOutType`
    /// (`advanced_opt_out`). Answers the webhook's HTTP status and TwiML.
    pub async fn text_in(
        &self,
        url: &str,
        sid: &str,
        from: &str,
        body: &str,
        advanced_opt_out: bool,
    ) -> (u16, String) {
        let keyword = body.trim().to_ascii_uppercase();
        let opt_out = if STOP_WORDS.contains(&keyword.as_str()) {
            self.shared
                .0
                .lock()
                .unwrap()
                .opted_out
                .insert(from.to_owned());
            Some("STOP")
        } else if START_WORDS.contains(&keyword.as_str()) {
            self.shared.0.lock().unwrap().opted_out.remove(from);
            Some("START")
        } else if HELP_WORDS.contains(&keyword.as_str()) {
            Some("HELP")
        } else {
            None
        };
        let mut params = vec![
            ("AccountSid", ACCOUNT_SID),
            ("MessageSid", sid),
            ("SmsSid", sid),
            ("From", from),
            ("To", "+15005550006"),
            ("Body", body),
            ("NumMedia", "0"),
        ];
        if let Some(kind) = opt_out.filter(|_| advanced_opt_out) {
            params.push(("OptOutType", kind));
        }
        signed_post(url, &params).await
    }

    /// `number` is blocked at Twilio (it texted STOP, and the webhook of that never reached us).
    pub fn opt_out(&self, number: &str) {
        self.shared
            .0
            .lock()
            .unwrap()
            .opted_out
            .insert(number.to_owned());
    }

    /// Whether `number` is blocked at Twilio (it texted an opt-out keyword).
    pub fn is_opted_out(&self, number: &str) -> bool {
        self.shared.0.lock().unwrap().opted_out.contains(number)
    }

    /// Twilio's answering machine detection tells who took call `sid` (`answered_by`: human,
    /// machine_start, machine_end_beep, machine_end_silence, machine_end_other, fax, unknown):
    /// posted, signed, to the `AsyncAmdStatusCallback` its create named (only with
    /// `AsyncAmd=true`), with `CallSid` and `AnsweredBy` and no `CallStatus` (BEHAVIOUR.md,
    /// "Answering machine detection"); answers the HTTP status.
    pub async fn machine_detected(&self, sid: &str, answered_by: &str) -> u16 {
        let url = self
            .made(sid)
            .amd_callback
            .expect("the create asked for AsyncAmd with an AsyncAmdStatusCallback");
        signed_post(
            &url,
            &[
                ("AccountSid", ACCOUNT_SID),
                ("CallSid", sid),
                ("AnsweredBy", answered_by),
                ("MachineDetectionDuration", "2140"),
            ],
        )
        .await
        .0
    }

    /// The callee of call `sid` presses `digits` at the call's `<Gather>`: Twilio posts them to
    /// the gather's action; answers the HTTP status and the TwiML the call goes on with.
    pub async fn press(&self, sid: &str, digits: &str) -> (u16, String) {
        let twiml = self.made(sid).twiml.expect("a call says TwiML");
        let action = gather_action(&twiml).expect("the call has a <Gather action=…>");
        signed_post(
            &action,
            &[
                ("AccountSid", ACCOUNT_SID),
                ("CallSid", sid),
                ("CallStatus", "in-progress"),
                ("Digits", digits),
                ("FinishedOnKey", ""),
            ],
        )
        .await
    }

    /// The messages Twilio holds (as its API shows them, newest first).
    pub fn messages(&self) -> Vec<Value> {
        self.shared.0.lock().unwrap().messages.clone()
    }

    /// The calls made (not refused), in order: each one's Sid and create request.
    pub fn calls(&self) -> Vec<(String, Recorded)> {
        self.placed()
            .into_iter()
            .filter(|(_, r)| r.path.ends_with("/Calls.json"))
            .collect()
    }

    /// The messages and calls made (not refused), in order: each one's Sid and create request.
    pub fn placed(&self) -> Vec<(String, Recorded)> {
        self.shared.0.lock().unwrap().placed.clone()
    }

    fn made(&self, sid: &str) -> Made {
        self.shared
            .0
            .lock()
            .unwrap()
            .made
            .get(sid)
            .cloned()
            .expect("a Sid the stand-in made")
    }

    /// The next creates fail (or lag) this way, in order.
    pub fn fail_next(&self, faults: &[Fault]) {
        self.shared
            .0
            .lock()
            .unwrap()
            .faults
            .extend(faults.iter().cloned());
    }
}

impl Drop for TwilioStandIn {
    fn drop(&mut self) {
        let _ = self.prism.kill();
        let _ = self.prism.wait();
    }
}

/// The spec Prism validates with: Twilio's, with the form encoding of lists spelt out
/// (`testdata/twilio/add_form_encoding.py`, which changes no schema).
fn prism_spec() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec = root.join("target/twilio.prism.json");
    let source = root.join("testdata/twilio/twilio_api_v2010.json");
    if !spec.exists() {
        let tmp = spec.with_extension(format!("{}.json", std::process::id()));
        let status = Command::new("python3")
            .arg(root.join("testdata/twilio/add_form_encoding.py"))
            .arg(&source)
            .arg(&tmp)
            .stdout(Stdio::null())
            .status()
            .expect("python3 runs");
        assert!(status.success(), "the Prism copy of Twilio's spec was made");
        let _ = std::fs::rename(&tmp, &spec);
    }
    spec
}

/// Posts `params` to `url` signed with [`AUTH_TOKEN`], as Twilio posts its webhooks.
pub async fn signed_post(url: &str, params: &[(&str, &str)]) -> (u16, String) {
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let signature = waitingroom::twilio::signature::signature(AUTH_TOKEN, url, &owned);
    let answer = reqwest::Client::new()
        .post(url)
        .header("x-twilio-signature", signature)
        .form(params)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap_or_default())
}

/// The `action` of the first `<Gather>` in `twiml`.
pub fn gather_action(twiml: &str) -> Option<String> {
    let gather = &twiml[twiml.find("<Gather ")?..];
    let start = gather.find("action=\"")? + "action=\"".len();
    let end = start + gather[start..].find('"')?;
    Some(gather[start..end].replace("&amp;", "&"))
}

fn remember(shared: &Shared, resource: &Value, form: &[(String, String)]) {
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let made = Made {
        status_callback: field("StatusCallback"),
        twiml: field("Twiml"),
        to: field("To").unwrap_or_default(),
        amd_callback: field("AsyncAmd")
            .filter(|a| a == "true")
            .and(field("AsyncAmdStatusCallback")),
    };
    let sid = resource["sid"].as_str().unwrap_or_default().to_owned();
    shared.0.lock().unwrap().made.insert(sid, made);
}

/// A message or call made (its create answered).
fn place(shared: &Shared, resource: &Value, path: String, form: Vec<(String, String)>) {
    let sid = resource["sid"].as_str().unwrap_or_default().to_owned();
    let request = Recorded {
        method: "POST".to_owned(),
        path,
        form,
    };
    shared.0.lock().unwrap().placed.push((sid, request));
}

fn record(shared: &Shared, method: &str, path: String, body: &[u8]) {
    let form = form_urlencoded::parse(body).into_owned().collect();
    shared.0.lock().unwrap().recorded.push(Recorded {
        method: method.to_owned(),
        path,
        form,
    });
}

fn sid(prefix: &str) -> String {
    format!("{prefix}{}", waitingroom::services::random_token())
}

/// RFC 2822, as Twilio writes dates.
fn now_rfc2822() -> String {
    jiff::Timestamp::now()
        .strftime("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

/// The fault of this create, if the tests asked for one (a slow answer waits here).
async fn fault(shared: &Shared) -> Option<Response> {
    let next = shared.0.lock().unwrap().faults.pop_front();
    match next {
        Some(Fault::Refuse(status, code)) => {
            Some(refusal(status, code, &format!("stand-in error {code}")))
        }
        Some(Fault::Slow(wait)) => {
            tokio::time::sleep(wait).await;
            None
        }
        Some(Fault::Lost(status, code)) => Some(refusal(status, code, "lost after it was made")),
        None => None,
    }
}

/// Twilio's error JSON.
fn refusal(status: u16, code: u32, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        Json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status,
        })),
    )
        .into_response()
}

/// Twilio's default keywords (BEHAVIOUR.md "Opt-out"; support 223134027), matched on the whole text.
const STOP_WORDS: [&str; 8] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
];
const START_WORDS: [&str; 3] = ["START", "YES", "UNSTOP"];
const HELP_WORDS: [&str; 2] = ["HELP", "INFO"];

/// Why Twilio refuses to create this message, by its rules; `None`: it makes it.
fn message_refused(account: &Account, form: &[(String, String)]) -> Option<Response> {
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let service = field("MessagingServiceSid");
    // a sender is needed: From or MessagingServiceSid (the spec's x-twilio.conditional, which
    // Prism does not check); error 21603
    let Some(from) = field("From").or(service) else {
        return Some(refusal(400, 21603, "A 'From' phone number is required."));
    };
    if field("Body").is_none_or(str::is_empty) && field("MediaUrl").is_none() {
        return Some(refusal(400, 21602, "Message body is required."));
    }
    // Twilio sells no Japanese number that sends SMS (BEHAVIOUR.md "Japan"): 21606
    if from.starts_with("+81") {
        return Some(refusal(
            400,
            21606,
            "The From phone number is not a valid, SMS-capable phone number for this account.",
        ));
    }
    let to = field("To").unwrap_or_default();
    // a number that texted STOP gets nothing until it texts START: 21610
    if account.opted_out.contains(to) {
        return Some(refusal(
            400,
            21610,
            "Attempt to send to unsubscribed recipient",
        ));
    }
    // SMS go to mobiles; a landline is refused: 21614
    if !is_mobile_or_unknown(to) {
        return Some(refusal(
            400,
            21614,
            "'To' number is not a valid mobile number",
        ));
    }
    if let Some(kind) = field("ScheduleType") {
        // Message Scheduling needs a Messaging Service, `fixed`, and SendAt 15 minutes to 35
        // days ahead (the stricter of Twilio's pages: 35114)
        if service.is_none() || kind != "fixed" {
            return Some(refusal(
                400,
                35111,
                "Scheduling requires a MessagingServiceSid.",
            ));
        }
        let ahead = field("SendAt")
            .and_then(|at| at.parse::<jiff::Timestamp>().ok())
            .map(|at| at.duration_since(jiff::Timestamp::now()).as_secs());
        if !ahead.is_some_and(|s| (15 * 60..=35 * 86_400).contains(&s)) {
            return Some(refusal(
                400,
                35114,
                "Scheduled message must be created at least 15 minutes and at most 35 days ahead.",
            ));
        }
    }
    None
}

/// A number that can receive SMS: a mobile, or one whose metadata cannot tell (the US). The
/// phone-number metadata (Google's libphonenumber), not the app's code, judges it.
fn is_mobile_or_unknown(number: &str) -> bool {
    use phonenumber::Type;
    match phonenumber::parse(None, number) {
        Ok(parsed) => matches!(
            parsed.number_type(&phonenumber::metadata::DATABASE),
            Type::Mobile | Type::FixedLineOrMobile | Type::Unknown
        ),
        Err(_) => false,
    }
}

async fn create_message(
    State(shared): State<Shared>,
    Path(account): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    record(&shared, "POST", format!("/{account}/Messages.json"), &body);
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let scheduled = field("ScheduleType").is_some();
    if let Some(refused) = message_refused(&shared.0.lock().unwrap(), &form) {
        return refused;
    }
    let message = json!({
        "sid": sid("SM"),
        "account_sid": account,
        "api_version": "2010-04-01",
        "body": field("Body"),
        "to": field("To"),
        "from": field("From"),
        "messaging_service_sid": field("MessagingServiceSid"),
        "status": if scheduled { "scheduled" } else { "queued" },
        "direction": "outbound-api",
        "num_segments": "1",
        "num_media": "0",
        "date_created": now_rfc2822(),
        "date_updated": now_rfc2822(),
        "date_sent": null,
        "error_code": null,
        "error_message": null,
        "price": null,
        "price_unit": "USD",
        "uri": format!("/2010-04-01/Accounts/{account}/Messages.json"),
        "subresource_uris": {},
    });
    // the resource exists even when the answer is slow (as when Twilio's answer is lost)
    shared.0.lock().unwrap().messages.insert(0, message.clone());
    remember(&shared, &message, &form);
    let lost = matches!(
        shared.0.lock().unwrap().faults.front(),
        Some(Fault::Lost(..))
    );
    if let Some(refusal) = fault(&shared).await {
        if lost {
            place(&shared, &message, format!("/{account}/Messages.json"), form);
        } else {
            shared.0.lock().unwrap().messages.remove(0);
        }
        return refusal;
    }
    place(&shared, &message, format!("/{account}/Messages.json"), form);
    (StatusCode::CREATED, Json(message)).into_response()
}

async fn update_message(
    State(shared): State<Shared>,
    Path((account, sid_json)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    record(
        &shared,
        "POST",
        format!("/{account}/Messages/{sid_json}"),
        &body,
    );
    let sid = sid_json.trim_end_matches(".json");
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let mut account_state = shared.0.lock().unwrap();
    let Some(message) = account_state.messages.iter_mut().find(|m| m["sid"] == sid) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"code": 20404, "message": "not found", "more_info": "", "status": 404})),
        )
            .into_response();
    };
    if let Some((_, status)) = form.iter().find(|(k, _)| k == "Status") {
        // only a scheduled message can be cancelled (error 30409 afterwards)
        if status == "canceled" && message["status"] != "scheduled" {
            return refusal(400, 30409, "This message cannot be canceled");
        }
        message["status"] = json!(status);
    }
    (StatusCode::OK, Json(message.clone())).into_response()
}

/// A message or call as its API shows it now; 20404 for a Sid Twilio does not have.
fn fetched(items: &[Value], sid: &str) -> Response {
    let sid = sid.trim_end_matches(".json");
    match items.iter().find(|m| m["sid"] == sid) {
        Some(item) => (StatusCode::OK, Json(item.clone())).into_response(),
        None => refusal(404, 20404, "The requested resource was not found"),
    }
}

async fn fetch_message(
    State(shared): State<Shared>,
    Path((account, sid)): Path<(String, String)>,
) -> Response {
    record(&shared, "GET", format!("/{account}/Messages/{sid}"), b"");
    let messages = shared.0.lock().unwrap().messages.clone();
    fetched(&messages, &sid)
}

async fn fetch_call(
    State(shared): State<Shared>,
    Path((account, sid)): Path<(String, String)>,
) -> Response {
    record(&shared, "GET", format!("/{account}/Calls/{sid}"), b"");
    let calls = shared.0.lock().unwrap().calls.clone();
    fetched(&calls, &sid)
}

async fn create_call(
    State(shared): State<Shared>,
    Path(account): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    record(&shared, "POST", format!("/{account}/Calls.json"), &body);
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    // a call says TwiML or fetches it from Url (the spec's x-twilio.conditional): 21205
    if field("Url").is_none() && field("Twiml").is_none() {
        return refusal(400, 21205, "Url parameter is required.");
    }
    let call = json!({
        "sid": sid("CA"),
        "account_sid": account,
        "api_version": "2010-04-01",
        "to": field("To"),
        "to_formatted": field("To"),
        "from": field("From"),
        "from_formatted": field("From"),
        "status": "queued",
        "direction": "outbound-api",
        "date_created": now_rfc2822(),
        "date_updated": now_rfc2822(),
        "start_time": null,
        "end_time": null,
        "duration": null,
        "price": null,
        "price_unit": "USD",
        "answered_by": null,
        "uri": format!("/2010-04-01/Accounts/{account}/Calls.json"),
        "subresource_uris": {},
    });
    shared.0.lock().unwrap().calls.insert(0, call.clone());
    remember(&shared, &call, &form);
    let lost = matches!(
        shared.0.lock().unwrap().faults.front(),
        Some(Fault::Lost(..))
    );
    if let Some(refusal) = fault(&shared).await {
        if lost {
            place(&shared, &call, format!("/{account}/Calls.json"), form);
        } else {
            shared.0.lock().unwrap().calls.remove(0);
        }
        return refusal;
    }
    place(&shared, &call, format!("/{account}/Calls.json"), form);
    (StatusCode::CREATED, Json(call)).into_response()
}

/// A list's filters, as Twilio applies them: `To`, `From`, `Status`, and dates (`DateSent`,
/// `StartTime`, with `<` on or before, `>` on or after; YYYY-MM-DD). A resource without the date
/// (a queued or scheduled message has no `date_sent`, a queued call no `start_time`) never
/// matches a date filter.
#[derive(serde::Deserialize)]
struct ListQuery {
    #[serde(rename = "To")]
    to: Option<String>,
    #[serde(rename = "From")]
    from: Option<String>,
    #[serde(rename = "Status")]
    status: Option<String>,
    #[serde(rename = "DateSent")]
    date_sent: Option<String>,
    #[serde(rename = "DateSent<")]
    date_sent_before: Option<String>,
    #[serde(rename = "DateSent>")]
    date_sent_after: Option<String>,
    #[serde(rename = "StartTime")]
    start_time: Option<String>,
    #[serde(rename = "StartTime<")]
    start_time_before: Option<String>,
    #[serde(rename = "StartTime>")]
    start_time_after: Option<String>,
}

impl ListQuery {
    fn keeps(&self, item: &Value, date_field: &str) -> bool {
        let same = |filter: &Option<String>, field: &str| {
            filter.as_deref().is_none_or(|want| item[field] == want)
        };
        let date = item[date_field]
            .as_str()
            .and_then(|d| jiff::fmt::rfc2822::parse(d).ok())
            .map(|z| z.with_time_zone(jiff::tz::TimeZone::UTC).date().to_string());
        let (on, before, after) = if date_field == "date_sent" {
            (
                &self.date_sent,
                &self.date_sent_before,
                &self.date_sent_after,
            )
        } else {
            (
                &self.start_time,
                &self.start_time_before,
                &self.start_time_after,
            )
        };
        let day = |filter: &Option<String>, keep: fn(&str, &str) -> bool| match filter {
            None => true,
            Some(want) => date
                .as_deref()
                .is_some_and(|d| keep(d, &want[..want.len().min(10)])),
        };
        same(&self.to, "to")
            && same(&self.from, "from")
            && same(&self.status, "status")
            && day(on, |d, w| d == w)
            && day(before, |d, w| d <= w)
            && day(after, |d, w| d >= w)
    }
}

fn page(key: &str, items: Vec<Value>, account: &str) -> Json<Value> {
    // absolute: the spec says format "uri"
    let uri = format!(
        "https://api.twilio.com/2010-04-01/Accounts/{account}/{}.json",
        if key == "messages" {
            "Messages"
        } else {
            "Calls"
        }
    );
    Json(json!({
        key: items,
        "end": 0,
        "first_page_uri": uri,
        "next_page_uri": null,
        "page": 0,
        "page_size": 50,
        "previous_page_uri": null,
        "start": 0,
        "uri": uri,
    }))
}

async fn list_messages(
    State(shared): State<Shared>,
    Path(account): Path<String>,
    Query(query): Query<ListQuery>,
) -> Json<Value> {
    record(&shared, "GET", format!("/{account}/Messages.json"), b"");
    let items = shared.0.lock().unwrap().messages.clone();
    let items = items
        .into_iter()
        .filter(|m| query.keeps(m, "date_sent"))
        .collect();
    page("messages", items, &account)
}

async fn list_calls(
    State(shared): State<Shared>,
    Path(account): Path<String>,
    Query(query): Query<ListQuery>,
) -> Json<Value> {
    record(&shared, "GET", format!("/{account}/Calls.json"), b"");
    let items = shared.0.lock().unwrap().calls.clone();
    let items = items
        .into_iter()
        .filter(|c| query.keeps(c, "start_time"))
        .collect();
    page("calls", items, &account)
}
