//! Figures: references to figures in text (`{{ name }}`, `{{ name | number }}`), looked up
//! and shown as plain text. The Markdown renderer wraps what [`lookup`] finds in its
//! markup; titles, descriptions and other one-line texts take it as it is ([`plain`]).

use super::{Figure, Figures};

/// How a reference shows its figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// `{{ name }}`: the figure as prose shows it.
    Display,
    /// `{{ name | number }}`: the number without its unit words.
    Number,
    /// `{{ name | range }}`: low to high, over the ranges of its assumptions.
    Range,
    /// `{{ name | plain }}`: the display, as text without markup.
    Plain,
    /// `{{ name | scenario: slow_ramp }}`: the figure as prose shows it in a named scenario.
    Scenario,
}

/// A reference that cannot be shown: what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceError {
    pub message: String,
    pub help: String,
}

fn error(message: String, help: impl Into<String>) -> ReferenceError {
    ReferenceError {
        message,
        help: help.into(),
    }
}

/// The figure named by `inner` (the text between `{{` and `}}`), how it is shown and the
/// text it shows.
pub fn lookup<'f>(
    figures: &'f Figures,
    inner: &str,
) -> Result<(&'f Figure, Shown, &'f str), ReferenceError> {
    let inner = inner.trim();
    for block in ["chart", "table"] {
        if let Some(name) = inner.strip_prefix(block).and_then(|r| r.strip_prefix(':')) {
            return Err(error(
                format!("{block} `{}` is inside a sentence", name.trim()),
                format!(
                    "a {block} stands in a paragraph of its own: put `{{{{ {block}: name }}}}` alone, with a blank line before and after it"
                ),
            ));
        }
    }
    let mut parts = inner.split('|').map(str::trim);
    let name = parts.next().unwrap_or("");
    let filter = parts.next();
    if parts.next().is_some() {
        return Err(error(
            format!("figure reference `{{{{ {inner} }}}}` has more than one filter"),
            "use one of `{{ name }}`, `{{ name | number }}`, `{{ name | range }}`, `{{ name | plain }}` or `{{ name | scenario: scenario_name }}`",
        ));
    }
    if !super::formula::is_name(name) {
        return Err(error(
            format!("`{{{{ {inner} }}}}` is not a figure reference"),
            "write a figure's name from data/figures.yaml, e.g. `{{ monthly_payment }}`",
        ));
    }
    let Some(figure) = figures.get(name) else {
        let help = match figures.suggest(name) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None if figures.is_empty() => {
                "declare it under `figures:` in data/figures.yaml (there is no figure yet)"
                    .to_string()
            }
            None => {
                "declare it under `figures:` in data/figures.yaml, or correct the name".to_string()
            }
        };
        return Err(error(format!("unknown figure `{name}`"), help));
    };
    let (shown, text) = match filter {
        None => (Shown::Display, figure.display.as_str()),
        Some("number") => (Shown::Number, figure.number.as_str()),
        Some("plain") => (Shown::Plain, figure.display.as_str()),
        Some("range") => match &figure.range {
            Some(range) => (Shown::Range, range.display.as_str()),
            None => {
                return Err(error(
                    format!("figure `{name}` has no range"),
                    "a figure has a range when it is, or rests on, an assumption with `range: [low, high]` in data/figures.yaml; write `{{ name }}` for its value",
                ));
            }
        },
        Some(filter) if filter.starts_with("scenario") => {
            let scenario = filter
                .strip_prefix("scenario")
                .map(str::trim_start)
                .and_then(|r| r.strip_prefix(':'))
                .map(str::trim)
                .unwrap_or("");
            if scenario.is_empty() {
                return Err(error(
                    format!("`{{{{ {inner} }}}}` names no scenario"),
                    "write `{{ name | scenario: scenario_name }}` with a scenario declared under `scenarios:`",
                ));
            }
            match figure.in_scenario(scenario) {
                Some(outcome) => (Shown::Scenario, outcome.display.as_str()),
                None => {
                    let help = match figures.suggest_scenario(scenario) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "declare it under `scenarios:` in data/figures.yaml, or correct the name".to_string(),
                    };
                    return Err(error(format!("unknown scenario `{scenario}`"), help));
                }
            }
        }
        Some(other) => {
            return Err(error(
                format!("unknown figure filter `{other}`"),
                "the filters are `number` (the number without its unit words), `range` (low to high, over the ranges of its assumptions), `plain` (text without the link) and `scenario: name` (the value in a named scenario)",
            ));
        }
    };
    Ok((figure, shown, text))
}

/// `text` with every figure reference replaced by the text it shows, for places that
/// hold plain text (a title, a description). On a bad reference, its byte offset in
/// `text` and what is wrong.
pub fn plain(figures: &Figures, text: &str) -> Result<String, (usize, ReferenceError)> {
    if !text.contains("{{") {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let offset = text.len() - rest.len() + start;
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err((
                offset,
                error(
                    "unclosed figure reference `{{`".to_string(),
                    "close it as `{{ figure_name }}`",
                ),
            ));
        };
        let (_, _, shown) = lookup(figures, &after[..end]).map_err(|e| (offset, e))?;
        out.push_str(shown);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}
