//! `briefing figures`: every figure of `data/figures.yaml` with its value in its own unit,
//! kind, formula and source, as a table for people or as stable JSON or CSV for tools.

use std::path::Path;

use crate::figures::{self, Figures};
use crate::load::site::FIGURES_FILE;
use crate::util::error::{Problem, Problems};
use crate::util::files::display_path;

/// How `briefing figures` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for reading in a terminal
    #[default]
    Table,
    /// One JSON document: figures, sources, checks, scenarios and the model (as figures.json)
    Json,
    /// One row per figure, RFC 4180 (as figures.csv)
    Csv,
}

pub use crate::render::data::{CheckRow, FigureRow, FigureTable, SourceRow, Value, table};

/// Load `ROOT/data/figures.yaml` alone: the figures do not depend on the pages, so a
/// problem in a page does not hide them.
pub fn load(root: &Path) -> Result<Figures, Problems> {
    let path = root.join(FIGURES_FILE);
    let shown = display_path(root, &path);
    match std::fs::read(&path) {
        Ok(bytes) => figures::load(&shown, &crate::util::files::decode(&shown, bytes)?),
        Err(err) => Err(Problem::new(shown, format!("cannot read: {err}"))
            .help("run `briefing figures` in a site's folder, or pass `--root DIR`")
            .into()),
    }
}

/// The figures as they are in the scenario `name`; an unknown name is a problem with the
/// closest declared one.
pub fn in_scenario(root: &Path, figures: &Figures, name: &str) -> Result<Figures, Problems> {
    figures.in_scenario(name).ok_or_else(|| {
        let path = display_path(root, &root.join(FIGURES_FILE));
        let help = match figures.suggest_scenario(name) {
            Some(s) => format!("did you mean `{s}`?"),
            None if figures.scenarios().next().is_none() => {
                "declare scenarios under `scenarios:` in data/figures.yaml".to_string()
            }
            None => format!(
                "the scenarios are: {}",
                figures
                    .scenarios()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Problem::new(path, format!("unknown scenario `{name}`"))
            .help(help)
            .into()
    })
}

/// The whole output of `briefing figures --format FORMAT`, ending in a newline.
pub fn render(figures: &Figures, format: Format) -> String {
    match format {
        Format::Json => crate::render::data::json(figures),
        Format::Csv => crate::render::data::csv(figures),
        Format::Table => text_table(&table(figures)),
    }
}

fn text_table(table: &FigureTable) -> String {
    let header = [
        "FIGURE", "VALUE", "UNIT", "DISPLAY", "KIND", "RANGE", "FROM",
    ];
    let rows: Vec<[String; 7]> = table
        .figures
        .iter()
        .map(|f| {
            let range = match (&f.low, &f.high) {
                (Some(low), Some(high)) => format!("{} .. {}", low.text(), high.text()),
                _ => String::new(),
            };
            let from = match (&f.formula, &f.source) {
                (Some(formula), _) => format!("= {formula}"),
                (None, Some(source)) => format!("source: {source}"),
                (None, None) => "assumed".to_string(),
            };
            [
                f.name.clone(),
                f.value.text(),
                f.unit.clone(),
                f.display.clone(),
                f.kind.clone(),
                range,
                from,
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut push_row = |cells: &[String]| {
        let mut line = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    push_row(&header.map(String::from));
    for row in &rows {
        push_row(row);
    }
    if !table.checks.is_empty() {
        out.push_str(&format!("\n{} checks hold:\n", table.checks.len()));
        for check in &table.checks {
            let over = if check.tested_over.is_empty() {
                String::new()
            } else {
                format!(", and across the range of {}", check.tested_over.join(", "))
            };
            out.push_str(&format!(
                "  {}: {} ({} vs {}{over})\n",
                check.id, check.formula, check.left, check.right
            ));
        }
    }
    out
}
