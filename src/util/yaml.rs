//! Reading YAML (config, front matter, data): the only module that calls serde_yaml,
//! so the deprecated crate can be swapped for another in this one file.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::util::error::Problem;

/// Parse `text` (the contents of `path`, starting at `first_line` of that file)
/// into `T`, turning YAML and shape errors into a [`Problem`] at the right line.
pub fn parse<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    first_line: usize,
) -> Result<T, Problem> {
    check_nesting(path, text, first_line)?;
    check_aliases(path, text, first_line)?;
    serde_yaml::from_str(text).map_err(|err| {
        if is_repetition_limit(&err) {
            return alias_problem(path, text, first_line);
        }
        let message = strip_location(&err.to_string());
        // serde_yaml gives no place for a few errors: still name a line of the text.
        let (line, column) = match err.location() {
            Some(loc) => (loc.line() + first_line - 1, loc.column()),
            None => {
                second_document(text).map_or((first_line, 0), |line| (line + first_line - 1, 1))
            }
        };
        Problem::new(path, format!("invalid YAML: {message}"))
            .at(line, column)
            .help(help_for(&message))
    })
}

/// serde_yaml refuses to nest deeper than 128 levels, but only after libyaml has read the
/// whole text, and libyaml takes time quadratic in the depth of `[` and `{`: 40,000 of
/// them, 40 KB, take 13 s. Brackets are counted first (quotes and comments included, so
/// the count can only be too high); far past serde_yaml's limit the text is refused at
/// the bracket that passes it.
const MAX_BRACKETS: usize = 1_000;
const YAML_DEPTH: usize = 128;

fn check_nesting(path: &Path, text: &str, first_line: usize) -> Result<(), Problem> {
    let mut open: Vec<usize> = Vec::new();
    for (at, byte) in text.bytes().enumerate() {
        match byte {
            b'[' | b'{' => {
                open.push(at);
                if open.len() > MAX_BRACKETS {
                    let (line, column) = crate::util::error::line_col(text, open[YAML_DEPTH]);
                    return Err(Problem::new(
                        path,
                        format!("YAML lists and mappings nest more than {YAML_DEPTH} levels deep"),
                    )
                    .at(line + first_line - 1, column)
                    .help(
                        "close the `[` and `{` you open, or write the values as an indented list",
                    ));
                }
            }
            b']' | b'}' => {
                open.pop();
            }
            _ => {}
        }
    }
    Ok(())
}

/// How many values aliases may add to a file beyond one per byte of its text. Without
/// aliases a file holds fewer values than bytes; this leaves room for aliases used
/// as a shorthand and none for a "billion laughs", whose aliases repeat anchors that
/// hold aliases until the values fill the memory.
pub const ALIAS_VALUES: usize = 100_000;

/// Refuse a text whose aliases expand to more than [`ALIAS_VALUES`] extra values, before
/// anything is built from it. serde_yaml's own limit counts alias jumps, not values: a
/// few hundred jumps to an anchor of a thousand values each pass it, and its error has
/// no line. Counting costs a second pass over the events, so it is skipped for the many
/// texts that cannot hold an alias to an anchor.
fn check_aliases(path: &Path, text: &str, first_line: usize) -> Result<(), Problem> {
    if !(text.contains('&') && text.contains('*')) {
        return Ok(());
    }
    let count = std::cell::Cell::new(0);
    let counter = Counter {
        count: &count,
        budget: text.len().saturating_add(ALIAS_VALUES),
    };
    match serde::de::DeserializeSeed::deserialize(counter, serde_yaml::Deserializer::from_str(text))
    {
        // Other errors are the parse's to report, with their location.
        Err(err) if count.get() > counter.budget || is_repetition_limit(&err) => {
            Err(alias_problem(path, text, first_line))
        }
        _ => Ok(()),
    }
}

fn is_repetition_limit(err: &serde_yaml::Error) -> bool {
    err.location().is_none() && err.to_string().contains("repetition limit exceeded")
}

