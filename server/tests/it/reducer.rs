//! The reducer every screen runs is proven equal to Redis: random sequences of every kind of
//! change run against real Redis, and after each one the day rebuilt from the published events
//! alone equals a fresh read (the snapshot and every ticket).

use crate::common::TestRedis;
use futures::StreamExt;
use std::time::Duration;
use waitingroom::store::{NewTicket, QueueKeys, Store};
use waitingroom::{
    Applied, Change, Channel, CounterId, Intake, Lang, Outcome, QueueEvent, QueueId, TicketAction,
    TicketToken,
};

/// A small deterministic generator (xorshift), so a failing seed can be replayed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
}

#[tokio::test]
async fn the_reducer_fed_with_the_events_equals_redis_after_every_change() {
    let redis = TestRedis::start();
    let store = Store::open(&redis.url()).unwrap();
    let client = redis::Client::open(redis.node_url()).unwrap();
    let counters: Vec<CounterId> = ["1", "2", "3"]
        .iter()
        .map(|c| CounterId::parse(c).unwrap())
        .collect();
    let mut changes_seen = std::collections::BTreeSet::new();

    for seed in [1u64, 7, 2026, 90210] {
        let q = QueueId::parse(&format!("prop-{seed}")).unwrap();
        let mut pubsub = client.get_async_pubsub().await.unwrap();
        pubsub.subscribe(QueueKeys::of(&q).events()).await.unwrap();
        let mut events = pubsub.on_message();
        let mut day = store.queues().day(&q).await.unwrap();
        let mut dice = Dice(seed);
        let mut now = 1_800_000_000_000u64;
        let mut tokens = std::collections::HashMap::new();

        for step in 0..250 {
            now += 1 + dice.roll(120_000);
            let at = waitingroom::calendar::Calendar::tokyo()
                .moment_at(jiff::Timestamp::from_millisecond(now as i64).unwrap());
            let last = day.snapshot.last_number.max(1);
            let counter = &counters[dice.roll(3) as usize];
            let kind = match dice.roll(20) {
                0..=6 => {
                    let channel =
                        [Channel::Kiosk, Channel::Remote, Channel::Api][dice.roll(3) as usize];
                    let mut bytes = [0u8; 16];
                    bytes[..8].copy_from_slice(&now.to_be_bytes());
                    bytes[8..].copy_from_slice(&seed.to_be_bytes());
                    let token = TicketToken::from_bytes(bytes);
                    if let Ok(issued) = store
                        .tickets()
                        .issue(&q, NewTicket::new(channel, &token, Lang::Ja), "", at)
                        .await
                    {
                        tokens.insert(issued.ticket.number, token);
                    }
                    "issue"
                }
                7..=10 => {
                    let _ = store.tickets().call_next(&q, counter, at).await;
                    "call_next"
                }
                11..=17 => {
                    let action =
                        TicketAction::ALL[dice.roll(TicketAction::ALL.len() as u64) as usize];
                    let number = 1 + dice.roll(last);
                    let _ = store
                        .tickets()
                        .act(&q, number, action, Some(counter), None, at)
                        .await;
                    action.as_str()
                }
                18 => {
                    let intake = Intake::ALL[dice.roll(3) as usize];
                    store.queues().set_intake(&q, intake, at).await.unwrap();
                    "intake"
                }
                _ => {
                    let roll = dice.roll(4);
                    if roll == 0 {
                        store.days().reset(&q, true, at).await.unwrap();
                        tokens.clear();
                        "reset"
                    } else if roll == 1 {
                        // a phone registered (and, half the time, verified) for some ticket
                        let number = 1 + dice.roll(last);
                        if let Some(token) = tokens.get(&number) {
                            let phone = waitingroom::PhoneNumber::parse("090-1234-5678").unwrap();
                            let link = format!("{:032x}", u128::from(now) * 31 + u128::from(seed));
                            // one code per ticket: the tickets share the phone
                            let code = format!("{:04}", number % 10_000);
                            let codes = [code.clone()];
                            let registration = waitingroom::store::Registration {
                                phone: &phone,
                                link_token: &link,
                                valid_until_ms: now + 600_000,
                                max_sms: 3,
                                body: "verify",
                                send_sms: true,
                                call_in: true,
                                call_codes: &codes,
                                max_numbers: 3,
                            };
                            let registered = store
                                .phone_records()
                                .register_phone(&q, number, token, &registration, at)
                                .await;
                            // verified by its link or by a call from it
                            if registered.is_ok() && dice.roll(2) == 0 {
                                let _ = store.phone_records().verify_phone(&q, &link, at).await;
                            } else if registered.is_ok() && dice.roll(2) == 0 {
                                let _ = store
                                    .phone_records()
                                    .verify_call(&q, &phone, &code, at)
                                    .await;
                            }
                        }
                        "phone"
                    } else {
                        let _ = store.tickets().call_next(&q, counter, at).await;
                        "call_next"
                    }
                }
            };

            let fresh = store.queues().day(&q).await.unwrap();
            while day.version() < fresh.version() {
                let message = tokio::time::timeout(Duration::from_secs(5), events.next())
                    .await
                    .expect("the event of every change is published")
                    .unwrap();
                let event: QueueEvent =
                    serde_json::from_str(&message.get_payload::<String>().unwrap()).unwrap();
                assert_eq!(
                    day.apply(&event),
                    Applied::Updated,
                    "seed {seed} step {step} ({kind}): {event:?}"
                );
                changes_seen.insert(change_kind(&event.change));
            }
            assert_eq!(
                day, fresh,
                "seed {seed} step {step} ({kind}): the reducer went astray"
            );
        }
    }
    for kind in [
        "issued",
        "called",
        "recalled",
        "done",
        "no_show",
        "cancelled",
        "requeued",
        "intake",
        "reset",
        "phone",
    ] {
        assert!(
            changes_seen.contains(kind),
            "no sequence made a {kind} change: {changes_seen:?}"
        );
    }
}

fn change_kind(change: &Change) -> &'static str {
    match change {
        Change::Issued { .. } => "issued",
        Change::Called { recall: false, .. } => "called",
        Change::Called { recall: true, .. } => "recalled",
        Change::Finished {
            outcome: Outcome::Done,
            ..
        } => "done",
        Change::Finished {
            outcome: Outcome::NoShow,
            ..
        } => "no_show",
        Change::Finished {
            outcome: Outcome::Cancelled,
            ..
        } => "cancelled",
        Change::Requeued { .. } => "requeued",
        Change::Intake { .. } => "intake",
        Change::Reset => "reset",
        Change::Phone { .. } => "phone",
    }
}
