//! Figures: read the literal `value:` of a reported figure or assumption ("1.25 billion", "2029-05").

/// The words a value may end with, and what they multiply by.
pub(crate) const SCALE_WORDS: [(&str, f64); 4] = [
    ("thousand", 1e3),
    ("million", 1e6),
    ("billion", 1e9),
    ("trillion", 1e12),
];

pub(crate) const NUMBER_HELP: &str = "write a number, optionally followed by thousand, million, billion or trillion, \
e.g. `300`, `1.25 billion`, `1,250,000` or `1.25e9`";

pub(crate) const DATE_HELP: &str =
    "write the date as \"YYYY-MM\" or \"YYYY-MM-DD\" (the day is ignored), e.g. \"2029-05\"";

/// A number with optional thousands separators, exponent and scale word.
pub(crate) fn parse_number(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let lower = trimmed.to_lowercase();
    let (digits, scale) = SCALE_WORDS
        .iter()
        .find_map(|&(word, scale)| {
            lower
                .strip_suffix(word)
                .map(|rest| (trimmed.get(..rest.len()).unwrap_or(rest).trim_end(), scale))
        })
        .unwrap_or((trimmed, 1.0));
    let cannot = || format!("cannot read `{trimmed}` as a number");
    let unsigned = digits.strip_prefix(['-', '+']).unwrap_or(digits);
    // `str::parse` would also take "inf" and "NaN"; a figure is always a finite decimal.
    if !unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return Err(cannot());
    }
    let plain = if digits.contains(',') {
        ungroup(digits).ok_or_else(cannot)?
    } else {
        digits.to_string()
    };
    let value: f64 = plain.parse().map_err(|_| cannot())?;
    let value = value * scale;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("`{trimmed}` is too large"))
    }
}

/// "1,250,000.5" -> "1250000.5", only when the commas group digits in threes.
fn ungroup(text: &str) -> Option<String> {
    let (int, frac) = match text.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (text, None),
    };
    let unsigned = int.strip_prefix(['-', '+']).unwrap_or(int);
    let mut groups = unsigned.split(',');
    let first = groups.next()?;
    let first_ok = (1..=3).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_digit());
    let rest_ok = groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
    if !first_ok || !rest_ok || frac.is_some_and(|f| f.contains(',')) {
        return None;
    }
    let mut plain = int.replace(',', "");
    if let Some(frac) = frac {
        plain.push('.');
        plain.push_str(frac);
    }
    Some(plain)
}

/// "YYYY-MM" or "YYYY-MM-DD" (a real day of the calendar) as months since year 0
/// (year * 12 + month - 1).
pub(crate) fn parse_date(text: &str) -> Result<f64, String> {
    let (year, month) = crate::util::dates::month(text)
        .map_err(|why| format!("`{}` is not a valid date: {why}", text.trim()))?;
    Ok(f64::from(year) * 12.0 + f64::from(month) - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_scale_words_and_separators() {
        assert_eq!(parse_number("1.25 billion"), Ok(1.25e9));
        assert_eq!(parse_number("40 billion"), Ok(40e9));
        assert_eq!(parse_number("2 Trillion"), Ok(2e12));
        assert_eq!(parse_number("12 thousand"), Ok(12_000.0));
        assert_eq!(parse_number("3.5million"), Ok(3.5e6));
        assert_eq!(parse_number("1.25e9"), Ok(1.25e9));
        assert_eq!(parse_number("1,250,000"), Ok(1_250_000.0));
        assert_eq!(parse_number("1,250.5"), Ok(1250.5));
        assert_eq!(parse_number(" 300 "), Ok(300.0));
        assert_eq!(parse_number("-4.5"), Ok(-4.5));
        assert_eq!(parse_number(".5"), Ok(0.5));
    }

    #[test]
    fn rejects_what_is_not_a_finite_number() {
        for bad in [
            "", "billion", "inf", "NaN", "12,50", "1,2345", "$5", "five", "1.2.3", "1e999", "1e",
        ] {
            assert!(parse_number(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(
            parse_number("12,50").unwrap_err(),
            "cannot read `12,50` as a number"
        );
    }

    #[test]
    fn dates_are_months_since_year_zero() {
        assert_eq!(parse_date("2029-05"), Ok(2029.0 * 12.0 + 4.0));
        assert_eq!(parse_date("2026-06-15"), Ok(2026.0 * 12.0 + 5.0));
        for bad in [
            "2026-1",
            "2026-02-31",
            "2029",
            "2029-13",
            "2029-00",
            "29-05",
            "2029-05-32",
            "May 2029",
            "2029-05-01-01",
        ] {
            assert!(parse_date(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
