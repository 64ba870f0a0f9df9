//! Figures: evaluate a parsed formula with units — check dimensions, convert, move dates.

use std::ops::Range;

use super::formula::{Expr, ExprKind, Op};
use super::units::{Declared, Unit};
use crate::util::error::did_you_mean;

/// A value during evaluation: a measure in some unit, or a date in months since year 0.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Quantity {
    Measure(f64, Unit),
    Date(f64),
}

impl Quantity {
    /// The number alone: the value in its unit, or months since year 0 for a date.
    pub(crate) fn number(&self) -> f64 {
        match self {
            Quantity::Measure(v, _) | Quantity::Date(v) => *v,
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Quantity::Measure(_, unit) => unit.describe(),
            Quantity::Date(_) => "a date".to_string(),
        }
    }

    fn is_finite(&self) -> bool {
        match self {
            Quantity::Measure(v, _) | Quantity::Date(v) => v.is_finite(),
        }
    }
}

/// Why a formula cannot be evaluated, with what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EvalError {
    pub message: String,
    pub help: Option<String>,
}

fn fail<T>(message: impl Into<String>, help: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError {
        message: message.into(),
        help: Some(help.into()),
    })
}

/// The functions a formula may call, with their number of arguments.
pub(crate) const FUNCTIONS: [(&str, usize); 5] = [
    ("months_between", 2),
    ("min", 2),
    ("max", 2),
    ("abs", 1),
    ("round", 1),
];

const FUNCTIONS_HELP: &str =
    "formulas can call months_between(a, b), min(a, b), max(a, b), abs(x) and round(x)";

const DATE_HELP: &str = "a date can only move by a time (`term_start + 1 month`), be subtracted from another \
date (`term_end - term_start`), or be measured with `months_between(a, b)`";

/// Unknown functions and wrong numbers of arguments, found before evaluating anything.
pub(crate) fn check_calls(expr: &Expr) -> Vec<(Range<usize>, EvalError)> {
    let mut problems = Vec::new();
    for (name, count, span) in expr.calls() {
        let error = match FUNCTIONS.iter().find(|(f, _)| *f == name) {
            None => {
                let help = match did_you_mean(name, FUNCTIONS.iter().map(|(f, _)| *f)) {
                    Some(s) => format!("did you mean `{s}`? ({FUNCTIONS_HELP})"),
                    None => FUNCTIONS_HELP.to_string(),
                };
                EvalError {
                    message: format!("unknown function `{name}`"),
                    help: Some(help),
                }
            }
            Some(&(_, wanted)) if wanted != count => EvalError {
                message: format!(
                    "`{name}` takes {wanted} argument{}, not {count}",
                    if wanted == 1 { "" } else { "s" }
                ),
                help: Some(FUNCTIONS_HELP.to_string()),
            },
            Some(_) => continue,
        };
        problems.push((span, error));
    }
    problems
}

/// Evaluate `expr` (parsed from `src`), looking figures up with `lookup`.
pub(crate) fn eval(
    expr: &Expr,
    src: &str,
    lookup: &dyn Fn(&str) -> Option<Quantity>,
) -> Result<Quantity, EvalError> {
    let result = Evaluator { src, lookup }.eval(expr)?;
    if result.is_finite() {
        Ok(result)
    } else {
        fail(
            "the formula gives a result that is not a finite number",
            "look for a huge intermediate value or a division by something tiny",
        )
    }
}

/// Express a formula's result in the figure's declared unit.
pub(crate) fn convert(
    result: Quantity,
    declared: &Declared,
    unit_text: &str,
) -> Result<f64, EvalError> {
    let unit_text = unit_text.trim();
    match (result, declared) {
        (Quantity::Date(months), Declared::Date) => Ok(months),
        (Quantity::Measure(value, unit), Declared::Measure(want)) if unit.same_dim(want) => {
            Ok(value * unit.factor_to(want))
        }
        (Quantity::Measure(_, unit), Declared::Measure(want)) => fail(
            format!("formula gives {} but unit is {unit_text}", unit.describe()),
            format!(
                "the formula measures {} and `{unit_text}` measures {}: change `unit:` or the formula",
                unit.dimension_name(),
                want.dimension_name()
            ),
        ),
        (Quantity::Date(_), Declared::Measure(_)) => fail(
            format!("formula gives a date but unit is {unit_text}"),
            "use `unit: date`, or measure the time between two dates with `months_between(a, b)`",
        ),
        (Quantity::Measure(_, unit), Declared::Date) => fail(
            format!("formula gives {} but unit is date", unit.describe()),
            "a date comes from another date moved by a time, e.g. `term_start + 36 month`",
        ),
    }
}

