//! Figures: where problems in `data/figures.yaml` are, and how they are reported: each
//! entry's position, and the readers of fields that report what is wrong with them.

use std::fmt;
use std::path::Path;

use serde_json::{Map, Value as Json};

use crate::util::error::{Problem, did_you_mean};

/// Where an entry is, to point problems at it.
pub(super) struct At<'a> {
    pub(super) what: &'static str,
    pub(super) name: &'a str,
    pub(super) line: usize,
    pub(super) column: usize,
}

pub(super) struct Loader<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
    pub(super) problems: Vec<Problem>,
    /// Where each entry is written, found once for all entries.
    positions: std::cell::OnceCell<crate::util::yaml::KeyPositions>,
}

impl<'a> Loader<'a> {
    pub(super) fn new(path: &'a Path, text: &'a str) -> Loader<'a> {
        Loader {
            path,
            text,
            problems: Vec::new(),
            positions: std::cell::OnceCell::new(),
        }
    }
}

impl Loader<'_> {
    pub(super) fn at<'n>(&self, section: &str, what: &'static str, name: &'n str) -> At<'n> {
        let positions = self
            .positions
            .get_or_init(|| crate::util::yaml::KeyPositions::new(self.text));
        let (line, column) = positions
            .get(Some(section), name)
            .or_else(|| positions.get(None, section))
            .or_else(|| crate::util::yaml::first_mention(self.text, name))
            .unwrap_or((1, 0));
        At {
            what,
            name,
            line,
            column,
        }
    }

    pub(super) fn report(&mut self, at: &At, message: impl fmt::Display, help: impl Into<String>) {
        self.problems.push(
            Problem::new(self.path, format!("{} `{}`: {message}", at.what, at.name))
                .at(at.line, at.column)
                .help(help),
        );
    }

    /// Whether the entry at `at` is new (not in `seen`, which it joins) and its name one that
    /// pages can refer to; each problem is reported. `usable` says what a name may be.
    pub(super) fn new_name(
        &mut self,
        at: &At,
        seen: &mut std::collections::HashSet<String>,
        usable: &str,
    ) -> bool {
        if !seen.insert(at.name.to_string()) {
            self.report(
                at,
                "is declared more than once",
                "keep one declaration, or rename one of them",
            );
            return false;
        }
        if !super::formula::is_name(at.name) {
            self.report(at, "is not a usable name", usable);
            return false;
        }
        true
    }

    /// The entry's fields, after reporting any key that is not in `known`, and the known keys
    /// those typos were probably meant to be (so "missing `value:`" is not reported on top
    /// of "unknown field `vlaue`").
    pub(super) fn fields<'j>(
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
    pub(super) fn text_field(
        &mut self,
        at: &At,
        fields: &Map<String, Json>,
        key: &str,
    ) -> Option<String> {
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
}

pub(super) fn json_kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "empty",
        Json::Bool(_) => "true/false",
        Json::Number(_) => "a number",
        Json::String(_) => "text",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}
