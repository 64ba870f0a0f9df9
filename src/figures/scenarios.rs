//! Figures: the model run again with other values of its assumptions — the named scenarios
//! of `scenarios:`, and any set of values a sensitivity table, a tornado chart or a reader's
//! what-if asks for — each figure formatted by the same rounding policy as its base value.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;

use super::checks::Claim;
use super::diagnostics::{At, Loader};
use super::eval::Quantity;
use super::format::{Rounding, format_rounded};
use super::model::{Model, Spec};
use super::units::Declared;
use super::{Figure, Kind};
use crate::util::error::did_you_mean;

const SCENARIO_KEYS: [&str; 4] = ["label", "description", "assumptions", "outside_range"];

/// The model, kept after loading so that it can be run with other values.
#[derive(Debug)]
pub(super) struct Calculator {
    pub(super) model: Model,
    /// Every check that holds at the base values, by id, in declaration order.
    pub(super) claims: Vec<(String, Claim)>,
}

/// A figure's value in one run of the model, and how the prose shows it there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// In the figure's own unit (months since year 0 for a date).
    pub value: f64,
    /// "about $43 billion", by the figure's rounding policy.
    pub display: String,
    /// The display without the rate words of money.
    pub number: String,
}

/// Every figure's outcome in one run of the model, and the checks that fail in it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    outcomes: BTreeMap<String, Outcome>,
    failing: Vec<String>,
}

impl Evaluation {
    pub fn get(&self, name: &str) -> Option<&Outcome> {
        self.outcomes.get(name)
    }

    /// The ids of the checks that do not hold in this run, in declaration order.
    pub fn failing_checks(&self) -> &[String] {
        &self.failing
    }
}

/// What cannot be run: a name that is not an assumption, or a value the formulas cannot take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunError {
    pub message: String,
    pub help: String,
}

/// A named set of assumptions, declared under `scenarios:`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub name: String,
    /// `label:`, or the name with `_` as spaces and a capital first letter.
    pub label: String,
    /// One line saying what the scenario supposes.
    pub description: String,
    /// It sets an assumption outside its range (which it may only with `outside_range:
    /// true`), and the reader is told so.
    pub outside_range: bool,
    /// The assumptions it sets, in the order written.
    pub assumptions: Vec<Setting>,
    /// 1-based line of the scenario's key in the file.
    pub line: usize,
}

/// One assumption a scenario sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    pub figure: String,
    /// The assumption's label as a sentence shows it: "length of the discounted start".
    pub label: String,
    /// In the assumption's own unit, like [`Figure::value`].
    pub value: f64,
    /// As the prose shows it: "12 months".
    pub display: String,
    /// Outside the assumption's range.
    pub outside_range: bool,
}

