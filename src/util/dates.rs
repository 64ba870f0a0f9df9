//! Loading and publishing: every date a user writes (page and briefing dates, source dates, figure months), read and written with jiff.
//!
//! Nothing here parses a date by hand: jiff checks the calendar (no 31 February), the
//! clock (no 25:99) and the offset (no +99:99), so an impossible date is reported where
//! it is written, and what is published (Atom, sitemap, JSON-LD) is valid RFC 3339.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::fmt::temporal::{Pieces, PiecesOffset};
use jiff::tz::Offset;

/// What a page's or the briefing's `date:` says: a day, or a day and a time, with an
/// offset or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    day: Date,
    time: Option<Time>,
    offset: Option<Offset>,
}

/// How a date is written, for the help of every problem with one.
pub const DATE_HELP: &str = "write a date as `2026-11-27`, optionally with a time and its offset from UTC: `2026-11-27T09:30:00+01:00` (or `Z` for UTC)";

/// A page's or the briefing's date: `2026-11-27`, `2026-11-27T09:30`,
/// `2026-11-27 09:30:00+02:00`, `2026-11-27T09:30:00Z`; else what is wrong with it.
pub fn parse(text: &str) -> Result<When, String> {
    let pieces = Pieces::parse(text.trim()).map_err(|err| err.to_string())?;
    if pieces.time_zone_annotation().is_some() {
        return Err("a time zone name cannot be read here; give the offset".to_string());
    }
    let day = pieces.date();
    check_year(day.year())?;
    let offset = match pieces.offset() {
        None => None,
        Some(PiecesOffset::Zulu) => Some(Offset::UTC),
        Some(PiecesOffset::Numeric(numeric)) => Some(numeric.offset()),
        Some(_) => return Err("its offset from UTC cannot be read".to_string()),
    };
    if offset.is_some() && pieces.time().is_none() {
        return Err("an offset needs a time before it".to_string());
    }
    let when = When {
        day,
        time: pieces.time(),
        offset,
    };
    // The moment in UTC must be one RFC 3339 can write too (years 0000 to 9999).
    let civil = DateTime::from_parts(day, when.time.unwrap_or(Time::midnight()));
    let moment = offset
        .unwrap_or(Offset::UTC)
        .to_timestamp(civil)
        .map_err(|err| err.to_string())?;
    check_year(Offset::UTC.to_datetime(moment).year())?;
    Ok(when)
}

fn check_year(year: i16) -> Result<(), String> {
    if (1..=9999).contains(&year) {
        Ok(())
    } else {
        Err(format!("the year {year} is outside 1 to 9999"))
    }
}

impl When {
    /// The date as templates see it (`page.date`): the day alone, or the day and the time
    /// (with the offset when one was given), in ISO 8601.
    pub fn canonical(&self) -> String {
        match (self.time, self.offset) {
            (None, _) => self.day.to_string(),
            (Some(time), None) => DateTime::from_parts(self.day, time).to_string(),
            (Some(_), Some(_)) => self.rfc3339(),
        }
    }

    /// The moment it stands for: midnight when no time is given, UTC when no offset is.
    pub fn timestamp(&self) -> Timestamp {
        let civil = DateTime::from_parts(self.day, self.time.unwrap_or(Time::midnight()));
        let offset = self.offset.unwrap_or(Offset::UTC);
        // In range: `parse` made the same conversion.
        offset.to_timestamp(civil).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// RFC 3339, as Atom, sitemaps and JSON-LD want it: `2026-11-27T00:00:00Z` for a day,
    /// the given offset when there is one.
    pub fn rfc3339(&self) -> String {
        match self.offset {
            Some(offset) if offset != Offset::UTC => {
                self.timestamp().display_with_offset(offset).to_string()
            }
            _ => self.timestamp().to_string(),
        }
    }

    /// The day, as `YYYY-MM-DD`.
    pub fn day(&self) -> String {
        self.day.to_string()
    }

    /// "27 November 2026": the same month names as figures, so a briefing writes dates one way.
    pub fn long(&self) -> String {
        self.day.strftime("%-d %B %Y").to_string()
    }
}

/// A month a figure gives (`2029-05`, or a day in it: `2029-05-15`) as its year and
/// month; else what is wrong with it.
pub fn month(text: &str) -> Result<(i16, i8), String> {
    let text = text.trim();
    let shape = || "write it as YYYY-MM or YYYY-MM-DD".to_string();
    // jiff reads more shapes (a time, a longer year); a figure's month has these two only.
    let day = match text.len() {
        7 => format!("{text}-01"),
        10 => text.to_string(),
        _ => return Err(shape()),
    };
    if !day.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return Err(shape());
    }
    let day: Date = day.parse().map_err(|err: jiff::Error| err.to_string())?;
    check_year(day.year())?;
    Ok((day.year(), day.month()))
}

