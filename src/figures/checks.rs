//! Figures: test the claims of `checks:` — comparisons between figures that must hold for a
//! sentence of the briefing to be true — at the base values and at every end of every range.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::diagnostics::{At, Loader};
use super::eval::{self, EvalError, Quantity};
use super::format::{DEFAULT_PRECISION, format_declared};
use super::formula::{self, Expr, char_pos};
use super::model::Model;
use super::ranges::Corners;
use super::units::Declared;
use super::{Check, CheckSide, Figure};
use crate::util::error::did_you_mean;

const CHECK_KEYS: [&str; 2] = ["formula", "protects"];

const FORMULA_HELP: &str = "a check compares two expressions with one of >=, <=, >, < or ==, \
e.g. `formula: full_rate_value >= reported_total`";

/// Figures closer than this (relative) are equal: a sum of months and a product can differ
/// in the last bits.
pub(super) const TOLERANCE: f64 = 1e-9;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    AtLeast,
    AtMost,
    Above,
    Below,
    Equal,
}

impl Operator {
    fn symbol(self) -> &'static str {
        match self {
            Operator::AtLeast => ">=",
            Operator::AtMost => "<=",
            Operator::Above => ">",
            Operator::Below => "<",
            Operator::Equal => "==",
        }
    }

    fn holds(self, left: f64, right: f64) -> bool {
        let slack = TOLERANCE * left.abs().max(right.abs());
        match self {
            Operator::AtLeast => left >= right - slack,
            Operator::AtMost => left <= right + slack,
            Operator::Above => left > right + slack,
            Operator::Below => left < right - slack,
            Operator::Equal => (left - right).abs() <= slack,
        }
    }
}

/// A check read from the file, ready to evaluate.
#[derive(Debug)]
pub(super) struct Claim {
    left: (Expr, String),
    operator: Operator,
    right: (Expr, String),
    /// Every figure the two sides name.
    names: Vec<String>,
}

/// Read and test every check; a check that fails, or cannot be read, is a problem. Each
/// check that holds comes with its claim, to test again with other values.
pub(super) fn evaluate(
    loader: &mut Loader,
    raw: &[(String, Json)],
    model: &Model,
    figures: &[Figure],
    corners: &Corners,
) -> Vec<(Check, Claim)> {
    let mut checks = Vec::new();
    let mut seen = BTreeSet::new();
    for (id, entry) in raw {
        let at = loader.at("checks", "check", id);
        if !seen.insert(id.as_str()) {
            loader.report(
                &at,
                "is declared more than once",
                "keep one declaration, or rename one of them",
            );
            continue;
        }
        let Some((fields, meant)) = loader.fields(&at, entry, &CHECK_KEYS) else {
            continue;
        };
        let formula = loader.text_field(&at, fields, "formula");
        let protects = loader.text_field(&at, fields, "protects");
        if !fields.contains_key("formula") && !meant.contains(&"formula") {
            loader.report(&at, "has no `formula:`", FORMULA_HELP);
        }
        if !fields.contains_key("protects") && !meant.contains(&"protects") {
            loader.report(
                &at,
                "has no `protects:`",
                "add `protects:` with the sentence of the briefing that is true only if the check holds",
            );
        }
        let (Some(formula), Some(protects)) = (formula, protects) else {
            continue;
        };
        if let Some(check) = test(loader, &at, &formula, protects, model, figures, corners) {
            checks.push(check);
        }
    }
    checks
}

