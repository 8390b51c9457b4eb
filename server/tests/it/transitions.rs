//! Every ticket state × every staff action, against real Redis: the state the action leads to
//! (as `TicketAction::outcome` says), or a refusal that changed nothing.

use crate::common::TestRedis;
use waitingroom::store::{Moment, NewTicket, Store, StoreError};
use waitingroom::{
    Channel, CounterId, Lang, Problem, QueueDay, QueueId, TicketAction, TicketState, TicketToken,
};

/// One moment of a fixed day (2027-01-15 in Tokyo), for every change.
fn at() -> Moment {
    waitingroom::calendar::Calendar::tokyo()
        .moment_at(jiff::Timestamp::from_millisecond(1_800_000_000_000).unwrap())
}

/// A queue of its own whose ticket 1 is in `state` (ticket 2 waits behind it).
async fn queue_with_ticket_in(store: &Store, case: usize, state: TicketState) -> QueueId {
    let q = QueueId::parse(&format!("case-{case}")).unwrap();
    for b in 1..=2u8 {
        let token =
            TicketToken::from_bytes([case as u8, b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        store
            .tickets()
            .issue(
                &q,
                NewTicket::new(Channel::Kiosk, &token, Lang::Ja),
                "",
                at(),
            )
            .await
            .unwrap();
    }
    let one = CounterId::parse("1").unwrap();
    let tickets = store.tickets();
    let act = |action| tickets.act(&q, 1, action, None, None, at());
    match state {
        TicketState::Waiting => {}
        TicketState::Called => {
            store.tickets().call_next(&q, &one, at()).await.unwrap();
        }
        TicketState::Done | TicketState::NoShow => {
            store.tickets().call_next(&q, &one, at()).await.unwrap();
            let action = if state == TicketState::Done {
                TicketAction::Done
            } else {
                TicketAction::NoShow
            };
            act(action).await.unwrap();
        }
        TicketState::Cancelled => {
            act(TicketAction::Cancel).await.unwrap();
        }
    }
    let ticket = store.tickets().ticket(&q, 1).await.unwrap().unwrap();
    assert_eq!(ticket.state(), state, "set-up of case {case}");
    q
}

async fn everything(store: &Store, q: &QueueId) -> QueueDay {
    store.queues().day(q).await.unwrap()
}

#[tokio::test]
async fn every_state_by_every_action_moves_or_is_refused_changing_nothing() {
    let redis = TestRedis::start();
    let store = Store::open(&redis.url()).unwrap();
    let two = CounterId::parse("2").unwrap();
    let mut case = 0;
    for state in TicketState::ALL {
        for action in TicketAction::ALL {
            case += 1;
            let q = queue_with_ticket_in(&store, case, state).await;
            let rev = store
                .tickets()
                .ticket(&q, 1)
                .await
                .unwrap()
                .unwrap()
                .summary
                .rev;
            let before = everything(&store, &q).await;

            // a tablet that saw an older revision is refused, whatever the action
            let stale = store
                .tickets()
                .act(&q, 1, action, Some(&two), Some(rev - 1), at())
                .await;
            assert!(
                matches!(stale, Err(StoreError::Refused(Problem::TicketChanged { state: s })) if s == state),
                "{state:?} × {action:?} with a stale revision: {stale:?}"
            );
            assert_eq!(
                everything(&store, &q).await,
                before,
                "{state:?} × {action:?}: stale changed something"
            );

            let result = store
                .tickets()
                .act(&q, 1, action, Some(&two), Some(rev), at())
                .await;
            let after = everything(&store, &q).await;
            match action.outcome(state) {
                Some(next) => {
                    assert!(result.is_ok(), "{state:?} × {action:?}: {result:?}");
                    let ticket = &after.tickets[&1];
                    assert_eq!(ticket.state, next, "{state:?} × {action:?}");
                    assert_eq!(ticket.rev, rev + 1, "every change is a new revision");
                    assert!(after.version() > before.version());
                    let line: Vec<u64> = after.snapshot.waiting.clone();
                    match next {
                        TicketState::Waiting if action == TicketAction::MoveBack => {
                            // three places back by default: behind ticket 2, the line's end
                            assert_eq!(line, [2, 1], "moved back");
                            assert!(after.snapshot.counter_of(1).is_none());
                        }
                        TicketState::Waiting => assert_eq!(line, [1, 2], "back at the front"),
                        TicketState::Called => {
                            assert!(after.snapshot.counter_of(1).is_some());
                            assert_eq!(line, [2]);
                        }
                        _ => {
                            assert!(!line.contains(&1) && after.snapshot.counter_of(1).is_none());
                        }
                    }
                }
                None => {
                    assert!(
                        matches!(result, Err(StoreError::Refused(Problem::TicketChanged { state: s })) if s == state),
                        "{state:?} × {action:?} must be refused: {result:?}"
                    );
                    assert_eq!(
                        after, before,
                        "{state:?} × {action:?}: a refusal changed something"
                    );
                }
            }
        }
    }
    assert_eq!(case, 35);
}

#[tokio::test]
async fn unknown_tickets_and_calls_without_a_counter_are_refused() {
    let redis = TestRedis::start();
    let store = Store::open(&redis.url()).unwrap();
    let q = queue_with_ticket_in(&store, 99, TicketState::Waiting).await;
    let before = everything(&store, &q).await;
    let missing = store
        .tickets()
        .act(&q, 7, TicketAction::Cancel, None, None, at())
        .await;
    assert!(
        matches!(missing, Err(StoreError::Refused(Problem::TicketNotFound))),
        "{missing:?}"
    );
    let no_counter = store
        .tickets()
        .act(&q, 1, TicketAction::Call, None, None, at())
        .await;
    assert!(matches!(
        no_counter,
        Err(StoreError::Refused(Problem::TicketChanged {
            state: TicketState::Waiting
        }))
    ));
    assert_eq!(everything(&store, &q).await, before);
}

#[tokio::test]
async fn a_number_whose_ticket_is_missing_is_never_popped() {
    use redis::AsyncCommands;
    let redis = TestRedis::start();
    let store = Store::open(&redis.url()).unwrap();
    let q = queue_with_ticket_in(&store, 98, TicketState::Waiting).await;
    let mut conn = redis.connection().await;
    let day = store.days().today(&q).await.unwrap();
    let keys = waitingroom::store::QueueKeys::of(&q).day_keys(&day);
    let _: () = conn.hdel(keys.tickets(), 1).await.unwrap();
    let one = CounterId::parse("1").unwrap();
    let result = store.tickets().call_next(&q, &one, at()).await;
    assert!(matches!(result, Err(StoreError::Corrupt(_))), "{result:?}");
    assert_eq!(
        store.queues().snapshot(&q).await.unwrap().waiting,
        [1, 2],
        "the number stays in line"
    );
}

/// A queue of `n` kiosk tickets.
async fn queue_of(store: &Store, name: &str, n: u8) -> QueueId {
    let q = QueueId::parse(name).unwrap();
    for b in 1..=n {
        let token = TicketToken::from_bytes([
            0xee,
            b,
            name.len() as u8,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ]);
        store
            .tickets()
            .issue(
                &q,
                NewTicket::new(Channel::Kiosk, &token, Lang::Ja),
                "",
                at(),
            )
            .await
            .unwrap();
    }
    q
}

#[tokio::test]
async fn moving_back_puts_a_called_ticket_its_places_back() {
    let redis = TestRedis::start();
    let store = Store::open(&redis.url()).unwrap();
    let one = CounterId::parse("1").unwrap();
    let q = queue_of(&store, "late", 6).await;

    // the default: three people are called before it
    store.tickets().call_next(&q, &one, at()).await.unwrap();
    store
        .tickets()
        .act(&q, 1, TicketAction::MoveBack, None, None, at())
        .await
        .unwrap();
    let after = everything(&store, &q).await;
    assert_eq!(after.snapshot.waiting, [2, 3, 4, 1, 5, 6]);
    assert_eq!(after.tickets[&1].state, TicketState::Waiting);
    assert!(after.snapshot.serving.is_empty(), "the counter is free");

    // the console's setting: 0 is the front, more than the line is its end
    let late = |places| waitingroom::LateArrivals {
        move_back_places: places,
        no_show_after_minutes: 0,
    };
    store
        .queues()
        .set_late_arrivals(&q, late(0), at())
        .await
        .unwrap();
    assert_eq!(store.queues().late_arrivals(&q).await.unwrap(), late(0));
    store.tickets().call_next(&q, &one, at()).await.unwrap();
    store
        .tickets()
        .act(&q, 2, TicketAction::MoveBack, None, None, at())
        .await
        .unwrap();
    assert_eq!(
        everything(&store, &q).await.snapshot.waiting,
        [2, 3, 4, 1, 5, 6]
    );
    store
        .queues()
        .set_late_arrivals(&q, late(20), at())
        .await
        .unwrap();
    store.tickets().call_next(&q, &one, at()).await.unwrap();
    store
        .tickets()
        .act(&q, 2, TicketAction::MoveBack, None, None, at())
        .await
        .unwrap();
    let fresh = everything(&store, &q).await;
    assert_eq!(fresh.snapshot.waiting, [3, 4, 1, 5, 6, 2]);

    // (the reducer's test runs move_back among every action: the events agree with Redis)
}

#[tokio::test]
async fn a_called_ticket_becomes_a_no_show_by_itself_only_when_the_console_says_so() {
    use jiff::SignedDuration;
    let redis = TestRedis::start();
    let clock = waitingroom::calendar::Clock::shifted();
    let mut config = crate::common::config(&redis.url());
    config.room.calendar = config.room.calendar.clone().with_clock(clock.clone());
    let room = server::AppState::new(&config, "127.0.0.1:0".parse().unwrap())
        .unwrap()
        .room;
    let store = crate::common::store(&redis);
    let q = QueueId::default_queue();
    for b in 1..=3u8 {
        let token = TicketToken::from_bytes([0xa0, b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        store
            .tickets()
            .issue(
                &q,
                NewTicket::new(Channel::Kiosk, &token, Lang::Ja),
                "",
                store_now(&store),
            )
            .await
            .unwrap();
    }
    let one = CounterId::parse("1").unwrap();
    store
        .tickets()
        .call_next(&q, &one, store_now(&store))
        .await
        .unwrap();

    // off by default: an hour later it is still called
    clock.advance(SignedDuration::from_mins(60));
    assert_eq!(room.desk().auto_no_shows().await.unwrap(), 0);
    assert_eq!(
        store
            .tickets()
            .ticket(&q, 1)
            .await
            .unwrap()
            .unwrap()
            .state(),
        TicketState::Called
    );

    // out of range is refused, changing nothing
    let bad = waitingroom::LateArrivals {
        move_back_places: 3,
        no_show_after_minutes: 121,
    };
    let refused = room.desk().set_late_arrivals(&q, bad).await;
    assert!(
        matches!(
            refused,
            Err(waitingroom::services::ServiceError::Refused(
                Problem::BadSetting { .. }
            ))
        ),
        "{refused:?}"
    );
    assert_eq!(
        store.queues().late_arrivals(&q).await.unwrap(),
        Default::default()
    );

    // five minutes: ticket 2 called now is not due yet; ticket 1 (called an hour ago) is
    let five = waitingroom::LateArrivals {
        move_back_places: 3,
        no_show_after_minutes: 5,
    };
    room.desk().set_late_arrivals(&q, five).await.unwrap();
    let two = CounterId::parse("2").unwrap();
    room.desk().call_next(&q, &two).await.unwrap();
    assert_eq!(room.desk().auto_no_shows().await.unwrap(), 1);
    assert_eq!(
        store
            .tickets()
            .ticket(&q, 1)
            .await
            .unwrap()
            .unwrap()
            .state(),
        TicketState::NoShow
    );
    assert_eq!(
        store
            .tickets()
            .ticket(&q, 2)
            .await
            .unwrap()
            .unwrap()
            .state(),
        TicketState::Called
    );
    assert_eq!(room.desk().auto_no_shows().await.unwrap(), 0, "once");
    clock.advance(SignedDuration::from_mins(4));
    assert_eq!(
        room.desk().auto_no_shows().await.unwrap(),
        0,
        "four minutes is not five"
    );
    clock.advance(SignedDuration::from_mins(1));
    assert_eq!(room.desk().auto_no_shows().await.unwrap(), 1);
    assert_eq!(
        store
            .tickets()
            .ticket(&q, 2)
            .await
            .unwrap()
            .unwrap()
            .state(),
        TicketState::NoShow
    );
    assert_eq!(
        store.queues().snapshot(&q).await.unwrap().waiting,
        [3],
        "the line is untouched"
    );
}

fn store_now(_store: &Store) -> Moment {
    crate::common::test_calendar().now()
}
