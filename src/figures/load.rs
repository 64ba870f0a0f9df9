//! Figures: load `data/figures.yaml` — read sources and figures, order them by dependency,
//! evaluate, format, and report every problem found in one pass.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value as Json};

use super::diagnostics::{At, Loader, json_kind};
use super::eval::{self, Quantity};
use super::format::{
    Rounding, format_declared, format_rounded, range_precisions, range_text, unrounded,
    written_digits,
};
use super::formula::{self, char_pos};
use super::model::{Model, Spec, default_label};
use super::number::{DATE_HELP, NUMBER_HELP, parse_date, parse_number};
use super::scenarios::{self, Calculator};
use super::units::{Declared, Unit};
use super::{Figure, FigureRange, Figures, Kind, Parts, Source, checks, ranges, series, tables};
use crate::util::error::{Problems, did_you_mean};

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
    #[serde(default)]
    checks: Ordered,
    #[serde(default)]
    charts: Ordered,
    #[serde(default)]
    scenarios: Ordered,
    #[serde(default)]
    tables: Ordered,
}

/// A YAML mapping in the order written, since declaration order is what the figure table shows.
#[derive(Default)]
pub(super) struct Ordered(pub(super) Vec<(String, Json)>);

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

const FIGURE_KEYS: [&str; 11] = [
    "label",
    "value",
    "unit",
    "source",
    "why",
    "formula",
    "qualifier",
    "precision",
    "note",
    "quote",
    "range",
];
const SOURCE_KEYS: [&str; 6] = ["title", "publisher", "date", "url", "as_of", "quote"];

const SOURCE_DATE_HELP: &str =
    "write the date as \"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\", e.g. \"2026-11-27\"";

const UNIT_EXAMPLES: &str =
    "add `unit:`, e.g. USD, USD/month, USD/MW/year, MW, TWh, month, %, count or date";

/// Read, evaluate and format every figure in `text` (the contents of `path`, which is used
/// only in messages). All problems are collected; any problem means no figures.
pub fn load(path: &Path, text: &str) -> Result<Figures, Problems> {
    let raw: RawFile = crate::util::yaml::parse(path, text, 1)?;
    let mut loader = Loader::new(path, text);
    let mut sources = loader.sources(&raw.sources.0);
    // Every declared id, including sources with problems of their own, so that a figure
    // citing one is not reported a second time.
    let source_ids: Vec<&str> = raw.sources.0.iter().map(|(id, _)| id.as_str()).collect();
    let specs = loader.specs(raw.figures.0, &source_ids);
    let model = Model::new(specs);
    let (mut figures, corners) = loader.evaluate(&model);
    for source in &mut sources {
        source.cited_by = figures
            .iter()
            .filter(|f| f.source.as_deref() == Some(source.id.as_str()))
            .map(|f| f.name.clone())
            .collect();
    }
    let tested = checks::evaluate(&mut loader, &raw.checks.0, &model, &figures, &corners);
    let mut checks = Vec::with_capacity(tested.len());
    let mut claims = Vec::with_capacity(tested.len());
    for (check, claim) in tested {
        claims.push((check.id.clone(), claim));
        checks.push(check);
    }
    let declared: Vec<String> = model.specs.iter().map(|s| s.name().to_string()).collect();
    let declared: Vec<&str> = declared.iter().map(String::as_str).collect();
    let calculator = Calculator { model, claims };
    // Scenarios, tables and tornadoes run the model again: only once it is sound.
    let sound = loader.problems.is_empty();
    let scenarios = if sound {
        scenarios::load(
            &mut loader,
            &raw.scenarios.0,
            &calculator,
            &mut figures,
            &checks,
        )
    } else {
        Vec::new()
    };
    let tables = if sound {
        tables::load(&mut loader, &raw.tables.0, &calculator, &checks)
    } else {
        Vec::new()
    };
    let charts = series::load(
        &mut loader,
        &raw.charts.0,
        &figures,
        &declared,
        sound.then_some(&calculator),
    );
    let mut problems = loader.problems;
    if problems.is_empty() {
        let parts = Parts {
            figures,
            sources,
            checks,
            charts,
            scenarios,
            tables,
        };
        Ok(Figures::new(parts, calculator))
    } else {
        problems.sort_by_key(|p| p.line);
        Err(Problems(problems))
    }
}

