//! Configuration from environment variables (documented in README.md). A missing or invalid value
//! stops start-up with a message naming the variable.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use waitingroom::QueueId;

#[derive(Clone, Debug)]
pub struct Config {
    /// `REDIS_URL` (required): e.g. `redis://127.0.0.1:6379/0`.
    pub redis_url: String,
    /// `BIND_ADDR` (default `127.0.0.1`) and `PORT` (default `3000`; `0` picks a free port).
    pub addr: SocketAddr,
    /// `SITE_ROOT` (default `target/site`): the built WASM, JS, CSS and public files.
    pub site_root: String,
    /// `QUEUES` (default `default`): comma-separated queue ids; the first is the kiosk's.
    pub queues: Vec<QueueId>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set; {1}")]
    Missing(&'static str, &'static str),
    #[error("{0} is invalid: {1}")]
    Invalid(&'static str, String),
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a test's map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let redis_url = get("REDIS_URL").ok_or(ConfigError::Missing(
            "REDIS_URL",
            "set it to your Redis server, e.g. redis://127.0.0.1:6379/0 (scripts/run.sh starts one for you)",
        ))?;
        let ip: IpAddr = match get("BIND_ADDR") {
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some(v) => v.trim().parse().map_err(|_| {
                ConfigError::Invalid("BIND_ADDR", format!("{v:?} is not an IP address (e.g. 0.0.0.0)"))
            })?,
        };
        let port: u16 = match get("PORT") {
            None => 3000,
            Some(v) => v.trim().parse().map_err(|_| {
                ConfigError::Invalid("PORT", format!("{v:?} is not a port number (0–65535)"))
            })?,
        };
        let site_root = get("SITE_ROOT").unwrap_or_else(|| "target/site".to_owned());
        let queues = match get("QUEUES") {
            None => vec![QueueId::default_queue()],
            Some(v) => parse_queues(&v)?,
        };
        Ok(Self {
            redis_url,
            addr: SocketAddr::new(ip, port),
            site_root,
            queues,
        })
    }
}

fn parse_queues(raw: &str) -> Result<Vec<QueueId>, ConfigError> {
    let mut queues: Vec<QueueId> = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = QueueId::parse(part)
            .map_err(|e| ConfigError::Invalid("QUEUES", format!("{part:?}: {e}")))?;
        if queues.contains(&id) {
            return Err(ConfigError::Invalid("QUEUES", format!("{part:?} is listed twice")));
        }
        queues.push(id);
    }
    if queues.is_empty() {
        return Err(ConfigError::Invalid("QUEUES", "no queue id given".into()));
    }
    Ok(queues)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_need_only_redis() {
        let c = config(&[("REDIS_URL", "redis://127.0.0.1:1/")]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.queues, vec![QueueId::default_queue()]);
        assert_eq!(c.site_root, "target/site");
    }

    #[test]
    fn errors_name_the_variable() {
        let missing = config(&[]).unwrap_err().to_string();
        assert!(missing.starts_with("REDIS_URL is not set"), "{missing}");
        let port = config(&[("REDIS_URL", "redis://x/"), ("PORT", "80a")]).unwrap_err();
        assert!(port.to_string().starts_with("PORT is invalid"), "{port}");
        let bind = config(&[("REDIS_URL", "redis://x/"), ("BIND_ADDR", "localhost:1")]).unwrap_err();
        assert!(bind.to_string().starts_with("BIND_ADDR is invalid"), "{bind}");
        let queues = config(&[("REDIS_URL", "redis://x/"), ("QUEUES", "a,B")]).unwrap_err();
        assert!(queues.to_string().starts_with("QUEUES is invalid"), "{queues}");
        let twice = config(&[("REDIS_URL", "redis://x/"), ("QUEUES", "a, a")]).unwrap_err();
        assert!(twice.to_string().contains("twice"), "{twice}");
    }

    #[test]
    fn port_and_queues_are_read() {
        let c = config(&[
            ("REDIS_URL", "redis://x/"),
            ("PORT", "8080"),
            ("BIND_ADDR", "0.0.0.0"),
            ("QUEUES", "shinsatsu, kaikei"),
        ])
        .unwrap();
        assert_eq!(c.addr.to_string(), "0.0.0.0:8080");
        let ids: Vec<&str> = c.queues.iter().map(QueueId::as_str).collect();
        assert_eq!(ids, ["shinsatsu", "kaikei"]);
    }
}
