//! What LINE posts to the webhook (`webhook.yml`): `{"destination", "events": [...]}`. Only the
//! events this app acts on are read — a text message, follow, unfollow — each from a user (not a
//! group or room) in `active` mode (in `standby` another module answers); every other event is
//! [`Event::Ignored`], never an error, so an event type LINE adds later changes nothing.

use serde::Deserialize;

/// The body LINE posts.
#[derive(Debug, Deserialize)]
pub struct Callback {
    #[serde(default)]
    pub destination: String,
    /// Empty: LINE's "verify" request from the console.
    pub events: Vec<serde_json::Value>,
}

/// One event, as far as this app reads it. `id` is its `webhookEventId` (redeliveries carry the
/// same one); `user` the LINE userId (personal data: never logged or published).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The user sent a message; `text` for a text message (`None`: a sticker, an image, ...).
    Message {
        id: String,
        user: String,
        reply_token: Option<String>,
        text: Option<String>,
    },
    /// The user added the account as a friend (or unblocked it).
    Follow {
        id: String,
        user: String,
        reply_token: Option<String>,
    },
    /// The user blocked the account.
    Unfollow { id: String, user: String },
    /// Anything else (another type, a group, standby mode), with its id if it has one.
    Ignored { id: Option<String>, kind: String },
}

impl Event {
    /// Its `webhookEventId`, if it has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Event::Message { id, .. } | Event::Follow { id, .. } | Event::Unfollow { id, .. } => {
                Some(id)
            }
            Event::Ignored { id, .. } => id.as_deref(),
        }
    }

    /// Reads one event of `events`.
    pub fn read(raw: &serde_json::Value) -> Event {
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        let kind = raw["type"].as_str().unwrap_or_default().to_owned();
        let id = text(&raw["webhookEventId"]).filter(|id| !id.is_empty());
        let user = (raw["source"]["type"] == "user")
            .then(|| text(&raw["source"]["userId"]))
            .flatten()
            .filter(|u| !u.is_empty());
        // no mode is read as active (LINE always sends one)
        let active = raw["mode"].as_str().is_none_or(|m| m == "active");
        let (Some(id), Some(user), true) = (id.clone(), user, active) else {
            return Event::Ignored { id, kind };
        };
        let reply_token = text(&raw["replyToken"]).filter(|t| !t.is_empty());
        match kind.as_str() {
            "message" => Event::Message {
                id,
                user,
                reply_token,
                text: (raw["message"]["type"] == "text")
                    .then(|| text(&raw["message"]["text"]))
                    .flatten(),
            },
            "follow" => Event::Follow {
                id,
                user,
                reply_token,
            },
            "unfollow" => Event::Unfollow { id, user },
            _ => Event::Ignored { id: Some(id), kind },
        }
    }
}

/// The events of a webhook body (after its signature was checked); an error when it is not
/// LINE's JSON at all.
pub fn parse(body: &[u8]) -> Result<Vec<(Event, serde_json::Value)>, String> {
    let callback: Callback = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(callback
        .events
        .into_iter()
        .map(|raw| (Event::read(&raw), raw))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(index: usize) -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/line/signature-vectors.json"
        );
        let all: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        all["vectors"][index]["body"]
            .as_str()
            .unwrap()
            .as_bytes()
            .to_vec()
    }

    fn events(index: usize) -> Vec<Event> {
        parse(&vector(index))
            .unwrap()
            .into_iter()
            .map(|(e, _)| e)
            .collect()
    }

    #[test]
    fn the_verify_request_has_no_events() {
        assert_eq!(events(0), vec![]);
    }

    #[test]
    fn a_text_message_follow_and_unfollow_are_read_from_lines_own_bodies() {
        assert_eq!(
            events(1),
            vec![Event::Message {
                id: "01H810YECXQQZ37VAXPF6H9E6T".into(),
                user: "U4af4980629abcdef0123456789abcdef".into(),
                reply_token: Some("38ef843bde154d9b91c21320ffd17a0f".into()),
                text: Some("受付 A7K2QF".into()),
            }]
        );
        assert!(matches!(
            &events(2)[..],
            [Event::Follow { id, user, reply_token: Some(_) }]
                if id == "01H810YECXQQZ37VAXPF6H9E6U" && user == "Uaaaabbbbccccddddeeeeffff00001111"
        ));
        assert_eq!(
            events(3),
            vec![Event::Unfollow {
                id: "01H810YECXQQZ37VAXPF6H9E6V".into(),
                user: "Uaaaabbbbccccddddeeeeffff00001111".into(),
            }]
        );
        // no webhookEventId, no source: nothing to act on
        assert!(matches!(&events(4)[..], [Event::Ignored { id: None, .. }]));
    }

    #[test]
    fn unknown_events_groups_standby_and_stickers_are_not_acted_on() {
        let body = serde_json::json!({"destination": "U1", "events": [
            {"type": "postback", "webhookEventId": "A", "mode": "active", "source": {"type": "user", "userId": "U1"}},
            {"type": "message", "webhookEventId": "B", "mode": "active", "source": {"type": "group", "groupId": "G", "userId": "U1"}, "message": {"type": "text", "text": "x"}},
            {"type": "message", "webhookEventId": "C", "mode": "standby", "source": {"type": "user", "userId": "U1"}, "message": {"type": "text", "text": "x"}},
            {"type": "message", "webhookEventId": "D", "mode": "active", "replyToken": "r", "source": {"type": "user", "userId": "U1"}, "message": {"type": "sticker", "id": "1"}}
        ]});
        let read: Vec<Event> = parse(body.to_string().as_bytes())
            .unwrap()
            .into_iter()
            .map(|(e, _)| e)
            .collect();
        assert_eq!(
            read[0],
            Event::Ignored {
                id: Some("A".into()),
                kind: "postback".into()
            }
        );
        assert!(matches!(read[1], Event::Ignored { .. }), "a group");
        assert!(matches!(read[2], Event::Ignored { .. }), "standby");
        assert!(
            matches!(&read[3], Event::Message { text: None, .. }),
            "a sticker"
        );
        assert_eq!(read[0].id(), Some("A"));
        assert!(parse(b"not json").is_err());
        assert!(parse(b"{}").is_err(), "no events");
    }
}
