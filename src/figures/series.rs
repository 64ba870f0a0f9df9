//! Figures: the data behind the charts of `charts:` — a payment schedule month by month, or
//! figures side by side in one unit — computed here, from the evaluated figures, so that a
//! chart and the prose cannot disagree. Drawing them is `crate::render::charts`' job.

use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::Figure;
use super::diagnostics::{At, Loader};
use super::scenarios::{Calculator, RunError};
use super::units::Declared;
use crate::util::error::did_you_mean;

const CHART_KEYS: [&str; 13] = [
    "figure",
    "kind",
    "title",
    "caption",
    "rate",
    "start",
    "end",
    "ramp_months",
    "ramp_start",
    "total",
    "reference",
    "unit",
    "bars",
];
const SCHEDULE_KEYS: [&str; 7] = [
    "rate",
    "start",
    "end",
    "ramp_months",
    "ramp_start",
    "total",
    "reference",
];
const BARS_KEYS: [&str; 2] = ["unit", "bars"];
const TORNADO_KEYS: [&str; 1] = ["figure"];

const KIND_HELP: &str = "`kind: schedule` draws payments month by month, cumulated over a term \
(fields rate, start, end, and optionally ramp_months, ramp_start, total, reference); `kind: bars` \
compares figures in one unit (fields unit, bars); `kind: tornado` shows what moves an estimate (field figure)";

/// The longest term a schedule draws, so a date typo cannot ask for a million points.
const MAX_MONTHS: usize = 1200;

/// A chart declared under `charts:`, with its data computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    pub name: String,
    pub title: String,
    /// A sentence shown under the chart, in addition to the generated description.
    pub caption: Option<String>,
    pub data: ChartData,
    /// 1-based line of the chart's key in the file.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ChartData {
    Schedule(Schedule),
    Bars {
        /// The unit every bar is shown in, as declared: `USD/MW/year`.
        unit: String,
        bars: Vec<Bar>,
    },
    Tornado(Tornado),
}

/// What moves an estimate: for each ranged assumption it rests on, the estimate with that
/// assumption at the low and at the high end of its range and every other one at base.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tornado {
    pub figure: String,
    /// The estimate's unit, as declared.
    pub unit: String,
    pub base: f64,
    pub base_display: String,
    /// Widest swing first.
    pub bars: Vec<TornadoBar>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TornadoBar {
    pub assumption: String,
    pub label: String,
    /// The assumption's ends, as the prose shows them.
    pub low_input: String,
    pub high_input: String,
    /// The estimate with the assumption at its low and at its high end.
    pub at_low: f64,
    pub at_high: f64,
    pub at_low_display: String,
    pub at_high_display: String,
}

/// The tornado of `figure`: an error when it is unknown or rests on no assumption with a
/// range.
pub(super) fn tornado(calculator: &Calculator, figure: &str) -> Result<Tornado, RunError> {
    let model = &calculator.model;
    let Some(i) = model.index_of(figure) else {
        let help = match did_you_mean(figure, model.specs.iter().map(|s| s.name())) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "name a figure declared under `figures:`".to_string(),
        };
        return Err(RunError {
            message: format!("unknown figure `{figure}`"),
            help,
        });
    };
    let spec = model.specs.get(i).ok_or_else(|| RunError {
        message: format!("unknown figure `{figure}`"),
        help: String::new(),
    })?;
    if !matches!(spec.unit, Some(Declared::Measure(_))) {
        return Err(RunError {
            message: format!("`{figure}` is a date; a tornado chart shows a quantity"),
            help: "choose an estimate measured in a unit, e.g. money".to_string(),
        });
    }
    let outcome = |set: &[(String, f64)]| {
        calculator.evaluate_one(set, i)?.0.ok_or_else(|| RunError {
            message: format!("`{figure}` has no value"),
            help: "check its formula across the ranges of the assumptions it rests on".to_string(),
        })
    };
    let base = outcome(&[])?;
    let mut bars = Vec::new();
    for name in model.rests_on(i) {
        let Some(a) = model.index_of(name) else {
            continue;
        };
        let Some(assumption) = model.specs.get(a) else {
            continue;
        };
        let Some((low, high)) = assumption.range() else {
            continue;
        };
        let at_low = outcome(&[(name.clone(), low.number())])?;
        let at_high = outcome(&[(name.clone(), high.number())])?;
        bars.push(TornadoBar {
            assumption: name.clone(),
            label: assumption.label.clone(),
            low_input: assumption.show(low),
            high_input: assumption.show(high),
            at_low: at_low.value,
            at_high: at_high.value,
            at_low_display: at_low.display,
            at_high_display: at_high.display,
        });
    }
    if bars.is_empty() {
        return Err(RunError {
            message: format!("`{figure}` rests on no assumption with a range"),
            help: "a tornado chart shows what moves an estimate: choose a figure that rests on \
                   an assumption with `range: [low, high]`"
                .to_string(),
        });
    }
    // Widest swing first; equal swings keep the assumptions' alphabetical order.
    bars.sort_by(|x, y| {
        (y.at_high - y.at_low)
            .abs()
            .total_cmp(&(x.at_high - x.at_low).abs())
    });
    Ok(Tornado {
        figure: figure.to_string(),
        unit: spec.unit_text.clone(),
        base: base.value,
        base_display: base.display,
        bars,
    })
}

