//! Figures: format values for the prose with one policy ("$1.25 billion a month", "300 MW", "May 2029"),
//! and round each figure by its kind ("about $43 billion" for an estimate).

use serde::Serialize;

use super::Kind;
use super::units::{Declared, Unit};

/// A figure as the prose shows it, and as a key-figure card shows it (without the unit tail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formatted {
    pub display: String,
    pub number: String,
}

/// Significant digits of a derived figure that rests on reported figures alone, when it gives
/// no `precision:`: exact arithmetic on reported numbers, so three digits are honest.
pub const DEFAULT_PRECISION: usize = 3;

/// Significant digits of an estimate when it gives no `precision:`. An estimate rests on an
/// assumption, so a third digit ("$42.8 billion") claims more than anyone knows.
pub const ESTIMATE_PRECISION: usize = 2;

/// The word in front of an estimate whose shown number is not its exact value.
pub const APPROXIMATE: &str = "about";

/// How a figure is rounded for readers: the rounding policy, decided once per figure.
///
/// - a figure's own `precision:` wins;
/// - an estimate shows [`ESTIMATE_PRECISION`] digits and reads "about" when that rounds it;
/// - any other derived figure shows [`DEFAULT_PRECISION`] digits;
/// - a reported figure or an assumption shows the digits it was written with ("as reported").
///
/// Only the reader-facing text is rounded: the value itself, and every computation on it,
/// keeps full precision, and machine-readable outputs carry it unrounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rounding {
    /// Significant digits shown.
    pub precision: usize,
    /// An estimate: "about" goes in front when the shown number is not the exact value.
    pub approximate: bool,
}

impl Rounding {
    /// The policy for a figure of `kind` whose value is `value`; `declared` is its `precision:`.
    pub fn for_figure(kind: Kind, estimate: bool, declared: Option<usize>, value: f64) -> Rounding {
        let precision = declared.unwrap_or(match kind {
            Kind::Derived if estimate => ESTIMATE_PRECISION,
            Kind::Derived => DEFAULT_PRECISION,
            Kind::Reported | Kind::Assumption => written_digits(value),
        });
        Rounding {
            precision: precision.clamp(1, 15),
            approximate: kind == Kind::Derived && estimate,
        }
    }
}

/// The significant digits of the shortest decimal that reads back as `value`: 3 for 1.25e9,
/// 1 for 300, 2 for 1.5. A number as written in `figures.yaml` is shown with exactly these.
pub fn written_digits(value: f64) -> usize {
    let text = format!("{:e}", value.abs());
    let mantissa = text.split_once('e').map_or(text.as_str(), |(m, _)| m);
    mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .count()
        .clamp(1, 15)
}

/// Whether `value` shown to `precision` significant digits is a different number.
fn is_rounded(value: f64, precision: usize) -> bool {
    let (rounded, _) = round_sig(value, precision.clamp(1, 15));
    // Arithmetic leaves the last bits of an exact result astray (14,999,999,999.999998).
    (rounded - value).abs() > 1e-9 * value.abs()
}

/// Format a figure's `value` (in `unit`) by its [`Rounding`]: "about $43 billion" for an
/// estimate of $42.8 billion; the qualifier ("up to") goes in front of "about".
pub(crate) fn format_rounded(
    value: f64,
    unit: &Declared,
    unit_text: &str,
    rounding: Rounding,
    qualifier: Option<&str>,
) -> Result<Formatted, String> {
    let qualifier = qualifier.map(str::trim).filter(|q| !q.is_empty());
    let about = rounding.approximate
        && matches!(unit, Declared::Measure(_))
        && value.is_finite()
        && is_rounded(value, rounding.precision);
    let words = match (qualifier, about) {
        (Some(q), true) => Some(format!("{q} {APPROXIMATE}")),
        (Some(q), false) => Some(q.to_string()),
        (None, true) => Some(APPROXIMATE.to_string()),
        (None, false) => None,
    };
    format_declared(value, unit, unit_text, rounding.precision, words.as_deref())
}