fn alias_problem(path: &Path, text: &str, first_line: usize) -> Problem {
    let (line, column, name) = first_alias(text).unwrap_or((1, 1, ""));
    let mut message = format!("{ALIASES_EXPAND} (more than {ALIAS_VALUES} beyond the file's own)");
    if !name.is_empty() {
        message.push_str(&format!(
            ": `*{name}` repeats all that `&{name}` holds, and aliases inside anchors multiply"
        ));
    }
    let help = own_help(&message).unwrap_or_default();
    Problem::new(path, message)
        .at(line + first_line - 1, column)
        .help(help)
}

const ALIASES_EXPAND: &str = "YAML aliases expand to too many values";

/// 1-based line of the `---` or `...` that ends the first YAML document of `text`.
fn second_document(text: &str) -> Option<usize> {
    let mut content = false;
    for (i, line) in text.lines().enumerate() {
        let marker = ["---", "..."].iter().any(|m| {
            line.strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        });
        if marker && content {
            return Some(i + 1);
        }
        let trimmed = line.trim();
        content |= !marker && !trimmed.is_empty() && !trimmed.starts_with(['#', '%']);
    }
    None
}

/// Line, column (1-based, in the text) and name of the first `*name` naming an anchor
/// `&name` written before it: a `*` in prose (`*emphasis*`) names no anchor.
fn first_alias(text: &str) -> Option<(usize, usize, &str)> {
    let is_name = |c: char| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}');
    let name_at = |at: usize| {
        let rest = text.get(at + 1..).unwrap_or("");
        &rest[..rest.find(|c| !is_name(c)).unwrap_or(rest.len())]
    };
    let mut anchors = std::collections::HashSet::new();
    let mut previous = ' ';
    for (at, c) in text.char_indices() {
        let starts_node = previous.is_whitespace() || matches!(previous, '[' | '{' | ',');
        if starts_node && (c == '&' || c == '*') {
            let name = name_at(at);
            if c == '&' {
                anchors.insert(name);
            } else if !name.is_empty() && anchors.contains(name) {
                let (line, column) = crate::util::error::line_col(text, at);
                return Some((line, column, name));
            }
        }
        previous = c;
    }
    None
}

/// Counts the values of a document, aliases expanded, and stops past `budget`.
#[derive(Clone, Copy)]
struct Counter<'c> {
    count: &'c std::cell::Cell<usize>,
    budget: usize,
}

impl Counter<'_> {
    fn one<E: serde::de::Error>(self) -> Result<(), E> {
        self.count.set(self.count.get() + 1);
        if self.count.get() > self.budget {
            Err(E::custom("too many values"))
        } else {
            Ok(())
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Counter<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Counter<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.one()
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.one()
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.one()
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.one()
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.one()
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.one()
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.one()
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.one()?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.one()?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use serde::de::VariantAccess;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

/// serde_yaml appends " at line X column Y" to its messages; we print the location ourselves.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The help of a problem only this module reports (a key of `extra:` that is a list, an
/// alias bomb), which callers that give their own help for YAML errors should keep.
pub fn own_help(message: &str) -> Option<&'static str> {
    if message.contains(KEY_EXPECTED) {
        Some(
            "a key of `extra:` is a name: write it on one line before its colon, e.g. `\"2025\": value`",
        )
    } else if message.contains("more than one document") {
        Some(
            "a file holds one YAML document: remove the `---` or `...` line, or indent the text after it",
        )
    } else if message.starts_with(ALIASES_EXPAND) {
        Some("write the values out, or use each alias a few times only")
    } else {
        None
    }
}

fn help_for(message: &str) -> &'static str {
    if let Some(help) = own_help(message) {
        help
    } else if message.contains("unknown field") {
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
        if let Some(section) = section
            && indent == 0
        {
            in_section = trimmed
                .strip_prefix(section)
                .is_some_and(|rest| rest.trim_start().starts_with(':'));
            child_indent = None;
            continue;
        }
        if !in_section {
            continue;
        }
        let child_indent = *child_indent.get_or_insert(indent);
        if indent != child_indent {
            continue;
        }
        let unquoted = trimmed.trim_start_matches(['"', '\'']);
        if let Some(rest) = unquoted.strip_prefix(key)
            && rest
                .trim_start_matches(['"', '\''])
                .trim_start()
                .starts_with(':')
        {
            return Some((i + 1, indent + 1));
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

/// 1-based line and column of the first place `word` is written: where a key that
/// [`key_position`] cannot find (after an anchor, in a flow mapping) most likely is.
pub fn first_mention(text: &str, word: &str) -> Option<(usize, usize)> {
    text.find(word)
        .map(|offset| crate::util::error::line_col(text, offset))
}

/// A YAML value of any shape, for places (front matter `extra:`) that hand user data to
/// templates, with every mapping key text. Templates cannot take a null, number or list as a
/// key (Tera panics on a null one), so a scalar key is kept as written (`2025`, `~`, `true`)
/// and a list or mapping as a key is an error at its line.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct Value(pub serde_yaml::Value);

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextKeys).map(Value)
    }
}