/// Payments month by month over a term: a full monthly rate, reached after an optional
/// linear ramp from a share of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    /// First month of the term, as months since year 0.
    pub start: f64,
    /// What is paid in each month of the term, in USD, first month first.
    pub payments: Vec<f64>,
    /// The full rate, in USD a month.
    pub full_rate: f64,
    /// Months at the start of the term during which payments ramp up (0: no ramp).
    pub ramp_months: usize,
    /// Share of the full rate paid in the first month of the ramp, from 0 to 1.
    pub ramp_start: f64,
    /// The reference line (a reported total, say), in USD.
    pub reference_value: Option<f64>,
    /// The figures the chart is drawn from, by role.
    pub rate: String,
    pub start_figure: String,
    pub end: String,
    pub ramp_months_figure: Option<String>,
    pub ramp_start_figure: Option<String>,
    pub total: Option<String>,
    pub reference: Option<String>,
}

impl Schedule {
    /// The running total after each month, in USD.
    pub fn cumulative(&self) -> Vec<f64> {
        self.payments
            .iter()
            .scan(0.0, |sum, p| {
                *sum += p;
                Some(*sum)
            })
            .collect()
    }
}

/// One bar: a figure's value in the chart's unit, with its range where it has one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bar {
    pub figure: String,
    pub value: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl Chart {
    /// Every figure the chart is drawn from, in the order of its fields.
    pub fn figures(&self) -> Vec<&str> {
        match &self.data {
            ChartData::Schedule(s) => [
                Some(&s.rate),
                Some(&s.start_figure),
                Some(&s.end),
                s.ramp_months_figure.as_ref(),
                s.ramp_start_figure.as_ref(),
                s.total.as_ref(),
                s.reference.as_ref(),
            ]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect(),
            ChartData::Bars { bars, .. } => bars.iter().map(|b| b.figure.as_str()).collect(),
            ChartData::Tornado(t) => std::iter::once(t.figure.as_str())
                .chain(t.bars.iter().map(|b| b.assumption.as_str()))
                .collect(),
        }
    }
}