/// An estimate's value before rounding, to six significant digits ("$42.8125 billion"), when
/// [`format_rounded`] shows it as "about …"; None when the shown number is the value.
pub(crate) fn unrounded(
    value: f64,
    unit: &Declared,
    unit_text: &str,
    rounding: Rounding,
) -> Option<String> {
    let about = rounding.approximate
        && matches!(unit, Declared::Measure(_))
        && value.is_finite()
        && is_rounded(value, rounding.precision);
    about
        .then(|| format_declared(value, unit, unit_text, 6, None).ok())
        .flatten()
        .map(|f| f.display)
}

/// `value`, in any `unit`, rounded as `rounding` says and with `qualifier` in front: a chart
/// shows a figure in the chart's unit with the figure's own policy.
pub fn format_like(
    value: f64,
    unit: &str,
    rounding: Rounding,
    qualifier: Option<&str>,
) -> Result<Formatted, String> {
    let declared = Declared::parse(unit).map_err(|e| e.message)?;
    format_rounded(value, &declared, unit, rounding, qualifier)
}

/// A range of a figure in any `unit`, rounded as `rounding` says (both ends to one decimal
/// place, the unit words said once): "$41 to $49 billion". No "about": a range is a spread.
pub fn format_range_like(
    low: f64,
    high: f64,
    unit: &str,
    rounding: Rounding,
) -> Result<String, String> {
    let declared = Declared::parse(unit).map_err(|e| e.message)?;
    let (low_digits, high_digits) = range_precisions(low, high, rounding.precision);
    let low = format_declared(low, &declared, unit, low_digits, None)?;
    let high = format_declared(high, &declared, unit, high_digits, None)?;
    Ok(range_text(&low.display, &high.display))
}

/// The significant digits for each end of a range whose wider end gets `precision`: the
/// narrower end is rounded to the same decimal place, so "$6.84 to $11.41" at two digits
/// reads "$7 to $11", not "$6.80 to $11". Ends of opposite signs keep `precision` each.
pub(crate) fn range_precisions(low: f64, high: f64, precision: usize) -> (usize, usize) {
    let precision = precision.clamp(1, 15);
    if low == 0.0 || high == 0.0 || (low < 0.0) != (high < 0.0) {
        return (precision, precision);
    }
    let (_, low_exp) = round_sig(low, precision);
    let (_, high_exp) = round_sig(high, precision);
    let fewer = |by: i32| {
        usize::try_from(i64::try_from(precision).unwrap_or(15) - i64::from(by))
            .unwrap_or(1)
            .max(1)
    };
    match low_exp.cmp(&high_exp) {
        std::cmp::Ordering::Less => (fewer(high_exp - low_exp), precision),
        std::cmp::Ordering::Greater => (precision, fewer(low_exp - high_exp)),
        std::cmp::Ordering::Equal => (precision, precision),
    }
}

/// Two ends of a range as one phrase, the unit words said once when both ends share them:
/// "$6.84 to $11.40 an hour", "$41 to $49 billion", "34 to 41 months", "January 2026 to
/// August 2026" (a date's year is part of the date, so it is not shared).
pub fn range_text(low: &str, high: &str) -> String {
    if low == high {
        return low.to_string();
    }
    let ends_in_digit = |s: &str| s.ends_with(|c: char| c.is_ascii_digit());
    // The first space whose tail both share gives the longest shared unit words.
    for (i, _) in low.match_indices(' ') {
        let tail = &low[i..];
        let Some(high_head) = high.strip_suffix(tail) else {
            continue;
        };
        let low_head = &low[..i];
        if ends_in_digit(low_head)
            && ends_in_digit(high_head)
            && !tail.trim_start().starts_with(|c: char| c.is_ascii_digit())
        {
            return format!("{low_head} to {high}");
        }
    }
    format!("{low} to {high}")
}

/// Format `value` (in `unit`) with the default precision, e.g. `(1.25e9, "USD/month", None)`
/// gives "$1.25 billion a month".
pub fn format_value(value: f64, unit: &str, qualifier: Option<&str>) -> Result<String, String> {
    format(value, unit, DEFAULT_PRECISION, qualifier).map(|f| f.display)
}

