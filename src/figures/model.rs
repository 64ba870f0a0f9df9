//! Figures: the model: each figure as read from the file (a [`Spec`]), and the figures as
//! a graph ([`Model`]): what each depends on, the order to evaluate them in, the
//! assumptions each rests on, and a run of the whole model at chosen range ends.

use std::collections::{BTreeSet, HashMap};

use super::Kind;
use super::diagnostics::At;
use super::eval::{self, EvalError, Quantity};
use super::format::{format_declared, written_digits};
use super::formula::Expr;
use super::units::Declared;

/// One figure as read from the file, before evaluation. Fields that had a problem are None;
/// the figure still takes part so that formulas know its name.
#[derive(Debug)]
pub(super) struct Spec {
    pub(super) name: String,
    pub(super) line: usize,
    pub(super) column: usize,
    pub(super) label: String,
    pub(super) note: Option<String>,
    pub(super) qualifier: Option<String>,
    /// `precision:` as declared; without it the rounding policy decides ([`Rounding`]).
    pub(super) precision: Option<usize>,
    pub(super) unit_text: String,
    pub(super) unit: Option<Declared>,
    pub(super) kind: Option<Kind>,
    pub(super) source: Option<String>,
    pub(super) quote: Option<String>,
    pub(super) why: Option<String>,
    pub(super) formula: Option<String>,
    pub(super) expr: Option<Expr>,
    pub(super) inputs: Vec<String>,
    pub(super) literal: Option<Quantity>,
    /// Assumption only: the low and high ends of `range:`.
    pub(super) range: Option<(Quantity, Quantity)>,
    /// The formula calls an unknown function or names an unknown figure.
    pub(super) blocked: bool,
}

impl Spec {
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn range(&self) -> Option<&(Quantity, Quantity)> {
        self.range.as_ref()
    }

    /// A value of this assumption (an end of its range) as the prose would show it, without
    /// the qualifier: with the digits it was written with, as the figure itself is shown.
    pub(super) fn show(&self, value: &Quantity) -> String {
        let number = value.number();
        let precision = self.precision.unwrap_or_else(|| written_digits(number));
        self.unit
            .as_ref()
            .and_then(|unit| format_declared(number, unit, &self.unit_text, precision, None).ok())
            .map_or_else(|| number.to_string(), |f| f.display)
    }

    pub(super) fn at(&self) -> At<'_> {
        At {
            what: "figure",
            name: &self.name,
            line: self.line,
            column: self.column,
        }
    }

    /// Whether the value can be computed. Problems that do not touch the value (a typo in
    /// `note`, an unknown source) leave it ready, so the figures after it are still checked.
    pub(super) fn ready(&self) -> bool {
        self.unit.is_some()
            && match self.kind {
                Some(Kind::Derived) => self.expr.is_some() && !self.blocked,
                Some(_) => self.literal.is_some(),
                None => false,
            }
    }
}

/// The figures as a graph: what each one depends on, the order to evaluate them in, and the
/// assumptions each rests on (an assumption rests on itself).
#[derive(Debug)]
pub(super) struct Model {
    pub(super) specs: Vec<Spec>,
    pub(super) index: HashMap<String, usize>,
    pub(super) deps: Vec<Vec<usize>>,
    pub(super) order: Vec<usize>,
    pub(super) rests_on: Vec<BTreeSet<String>>,
}

impl Model {
    pub(super) fn new(specs: Vec<Spec>) -> Model {
        let index: HashMap<String, usize> = specs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        let deps: Vec<Vec<usize>> = specs
            .iter()
            .map(|s| {
                s.inputs
                    .iter()
                    .filter_map(|n| index.get(n.as_str()).copied())
                    .collect()
            })
            .collect();
        let order = topological(&deps);
        let mut rests_on: Vec<BTreeSet<String>> = vec![BTreeSet::new(); specs.len()];
        for &i in &order {
            let (Some(spec), Some(dep)) = (specs.get(i), deps.get(i)) else {
                continue;
            };
            let set: BTreeSet<String> = match spec.kind {
                Some(Kind::Assumption) => BTreeSet::from([spec.name.clone()]),
                Some(Kind::Derived) => dep
                    .iter()
                    .filter_map(|&d| rests_on.get(d))
                    .flatten()
                    .cloned()
                    .collect(),
                _ => BTreeSet::new(),
            };
            if let Some(slot) = rests_on.get_mut(i) {
                *slot = set;
            }
        }
        Model {
            specs,
            index,
            deps,
            order,
            rests_on,
        }
    }

