//! Figures: load `data/figures.yaml` — read sources and figures, order them by dependency,
//! evaluate, format, and report every problem found in one pass.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::Path;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value as Json};

use super::eval::{self, Quantity};
use super::format::{DEFAULT_PRECISION, format_declared};
use super::formula::{self, Expr, char_pos};
use super::number::{DATE_HELP, NUMBER_HELP, parse_date, parse_number};
use super::units::{Declared, Unit};
use super::{Figure, Figures, Kind, Source};
use crate::error::{Problem, Problems, did_you_mean};

/// The file's top level. Entries are kept as generic trees and checked field by field below,
/// rather than through `deny_unknown_fields` structs, because serde stops at the first bad
/// field and a user should see every typo in the file at once.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    sources: Ordered,
    #[serde(default)]
    figures: Ordered,
}

/// A YAML mapping in the order written, since declaration order is what the figure table shows.
#[derive(Default)]
struct Ordered(Vec<(String, Json)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor;
        impl<'de> Visitor<'de> for OrderedVisitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping from names to entries")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Ordered, E> {
                Ok(Ordered::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Ordered, E> {
                Ok(Ordered::default())
            }
        }
        deserializer.deserialize_any(OrderedVisitor)
    }
}

const FIGURE_KEYS: [&str; 9] = [
    "label",
    "value",
    "unit",
    "source",
    "why",
    "formula",
    "qualifier",
    "precision",
    "note",
];
const SOURCE_KEYS: [&str; 4] = ["title", "publisher", "date", "url"];

const UNIT_EXAMPLES: &str =
    "add `unit:`, e.g. USD, USD/month, USD/MW/year, MW, TWh, month, %, count or date";

/// Read, evaluate and format every figure in `text` (the contents of `path`, which is used
/// only in messages). All problems are collected; any problem means no figures.
pub fn load(path: &Path, text: &str) -> Result<Figures, Problems> {
    let raw: RawFile = crate::yaml::parse(path, text, 1)?;
    let mut loader = Loader {
        path,
        text,
        problems: Vec::new(),
    };
    let sources = loader.sources(&raw.sources.0);
    // Every declared id, including sources with problems of their own, so that a figure
    // citing one is not reported a second time.
    let source_ids: Vec<&str> = raw.sources.0.iter().map(|(id, _)| id.as_str()).collect();
    let specs = loader.specs(raw.figures.0, &source_ids);
    let figures = loader.evaluate(&specs);
    let mut problems = loader.problems;
    if problems.is_empty() {
        Ok(Figures::new(figures, sources))
    } else {
        problems.sort_by_key(|p| p.line);
        Err(Problems(problems))
    }
}

/// One figure as read from the file, before evaluation. Fields that had a problem are None;
/// the figure still takes part so that formulas know its name.
struct Spec {
    name: String,
    line: usize,
    column: usize,
    label: String,
    note: Option<String>,
    qualifier: Option<String>,
    precision: usize,
    unit_text: String,
    unit: Option<Declared>,
    kind: Option<Kind>,
    source: Option<String>,
    why: Option<String>,
    formula: Option<String>,
    expr: Option<Expr>,
    inputs: Vec<String>,
    literal: Option<Quantity>,
    /// The formula calls an unknown function or names an unknown figure.
    blocked: bool,
}

impl Spec {
    fn at(&self) -> At<'_> {
        At {
            what: "figure",
            name: &self.name,
            line: self.line,
            column: self.column,
        }
    }

    /// Whether the value can be computed. Problems that do not touch the value (a typo in
    /// `note`, an unknown source) leave it ready, so the figures after it are still checked.
    fn ready(&self) -> bool {
        self.unit.is_some()
            && match self.kind {
                Some(Kind::Derived) => self.expr.is_some() && !self.blocked,
                Some(_) => self.literal.is_some(),
                None => false,
            }
    }
}

/// Where an entry is, to point problems at it.
struct At<'a> {
    what: &'static str,
    name: &'a str,
    line: usize,
    column: usize,
}

struct Loader<'a> {
    path: &'a Path,
    text: &'a str,
    problems: Vec<Problem>,
}