/// A figure's value in one scenario, as [`Figure::scenarios`] lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioValue {
    pub scenario: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Calculator {
    /// Run the model with the assumptions in `set` (name, value in the assumption's unit) and
    /// every other assumption at its base value: every figure formatted, every check tested.
    pub(super) fn evaluate(&self, set: &[(String, f64)]) -> Result<Evaluation, RunError> {
        let (values, failing) = self.run(set)?;
        let model = &self.model;
        let mut outcomes = BTreeMap::new();
        for (i, (spec, value)) in model.specs.iter().zip(&values).enumerate() {
            if let Some(value) = value {
                let estimate = !model.rests_on(i).is_empty();
                outcomes.insert(spec.name().to_string(), outcome(spec, estimate, value)?);
            }
        }
        Ok(Evaluation { outcomes, failing })
    }

    /// [`Calculator::evaluate`] for one figure (spec index `figure`): only it is formatted,
    /// as a table cell or a tornado's bar needs. None when it has no value.
    pub(super) fn evaluate_one(
        &self,
        set: &[(String, f64)],
        figure: usize,
    ) -> Result<(Option<Outcome>, Vec<String>), RunError> {
        let (values, failing) = self.run(set)?;
        let model = &self.model;
        let shown = match (model.specs.get(figure), values.get(figure)) {
            (Some(spec), Some(Some(value))) => {
                Some(outcome(spec, !model.rests_on(figure).is_empty(), value)?)
            }
            _ => None,
        };
        Ok((shown, failing))
    }

    /// Every figure's value with the assumptions in `set`, and the checks that fail then.
    fn run(&self, set: &[(String, f64)]) -> Result<(Vec<Option<Quantity>>, Vec<String>), RunError> {
        let model = &self.model;
        let mut fixed = Vec::with_capacity(set.len());
        for (name, value) in set {
            let i = self.assumption(name)?;
            let spec = model.specs.get(i).ok_or_else(|| not_assumption(name))?;
            fixed.push((i, quantity(spec, *value)?));
        }
        let mut values = Vec::with_capacity(model.specs.len());
        for (spec, result) in model.specs.iter().zip(model.run(&fixed)) {
            match result {
                Ok(value) => values.push(value),
                Err(e) => {
                    return Err(RunError {
                        message: format!("figure `{}`: {}", spec.name(), e.message),
                        help: e.help.unwrap_or_default(),
                    });
                }
            }
        }
        let lookup = |name: &str| {
            model
                .index_of(name)
                .and_then(|i| values.get(i))
                .and_then(Clone::clone)
        };
        let failing = self
            .claims
            .iter()
            .filter(|(_, claim)| claim.holds(&lookup) == Some(false))
            .map(|(id, _)| id.clone())
            .collect();
        Ok((values, failing))
    }

    /// The spec index of the assumption called `name`.
    pub(super) fn assumption(&self, name: &str) -> Result<usize, RunError> {
        let model = &self.model;
        let Some((i, spec)) = model
            .index_of(name)
            .and_then(|i| Some((i, model.specs.get(i)?)))
        else {
            let assumptions = model
                .specs
                .iter()
                .filter(|s| s.kind == Some(Kind::Assumption))
                .map(Spec::name);
            let mut error = not_assumption(name);
            if let Some(s) = did_you_mean(name, assumptions) {
                error.help = format!("did you mean `{s}`?");
            }
            return Err(error);
        };
        if spec.kind == Some(Kind::Assumption) {
            return Ok(i);
        }
        let what = match spec.kind {
            Some(Kind::Reported) => "a reported figure",
            _ => "a derived figure",
        };
        Err(RunError {
            message: format!("`{name}` is {what}, not an assumption"),
            help: "only an assumption (a figure with `why:`) can take other values; a reported \
                   figure is what its source says, a derived one follows from its formula"
                .to_string(),
        })
    }

    /// An assumption's value as the prose would show it: as its own value and its range
    /// are shown ([`Spec::show`]).
    pub(super) fn show(&self, i: usize, value: f64) -> String {
        self.model
            .specs
            .get(i)
            .and_then(|spec| Some(spec.show(&quantity(spec, value).ok()?)))
            .unwrap_or_else(|| value.to_string())
    }
}

fn not_assumption(name: &str) -> RunError {
    RunError {
        message: format!("unknown assumption `{name}`"),
        help: "name an assumption declared under `figures:` (a figure with `why:`)".to_string(),
    }
}

/// `value`, in the unit `spec` declares, as a quantity the model computes with.
fn quantity(spec: &Spec, value: f64) -> Result<Quantity, RunError> {
    if !value.is_finite() {
        return Err(RunError {
            message: format!("`{}` must be a finite number", spec.name()),
            help: "give a number".to_string(),
        });
    }
    match &spec.unit {
        Some(Declared::Date) => Ok(Quantity::Date(value)),
        Some(Declared::Measure(unit)) => Ok(Quantity::Measure(value, unit.clone())),
        None => Err(not_assumption(spec.name())),
    }
}

/// A value of `spec` formatted by the rounding policy, as its base value is.
fn outcome(spec: &Spec, estimate: bool, value: &Quantity) -> Result<Outcome, RunError> {
    let number = value.number();
    let (Some(kind), Some(unit)) = (spec.kind, &spec.unit) else {
        return Err(not_assumption(spec.name()));
    };
    let estimate = estimate && kind == Kind::Derived;
    let rounding = Rounding::for_figure(kind, estimate, spec.precision, number);
    let shown = format_rounded(
        number,
        unit,
        &spec.unit_text,
        rounding,
        spec.qualifier.as_deref(),
    )
    .map_err(|e| RunError {
        message: format!("figure `{}` cannot be shown: {e}", spec.name()),
        help: "check the values the scenario sets".to_string(),
    })?;
    Ok(Outcome {
        value: number,
        display: shown.display,
        number: shown.number,
    })
}

