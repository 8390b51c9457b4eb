//! The benchmark (`./scripts/bench.sh` builds the release, starts Redis and the server, then runs
//! this): issuing through the JSON API at 1, 16, 64 and 256 keep-alive clients beside the
//! ceiling `redis-benchmark` reaches with the same script on the same Redis, the live channel's
//! fan-out to 1,000, 5,000 and 10,000 connections beside the same fan-out from a bare
//! broadcaster (`bare_broadcaster.rs`, measured with the same code in the same run), what a phone
//! downloads for the ticket page, and the server's cold start. Loopback only; stops by itself.
//! Prints a table and writes JSON.
//!
//! Environment: `BENCH_URL` (the running server), `BENCH_SERVER_PID` (its process, for memory),
//! `BENCH_BARE_URL` and `BENCH_BARE_PID` (the bare broadcaster), `BENCH_SERVER_BIN` and
//! `BENCH_REDIS_URL` (for the cold starts), `BENCH_REDIS_PORT`, `STAFF_API_TOKEN`, `BENCH_OUT`
//! (the JSON file), `BENCH_SECONDS` (per issuing run, 10), `BENCH_SCREENS` (`1000,5000,10000`),
//! `BENCH_CALLS` (per fan-out run, 50), `BENCH_ONLY=live` (only the fan-out, without the run
//! pinned to cores).

use futures::StreamExt;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use waitingroom::store::Store;
use waitingroom::QueueId;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (run ./scripts/bench.sh)"))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

/// RSS of process `pid`, in KiB.
/// The CPU time process `pid` has used so far (user, system), in ms.
fn cpu_ms(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // the fields after the command's closing parenthesis; utime and stime are the 12th and 13th
    let fields: Vec<u64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let tick_ms = 1000 / 100; // USER_HZ
    (
        fields.get(10).copied().unwrap_or(0) * tick_ms,
        fields.get(11).copied().unwrap_or(0) * tick_ms,
    )
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let base = env("BENCH_URL");
    let token = env("STAFF_API_TOKEN");
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let mut report = serde_json::Map::new();
    let only_live = std::env::var("BENCH_ONLY").is_ok_and(|o| o == "live");
    if !only_live {
        issuing_and_pages(&base, &token, seconds, &mut report).await;
    }
    live(&base, &token, only_live, &mut report).await;
    if !only_live {
        let cold = cold_start(&env("BENCH_SERVER_BIN"), &env("BENCH_REDIS_URL")).await;
        println!("cold start to the first 200 of /healthz: median {cold:.0} ms of 5");
        report.insert("cold_start_ms".into(), json!(cold));
    }

    let out = env("BENCH_OUT");
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&Value::Object(report)).unwrap(),
    )
    .expect("the JSON report is written");
    println!("written: {out}");
}

/// What a browser downloads, then issuing at 1 to 256 clients beside Redis's own ceiling.
async fn issuing_and_pages(
    base: &str,
    token: &str,
    seconds: u64,
    report: &mut serde_json::Map<String, Value>,
) {
    // what a browser downloads, on a day as it starts (before the load below fills the queues)
    let issued: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/queues/default/tickets"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket_page = format!("/t/{}", issued["token"].as_str().unwrap_or_default());
    let mut pages = serde_json::Map::new();
    for (name, path, target) in [
        ("ticket page", ticket_page.as_str(), 250_000),
        ("/join", "/join", 250_000),
        ("kiosk", "/kiosk", 350_000),
        ("display", "/display", 350_000),
    ] {
        let page = page_weight(base, path).await;
        let compressed = page["compressed_bytes"].as_u64().unwrap_or_default();
        println!(
            "{name:>12}: {compressed:>7} bytes compressed in all ({} raw) over {} files  (target ≤ {target}: {})",
            page["raw_bytes"],
            page["files"],
            if compressed <= target { "met" } else { "missed" }
        );
        pages.insert(name.into(), page);
    }
    report.insert("pages".into(), Value::from(pages));

    println!("issuing: POST /api/v1/queues/{{queue}}/tickets, {seconds} s per run");
    let mut issuing = Vec::new();
    for clients in [1usize, 16, 64, 256] {
        let run = issue_run(base, token, clients, Duration::from_secs(seconds)).await;
        println!(
            "  {clients:>3} clients: {:>8.0} tickets/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}  duplicates {}  gaps {}",
            run["tickets_per_s"].as_f64().unwrap(),
            run["p50_ms"].as_f64().unwrap(),
            run["p99_ms"].as_f64().unwrap(),
            run["errors"],
            run["duplicates"],
            run["gaps"],
        );
        issuing.push(run);
    }
    let ceiling = redis_ceiling(&env("BENCH_REDIS_URL"), &env("BENCH_REDIS_PORT"));
    if let Some(ceiling) = ceiling {
        let at64 = issuing[2]["tickets_per_s"].as_f64().unwrap_or(0.0);
        println!(
            "  ceiling: redis-benchmark, the same script, 64 clients: {ceiling:.0}/s; the server at 64 clients: {:.0} %",
            at64 / ceiling * 100.0
        );
        report.insert("redis_ceiling_per_s".into(), json!(ceiling));
        report.insert(
            "percent_of_ceiling_at_64".into(),
            json!(at64 / ceiling * 100.0),
        );
    }
    report.insert("issuing".into(), Value::from(issuing));
}