impl Loader<'_> {
    fn at<'n>(&self, section: &str, what: &'static str, name: &'n str) -> At<'n> {
        let (line, column) = crate::yaml::key_position(self.text, Some(section), name)
            .or_else(|| crate::yaml::key_position(self.text, None, section))
            .unwrap_or((0, 0));
        At {
            what,
            name,
            line,
            column,
        }
    }

    fn report(&mut self, at: &At, message: impl fmt::Display, help: impl Into<String>) {
        self.problems.push(
            Problem::new(self.path, format!("{} `{}`: {message}", at.what, at.name))
                .at(at.line, at.column)
                .help(help),
        );
    }

    /// The entry's fields, after reporting any key that is not in `known`, and the known keys
    /// those typos were probably meant to be (so "missing `value:`" is not reported on top
    /// of "unknown field `vlaue`").
    fn fields<'j>(
        &mut self,
        at: &At,
        entry: &'j Json,
        known: &[&'static str],
    ) -> Option<(&'j Map<String, Json>, Vec<&'static str>)> {
        let Some(fields) = entry.as_object() else {
            self.report(
                at,
                format!("should be a mapping of fields, not {}", json_kind(entry)),
                format!("indent its fields under the name: {}", known.join(", ")),
            );
            return None;
        };
        let mut meant = Vec::new();
        for key in fields.keys() {
            if !known.contains(&key.as_str()) {
                let help = match did_you_mean(key, known.iter().copied()) {
                    Some(s) => {
                        meant.push(s);
                        format!(
                            "did you mean `{s}`? (a {} takes {})",
                            at.what,
                            known.join(", ")
                        )
                    }
                    None => format!("remove it; a {} takes {}", at.what, known.join(", ")),
                };
                self.report(at, format!("unknown field `{key}`"), help);
            }
        }
        Some((fields, meant))
    }

    /// A text field: strings as written, numbers as their digits (`unit: 1`); None if absent
    /// or not text (reported).
    fn text_field(&mut self, at: &At, fields: &Map<String, Json>, key: &str) -> Option<String> {
        match fields.get(key)? {
            Json::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Json::Number(n) => Some(n.to_string()),
            Json::String(_) | Json::Null => {
                self.report(
                    at,
                    format!("`{key}:` is empty"),
                    "give it a value, or remove the line",
                );
                None
            }
            other => {
                self.report(
                    at,
                    format!("`{key}:` should be text, not {}", json_kind(other)),
                    "write it on one line after the colon, quoted if it contains `: ` or starts with `[` or `{`",
                );
                None
            }
        }
    }

    fn sources(&mut self, raw: &[(String, Json)]) -> Vec<Source> {
        let mut sources: Vec<Source> = Vec::new();
        let mut seen = HashSet::new();
        for (id, entry) in raw {
            let at = self.at("sources", "source", id);
            if !seen.insert(id.as_str()) {
                self.report(
                    &at,
                    "is declared more than once",
                    "keep one declaration, or rename one of them",
                );
                continue;
            }
            let Some((fields, meant)) = self.fields(&at, entry, &SOURCE_KEYS) else {
                continue;
            };
            let title = self.text_field(&at, fields, "title");
            let publisher = self.text_field(&at, fields, "publisher");
            let date = self.text_field(&at, fields, "date");
            let url = self.text_field(&at, fields, "url");
            let Some(title) = title else {
                if !fields.contains_key("title") && !meant.contains(&"title") {
                    self.report(
                        &at,
                        "has no `title:`",
                        "add `title:` with the document's headline or name",
                    );
                }
                continue;
            };
            sources.push(Source {
                line: at.line,
                id: id.clone(),
                title,
                publisher,
                date,
                url,
            });
        }
        sources
    }

    fn specs(&mut self, raw: Vec<(String, Json)>, source_ids: &[&str]) -> Vec<Spec> {
        let mut specs: Vec<Spec> = Vec::new();
        let mut seen = HashSet::new();
        for (name, entry) in &raw {
            let at = self.at("figures", "figure", name);
            if !seen.insert(name.as_str()) {
                self.report(
                    &at,
                    "is declared more than once",
                    "keep one declaration, or rename one of them",
                );
                continue;
            }
            let spec = self.spec(&at, entry, source_ids);
            if !formula::is_name(name) {
                self.report(
                    &at,
                    "is not a usable name",
                    "a figure name has letters, digits and `_` and starts with a letter, e.g. `monthly_payment`, \
                     so that formulas and pages can refer to it",
                );
            }
            specs.push(spec);
        }
        // Names are checked once every figure is known, so order in the file does not matter.
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        let mut unknown = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let (Some(expr), Some(src)) = (&spec.expr, &spec.formula) else {
                continue;
            };
            for (name, span) in expr.names() {
                if !names.contains(&name.as_str()) {
                    let help = match did_you_mean(&name, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if Unit::is_atom(&name) => {
                            format!("to use `{name}` as a unit, put a number before it: `1 {name}`")
                        }
                        None => "declare it under `figures:`, or correct the spelling".to_string(),
                    };
                    let message = format!(
                        "formula `{src}`, character {}: unknown figure `{name}`",
                        char_pos(src, span.start)
                    );
                    unknown.push((i, message, help));
                }
            }
        }
        for (i, message, help) in unknown {
            if let Some(spec) = specs.get_mut(i) {
                spec.blocked = true;
                self.report(&spec.at(), message, help);
            }
        }
        specs
    }

    fn spec(&mut self, at: &At, entry: &Json, source_ids: &[&str]) -> Spec {
        let mut spec = Spec {
            name: at.name.to_string(),
            line: at.line,
            column: at.column,
            label: default_label(at.name),
            note: None,
            qualifier: None,
            precision: DEFAULT_PRECISION,
            unit_text: String::new(),
            unit: None,
            kind: None,
            source: None,
            why: None,
            formula: None,
            expr: None,
            inputs: Vec::new(),
            literal: None,
            blocked: false,
        };
        let Some((fields, meant)) = self.fields(at, entry, &FIGURE_KEYS) else {
            return spec;
        };
        if let Some(label) = self.text_field(at, fields, "label") {
            spec.label = label;
        }
        spec.note = self.text_field(at, fields, "note");
        spec.qualifier = self.text_field(at, fields, "qualifier");
        if let Some(precision) = fields.get("precision") {
            match precision.as_u64().filter(|p| (1..=15).contains(p)) {
                Some(p) => spec.precision = usize::try_from(p).unwrap_or(DEFAULT_PRECISION),
                None => self.report(
                    at,
                    format!("`precision: {precision}` is not a number of significant digits"),
                    "write a whole number from 1 to 15 (the default is 3)",
                ),
            }
        }
        match self.text_field(at, fields, "unit") {
            Some(text) => {
                match Declared::parse(&text) {
                    Ok(unit) => spec.unit = Some(unit),
                    Err(e) => self.report(at, e.message, e.help),
                }
                spec.unit_text = text;
            }
            None if !fields.contains_key("unit") && !meant.contains(&"unit") => {
                self.report(at, "has no `unit:`", UNIT_EXAMPLES);
            }
            None => {}
        }
        spec.kind = self.kind(at, fields, &meant);
        spec.source = self.text_field(at, fields, "source");
        spec.why = self.text_field(at, fields, "why");
        spec.formula = self.text_field(at, fields, "formula");
        let cited = match (spec.kind, &spec.source) {
            (Some(Kind::Reported), Some(id)) => Some(id),
            _ => None,
        };
        if let Some(id) = cited.filter(|id| !source_ids.contains(&id.as_str())) {
            let help = match did_you_mean(id, source_ids.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("declare `{id}:` under `sources:` with a `title:`"),
            };
            self.report(at, format!("unknown source `{id}`"), help);
        }
        if let Some(value) = fields
            .get("value")
            .filter(|_| spec.kind != Some(Kind::Derived))
        {
            spec.literal = self.literal(at, value, spec.unit.as_ref());
        }
        if let (Some(Kind::Derived), Some(src)) = (spec.kind, &spec.formula) {
            match formula::parse(src) {
                Ok(expr) => {
                    for (span, e) in eval::check_calls(&expr) {
                        spec.blocked = true;
                        let message = format!(
                            "formula `{src}`, character {}: {}",
                            char_pos(src, span.start),
                            e.message
                        );
                        self.report(at, message, e.help.unwrap_or_default());
                    }
                    spec.inputs = expr.names().into_iter().map(|(n, _)| n).collect();
                    spec.expr = Some(expr);
                }
                Err(e) => {
                    let message = format!("formula `{src}`, character {}: {}", e.at, e.message);
                    let help = e.help.unwrap_or_else(|| {
                        "a formula combines figure names and numbers with + - * /, parentheses, and \
                         months_between(a, b), min, max, abs, round; a number may carry a unit: `1 month`"
                            .to_string()
                    });
                    self.report(at, message, help);
                }
            }
        }
        spec
    }

    /// Which of `source:`, `why:` and `formula:` the figure has, reporting none or several,
    /// and a `value:` where it is missing or not allowed.
    fn kind(&mut self, at: &At, fields: &Map<String, Json>, meant: &[&str]) -> Option<Kind> {
        let present: Vec<(&str, Kind)> = [
            ("source", Kind::Reported),
            ("why", Kind::Assumption),
            ("formula", Kind::Derived),
        ]
        .into_iter()
        .filter(|(key, _)| fields.contains_key(*key))
        .collect();
        let has_value = fields.contains_key("value");
        let value_meant = has_value || meant.contains(&"value");
        match present.as_slice() {
            [] if meant
                .iter()
                .any(|k| ["source", "why", "formula"].contains(k)) =>
            {
                None
            }
            [] => {
                self.report(
                    at,
                    "needs one of `source:`, `why:` or `formula:`",
                    "add `source: <id>` if a source reports the number, `why: <reason>` if it is an \
                     assumption, or `formula: <expression>` to derive it from other figures",
                );
                None
            }
            [(_, Kind::Derived)] if has_value => {
                self.report(
                    at,
                    "has both `formula:` and `value:`",
                    "remove `value:` (a derived figure's value comes from its formula), or replace \
                     `formula:` by `source:` or `why:`",
                );
                Some(Kind::Derived)
            }
            [(key, kind)] if *kind != Kind::Derived && !value_meant => {
                self.report(
                    at,
                    format!("has `{key}:` but no `value:`"),
                    "add the number, e.g. `value: 1.25 billion` (or `value: \"2029-05\"` for a date)",
                );
                Some(*kind)
            }
            [(_, kind)] => Some(*kind),
            several => {
                let keys: Vec<String> = several.iter().map(|(k, _)| format!("`{k}:`")).collect();
                self.report(
                    at,
                    format!("has {}; a figure takes exactly one", keys.join(" and ")),
                    "keep `source:` for a reported number, `why:` for an assumption, or `formula:` for a \
                     derived figure",
                );
                None
            }
        }
    }

    fn literal(&mut self, at: &At, value: &Json, unit: Option<&Declared>) -> Option<Quantity> {
        let text = match value {
            Json::Number(n) => {
                if unit == Some(&Declared::Date) {
                    self.report(at, format!("`value: {n}` is not a date"), DATE_HELP);
                    return None;
                }
                let Some(Declared::Measure(unit)) = unit else {
                    return None;
                };
                return n.as_f64().map(|v| Quantity::Measure(v, unit.clone()));
            }
            Json::String(s) => s,
            other => {
                self.report(
                    at,
                    format!("`value:` should be a number, not {}", json_kind(other)),
                    NUMBER_HELP,
                );
                return None;
            }
        };
        match unit {
            Some(Declared::Date) => match parse_date(text) {
                Ok(months) => Some(Quantity::Date(months)),
                Err(e) => {
                    self.report(at, e, DATE_HELP);
                    None
                }
            },
            Some(Declared::Measure(unit)) => match parse_number(text) {
                Ok(v) => Some(Quantity::Measure(v, unit.clone())),
                Err(e) => {
                    self.report(at, e, NUMBER_HELP);
                    None
                }
            },
            // The unit has its own problem; still check the value reads as something.
            None => {
                if parse_number(text).is_err() && parse_date(text).is_err() {
                    self.report(
                        at,
                        format!("cannot read `{}` as a number or a date", text.trim()),
                        NUMBER_HELP,
                    );
                }
                None
            }
        }
    }

    /// Evaluate in dependency order, report cycles, and build the figures of every spec
    /// that came out with a value.
    fn evaluate(&mut self, specs: &[Spec]) -> Vec<Figure> {
        let index: HashMap<&str, usize> = specs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), i))
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
        self.report_cycles(specs, &deps, &order);

        let mut values: Vec<Option<Quantity>> = vec![None; specs.len()];
        let mut assumptions: Vec<BTreeSet<String>> = vec![BTreeSet::new(); specs.len()];
        for &i in &order {
            let (Some(spec), Some(dep)) = (specs.get(i), deps.get(i)) else {
                continue;
            };
            let rests_on: BTreeSet<String> = match spec.kind {
                Some(Kind::Assumption) => BTreeSet::from([spec.name.clone()]),
                Some(Kind::Derived) => dep
                    .iter()
                    .filter_map(|&d| assumptions.get(d))
                    .flatten()
                    .cloned()
                    .collect(),
                _ => BTreeSet::new(),
            };
            let value = if spec.ready() {
                self.value(spec, dep, &values, &index)
            } else {
                None
            };
            if let Some(slot) = assumptions.get_mut(i) {
                *slot = rests_on;
            }
            if let Some(slot) = values.get_mut(i) {
                *slot = value;
            }
        }

        let mut figures = Vec::new();
        for ((spec, value), rests_on) in specs.iter().zip(values).zip(assumptions) {
            let (Some(value), Some(kind), Some(unit)) = (value, spec.kind, &spec.unit) else {
                continue;
            };
            let number = match value {
                Quantity::Measure(v, _) | Quantity::Date(v) => v,
            };
            let shown = match format_declared(
                number,
                unit,
                &spec.unit_text,
                spec.precision,
                spec.qualifier.as_deref(),
            ) {
                Ok(shown) => shown,
                Err(e) => {
                    self.report(
                        &spec.at(),
                        format!("cannot show the value: {e}"),
                        "check the formula and the unit",
                    );
                    continue;
                }
            };
            let assumptions: Vec<String> = rests_on.into_iter().collect();
            figures.push(Figure {
                name: spec.name.clone(),
                label: spec.label.clone(),
                kind,
                estimate: kind == Kind::Derived && !assumptions.is_empty(),
                assumptions,
                value: number,
                unit: spec.unit_text.clone(),
                display: shown.display,
                number: shown.number,
                qualifier: spec.qualifier.clone(),
                formula: spec.formula.clone(),
                inputs: spec.inputs.clone(),
                source: spec.source.clone(),
                why: spec.why.clone(),
                note: spec.note.clone(),
                line: spec.line,
            });
        }
        figures
    }

    /// The value of one figure, in its declared unit; None (without a new problem) when an
    /// input has no value, since that input's own problem is already reported.
    fn value(
        &mut self,
        spec: &Spec,
        deps: &[usize],
        values: &[Option<Quantity>],
        index: &HashMap<&str, usize>,
    ) -> Option<Quantity> {
        let unit = spec.unit.as_ref()?;
        if spec.kind != Some(Kind::Derived) {
            return spec.literal.clone();
        }
        if deps
            .iter()
            .any(|&d| values.get(d).is_none_or(Option::is_none))
        {
            return None;
        }
        let (expr, src) = (spec.expr.as_ref()?, spec.formula.as_deref()?);
        let lookup = |name: &str| {
            index
                .get(name)
                .and_then(|&i| values.get(i))
                .and_then(Clone::clone)
        };
        let result = eval::eval(expr, src, &lookup).and_then(|q| {
            let converted = eval::convert(q, unit, &spec.unit_text)?;
            Ok(match unit {
                Declared::Date => Quantity::Date(converted),
                Declared::Measure(u) => Quantity::Measure(converted, u.clone()),
            })
        });
        match result {
            Ok(q) => Some(q),
            Err(e) => {
                self.report(&spec.at(), e.message, e.help.unwrap_or_default());
                None
            }
        }
    }

    /// One problem per cycle, naming it whole ("a -> b -> a"), at its first-declared figure.
    /// Figures that only depend on a cycle get no problem of their own.
    fn report_cycles(&mut self, specs: &[Spec], deps: &[Vec<usize>], order: &[usize]) {
        let mut done: Vec<bool> = vec![false; specs.len()];
        for &i in order {
            if let Some(d) = done.get_mut(i) {
                *d = true;
            }
        }
        for start in 0..specs.len() {
            let mut path: Vec<usize> = Vec::new();
            let mut on_path: HashSet<usize> = HashSet::new();
            let mut current = start;
            // Every figure left out of the order waits on another one left out, so this walk
            // ends either in a cycle already reported or in a new one.
            while !done.get(current).copied().unwrap_or(true) {
                if on_path.contains(&current) {
                    let from = path.iter().position(|&p| p == current).unwrap_or(0);
                    let cycle = path.get(from..).unwrap_or(&[]).to_vec();
                    self.report_cycle(specs, &cycle);
                    break;
                }
                path.push(current);
                on_path.insert(current);
                let next = deps.get(current).and_then(|d| {
                    d.iter()
                        .copied()
                        .find(|&n| !done.get(n).copied().unwrap_or(true))
                });
                match next {
                    Some(n) => current = n,
                    None => break,
                }
            }
            for p in path {
                if let Some(d) = done.get_mut(p) {
                    *d = true;
                }
            }
        }
    }

    fn report_cycle(&mut self, specs: &[Spec], cycle: &[usize]) {
        let Some(first) = cycle
            .iter()
            .enumerate()
            .min_by_key(|&(_, &i)| i)
            .map(|(k, _)| k)
        else {
            return;
        };
        let rotated: Vec<&str> = cycle
            .iter()
            .cycle()
            .skip(first)
            .take(cycle.len() + 1)
            .filter_map(|&i| specs.get(i).map(|s| s.name.as_str()))
            .collect();
        let Some(spec) = cycle.get(first).and_then(|&i| specs.get(i)) else {
            return;
        };
        self.report(
            &spec.at(),
            format!("formulas depend on each other in a cycle: {}", rotated.join(" -> ")),
            "a figure cannot depend on itself; give one of them a reported value or an assumption instead of a formula",
        );
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

fn default_label(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn json_kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "empty",
        Json::Bool(_) => "true/false",
        Json::Number(_) => "a number",
        Json::String(_) => "text",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}