struct Evaluator<'a> {
    src: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<Quantity>,
}

impl Evaluator<'_> {
    fn text(&self, span: &Range<usize>) -> &str {
        self.src.get(span.clone()).unwrap_or("").trim()
    }

    fn eval(&self, expr: &Expr) -> Result<Quantity, EvalError> {
        match &expr.kind {
            ExprKind::Number(value, unit) => Ok(Quantity::Measure(*value, unit.clone())),
            ExprKind::Name(name) => match (self.lookup)(name) {
                Some(q) => Ok(q),
                None => fail(
                    format!("unknown figure `{name}`"),
                    "declare it under `figures:`",
                ),
            },
            ExprKind::Neg(inner) => match self.eval(inner)? {
                Quantity::Measure(v, unit) => Ok(Quantity::Measure(-v, unit)),
                Quantity::Date(_) => fail("cannot negate a date", DATE_HELP),
            },
            ExprKind::Chain(first, rest) => {
                let mut acc = self.eval(first)?;
                for (op, operand) in rest {
                    let rhs = self.eval(operand)?;
                    acc = self.apply(*op, acc, rhs, &operand.span)?;
                }
                Ok(acc)
            }
            ExprKind::Call(name, args) => self.call(name, args),
        }
    }

    fn apply(
        &self,
        op: Op,
        lhs: Quantity,
        rhs: Quantity,
        rhs_span: &Range<usize>,
    ) -> Result<Quantity, EvalError> {
        use Quantity::{Date, Measure};
        match (op, lhs, rhs) {
            (Op::Add | Op::Sub, Measure(a, ua), Measure(b, ub)) => {
                if !ua.same_dim(&ub) {
                    let (a_text, b_text) = (ua.describe(), ub.describe());
                    let message = if op == Op::Add {
                        format!("cannot add {a_text} and {b_text}")
                    } else {
                        format!("cannot subtract {b_text} from {a_text}")
                    };
                    return fail(
                        message,
                        format!(
                            "`{}` needs the same kind of quantity on both sides, but {a_text} is {} and {b_text} is {}",
                            op.symbol(),
                            ua.dimension_name(),
                            ub.dimension_name()
                        ),
                    );
                }
                let b = b * ub.factor_to(&ua);
                Ok(Measure(if op == Op::Add { a + b } else { a - b }, ua))
            }
            (Op::Add, Date(d), Measure(t, ut)) | (Op::Add, Measure(t, ut), Date(d)) => {
                Ok(Date(d + months_of(t, &ut)?))
            }
            (Op::Sub, Date(d), Measure(t, ut)) => Ok(Date(d - months_of(t, &ut)?)),
            (Op::Sub, Date(a), Date(b)) => Ok(Measure(a - b, Unit::month())),
            (Op::Add, Date(_), Date(_)) => fail(
                "cannot add two dates",
                "subtract them for the time between (`term_end - term_start`), or use `months_between(a, b)`",
            ),
            (Op::Sub, Measure(_, unit), Date(_)) => fail(
                format!("cannot subtract a date from {}", unit.describe()),
                DATE_HELP,
            ),
            (Op::Mul, Date(_), _) | (Op::Mul, _, Date(_)) => {
                fail("cannot multiply a date", DATE_HELP)
            }
            (Op::Div, Date(_), _) | (Op::Div, _, Date(_)) => {
                fail("cannot divide a date", DATE_HELP)
            }
            (Op::Mul, Measure(a, ua), Measure(b, ub)) => Ok(Measure(a * b, ua.mul(&ub))),
            (Op::Div, Measure(a, ua), Measure(b, ub)) => {
                if b == 0.0 {
                    let divisor = self.text(rhs_span);
                    return fail(
                        format!("division by zero: `{divisor}` is 0"),
                        format!("a divisor must not be zero: check the figures in `{divisor}`"),
                    );
                }
                Ok(Measure(a / b, ua.div(&ub)))
            }
        }
    }

    fn call(&self, name: &str, args: &[Expr]) -> Result<Quantity, EvalError> {
        use Quantity::{Date, Measure};
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.eval(arg)?);
        }
        match (name, values.as_slice()) {
            ("months_between", [Date(a), Date(b)]) => Ok(Measure(b - a, Unit::month())),
            ("months_between", [a, b]) => {
                let (which, other) = if matches!(a, Date(_)) {
                    ("second", b)
                } else {
                    ("first", a)
                };
                fail(
                    format!(
                        "months_between needs two dates, but its {which} argument is {}",
                        other.describe()
                    ),
                    "pass two figures with `unit: date`, e.g. `months_between(term_start, term_end)`",
                )
            }
            ("min" | "max", [a, b]) => {
                let pick_first = |x: f64, y: f64| if name == "min" { x <= y } else { x >= y };
                match (a, b) {
                    (Date(x), Date(y)) => Ok(Date(if pick_first(*x, *y) { *x } else { *y })),
                    (Measure(x, ux), Measure(y, uy)) if ux.same_dim(uy) => {
                        let y = y * uy.factor_to(ux);
                        Ok(Measure(if pick_first(*x, y) { *x } else { y }, ux.clone()))
                    }
                    _ => fail(
                        format!(
                            "cannot compare {} and {} in `{name}`",
                            a.describe(),
                            b.describe()
                        ),
                        format!("`{name}` needs two quantities of the same kind"),
                    ),
                }
            }
            ("abs", [Measure(v, unit)]) => Ok(Measure(v.abs(), unit.clone())),
            ("round", [Measure(v, unit)]) if unit.is_plain() => {
                // Rounds the plain value: a ratio of USD/month to USD/year is first made a
                // number (x 12), so `round` never depends on how the units happened to cancel.
                Ok(Measure(
                    (v * unit.factor_to(&Unit::one())).round(),
                    Unit::one(),
                ))
            }
            ("round", [other]) => fail(
                format!(
                    "round() needs a plain number, but its argument is {}",
                    other.describe()
                ),
                "round a ratio or a count, e.g. `round(capacity / 1 MW)`",
            ),
            ("abs", [Date(_)]) => fail("abs() cannot take a date", DATE_HELP),
            _ => fail(format!("unknown function `{name}`"), FUNCTIONS_HELP),
        }
    }
}