/// Read every chart of `charts:` and compute its data from `figures`; a tornado runs the
/// model again, so only when it is sound (`calculator`).
/// `declared` names every figure of the file, including those whose own problems left them
/// without a value, which are not reported a second time here.
pub(super) fn load(
    loader: &mut Loader,
    raw: &[(String, Json)],
    figures: &[Figure],
    declared: &[&str],
    calculator: Option<&Calculator>,
) -> Vec<Chart> {
    let mut charts: Vec<Chart> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (name, entry) in raw {
        let at = loader.at("charts", "chart", name);
        if !loader.new_name(&at, &mut seen, "a chart name has letters, digits and `_` and starts with a letter, so that pages can place it") {
            continue;
        }
        let Some((fields, _)) = loader.fields(&at, entry, &CHART_KEYS) else {
            continue;
        };
        let mut reader = Reader {
            loader: &mut *loader,
            at: &at,
            fields,
            figures,
            declared,
            ok: true,
        };
        let title = reader.loader.text_field(&at, fields, "title");
        if title.is_none() && !fields.contains_key("title") {
            reader.fail(
                "has no `title:`",
                "add `title:`: it heads the chart and names it for screen readers",
            );
        }
        let caption = reader.loader.text_field(&at, fields, "caption");
        let kind = reader.loader.text_field(&at, fields, "kind");
        let data = match kind.as_deref() {
            Some("schedule") => {
                reader.only(&SCHEDULE_KEYS, "schedule");
                reader.schedule()
            }
            Some("bars") => {
                reader.only(&BARS_KEYS, "bars");
                reader.bars()
            }
            Some("tornado") => {
                reader.only(&TORNADO_KEYS, "tornado");
                match calculator {
                    Some(calculator) => reader.tornado(calculator),
                    // The model has problems of its own, reported where they are.
                    None => None,
                }
            }
            Some(other) => {
                let help = match did_you_mean(other, ["schedule", "bars", "tornado"]) {
                    Some(s) => format!("did you mean `{s}`? ({KIND_HELP})"),
                    None => KIND_HELP.to_string(),
                };
                reader.fail(format!("unknown chart kind `{other}`"), help);
                None
            }
            None => {
                if !fields.contains_key("kind") {
                    reader.fail("has no `kind:`", KIND_HELP);
                }
                None
            }
        };
        if let (Some(title), Some(data), true) = (title, data, reader.ok) {
            charts.push(Chart {
                name: name.clone(),
                title,
                caption,
                data,
                line: at.line,
            });
        }
    }
    charts
}

struct Reader<'r, 'l, 'a> {
    loader: &'r mut Loader<'l>,
    at: &'r At<'a>,
    fields: &'r Map<String, Json>,
    figures: &'r [Figure],
    declared: &'r [&'r str],
    ok: bool,
}

