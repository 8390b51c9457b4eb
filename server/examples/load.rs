//! Load benchmark: issues tickets through the JSON API of a running server and prints the
//! throughput and latency figures.
//!
//! ```sh
//! STAFF_API_TOKEN=... cargo run -p server --release --example load -- http://127.0.0.1:3000 5000 64
//! ```
//! Arguments: base URL, number of tickets (default 2000), concurrent clients (default 32). The
//! staff token makes the calls unlimited; the queue is `default` unless `QUEUE` says otherwise.

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let total: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let clients: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(32)
        .max(1);
    let token = std::env::var("STAFF_API_TOKEN").unwrap_or_default();
    let queue = std::env::var("QUEUE").unwrap_or_else(|_| "default".into());
    let url = format!("{base}/api/v1/queues/{queue}/tickets");
    let http = reqwest::Client::new();

    let started = Instant::now();
    let per_client = total.div_ceil(clients);
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            let n = per_client.min(total.saturating_sub(c * per_client));
            tokio::spawn(async move {
                let mut results = Vec::with_capacity(n);
                for _ in 0..n {
                    let t = Instant::now();
                    let response = http.post(&url).bearer_auth(&token).send().await;
                    let ok = matches!(&response, Ok(r) if r.status().as_u16() == 201);
                    let number = match response {
                        Ok(r) if ok => r
                            .json::<serde_json::Value>()
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
    let mut latencies: Vec<Duration> = Vec::with_capacity(total);
    let mut numbers: Vec<u64> = Vec::with_capacity(total);
    for worker in workers {
        for (latency, number) in worker.await.expect("worker") {
            latencies.push(latency);
            numbers.extend(number);
        }
    }
    let wall = started.elapsed();
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1]
    };
    numbers.sort_unstable();
    let unique = {
        let mut n = numbers.clone();
        n.dedup();
        n.len()
    };
    println!("tickets requested  {total} from {clients} concurrent clients");
    println!(
        "issued (201)       {}  (unique numbers: {unique})",
        numbers.len()
    );
    println!("wall time          {:.2} s", wall.as_secs_f64());
    println!(
        "throughput         {:.0} tickets/s",
        numbers.len() as f64 / wall.as_secs_f64()
    );
    println!(
        "latency            p50 {:.1} ms   p90 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.90).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
}