/// A source's `date:` or `as_of:`: a year (`2026`), a month (`2026-05`) or a day
/// (`2026-05-31`); else what is wrong with it.
pub fn source_date(text: &str) -> Result<(), String> {
    let trimmed = text.trim();
    if trimmed.len() == 4 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let year: i16 = trimmed.parse().map_err(|_| "not a year".to_string())?;
        return check_year(year);
    }
    month(trimmed).map(drop).map_err(|why| {
        if why.starts_with("write it as") {
            "write it as YYYY, YYYY-MM or YYYY-MM-DD".to_string()
        } else {
            why
        }
    })
}

/// A figure's date, which figures count in months since year 0, as the first day of its
/// month (None outside the years jiff knows).
pub fn month_start(months: i64) -> Option<Date> {
    let year = i16::try_from(months.div_euclid(12)).ok()?;
    let month = i8::try_from(months.rem_euclid(12) + 1).ok()?;
    Date::new(year, month, 1).ok()
}

/// A figure's date (months since year 0) written with a strftime `format`: "%B %Y" gives
/// "May 2029", "%b %Y" "May 2029" in short, "%Y-%m" "2029-05".
pub fn month_text(months: i64, format: &str) -> Option<String> {
    Some(month_start(months)?.strftime(format).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_moments_are_read_and_written_back() {
        let cases = [
            ("2026-11-27", "2026-11-27", "2026-11-27T00:00:00Z"),
            (
                "2026-11-27T09:30",
                "2026-11-27T09:30:00",
                "2026-11-27T09:30:00Z",
            ),
            (
                "2026-11-27 09:30:15+0200",
                "2026-11-27T09:30:15+02:00",
                "2026-11-27T09:30:15+02:00",
            ),
            (
                "2026-11-27T09:30:00-05:00",
                "2026-11-27T09:30:00-05:00",
                "2026-11-27T09:30:00-05:00",
            ),
            (
                "2026-11-27T09:30:00Z",
                "2026-11-27T09:30:00Z",
                "2026-11-27T09:30:00Z",
            ),
        ];
        for (text, canonical, rfc3339) in cases {
            let when = parse(text).unwrap();
            assert_eq!(when.canonical(), canonical, "{text}");
            assert_eq!(when.rfc3339(), rfc3339, "{text}");
            assert_eq!(parse(&when.canonical()).unwrap(), when, "{text}");
            rfc3339.parse::<Timestamp>().unwrap();
        }
        assert_eq!(parse("2026-11-07").unwrap().long(), "7 November 2026");
    }

    #[test]
    fn impossible_dates_times_and_offsets_are_refused() {
        for bad in [
            "2026-02-31",
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-03-01T25:99:00+99:99",
            "2026-03-01T24:00:00",
            "2026-03-01T10:60:00",
            "2026-03-01T10:00:00+99:99",
            "2026-11-27 noon",
            "27/11/2026",
            "2026-11-2é",
            "0000-01-01",
            "2026-11-27T09:30:00+01:00[Europe/Paris]",
            "2026-11-27Z",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(parse("2028-02-29").is_ok(), "a leap day");
    }

    #[test]
    fn months_and_source_dates() {
        assert_eq!(month("2029-05"), Ok((2029, 5)));
        assert_eq!(month(" 2026-06-15 "), Ok((2026, 6)));
        for bad in [
            "2029",
            "2029-13",
            "2029-00",
            "29-05",
            "2029-05-32",
            "2026-02-31",
            "May 2029",
            "2029-05-01-01",
            "2026-1",
        ] {
            assert!(month(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(source_date("2026").is_ok());
        assert!(source_date("2026-11").is_ok());
        assert!(source_date("2026-11-27").is_ok());
        assert!(source_date("2026-02-30").is_err());
        assert!(source_date("last June").is_err());
        let may_2029 = 2029 * 12 + 4;
        assert_eq!(month_text(may_2029, "%B %Y").as_deref(), Some("May 2029"));
        assert_eq!(
            month_text(may_2029 + 4, "%b %Y").as_deref(),
            Some("Sep 2029")
        );
        assert_eq!(month_text(may_2029, "%Y-%m").as_deref(), Some("2029-05"));
        assert_eq!(month_text(12 * 10_000, "%Y-%m"), None);
    }
}