impl Reader<'_, '_, '_> {
    fn fail(&mut self, message: impl std::fmt::Display, help: impl Into<String>) {
        self.ok = false;
        self.loader.report(self.at, message, help);
    }

    /// Fields that belong to the other kind of chart are mistakes, not silently ignored.
    fn only(&mut self, allowed: &[&str], kind: &str) {
        let foreign: Vec<String> = self
            .fields
            .keys()
            .filter(|k| {
                !allowed.contains(&k.as_str())
                    && !["kind", "title", "caption"].contains(&k.as_str())
            })
            .filter(|k| CHART_KEYS.contains(&k.as_str()))
            .cloned()
            .collect();
        for key in foreign {
            self.fail(
                format!("`{key}:` does not apply to a chart of kind `{kind}`"),
                format!("remove it; a `{kind}` chart takes {}", allowed.join(", ")),
            );
        }
    }

    /// The figure named by field `key`, if the field is there.
    fn figure(&mut self, key: &str, required: bool) -> Option<&Figure> {
        let figures = self.figures;
        let Some(name) = self.loader.text_field(self.at, self.fields, key) else {
            if required && !self.fields.contains_key(key) {
                self.fail(
                    format!("has no `{key}:`"),
                    format!("add `{key}:` with the name of a figure"),
                );
            } else if self.fields.contains_key(key) {
                self.ok = false;
            }
            return None;
        };
        self.named(key, &name, figures)
    }

    fn named<'f>(&mut self, key: &str, name: &str, figures: &'f [Figure]) -> Option<&'f Figure> {
        match figures.iter().find(|f| f.name == name) {
            Some(figure) => Some(figure),
            None if self.declared.contains(&name) => {
                self.ok = false;
                None
            }
            None => {
                let help = match did_you_mean(name, figures.iter().map(|f| f.name.as_str())) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "name a figure declared under `figures:`".to_string(),
                };
                self.fail(format!("`{key}:` names an unknown figure `{name}`"), help);
                None
            }
        }
    }

    /// The figure's value expressed in `want`, or a problem saying what the field needs.
    fn value_in(&mut self, key: &str, figure: &Figure, want: &str, what: &str) -> Option<f64> {
        match convert(figure.value, &figure.unit, want) {
            Some(v) => Some(v),
            None => {
                self.fail(
                    format!(
                        "`{key}: {}` is in {}, but `{key}:` needs {what}",
                        figure.name, figure.unit
                    ),
                    format!("name a figure with a unit like {want}"),
                );
                None
            }
        }
    }

    fn schedule(&mut self) -> Option<ChartData> {
        let rate = self.figure("rate", true).cloned();
        let start = self.figure("start", true).cloned();
        let end = self.figure("end", true).cloned();
        let ramp_months = self.figure("ramp_months", false).cloned();
        let ramp_start = self.figure("ramp_start", false).cloned();
        let total = self.figure("total", false).cloned();
        let reference = self.figure("reference", false).cloned();
        if ramp_months.is_some() != ramp_start.is_some() && self.ok {
            self.fail(
                "has one of `ramp_months:` and `ramp_start:` but not the other",
                "a ramp needs both: how many months it lasts, and the share of the full rate paid in its first month",
            );
            return None;
        }
        let full_rate = match &rate {
            Some(f) => self.value_in("rate", f, "USD/month", "money per time"),
            None => None,
        };
        let first = match &start {
            Some(f) => self.value_in("start", f, "date", "a date"),
            None => None,
        };
        let last = match &end {
            Some(f) => self.value_in("end", f, "date", "a date"),
            None => None,
        };
        let ramp = match &ramp_months {
            Some(f) => self.value_in("ramp_months", f, "month", "a time"),
            None => Some(0.0),
        };
        let share = match &ramp_start {
            Some(f) => self.value_in("ramp_start", f, "1", "a plain share such as a %"),
            None => Some(1.0),
        };
        let total_value = match &total {
            Some(f) => self.value_in("total", f, "USD", "money"),
            None => None,
        };
        let reference_value = match &reference {
            Some(f) => self.value_in("reference", f, "USD", "money"),
            None => None,
        };
        let (Some(full_rate), Some(first), Some(last), Some(ramp), Some(share)) =
            (full_rate, first, last, ramp, share)
        else {
            return None;
        };
        let months = last - first + 1.0;
        if !(1.0..=MAX_MONTHS as f64).contains(&months) {
            self.fail(
                format!(
                    "the term from `start:` to `end:` lasts {months} months; it must last 1 to {MAX_MONTHS}"
                ),
                "`end:` is the last month of the term and comes after `start:`",
            );
            return None;
        }
        if ramp.fract().abs() > 1e-9 || ramp < 0.0 || ramp > months {
            self.fail(
                format!("the ramp lasts {ramp} months; it must be a whole number of months within the term"),
                "give `ramp_months:` a figure of whole months, no longer than the term",
            );
            return None;
        }
        if !(0.0..=1.0).contains(&share) {
            self.fail(
                format!(
                    "the ramp starts at {}% of the full rate; it must be 0% to 100%",
                    share * 100.0
                ),
                "give `ramp_start:` a figure between 0% and 100%",
            );
            return None;
        }
        // In range by the checks above, so the conversions are exact.
        let months = months.round() as usize;
        let ramp = ramp.round() as usize;
        let payments: Vec<f64> = (0..months)
            .map(|i| {
                if i < ramp {
                    full_rate * (share + (1.0 - share) * i as f64 / ramp as f64)
                } else {
                    full_rate
                }
            })
            .collect();
        let sum: f64 = payments.iter().sum();
        if let (Some(expected), Some(total)) = (total_value, &total)
            && (sum - expected).abs() > 1e-9 * expected.abs().max(sum.abs())
        {
            // Both at the same precision, not the total's rounded display, so the author
            // sees the difference ("about $46 million" would hide it).
            let shown = |v: f64| super::format::format_value(v, "USD", None).unwrap_or_default();
            self.fail(
                    format!(
                        "the payments of the schedule add up to {}, but `total: {}` is {}",
                        shown(sum),
                        total.name,
                        shown(expected)
                    ),
                    "the chart and the figure must describe the same schedule: the ramp rises in a straight \
                     line from `ramp_start` of the full rate in its first month to the full rate after \
                     `ramp_months` months, so over a term of T months it leaves out (1 - ramp_start) * \
                     (ramp_months + 1) / 2 months of the full rate",
                );
            return None;
        }
        let name = |f: &Option<Figure>| f.as_ref().map(|f| f.name.clone());
        Some(ChartData::Schedule(Schedule {
            start: first,
            payments,
            full_rate,
            ramp_months: ramp,
            ramp_start: share,
            reference_value,
            rate: name(&rate).unwrap_or_default(),
            start_figure: name(&start).unwrap_or_default(),
            end: name(&end).unwrap_or_default(),
            ramp_months_figure: name(&ramp_months),
            ramp_start_figure: name(&ramp_start),
            total: name(&total),
            reference: name(&reference),
        }))
    }

    fn tornado(&mut self, calculator: &Calculator) -> Option<ChartData> {
        let figure = self.figure("figure", true)?.name.clone();
        match tornado(calculator, &figure) {
            Ok(t) => Some(ChartData::Tornado(t)),
            Err(e) => {
                self.fail(format!("`figure: {figure}`: {}", e.message), e.help);
                None
            }
        }
    }

    fn bars(&mut self) -> Option<ChartData> {
        let unit = self.loader.text_field(self.at, self.fields, "unit");
        let Some(unit) = unit else {
            if !self.fields.contains_key("unit") {
                self.fail(
                    "has no `unit:`",
                    "add the unit every bar is shown in, e.g. `unit: USD/MW/year`",
                );
            }
            return None;
        };
        match Declared::parse(&unit) {
            Ok(Declared::Measure(_)) => {}
            Ok(Declared::Date) => {
                self.fail("a bar chart cannot show dates", "choose a unit of measure");
                return None;
            }
            Err(e) => {
                self.fail(e.message, e.help);
                return None;
            }
        }
        let names: Vec<String> = match self.fields.get("bars") {
            Some(Json::Array(items)) if !items.is_empty() => {
                let mut names = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(name) => names.push(name.trim().to_string()),
                        None => {
                            self.fail(
                                "`bars:` should list figure names",
                                "write `bars: [first_figure, second_figure]`",
                            );
                            return None;
                        }
                    }
                }
                names
            }
            _ => {
                self.fail(
                    "needs `bars:`, a list of the figures to compare",
                    "write `bars: [first_figure, second_figure]`",
                );
                return None;
            }
        };
        let figures = self.figures;
        let mut bars = Vec::new();
        for name in &names {
            let Some(figure) = self.named("bars", name, figures) else {
                continue;
            };
            let Some(value) =
                self.value_in("bars", figure, &unit, &format!("the chart's unit ({unit})"))
            else {
                continue;
            };
            if value < 0.0 {
                self.fail(
                    format!("`{name}` is negative; bars start at zero"),
                    "chart figures that are zero or more",
                );
                continue;
            }
            let end = |v: f64| convert(v, &figure.unit, &unit);
            bars.push(Bar {
                figure: name.clone(),
                value,
                low: figure.range.as_ref().and_then(|r| end(r.low)),
                high: figure.range.as_ref().and_then(|r| end(r.high)),
            });
        }
        if bars.len() != names.len() {
            return None;
        }
        Some(ChartData::Bars { unit, bars })
    }
}

/// `value` in unit `from` expressed in `to`, if they measure the same kind of quantity.
fn convert(value: f64, from: &str, to: &str) -> Option<f64> {
    match (Declared::parse(from).ok()?, Declared::parse(to).ok()?) {
        (Declared::Date, Declared::Date) => Some(value),
        (Declared::Measure(from), Declared::Measure(to)) if from.same_dim(&to) => {
            Some(value * from.factor_to(&to))
        }
        _ => None,
    }
}
