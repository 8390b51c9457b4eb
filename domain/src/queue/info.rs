//! A queue as configured (`QUEUES`): its id, the prefix of its numbers, its names; and the
//! expected wait.

use super::QueueId;
use serde::{Deserialize, Serialize};

/// A queue as configured: its id, the prefix of its numbers and its names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueInfo {
    pub id: QueueId,
    /// Printed before the number (`A` gives `A-001`); empty for plain numbers.
    pub prefix: String,
    pub name_ja: String,
    pub name_en: String,
    /// Chinese and Korean names, when configured (else the English name is shown).
    #[serde(default)]
    pub name_zh: Option<String>,
    #[serde(default)]
    pub name_ko: Option<String>,
}

impl QueueInfo {
    /// The queue of an installation without configuration.
    pub fn default_queue() -> Self {
        Self {
            id: QueueId::default_queue(),
            prefix: String::new(),
            name_ja: "受付".into(),
            name_en: "Reception".into(),
            name_zh: Some("取号".into()),
            name_ko: Some("접수".into()),
        }
    }

    /// The name in `lang`; Chinese and Korean fall back to the English name.
    pub fn name(&self, lang: crate::Lang) -> &str {
        match lang {
            crate::Lang::Ja => &self.name_ja,
            crate::Lang::En => &self.name_en,
            crate::Lang::Zh => self.name_zh.as_deref().unwrap_or(&self.name_en),
            crate::Lang::Ko => self.name_ko.as_deref().unwrap_or(&self.name_en),
        }
    }

    pub fn label(&self, number: u64) -> String {
        crate::ticket::label(&self.prefix, number)
    }
}

impl QueueInfo {
    /// The queues of `QUEUES`, comma-separated, each as its `FromStr` reads it: at least one,
    /// none twice.
    pub fn parse_list(raw: &str) -> Result<Vec<QueueInfo>, String> {
        let mut queues: Vec<QueueInfo> = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let queue: QueueInfo = part.parse()?;
            if queues.iter().any(|q| q.id == queue.id) {
                return Err(format!("{} is listed twice", queue.id));
            }
            queues.push(queue);
        }
        if queues.is_empty() {
            return Err("no queue given".into());
        }
        Ok(queues)
    }
}

/// A queue's number prefix may hold at most this many letters or digits (`A` gives `A-001`).
pub const MAX_PREFIX_CHARS: usize = 3;

impl std::str::FromStr for QueueInfo {
    type Err = String;

    /// `id[:prefix[:日本語名[:English name[:中文名[:한국어 이름]]]]]`, e.g. `shinsatsu:A:診察:Consultation`:
    /// the Japanese name defaults to the id, the English one to the Japanese one.
    fn from_str(raw: &str) -> Result<Self, String> {
        let mut fields = raw.split(':').map(str::trim);
        let id = fields.next().unwrap_or_default();
        let id = QueueId::parse(id).map_err(|e| format!("queue id {id:?} {e}"))?;
        let prefix = fields.next().unwrap_or_default().to_owned();
        if prefix.chars().count() > MAX_PREFIX_CHARS
            || !prefix.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(format!(
                "prefix {prefix:?} must be at most {MAX_PREFIX_CHARS} letters or digits"
            ));
        }
        let name_ja = fields
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or(id.as_str())
            .to_owned();
        let name_en = fields
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or(&name_ja)
            .to_owned();
        let mut other = || fields.next().filter(|n| !n.is_empty()).map(str::to_owned);
        let (name_zh, name_ko) = (other(), other());
        Ok(Self {
            id,
            prefix,
            name_ja,
            name_en,
            name_zh,
            name_ko,
        })
    }
}

/// The expected wait of someone with `people_ahead` in front, served at `counters` counters that
/// each take `avg_service_ms` per customer; `None` while there is not enough data.
pub fn estimated_wait_ms(
    people_ahead: usize,
    avg_service_ms: Option<u64>,
    counters: usize,
) -> Option<u64> {
    let avg = avg_service_ms?;
    let counters = counters.max(1) as u64;
    Some((people_ahead as u64).div_ceil(counters) * avg)
}

/// Whole minutes, rounded up, for "about N minutes".
pub fn minutes_ceil(ms: u64) -> u64 {
    ms.div_ceil(60_000)
}
