//! Reading YAML (config, front matter, data): the only module that calls serde_yaml,
//! so the deprecated crate can be swapped for another in this one file.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::Problem;

/// Parse `text` (the contents of `path`, starting at `first_line` of that file)
/// into `T`, turning YAML and shape errors into a [`Problem`] at the right line.
pub fn parse<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    first_line: usize,
) -> Result<T, Problem> {
    serde_yaml::from_str(text).map_err(|err| {
        let (line, column) = err
            .location()
            .map_or((0, 0), |loc| (loc.line() + first_line - 1, loc.column()));
        let message = strip_location(&err.to_string());
        Problem::new(path, format!("invalid YAML: {message}"))
            .at(line, column)
            .help(help_for(&message))
    })
}

/// serde_yaml appends " at line X column Y" to its messages; we print the location ourselves.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn help_for(message: &str) -> &'static str {
    if message.contains("unknown field") {
        "remove the field or correct its spelling (the message lists the fields this file accepts)"
    } else if message.contains("invalid type") {
        "give the field a value of the type named above (quote text that YAML would read as a number or date)"
    } else if message.contains("missing field") {
        "add the missing field"
    } else {
        "check the indentation and the `key: value` syntax on this line; quote values that contain `: ` or start with `{`, `[`, `*` or `&`"
    }
}

/// 1-based line and column where `key:` is defined inside the top-level mapping `section:`
/// (or at the top level when `section` is None). serde_yaml does not keep positions
/// for values, so this scans the text; it is used only to point error messages.
pub fn key_position(text: &str, section: Option<&str>, key: &str) -> Option<(usize, usize)> {
    let mut in_section = section.is_none();
    // Only direct children count: the indent of the section's first key.
    let mut child_indent = if section.is_none() { Some(0) } else { None };
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(section) = section {
            if indent == 0 {
                in_section = trimmed
                    .strip_prefix(section)
                    .is_some_and(|rest| rest.trim_start().starts_with(':'));
                child_indent = None;
                continue;
            }
        }
        if !in_section {
            continue;
        }
        let child_indent = *child_indent.get_or_insert(indent);
        if indent != child_indent {
            continue;
        }
        let unquoted = trimmed.trim_start_matches(['"', '\'']);
        if let Some(rest) = unquoted.strip_prefix(key) {
            if rest
                .trim_start_matches(['"', '\''])
                .trim_start()
                .starts_with(':')
            {
                return Some((i + 1, indent + 1));
            }
        }
    }
    None
}

/// Where every top-level key and every direct child of a top-level mapping is defined,
/// found in one scan: [`key_position`] for many keys of one text (the figures of a
/// large data file), without a scan per key.
#[derive(Debug, Default)]
pub struct KeyPositions {
    top: std::collections::HashMap<String, (usize, usize)>,
    children: std::collections::HashMap<(String, String), (usize, usize)>,
}

impl KeyPositions {
    pub fn new(text: &str) -> KeyPositions {
        let mut positions = KeyPositions::default();
        let mut section: Option<String> = None;
        let mut child_indent: Option<usize> = None;
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let key = mapping_key(trimmed);
            if indent == 0 {
                child_indent = None;
                section = key.map(str::to_string);
                if let Some(key) = key {
                    positions.top.entry(key.to_string()).or_insert((i + 1, 1));
                }
                continue;
            }
            let Some(section) = &section else {
                continue;
            };
            if *child_indent.get_or_insert(indent) != indent {
                continue;
            }
            if let Some(key) = key {
                positions
                    .children
                    .entry((section.clone(), key.to_string()))
                    .or_insert((i + 1, indent + 1));
            }
        }
        positions
    }

    /// As [`key_position`] gives it.
    pub fn get(&self, section: Option<&str>, key: &str) -> Option<(usize, usize)> {
        match section {
            None => self.top.get(key).copied(),
            Some(section) => self
                .children
                .get(&(section.to_string(), key.to_string()))
                .copied(),
        }
    }
}

/// The key of a `key: value` line (quotes removed), if it is one.
fn mapping_key(trimmed: &str) -> Option<&str> {
    let unquoted = trimmed.trim_start_matches(['"', '\'']);
    let colon = unquoted.find(':')?;
    let key = unquoted[..colon].trim_end().trim_end_matches(['"', '\'']);
    (!key.is_empty()).then_some(key)
}

/// A YAML value of any shape, for places (front matter `extra:`) that hand user data to templates.
pub type Value = serde_yaml::Value;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn error_line_is_offset_by_first_line() {
        let err =
            parse::<BTreeMap<String, String>>(Path::new("x.md"), "a: b\nc: [\n", 2).unwrap_err();
        assert_eq!(err.path, Path::new("x.md"));
        assert!(err.line >= 3, "{err}");
        assert!(!err.message.contains(" at line "));
    }

    #[test]
    fn finds_keys_inside_a_section() {
        let text =
            "sources:\n  a:\n    title: x\nfigures:\n  monthly:\n    value: 1\n  yearly: {}\n";
        assert_eq!(key_position(text, Some("figures"), "monthly"), Some((5, 3)));
        assert_eq!(key_position(text, Some("figures"), "yearly"), Some((7, 3)));
        assert_eq!(key_position(text, Some("figures"), "a"), None);
        assert_eq!(key_position(text, None, "figures"), Some((4, 1)));
        assert_eq!(
            key_position(text, Some("figures"), "value"),
            None,
            "fields of a figure are not figures"
        );
        let all = KeyPositions::new(text);
        for (section, key) in [
            (Some("figures"), "monthly"),
            (Some("figures"), "yearly"),
            (Some("figures"), "a"),
            (None, "figures"),
            (Some("figures"), "value"),
            (Some("sources"), "a"),
            (Some("sources"), "title"),
        ] {
            assert_eq!(
                all.get(section, key),
                key_position(text, section, key),
                "{section:?} {key}"
            );
        }
    }
}