/// Read `scenarios:`, run each one, and give every figure its value in each. A scenario
/// that sets something other than an assumption, sets one outside its range without
/// `outside_range: true`, or makes a check fail, is a problem.
pub(super) fn load(
    loader: &mut Loader,
    raw: &[(String, Json)],
    calculator: &Calculator,
    figures: &mut [Figure],
    checks: &[super::Check],
) -> Vec<Scenario> {
    let mut scenarios = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (name, entry) in raw {
        let at = loader.at("scenarios", "scenario", name);
        if !loader.new_name(
            &at,
            &mut seen,
            "a scenario name has letters, digits and `_` and starts with a letter, e.g. \
                 `slow_ramp`, so that pages can refer to it",
        ) {
            continue;
        }
        let Some(scenario) = read(loader, &at, entry, calculator) else {
            continue;
        };
        let set: Vec<(String, f64)> = scenario
            .assumptions
            .iter()
            .map(|s| (s.figure.clone(), s.value))
            .collect();
        let evaluation = match calculator.evaluate(&set) {
            Ok(evaluation) => evaluation,
            Err(e) => {
                loader.report(&at, format!("cannot be computed: {}", e.message), e.help);
                continue;
            }
        };
        for id in evaluation.failing_checks() {
            let protects = checks
                .iter()
                .find(|c| &c.id == id)
                .map_or("", |c| c.protects.as_str());
            let formula = checks
                .iter()
                .find(|c| &c.id == id)
                .map_or("", |c| c.formula.as_str());
            loader.report(
                &at,
                format!("check `{id}` fails in this scenario: `{formula}` is false"),
                format!(
                    "it protects: \"{protects}\"; every check must hold in every scenario: change \
                     the values the scenario sets, or the sentence and the check"
                ),
            );
        }
        for figure in figures.iter_mut() {
            if let Some(outcome) = evaluation.get(&figure.name) {
                figure.scenarios.push(ScenarioValue {
                    scenario: scenario.name.clone(),
                    outcome: outcome.clone(),
                });
            }
        }
        scenarios.push(scenario);
    }
    scenarios
}

/// One scenario's fields; None when it has a problem (reported).
fn read(loader: &mut Loader, at: &At, entry: &Json, calculator: &Calculator) -> Option<Scenario> {
    let (fields, meant) = loader.fields(at, entry, &SCENARIO_KEYS)?;
    let mut ok = true;
    let label = loader
        .text_field(at, fields, "label")
        .unwrap_or_else(|| super::model::default_label(at.name));
    let description = loader.text_field(at, fields, "description");
    if description.is_none()
        && !fields.contains_key("description")
        && !meant.contains(&"description")
    {
        loader.report(
            at,
            "has no `description:`",
            "add `description:` with one line saying what the scenario supposes",
        );
    }
    let outside_range = match fields.get("outside_range") {
        None => false,
        Some(Json::Bool(b)) => *b,
        Some(other) => {
            loader.report(
                at,
                format!(
                    "`outside_range:` should be true or false, not {}",
                    super::diagnostics::json_kind(other)
                ),
                "write `outside_range: true` to allow values outside the assumptions' ranges",
            );
            ok = false;
            false
        }
    };
    let mut assumptions = Vec::new();
    match fields.get("assumptions") {
        None | Some(Json::Null) => {}
        Some(Json::Object(set)) => {
            for (name, value) in set {
                match setting(loader, at, calculator, name, value, outside_range) {
                    Some(s) => assumptions.push(s),
                    None => ok = false,
                }
            }
        }
        Some(other) => {
            loader.report(
                at,
                format!(
                    "`assumptions:` should be a mapping from assumption to value, not {}",
                    super::diagnostics::json_kind(other)
                ),
                "indent one `name: value` per line under `assumptions:`, e.g. `ramp_months: 12`",
            );
            ok = false;
        }
    }
    let description = description?;
    ok.then(|| Scenario {
        name: at.name.to_string(),
        label,
        description,
        outside_range: assumptions.iter().any(|a| a.outside_range),
        assumptions,
        line: at.line,
    })
}

fn setting(
    loader: &mut Loader,
    at: &At,
    calculator: &Calculator,
    name: &str,
    value: &Json,
    outside_allowed: bool,
) -> Option<Setting> {
    let i = match calculator.assumption(name) {
        Ok(i) => i,
        Err(e) => {
            loader.report(at, format!("`assumptions:` sets {}", e.message), e.help);
            return None;
        }
    };
    let spec = calculator.model.specs.get(i)?;
    let key = format!("assumptions: {name}");
    let value = loader
        .literal(at, &key, value, spec.unit.as_ref())?
        .number();
    let outside = spec
        .range()
        .is_some_and(|(low, high)| value < low.number() || value > high.number());
    let display = calculator.show(i, value);
    if outside && !outside_allowed {
        let range = spec
            .range()
            .map(|(low, high)| super::format::range_text(&spec.show(low), &spec.show(high)))
            .unwrap_or_default();
        loader.report(
            at,
            format!("sets `{name}` to {display}, outside its range ({range})"),
            "choose a value within the range, or add `outside_range: true` to the scenario: \
             readers are then told that it goes beyond the desk's ranges",
        );
        return None;
    }
    Some(Setting {
        figure: name.to_string(),
        label: crate::util::text::lower_first(&spec.label),
        value,
        display,
        outside_range: outside,
    })
}
