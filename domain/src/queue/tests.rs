#[test]
fn a_queue_is_read_with_its_prefix_and_names() {
    let q: super::QueueInfo = "shinsatsu:A:診察:Consultation:看诊:진찰".parse().unwrap();
    assert_eq!((q.id.as_str(), q.label(7).as_str()), ("shinsatsu", "A-007"));
    assert_eq!(q.name(crate::Lang::Ko), "진찰");
    let plain: super::QueueInfo = "kaikei".parse().unwrap();
    assert_eq!(
        (plain.label(7).as_str(), plain.name_en.as_str()),
        ("7", "kaikei")
    );
    for bad in ["a:TOOLONG", "a:A-1", "A", ""] {
        assert!(bad.parse::<super::QueueInfo>().is_err(), "{bad}");
    }
    let twice = super::QueueInfo::parse_list("a, b:B, a").unwrap_err();
    assert!(twice.contains("twice"), "{twice}");
    assert!(super::QueueInfo::parse_list(" , ").is_err());
}

use super::*;

fn q() -> QueueId {
    QueueId::default_queue()
}

fn counter(id: &str) -> CounterId {
    CounterId::parse(id).unwrap()
}

fn event(version: u64, change: Change) -> QueueEvent {
    QueueEvent {
        queue: q(),
        version,
        change,
        ticket: None,
    }
}

fn issued(version: u64, number: u64) -> QueueEvent {
    event(version, Change::Issued { number })
}

fn called(version: u64, number: u64, at: &str, recall: bool) -> QueueEvent {
    event(
        version,
        Change::Called {
            number,
            counter: counter(at),
            at: 1000 * version,
            recall,
        },
    )
}

#[test]
fn ids_accept_the_safe_alphabet_only() {
    assert_eq!(
        QueueId::parse("shinsatsu-2").unwrap().as_str(),
        "shinsatsu-2"
    );
    assert_eq!(QueueId::parse(""), Err(IdError::Empty));
    assert_eq!(QueueId::parse("a}b"), Err(IdError::BadCharacter('}')));
    assert_eq!(QueueId::parse("Kaikei"), Err(IdError::BadCharacter('K')));
    assert_eq!(QueueId::parse("診察"), Err(IdError::BadCharacter('診')));
    assert_eq!(QueueId::parse(&"a".repeat(33)), Err(IdError::TooLong(32)));
    assert!(QueueId::parse(&"a".repeat(32)).is_ok());
    assert!(CounterId::parse("2").is_ok());
    assert_eq!(CounterId::parse("123456789"), Err(IdError::TooLong(8)));
}

#[test]
fn ids_are_checked_when_deserialized() {
    assert!(serde_json::from_str::<QueueId>("\"ok_1\"").is_ok());
    assert!(serde_json::from_str::<QueueId>("\"{default}\"").is_err());
    assert!(serde_json::from_str::<CounterId>("\"a b\"").is_err());
}

#[test]
fn issues_join_the_end_of_the_line() {
    let mut s = QueueSnapshot::empty(q());
    assert_eq!(s.apply(&issued(1, 1)), Applied::Updated);
    assert_eq!(s.apply(&issued(2, 2)), Applied::Updated);
    assert_eq!(s.waiting, vec![1, 2]);
    assert_eq!((s.version, s.last_number), (2, 2));
    assert_eq!(s.people_ahead(2), Some(1));
    assert_eq!(s.people_ahead(3), None);
}

#[test]
fn a_call_moves_a_ticket_from_the_line_to_its_counter() {
    let mut s = QueueSnapshot::empty(q());
    s.apply(&issued(1, 1));
    s.apply(&issued(2, 2));
    s.apply(&issued(3, 3));
    s.apply(&called(4, 1, "2", false));
    s.apply(&called(5, 3, "1", false)); // out of order, to counter 1
    assert_eq!(s.waiting, vec![2]);
    let serving: Vec<(&str, u64)> = s
        .serving
        .iter()
        .map(|x| (x.counter.as_str(), x.number))
        .collect();
    assert_eq!(serving, [("1", 3), ("2", 1)], "in counter order");
    assert_eq!(s.recent_calls[0].number, 3);
    assert_eq!(s.counter_of(1).map(CounterId::as_str), Some("2"));

    // the next call to counter 2 replaces what it served
    s.apply(&called(6, 2, "2", false));
    assert_eq!(s.counter_of(1), None);
    assert_eq!(s.counter_of(2).map(CounterId::as_str), Some("2"));
}

