//! Figures: the model compiled for a browser — each derived figure's formula as a tree of
//! plain f64 operations, every unit conversion `eval` would make resolved here to a constant,
//! so that a script running the tree with other assumptions performs the same IEEE operations
//! in the same order as `eval` and gets the very same numbers.
//!
//! A node is a JSON array whose first item names the operation:
//! `["n", x]` a number, `["v", i]` the value of figure `i` (in its declared unit),
//! `["neg", a]`, `["add"|"sub", a, b, f]` a ± b × f, `["mul"|"div", a, b]`,
//! `["dadd"|"dsub", d, t, f]` a date moved by round(t × f) months, `["min"|"max", a, b, f]`
//! (comparing a with b × f, the first kept on a tie), `["abs", a]`, `["round", a, f]`
//! round(a × f) half away from zero. A figure's value is its tree's result times `to`
//! (absent for a date).

use serde::Serialize;
use serde_json::{Value as Json, json};

use super::checks::TOLERANCE;
use super::formula::{Expr, ExprKind, Op};
use super::model::Model;
use super::scenarios::Calculator;
use super::units::{Declared, Unit};
use super::{ChartData, Figures, Kind};

/// Everything a script needs to run the model again and show its figures.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// In declaration order; formulas refer to figures by their index here.
    pub figures: Vec<PlanFigure>,
    /// Indices of [`Plan::figures`] in the order to compute them (inputs first).
    pub order: Vec<usize>,
    pub checks: Vec<PlanCheck>,
    pub charts: Vec<PlanChart>,
    /// How close (relative) two sides of a check `==` must be; the slack of `>=` and `<=`.
    pub tolerance: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanFigure {
    pub name: String,
    pub label: String,
    pub kind: Kind,
    pub estimate: bool,
    /// As declared: `USD/MW/month`, `date`.
    pub unit: String,
    /// Whether the unit is `date` (the value is months since year 0).
    pub date: bool,
    /// The declared unit's atoms with their powers, in the order written: what the
    /// formatter reads ("$…" for `USD`, "… months" for `month`).
    pub atoms: Vec<(String, i32)>,
    /// `precision:` as declared.
    pub precision: Option<usize>,
    pub qualifier: Option<String>,
    /// The base value: the desk's, for an assumption.
    pub value: f64,
    /// Assumption only: the ends of its range.
    pub range: Option<[f64; 2]>,
    /// The range as the prose shows it (tooltips repeat it).
    pub range_display: Option<String>,
    pub formula: Option<String>,
    /// Derived only: the formula compiled, and the factor to the declared unit.
    pub plan: Option<Json>,
    pub to: Option<f64>,
    pub inputs: Vec<String>,
    pub assumptions: Vec<String>,
}

/// A check: `left op right × factor` must hold, with [`Plan::tolerance`].
#[derive(Debug, Clone, Serialize)]
pub struct PlanCheck {
    pub id: String,
    pub protects: String,
    pub formula: String,
    pub left: Json,
    pub op: &'static str,
    pub right: Json,
    pub factor: f64,
}

/// A figure read in another unit: value × factor (a date is read as it is).
#[derive(Debug, Clone, Serialize)]
pub struct Reading {
    pub figure: String,
    pub factor: f64,
}

