//! Cron schedules and their slots, parsed exactly as tokio-cron-scheduler
//! parses them (six fields, seconds first, UTC), so a tick and the slot it
//! claims always agree.

use chrono::{DateTime, SubsecRound, Utc};
use croner::parser::{CronParser, Seconds};
use croner::Cron;

/// A job's schedule: a cron expression with seconds, in UTC.
#[derive(Debug, Clone)]
pub struct Schedule {
    expression: String,
    cron: Cron,
}

impl Schedule {
    /// Parses `expression` (`sec min hour day-of-month month day-of-week`).
    pub fn parse(expression: &str) -> Result<Self, String> {
        let cron = parser()
            .parse(expression)
            .map_err(|err| format!("invalid cron expression {expression:?}: {err}"))?;
        let schedule = Self {
            expression: expression.trim().to_owned(),
            cron,
        };
        // an expression that never fires (30 February) is refused at start
        schedule
            .next_after(Utc::now())
            .ok_or_else(|| format!("cron expression {expression:?} never fires"))?;
        Ok(schedule)
    }

    /// The expression as configured.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The latest slot at or before `now`.
    pub fn latest_at_or_before(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // slots are whole seconds; croner answers the instant itself when its
        // second matches, fraction and all
        self.cron
            .find_previous_occurrence(&now.trunc_subsecs(0), true)
            .ok()
    }

    /// The first slot strictly after `at`.
    pub fn next_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&at.trunc_subsecs(0), false)
            .ok()
    }
}

fn parser() -> CronParser {
    CronParser::builder()
        .seconds(Seconds::Required)
        .dom_and_dow(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, h, m, s).unwrap()
    }

    #[test]
    fn slots_round_down_and_step_forward() {
        let every_five_minutes = Schedule::parse("0 */5 * * * *").unwrap();
        assert_eq!(
            every_five_minutes.latest_at_or_before(at(10, 7, 30)),
            Some(at(10, 5, 0))
        );
        assert_eq!(
            every_five_minutes.latest_at_or_before(at(10, 5, 0)),
            Some(at(10, 5, 0))
        );
        assert_eq!(
            every_five_minutes.next_after(at(10, 5, 0)),
            Some(at(10, 10, 0))
        );
        let every_second = Schedule::parse("* * * * * *").unwrap();
        assert_eq!(every_second.next_after(at(10, 0, 0)), Some(at(10, 0, 1)));
        let fraction = at(10, 0, 0) + chrono::Duration::milliseconds(415);
        assert_eq!(
            every_second.latest_at_or_before(fraction),
            Some(at(10, 0, 0))
        );
        assert_eq!(every_second.next_after(fraction), Some(at(10, 0, 1)));
    }

    #[test]
    fn bad_expressions_are_refused_with_the_expression() {
        let five_fields = Schedule::parse("*/5 * * * *").unwrap_err();
        assert!(five_fields.contains("*/5 * * * *"), "{five_fields}");
        assert!(Schedule::parse("0 0 0 31 2 *").is_err());
        assert!(Schedule::parse("not cron").is_err());
    }
}