#[test]
fn a_recall_is_history_and_keeps_the_counter() {
    let mut s = QueueSnapshot::empty(q());
    s.apply(&issued(1, 1));
    s.apply(&called(2, 1, "1", false));
    s.apply(&called(3, 1, "1", true));
    assert_eq!(s.serving.len(), 1);
    assert_eq!(s.recent_calls.len(), 2);
    assert!(s.recent_calls[0].recall);
}

#[test]
fn the_history_keeps_the_latest_calls_only() {
    let mut s = QueueSnapshot::empty(q());
    for v in 1..=10 {
        s.apply(&called(v, v, "1", false));
    }
    assert_eq!(s.recent_calls.len(), RECENT_CALLS);
    assert_eq!(s.recent_calls[0].number, 10);
}

#[test]
fn finished_tickets_leave_line_and_counter() {
    let mut s = QueueSnapshot::empty(q());
    s.apply(&issued(1, 1));
    s.apply(&issued(2, 2));
    s.apply(&called(3, 1, "1", false));
    let done = Change::Finished {
        number: 1,
        outcome: Outcome::Done,
        avg_service_ms: Some(60_000),
    };
    s.apply(&event(4, done));
    let cancelled = Change::Finished {
        number: 2,
        outcome: Outcome::Cancelled,
        avg_service_ms: Some(60_000),
    };
    s.apply(&event(5, cancelled));
    assert!(s.waiting.is_empty() && s.serving.is_empty());
    assert_eq!(s.avg_service_ms, Some(60_000));
    assert_eq!(s.recent_calls.len(), 1, "history stays");
}

#[test]
fn a_requeued_ticket_is_next_in_line() {
    let mut s = QueueSnapshot::empty(q());
    s.apply(&issued(1, 1));
    s.apply(&issued(2, 2));
    s.apply(&called(3, 1, "1", false));
    s.apply(&event(
        4,
        Change::Requeued {
            number: 1,
            place: 0,
        },
    ));
    assert_eq!(s.waiting, vec![1, 2]);
    assert!(s.serving.is_empty());
}

#[test]
fn opening_hours_are_both_times_in_order_or_none() {
    let h = |opens, closes, daily_limit| OpeningHours {
        opens,
        closes,
        daily_limit,
    };
    assert!(h(None, None, 0).is_valid());
    assert!(h(Some(540), Some(1080), 120).is_valid());
    assert!(!h(Some(540), None, 0).is_valid());
    assert!(!h(Some(1080), Some(540), 0).is_valid());
    assert!(!h(Some(540), Some(1441), 0).is_valid());
    assert!(!h(None, None, OpeningHours::MAX_LIMIT + 1).is_valid());
    assert_eq!(OpeningHours::parse_hhmm("09:30"), Some(570));
    assert_eq!(OpeningHours::parse_hhmm("24:00"), Some(1440));
    for bad in ["24:01", "9", "09:60", "-1:00", "ab:cd"] {
        assert_eq!(OpeningHours::parse_hhmm(bad), None, "{bad}");
    }
    assert_eq!(OpeningHours::hhmm(570), "09:30");
}

#[test]
fn a_ticket_moved_back_goes_its_places_back_or_to_the_end() {
    let mut s = QueueSnapshot::empty(q());
    for n in 1..=5 {
        s.apply(&issued(n, n));
    }
    s.apply(&called(6, 1, "1", false));
    s.apply(&event(
        7,
        Change::Requeued {
            number: 1,
            place: 3,
        },
    ));
    assert_eq!(s.waiting, vec![2, 3, 4, 1, 5]);
    s.apply(&called(8, 2, "1", false));
    s.apply(&event(
        9,
        Change::Requeued {
            number: 2,
            place: 99,
        },
    ));
    assert_eq!(s.waiting, vec![3, 4, 1, 5, 2], "a short line: at its end");
    // an event of an older server (no place) is the front, as before
    let old: QueueEvent = serde_json::from_value(serde_json::json!({
        "queue": "default", "version": 10, "change": "requeued", "number": 5
    }))
    .unwrap();
    s.apply(&old);
    assert_eq!(s.waiting, vec![5, 3, 4, 1, 2]);
}

#[test]
fn reset_empties_the_day_but_keeps_the_version() {
    let mut s = QueueSnapshot::empty(q());
    s.apply(&issued(1, 1));
    s.apply(&called(2, 1, "1", false));
    s.apply(&event(
        3,
        Change::Intake {
            intake: Intake::Paused,
        },
    ));
    s.apply(&event(4, Change::Reset));
    assert_eq!(s.version, 4);
    assert!(s.waiting.is_empty() && s.serving.is_empty() && s.recent_calls.is_empty());
    assert_eq!(s.last_number, 0);
    assert_eq!(s.intake, Intake::Paused, "a reset does not reopen intake");
}

