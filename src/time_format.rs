//! Dates as pages show them, computed the same way on the server and in the browser so
//! that hydration matches: `21/11/2026 07:24 UTC`.

use time::macros::format_description;
use time::{Date, OffsetDateTime};

fn moment(unix_secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix_secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Unix seconds as `dd/mm/yyyy hh:mm UTC`.
pub fn utc_date_time(unix_secs: i64) -> String {
    let shown = format_description!("[day]/[month]/[year] [hour]:[minute] UTC");
    moment(unix_secs).format(shown).unwrap_or_default()
}

/// Unix seconds as ISO 8601 in UTC, for files: `2026-11-21T07:24:00Z`.
pub fn iso_8601(unix_secs: i64) -> String {
    let iso = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    moment(unix_secs).format(iso).unwrap_or_default()
}

/// The Unix seconds of midnight UTC starting a `yyyy-mm-dd` date, as date inputs give
/// it; a day the calendar does not have (2026-02-31) is none.
pub fn parse_date(value: &str) -> Option<i64> {
    let date = Date::parse(value.trim(), format_description!("[year]-[month]-[day]")).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(utc_date_time(0), "01/01/1970 00:00 UTC");
        assert_eq!(utc_date_time(951_782_400), "29/02/2000 00:00 UTC");
        assert_eq!(utc_date_time(1_795_245_840), "21/11/2026 07:24 UTC");
        assert_eq!(iso_8601(1_795_245_845), "2026-11-21T07:24:05Z");
    }

    #[test]
    fn date_inputs_read_as_midnight_utc() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-02-29"), Some(951_782_400));
        assert_eq!(
            parse_date("2026-11-21").map(utc_date_time).as_deref(),
            Some("21/11/2026 00:00 UTC")
        );
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("2026-02-31"), None, "no such day");
        assert_eq!(parse_date("2026-13-01"), None, "no such month");
    }
}
