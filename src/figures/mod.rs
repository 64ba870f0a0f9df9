//! Figures: the computation module — every number the prose uses, declared in `data/figures.yaml`,
//! evaluated in dependency order with units, and formatted with one policy.
//!
//! Steps, one file each: [`load`] reads the file and orders the figures by dependency,
//! `number` reads literal values, `units` parses and converts units, `formula` parses
//! formulas, `eval` evaluates them, and [`format`] turns values into prose.

mod eval;
mod format;
mod formula;
mod load;
mod number;
#[cfg(test)]
mod tests;
mod units;

use std::collections::HashMap;

use serde::Serialize;
use serde::ser::SerializeMap;

pub use format::{DEFAULT_PRECISION, Formatted, format, format_value};
pub use load::load;

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
    /// The assumptions it rests on, sorted; an assumption lists itself.
    pub assumptions: Vec<String>,
    /// The value in the figure's own unit; for a date, months since year 0 (year * 12 + month - 1).
    pub value: f64,
    /// The unit as declared, e.g. "USD/year", "MW", "date".
    pub unit: String,
    /// The value as the prose shows it, qualifier included: "more than $40 billion".
    pub display: String,
    /// The display without the unit words, for key-figure cards: "$1.25 billion", "300".
    pub number: String,
    pub qualifier: Option<String>,
    /// Derived only: the formula as written.
    pub formula: Option<String>,
    /// Derived only: the figures the formula uses, in order of first appearance.
    pub inputs: Vec<String>,
    /// Reported only: the id of the source.
    pub source: Option<String>,
    /// Assumption only: why the value was chosen.
    pub why: Option<String>,
    pub note: Option<String>,
    /// 1-based line of the figure's key in the file.
    pub line: usize,
}

/// A document figures are reported from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub publisher: Option<String>,
    pub date: Option<String>,
    pub url: Option<String>,
    /// 1-based line of the source's key in the file.
    pub line: usize,
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
}

impl Figures {
    pub fn empty() -> Figures {
        Figures::default()
    }

    pub(crate) fn new(figures: Vec<Figure>, sources: Vec<Source>) -> Figures {
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
        }
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

    pub fn len(&self) -> usize {
        self.figures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.figures.is_empty()
    }

    /// The declared figure closest to a misspelt `name`, for "did you mean" help.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        crate::error::did_you_mean(name, self.names())
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
