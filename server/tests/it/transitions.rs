//! Every ticket state × every staff action, against real Redis: the state the action leads to
//! (as `TicketAction::outcome` says), or a refusal that changed nothing.

use crate::common::TestRedis;
use waitingroom::store::{Moment, NewTicket, Refusal, Store, StoreError};
use waitingroom::{
    Channel, CounterId, Lang, QueueDay, QueueId, TicketAction, TicketState, TicketToken,
};

/// One moment of a fixed day (2027-01-15 in Tokyo), for every change.
fn at() -> Moment {
    waitingroom::services::calendar::Calendar::tokyo()
        .moment_at(jiff::Timestamp::from_millisecond(1_800_000_000_000).unwrap())
}

/// A queue of its own whose ticket 1 is in `state` (ticket 2 waits behind it).
async fn queue_with_ticket_in(store: &Store, case: usize, state: TicketState) -> QueueId {
    let q = QueueId::parse(&format!("case-{case}")).unwrap();
    for b in 1..=2u8 {
        let token =
            TicketToken::from_bytes([case as u8, b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        store
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
    let act = |action| store.act(&q, 1, action, None, None, at());
    match state {
        TicketState::Waiting => {}
        TicketState::Called => {
            store.call_next(&q, &one, at()).await.unwrap();
        }
        TicketState::Done | TicketState::NoShow => {
            store.call_next(&q, &one, at()).await.unwrap();
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
    let ticket = store.ticket(&q, 1).await.unwrap().unwrap();
    assert_eq!(ticket.state(), state, "set-up of case {case}");
    q
}

async fn everything(store: &Store, q: &QueueId) -> QueueDay {
    store.day(q).await.unwrap()
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
            let rev = store.ticket(&q, 1).await.unwrap().unwrap().summary.rev;
            let before = everything(&store, &q).await;

            // a tablet that saw an older revision is refused, whatever the action
            let stale = store
                .act(&q, 1, action, Some(&two), Some(rev - 1), at())
                .await;
            assert!(
                matches!(stale, Err(StoreError::Refused(Refusal::Conflict(s))) if s == state),
                "{state:?} × {action:?} with a stale revision: {stale:?}"
            );
            assert_eq!(
                everything(&store, &q).await,
                before,
                "{state:?} × {action:?}: stale changed something"
            );

            let result = store.act(&q, 1, action, Some(&two), Some(rev), at()).await;
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
                        matches!(result, Err(StoreError::Refused(Refusal::Conflict(s))) if s == state),
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
    assert_eq!(case, 30);
}

#[tokio::test]
async fn unknown_tickets_and_calls_without_a_counter_are_refused() {
    let redis = TestRedis::start();
    let store = Store::open(&redis.url()).unwrap();
    let q = queue_with_ticket_in(&store, 99, TicketState::Waiting).await;
    let before = everything(&store, &q).await;
    let missing = store
        .act(&q, 7, TicketAction::Cancel, None, None, at())
        .await;
    assert!(
        matches!(missing, Err(StoreError::Refused(Refusal::NotFound))),
        "{missing:?}"
    );
    let no_counter = store.act(&q, 1, TicketAction::Call, None, None, at()).await;
    assert!(matches!(
        no_counter,
        Err(StoreError::Refused(Refusal::Conflict(TicketState::Waiting)))
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
    let day = store.today(&q).await.unwrap();
    let keys = waitingroom::store::QueueKeys::of(&q).day_keys(&day);
    let _: () = conn.hdel(keys.tickets(), 1).await.unwrap();
    let one = CounterId::parse("1").unwrap();
    let result = store.call_next(&q, &one, at()).await;
    assert!(matches!(result, Err(StoreError::Corrupt(_))), "{result:?}");
    assert_eq!(
        store.snapshot(&q).await.unwrap().waiting,
        [1, 2],
        "the number stays in line"
    );
}