#[test]
fn old_and_repeated_events_change_nothing() {
    let mut s = QueueSnapshot::empty(q());
    s.apply(&issued(1, 1));
    let before = s.clone();
    assert_eq!(s.apply(&issued(1, 1)), Applied::Stale);
    assert_eq!(s, before);
}

#[test]
fn a_gap_is_reported_and_not_papered_over() {
    let mut s = QueueSnapshot::empty(q());
    s.apply(&issued(1, 1));
    assert_eq!(s.apply(&issued(3, 3)), Applied::Gap);
    assert_eq!(s.version, 1);
    assert_eq!(s.waiting, vec![1]);
}

#[test]
fn events_of_other_queues_are_ignored() {
    let mut s = QueueSnapshot::empty(QueueId::parse("kaikei").unwrap());
    assert_eq!(s.apply(&issued(1, 1)), Applied::Stale);
    assert_eq!(s.version, 0);
}

#[test]
fn waits_are_estimated_from_service_times_and_counters() {
    assert_eq!(estimated_wait_ms(5, None, 2), None, "no data, no guess");
    assert_eq!(estimated_wait_ms(0, Some(300_000), 2), Some(0));
    assert_eq!(estimated_wait_ms(4, Some(300_000), 2), Some(600_000));
    assert_eq!(estimated_wait_ms(5, Some(300_000), 2), Some(900_000));
    assert_eq!(
        estimated_wait_ms(3, Some(60_000), 0),
        Some(180_000),
        "zero counters count as one"
    );
    assert_eq!(minutes_ceil(61_000), 2);
    assert_eq!(minutes_ceil(0), 0);
}

#[test]
fn names_and_labels() {
    let info = QueueInfo {
        id: QueueId::parse("kaikei").unwrap(),
        prefix: "B".into(),
        name_ja: "会計".into(),
        name_en: "Payment".into(),
        name_zh: None,
        name_ko: Some("계산".into()),
    };
    assert_eq!(info.label(7), "B-007");
    assert_eq!(info.name(crate::Lang::Ja), "会計");
    assert_eq!(info.name(crate::Lang::En), "Payment");
    assert_eq!(
        info.name(crate::Lang::Zh),
        "Payment",
        "English when not configured"
    );
    assert_eq!(info.name(crate::Lang::Ko), "계산");
    assert_eq!(QueueInfo::default_queue().name(crate::Lang::Zh), "取号");
}

#[test]
fn intake_is_parsed_strictly() {
    for intake in Intake::ALL {
        assert_eq!(Intake::parse(intake.as_str()), Ok(intake));
        assert_eq!(serde_json::to_value(intake).unwrap(), intake.as_str());
    }
    assert!(Intake::parse("closed").is_err());
    assert!(Intake::parse("").is_err());
    assert!(serde_json::from_str::<Intake>("\"closed\"").is_err());
}

#[test]
fn events_have_a_documented_wire_format() {
    // exactly what the store's Lua scripts publish
    let json = r#"{"queue":"default","version":8,"change":"called","number":43,"counter":"2","at":1700000000000,"recall":false}"#;
    let event: QueueEvent = serde_json::from_str(json).unwrap();
    assert_eq!(event.version, 8);
    assert!(matches!(
        event.change,
        Change::Called {
            number: 43,
            recall: false,
            ..
        }
    ));
    let finished = r#"{"queue":"default","version":9,"change":"finished","number":43,"outcome":"no_show","avg_service_ms":null}"#;
    assert!(serde_json::from_str::<QueueEvent>(finished).is_ok());

    let message = LiveMessage::Event {
        event: event.clone(),
    };
    let value = serde_json::to_value(&message).unwrap();
    assert_eq!(value["kind"], "event");
    assert_eq!(value["event"]["change"], "called");
    assert_eq!(
        serde_json::from_value::<LiveMessage>(value).unwrap(),
        message
    );

    let snapshot = LiveMessage::Snapshot {
        snapshot: QueueSnapshot::empty(q()),
    };
    let value = serde_json::to_value(&snapshot).unwrap();
    assert_eq!(value["kind"], "snapshot");
    assert_eq!(value["snapshot"]["intake"], "open");
    assert_eq!(
        serde_json::from_value::<LiveMessage>(value).unwrap(),
        snapshot
    );
}