/// Format `value` (in `unit`) to `precision` significant digits, with an optional qualifier
/// ("more than") in front.
pub fn format(
    value: f64,
    unit: &str,
    precision: usize,
    qualifier: Option<&str>,
) -> Result<Formatted, String> {
    let declared = Declared::parse(unit).map_err(|e| e.message)?;
    format_declared(value, &declared, unit, precision, qualifier)
}

pub(crate) fn format_declared(
    value: f64,
    unit: &Declared,
    unit_text: &str,
    precision: usize,
    qualifier: Option<&str>,
) -> Result<Formatted, String> {
    if !value.is_finite() {
        return Err("the value is not a finite number".to_string());
    }
    let precision = precision.clamp(1, 15);
    let (number, tail) = match unit {
        Declared::Date => (date(value)?, String::new()),
        Declared::Measure(unit) => measure(value, unit, unit_text, precision),
    };
    let (display, number) = match qualifier.map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => (format!("{q} {number}{tail}"), format!("{q} {number}")),
        None => (format!("{number}{tail}"), number),
    };
    Ok(Formatted { display, number })
}

/// The number and the unit words after it.
fn measure(value: f64, unit: &Unit, unit_text: &str, precision: usize) -> (String, String) {
    match unit.atoms() {
        [] | [("count", 1)] => (plain(value, precision), String::new()),
        [("%", 1)] => (format!("{}%", plain(value, precision)), String::new()),
        [(atom, 1)] if time_word(atom).is_some() => {
            let number = plain(value, precision);
            let word = time_word(atom).unwrap_or(atom);
            let plural = if number == "1" || number == "-1" {
                ""
            } else {
                "s"
            };
            // A card reads "36 months", never a bare "36": the unit stays with the number.
            (format!("{number} {word}{plural}"), String::new())
        }
        [("USD", 1), per @ ..] if per.iter().all(|(_, p)| *p < 0) => {
            (money(value, precision), money_tail(per))
        }
        _ => (
            format!("{} {}", plain(value, precision), unit_text.trim()),
            String::new(),
        ),
    }
}

fn time_word(atom: &str) -> Option<&'static str> {
    Some(match atom {
        "s" => "second",
        "min" => "minute",
        "h" => "hour",
        "day" => "day",
        "week" => "week",
        "month" => "month",
        "year" => "year",
        _ => return None,
    })
}

/// " per MW a month": every denominator reads "per", except the first time, which reads "a".
fn money_tail(per: &[(&str, i32)]) -> String {
    let mut tail = String::new();
    let mut rate = None;
    for &(atom, power) in per {
        match time_word(atom) {
            Some(word) if rate.is_none() && power == -1 => rate = Some(word),
            _ if power == -1 => tail.push_str(&format!(" per {atom}")),
            _ => tail.push_str(&format!(" per {atom}^{}", -power)),
        }
    }
    if let Some(word) = rate {
        let article = if word == "hour" { "an" } else { "a" };
        tail.push_str(&format!(" {article} {word}"));
    }
    tail
}

/// A calendar date `2026-11-27` (a time may follow) as "27 November 2026", for page dates:
/// the same month names as figures, so a briefing writes dates one way.
pub fn long_date(iso: &str) -> Option<String> {
    crate::util::dates::parse(iso).ok().map(|when| when.long())
}

/// Months since year 0 as "May 2029".
fn date(months: f64) -> Result<String, String> {
    let months = months.round();
    if !(12.0..=12.0 * 10_000.0 - 1.0).contains(&months) {
        return Err(format!(
            "the date is outside the years 1 to 9999 ({months} months after year 0)"
        ));
    }
    // In range by the check above, so the conversions are exact.
    let months = months as i64;
    crate::util::dates::month_text(months, "%B %Y").ok_or_else(|| {
        format!("the date is outside the years 1 to 9999 ({months} months after year 0)")
    })
}