/// A time in whole months, as a date moves by calendar months.
fn months_of(time: f64, unit: &Unit) -> Result<f64, EvalError> {
    if unit.is_time() {
        Ok((time * unit.factor_to(&Unit::month())).round())
    } else {
        fail(
            format!("cannot move a date by {}", unit.describe()),
            "add or subtract a time, e.g. `term_start + 1 month`",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::formula::parse;

    fn unit(text: &str) -> Unit {
        Unit::parse(text).unwrap()
    }

    fn run(src: &str) -> Result<Quantity, EvalError> {
        let expr = parse(src).unwrap();
        let lookup = |name: &str| -> Option<Quantity> {
            Some(match name {
                "payment" => Quantity::Measure(1.25e9, unit("USD/month")),
                "capacity" => Quantity::Measure(300.0, unit("MW")),
                "nothing" => Quantity::Measure(0.0, unit("MW")),
                "start" => Quantity::Date(2026.0 * 12.0 + 5.0),
                "end" => Quantity::Date(2029.0 * 12.0 + 4.0),
                _ => return None,
            })
        };
        eval(&expr, src, &lookup)
    }

    fn value_in(src: &str, target: &str) -> f64 {
        let declared = Declared::parse(target).unwrap();
        match run(src).and_then(|q| convert(q, &declared, target)) {
            Ok(v) => v,
            Err(e) => panic!("{src}: {}", e.message),
        }
    }

    fn error(src: &str) -> EvalError {
        match run(src) {
            Ok(q) => panic!("{src} gave {q:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn converts_to_the_declared_unit() {
        assert_eq!(value_in("payment", "USD/year"), 15e9);
        assert_eq!(value_in("payment * 36 month", "USD"), 45e9);
        assert_eq!(value_in("payment / capacity", "USD/MW/year"), 50e6);
        let per_kwh = value_in("payment / capacity", "USD/kWh");
        assert!((per_kwh - 5.7039).abs() < 1e-4, "{per_kwh}");
        assert_eq!(value_in("1000 kW + capacity", "MW"), 301.0);
        assert_eq!(value_in("12 (month/year)", "1"), 1.0);
        assert_eq!(value_in("-capacity", "MW"), -300.0);
        assert_eq!(value_in("max(capacity, 400000 kW)", "MW"), 400.0);
        assert_eq!(value_in("min(capacity, 400000 kW)", "MW"), 300.0);
        assert_eq!(value_in("abs(0 MW - capacity)", "MW"), 300.0);
        assert_eq!(value_in("round(capacity / 7 MW)", "count"), 43.0);
        assert_eq!(value_in("50% * capacity", "MW"), 150.0);
    }

    #[test]
    fn dates_move_by_whole_months() {
        assert_eq!(value_in("months_between(start, end)", "month"), 35.0);
        assert_eq!(
            value_in("months_between(start, end) + 1 month", "month"),
            36.0
        );
        assert_eq!(value_in("end - start", "month"), 35.0);
        assert_eq!(value_in("start + 1 month", "date"), 2026.0 * 12.0 + 6.0);
        assert_eq!(value_in("1 year + start", "date"), 2027.0 * 12.0 + 5.0);
        assert_eq!(value_in("end - 40 day", "date"), 2029.0 * 12.0 + 3.0);
        assert_eq!(value_in("max(start, end)", "date"), 2029.0 * 12.0 + 4.0);
        assert_eq!(error("start + end").message, "cannot add two dates");
        assert_eq!(error("start * 2").message, "cannot multiply a date");
        assert_eq!(
            error("start + capacity").message,
            "cannot move a date by MW"
        );
        assert_eq!(error("-start").message, "cannot negate a date");
        assert_eq!(
            error("months_between(start, capacity)").message,
            "months_between needs two dates, but its second argument is MW"
        );
    }

    #[test]
    fn dimension_mismatches_name_both_units() {
        let e = error("payment + capacity");
        assert_eq!(e.message, "cannot add USD/month and MW");
        assert!(e.help.unwrap().contains("money per time"));
        assert_eq!(
            error("payment - capacity").message,
            "cannot subtract MW from USD/month"
        );
        assert_eq!(
            error("min(payment, capacity)").message,
            "cannot compare USD/month and MW in `min`"
        );
        assert_eq!(
            error("round(payment)").message,
            "round() needs a plain number, but its argument is USD/month"
        );
        let declared = Declared::parse("MW").unwrap();
        let q = run("payment").unwrap();
        let e = convert(q, &declared, "MW").unwrap_err();
        assert_eq!(e.message, "formula gives USD/month but unit is MW");
        let e = convert(run("payment / capacity").unwrap(), &declared, "MW").unwrap_err();
        assert_eq!(e.message, "formula gives USD/month/MW but unit is MW");
        let e = convert(run("start").unwrap(), &declared, "MW").unwrap_err();
        assert_eq!(e.message, "formula gives a date but unit is MW");
    }

    #[test]
    fn division_by_zero_names_the_divisor() {
        assert_eq!(
            error("payment / nothing").message,
            "division by zero: `nothing` is 0"
        );
        assert_eq!(
            error("payment / (capacity - capacity)").message,
            "division by zero: `(capacity - capacity)` is 0"
        );
    }

    #[test]
    fn non_finite_results_are_problems() {
        let e = error("1e300 * 1e300");
        assert!(e.message.contains("not a finite number"), "{}", e.message);
    }

    #[test]
    fn calls_are_checked_before_evaluation() {
        let expr = parse("mins(a, b) + abs(a, b) + max(a, b)").unwrap();
        let problems = check_calls(&expr);
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].1.message, "unknown function `mins`");
        assert!(
            problems[0]
                .1
                .help
                .as_deref()
                .unwrap()
                .starts_with("did you mean `min`?")
        );
        assert_eq!(problems[1].1.message, "`abs` takes 1 argument, not 2");
    }
}
