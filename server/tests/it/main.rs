//! Integration tests: the real app on port 0 against a throwaway `redis-server` of each test's
//! own. One test binary, so every helper in `common` is used somewhere (and builds once).

mod api_tokens;
mod attacks;
mod audit;
mod backup;
mod bad_input;
mod common;
mod console;
mod days;
mod estimate;
mod faults;
mod health;
mod history;
mod hours;
mod issuing;
mod kiosks;
mod limits;
mod line;
mod line_standin;
mod live;
mod live_bounds;
mod metrics;
mod phones;
mod reducer;
mod reminders;
mod roles;
mod round3;
mod slow_clients;
mod sms;
mod staff;
mod topologies;
mod transitions;
mod twilio;
mod twilio_standin;
mod voice;
mod webhooks;
