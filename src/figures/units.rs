//! Figures: units — parse unit expressions such as `USD/MW/month`, check dimensions and convert.
//!
//! A unit keeps its scale as a separate numerator and denominator (both in the base units
//! USD, W and s) rather than one factor, so that common conversions such as USD/month to
//! USD/year come out as exact ratios (31557600 / 2629800 = 12) instead of drifting in the
//! last bits and printing 14999999999.999998.

use crate::util::error::did_you_mean;

/// Exponents of money (USD), power (W) and time (s); energy is power x time.
pub(crate) type Dim = [i32; 3];

struct Atom {
    name: &'static str,
    dim: Dim,
    num: f64,
    den: f64,
}

const fn atom(name: &'static str, dim: Dim, num: f64, den: f64) -> Atom {
    Atom {
        name,
        dim,
        num,
        den,
    }
}

const MONEY: Dim = [1, 0, 0];
const POWER: Dim = [0, 1, 0];
const ENERGY: Dim = [0, 1, 1];
const TIME: Dim = [0, 0, 1];
const PLAIN: Dim = [0, 0, 0];

/// Seconds in a year of 365.25 days; a month is a twelfth of it so that 12 months make a year.
const YEAR: f64 = 31_557_600.0;
const MONTH: f64 = 2_629_800.0;

const ATOMS: [Atom; 20] = [
    atom("USD", MONEY, 1.0, 1.0),
    atom("W", POWER, 1.0, 1.0),
    atom("kW", POWER, 1e3, 1.0),
    atom("MW", POWER, 1e6, 1.0),
    atom("GW", POWER, 1e9, 1.0),
    atom("Wh", ENERGY, 3600.0, 1.0),
    atom("kWh", ENERGY, 3.6e6, 1.0),
    atom("MWh", ENERGY, 3.6e9, 1.0),
    atom("GWh", ENERGY, 3.6e12, 1.0),
    atom("TWh", ENERGY, 3.6e15, 1.0),
    atom("s", TIME, 1.0, 1.0),
    atom("min", TIME, 60.0, 1.0),
    atom("h", TIME, 3600.0, 1.0),
    atom("day", TIME, 86_400.0, 1.0),
    atom("week", TIME, 604_800.0, 1.0),
    atom("month", TIME, MONTH, 1.0),
    atom("year", TIME, YEAR, 1.0),
    atom("%", PLAIN, 1.0, 100.0),
    atom("count", PLAIN, 1.0, 1.0),
    atom("1", PLAIN, 1.0, 1.0),
];

/// The unit a figure declares: a point in time, or a measure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Declared {
    Date,
    Measure(Unit),
}

impl Declared {
    pub(crate) fn parse(text: &str) -> Result<Declared, UnitError> {
        if text.trim() == "date" {
            Ok(Declared::Date)
        } else {
            Unit::parse(text).map(Declared::Measure)
        }
    }
}

/// A unit that cannot be read, with what to write instead.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UnitError {
    pub message: String,
    pub help: String,
}

impl UnitError {
    fn new(message: impl Into<String>, help: impl Into<String>) -> Self {
        UnitError {
            message: message.into(),
            help: help.into(),
        }
    }
}

const UNIT_HELP: &str = "units are USD; W, kW, MW, GW; Wh, kWh, MWh, GWh, TWh; s, min, h, day, week, month, year; \
%, count, 1; joined with / and *, e.g. `USD/month` or `USD/MW/year`, or `date` on its own";

/// A unit of measure: atoms with powers (kept in the order written, for messages and
/// formatting), the dimension they add up to, and the scale to base units as num / den.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Unit {
    atoms: Vec<(&'static str, i32)>,
    dim: Dim,
    num: f64,
    den: f64,
}

impl Unit {
    /// A plain number.
    pub(crate) fn one() -> Unit {
        Unit {
            atoms: Vec::new(),
            dim: PLAIN,
            num: 1.0,
            den: 1.0,
        }
    }