    pub(super) fn index_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub(super) fn rests_on(&self, i: usize) -> &BTreeSet<String> {
        static NONE: BTreeSet<String> = BTreeSet::new();
        self.rests_on.get(i).unwrap_or(&NONE)
    }

    /// Every figure's value (in its declared unit) with the assumptions in `fixed` (by spec
    /// index) set to other values. `Ok(None)` where the value cannot be computed for a reason
    /// reported elsewhere: a problem in the figure or in an input.
    pub(super) fn run(
        &self,
        fixed: &[(usize, Quantity)],
    ) -> Vec<Result<Option<Quantity>, EvalError>> {
        let mut values: Vec<Option<Quantity>> = vec![None; self.specs.len()];
        let mut results: Vec<Result<Option<Quantity>, EvalError>> =
            (0..self.specs.len()).map(|_| Ok(None)).collect();
        for &i in &self.order {
            let (Some(spec), Some(deps)) = (self.specs.get(i), self.deps.get(i)) else {
                continue;
            };
            let result = if spec.ready() {
                self.value(i, spec, deps, fixed, &values)
            } else {
                Ok(None)
            };
            if let (Some(slot), Ok(value)) = (values.get_mut(i), &result) {
                slot.clone_from(value);
            }
            if let Some(slot) = results.get_mut(i) {
                *slot = result;
            }
        }
        results
    }

    pub(super) fn value(
        &self,
        i: usize,
        spec: &Spec,
        deps: &[usize],
        fixed: &[(usize, Quantity)],
        values: &[Option<Quantity>],
    ) -> Result<Option<Quantity>, EvalError> {
        let Some(unit) = spec.unit.as_ref() else {
            return Ok(None);
        };
        if spec.kind != Some(Kind::Derived) {
            let set = fixed.iter().find(|(j, _)| *j == i).map(|(_, q)| q);
            return Ok(set.or(spec.literal.as_ref()).cloned());
        }
        if deps
            .iter()
            .any(|&d| values.get(d).is_none_or(Option::is_none))
        {
            return Ok(None);
        }
        let (Some(expr), Some(src)) = (spec.expr.as_ref(), spec.formula.as_deref()) else {
            return Ok(None);
        };
        let lookup = |name: &str| {
            self.index
                .get(name)
                .and_then(|&i| values.get(i))
                .and_then(Clone::clone)
        };
        let q = eval::eval(expr, src, &lookup)?;
        let converted = eval::convert(q, unit, &spec.unit_text)?;
        Ok(Some(match unit {
            Declared::Date => Quantity::Date(converted),
            Declared::Measure(u) => Quantity::Measure(converted, u.clone()),
        }))
    }
}

/// Kahn's algorithm, taking ready figures in declaration order; figures in or behind a
/// cycle are left out.
fn topological(deps: &[Vec<usize>]) -> Vec<usize> {
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); deps.len()];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            if let Some(list) = dependents.get_mut(d) {
                list.push(i);
            }
        }
    }
    let mut order: Vec<usize> = (0..deps.len())
        .filter(|&i| waiting.get(i) == Some(&0))
        .collect();
    let mut next = 0;
    while let Some(&i) = order.get(next) {
        next += 1;
        for &j in dependents.get(i).map_or(&[][..], Vec::as_slice) {
            if let Some(w) = waiting.get_mut(j) {
                *w -= 1;
                if *w == 0 {
                    order.push(j);
                }
            }
        }
    }
    order
}

/// A figure's or a scenario's label when it gives none: its name with `_` as spaces and a
/// capital first letter.
pub(super) fn default_label(name: &str) -> String {
    crate::util::text::capitalise(name.replace('_', " ").trim())
}