/// `value` rounded to `precision` significant digits, and the power of ten of its first digit.
fn round_sig(value: f64, precision: usize) -> (f64, i32) {
    let text = format!("{:.*e}", precision - 1, value);
    // Rounding up near f64::MAX would overflow to infinity; keep the value as it is then.
    let rounded = text
        .parse()
        .ok()
        .filter(|r: &f64| r.is_finite())
        .unwrap_or(value);
    let exponent = text
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    (rounded, exponent)
}

/// Money: scale words from a million, grouped digits below that, cents below $100.
fn money(value: f64, precision: usize) -> String {
    let (rounded, exponent) = round_sig(value, precision);
    let magnitude = rounded.abs();
    let digits = if magnitude >= 1e6 || (magnitude > 0.0 && magnitude < 0.01) {
        magnitude_text(magnitude, exponent, precision)
    } else if magnitude >= 100.0 {
        decimal(magnitude, exponent, precision)
    } else if magnitude.fract() == 0.0 {
        format!("{magnitude}")
    } else {
        format!("{magnitude:.2}")
    };
    signed(rounded, format!("${digits}"))
}

/// A plain number: scale words from a million, grouped digits below.
fn plain(value: f64, precision: usize) -> String {
    let (rounded, exponent) = round_sig(value, precision);
    signed(rounded, magnitude_text(rounded.abs(), exponent, precision))
}

fn signed(rounded: f64, text: String) -> String {
    // A value that rounds to zero prints as "0", never "-0".
    if rounded < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        format!("-{text}")
    } else {
        text
    }
}

/// A non-negative rounded value as "41.7 billion", "950,000", "2.63" or, far out, "1.2e21".
fn magnitude_text(magnitude: f64, exponent: i32, precision: usize) -> String {
    const WORDS: [(&str, i32); 3] = [("trillion", 12), ("billion", 9), ("million", 6)];
    if magnitude == 0.0 {
        return "0".to_string();
    }
    // Beyond a million trillion, or below a thousandth, words and zeros stop being readable.
    if !(-3..18).contains(&exponent) {
        return scientific(magnitude, precision);
    }
    for (word, power) in WORDS {
        if exponent >= power {
            let scaled = magnitude / 10f64.powi(power);
            return format!("{} {word}", decimal(scaled, exponent - power, precision));
        }
    }
    decimal(magnitude, exponent, precision)
}

/// Enough decimals for `precision` significant digits, trailing zeros trimmed, digits grouped.
fn decimal(magnitude: f64, exponent: i32, precision: usize) -> String {
    let decimals =
        usize::try_from(i64::try_from(precision).unwrap_or(15) - 1 - i64::from(exponent))
            .unwrap_or(0);
    let text = format!("{magnitude:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    let (int, frac) = match text.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (text, None),
    };
    let mut grouped = group(int);
    if let Some(frac) = frac {
        grouped.push('.');
        grouped.push_str(frac);
    }
    grouped
}

fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn scientific(magnitude: f64, precision: usize) -> String {
    let text = format!("{:.*e}", precision - 1, magnitude);
    match text.split_once('e') {
        Some((mantissa, exponent)) if mantissa.contains('.') => {
            let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{mantissa}e{exponent}")
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(value: f64, unit: &str) -> String {
        match format_value(value, unit, None) {
            Ok(text) => text,
            Err(e) => panic!("{value} {unit}: {e}"),
        }
    }

    fn card(value: f64, unit: &str) -> String {
        match format(value, unit, DEFAULT_PRECISION, None) {
            Ok(f) => f.number,
            Err(e) => panic!("{value} {unit}: {e}"),
        }
    }

    #[test]
    fn money_uses_scale_words_from_a_million() {
        assert_eq!(show(1.25e9, "USD"), "$1.25 billion");
        assert_eq!(show(15e9, "USD"), "$15 billion");
        assert_eq!(show(14_999_999_999.999998, "USD"), "$15 billion");
        assert_eq!(show(41_666_666_666.0, "USD"), "$41.7 billion");
        assert_eq!(show(4_166_666.67, "USD"), "$4.17 million");
        assert_eq!(show(2.5e12, "USD"), "$2.5 trillion");
        assert_eq!(show(999_999.0, "USD"), "$1 million");
        assert_eq!(show(1.2e15, "USD"), "$1,200 trillion");
    }

    #[test]
    fn money_below_a_million_is_grouped_and_below_100_has_cents() {
        assert_eq!(show(950_000.0, "USD"), "$950,000");
        assert_eq!(show(12_500.0, "USD"), "$12,500");
        assert_eq!(show(12_345.0, "USD"), "$12,300");
        assert_eq!(show(123.456, "USD"), "$123");
        assert_eq!(show(5.7039, "USD"), "$5.70");
        assert_eq!(show(42.56, "USD"), "$42.60");
        assert_eq!(show(5.0, "USD"), "$5");
        assert_eq!(show(0.5, "USD"), "$0.50");
        assert_eq!(show(0.00123, "USD"), "$0.00123");
        assert_eq!(show(0.0, "USD"), "$0");
    }

    #[test]
    fn money_rates_read_a_month_and_per() {
        assert_eq!(show(1.25e9, "USD/month"), "$1.25 billion a month");
        assert_eq!(show(15e9, "USD/year"), "$15 billion a year");
        assert_eq!(
            show(4_166_666.67, "USD/MW/month"),
            "$4.17 million per MW a month"
        );
        assert_eq!(show(50e6, "USD/MW/year"), "$50 million per MW a year");
        assert_eq!(show(5.7039, "USD/kWh"), "$5.70 per kWh");
        assert_eq!(show(20.0, "USD/h"), "$20 an hour");
        assert_eq!(show(3.0, "USD/MW^2"), "$3 per MW^2");
    }

    #[test]
    fn power_energy_time_percent_counts_and_dates() {
        assert_eq!(show(300.0, "MW"), "300 MW");
        assert_eq!(show(2.6298, "TWh"), "2.63 TWh");
        assert_eq!(show(36.0, "month"), "36 months");
        assert_eq!(show(1.0, "month"), "1 month");
        assert_eq!(show(3.0, "year"), "3 years");
        assert_eq!(show(12.0, "day"), "12 days");
        assert_eq!(show(1.5, "h"), "1.5 hours");
        assert_eq!(show(11.111, "%"), "11.1%");
        assert_eq!(show(214_123.0, "count"), "214,000");
        assert_eq!(show(7.0, "1"), "7");
        assert_eq!(show(2_500_000.0, "count"), "2.5 million");
        assert_eq!(show(2029.0 * 12.0 + 4.0, "date"), "May 2029");
        assert_eq!(show(2026.0 * 12.0, "date"), "January 2026");
        assert_eq!(show(0.125, "MW/month"), "0.125 MW/month");
    }

    #[test]
    fn cards_drop_only_the_rate_words_of_money() {
        assert_eq!(card(1.25e9, "USD/month"), "$1.25 billion");
        assert_eq!(card(300.0, "MW"), "300 MW");
        assert_eq!(card(36.0, "month"), "36 months");
        assert_eq!(card(2029.0 * 12.0 + 4.0, "date"), "May 2029");
        assert_eq!(card(11.111, "%"), "11.1%");
    }

    #[test]
    fn qualifier_goes_in_front() {
        assert_eq!(
            format_value(40e9, "USD", Some("more than")),
            Ok("more than $40 billion".to_string())
        );
        let f = format(40e9, "USD/year", 3, Some(" about ")).unwrap();
        assert_eq!(f.display, "about $40 billion a year");
        assert_eq!(f.number, "about $40 billion");
    }

    #[test]
    fn precision_sets_significant_digits() {
        let two = |v: f64, unit: &str| format(v, unit, 2, None).unwrap().display;
        assert_eq!(two(41_666_666_666.0, "USD"), "$42 billion");
        assert_eq!(two(2.6298, "TWh"), "2.6 TWh");
        let five = |v: f64, unit: &str| format(v, unit, 5, None).unwrap().display;
        assert_eq!(five(41_666_666_666.0, "USD"), "$41.667 billion");
        assert_eq!(five(123.456, "USD"), "$123.46");
        assert_eq!(
            format(1.26e9, "USD", 1, None).unwrap().display,
            "$1 billion"
        );
        // Out-of-range precision is clamped rather than refused.
        assert_eq!(
            format(1.26e9, "USD", 0, None).unwrap().display,
            "$1 billion"
        );
    }

    #[test]
    fn never_minus_zero_and_extremes_stay_readable() {
        assert_eq!(show(-0.0, "USD"), "$0");
        assert_eq!(show(-0.0, "MW"), "0 MW");
        assert_eq!(show(-5e9, "USD"), "-$5 billion");
        assert_eq!(show(-2.5, "MW"), "-2.5 MW");
        assert_eq!(show(1.234e21, "USD"), "$1.23e21");
        assert_eq!(show(1.5e-7, "MW"), "1.5e-7 MW");
        assert_eq!(show(f64::MAX, "count"), "1.8e308");
        assert!(format_value(f64::NAN, "USD", None).is_err());
        assert!(format_value(f64::INFINITY, "USD", None).is_err());
        assert!(format_value(1e30, "date", None).is_err());
        assert!(format_value(1.0, "parsecs", None).is_err());
    }

    fn rounded(value: f64, unit: &str, rounding: Rounding, qualifier: Option<&str>) -> String {
        match format_like(value, unit, rounding, qualifier) {
            Ok(f) => f.display,
            Err(e) => panic!("{value} {unit}: {e}"),
        }
    }

    fn estimate(value: f64) -> Rounding {
        Rounding::for_figure(Kind::Derived, true, None, value)
    }

    #[test]
    fn an_estimate_shows_two_digits_and_reads_about() {
        let r = estimate(42_812_500_000.0);
        assert_eq!(
            r,
            Rounding {
                precision: 2,
                approximate: true
            }
        );
        assert_eq!(
            rounded(42_812_500_000.0, "USD", r, None),
            "about $43 billion"
        );
        assert_eq!(
            rounded(2_187_500_000.0, "USD", r, None),
            "about $2.2 billion"
        );
        assert_eq!(
            rounded(47_569_444.44, "USD/MW/year", r, None),
            "about $48 million per MW a year"
        );
        assert_eq!(
            rounded(8.555_783_7, "USD/h", r, None),
            "about $8.60 an hour"
        );
        assert_eq!(rounded(11.111_111, "%", r, None), "about 11%");
        let card = format_like(42_812_500_000.0, "USD/month", r, None).unwrap();
        assert_eq!(card.number, "about $43 billion", "cards say it too");
    }

    #[test]
    fn an_estimate_that_rounding_leaves_exact_has_no_about() {
        let r = estimate(45e9);
        assert_eq!(rounded(45e9, "USD", r, None), "$45 billion");
        assert_eq!(rounded(36.0, "month", r, None), "36 months");
        // The last bits of a product are not a rounding a reader needs to be told of.
        assert_eq!(
            rounded(14_999_999_999.999_998, "USD", r, None),
            "$15 billion"
        );
        assert_eq!(rounded(2029.0 * 12.0 + 4.0, "date", r, None), "May 2029");
    }

    #[test]
    fn a_qualifier_goes_before_about() {
        let r = estimate(4.6e9);
        assert_eq!(
            rounded(4.64e9, "USD", r, Some("up to")),
            "up to about $4.6 billion"
        );
        assert_eq!(rounded(5e9, "USD", r, Some("up to")), "up to $5 billion");
    }

    #[test]
    fn a_declared_precision_wins_over_the_policy() {
        let three = Rounding::for_figure(Kind::Derived, true, Some(3), 0.0);
        assert_eq!(
            rounded(42_812_500_000.0, "USD", three, None),
            "about $42.8 billion"
        );
        let one = Rounding::for_figure(Kind::Reported, false, Some(1), 1.25e9);
        assert_eq!(
            rounded(1.25e9, "USD", one, None),
            "$1 billion",
            "a reported figure rounded on purpose is not an estimate"
        );
    }

    #[test]
    fn derived_from_reported_figures_shows_three_digits_without_about() {
        let r = Rounding::for_figure(Kind::Derived, false, None, 4_166_666.67);
        assert_eq!(
            r,
            Rounding {
                precision: 3,
                approximate: false
            }
        );
        assert_eq!(
            rounded(4_166_666.67, "USD/MW/month", r, None),
            "$4.17 million per MW a month"
        );
    }

    #[test]
    fn reported_figures_and_assumptions_show_as_written() {
        assert_eq!(written_digits(1.25e9), 3);
        assert_eq!(written_digits(300.0), 1);
        assert_eq!(written_digits(1.5), 2);
        assert_eq!(written_digits(0.0), 1);
        assert_eq!(written_digits(-1.234_567e-3), 7);
        assert_eq!(written_digits(1.0 / 3.0), 15);
        for (value, unit, shown) in [
            (1.234_567e9, "USD/month", "$1.234567 billion a month"),
            (300.0, "MW", "300 MW"),
            (40e9, "USD", "$40 billion"),
            (12.5, "%", "12.5%"),
        ] {
            let r = Rounding::for_figure(Kind::Reported, false, None, value);
            assert_eq!(rounded(value, unit, r, None), shown);
            let r = Rounding::for_figure(Kind::Assumption, false, None, value);
            assert_eq!(rounded(value, unit, r, None), shown, "an assumption too");
        }
    }

    #[test]
    fn the_unrounded_value_is_kept_for_rounded_estimates_only() {
        let usd = Declared::parse("USD").unwrap();
        let r = estimate(42_812_500_000.0);
        assert_eq!(
            unrounded(42_812_500_000.0, &usd, "USD", r).as_deref(),
            Some("$42.8125 billion")
        );
        assert_eq!(unrounded(45e9, &usd, "USD", r), None);
        let reported = Rounding::for_figure(Kind::Reported, false, Some(1), 1.25e9);
        assert_eq!(unrounded(1.25e9, &usd, "USD", reported), None);
    }

    #[test]
    fn a_range_says_its_unit_words_once() {
        assert_eq!(
            range_text("$6.84 an hour", "$11.40 an hour"),
            "$6.84 to $11.40 an hour"
        );
        assert_eq!(
            range_text("$41 billion", "$49 billion"),
            "$41 to $49 billion"
        );
        assert_eq!(
            range_text("$1.3 billion a month", "$1.5 billion a month"),
            "$1.3 to $1.5 billion a month"
        );
        assert_eq!(range_text("34 months", "41 months"), "34 to 41 months");
        assert_eq!(range_text("1.2 kW", "2 kW"), "1.2 to 2 kW");
        assert_eq!(
            range_text("$980 million", "$1.2 billion"),
            "$980 million to $1.2 billion"
        );
        assert_eq!(range_text("25%", "75%"), "25% to 75%");
        assert_eq!(range_text("1 month", "6 months"), "1 month to 6 months");
        assert_eq!(
            range_text("January 2026", "August 2026"),
            "January 2026 to August 2026"
        );
        assert_eq!(range_text("300 MW", "300 MW"), "300 MW");
    }

    #[test]
    fn range_ends_round_to_the_same_decimal_place() {
        assert_eq!(range_precisions(6.84, 11.4, 2), (1, 2));
        assert_eq!(range_precisions(41.3e9, 48.8e9, 2), (2, 2));
        assert_eq!(range_precisions(150_000.0, 250_000.0, 2), (2, 2));
        assert_eq!(
            range_precisions(2e6, 5e9, 2),
            (1, 2),
            "never below one digit"
        );
        assert_eq!(range_precisions(11.4, 6.84, 2), (2, 1));
        assert_eq!(range_precisions(0.0, 11.4, 2), (2, 2));
        assert_eq!(range_precisions(-2.5, 11.4, 2), (2, 2));
    }

    #[test]
    fn page_dates_read_as_words() {
        assert_eq!(long_date("2026-11-27").as_deref(), Some("27 November 2026"));
        assert_eq!(
            long_date("2026-01-05T10:00:00Z").as_deref(),
            Some("5 January 2026")
        );
        assert_eq!(long_date("2026-13-05"), None);
    }
}
