//! The replay benchmark of the wait estimate (`./scripts/bench.sh replay`, or the replay part of
//! the whole benchmark): simulated business days, pure computation (no Redis, no server). Each
//! scenario runs 8 weeks of 6 days (Monday–Saturday): Poisson arrivals with a morning rush and a
//! lunch lull, service times per counter (exponential around each counter's mean), the counters'
//! shifts (two counters, then one for part of the day). Every ticket's estimate at issue time is
//! compared with the wait that happened (issue to call), for today's estimator
//! ([`waitingroom::estimated_wait_ms`]: the last 20 service times over the configured counters)
//! and the learning one ([`waitingroom::estimate::wait_ms`]: the history of the weekday's hour
//! over the counters calling now), the history being each earlier day's figures per hour as the
//! server keeps them. Prints the mean absolute error in minutes per scenario.
//!
//! `REPLAY_SEED` (default 20) changes the random draws.

use std::collections::{BTreeMap, VecDeque};
use waitingroom::estimate::{active_counters, learned_service_ms, wait_ms, WaitBasis, LEARN_WEEKS};
use waitingroom::history::HourFigures;
use waitingroom::queue::RECENT_CALLS;
use waitingroom::{estimated_wait_ms, Call, CounterId, Serving};

const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;
const OPENS: u64 = 9;
const WEEKS: u32 = 8;
const DAYS_A_WEEK: u8 = 6;
/// As the issue script keeps them: the last 20 service times, averaged once there are 3.
const SERVICE_SAMPLES: usize = 20;
const MIN_SAMPLES: usize = 3;

/// A small deterministic generator (SplitMix64): the same seed, the same days.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }
    /// Exponential with this mean.
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * self.unit().ln()
    }
}

struct CounterPlan {
    id: &'static str,
    /// Mean service time (minutes) before the hour's factor.
    mean_min: f64,
    /// Local hours [from, to) it calls in.
    shifts: &'static [(u64, u64)],
}

struct Scenario {
    name: &'static str,
    /// Arrivals per hour, 9:00 to 18:00 (before the weekday's factor).
    arrivals: [f64; 9],
    /// Service time factor per hour (9:00 to 18:00 and after).
    slower: fn(u64) -> f64,
    counters: &'static [CounterPlan],
}

/// Arrivals per hour: the morning rush (9–11), the lunch lull (12–14), the afternoon.
const RUSH_AND_LULL: [f64; 9] = [21.0, 23.0, 15.0, 7.0, 5.0, 10.0, 11.0, 10.0, 7.0];
/// Monday and Saturday are busier.
const WEEKDAY: [f64; 6] = [1.2, 1.0, 0.9, 1.0, 0.95, 1.25];

fn same(_: u64) -> f64 {
    1.0
}
fn slower_afternoons(hour: u64) -> f64 {
    if hour >= 14 {
        1.5
    } else {
        1.0
    }
}

const SCENARIOS: [Scenario; 4] = [
    Scenario {
        name: "two counters all day",
        arrivals: RUSH_AND_LULL,
        slower: same,
        counters: &[
            CounterPlan {
                id: "1",
                mean_min: 5.0,
                shifts: &[(9, 24)],
            },
            CounterPlan {
                id: "2",
                mean_min: 6.0,
                shifts: &[(9, 24)],
            },
        ],
    },
    Scenario {
        name: "two counters, then one from 13:00",
        arrivals: RUSH_AND_LULL,
        slower: same,
        counters: &[
            CounterPlan {
                id: "1",
                mean_min: 5.0,
                shifts: &[(9, 24)],
            },
            CounterPlan {
                id: "2",
                mean_min: 6.0,
                shifts: &[(9, 13)],
            },
        ],
    },
    Scenario {
        name: "one counter at lunch (12-14), afternoons 1.5x slower",
        arrivals: RUSH_AND_LULL,
        slower: slower_afternoons,
        counters: &[
            CounterPlan {
                id: "1",
                mean_min: 4.0,
                shifts: &[(9, 24)],
            },
            CounterPlan {
                id: "2",
                mean_min: 5.0,
                shifts: &[(9, 12), (14, 24)],
            },
        ],
    },
    Scenario {
        name: "three configured, two staffed (one counter 9-11 only)",
        arrivals: RUSH_AND_LULL,
        slower: same,
        counters: &[
            CounterPlan {
                id: "1",
                mean_min: 5.0,
                shifts: &[(9, 24)],
            },
            CounterPlan {
                id: "2",
                mean_min: 5.0,
                shifts: &[(9, 24)],
            },
            CounterPlan {
                id: "3",
                mean_min: 5.0,
                shifts: &[(9, 11)],
            },
        ],
    },
];

