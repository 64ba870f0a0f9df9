//! Figures: the computation module — every number the prose uses, declared in `data/figures.yaml`,
//! evaluated in dependency order with units, and formatted with one policy.
//!
//! Steps, one file each: [`load`] reads the file and orders the figures by dependency,
//! `number` reads literal values, `units` parses and converts units, `formula` parses
//! formulas, `eval` evaluates them, `ranges` evaluates them again at the ends of the
//! assumptions' ranges, `checks` tests the claims, `series` computes the data behind
//! charts, [`format`] turns values into prose and [`text`] finds the figures that text
//! refers to.

mod checks;
mod diagnostics;
mod eval;
mod format;
mod formula;
mod load;
mod model;
mod number;
mod plan;
mod ranges;
mod scenarios;
mod series;
mod tables;
#[cfg(test)]
mod tests;
pub mod text;
mod units;

use std::collections::HashMap;

use serde::Serialize;
use serde::ser::SerializeMap;

pub use format::{
    APPROXIMATE, DEFAULT_PRECISION, ESTIMATE_PRECISION, Formatted, Rounding, format, format_like,
    format_range_like, format_value, long_date, range_text, written_digits,
};
pub use load::load;
pub use plan::{Plan, PlanBar, PlanChart, PlanCheck, PlanFigure, Reading};
pub use scenarios::{Evaluation, Outcome, RunError, Scenario, ScenarioValue, Setting};
pub use series::{Bar, Chart, ChartData, Schedule, Tornado, TornadoBar};
pub use tables::{Axis, Cell, FailingCheck, Table};

/// Where a figure's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Stated by a source (`source:`).
    Reported,
    /// Not in any source; chosen by the author, with a reason (`why:`).
    Assumption,
    /// Computed from other figures (`formula:`).
    Derived,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Reported => "reported",
            Kind::Assumption => "assumption",
            Kind::Derived => "derived",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One evaluated, formatted figure.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub name: String,
    /// `label:`, or the name with `_` as spaces and a capital first letter.
    pub label: String,
    pub kind: Kind,
    /// Derived, and resting (through any number of formulas) on an assumption.
    pub estimate: bool,
    /// How its display is rounded: significant digits, and whether "about" may go in front.
    pub rounding: Rounding,
    /// An estimate shown "about …": its value to six significant digits, for readers who
    /// want the arithmetic ("$42.8125 billion"). None when the display is the value.
    pub unrounded: Option<String>,
    /// The assumptions it rests on, sorted; an assumption lists itself.
    pub assumptions: Vec<String>,
    /// The value in the figure's own unit; for a date, months since year 0 (year * 12 + month - 1).
    pub value: f64,
    /// The unit as declared, e.g. "USD/year", "MW", "date".
    pub unit: String,
    /// The value as the prose shows it, rounded by [`Rounding`], qualifier included: "more
    /// than $40 billion", "about $43 billion".
    pub display: String,
    /// The display without the rate words of money, for key-figure cards: "$1.25 billion" (of "$1.25 billion a month"), "300 MW".
    pub number: String,
    pub qualifier: Option<String>,
    /// Derived only: the formula as written.
    pub formula: Option<String>,
    /// Derived only: the figures the formula uses, in order of first appearance.
    pub inputs: Vec<String>,
    /// Reported only: the id of the source.
    pub source: Option<String>,
    /// Reported only: the passage of the source that states the value.
    pub quote: Option<String>,
    /// Lowest and highest value over the ranges of the assumptions it rests on; an
    /// assumption with `range:` has its own range. None when nothing it rests on has a range.
    pub range: Option<FigureRange>,
    /// Assumption only: why the value was chosen.
    pub why: Option<String>,
    pub note: Option<String>,
    /// Its value in each scenario of `scenarios:`, in declaration order.
    pub scenarios: Vec<ScenarioValue>,
    /// 1-based line of the figure's key in the file.
    pub line: usize,
}

impl Figure {
    /// Its value in the scenario called `name`.
    pub fn in_scenario(&self, name: &str) -> Option<&Outcome> {
        self.scenarios
            .iter()
            .find(|s| s.scenario == name)
            .map(|s| &s.outcome)
    }
}