fn test(
    loader: &mut Loader,
    at: &At,
    formula: &str,
    protects: String,
    model: &Model,
    figures: &[Figure],
    corners: &Corners,
) -> Option<(Check, Claim)> {
    let claim = match read(formula) {
        Ok(claim) => claim,
        Err((position, message, help)) => {
            loader.report(
                at,
                format!("formula `{formula}`, character {position}: {message}"),
                help,
            );
            return None;
        }
    };
    let mut unknown = false;
    for name in &claim.names {
        if model.index_of(name).is_none() {
            unknown = true;
            let help = match did_you_mean(name, model.specs.iter().map(|s| s.name())) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "name a figure declared under `figures:`".to_string(),
            };
            loader.report(
                at,
                format!("formula `{formula}` names an unknown figure `{name}`"),
                help,
            );
        }
    }
    // A figure without a value has a problem of its own already.
    let missing = claim
        .names
        .iter()
        .any(|n| !figures.iter().any(|f| &f.name == n));
    if unknown || missing {
        return None;
    }

    let lookup_in = |values: &[Option<Quantity>]| {
        let values = values.to_vec();
        move |name: &str| {
            model
                .index_of(name)
                .and_then(|i| values.get(i))
                .and_then(Clone::clone)
        }
    };
    let base = match compare(&claim, &lookup_in(&corners.base)) {
        Ok(outcome) => outcome,
        Err(e) => {
            loader.report(
                at,
                format!("formula `{formula}`: {}", e.message),
                e.help.unwrap_or_default(),
            );
            return None;
        }
    };
    let left = side(&claim.left.1, &claim.left.0, &base.0, figures, true);
    let right = side(&claim.right.1, &claim.right.0, &base.1, figures, true);
    let protected = format!("it protects: \"{protects}\"");
    let fix = "correct the figures, or the sentence and this check, so that they agree";
    if !base.2 {
        loader.report(
            at,
            format!("fails: `{formula}` is false: {}", both_sides(&left, &right)),
            format!("{protected}; {fix}"),
        );
        return None;
    }

    let rests_on: BTreeSet<String> = claim
        .names
        .iter()
        .filter_map(|n| model.index_of(n))
        .flat_map(|i| model.rests_on(i).iter().cloned())
        .collect();
    let tested_over = corners.ranged_among(model, &rests_on);
    if !tested_over.is_empty() {
        for corner in &corners.corners {
            // A combination where an input has no value was reported when it was evaluated.
            let Ok((l, r, holds)) = compare(&claim, &lookup_in(&corner.values)) else {
                continue;
            };
            if holds {
                continue;
            }
            let when = corners.describe(model, corner, &rests_on);
            let l = side(&claim.left.1, &claim.left.0, &l, figures, false);
            let r = side(&claim.right.1, &claim.right.0, &r, figures, false);
            loader.report(
                at,
                format!(
                    "fails with {when}: `{formula}` is false: {}",
                    both_sides(&l, &r)
                ),
                format!(
                    "{protected}; the claim must hold across the whole range of the assumptions it \
                     rests on: {fix}, or narrow the range"
                ),
            );
            return None;
        }
    }

    let check = Check {
        id: at.name.to_string(),
        formula: formula.to_string(),
        protects,
        left,
        operator: claim.operator.symbol().to_string(),
        right,
        tested_over,
        line: at.line,
    };
    Some((check, claim))
}

impl Claim {
    /// The two sides and the comparison between them, for the browser's plan to compile.
    pub(super) fn parts(&self) -> (&Expr, &'static str, &Expr) {
        (&self.left.0, self.operator.symbol(), &self.right.0)
    }

    /// Whether the claim holds with the figures' values from `lookup`; None when a side
    /// cannot be evaluated.
    pub(super) fn holds(&self, lookup: &dyn Fn(&str) -> Option<Quantity>) -> Option<bool> {
        compare(self, lookup).ok().map(|(_, _, holds)| holds)
    }
}

/// `left is $37.5 billion (37500000000 USD) and right is more than $40 billion (...)`.
fn both_sides(left: &CheckSide, right: &CheckSide) -> String {
    let one = |s: &CheckSide| {
        let raw = if s.unit == "date" {
            s.display.clone()
        } else {
            format!("{} {}", s.value, s.unit)
        };
        format!("`{}` is {} ({raw})", s.text, s.display)
    };
    format!("{} and {}", one(left), one(right))
}

/// A side as the check reports it: a lone figure in its own unit and words (as it shows
/// itself, at the base values), anything else formatted in the unit it came out in.
fn side(text: &str, expr: &Expr, value: &Quantity, figures: &[Figure], base: bool) -> CheckSide {
    let names = expr.names();
    let lone = match names.as_slice() {
        [(name, _)] if text.trim() == name => figures.iter().find(|f| &f.name == name),
        _ => None,
    };
    if let Some(figure) = lone {
        let display = if base {
            figure.display.clone()
        } else {
            super::format::format(
                value.number(),
                &figure.unit,
                DEFAULT_PRECISION,
                figure.qualifier.as_deref(),
            )
            .map_or_else(|_| value.number().to_string(), |f| f.display)
        };
        return CheckSide {
            text: text.trim().to_string(),
            value: value.number(),
            unit: figure.unit.clone(),
            display,
        };
    }
    let (unit, declared) = match value {
        Quantity::Date(_) => ("date".to_string(), Some(Declared::Date)),
        Quantity::Measure(_, unit) => (unit.text(), Some(Declared::Measure(unit.clone()))),
    };
    let display = declared
        .and_then(|d| format_declared(value.number(), &d, &unit, DEFAULT_PRECISION, None).ok())
        .map_or_else(|| value.number().to_string(), |f| f.display);
    CheckSide {
        text: text.trim().to_string(),
        value: value.number(),
        unit,
        display,
    }
}