    pub(crate) fn month() -> Unit {
        Unit::atom("month").unwrap_or_else(Unit::one)
    }

    /// The single atom called `name`, if there is one.
    pub(crate) fn atom(name: &str) -> Option<Unit> {
        let atom = ATOMS.iter().find(|a| a.name == name)?;
        let atoms = if atom.name == "1" {
            Vec::new()
        } else {
            vec![(atom.name, 1)]
        };
        Some(Unit {
            atoms,
            dim: atom.dim,
            num: atom.num,
            den: atom.den,
        })
    }

    pub(crate) fn is_atom(name: &str) -> bool {
        ATOMS.iter().any(|a| a.name == name)
    }

    /// Parse atoms joined by `/` and `*` left to right, each with an optional `^n`.
    pub(crate) fn parse(text: &str) -> Result<Unit, UnitError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(UnitError::new("the unit is empty", UNIT_HELP));
        }
        let mut unit = Unit::one();
        let mut op = '*';
        let mut rest = text;
        loop {
            let end = rest.find(['*', '/']).unwrap_or(rest.len());
            let (segment, tail) = rest.split_at(end);
            let factor = parse_factor(segment.trim(), op, text)?;
            unit = if op == '*' {
                unit.mul(&factor)
            } else {
                unit.div(&factor)
            };
            let mut chars = tail.chars();
            match chars.next() {
                Some(next) => {
                    op = next;
                    rest = chars.as_str();
                }
                None => return Ok(unit),
            }
        }
    }

    pub(crate) fn atoms(&self) -> &[(&'static str, i32)] {
        &self.atoms
    }

    pub(crate) fn same_dim(&self, other: &Unit) -> bool {
        self.dim == other.dim
    }

    pub(crate) fn is_plain(&self) -> bool {
        self.dim == PLAIN
    }

    pub(crate) fn is_time(&self) -> bool {
        self.dim == TIME
    }

    pub(crate) fn mul(&self, other: &Unit) -> Unit {
        let mut atoms = self.atoms.clone();
        for &(name, power) in &other.atoms {
            match atoms.iter_mut().find(|(n, _)| *n == name) {
                Some(existing) => existing.1 += power,
                None => atoms.push((name, power)),
            }
        }
        atoms.retain(|(_, p)| *p != 0);
        Unit {
            atoms,
            dim: [
                self.dim[0] + other.dim[0],
                self.dim[1] + other.dim[1],
                self.dim[2] + other.dim[2],
            ],
            num: self.num * other.num,
            den: self.den * other.den,
        }
    }

    pub(crate) fn div(&self, other: &Unit) -> Unit {
        self.mul(&other.inverse())
    }

    fn inverse(&self) -> Unit {
        Unit {
            atoms: self.atoms.iter().map(|&(n, p)| (n, -p)).collect(),
            dim: [-self.dim[0], -self.dim[1], -self.dim[2]],
            num: self.den,
            den: self.num,
        }
    }

    fn powi(&self, power: i32) -> Unit {
        let base = if power < 0 {
            self.inverse()
        } else {
            self.clone()
        };
        let n = power.abs();
        Unit {
            atoms: base.atoms.iter().map(|&(a, p)| (a, p * n)).collect(),
            dim: [base.dim[0] * n, base.dim[1] * n, base.dim[2] * n],
            num: base.num.powi(n),
            den: base.den.powi(n),
        }
    }

    /// What a value in this unit is multiplied by to express it in `to` (same dimension).
    pub(crate) fn factor_to(&self, to: &Unit) -> f64 {
        (self.num * to.den) / (self.den * to.num)
    }

    /// The unit for messages: `USD/MW/month`, or "a plain number".
    pub(crate) fn describe(&self) -> String {
        let text = self.to_text();
        if text.is_empty() {
            "a plain number".to_string()
        } else {
            text
        }
    }

    /// The unit as a figure would declare it: `USD/MW/month`, or `1` for a plain number.
    pub(crate) fn text(&self) -> String {
        let text = self.to_text();
        if text.is_empty() {
            "1".to_string()
        } else {
            text
        }
    }

    /// Numerator atoms joined by `*`, then each denominator as `/atom`; "" for a plain number.
    fn to_text(&self) -> String {
        let power = |p: i32| {
            if p == 1 {
                String::new()
            } else {
                format!("^{p}")
            }
        };
        let mut text: String = self
            .atoms
            .iter()
            .filter(|(_, p)| *p > 0)
            .map(|(a, p)| format!("{a}{}", power(*p)))
            .collect::<Vec<_>>()
            .join("*");
        let denominators: Vec<_> = self.atoms.iter().filter(|(_, p)| *p < 0).collect();
        if text.is_empty() && !denominators.is_empty() {
            text.push('1');
        }
        for (a, p) in denominators {
            text.push_str(&format!("/{a}{}", power(-p)));
        }
        text
    }

    /// What the dimension measures, in words: "money per time", "energy", "a plain number".
    pub(crate) fn dimension_name(&self) -> String {
        let [money, mut power, mut time] = self.dim;
        let mut above = Vec::new();
        let mut below = Vec::new();
        let mut put = |name: &'static str, count: i32| {
            for _ in 0..count.min(9) {
                above.push(name);
            }
            for _ in 0..(-count).min(9) {
                below.push(name);
            }
        };
        put("money", money);
        // Power with time in the same direction reads better as energy (kWh, not kW x h).
        let energy = if power > 0 && time > 0 {
            power.min(time)
        } else if power < 0 && time < 0 {
            power.max(time)
        } else {
            0
        };
        power -= energy;
        time -= energy;
        put("energy", energy);
        put("power", power);
        put("time", time);
        let mut text = if above.is_empty() {
            if below.is_empty() {
                return "a plain number".to_string();
            }
            "1".to_string()
        } else {
            above.join(" x ")
        };
        for name in below {
            text.push_str(" per ");
            text.push_str(name);
        }
        text
    }
}