/// One ticket's estimates and what happened (ms).
struct Outcome {
    today: Option<u64>,
    learning: Option<u64>,
    waited: u64,
}

/// The history: (weekday, local hour) → the figures of each earlier day, oldest first.
type History = BTreeMap<(u8, u64), Vec<HourFigures>>;

/// One business day, minutes from midnight in ms; answers its tickets' outcomes and its figures
/// per hour (what the server keeps in the history).
fn day(
    s: &Scenario,
    weekday: u8,
    history: &History,
    rng: &mut Rng,
) -> (Vec<Outcome>, BTreeMap<u64, HourFigures>) {
    let configured = s.counters.len();
    // Poisson arrivals, hour by hour
    let mut arrivals = Vec::new();
    for (i, rate) in s.arrivals.iter().enumerate() {
        let rate = rate * WEEKDAY[usize::from(weekday)];
        let start = (OPENS + i as u64) * HOUR;
        let mut t = start as f64;
        loop {
            t += rng.exp(HOUR as f64 / rate);
            if t >= (start + HOUR) as f64 {
                break;
            }
            arrivals.push(t as u64);
        }
    }
    let on_shift =
        |c: &CounterPlan, t: u64| c.shifts.iter().any(|(a, b)| t >= a * HOUR && t < b * HOUR);
    let shift_starts: Vec<u64> = s
        .counters
        .iter()
        .flat_map(|c| c.shifts.iter().map(|(a, _)| a * HOUR))
        .collect();
    let ids: Vec<CounterId> = s
        .counters
        .iter()
        .map(|c| CounterId::parse(c.id).unwrap())
        .collect();
    // per counter: (ticket, called at, finishes at)
    let mut busy: Vec<Option<(usize, u64, u64)>> = vec![None; configured];
    let mut waiting: VecDeque<usize> = VecDeque::new();
    let mut recent: VecDeque<Call> = VecDeque::new();
    let mut samples: VecDeque<u64> = VecDeque::new();
    let mut avg: Option<u64> = None;
    let mut issued: Vec<(u64, Option<u64>, Option<u64>)> = Vec::new();
    let mut called: Vec<Option<u64>> = Vec::new();
    let mut figures: BTreeMap<u64, HourFigures> = BTreeMap::new();
    let mut next = 0;
    let mut t = 0;
    loop {
        let arrival = arrivals.get(next).copied().unwrap_or(u64::MAX);
        let finish = busy.iter().flatten().map(|b| b.2).min().unwrap_or(u64::MAX);
        let shift = shift_starts
            .iter()
            .copied()
            .filter(|&a| a > t)
            .min()
            .unwrap_or(u64::MAX);
        let at = arrival.min(finish);
        let at = if waiting.is_empty() {
            at
        } else {
            at.min(shift)
        };
        if at == u64::MAX {
            break;
        }
        t = at;
        // finishes first: their service times count
        for (c, slot) in busy.iter_mut().enumerate() {
            if let Some((_, from, until)) = *slot {
                if until == t {
                    *slot = None;
                    let spent = until - from;
                    samples.push_front(spent);
                    samples.truncate(SERVICE_SAMPLES);
                    if samples.len() >= MIN_SAMPLES {
                        avg = Some(samples.iter().sum::<u64>() / samples.len() as u64);
                    }
                    let f = figures.entry(t / HOUR).or_default();
                    let s = f.service.entry(ids[c].clone()).or_default();
                    s.served += 1;
                    s.total_ms += spent;
                }
            }
        }
        if arrival == t {
            next += 1;
            let ahead = waiting.len();
            let hour = t / HOUR;
            let weeks = history
                .get(&(weekday, hour))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let from = weeks.len().saturating_sub(LEARN_WEEKS as usize);
            let learned = learned_service_ms(&weeks[from..]);
            let calls: Vec<Call> = recent.iter().cloned().collect();
            let serving: Vec<Serving> = busy
                .iter()
                .zip(&ids)
                .filter(|(b, _)| b.is_some())
                .map(|(b, id)| Serving {
                    counter: id.clone(),
                    number: b.map_or(0, |b| b.0 as u64 + 1),
                })
                .collect();
            let basis = WaitBasis {
                learned_service_ms: learned,
                active_counters: active_counters(&calls, &serving, t, learned),
            };
            issued.push((
                t,
                estimated_wait_ms(ahead, avg, configured),
                wait_ms(ahead, avg, configured, &basis),
            ));
            called.push(None);
            waiting.push_back(issued.len() - 1);
        }
        // every free counter on its shift calls the next
        for (c, plan) in s.counters.iter().enumerate() {
            if busy[c].is_some() || !on_shift(plan, t) {
                continue;
            }
            let Some(ticket) = waiting.pop_front() else {
                break;
            };
            called[ticket] = Some(t);
            let mean = plan.mean_min * (s.slower)(t / HOUR) * MINUTE as f64;
            let spent = (rng.exp(mean) as u64).max(30_000);
            busy[c] = Some((ticket, t, t + spent));
            recent.push_front(Call {
                number: ticket as u64 + 1,
                counter: ids[c].clone(),
                at: t,
                recall: false,
            });
            recent.truncate(RECENT_CALLS);
        }
    }
    let outcomes = issued
        .iter()
        .zip(called)
        .filter_map(|((at, today, learning), called)| {
            Some(Outcome {
                today: *today,
                learning: *learning,
                waited: called? - at,
            })
        })
        .collect();
    (outcomes, figures)
}