/// Both sides' values, and whether the comparison holds.
fn compare(
    claim: &Claim,
    lookup: &dyn Fn(&str) -> Option<Quantity>,
) -> Result<(Quantity, Quantity, bool), EvalError> {
    let left = eval::eval(&claim.left.0, &claim.left.1, lookup)?;
    let right = eval::eval(&claim.right.0, &claim.right.1, lookup)?;
    let (l, r) = match (&left, &right) {
        (Quantity::Date(l), Quantity::Date(r)) => (*l, *r),
        (Quantity::Measure(l, lu), Quantity::Measure(r, ru)) if lu.same_dim(ru) => {
            (*l, r * ru.factor_to(lu))
        }
        _ => {
            return Err(EvalError {
                message: format!(
                    "cannot compare {} with {}",
                    left.describe(),
                    right.describe()
                ),
                help: Some(
                    "both sides must measure the same kind of quantity (money with money, a date \
                     with a date)"
                        .to_string(),
                ),
            });
        }
    };
    let holds = claim.operator.holds(l, r);
    Ok((left, right, holds))
}

/// Split `formula` at its one comparison and parse both sides. Errors carry the 1-based
/// character where the problem is.
fn read(formula: &str) -> Result<Claim, (usize, String, String)> {
    let mut found: Vec<(usize, usize, Option<Operator>)> = Vec::new();
    let mut depth = 0i32;
    let bytes = formula.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let next = bytes.get(i + 1).copied();
        match (b, next) {
            (b'=', Some(turned @ (b'>' | b'<'))) if depth == 0 => {
                let meant = if turned == b'>' { ">=" } else { "<=" };
                return Err((
                    char_pos(formula, i),
                    format!("`={}` is not a comparison", turned as char),
                    format!("did you mean `{meant}`? ({FORMULA_HELP})"),
                ));
            }
            (b'(', _) => depth += 1,
            (b')', _) => depth -= 1,
            (b'>' | b'<' | b'=' | b'!', Some(b'=')) if depth == 0 => {
                let op = match b {
                    b'>' => Some(Operator::AtLeast),
                    b'<' => Some(Operator::AtMost),
                    b'=' => Some(Operator::Equal),
                    _ => None,
                };
                found.push((i, 2, op));
                i += 2;
                continue;
            }
            (b'>', _) if depth == 0 => found.push((i, 1, Some(Operator::Above))),
            (b'<', _) if depth == 0 => found.push((i, 1, Some(Operator::Below))),
            (b'=', _) if depth == 0 => found.push((i, 1, None)),
            _ => {}
        }
        i += 1;
    }
    let position = |at: usize| char_pos(formula, at);
    let (at, len, operator) = match found.as_slice() {
        [] => {
            return Err((1, "has no comparison".to_string(), FORMULA_HELP.to_string()));
        }
        [one] => *one,
        [_, second, ..] => {
            return Err((
                position(second.0),
                "has more than one comparison".to_string(),
                format!("{FORMULA_HELP}; write one check per comparison"),
            ));
        }
    };
    let Some(operator) = operator else {
        let written = formula.get(at..at + len).unwrap_or("=");
        return Err((
            position(at),
            format!("`{written}` is not a comparison"),
            FORMULA_HELP.to_string(),
        ));
    };
    let left_text = formula.get(..at).unwrap_or("");
    let right_start = at + len;
    let right_text = formula.get(right_start..).unwrap_or("");
    let parse_side = |text: &'_ str, offset: usize| {
        let expr = formula::parse(text).map_err(|e| {
            (
                position(offset) + e.at - 1,
                e.message,
                e.help.unwrap_or_else(|| FORMULA_HELP.to_string()),
            )
        })?;
        if let Some((span, e)) = eval::check_calls(&expr).into_iter().next() {
            return Err((
                position(offset + span.start),
                e.message,
                e.help.unwrap_or_default(),
            ));
        }
        Ok(expr)
    };
    let left = parse_side(left_text, 0)?;
    let right = parse_side(right_text, right_start)?;
    let mut names: Vec<String> = left.names().into_iter().map(|(n, _)| n).collect();
    for (name, _) in right.names() {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(Claim {
        left: (left, left_text.to_string()),
        operator,
        right: (right, right_text.to_string()),
        names,
    })
}
