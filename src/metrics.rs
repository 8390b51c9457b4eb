//! What the server counts, for Prometheus (`GET /metrics`, OpenMetrics text): tickets issued and
//! called, live connections, Redis errors and latency, HTTP requests by route and status, SMS
//! and calls. One registry per app, not a process-wide one: the tests run many apps in one
//! process.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IssueLabels {
    pub queue: String,
    pub channel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabels {
    pub queue: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    /// The route's pattern (`/api/v1/queues/{queue}/tickets`), never the path itself (it may
    /// hold a ticket's token).
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutboundLabels {
    /// `sms` or `call`.
    pub kind: String,
    /// `sent` (to Twilio, or the dev outbox), `refused` (by Twilio), `retry` (will be tried
    /// again), `stopped` (the number texted STOP).
    pub result: String,
}

/// Seconds from 0.5 ms to about 8 s.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    tickets_issued: Family<IssueLabels, Counter>,
    calls: Family<QueueLabels, Counter>,
    live_connections: Gauge,
    redis_errors: Counter,
    redis_seconds: Histogram,
    http_requests: Family<RouteLabels, Counter>,
    http_seconds: Family<RouteLabels, Histogram>,
    outbound: Family<OutboundLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("waitingroom");
        let tickets_issued = Family::<IssueLabels, Counter>::default();
        registry.register(
            "tickets_issued",
            "Tickets issued, by queue and channel",
            tickets_issued.clone(),
        );
        let calls = Family::<QueueLabels, Counter>::default();
        registry.register("calls", "Tickets called to a counter", calls.clone());
        let live_connections = Gauge::default();
        registry.register(
            "live_connections",
            "Open live connections (screens) of this process",
            live_connections.clone(),
        );
        let redis_errors = Counter::default();
        registry.register(
            "redis_errors",
            "Queue changes that failed in Redis (unreachable or an error answer)",
            redis_errors.clone(),
        );
        let redis_seconds = latency();
        registry.register(
            "redis_script_seconds",
            "Time of the queue's Redis scripts",
            redis_seconds.clone(),
        );
        let http_requests = Family::<RouteLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests, by method, route and status",
            http_requests.clone(),
        );
        let http_seconds =
            Family::<RouteLabels, Histogram>::new_with_constructor(latency as fn() -> Histogram);
        registry.register(
            "http_request_seconds",
            "Time to answer an HTTP request, by method, route and status",
            http_seconds.clone(),
        );
        let outbound = Family::<OutboundLabels, Counter>::default();
        registry.register(
            "outbound",
            "SMS and calls, by what became of them",
            outbound.clone(),
        );
        Self {
            registry,
            tickets_issued,
            calls,
            live_connections,
            redis_errors,
            redis_seconds,
            http_requests,
            http_seconds,
            outbound,
        }
    }

    pub fn ticket_issued(&self, queue: &str, channel: &str) {
        self.tickets_issued
            .get_or_create(&IssueLabels {
                queue: queue.to_owned(),
                channel: channel.to_owned(),
            })
            .inc();
    }

    pub fn ticket_called(&self, queue: &str) {
        self.calls
            .get_or_create(&QueueLabels {
                queue: queue.to_owned(),
            })
            .inc();
    }

    /// One more open live connection, until the guard is dropped.
    pub fn live_connection(&self) -> LiveConnection {
        self.live_connections.inc();
        LiveConnection(self.live_connections.clone())
    }

    pub fn redis_script(&self, took: Duration, failed: bool) {
        self.redis_seconds.observe(took.as_secs_f64());
        if failed {
            self.redis_errors.inc();
        }
    }

    /// Counts a request; a method outside HTTP's standard ones counts as `OTHER` (a label never
    /// comes from the client unbounded).
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let labels = RouteLabels {
            method: method_label(method).to_owned(),
            route: route.to_owned(),
            status,
        };
        self.http_requests.get_or_create(&labels).inc();
        self.http_seconds
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    pub fn outbound(&self, kind: &str, result: &str) {
        self.outbound
            .get_or_create(&OutboundLabels {
                kind: kind.to_owned(),
                result: result.to_owned(),
            })
            .inc();
    }

    /// Everything, in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // writing into a String cannot fail
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// An open live connection, counted while it lives.
pub struct LiveConnection(Gauge);

impl Drop for LiveConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The label of an HTTP method: one of the standard methods, or `OTHER`.
fn method_label(method: &str) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    STANDARD
        .into_iter()
        .find(|m| *m == method)
        .unwrap_or("OTHER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_counted_is_rendered_with_its_labels() {
        let metrics = Metrics::new();
        metrics.ticket_issued("default", "kiosk");
        metrics.ticket_issued("default", "kiosk");
        let open = metrics.live_connection();
        metrics.http_request(
            "POST",
            "/api/v1/queues/{queue}/tickets",
            201,
            Duration::from_millis(2),
        );
        let text = metrics.render();
        assert!(
            text.contains(r#"waitingroom_tickets_issued_total{queue="default",channel="kiosk"} 2"#),
            "{text}"
        );
        assert!(text.contains("waitingroom_live_connections 1"), "{text}");
        assert!(
            text.contains(r#"route="/api/v1/queues/{queue}/tickets",status="201""#),
            "{text}"
        );
        drop(open);
        assert!(metrics.render().contains("waitingroom_live_connections 0"));
    }

    #[test]
    fn only_standard_methods_are_labels() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("get"), "OTHER");
        assert_eq!(method_label(&"X".repeat(30_000)), "OTHER");
    }
}