/// Where the fan-out is measured: our server's live channel, or the bare broadcaster.
struct Target {
    /// The WebSocket a screen opens.
    ws: String,
    /// What a call is: `POST` there (answers `{"version": N}`), with the staff token.
    call: String,
    /// The process, for its memory and CPU time.
    pid: u32,
}

/// The live channel's fan-out beside the bare broadcaster's, the same screens and calls.
async fn live(
    base: &str,
    token: &str,
    only_live: bool,
    report: &mut serde_json::Map<String, Value>,
) {
    let pid: u32 = env("BENCH_SERVER_PID").parse().expect("a pid");
    let bare_pid: u32 = env("BENCH_BARE_PID").parse().expect("a pid");
    let bare = env("BENCH_BARE_URL");
    let calls: usize = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let screens: Vec<usize> = std::env::var("BENCH_SCREENS")
        .unwrap_or_else(|_| "1000,5000,10000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let ours = |queue: &str| Target {
        ws: format!(
            "{}/api/v1/queues/{queue}/live",
            base.replacen("http://", "ws://", 1)
        ),
        call: format!("{base}/api/v1/queues/{queue}/call-next"),
        pid,
    };
    let theirs = || Target {
        ws: format!("{}/live", bare.replacen("http://", "ws://", 1)),
        call: format!("{bare}/call"),
        pid: bare_pid,
    };
    println!(
        "live fan-out: {calls} calls each, time from the call to the slowest screen; a bare broadcaster (tokio + tungstenite, nothing else) beside our server, same client"
    );
    let mut fanout = Vec::new();
    for (i, n) in screens.into_iter().enumerate() {
        let queue = format!("live{i}");
        issue(base, token, &queue, calls + 10).await;
        let bare_run = fanout_run(&theirs(), token, n, calls).await;
        let run = fanout_run(&ours(&queue), token, n, calls).await;
        print_pair(n, "", &bare_run, &run);
        fanout.push(pair(n, bare_run, run, false));
    }
    if !only_live {
        // The same 10,000 with the screens' side on a core of its own, the server (or the bare
        // broadcaster) and Redis on the other (in a shop the screens are phones and TVs, not the
        // server's cores).
        let redis_pid = env("BENCH_REDIS_PID");
        let own_pid = std::process::id().to_string();
        let pin = |cpus: &str, pids: &[&str]| {
            for pid in pids {
                let pinned = std::process::Command::new("taskset")
                    .args(["-a", "-p", "-c", cpus, pid])
                    .stdout(std::process::Stdio::null())
                    .status();
                if !pinned.is_ok_and(|s| s.success()) {
                    eprintln!("taskset could not pin {pid}");
                }
            }
        };
        let (pid, bare_pid) = (pid.to_string(), bare_pid.to_string());
        issue(base, token, "live3", calls + 10).await;
        pin("0", &[&pid, &bare_pid, &redis_pid]);
        pin("1", &[&own_pid]);
        let bare_run = fanout_run(&theirs(), token, 10_000, calls).await;
        let run = fanout_run(&ours("live3"), token, 10_000, calls).await;
        pin("0-1", &[&pid, &bare_pid, &redis_pid, &own_pid]);
        print_pair(
            10_000,
            ", the screens on a core of their own",
            &bare_run,
            &run,
        );
        fanout.push(pair(10_000, bare_run, run, true));
    }
    report.insert("live".into(), Value::from(fanout));
}