impl Loader<'_> {
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
            let date = self.source_date(&at, fields, "date");
            let url = self.text_field(&at, fields, "url");
            let as_of = self.source_date(&at, fields, "as_of");
            let quote = self.text_field(&at, fields, "quote");
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
                as_of,
                quote,
                cited_by: Vec::new(),
            });
        }
        sources
    }

    /// A source's `date:` or `as_of:`: a year, a month or a day, so that it sorts and reads
    /// the same everywhere.
    fn source_date(&mut self, at: &At, fields: &Map<String, Json>, key: &str) -> Option<String> {
        let text = self.text_field(at, fields, key)?;
        match crate::util::dates::source_date(&text) {
            Ok(()) => Some(text),
            Err(why) => {
                self.report(
                    at,
                    format!("`{key}: {text}` is not a date: {why}"),
                    SOURCE_DATE_HELP,
                );
                None
            }
        }
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
        let known: HashSet<&str> = names.iter().copied().collect();
        let mut unknown = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let (Some(expr), Some(src)) = (&spec.expr, &spec.formula) else {
                continue;
            };
            for (name, span) in expr.names() {
                if !known.contains(name.as_str()) {
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
            precision: None,
            unit_text: String::new(),
            unit: None,
            kind: None,
            source: None,
            quote: None,
            why: None,
            formula: None,
            expr: None,
            inputs: Vec::new(),
            literal: None,
            range: None,
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
                Some(p) => spec.precision = usize::try_from(p).ok(),
                None => self.report(
                    at,
                    format!("`precision: {precision}` is not a number of significant digits"),
                    "write a whole number from 1 to 15, or leave it out: an estimate then shows 2 \
                     significant digits, another derived figure 3, a reported figure or an \
                     assumption the digits it is written with",
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
        spec.quote = self.text_field(at, fields, "quote");
        if spec.quote.is_some() && spec.kind.is_some_and(|k| k != Kind::Reported) {
            self.report(
                at,
                "has `quote:` but no `source:`",
                "a quote is the passage of a source that states a reported figure: add `source:`, \
                 or move the text to `note:`",
            );
        }
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
            spec.literal = self.literal(at, "value", value, spec.unit.as_ref());
        }
        if let Some(range) = fields.get("range") {
            spec.range = self.range(at, range, &spec);
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

    /// `range: [low, high]` of an assumption, read like its value and checked to hold it.
    fn range(&mut self, at: &At, range: &Json, spec: &Spec) -> Option<(Quantity, Quantity)> {
        const HELP: &str = "write the lowest and the highest plausible value, in the figure's unit, \
                            e.g. `range: [1.2, 2]` or `range: [\"2026-01\", \"2026-08\"]`";
        match spec.kind {
            Some(Kind::Assumption) => {}
            Some(kind) => {
                let why = if kind == Kind::Reported {
                    "a reported figure is the value its source gives"
                } else {
                    "a derived figure's range follows from the ranges of the assumptions it rests on"
                };
                self.report(
                    at,
                    format!("has `range:`, but only an assumption can have one ({why})"),
                    "remove `range:`, or give the range to the assumption this figure rests on",
                );
                return None;
            }
            None => return None,
        }
        let [low, high] = range.as_array().map(Vec::as_slice).unwrap_or(&[]) else {
            self.report(
                at,
                format!(
                    "`range:` should be a list of two values, not {}",
                    json_kind(range)
                ),
                HELP,
            );
            return None;
        };
        let low = self.literal(at, "range", low, spec.unit.as_ref());
        let high = self.literal(at, "range", high, spec.unit.as_ref());
        let (low, high) = (low?, high?);
        let number = |q: &Quantity| match q {
            Quantity::Measure(v, _) | Quantity::Date(v) => *v,
        };
        if number(&low) >= number(&high) {
            self.report(
                at,
                "`range:` should go from low to high, with the low end below the high end",
                HELP,
            );
            return None;
        }
        if let Some(value) = &spec.literal
            && (number(value) < number(&low) || number(value) > number(&high))
        {
            self.report(
                    at,
                    "`value:` is outside its own `range:`",
                    "the value is the central case: choose a value between the two ends, or widen the range",
                );
            return None;
        }
        Some((low, high))
    }

    /// A literal value of `key:` (`value:`, an end of `range:`, a scenario's setting) in `unit`.
    pub(super) fn literal(
        &mut self,
        at: &At,
        key: &str,
        value: &Json,
        unit: Option<&Declared>,
    ) -> Option<Quantity> {
        let text = match value {
            Json::Number(n) => {
                if unit == Some(&Declared::Date) {
                    self.report(at, format!("`{key}: {n}` is not a date"), DATE_HELP);
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
                    format!("`{key}:` should be a number, not {}", json_kind(other)),
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

    /// Evaluate in dependency order, report cycles, evaluate again at the ends of every
    /// range, and build the figures of every spec that came out with a value.
    fn evaluate(&mut self, model: &Model) -> (Vec<Figure>, ranges::Corners) {
        let specs = &model.specs;
        self.report_cycles(specs, &model.deps, &model.order);
        let mut base = Vec::with_capacity(specs.len());
        for (spec, result) in specs.iter().zip(model.run(&[])) {
            match result {
                Ok(value) => base.push(value),
                Err(e) => {
                    self.report(&spec.at(), e.message, e.help.unwrap_or_default());
                    base.push(None);
                }
            }
        }
        let corners = ranges::corners(self, model, base);

        let mut figures = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let (Some(Some(value)), Some(kind), Some(unit)) =
                (corners.base.get(i), spec.kind, &spec.unit)
            else {
                continue;
            };
            let number = value.number();
            let assumptions: Vec<String> = model.rests_on(i).iter().cloned().collect();
            let estimate = kind == Kind::Derived && !assumptions.is_empty();
            let rounding = Rounding::for_figure(kind, estimate, spec.precision, number);
            let shown = match format_rounded(
                number,
                unit,
                &spec.unit_text,
                rounding,
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
            let range = match ranges::figure_range(&corners, model, i) {
                Some((low, high, over)) => {
                    match self.range_of(spec, kind, unit, (low, high), over) {
                        Some(range) => Some(range),
                        None => continue,
                    }
                }
                None => None,
            };
            let unrounded = unrounded(number, unit, &spec.unit_text, rounding);
            figures.push(Figure {
                name: spec.name.clone(),
                label: spec.label.clone(),
                kind,
                estimate,
                rounding,
                unrounded,
                assumptions,
                value: number,
                unit: spec.unit_text.clone(),
                display: shown.display,
                number: shown.number,
                qualifier: spec.qualifier.clone(),
                formula: spec.formula.clone(),
                inputs: spec.inputs.clone(),
                source: spec.source.clone(),
                quote: spec.quote.clone(),
                range,
                why: spec.why.clone(),
                note: spec.note.clone(),
                scenarios: Vec::new(),
                line: spec.line,
            });
        }
        (figures, corners)
    }

    /// The range of a figure, rounded like the figure (an assumption's ends as written, a
    /// derived figure's ends to one decimal place); None (reported) if an end cannot be shown.
    fn range_of(
        &mut self,
        spec: &Spec,
        kind: Kind,
        unit: &Declared,
        (low, high): (f64, f64),
        over: Vec<String>,
    ) -> Option<FigureRange> {
        let (low_digits, high_digits) = match (spec.precision, kind) {
            (_, Kind::Derived) => {
                let estimate = !over.is_empty();
                let digits = Rounding::for_figure(kind, estimate, spec.precision, high).precision;
                range_precisions(low, high, digits)
            }
            (Some(p), _) => (p, p),
            (None, _) => (written_digits(low), written_digits(high)),
        };
        let show = |v: f64, digits| format_declared(v, unit, &spec.unit_text, digits, None);
        match (show(low, low_digits), show(high, high_digits)) {
            (Ok(low_shown), Ok(high_shown)) => {
                let both = range_text(&low_shown.display, &high_shown.display);
                let display = match spec.qualifier.as_deref() {
                    Some(q) => format!("{q} {both}"),
                    None => both,
                };
                Some(FigureRange {
                    low,
                    high,
                    low_display: low_shown.display,
                    high_display: high_shown.display,
                    display,
                    over,
                })
            }
            (Err(e), _) | (_, Err(e)) => {
                self.report(
                    &spec.at(),
                    format!("cannot show the range of the value: {e}"),
                    "check the ranges of the assumptions it rests on",
                );
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