/// The spread of a figure when every ranged assumption it rests on moves between its ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureRange {
    /// In the figure's own unit (months since year 0 for a date), like [`Figure::value`].
    pub low: f64,
    pub high: f64,
    /// "$41.3 billion", "March 2026": each end as the prose shows it, without the qualifier.
    pub low_display: String,
    pub high_display: String,
    /// "$41.3 billion to $48.8 billion", qualifier included.
    pub display: String,
    /// The assumptions with a range that it moves with, sorted.
    pub over: Vec<String>,
}

/// A document figures are reported from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub publisher: Option<String>,
    /// When the document was published: `2026`, `2026-11` or `2026-11-27`.
    pub date: Option<String>,
    pub url: Option<String>,
    /// When the document was read for this briefing, so a reader knows how fresh it is.
    pub as_of: Option<String>,
    /// The passage the briefing relies on, word for word.
    pub quote: Option<String>,
    /// The figures that name this source, in declaration order.
    pub cited_by: Vec<String>,
    /// 1-based line of the source's key in the file.
    pub line: usize,
}

/// A claim that must hold for the prose to be true, tested on every build.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub id: String,
    /// The comparison as written: `full_rate_value >= reported_total`.
    pub formula: String,
    /// The sentence of the briefing the claim protects.
    pub protects: String,
    pub left: CheckSide,
    /// `>=`, `<=`, `>`, `<` or `==`.
    pub operator: String,
    pub right: CheckSide,
    /// The assumptions with a range at whose every end the claim was also tested, sorted.
    pub tested_over: Vec<String>,
    /// 1-based line of the check's key in the file.
    pub line: usize,
}

/// One side of a check, evaluated with the base values of the assumptions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckSide {
    /// The expression as written.
    pub text: String,
    pub value: f64,
    pub unit: String,
    /// "$45 billion", or the figure's own display when the side is one figure.
    pub display: String,
}

/// Every figure and source of a briefing, in declaration order.
///
/// Serialises as a map from figure name to [`Figure`] (in declaration order), which is what
/// templates index: `figures.monthly_payment.display`.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    figures: Vec<Figure>,
    by_name: HashMap<String, usize>,
    sources: Vec<Source>,
    by_id: HashMap<String, usize>,
    checks: Vec<Check>,
    charts: Vec<Chart>,
    scenarios: Vec<Scenario>,
    tables: Vec<Table>,
    /// The model, to run again with other values; None for [`Figures::empty`].
    calculator: Option<std::sync::Arc<scenarios::Calculator>>,
    /// The model compiled for a browser, made the first time it is asked for: the pages'
    /// what-if script and `figures.json` both show it.
    plan: std::sync::OnceLock<Option<Plan>>,
    /// Tornado charts placed by figure name (`{{ chart: tornado(x) }}`), made once each
    /// however many pages place them.
    tornadoes: std::sync::Arc<std::sync::Mutex<HashMap<String, Chart>>>,
}

/// What [`load`] assembles into [`Figures`].
pub(crate) struct Parts {
    pub figures: Vec<Figure>,
    pub sources: Vec<Source>,
    pub checks: Vec<Check>,
    pub charts: Vec<Chart>,
    pub scenarios: Vec<Scenario>,
    pub tables: Vec<Table>,
}

impl Figures {
    pub fn empty() -> Figures {
        Figures::default()
    }

    fn new(parts: Parts, calculator: scenarios::Calculator) -> Figures {
        let Parts {
            figures,
            sources,
            checks,
            charts,
            scenarios,
            tables,
        } = parts;
        let by_name = figures
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        let by_id = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        Figures {
            figures,
            by_name,
            sources,
            by_id,
            checks,
            charts,
            scenarios,
            tables,
            calculator: Some(std::sync::Arc::new(calculator)),
            plan: std::sync::OnceLock::new(),
            tornadoes: std::sync::Arc::default(),
        }
    }

    /// Scenarios in declaration order.
    pub fn scenarios(&self) -> impl Iterator<Item = &Scenario> {
        self.scenarios.iter()
    }