/// `count` tickets on `queue`, for the calls that follow.
async fn issue(base: &str, token: &str, queue: &str, count: usize) {
    let http = reqwest::Client::new();
    for _ in 0..count {
        http.post(format!("{base}/api/v1/queues/{queue}/tickets"))
            .bearer_auth(token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
    }
}

fn ratio(bare: &Value, ours: &Value) -> f64 {
    ours["slowest_p99_ms"].as_f64().unwrap_or(0.0)
        / bare["slowest_p99_ms"].as_f64().unwrap_or(0.0).max(0.001)
}

fn print_pair(n: usize, how: &str, bare: &Value, ours: &Value) {
    let cpu = |run: &Value| {
        run["server_cpu_ms_per_call_user"].as_f64().unwrap()
            + run["server_cpu_ms_per_call_system"].as_f64().unwrap()
    };
    println!(
        "  {n:>6} screens{how}: slowest p99 bare {:>7.1} ms, ours {:>7.1} ms, ratio {:.2}×  (p50 {:.1} / {:.1} ms; the call answered: p99 {:.1} / {:.1} ms; KiB per connection {:.1} / {:.1}; CPU per call {:.0} / {:.0} ms; connected {} / {} of {n}; load {:.2})",
        bare["slowest_p99_ms"].as_f64().unwrap(),
        ours["slowest_p99_ms"].as_f64().unwrap(),
        ratio(bare, ours),
        bare["slowest_p50_ms"].as_f64().unwrap(),
        ours["slowest_p50_ms"].as_f64().unwrap(),
        bare["call_answered_p99_ms"].as_f64().unwrap(),
        ours["call_answered_p99_ms"].as_f64().unwrap(),
        bare["kib_per_connection"].as_f64().unwrap(),
        ours["kib_per_connection"].as_f64().unwrap(),
        cpu(bare),
        cpu(ours),
        bare["connected"],
        ours["connected"],
        ours["load_1min"].as_f64().unwrap_or(0.0),
    );
}

fn pair(n: usize, bare: Value, ours: Value, pinned: bool) -> Value {
    json!({
        "screens": n,
        "ratio_p99": ratio(&bare, &ours),
        "screens_on_their_own_core": pinned,
        "bare": bare,
        "ours": ours,
    })
}

/// `clients` keep-alive clients, each with a connection of its own, issuing for `length`.
async fn issue_run(base: &str, token: &str, clients: usize, length: Duration) -> Value {
    let queue = format!("b{clients}");
    let url = format!("{base}/api/v1/queues/{queue}/tickets");
    let deadline = Instant::now() + length;
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (url, token) = (url.clone(), token.to_owned());
            tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .http1_only()
                    .build()
                    .unwrap();
                let mut results = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let answer = http.post(&url).bearer_auth(&token).send().await;
                    let number = match answer {
                        Ok(r) if r.status() == 201 => r
                            .json::<Value>()
                            .await
                            .ok()
                            .and_then(|v| v["number"].as_u64()),
                        _ => None,
                    };
                    results.push((t.elapsed(), number));
                }
                results
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut numbers = Vec::new();
    let mut errors = 0;
    for worker in workers {
        for (latency, number) in worker.await.unwrap() {
            latencies.push(latency);
            match number {
                Some(n) => numbers.push(n),
                None => errors += 1,
            }
        }
    }
    let took = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let unique: HashSet<u64> = numbers.iter().copied().collect();
    let max = numbers.iter().copied().max().unwrap_or(0);
    json!({
        "clients": clients,
        "tickets": numbers.len(),
        "tickets_per_s": numbers.len() as f64 / took,
        "p50_ms": percentile(&latencies, 0.50),
        "p99_ms": percentile(&latencies, 0.99),
        "errors": errors,
        "duplicates": numbers.len() - unique.len(),
        "gaps": max as usize - unique.len(),
    })
}

