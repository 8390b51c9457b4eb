//! The history's server side: a day's report from its figures and the range of dates a request
//! asks for (with `jiff`, kept out of the browser's bundles); the figures themselves are the
//! domain's (`domain::history`).

pub use domain::history::*;

/// The report of `date` from its figures (`live`: today, still going).
pub fn day_report(date: jiff::civil::Date, live: bool, figures: DayFigures) -> DayReport {
    DayReport {
        date: date.to_string(),
        weekday: date.weekday().to_monday_one_offset() as u8,
        live,
        total: HourReport::of(None, &figures.total()),
        hours: figures
            .hours
            .iter()
            .filter(|(_, f)| !f.is_empty())
            .map(|(h, f)| HourReport::of(Some(*h), f))
            .collect(),
        figures,
    }
}

/// A range of dates asked for, checked: `from` ≤ `to`, both `YYYY-MM-DD`, at most `max_days`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateRange {
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
}

/// Why a range is refused (each a 400 with its own message).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadRange {
    #[error("{0} must be a date written YYYY-MM-DD")]
    NotADate(&'static str),
    #[error("from must not be after to")]
    Reversed,
    #[error("a range covers at most {0} days")]
    TooLong(u32),
}

impl DateRange {
    pub fn parse(from: Option<&str>, to: Option<&str>, max_days: u32) -> Result<Self, BadRange> {
        let date = |raw: Option<&str>, name: &'static str| {
            raw.filter(|r| r.len() == 10 && r.as_bytes()[4] == b'-' && r.as_bytes()[7] == b'-')
                .and_then(|r| r.parse::<jiff::civil::Date>().ok())
                .ok_or(BadRange::NotADate(name))
        };
        let from = date(from, "from")?;
        let to = date(to, "to")?;
        if from > to {
            return Err(BadRange::Reversed);
        }
        let days = (to - from).get_days() + 1;
        if days > i32::try_from(max_days).unwrap_or(i32::MAX) {
            return Err(BadRange::TooLong(max_days));
        }
        Ok(Self { from, to })
    }

    /// Every date of the range, oldest first.
    pub fn dates(&self) -> Vec<jiff::civil::Date> {
        let mut dates = Vec::new();
        let mut d = self.from;
        while d <= self.to {
            dates.push(d);
            match d.tomorrow() {
                Ok(next) => d = next,
                Err(_) => break,
            }
        }
        dates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked_precisely() {
        let ok = DateRange::parse(Some("2026-11-01"), Some("2026-11-30"), 400).unwrap();
        assert_eq!(ok.dates().len(), 30);
        assert_eq!(
            DateRange::parse(Some("2026-11-1"), Some("2026-11-30"), 400),
            Err(BadRange::NotADate("from"))
        );
        assert_eq!(
            DateRange::parse(Some("2026-11-01"), None, 400),
            Err(BadRange::NotADate("to"))
        );
        assert_eq!(
            DateRange::parse(Some("2026-02-30"), Some("2026-03-01"), 400),
            Err(BadRange::NotADate("from"))
        );
        assert_eq!(
            DateRange::parse(Some("2026-12-01"), Some("2026-11-30"), 400),
            Err(BadRange::Reversed)
        );
        assert_eq!(
            DateRange::parse(Some("2025-01-01"), Some("2026-11-30"), 400),
            Err(BadRange::TooLong(400))
        );
    }
}
