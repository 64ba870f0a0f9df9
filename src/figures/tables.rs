//! Figures: sensitivity tables of `tables:` — one estimate computed at each combination of
//! values of one or two assumptions, the others at base, with the checks tested in every cell.
//! Drawing them as HTML is `crate::render::tables`' job.

use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::diagnostics::{At, Loader};
use super::scenarios::Calculator;
use super::{Check, Kind};
use crate::util::error::did_you_mean;

const TABLE_KEYS: [&str; 5] = ["figure", "rows", "columns", "steps", "caption"];

/// The most values an axis takes, so a typo cannot ask for a table of a million cells.
const MAX_STEPS: u64 = 12;

/// A sensitivity table declared under `tables:`, with every cell computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub name: String,
    /// The estimate in the cells.
    pub figure: String,
    /// `caption:`, or "<figure> by <rows> and <columns>".
    pub caption: String,
    pub rows: Axis,
    /// None: one column, the figure itself.
    pub columns: Option<Axis>,
    /// One row of cells per value of `rows`, one cell per value of `columns`.
    pub cells: Vec<Vec<Cell>>,
    /// The checks that fail in some cell, in declaration order, with what they protect.
    pub failing: Vec<FailingCheck>,
    /// 1-based line of the table's key in the file.
    pub line: usize,
}

/// The values one assumption takes along a side of the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Axis {
    pub figure: String,
    pub label: String,
    /// In the assumption's unit, low to high.
    pub values: Vec<f64>,
    /// As the prose shows them.
    pub displays: Vec<String>,
    /// The position of the base value among `values`.
    pub base: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub value: f64,
    pub display: String,
    /// Every assumption of the table at its base value.
    pub base: bool,
    /// The ids of the checks that fail here.
    pub failing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailingCheck {
    pub id: String,
    pub formula: String,
    pub protects: String,
}

/// Read every table of `tables:` and compute its cells.
pub(super) fn load(
    loader: &mut Loader,
    raw: &[(String, Json)],
    calculator: &Calculator,
    checks: &[Check],
) -> Vec<Table> {
    let mut tables: Vec<Table> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (name, entry) in raw {
        let at = loader.at("tables", "table", name);
        if !loader.new_name(
            &at,
            &mut seen,
            "a table name has letters, digits and `_` and starts with a letter, so that pages \
                 can place it with `{{ table: name }}`",
        ) {
            continue;
        }
        if let Some(table) = table(loader, &at, entry, calculator, checks) {
            tables.push(table);
        }
    }
    tables
}

fn table(
    loader: &mut Loader,
    at: &At,
    entry: &Json,
    calculator: &Calculator,
    checks: &[Check],
) -> Option<Table> {
    // `meant`: the fields a misspelt key stands for, already reported as unknown.
    let (fields, meant) = loader.fields(at, entry, &TABLE_KEYS)?;
    let model = &calculator.model;
    let figure = loader.text_field(at, fields, "figure");
    if figure.is_none() && !fields.contains_key("figure") && !meant.contains(&"figure") {
        loader.report(
            at,
            "has no `figure:`",
            "add `figure:` with the estimate the cells show",
        );
    }
    let figure = figure.and_then(|name| match model.index_of(&name) {
        Some(i) => Some((i, name)),
        None => {
            let help = match did_you_mean(&name, model.specs.iter().map(|s| s.name())) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "name a figure declared under `figures:`".to_string(),
            };
            loader.report(
                at,
                format!("`figure:` names an unknown figure `{name}`"),
                help,
            );
            None
        }
    });
    let steps = match fields.get("steps") {
        None => None,
        Some(value) => match value.as_u64().filter(|n| (2..=MAX_STEPS).contains(n)) {
            Some(n) => usize::try_from(n).ok(),
            None => {
                loader.report(
                    at,
                    format!("`steps: {value}` is not a number of values from 2 to {MAX_STEPS}"),
                    "give how many evenly spaced values each side takes from the low end of the \
                     range to the high end (the base value is added), or leave it out for the two \
                     ends and the base",
                );
                return None;
            }
        },
    };
    let rows = axis(
        loader,
        at,
        fields,
        "rows",
        calculator,
        figure.as_ref(),
        steps,
        !meant.contains(&"rows"),
    );
    let columns = axis(
        loader,
        at,
        fields,
        "columns",
        calculator,
        figure.as_ref(),
        steps,
        false,
    );
    let ((i, figure), Ok(Some(rows)), Ok(columns)) = (figure?, rows, columns) else {
        return None;
    };
    if let Some(columns) = &columns
        && columns.figure == rows.figure
    {
        loader.report(
            at,
            format!("has `{}` as both `rows:` and `columns:`", rows.figure),
            "choose two different assumptions, or leave out `columns:`",
        );
        return None;
    }
    let spec = model.specs.get(i)?;
    let label = |axis: &Axis| crate::util::text::lower_first(&axis.label);
    let caption = loader
        .text_field(at, fields, "caption")
        .unwrap_or_else(|| match &columns {
            Some(c) => format!("{} by {} and {}", spec.label, label(&rows), label(c)),
            None => format!("{} by {}", spec.label, label(&rows)),
        });
    let mut cells = Vec::with_capacity(rows.values.len());
    let mut failing_ids: Vec<String> = Vec::new();
    let column_values: Vec<Option<(usize, f64)>> = match &columns {
        Some(c) => c.values.iter().copied().enumerate().map(Some).collect(),
        None => vec![None],
    };
    for (r, &row_value) in rows.values.iter().enumerate() {
        let mut line = Vec::with_capacity(column_values.len());
        for column in &column_values {
            let mut set = vec![(rows.figure.clone(), row_value)];
            if let (Some((_, value)), Some(c)) = (column, &columns) {
                set.push((c.figure.clone(), *value));
            }
            let (shown, failing) = match calculator.evaluate_one(&set, i) {
                Ok(run) => run,
                Err(e) => {
                    loader.report(
                        at,
                        format!("a cell cannot be computed: {}", e.message),
                        e.help,
                    );
                    return None;
                }
            };
            let Some(outcome) = shown else {
                loader.report(
                    at,
                    format!("`{figure}` has no value with these assumptions"),
                    "check the figure's formula across the range of the assumptions it rests on",
                );
                return None;
            };
            for id in &failing {
                if !failing_ids.contains(id) {
                    failing_ids.push(id.clone());
                }
            }
            line.push(Cell {
                value: outcome.value,
                display: outcome.display,
                base: r == rows.base
                    && column.is_none_or(|(c, _)| Some(c) == columns.as_ref().map(|a| a.base)),
                failing,
            });
        }
        cells.push(line);
    }
    let failing = checks
        .iter()
        .filter(|c| failing_ids.contains(&c.id))
        .map(|c| FailingCheck {
            id: c.id.clone(),
            formula: c.formula.clone(),
            protects: c.protects.clone(),
        })
        .collect();
    Some(Table {
        name: at.name.to_string(),
        figure,
        caption,
        rows,
        columns,
        cells,
        failing,
        line: at.line,
    })
}

