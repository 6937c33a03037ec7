//! Time: an injectable clock, and review deadlines in business days (weekends and US
//! federal holidays on their observed dates skipped) in the reviewers' time zone.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// Where "now" comes from, so that tests can move time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock, at the microsecond precision that storage keeps, so that what a
/// call returns and what a later read returns are the same instant.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        from_micros(to_micros(Utc::now()))
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// Microseconds since the Unix epoch: the portable way timestamps are stored.
pub fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// The protobuf form of a time.
pub fn to_timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 }
}

/// Business days in one time zone.
#[derive(Debug, Clone, Copy)]
pub struct BusinessCalendar {
    tz: Tz,
}

impl Default for BusinessCalendar {
    fn default() -> Self {
        Self { tz: chrono_tz::America::New_York }
    }
}

impl BusinessCalendar {
    pub fn new(tz: Tz) -> Self {
        Self { tz }
    }

    /// The same local time of day `days` business days after `from`. A request made on a
    /// weekend or holiday counts from the next business day's same local time.
    pub fn add_business_days(&self, from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        let local = from.with_timezone(&self.tz);
        let time = local.time();
        let mut date = local.date_naive();
        let mut left = days;
        while left > 0 {
            date = date.succ_opt().unwrap_or(date);
            if self.is_business_day(date) {
                left -= 1;
            }
        }
        match self.tz.from_local_datetime(&date.and_time(time)) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
            // The time falls in a spring-forward gap: an hour later exists.
            LocalResult::None => self
                .tz
                .from_local_datetime(&(date.and_time(time) + Duration::hours(1)))
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(from + Duration::days(i64::from(days))),
        }
    }

    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_federal_holiday(date)
    }
}

/// Whether `date` is a US federal holiday as observed (5 U.S.C. 6103): a holiday on a
/// Saturday is observed the Friday before, on a Sunday the Monday after.
pub fn is_federal_holiday(date: NaiveDate) -> bool {
    // New Year's Day of the next year can be observed on 31 December.
    [date.year(), date.year() + 1].into_iter().flat_map(federal_holidays).any(|h| h == date)
}

fn federal_holidays(year: i32) -> Vec<NaiveDate> {
    let fixed = |m, d| observed(NaiveDate::from_ymd_opt(year, m, d));
    let nth = |m, wd, n| NaiveDate::from_weekday_of_month_opt(year, m, wd, n);
    let mut days = vec![
        fixed(1, 1),                         // New Year's Day
        nth(1, Weekday::Mon, 3),             // Birthday of Martin Luther King, Jr.
        nth(2, Weekday::Mon, 3),             // Washington's Birthday
        last_weekday(year, 5, Weekday::Mon), // Memorial Day
        fixed(7, 4),                         // Independence Day
        nth(9, Weekday::Mon, 1),             // Labor Day
        nth(10, Weekday::Mon, 2),            // Columbus Day
        fixed(11, 11),                       // Veterans Day
        nth(11, Weekday::Thu, 4),            // Thanksgiving Day
        fixed(12, 25),                       // Christmas Day
    ];
    if year >= 2021 {
        days.push(fixed(6, 19)); // Juneteenth National Independence Day
    }
    days.into_iter().flatten().collect()
}

fn observed(date: Option<NaiveDate>) -> Option<NaiveDate> {
    let d = date?;
    match d.weekday() {
        Weekday::Sat => d.pred_opt(),
        Weekday::Sun => d.succ_opt(),
        _ => Some(d),
    }
}

fn last_weekday(year: i32, month: u32, wd: Weekday) -> Option<NaiveDate> {
    (1..=5).rev().find_map(|n| NaiveDate::from_weekday_of_month_opt(year, month, wd, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ny(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        chrono_tz::America::New_York.with_ymd_and_hms(y, m, d, h, 0, 0).single().unwrap().with_timezone(&Utc)
    }

    fn due(from: DateTime<Utc>) -> DateTime<Utc> {
        BusinessCalendar::default().add_business_days(from, 2)
    }

    #[test]
    fn r4_friday_afternoon_is_due_tuesday_afternoon() {
        // Friday 2026-11-06 17:00 → Tuesday 2026-11-10 17:00 (Veterans Day is Wednesday).
        assert_eq!(due(ny(2026, 11, 6, 17)), ny(2026, 11, 10, 17));
    }

    #[test]
    fn r4_thanksgiving_week_skips_thursday_and_the_weekend() {
        // Wednesday before Thanksgiving → Friday is one, Monday is two.
        assert_eq!(due(ny(2026, 11, 25, 9)), ny(2026, 11, 30, 9));
        // Tuesday → Wednesday, then Thanksgiving is skipped → Friday.
        assert_eq!(due(ny(2026, 11, 24, 9)), ny(2026, 11, 27, 9));
    }

    #[test]
    fn r4_independence_day_on_saturday_is_observed_friday() {
        // 4 July 2026 is a Saturday: Friday 3 July is the holiday.
        assert!(is_federal_holiday(NaiveDate::from_ymd_opt(2026, 7, 3).unwrap()));
        assert!(!is_federal_holiday(NaiveDate::from_ymd_opt(2026, 7, 6).unwrap()));
        // Thursday 2 July → (Friday observed, weekend) → Monday 6, Tuesday 7.
        assert_eq!(due(ny(2026, 7, 2, 10)), ny(2026, 7, 7, 10));
    }

    #[test]
    fn r4_independence_day_on_sunday_is_observed_monday() {
        // 4 July 2027 is a Sunday: Monday 5 July is the holiday.
        assert!(is_federal_holiday(NaiveDate::from_ymd_opt(2027, 7, 5).unwrap()));
        // Friday 2 July → Tuesday 6, Wednesday 7.
        assert_eq!(due(ny(2027, 7, 2, 10)), ny(2027, 7, 7, 10));
    }

    #[test]
    fn new_years_day_on_saturday_is_observed_on_the_last_day_of_the_year_before() {
        // 1 January 2022 was a Saturday: observed Friday 31 December 2021.
        assert!(is_federal_holiday(NaiveDate::from_ymd_opt(2021, 12, 31).unwrap()));
    }

    #[test]
    fn weekend_submissions_count_from_monday() {
        assert_eq!(due(ny(2026, 11, 7, 11)), ny(2026, 11, 10, 11));
    }

    #[test]
    fn deadlines_keep_local_time_across_daylight_saving_changes() {
        // DST ends Sunday 1 November 2026: Friday 30 October 09:00 → Tuesday 3 November 09:00.
        assert_eq!(due(ny(2026, 10, 30, 9)), ny(2026, 11, 3, 9));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(ny(2026, 1, 5, 9));
        clock.advance(Duration::hours(3));
        assert_eq!(clock.now(), ny(2026, 1, 5, 12));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// R4: a due date is a business day where the calendar lives, and more business
        /// days are always later.
        #[test]
        fn business_days_land_on_business_days_and_only_grow(
            secs in 1_577_836_800i64..1_893_456_000,
            days in 1u32..15,
        ) {
            let cal = BusinessCalendar::default();
            let from = DateTime::from_timestamp(secs, 0).expect("in range");
            let due = cal.add_business_days(from, days);
            let local = due.with_timezone(&chrono_tz::America::New_York).date_naive();
            proptest::prop_assert!(cal.is_business_day(local), "{due} from {from} + {days}");
            proptest::prop_assert!(due > from);
            proptest::prop_assert!(cal.add_business_days(from, days + 1) > due);
        }
    }
}