/// A mapping key read as text: serde_yaml hands any scalar to `visit_str` as written, and
/// fails on a list or mapping at its place.
struct Key(String);

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl serde::de::Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(KEY_EXPECTED)
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
        }
        deserializer.deserialize_string(KeyVisitor)
    }
}

const KEY_EXPECTED: &str = "a key that is text or a number (not a list or mapping)";

/// Builds a `serde_yaml::Value` as serde_yaml's own visitor does, but reads keys as text.
struct TextKeys;

impl<'de> serde::de::Visitor<'de> for TextKeys {
    type Value = serde_yaml::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(TextKeys)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Value(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(serde_yaml::Value::Sequence(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut mapping = serde_yaml::Mapping::new();
        while let Some(Key(key)) = map.next_key()? {
            let Value(value) = map.next_value()?;
            if mapping.insert(key.clone().into(), value).is_some() {
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate key `{key}`"
                )));
            }
        }
        Ok(serde_yaml::Value::Mapping(mapping))
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        use serde::de::VariantAccess;
        let (tag, variant) = data.variant::<String>()?;
        let Value(value) = variant.newtype_variant()?;
        Ok(serde_yaml::Value::Tagged(Box::new(
            serde_yaml::value::TaggedValue {
                tag: serde_yaml::value::Tag::new(tag),
                value,
            },
        )))
    }
}

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
    fn any_value_has_text_keys() {
        let map: BTreeMap<String, Value> = parse(
            Path::new("x.md"),
            "a: {~: n, 1: one, 2.50: f, true: t, q: [1, {null: x}]}\nb: !tag v\n",
            1,
        )
        .unwrap();
        let text = serde_json::to_string(&map).unwrap();
        assert_eq!(
            text,
            r#"{"a":{"~":"n","1":"one","2.50":"f","true":"t","q":[1,{"null":"x"}]},"b":{"!tag":"v"}}"#
        );
        let err = parse::<BTreeMap<String, Value>>(Path::new("x.md"), "a:\n  x: 1\n  [1]: 2\n", 4)
            .unwrap_err();
        assert_eq!(err.line, 6, "{err}");
        assert!(err.message.contains("not a list or mapping"), "{err}");
        let err = parse::<BTreeMap<String, Value>>(Path::new("x.md"), "a: {1: x, 1: y}\n", 1)
            .unwrap_err();
        assert!(err.message.contains("duplicate"), "{err}");
    }

    #[test]
    fn errors_without_a_place_still_name_a_line() {
        let err = parse::<BTreeMap<String, String>>(Path::new("b.yaml"), "a: b\n---\nc: d\n", 1)
            .unwrap_err();
        assert_eq!(err.location(), "b.yaml:2:1", "{err}");
        assert!(err.help.unwrap().contains("one YAML document"));
        let err = parse::<BTreeMap<String, String>>(Path::new("b.yaml"), "&a ,", 3).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
    }

    #[test]
    fn the_first_alias_is_one_that_names_an_anchor() {
        let text = "t: a *b* c\nx: &x [1]\ny: [*y, *x]\n";
        assert_eq!(first_alias(text), Some((3, 9, "x")));
        assert_eq!(first_alias("t: *a* & *b\n"), None);
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
