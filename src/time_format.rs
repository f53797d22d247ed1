//! Dates as pages show them, in the pharmacy's time zone, computed the same way on the
//! server and in the browser so that hydration matches: `21/11/2026 08:24`.
//!
//! Only the zones a pharmacy can choose are built in (`CHRONO_TZ_TIMEZONE_FILTER` in
//! `.cargo/config.toml`), which keeps the time zone data small in the browser's module.

use chrono::{DateTime, Datelike as _, NaiveDate, TimeZone, Timelike as _, Utc};
pub use chrono_tz::Tz;

/// Where a new pharmacy is, until its admin says otherwise.
pub const DEFAULT_ZONE: Tz = Tz::Europe__Paris;

/// The zones a pharmacy can choose: metropolitan France and Monaco, then the overseas
/// departments and territories.
pub const PHARMACY_ZONES: [Tz; 15] = [
    Tz::Europe__Paris,
    Tz::Europe__Monaco,
    Tz::America__Guadeloupe,
    Tz::America__Martinique,
    Tz::America__Cayenne,
    Tz::America__St_Barthelemy,
    Tz::America__Marigot,
    Tz::America__Miquelon,
    Tz::Indian__Reunion,
    Tz::Indian__Mayotte,
    Tz::Pacific__Noumea,
    Tz::Pacific__Tahiti,
    Tz::Pacific__Marquesas,
    Tz::Pacific__Gambier,
    Tz::Pacific__Wallis,
];

/// A zone a pharmacy may choose, by its IANA name.
pub fn pharmacy_zone(name: &str) -> Option<Tz> {
    PHARMACY_ZONES.into_iter().find(|zone| zone.name() == name)
}

/// The moment of `unix_secs` in UTC; out of range, the epoch.
fn utc(unix_secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix_secs, 0).unwrap_or_default()
}

/// Unix seconds as `dd/mm/yyyy hh:mm` in `zone`.
pub fn date_time(unix_secs: i64, zone: Tz) -> String {
    let at = utc(unix_secs).with_timezone(&zone);
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}",
        at.day(),
        at.month(),
        at.year(),
        at.hour(),
        at.minute()
    )
}

/// As `date_time`, followed by the zone's name, for what is read away from the screen
/// (a printed sheet): `21/11/2026 08:24 (Europe/Paris)`.
pub fn date_time_with_zone(unix_secs: i64, zone: Tz) -> String {
    format!("{} ({})", date_time(unix_secs, zone), zone.name())
}

/// Unix seconds as ISO 8601 in UTC, for files: `2026-11-21T07:24:00Z`.
pub fn iso_8601(unix_secs: i64) -> String {
    let at = utc(unix_secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// A `yyyy-mm-dd` day in `zone`, as date inputs give it: the Unix seconds of its start
/// and of the next day's (a day of 23 or 25 hours when the clocks change). A day the
/// calendar does not have (2026-02-31) is none.
pub fn day(value: &str, zone: Tz) -> Option<(i64, i64)> {
    let date = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").ok()?;
    let start = |date: NaiveDate| {
        let midnight = zone.from_local_datetime(&date.and_hms_opt(0, 0, 0)?).earliest()?;
        Some(midnight.timestamp())
    };
    Some((start(date)?, start(date.succ_opt()?)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARIS: Tz = Tz::Europe__Paris;

    #[test]
    fn times_read_in_the_pharmacy_zone_across_daylight_saving() {
        assert_eq!(date_time(0, Tz::UTC), "01/01/1970 00:00");
        assert_eq!(date_time(1_795_245_840, Tz::UTC), "21/11/2026 07:24");
        assert_eq!(date_time(1_795_245_840, PARIS), "21/11/2026 08:24", "winter: UTC+1");
        assert_eq!(date_time(1_782_028_800, PARIS), "21/06/2026 10:00", "summer: UTC+2");
        assert_eq!(date_time(1_795_245_840, Tz::Indian__Reunion), "21/11/2026 11:24");
        assert_eq!(date_time(1_795_245_840, Tz::America__Martinique), "21/11/2026 03:24");
        assert_eq!(
            date_time_with_zone(1_795_245_840, PARIS),
            "21/11/2026 08:24 (Europe/Paris)"
        );
        assert_eq!(iso_8601(1_795_245_845), "2026-11-21T07:24:05Z");
    }

    #[test]
    fn date_inputs_read_as_days_in_the_zone() {
        assert_eq!(day("1970-01-01", Tz::UTC), Some((0, 86_400)));
        assert_eq!(day("2026-11-21", PARIS), Some((1_795_215_600, 1_795_302_000)));
        let (start, _) = day("2026-11-21", PARIS).expect("a day");
        assert_eq!(date_time(start, PARIS), "21/11/2026 00:00");
        let (start, end) = day("2026-03-29", PARIS).expect("the spring change");
        assert_eq!(end - start, 23 * 3600, "the clocks go forward");
        assert_eq!(day("", PARIS), None);
        assert_eq!(day("2026-02-31", PARIS), None, "no such day");
        assert_eq!(day("2026-13-01", PARIS), None, "no such month");
    }

    #[test]
    fn every_zone_offered_is_built_in_and_found_by_name() {
        for zone in PHARMACY_ZONES {
            assert_eq!(pharmacy_zone(zone.name()), Some(zone));
            assert_eq!(zone.name().parse::<Tz>(), Ok(zone));
        }
        assert_eq!(pharmacy_zone("Asia/Tokyo"), None, "not offered");
        assert_eq!(pharmacy_zone("UTC"), None, "not offered");
    }
}