fn parse_factor(segment: &str, op: char, whole: &str) -> Result<Unit, UnitError> {
    if segment.is_empty() {
        return Err(UnitError::new(
            format!("unit `{whole}` has an empty part around `{op}`"),
            "write an atom on each side of `/` and `*`, e.g. `USD/month`",
        ));
    }
    let (name, power) = match segment.split_once('^') {
        Some((name, power)) => {
            let power: i32 = match power.trim().parse() {
                Ok(p) if p != 0 && (-9..=9).contains(&p) => p,
                _ => {
                    return Err(UnitError::new(
                        format!("unit `{whole}` has a bad power `^{}`", power.trim()),
                        "powers are whole numbers from 1 to 9 (or -1 to -9), e.g. `MW^2`",
                    ));
                }
            };
            (name.trim(), power)
        }
        None => (segment, 1),
    };
    if name == "date" {
        return Err(UnitError::new(
            format!("unit `{whole}` uses `date` inside a compound unit"),
            "`date` is a point in time and can only be the whole unit (`unit: date`); for a duration use month or year",
        ));
    }
    match Unit::atom(name) {
        Some(unit) => Ok(unit.powi(power)),
        None => Err(unknown_atom(name)),
    }
}

/// The atom a common spelling stands for ("months" -> month, "usd" -> USD, "hours" -> h);
/// unlike a plain edit distance, this never guesses a unit for an unrelated word.
pub(crate) fn atom_alias(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    let alias = match lower.as_str() {
        "$" | "usd" | "dollar" | "dollars" => Some("USD"),
        "hour" | "hours" | "hr" => Some("h"),
        "minute" | "minutes" => Some("min"),
        "second" | "seconds" | "sec" => Some("s"),
        "percent" | "pct" => Some("%"),
        "days" => Some("day"),
        "weeks" => Some("week"),
        "months" | "mo" => Some("month"),
        "years" | "yr" => Some("year"),
        _ => None,
    };
    alias.or_else(|| {
        ATOMS
            .iter()
            .find(|a| a.name.to_lowercase() == lower)
            .map(|a| a.name)
    })
}

