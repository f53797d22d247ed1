//! Dates as pages show them, computed the same way on the server and in the browser so
//! that hydration matches: `21/11/2026 07:24 UTC`.

/// Day, month and year of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Unix seconds as `dd/mm/yyyy hh:mm UTC`.
pub fn utc_date_time(unix_secs: i64) -> String {
    let (year, month, day) = civil_from_days(unix_secs.div_euclid(86_400));
    let secs = unix_secs.rem_euclid(86_400);
    format!(
        "{day:02}/{month:02}/{year} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// Unix seconds as ISO 8601 in UTC, for files: `2026-11-21T07:24:00Z`.
pub fn iso_8601(unix_secs: i64) -> String {
    let (year, month, day) = civil_from_days(unix_secs.div_euclid(86_400));
    let secs = unix_secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 of a calendar date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The Unix seconds of midnight UTC starting a `yyyy-mm-dd` date, as date inputs give it.
pub fn parse_date(value: &str) -> Option<i64> {
    let mut parts = value.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then(|| days_from_civil(year, month, day) * 86_400)
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
        assert_eq!(parse_date("2026-13-01"), None);
    }
}