#[derive(Default)]
struct Tally {
    tickets: u64,
    both: u64,
    today_err: f64,
    learning_err: f64,
    today_shown: u64,
    learning_shown: u64,
    learning_alone_err: f64,
}

impl Tally {
    fn add(&mut self, o: &Outcome) {
        self.tickets += 1;
        let err = |e: u64| (e as f64 - o.waited as f64).abs() / MINUTE as f64;
        if let Some(e) = o.today {
            self.today_shown += 1;
            if let Some(l) = o.learning {
                self.both += 1;
                self.today_err += err(e);
                self.learning_err += err(l);
            }
        }
        if let Some(l) = o.learning {
            self.learning_shown += 1;
            self.learning_alone_err += err(l);
        }
    }
}

fn main() {
    let seed = std::env::var("REPLAY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20u64);
    println!(
        "replay of the wait estimate: {WEEKS} weeks x {DAYS_A_WEEK} days per scenario, seed {seed}; \
         mean absolute error (minutes) of the estimate at issue against the wait that happened"
    );
    println!(
        "{:<55} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "scenario (weeks 2-8: history exists)",
        "tickets",
        "today",
        "learning",
        "1st week",
        "shown",
        "shown"
    );
    println!(
        "{:<55} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "", "", "MAE", "MAE", "both MAE", "today", "learning"
    );
    for s in &SCENARIOS {
        let mut rng = Rng(seed);
        let mut history = History::new();
        let mut first = Tally::default();
        let mut later = Tally::default();
        for week in 0..WEEKS {
            for weekday in 0..DAYS_A_WEEK {
                let (outcomes, figures) = day(s, weekday, &history, &mut rng);
                for o in &outcomes {
                    if week == 0 {
                        first.add(o);
                    } else {
                        later.add(o);
                    }
                }
                for (hour, f) in figures {
                    history.entry((weekday, hour)).or_default().push(f);
                }
            }
        }
        let mae = |err: f64, n: u64| err / n.max(1) as f64;
        let pct = |n: u64, of: u64| 100.0 * n as f64 / of.max(1) as f64;
        assert_eq!(
            first.today_err, first.learning_err,
            "without history the two estimators must agree"
        );
        println!(
            "{:<55} {:>8} {:>9.1} {:>9.1} {:>9.1} {:>8.0}% {:>8.0}%",
            s.name,
            later.tickets,
            mae(later.today_err, later.both),
            mae(later.learning_err, later.both),
            mae(first.today_err, first.both),
            pct(later.today_shown, later.tickets),
            pct(later.learning_shown, later.tickets),
        );
        println!(
            "{:<55} {:>8} {:>9} {:>9.1}   (learning, every ticket it shows an estimate for)",
            "",
            "",
            "",
            mae(later.learning_alone_err, later.learning_shown),
        );
    }
}