fn unknown_atom(name: &str) -> UnitError {
    let suggestion = atom_alias(name).or_else(|| did_you_mean(name, ATOMS.iter().map(|a| a.name)));
    let help = match suggestion {
        Some(s) => format!("did you mean `{s}`? ({UNIT_HELP})"),
        None => UNIT_HELP.to_string(),
    };
    UnitError::new(format!("unknown unit `{name}`"), help)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(text: &str) -> Unit {
        match Unit::parse(text) {
            Ok(u) => u,
            Err(e) => panic!("{text}: {}", e.message),
        }
    }

    #[test]
    fn month_to_year_is_exactly_twelve() {
        let factor = unit("USD/month").factor_to(&unit("USD/year"));
        assert_eq!(factor, 12.0);
        assert_eq!(1.25e9 * factor, 15e9);
        assert_eq!(unit("year").factor_to(&unit("month")), 12.0);
        assert_eq!(unit("day").factor_to(&unit("h")), 24.0);
    }

    #[test]
    fn compound_units_read_left_to_right() {
        let per_mw_month = unit("USD/MW/month");
        assert!(per_mw_month.same_dim(&unit("USD/MWh")));
        assert!(!per_mw_month.same_dim(&unit("USD/MW")));
        assert_eq!(per_mw_month.describe(), "USD/MW/month");
        assert_eq!(per_mw_month.dimension_name(), "money per energy");
        let from_payment = unit("USD/month").div(&unit("MW"));
        assert!(from_payment.same_dim(&per_mw_month));
        assert_eq!(from_payment.factor_to(&per_mw_month), 1.0);
        // USD per MW-month as USD per kWh: a MW-month is 730.5 MWh = 730,500 kWh.
        let per_kwh = from_payment.factor_to(&unit("USD/kWh"));
        assert!((per_kwh * 730_500.0 - 1.0).abs() < 1e-12, "{per_kwh}");
    }

    #[test]
    fn powers_products_and_plain_units() {
        let squared = unit("MW^2/MW");
        assert_eq!(squared.describe(), "MW");
        assert_eq!(unit("kW*h").factor_to(&unit("kWh")), 1.0);
        assert!(unit("count").is_plain());
        assert!(unit("1").is_plain());
        assert_eq!(unit("1").describe(), "a plain number");
        assert_eq!(unit("1/month").describe(), "1/month");
        assert_eq!(unit("%").factor_to(&unit("1")), 0.01);
        assert_eq!(unit(" USD / year ").describe(), "USD/year");
        assert_eq!(unit("USD/month").mul(&unit("month")).describe(), "USD");
        assert_eq!(unit("MW").dimension_name(), "power");
        assert_eq!(unit("USD/month").dimension_name(), "money per time");
        assert_eq!(unit("MW*h").dimension_name(), "energy");
    }

    #[test]
    fn date_is_only_a_whole_unit() {
        assert_eq!(Declared::parse("date"), Ok(Declared::Date));
        let err = Declared::parse("USD/date").unwrap_err();
        assert!(err.message.contains("`date`"), "{}", err.message);
    }

    #[test]
    fn unknown_units_suggest_the_right_atom() {
        for (typo, want) in [
            ("usd", "USD"),
            ("mw", "MW"),
            ("months", "month"),
            ("hours", "h"),
            ("kwh", "kWh"),
        ] {
            let err = Unit::parse(&format!("{typo}/year")).unwrap_err();
            assert_eq!(err.message, format!("unknown unit `{typo}`"));
            assert!(
                err.help.starts_with(&format!("did you mean `{want}`?")),
                "{typo}: {}",
                err.help
            );
        }
        assert!(Unit::parse("USD/").is_err());
        assert!(Unit::parse("").is_err());
        assert!(Unit::parse("MW^0").is_err());
        assert!(Unit::parse("MW^x").is_err());
    }
}