/// What `redis-benchmark` reaches running the issue script itself on the same Redis (64
/// clients): the ceiling of an issue there.
fn redis_ceiling(redis_url: &str, port: &str) -> Option<f64> {
    let rt = tokio::runtime::Handle::current();
    let store = Store::open(redis_url).ok()?;
    let queue = QueueId::parse("ceiling").ok()?;
    let moment = waitingroom::calendar::Calendar::tokyo().now();
    let (source, line) = store.tickets().issue_command_line(&queue, moment);
    let client = redis::Client::open(redis_url).ok()?;
    let loaded: Option<String> = tokio::task::block_in_place(|| {
        rt.block_on(async {
            let mut conn = client.get_multiplexed_async_connection().await.ok()?;
            redis::cmd("SCRIPT")
                .arg("LOAD")
                .arg(&source)
                .query_async(&mut conn)
                .await
                .ok()
        })
    });
    loaded?;
    let output = Command::new("redis-benchmark")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-c",
            "64",
            "-n",
            "200000",
            "-q",
        ])
        .args(&line)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    // "EVALSHA ...: 41152.26 requests per second, p50=..."
    let per_s = text.rsplit(": ").find_map(|part| {
        part.split(" requests per second")
            .next()?
            .trim()
            .parse()
            .ok()
    });
    if per_s.is_none() {
        eprintln!("redis-benchmark said: {text}");
    }
    per_s
}