/// What a chart is drawn from, for a script to draw it again.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PlanChart {
    Schedule {
        name: String,
        title: String,
        /// In USD a month.
        rate: Reading,
        start: String,
        end: String,
        /// In months, and as a share.
        ramp_months: Option<Reading>,
        ramp_start: Option<Reading>,
        /// In USD.
        reference: Option<Reading>,
        total: Option<String>,
    },
    Bars {
        name: String,
        title: String,
        unit: String,
        /// The chart's unit's atoms, as [`PlanFigure::atoms`].
        atoms: Vec<(String, i32)>,
        /// Each bar in the chart's unit, with its range at the desk's values.
        bars: Vec<PlanBar>,
    },
    Tornado {
        name: String,
        title: String,
        figure: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanBar {
    pub reading: Reading,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// The static type of a node: what `eval` would hold at run time.
#[derive(Clone)]
enum Ty {
    Measure(Unit),
    Date,
}

/// The model compiled; None where a formula cannot be (it could not have been evaluated
/// either, so a loaded model never gives None).
pub(super) fn compile(figures: &Figures, calculator: &Calculator) -> Option<Plan> {
    let model = &calculator.model;
    let mut list = Vec::with_capacity(model.specs.len());
    for (i, spec) in model.specs.iter().enumerate() {
        let figure = figures.get(spec.name())?;
        let unit = spec.unit.as_ref()?;
        let (plan, to) = match (&spec.expr, spec.kind) {
            (Some(expr), Some(Kind::Derived)) => {
                let (node, ty) = node(expr, model)?;
                (Some(node), to_declared(&ty, unit)?)
            }
            _ => (None, None),
        };
        let range = spec
            .range()
            .map(|(low, high)| [low.number(), high.number()]);
        list.push(PlanFigure {
            name: figure.name.clone(),
            label: figure.label.clone(),
            kind: figure.kind,
            estimate: figure.estimate,
            unit: figure.unit.clone(),
            date: matches!(unit, Declared::Date),
            atoms: atoms(unit),
            precision: spec.precision,
            qualifier: spec.qualifier.clone(),
            value: base_value(spec, figure.value),
            range,
            range_display: figure.range.as_ref().map(|r| r.display.clone()),
            formula: figure.formula.clone(),
            plan,
            to,
            inputs: figure.inputs.clone(),
            assumptions: figure.assumptions.clone(),
        });
        debug_assert_eq!(list.len(), i + 1);
    }
    let checks = calculator
        .claims
        .iter()
        .map(|(id, claim)| check(figures, model, id, claim))
        .collect::<Option<Vec<_>>>()?;
    let charts = figures.charts().filter_map(|c| chart(figures, c)).collect();
    Some(Plan {
        figures: list,
        order: model.order.clone(),
        checks,
        charts,
        tolerance: TOLERANCE,
    })
}

/// A reported figure or an assumption starts from its literal, a derived one from its value.
fn base_value(spec: &super::model::Spec, value: f64) -> f64 {
    spec.literal.as_ref().map_or(value, |q| q.number())
}

fn atoms(unit: &Declared) -> Vec<(String, i32)> {
    match unit {
        Declared::Date => Vec::new(),
        Declared::Measure(u) => u.atoms().iter().map(|&(a, p)| (a.to_string(), p)).collect(),
    }
}

/// The factor `eval::convert` multiplies a result by; `Some(None)` for a date.
fn to_declared(ty: &Ty, declared: &Declared) -> Option<Option<f64>> {
    match (ty, declared) {
        (Ty::Date, Declared::Date) => Some(None),
        (Ty::Measure(unit), Declared::Measure(want)) if unit.same_dim(want) => {
            Some(Some(unit.factor_to(want)))
        }
        _ => None,
    }
}

fn check(
    figures: &Figures,
    model: &Model,
    id: &str,
    claim: &super::checks::Claim,
) -> Option<PlanCheck> {
    let (left, op, right) = claim.parts();
    let (left, left_ty) = node(left, model)?;
    let (right, right_ty) = node(right, model)?;
    let factor = match (&left_ty, &right_ty) {
        (Ty::Date, Ty::Date) => 1.0,
        (Ty::Measure(l), Ty::Measure(r)) if l.same_dim(r) => r.factor_to(l),
        _ => return None,
    };
    let declared = figures.checks().find(|c| c.id == id)?;
    Some(PlanCheck {
        id: id.to_string(),
        protects: declared.protects.clone(),
        formula: declared.formula.clone(),
        left,
        op,
        right,
        factor,
    })
}

/// `figure` read in `unit`, as `series` converts it.
fn reading(figures: &Figures, figure: &str, unit: &str) -> Option<Reading> {
    let from = Declared::parse(&figures.get(figure)?.unit).ok()?;
    let factor = match (from, Declared::parse(unit).ok()?) {
        (Declared::Date, Declared::Date) => 1.0,
        (Declared::Measure(from), Declared::Measure(to)) if from.same_dim(&to) => {
            from.factor_to(&to)
        }
        _ => return None,
    };
    Some(Reading {
        figure: figure.to_string(),
        factor,
    })
}

fn chart(figures: &Figures, chart: &super::Chart) -> Option<PlanChart> {
    let name = chart.name.clone();
    let title = chart.title.clone();
    let read = |figure: &Option<String>, unit: &str| match figure {
        Some(f) => reading(figures, f, unit).map(Some),
        None => Some(None),
    };
    Some(match &chart.data {
        ChartData::Schedule(s) => PlanChart::Schedule {
            name,
            title,
            rate: reading(figures, &s.rate, "USD/month")?,
            start: s.start_figure.clone(),
            end: s.end.clone(),
            ramp_months: read(&s.ramp_months_figure, "month")?,
            ramp_start: read(&s.ramp_start_figure, "1")?,
            reference: read(&s.reference, "USD")?,
            total: s.total.clone(),
        },
        ChartData::Bars { unit, bars } => PlanChart::Bars {
            name,
            title,
            unit: unit.clone(),
            atoms: atoms(&Declared::parse(unit).ok()?),
            bars: bars
                .iter()
                .map(|b| {
                    Some(PlanBar {
                        reading: reading(figures, &b.figure, unit)?,
                        low: b.low,
                        high: b.high,
                    })
                })
                .collect::<Option<Vec<_>>>()?,
        },
        ChartData::Tornado(t) => PlanChart::Tornado {
            name,
            title,
            figure: t.figure.clone(),
        },
    })
}

/// Compile `expr` as `eval::Evaluator` would evaluate it, with the units known now.
fn node(expr: &Expr, model: &Model) -> Option<(Json, Ty)> {
    match &expr.kind {
        ExprKind::Number(value, unit) => Some((json!(["n", value]), Ty::Measure(unit.clone()))),
        ExprKind::Name(name) => {
            let i = model.index_of(name)?;
            let ty = match model.specs.get(i)?.unit.as_ref()? {
                Declared::Date => Ty::Date,
                Declared::Measure(unit) => Ty::Measure(unit.clone()),
            };
            Some((json!(["v", i]), ty))
        }
        ExprKind::Neg(inner) => match node(inner, model)? {
            (a, Ty::Measure(unit)) => Some((json!(["neg", a]), Ty::Measure(unit))),
            (_, Ty::Date) => None,
        },
        ExprKind::Chain(first, rest) => {
            let mut acc = node(first, model)?;
            for (op, operand) in rest {
                acc = apply(*op, acc, node(operand, model)?)?;
            }
            Some(acc)
        }
        ExprKind::Call(name, args) => {
            let args = args
                .iter()
                .map(|a| node(a, model))
                .collect::<Option<Vec<_>>>()?;
            call(name, args)
        }
    }
}

/// The rules of `Evaluator::apply`.
fn apply(op: Op, (a, ta): (Json, Ty), (b, tb): (Json, Ty)) -> Option<(Json, Ty)> {
    let month = Unit::month();
    match (op, ta, tb) {
        (Op::Add | Op::Sub, Ty::Measure(ua), Ty::Measure(ub)) if ua.same_dim(&ub) => {
            let code = if op == Op::Add { "add" } else { "sub" };
            let factor = ub.factor_to(&ua);
            Some((json!([code, a, b, factor]), Ty::Measure(ua)))
        }
        (Op::Add, Ty::Date, Ty::Measure(ut)) if ut.is_time() => {
            Some((json!(["dadd", a, b, ut.factor_to(&month)]), Ty::Date))
        }
        (Op::Add, Ty::Measure(ut), Ty::Date) if ut.is_time() => {
            Some((json!(["dadd", b, a, ut.factor_to(&month)]), Ty::Date))
        }
        (Op::Sub, Ty::Date, Ty::Measure(ut)) if ut.is_time() => {
            Some((json!(["dsub", a, b, ut.factor_to(&month)]), Ty::Date))
        }
        (Op::Sub, Ty::Date, Ty::Date) => Some((json!(["sub", a, b, 1.0]), Ty::Measure(month))),
        (Op::Mul, Ty::Measure(ua), Ty::Measure(ub)) => {
            Some((json!(["mul", a, b]), Ty::Measure(ua.mul(&ub))))
        }
        (Op::Div, Ty::Measure(ua), Ty::Measure(ub)) => {
            Some((json!(["div", a, b]), Ty::Measure(ua.div(&ub))))
        }
        _ => None,
    }
}

/// The rules of `Evaluator::call`.
fn call(name: &str, args: Vec<(Json, Ty)>) -> Option<(Json, Ty)> {
    let mut args = args.into_iter();
    let first = args.next()?;
    let second = args.next();
    match (name, first, second) {
        ("months_between", (a, Ty::Date), Some((b, Ty::Date))) => {
            Some((json!(["sub", b, a, 1.0]), Ty::Measure(Unit::month())))
        }
        ("min" | "max", (a, Ty::Date), Some((b, Ty::Date))) => {
            Some((json!([name, a, b, 1.0]), Ty::Date))
        }
        ("min" | "max", (a, Ty::Measure(ux)), Some((b, Ty::Measure(uy)))) if ux.same_dim(&uy) => {
            Some((json!([name, a, b, uy.factor_to(&ux)]), Ty::Measure(ux)))
        }
        ("abs", (a, Ty::Measure(unit)), None) => Some((json!(["abs", a]), Ty::Measure(unit))),
        ("round", (a, Ty::Measure(unit)), None) if unit.is_plain() => {
            let one = Unit::one();
            Some((json!(["round", a, unit.factor_to(&one)]), Ty::Measure(one)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan run by a second, independent reading of its node format: what the script does.
    fn run(node: &Json, values: &[f64]) -> f64 {
        let at = |k: usize| node.get(k).unwrap_or(&Json::Null);
        let num = |k: usize| at(k).as_f64().unwrap_or(f64::NAN);
        let sub = |k: usize| run(at(k), values);
        match at(0).as_str().unwrap_or("") {
            "n" => num(1),
            "v" => values[at(1).as_u64().unwrap() as usize],
            "neg" => -sub(1),
            "add" => sub(1) + sub(2) * num(3),
            "sub" => sub(1) - sub(2) * num(3),
            "mul" => sub(1) * sub(2),
            "div" => sub(1) / sub(2),
            "dadd" => sub(1) + (sub(2) * num(3)).round(),
            "dsub" => sub(1) - (sub(2) * num(3)).round(),
            "min" => {
                let (x, y) = (sub(1), sub(2) * num(3));
                if x <= y { x } else { y }
            }
            "max" => {
                let (x, y) = (sub(1), sub(2) * num(3));
                if x >= y { x } else { y }
            }
            "abs" => sub(1).abs(),
            "round" => (sub(1) * num(2)).round(),
            other => panic!("unknown node {other}"),
        }
    }

    fn values(plan: &Plan, set: &[(String, f64)]) -> Vec<f64> {
        let mut values: Vec<f64> = plan.figures.iter().map(|f| f.value).collect();
        for (name, value) in set {
            let i = plan.figures.iter().position(|f| &f.name == name).unwrap();
            values[i] = *value;
        }
        for &i in &plan.order {
            let f = &plan.figures[i];
            if let Some(node) = &f.plan {
                let v = run(node, &values);
                values[i] = f.to.map_or(v, |to| v * to);
            }
        }
        values
    }

    fn same_as_eval(text: &str) {
        let figures =
            crate::figures::load(std::path::Path::new("figures.yaml"), text).expect("loads");
        let plan = figures.plan().expect("compiles");
        let mut sets: Vec<Vec<(String, f64)>> = vec![Vec::new()];
        for f in &plan.figures {
            for end in f.range.iter().flatten() {
                sets.push(vec![(f.name.clone(), *end)]);
            }
        }
        for set in sets {
            let want = figures.evaluate(&set).expect("evaluates");
            for (f, got) in plan.figures.iter().zip(values(plan, &set)) {
                let want = want.get(&f.name).unwrap().value;
                assert_eq!(got.to_bits(), want.to_bits(), "{} at {set:?}", f.name);
            }
        }
    }

    #[test]
    fn the_plan_gives_evals_numbers_bit_for_bit() {
        same_as_eval(include_str!("../../data/figures.yaml"));
        same_as_eval(include_str!(
            "../../tests/fixtures/rounding/data/figures.yaml"
        ));
        same_as_eval(include_str!(
            "../../tests/fixtures/figures/data/figures.yaml"
        ));
    }

    #[test]
    fn conversions_become_constants() {
        let text = "figures:\n  a: { value: 1.25 billion, unit: USD/month, source: s }\n  \
                    b: { formula: a * 3 year + 1 USD, unit: USD }\n  \
                    c: { value: \"2026-06\", unit: date, why: w }\n  \
                    d: { formula: c + 2 year, unit: date }\n\
                    sources:\n  s: { title: T }\n";
        let figures =
            crate::figures::load(std::path::Path::new("figures.yaml"), text).expect("loads");
        let plan = figures.plan().expect("compiles");
        assert_eq!(
            plan.figures[1].plan.as_ref().unwrap().to_string(),
            r#"["add",["mul",["v",0],["n",3.0]],["n",1.0],0.08333333333333333]"#,
            "USD is added to USD/month*year: a twelfth of one"
        );
        assert_eq!(plan.figures[1].to, Some(12.0));
        assert_eq!(
            plan.figures[3].plan.as_ref().unwrap().to_string(),
            r#"["dadd",["v",2],["n",2.0],12.0]"#
        );
        assert_eq!(plan.figures[3].to, None);
    }
}