/// The side `key` (`rows:` or `columns:`): an assumption with a range that `figure` rests
/// on, and the values it takes. `Ok(None)` when an optional side is absent, `Err` when the
/// field has a problem (reported).
#[allow(clippy::too_many_arguments)]
fn axis(
    loader: &mut Loader,
    at: &At,
    fields: &Map<String, Json>,
    key: &str,
    calculator: &Calculator,
    figure: Option<&(usize, String)>,
    steps: Option<usize>,
    required: bool,
) -> Result<Option<Axis>, ()> {
    let model = &calculator.model;
    let Some(name) = loader.text_field(at, fields, key) else {
        if required && !fields.contains_key(key) {
            loader.report(
                at,
                format!("has no `{key}:`"),
                format!("add `{key}:` with an assumption that has a `range:`"),
            );
            return Err(());
        }
        return if fields.contains_key(key) {
            Err(())
        } else {
            Ok(None)
        };
    };
    let i = match calculator.assumption(&name) {
        Ok(i) => i,
        Err(e) => {
            loader.report(at, format!("`{key}:` names {}", e.message), e.help);
            return Err(());
        }
    };
    let spec = model.specs.get(i).ok_or(())?;
    let Some((low, high)) = spec.range().map(|(l, h)| (l.number(), h.number())) else {
        loader.report(
            at,
            format!("`{key}: {name}` has no `range:`"),
            "give the assumption `range: [low, high]`, or choose one that has a range",
        );
        return Err(());
    };
    if let Some((f, figure_name)) = figure
        && !model.rests_on(*f).contains(&name)
    {
        loader.report(
            at,
            format!("`{figure_name}` does not rest on `{name}`: every cell of that side would be the same"),
            format!(
                "choose an assumption that `{figure_name}` rests on: {}",
                model.rests_on(*f).iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        );
        return Err(());
    }
    let base = spec.literal.as_ref().map_or(low, |q| q.number());
    let date = spec.unit == Some(super::units::Declared::Date);
    let mut values: Vec<f64> = match steps {
        Some(n) => (0..n)
            .map(|k| {
                let v = low + (high - low) * k as f64 / (n - 1) as f64;
                // A date moves by whole months.
                if date { v.round() } else { v }
            })
            .collect(),
        None => vec![low, high],
    };
    values.push(base);
    values.sort_by(f64::total_cmp);
    values.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * a.abs().max(b.abs()));
    let base_at = values
        .iter()
        .position(|v| (v - base).abs() <= 1e-9 * v.abs().max(base.abs()))
        .unwrap_or(0);
    let displays = values.iter().map(|&v| calculator.show(i, v)).collect();
    debug_assert!(spec.kind == Some(Kind::Assumption));
    Ok(Some(Axis {
        figure: name,
        label: spec.label.clone(),
        values,
        displays,
        base: base_at,
    }))
}