/// `n` screens on `target`; `calls` calls; per call, the time until the slowest screen saw it.
/// Memory: the process's RSS before and after the screens connected.
async fn fanout_run(target: &Target, token: &str, n: usize, calls: usize) -> Value {
    let http = reqwest::Client::new();
    let pid = target.pid;
    let ws = target.ws.clone();
    // the machine's load as the run starts (other work on the same cores moves the figures)
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    let before = rss_kib(pid);
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<(u64, Instant)>();
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<bool>();
    let mut screens = Vec::with_capacity(n);
    for i in 0..n {
        let (ws, seen, ready) = (ws.clone(), seen_tx.clone(), ready_tx.clone());
        screens.push(tokio::spawn(async move {
            // spread the screens over loopback addresses (each has its own ports)
            let local = std::net::Ipv4Addr::new(127, 0, 0, 1 + (i % 50) as u8);
            let Ok(socket) = tokio::net::TcpSocket::new_v4() else {
                let _ = ready.send(false);
                return;
            };
            let _ = socket.bind((local, 0).into());
            let addr: std::net::SocketAddr = ws
                .trim_start_matches("ws://")
                .split('/')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let Ok(stream) = socket.connect(addr).await else {
                let _ = ready.send(false);
                return;
            };
            let Ok((mut socket, _)) = tokio_tungstenite::client_async(ws.as_str(), stream).await
            else {
                let _ = ready.send(false);
                return;
            };
            let _ = socket.next().await; // the snapshot
            let _ = ready.send(true);
            while let Some(Ok(message)) = socket.next().await {
                if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
                    let at = Instant::now();
                    // a screen would parse it; the benchmark only needs the version, and its
                    // 10,000 screens share the machine with the server
                    if let Some(version) = event_version(&text) {
                        let _ = seen.send((version, at));
                    }
                }
            }
        }));
    }
    drop(seen_tx);
    let mut connected = 0;
    for _ in 0..n {
        if ready_rx.recv().await == Some(true) {
            connected += 1;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid);
    let cpu_before = cpu_ms(pid);
    let mut sent_at = BTreeMap::new();
    let mut answered_in = Vec::new();
    for _ in 0..calls {
        let t = Instant::now();
        let called: Value = http
            .post(&target.call)
            .bearer_auth(token)
            .json(&json!({ "counter": "1" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answered_in.push(t.elapsed());
        if let Some(version) = called["version"].as_u64() {
            sent_at.insert(version, t);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let cpu_after = cpu_ms(pid);
    let calls = sent_at.len().max(1) as f64;
    let mut slowest: BTreeMap<u64, (Instant, usize)> = BTreeMap::new();
    while let Ok((version, at)) = seen_rx.try_recv() {
        let entry = slowest.entry(version).or_insert((at, 0));
        entry.0 = entry.0.max(at);
        entry.1 += 1;
    }
    let mut delays: Vec<Duration> = sent_at
        .iter()
        .filter_map(|(v, t)| {
            slowest
                .get(v)
                .map(|(at, _)| at.saturating_duration_since(*t))
        })
        .collect();
    let missed = sent_at
        .keys()
        .filter(|v| slowest.get(v).is_none_or(|(_, count)| *count < connected))
        .count();
    // each call's time to the slowest screen, in the order made (a slow one: the call's own
    // answer, e.g. Redis's fsync, or the fan-out)
    let per_call: Vec<f64> = delays.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    delays.sort_unstable();
    answered_in.sort_unstable();
    for screen in screens {
        screen.abort();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    json!({
        "screens": n,
        "load_1min": load,
        "connected": connected,
        "calls": sent_at.len(),
        "calls_not_seen_by_every_screen": missed,
        "slowest_p50_ms": percentile(&delays, 0.50),
        "slowest_p99_ms": percentile(&delays, 0.99),
        "slowest_ms_per_call": per_call,
        // the call's own answer (for our server: HTTP, the Redis script and its fsync)
        "call_answered_p50_ms": percentile(&answered_in, 0.50),
        "call_answered_p99_ms": percentile(&answered_in, 0.99),
        "kib_per_connection": (after.saturating_sub(before)) as f64 / connected.max(1) as f64,
        // the server's CPU per call for all its screens, as the kernel accounts it (user and
        // system; on this kind of VM nearly all shows as user, even the kernel's TCP work, which
        // `perf` finds is most of it)
        "server_cpu_ms_per_call_user": (cpu_after.0 - cpu_before.0) as f64 / calls,
        "server_cpu_ms_per_call_system": (cpu_after.1 - cpu_before.1) as f64 / calls,
    })
}

/// The version of a live channel's event message (`{"kind":"event","event":{…"version":7,…}}`).
fn event_version(text: &str) -> Option<u64> {
    if !text.starts_with(r#"{"kind":"event""#) {
        return None;
    }
    let rest = &text[text.find(r#""version":"#)? + r#""version":"#.len()..];
    rest[..rest.find(|c: char| !c.is_ascii_digit())?]
        .parse()
        .ok()
}

/// What a browser downloads for the page at `path`: the page and every file it loads (the
/// bundle's JS, WASM and CSS), compressed as the browser accepts them (brotli or gzip).
async fn page_weight(base: &str, path: &str) -> Value {
    let http = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap();
    let page = format!("{base}{path}");
    let html = http.get(&page).send().await.unwrap().text().await.unwrap();
    let mut files: Vec<String> = vec![page];
    for part in html.split(['"', '\'']) {
        if part.starts_with("/pkg/") && !files.iter().any(|f| f.ends_with(part)) {
            files.push(format!("{base}{part}"));
        }
    }
    if let Some(js) = files.iter().find(|f| f.ends_with(".js")).cloned() {
        let wasm = js.replace(".js", ".wasm");
        if !files.contains(&wasm) {
            files.push(wasm);
        }
    }
    let (mut compressed, mut raw) = (0usize, 0usize);
    for file in &files {
        let size = |encoding: &'static str| {
            let request = http.get(file).header("accept-encoding", encoding);
            async move { request.send().await.unwrap().bytes().await.unwrap().len() }
        };
        compressed += size("br, gzip").await;
        raw += size("identity").await;
    }
    json!({ "files": files.len(), "compressed_bytes": compressed, "raw_bytes": raw, "urls": files })
}

/// Starts the server binary 5 times; the median time until `/healthz` first answers 200.
async fn cold_start(bin: &str, redis_url: &str) -> f64 {
    let mut times = Vec::new();
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let started = Instant::now();
        let mut child = Command::new(bin)
            .env("REDIS_URL", redis_url)
            .env("PORT", port.to_string())
            .env("ADMIN_PASSWORD", "bench-password-123")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let url = format!("http://127.0.0.1:{port}/healthz");
        let http = reqwest::Client::new();
        loop {
            if let Ok(r) = http.get(&url).send().await {
                if r.status() == 200 {
                    break;
                }
            }
            if started.elapsed() > Duration::from_secs(20) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        times.push(started.elapsed());
        let _ = child.kill();
        let _ = child.wait();
    }
    times.sort_unstable();
    times[times.len() / 2].as_secs_f64() * 1000.0
}