    pub fn scenario(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.name == name)
    }

    /// The declared scenario closest to a misspelt `name`.
    pub fn suggest_scenario(&self, name: &str) -> Option<&str> {
        crate::util::error::did_you_mean(name, self.scenarios.iter().map(|s| s.name.as_str()))
    }

    /// The figures as they are in the scenario called `name`: each figure's value and display
    /// are the scenario's; ranges, sources and checks stay as they are (every check holds in
    /// every scenario, or the figures would not have loaded). None for an unknown scenario.
    pub fn in_scenario(&self, name: &str) -> Option<Figures> {
        self.scenario(name)?;
        let mut copy = self.clone();
        // Compiled again from the scenario's figures when asked for, as before caching.
        copy.plan = std::sync::OnceLock::new();
        for figure in &mut copy.figures {
            let Some(outcome) = figure.in_scenario(name).cloned() else {
                continue;
            };
            if outcome.value != figure.value {
                figure.unrounded = units::Declared::parse(&figure.unit).ok().and_then(|unit| {
                    format::unrounded(outcome.value, &unit, &figure.unit, figure.rounding)
                });
            }
            figure.value = outcome.value;
            figure.display = outcome.display;
            figure.number = outcome.number;
        }
        Some(copy)
    }

    /// Sensitivity tables in declaration order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.iter()
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The declared table closest to a misspelt `name`.
    pub fn suggest_table(&self, name: &str) -> Option<&str> {
        crate::util::error::did_you_mean(name, self.tables.iter().map(|t| t.name.as_str()))
    }

    /// Every figure with the assumptions in `set` (name, value in the assumption's unit) at
    /// other values and every other one at base: what a what-if or a sensitivity table shows.
    pub fn evaluate(&self, set: &[(String, f64)]) -> Result<Evaluation, RunError> {
        match &self.calculator {
            Some(calculator) => calculator.evaluate(set),
            None if set.is_empty() => Ok(Evaluation::default()),
            None => Err(RunError {
                message: "there are no figures".to_string(),
                help: "declare figures in data/figures.yaml".to_string(),
            }),
        }
    }

    /// The model compiled for a browser to run again ([`Plan`]); None without figures.
    pub fn plan(&self) -> Option<&Plan> {
        self.plan
            .get_or_init(|| plan::compile(self, self.calculator.as_deref()?))
            .as_ref()
    }

    /// The tornado chart of `figure`, as `{{ chart: tornado(figure) }}` places it.
    pub fn tornado(&self, figure: &str) -> Result<Chart, RunError> {
        if let Some(chart) = self
            .tornadoes
            .lock()
            .ok()
            .and_then(|t| t.get(figure).cloned())
        {
            return Ok(chart);
        }
        let calculator = self.calculator.as_ref().ok_or_else(|| RunError {
            message: format!("unknown figure `{figure}`"),
            help: "declare figures in data/figures.yaml".to_string(),
        })?;
        let data = series::tornado(calculator, figure)?;
        let label = self.get(figure).map_or(figure, |f| f.label.as_str());
        let chart = Chart {
            name: format!("tornado({figure})"),
            title: format!("What moves it: {label}"),
            caption: None,
            data: ChartData::Tornado(data),
            line: self.get(figure).map_or(0, |f| f.line),
        };
        if let Ok(mut made) = self.tornadoes.lock() {
            made.insert(figure.to_string(), chart.clone());
        }
        Ok(chart)
    }

    pub fn get(&self, name: &str) -> Option<&Figure> {
        self.by_name.get(name).and_then(|&i| self.figures.get(i))
    }

    /// Figures in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = &Figure> {
        self.figures.iter()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.figures.iter().map(|f| f.name.as_str())
    }

    /// Sources in declaration order.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        self.sources.iter()
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.by_id.get(id).and_then(|&i| self.sources.get(i))
    }

    /// Checks in declaration order; every one of them holds (a failing check fails [`load`]).
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter()
    }

    /// Charts in declaration order.
    pub fn charts(&self) -> impl Iterator<Item = &Chart> {
        self.charts.iter()
    }

    pub fn chart(&self, name: &str) -> Option<&Chart> {
        self.charts.iter().find(|c| c.name == name)
    }

    /// The declared chart closest to a misspelt `name`.
    pub fn suggest_chart(&self, name: &str) -> Option<&str> {
        crate::util::error::did_you_mean(name, self.charts.iter().map(|c| c.name.as_str()))
    }

    pub fn len(&self) -> usize {
        self.figures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.figures.is_empty()
    }

    /// The declared figure closest to a misspelt `name`, for "did you mean" help.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        crate::util::error::did_you_mean(name, self.names())
    }
}

impl Serialize for Figures {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.figures.len()))?;
        for figure in &self.figures {
            map.serialize_entry(&figure.name, figure)?;
        }
        map.end()
    }
}
