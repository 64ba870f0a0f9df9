//! Property tests: random and mutated bytes thrown at every parser a user feeds. None may
//! panic, and each failure must be a problem naming the file (and its line, where the
//! input has lines).
//!
//! Inputs are random bytes, random strings of the parser's own tokens, and, most of
//! them, real files (the shipped site, the fixtures, the starter) with values replaced,
//! lines deleted or copied, or bytes flipped, inserted, deleted, repeated, and fragments
//! of other files or tokens spliced in. Each property runs a fixed number of cases fit
//! for CI (a multiple of [`DEFAULT_CASES`]); `PROPTEST_CASES=20000` runs that many of
//! each instead. The README's testing section lists them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use briefing::figures::{self, Figures};
use briefing::load::content;
use briefing::load::templates::Templates;
use briefing::{LoadOptions, Problem, Problems, Site};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Cases per property when `PROPTEST_CASES` is not set, for properties whose case costs a
/// parse; those that build a whole site run a quarter of it.
const DEFAULT_CASES: u32 = 256;

fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(Config {
        cases,
        // Shrinking a failing case that builds a site can take long: a minute is enough.
        max_shrink_time: 60_000,
        // Every failure found is kept as a named regression test instead.
        failure_persistence: None,
        ..Config::default()
    })
}

/// Run `property` on inputs from `strategy`; on a failure, panic with the smallest input.
fn check<S: Strategy>(
    cases: u32,
    strategy: S,
    property: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    if let Err(err) = runner(cases).run(&strategy, property) {
        panic!("{err}");
    }
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file below the repository's `dirs` whose name ends with one of `endings`, and
/// `more`: files that use what the repository's own do not.
fn seeds(dirs: &[&str], endings: &[&str], more: &[&str]) -> Arc<Vec<Vec<u8>>> {
    let mut found: Vec<Vec<u8>> = more.iter().map(|text| text.as_bytes().to_vec()).collect();
    for dir in dirs {
        for entry in walkdir::WalkDir::new(repo().join(dir)).sort_by_file_name() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy();
            if entry.file_type().is_file() && endings.iter().any(|e| name.ends_with(e)) {
                found.push(std::fs::read(entry.path()).unwrap());
            }
        }
    }
    assert!(!found.is_empty(), "no seeds in {dirs:?}");
    Arc::new(found)
}

/// A page with every field of front matter.
const EVERY_FIELD_PAGE: &str = "---
title: \"Every field: {{ monthly_payment }}\"
description: What front matter can hold
date: 2026-11-27T09:30:00Z
weight: -3
draft: false
template: page.html
summary: The *summary* says {{ monthly_payment }}.
slug: every-field
extra:
  notes: {a: b, c: [1, 2]}
  list: [x, {y: z}]
  when: 2026-11-27
  share: 1.5
---
# Heading {#top .wide}

Text with {{ capacity }}, {{ monthly_payment | number }} and [a link](deal.md#terms).[^n]

[^n]: A note.
";

/// Settings with every field.
const EVERY_FIELD_SETTINGS: &str = "title: Every setting
description: What briefing.yaml can hold
base_url: https://example.org/brief
language: en
author: A. Writer
date: 2026-11-27
key_figures: [monthly_payment, capacity]
extra:
  notes: {a: b}
  list: [1, {x: y}]
";

/// One change to a file's bytes. Positions are taken modulo the length when applied.
#[derive(Debug, Clone)]
enum Edit {
    Flip {
        at: usize,
        bit: u8,
    },
    Set {
        at: usize,
        byte: u8,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Token {
        at: usize,
        token: usize,
    },
    Delete {
        at: usize,
        len: usize,
    },
    Repeat {
        at: usize,
        len: usize,
        times: usize,
    },
    Splice {
        at: usize,
        seed: usize,
        from: usize,
        len: usize,
    },
    Truncate {
        at: usize,
    },
    /// Replace what follows the first `: ` of a line (a YAML value, mostly) with tokens:
    /// edits that keep the file's structure, so the parser gets past the syntax.
    Value {
        line: usize,
        tokens: Vec<usize>,
    },
    DeleteLine {
        line: usize,
    },
    CopyLine {
        from: usize,
        to: usize,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = any::<usize>();
    prop_oneof![
        1 => (at, 0..8u8).prop_map(|(at, bit)| Edit::Flip { at, bit }),
        1 => (at, any::<u8>()).prop_map(|(at, byte)| Edit::Set { at, byte }),
        1 => (at, vec(any::<u8>(), 1..8)).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        1 => (at, any::<usize>()).prop_map(|(at, token)| Edit::Token { at, token }),
        1 => (at, 1..64usize).prop_map(|(at, len)| Edit::Delete { at, len }),
        1 => (at, 1..32usize, 1..16usize)
            .prop_map(|(at, len, times)| Edit::Repeat { at, len, times }),
        1 => (at, any::<usize>(), any::<usize>(), 1..256usize)
            .prop_map(|(at, seed, from, len)| Edit::Splice { at, seed, from, len }),
        1 => at.prop_map(|at| Edit::Truncate { at }),
        6 => (at, vec(any::<usize>(), 1..6))
            .prop_map(|(line, tokens)| Edit::Value { line, tokens }),
        1 => at.prop_map(|line| Edit::DeleteLine { line }),
        1 => (at, at).prop_map(|(from, to)| Edit::CopyLine { from, to }),
    ]
}

/// The pieces a parser's input is made of: anywhere, and as a value after `: `.
struct Tokens {
    any: &'static [&'static str],
    values: &'static [&'static str],
}

fn apply(seeds: &[Vec<u8>], tokens: &Tokens, mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits {
        let len = bytes.len();
        let pos = |at: usize| at % (len + 1);
        match edit {
            Edit::Flip { at, bit } if len > 0 => bytes[at % len] ^= 1 << bit,
            Edit::Set { at, byte } if len > 0 => bytes[at % len] = *byte,
            Edit::Flip { .. } | Edit::Set { .. } => {}
            Edit::Insert { at, bytes: new } => {
                bytes.splice(pos(*at)..pos(*at), new.iter().copied());
            }
            Edit::Token { at, token } => {
                let token = tokens.any[token % tokens.any.len()].as_bytes();
                bytes.splice(pos(*at)..pos(*at), token.iter().copied());
            }
            Edit::Delete { at, len: n } => {
                let start = pos(*at);
                bytes.drain(start..(start + n).min(len));
            }
            Edit::Repeat { at, len: n, times } => {
                let start = pos(*at);
                let part = bytes[start..(start + n).min(len)].to_vec();
                for _ in 0..*times {
                    bytes.splice(start..start, part.iter().copied());
                }
            }
            Edit::Splice {
                at,
                seed,
                from,
                len: n,
            } => {
                let other = &seeds[seed % seeds.len()];
                let from = from % (other.len() + 1);
                let part = &other[from..(from + n).min(other.len())];
                bytes.splice(pos(*at)..pos(*at), part.iter().copied());
            }
            Edit::Truncate { at } => bytes.truncate(pos(*at)),
            Edit::Value {
                line,
                tokens: picks,
            } => {
                // The line-th line that has a value, if any does.
                let with_value: Vec<(usize, usize)> = lines(&bytes)
                    .into_iter()
                    .filter(|&(start, end)| bytes[start..end].windows(2).any(|w| w == b": "))
                    .collect();
                let Some(&(start, end)) = with_value.get(line % with_value.len().max(1)) else {
                    continue;
                };
                let value_start = bytes[start..end]
                    .windows(2)
                    .position(|w| w == b": ")
                    .map_or(end, |i| start + i + 2);
                let value: Vec<u8> = picks
                    .iter()
                    .flat_map(|&i| tokens.values[i % tokens.values.len()].bytes())
                    .collect();
                bytes.splice(value_start..end, value);
            }
            Edit::DeleteLine { line } => {
                let (start, end) = line_span(&bytes, *line);
                let end = (end + 1).min(bytes.len());
                bytes.drain(start..end);
            }
            Edit::CopyLine { from, to } => {
                let (start, end) = line_span(&bytes, *from);
                let mut copy = bytes[start..end].to_vec();
                copy.push(b'\n');
                let (at, _) = line_span(&bytes, *to);
                bytes.splice(at..at, copy);
            }
        }
    }
    bytes
}

/// A file's bytes, shown as text when a case fails.
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match std::str::from_utf8(&self.0) {
            Ok(text) => write!(f, "{text:?}"),
            Err(_) => write!(f, "(not UTF-8) {:?}", String::from_utf8_lossy(&self.0)),
        }
    }
}

/// Edits of lines and values only, which mostly keep a file's syntax: its parser gets
/// past the syntax to what the file means.
fn gentle_edit() -> impl Strategy<Value = Edit> {
    let at = any::<usize>();
    prop_oneof![
        12 => (at, vec(any::<usize>(), 1..6))
            .prop_map(|(line, tokens)| Edit::Value { line, tokens }),
        1 => at.prop_map(|line| Edit::DeleteLine { line }),
        1 => (at, at).prop_map(|(from, to)| Edit::CopyLine { from, to }),
    ]
}

/// Start and end (before its newline) of every line.
fn lines(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            spans.push((start, i));
            start = i + 1;
        }
    }
    spans.push((start, bytes.len()));
    spans
}

/// Start and end (before its newline) of line `line` modulo the number of lines.
fn line_span(bytes: &[u8], line: usize) -> (usize, usize) {
    let spans = lines(bytes);
    spans[line % spans.len()]
}

/// Random bytes, random runs of `tokens`, and (most often) real files with edits.
fn input(seeds: Arc<Vec<Vec<u8>>>, tokens: &'static Tokens) -> BoxedStrategy<Bytes> {
    let count = seeds.len();
    let gentle_seeds = seeds.clone();
    prop_oneof![
        1 => vec(any::<u8>(), 0..512),
        2 => vec(any::<usize>(), 0..96).prop_map(move |picks| {
            picks.iter().flat_map(|&i| tokens.any[i % tokens.any.len()].bytes()).collect()
        }),
        3 => (0..count, vec(gentle_edit(), 1..4)).prop_map(move |(seed, edits)| {
            apply(&gentle_seeds, tokens, gentle_seeds[seed].clone(), &edits)
        }),
        4 => (0..count, vec(edit(), 1..12)).prop_map(move |(seed, edits)| {
            apply(&seeds, tokens, seeds[seed].clone(), &edits)
        }),
    ]
    .prop_map(Bytes)
    .boxed()
}

/// The bytes as text the way the build reads them: a file that is not UTF-8 must be a
/// problem at its first bad byte. The parsers then get the text with bad bytes replaced,
/// so that a flipped byte does not stop every case at the decoder.
fn as_text(path: &Path, bytes: &[u8]) -> Result<String, TestCaseError> {
    if let Err(problem) = briefing::util::files::decode(path, bytes.to_vec()) {
        located(&problem, path, true)?;
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// A problem of `path`, with a line when `with_line`.
fn located(problem: &Problem, path: &Path, with_line: bool) -> Result<(), TestCaseError> {
    prop_assert_eq!(&problem.path, path, "{}", problem);
    if with_line {
        prop_assert!(problem.line >= 1, "no line: {}", problem);
    }
    prop_assert!(!problem.message.is_empty());
    Ok(())
}

fn all_located(problems: &Problems, path: &Path, with_line: bool) -> Result<(), TestCaseError> {
    prop_assert!(!problems.0.is_empty(), "a failure without a problem");
    for problem in &problems.0 {
        located(problem, path, with_line)?;
    }
    Ok(())
}

/// Either `mutated` inputs or, `generated_share` times in ten, a file written from the
/// grammar of what the parser reads: mutations of the repository's files rarely reach a
/// null key three levels deep or a formula with a unit inside a range.
fn or_generated(
    mutated: BoxedStrategy<Bytes>,
    generated: impl Strategy<Value = String> + 'static,
    generated_share: u32,
) -> BoxedStrategy<Bytes> {
    prop_oneof![
        10 - generated_share => mutated,
        generated_share => generated.prop_map(|text| Bytes(text.into_bytes())),
    ]
    .boxed()
}

#[rustfmt::skip]
const YAML_SCALARS: &[&str] = &[
    "x", "Title", "~", "null", "\"\"", "''", "true", "no", "0", "-1", "1.5", "1e999", ".nan",
    "9223372036854775808", "-9223372036854775809", "2026-11-27", "2026-02-31", "2026-11-27T09:30:00Z",
    "2026-03-01T25:99:00+99:99", "\"quoted: text\"", "'single'", "&a x", "*a", "!tag x", "!!str 1",
    "\"{{ monthly_payment }}\"", "\"<b>&amp;</b>\"", "../../x", "page.html", "微", "\"\\u0000\"",
    "\"\\ud800\"", "[]", "{}",
];

/// A YAML value in flow style: scalars, lists and mappings whose keys may be anything.
fn yaml_value() -> impl Strategy<Value = String> {
    let scalar = proptest::sample::select(YAML_SCALARS).prop_map(str::to_string);
    scalar.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(", "))),
            vec((inner.clone(), inner), 0..4).prop_map(|pairs| {
                let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{{}}}", pairs.join(", "))
            }),
        ]
    })
}

#[rustfmt::skip]
const TEXTS: &[&str] = &[
    "x", "Title", "\"quoted: text\"", "'single'", "\"{{ monthly_payment }}\"", "\"<b>&amp;</b>\"",
    "../../x", "a/b", ".", "page.html", "index.html", "nope.html", "微", "\"\"", "\" \"",
    "\"\\u0000\"", "every-field", "\"x\\ny\"", "*emphasis* and [a](deal.md)", "en", "zz-ZZ",
];

#[rustfmt::skip]
const DATES: &[&str] = &[
    "2026-11-27", "2026-02-31", "2026-11-27T09:30:00Z", "2026-03-01T25:99:00+99:99", "2026-1-1",
    "0000-00-00", "9999-12-31T23:59:59+14:00", "2026-11-27 09:30", "\"2026-11-27\"",
    "2026-11-27T09:30:00.123456789-07:00", "2026-11-27Tx", "2026-11-2é", "1", "2026",
];

#[rustfmt::skip]
const URLS: &[&str] = &[
    "https://example.org/brief", "https://example.org/", "http://x", "https://", "example.org",
    "https://例え.jp/b/", "https://x.org/a b", "\"https://x.org/?q=1#f\"", "",
];

/// A value for `key` of front matter or settings: mostly of the type it takes, sometimes any.
fn value_for(key: &str) -> BoxedStrategy<String> {
    let pick =
        |list: &'static [&'static str]| proptest::sample::select(list).prop_map(str::to_string);
    let typed = match key {
        "date" => pick(DATES).boxed(),
        "weight" => any::<i64>().prop_map(|w| w.to_string()).boxed(),
        "draft" => any::<bool>().prop_map(|d| d.to_string()).boxed(),
        "base_url" => pick(URLS).boxed(),
        "key_figures" => vec(pick(FIGURE_NAMES), 0..3)
            .prop_map(|n| format!("[{}]", n.join(", ")))
            .boxed(),
        "extra" => vec((pick(YAML_SCALARS), yaml_value()), 0..4)
            .prop_map(|pairs| {
                let lines: Vec<String> =
                    pairs.iter().map(|(k, v)| format!("\n  {k}: {v}")).collect();
                lines.concat()
            })
            .boxed(),
        _ => pick(TEXTS).boxed(),
    };
    prop_oneof![4 => typed, 1 => yaml_value()].boxed()
}

/// `key: value` lines of a YAML mapping: some of `keys`, each once, and now and then
/// another key.
fn yaml_fields(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    let other = proptest::option::weighted(0.1, proptest::sample::select(YAML_SCALARS));
    (proptest::sample::subsequence(keys, 0..=keys.len()), other)
        .prop_flat_map(|(mut chosen, other)| {
            chosen.extend(other);
            chosen
                .into_iter()
                .map(|key| (Just(key), value_for(key)))
                .collect::<Vec<_>>()
        })
        .prop_map(|fields| {
            fields
                .iter()
                .map(|(key, value)| format!("{key}: {value}\n"))
                .collect::<String>()
        })
}

#[rustfmt::skip]
const FRONT_MATTER_KEYS: &[&str] = &[
    "title", "description", "date", "weight", "draft", "template", "summary", "slug", "extra",
];

#[rustfmt::skip]
const SETTINGS_KEYS: &[&str] = &[
    "title", "description", "base_url", "language", "author", "date", "key_figures", "extra",
];

/// A page: generated front matter and a body of Markdown tokens.
fn generated_page() -> impl Strategy<Value = String> {
    let body = vec(proptest::sample::select(MARKDOWN_ANY), 0..32).prop_map(|t| t.concat());
    (yaml_fields(FRONT_MATTER_KEYS), body)
        .prop_map(|(front, body)| format!("---\n{front}---\n{body}"))
}

#[rustfmt::skip]
const FIGURE_NAMES: &[&str] = &[
    "a", "b", "c", "monthly_payment", "term_start", "term_end", "x_1", "A", "_", "1a", "a b",
];

#[rustfmt::skip]
const FORMULA_TOKENS: &[&str] = &[
    "a", "b", "c", "monthly_payment", "term_start", "term_end", " + ", " - ", " * ", " / ", " ^ ",
    "(", ")", "min(", "max(", ", ", "1", "0", "12", "0.5", "1e308", "-", "2 MW", "12 months",
    "1 USD/month", "2026-03", "months(", "years(", "round(", "abs(", "x(",
];

#[rustfmt::skip]
const UNITS: &[&str] = &[
    "USD", "USD/month", "USD/year", "USD/MW/year", "USD/MW/month", "MW", "GW", "kW", "TWh", "MWh",
    "month", "year", "%", "count", "date", "accelerators", "USD/kWh", "MW/count", "1", "", "/",
];

#[rustfmt::skip]
const NUMBERS: &[&str] = &[
    "1", "0", "-1", "300", "1.25 billion", "2 million", "45k", "$1", "1e308", "-1e308", "1e-320",
    "0.000001", "50%", "NaN", "inf", "2026-03", "2026-11-27", "2026", "0000-01", "9999-12", "x",
];

#[rustfmt::skip]
const SOURCE_DATES: &[&str] = &[
    "2026", "2026-11", "2026-11-27", "2025-01-31", "2026-06", "2024", "2026-02-31", "26-11-27",
];

/// A figures file: sources, figures with any of their fields, checks and charts.
fn generated_figures() -> impl Strategy<Value = String> {
    let pick =
        |list: &'static [&'static str]| proptest::sample::select(list).prop_map(str::to_string);
    let formula = vec(pick(FORMULA_TOKENS), 1..8).prop_map(|t| t.concat());
    let field = prop_oneof![
        pick(NUMBERS).prop_map(|v| format!("value: {v}")),
        pick(UNITS).prop_map(|v| format!("unit: \"{v}\"")),
        formula.clone().prop_map(|f| format!("formula: \"{f}\"")),
        prop_oneof![Just("article"), Just("nope")].prop_map(|v| format!("source: {v}")),
        Just("why: a guess".to_string()),
        (pick(NUMBERS), pick(NUMBERS)).prop_map(|(lo, hi)| format!("range: [{lo}, {hi}]")),
        (0..30u32).prop_map(|p| format!("precision: {p}")),
        prop_oneof![Just("about"), Just("more than")].prop_map(|q| format!("qualifier: {q}")),
        pick(TEXTS).prop_map(|v| format!("note: {v}")),
    ];
    // Most figures have a unit and a value or a formula, so that most files evaluate.
    let basics = (
        proptest::option::weighted(0.9, pick(UNITS).prop_map(|v| format!("unit: \"{v}\""))),
        prop_oneof![
            pick(NUMBERS).prop_map(|v| format!("value: {v}\nsource: article")),
            pick(NUMBERS).prop_map(|v| format!("value: {v}\nwhy: a guess")),
            formula.clone().prop_map(|f| format!("formula: \"{f}\"")),
        ],
    )
        .prop_map(|(unit, value)| unit.into_iter().chain([value]).collect::<Vec<_>>());
    let figure = (pick(FIGURE_NAMES), basics, vec(field, 0..3)).prop_map(|(name, basics, more)| {
        let fields: Vec<String> = basics
            .join("\n")
            .lines()
            .map(str::to_string)
            .chain(more)
            .collect();
        (name, fields)
    });
    let check = (
        formula.clone(),
        prop_oneof![Just(" >= "), Just(" < "), Just(" == "), Just("")],
        formula,
    );
    let chart_field = prop_oneof![
        prop_oneof![Just("schedule"), Just("bars"), Just("pie")].prop_map(|k| format!("kind: {k}")),
        (
            prop_oneof![
                Just("rate"),
                Just("start"),
                Just("end"),
                Just("ramp_months"),
                Just("ramp_start"),
                Just("total"),
                Just("reference")
            ],
            pick(FIGURE_NAMES)
        )
            .prop_map(|(k, v)| format!("{k}: {v}")),
        pick(UNITS).prop_map(|u| format!("unit: \"{u}\"")),
        vec(pick(FIGURE_NAMES), 0..4).prop_map(|b| format!("bars: [{}]", b.join(", "))),
        Just("title: A chart".to_string()),
    ];
    (
        pick(SOURCE_DATES),
        vec(figure, 0..8),
        vec(check, 0..3),
        vec(vec(chart_field, 0..8), 0..3),
    )
        .prop_map(|(date, figures, checks, charts)| {
            let mut text =
                format!("sources:\n  article:\n    title: A report\n    date: {date}\nfigures:\n");
            for (name, fields) in figures {
                text.push_str(&format!("  {name}:\n"));
                for field in fields {
                    text.push_str(&format!("    {field}\n"));
                }
            }
            text.push_str("checks:\n");
            for (i, (left, op, right)) in checks.iter().enumerate() {
                text.push_str(&format!(
                    "  c{i}:\n    formula: \"{left}{op}{right}\"\n    protects: A claim\n"
                ));
            }
            text.push_str("charts:\n");
            for (i, fields) in charts.iter().enumerate() {
                text.push_str(&format!("  chart{i}:\n"));
                for field in fields {
                    text.push_str(&format!("    {field}\n"));
                }
            }
            text
        })
}

#[rustfmt::skip]
const YAML_ANY: &[&str] = &[
    "\n", "\n  ", "\n    ", ": ", ":", "- ", "-", "? ", "[", "]", "{", "}", ",", "#", "\"", "'",
    "\\", "|", ">", "&a ", "*a", "&b ", "*b", "!tag ", "!!str ", "~", "null", "true", "yes", "0",
    "-1", "1e999", "-0.0", ".nan", ".inf", "0x1F", "0o7", "1_000", "9223372036854775808",
    "2026-11-27", "2026-02-31", "2026-13-01T25:99:00+99:99", "---\n", "...\n", "%YAML 1.2\n", "\t",
    "\r\n", "\u{feff}", "微", "é", "\u{0}", "<<: ", "title", "extra", "date", "slug", "weight",
    "summary", "template", "draft", "description", "key_figures", "base_url",
];

#[rustfmt::skip]
const FIGURE_ANY: &[&str] = &[
    "figures:\n", "sources:\n", "checks:\n", "charts:\n", "  x:\n", "  y:\n", "    value: ",
    "    unit: ", "    formula: ", "    source: ", "    range: [", "    why: ", "    precision: ",
    "    qualifier: ", "    label: ", "    check: ", "    protects: ", "    kind: ", "    bars: ",
    "    date: ", "    title: ", "x", "y", "z", " + ", " - ", " * ", " / ", "^", "(", ")", ",",
    " >= ", " <= ", " == ", " > ", "min(", "max(", "round(", "months(", "years(", "1", "0", "-1",
    "1e308", "1e-308", "0.5", "NaN", "inf", "2026-03", "2026-11-27", "2026", "99999-99", "USD",
    "USD/month", "USD/MW/year", "MW", "GW", "TWh", "month", "year", "%", "count", "date",
    "billion", "million", "k", "$", "\n", ": ", "- ", "[", "]", "{", "}", "'", "\"", "&a ", "*a",
    "微",
];

#[rustfmt::skip]
const MARKDOWN_ANY: &[&str] = &[
    "{{ ", " }}", "{{", "}}", "|", " | number", " | range", " | label", " | bogus",
    "monthly_payment", "capacity", "term_end", "ramp_gap_share", "{{ chart: ",
    "cumulative_payments", "unit_costs", " | plain", "x", "\"", ")", "# ", "## ", "###### ",
    " {#id}", "{.c}", "\n", "\n\n", "    ", "\t", "```", "```rust\n", "```python\n",
    "```yaml title=x\n", "```微\n", "~~~", "`", "*", "_", "**",
    "~~", "[", "]", "(", "](", "](#", "](deal.md", "](../x.md#y", "![", "<", ">", "</", "<div>",
    "</div>", "<a href=\"", "<a href='", "<img src=", "<!--", "-->", "<script>", "<textarea>",
    "<svg>", "<pre><code>", "&amp;", "&#", "&#x110000;",
    "\\", "[^1]", "[^1]: ", "- [ ] ", "- [x] ", "1. ", "> ", "| a |", "|---|", "---", "***",
    "\r\n", "微", "é", "\u{200b}", "\u{0}", "\u{feff}", "https://", "mailto:", "javascript:",
];

#[rustfmt::skip]
const CSS_ANY: &[&str] = &[
    "url(", ")", "url(\"", "url('", "\"", "'", "\\", "/*", "*/", "@import ", "@import \"",
    "@import url(", "@font-face", "{", "}", ";", ":", "font-family: ", "微软雅黑", "é", "\n", " ", "#",
    "data:", "https://", "../", "img/", "x.png", "style.css", "?v=1", "#frag", "</style>", "<",
    "\u{0}", "\r", "U", "URL(",
];

#[rustfmt::skip]
const TEMPLATE_ANY: &[&str] = &[
    "{{ ", " }}", "{%", "%}", "{%-", "-%}", "{#", "#}", "{{-", "-}}", " for x in ", " endfor ",
    " if ", " elif ", " else ", " endif ", " block content ", " endblock ",
    " extends \"base.html\" ", " include \"components.html\" ", " set x = ", " filter upper ",
    " endfilter ", " raw ", " endraw ", " component card(", " endcomponent ", " macro m() ",
    " endmacro ", "page", "page.title", "page.extra", "pages", "site", "figures", "root", "nav",
    ".", "[", "]", "(", ")", ",", "|", " | safe", " | length", " | slice(start=1)",
    " | truncate(length=-1)", " | round", " | int", " | default(value=1)", "1", "-1", "0",
    "9223372036854775807", "1/0", "1 % 0", " ~ ", " + ", " * ", " / ", " in ", " not ", " and ",
    "\"", "'", "`", "loop.index", "__tera_context", "\n", "<", ">", "微",
];

#[rustfmt::skip]
const FRONT_MATTER_VALUES: &[&str] = &[
    "x", "Title", " ", "\"", "'", "[a, b]", "{a: 1}", "{~: x}", "{1: x}", "[", "{", "~", "null",
    "true", "0", "-1", "9223372036854775808", "1e999", "2026-11-27", "2026-02-31",
    "2026-11-27T09:30:00Z", "2026-03-01T25:99:00+99:99", "2026-1-1", "0000-00-00",
    "9999-12-31T23:59:60Z", "../../x", "a/b", ".", "", "page.html", "nope.html",
    "{{ monthly_payment }}", "{{ x }}", "<script>", "&amp;", "*emphasis*", "[link](deal.md)", "微",
    "é", "\u{200b}", "# ", "- ",
];

#[rustfmt::skip]
const FIGURE_VALUES: &[&str] = &[
    "monthly_payment", "capacity", "term_end", "ramp_gap_share", "term_months", "x", " + ", " - ",
    " * ", " / ", " ^ ", "(", ")", "min(", "max(", ", ", "1", "0", "-1", "12", "0.5", "1e308",
    "1e-308", "-0", "NaN", "inf", "1.25 billion", "300", "2026-03", "2026-11-27", "2026",
    "2026-13", "99999-99", "USD", "USD/month", "USD/MW/year", "MW", "GW", "TWh", "kWh", "month",
    "months", "year", "%", "count", "date", "billion", "million", "k", "$", " >= ", " <= ", " == ",
    " > ", "[1, 2]", "[2, 1]", "[", "]", "~", "\"", "article", "more than", "about", "微", "é",
    "schedule", "bars", "term_start", "ramp_months", "ramp_start_share", "projected_total",
    "reported_total", "cost_per_mw_year", "[cost_per_mw_year, capacity]", "[term_end]", "-1e9",
    "1e15", "0.000001", "120000",
];

#[rustfmt::skip]
const CSS_VALUES: &[&str] = &[
    "url(", ")", "\"", "'", "\\", "/*", "*/", "微软雅黑", "x.png", "img/x.png", "data:", "https://x/",
    "#a", ";", "}", "{", " ",
];

static YAML: Tokens = Tokens {
    any: YAML_ANY,
    values: FRONT_MATTER_VALUES,
};
static FIGURE: Tokens = Tokens {
    any: FIGURE_ANY,
    values: FIGURE_VALUES,
};
static MARKDOWN: Tokens = Tokens {
    any: MARKDOWN_ANY,
    values: MARKDOWN_ANY,
};
static CSS: Tokens = Tokens {
    any: CSS_ANY,
    values: CSS_VALUES,
};
static TEMPLATE: Tokens = Tokens {
    any: TEMPLATE_ANY,
    values: TEMPLATE_ANY,
};

thread_local! {
    /// The basic fixture with the shipped site's figures, loaded once per test thread,
    /// whose parts each property replaces.
    static BASIC: RefCell<Site> = RefCell::new({
        let options = LoadOptions { no_cache: true, ..LoadOptions::default() };
        let mut site = Site::load(&repo().join("tests/fixtures/basic"), &options)
            .unwrap_or_else(|problems| panic!("{problems}"));
        site.figures = shipped_figures().0;
        site
    });
}

/// Build the basic site changed by `change` (which returns how to undo the change) as
/// `briefing build` does in memory, and its report. Problems may come from any file of
/// the site: each must name one. The site is restored even when the build panics, so
/// that the next case, and shrinking, start from the same site.
fn build_basic<U: FnOnce(&mut Site)>(
    change: impl FnOnce(&mut Site) -> U,
) -> Result<(), TestCaseError> {
    BASIC.with(|site| {
        let mut site = site.borrow_mut();
        let undo = change(&mut site);
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let options = briefing::publish::Options::default();
            let built = briefing::publish::prepare(&site, &options).err();
            (
                built,
                briefing::render::report::render(
                    &site,
                    None,
                    &briefing::render::highlight::NoCache,
                )
                .err(),
            )
        }));
        undo(&mut site);
        let (built, report) = built.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        for problems in [built, report].into_iter().flatten() {
            prop_assert!(!problems.0.is_empty(), "a failure without a problem");
            for problem in &problems.0 {
                prop_assert!(!problem.path.as_os_str().is_empty(), "no file: {}", problem);
            }
        }
        Ok(())
    })
}

#[test]
fn front_matter_and_pages_never_panic() {
    let seeds = seeds(
        &["content", "tests/fixtures", "src/cli/starter/content"],
        &[".md"],
        &[EVERY_FIELD_PAGE],
    );
    let path = Path::new("content/fuzz.md");
    let inputs = or_generated(input(seeds, &YAML), generated_page(), 5);
    check(DEFAULT_CASES / 4, inputs, |Bytes(bytes)| {
        let text = as_text(path, &bytes)?;
        let page = match content::parse_page(path, "fuzz.md", &text) {
            Ok(page) => page,
            Err(problem) => return located(&problem, path, true),
        };
        // The page goes through a whole build: templates, listings, feed, JSON-LD, links.
        build_basic(|site| {
            site.pages.push(page);
            |site: &mut Site| {
                site.pages.pop();
            }
        })
    });
}

/// The shipped site's figures and page URLs, for rendering Markdown against.
fn shipped_figures() -> (Figures, HashMap<String, String>) {
    let text = std::fs::read_to_string(repo().join("data/figures.yaml")).unwrap();
    let figures = figures::load(Path::new("data/figures.yaml"), &text).unwrap();
    let pages = content::load_pages(repo(), &repo().join("content"), true, None).unwrap();
    let urls = pages.into_iter().map(|p| (p.rel, p.url)).collect();
    (figures, urls)
}

fn markdown_seeds() -> Arc<Vec<Vec<u8>>> {
    seeds(
        &[
            "content",
            "tests/fixtures",
            "src/cli/starter/content",
            "README.md",
        ],
        &[".md"],
        &[EVERY_FIELD_PAGE, CODE_IN_RAW_HTML],
    )
}

/// Code blocks where raw HTML around them left the page's reader in an attribute, a
/// comment, a text area, SVG, a note and a list.
const CODE_IN_RAW_HTML: &str = "<link href='x

```rust
let a = \"'\"; // <a id=\"in-code\">
```

'>

<div id='y

```rust
let d = 4;
```

'></div>

<!--

```python
x = 1  # -->
```

-->

<textarea>

```yaml
a: </textarea>
```

</textarea>

<svg>

```rust
fn f() {}
```

</svg>

- item

  ```rust
  let b = 2;
  ```

Text.[^n]

[^n]: A note with code:

    ```rust
    let c = 3;
    ```
";

/// A page of `text`; when its front matter is wrong, the whole text as the body.
fn fuzz_page(path: &Path, text: &str) -> Result<content::Page, TestCaseError> {
    match content::parse_page(path, "notes/fuzz.md", text) {
        Ok(page) => Ok(page),
        Err(_) => content::parse_page(path, "notes/fuzz.md", &text.replace("---", "- -"))
            .map_err(|p| TestCaseError::fail(p.to_string())),
    }
}

/// Also: the link scan skips the highlighted code the renderer marks (half a page's
/// bytes); whatever raw HTML surrounds it, it must find the same ids and references, at
/// the same places, as a scan of everything, and as lol_html finds them.
#[test]
fn markdown_with_figure_references_never_panics() {
    let (figures, urls) = shipped_figures();
    let highlights = briefing::render::highlight::NoCache;
    let path = Path::new("content/fuzz.md");
    let marked = std::cell::Cell::new(0);
    check(
        DEFAULT_CASES,
        input(markdown_seeds(), &MARKDOWN),
        |Bytes(bytes)| {
            let page = fuzz_page(path, &as_text(path, &bytes)?)?;
            let (body, summary) =
                briefing::render::markdown::render_page(&page, &figures, &urls, Some(&highlights));
            for rendered in [Some(body), summary].into_iter().flatten() {
                match rendered {
                    Ok(rendered) => {
                        // The link checker reads the HTML (raw HTML of the page included).
                        let html = "notes/fuzz/index.html";
                        let whole = briefing::util::html::scan(html, &rendered.html);
                        let skipping = briefing::util::html::scan_skipping(
                            html,
                            &rendered.html,
                            &rendered.code,
                        );
                        marked.set(marked.get() + rendered.code.len());
                        prop_assert_eq!(&skipping.refs, &whole.refs);
                        prop_assert_eq!(&skipping.ids, &whole.ids);
                        // Read by the plain reader where it can: as lol_html reads it.
                        let lol_html = briefing::util::html::scan_html_by_lol_html(
                            &rendered.html,
                            &rendered.code,
                        );
                        prop_assert_eq!(&skipping.refs, &lol_html.refs);
                        prop_assert_eq!(&skipping.ids, &lol_html.ids);
                    }
                    Err(problems) => all_located(&problems, path, true)?,
                }
            }
            Ok(())
        },
    );
    assert!(marked.get() > 0, "no case had code to skip");
}

#[test]
fn figures_files_never_panic() {
    let seeds = seeds(
        &["data", "tests/fixtures", "src/cli/starter/data"],
        &["figures.yaml"],
        &[],
    );
    let path = Path::new("data/figures.yaml");
    let inputs = or_generated(input(seeds, &FIGURE), generated_figures(), 5);
    check(DEFAULT_CASES, inputs, |Bytes(bytes)| {
        let text = as_text(path, &bytes)?;
        match figures::load(path, &text) {
            Ok(figures) => {
                use briefing::cli::figure_table::{Format, render};
                for format in [Format::Table, Format::Json, Format::Csv] {
                    render(&figures, format);
                }
                for chart in figures.charts() {
                    briefing::render::charts::chart_html(&figures, chart, "../");
                }
                briefing::render::charts::template_value(&figures, "");
                Ok(())
            }
            Err(problems) => all_located(&problems, path, true),
        }
    });
}

#[test]
fn site_settings_never_panic() {
    let seeds = seeds(
        &["briefing.yaml", "tests/fixtures", "src/cli/starter"],
        &["briefing.yaml"],
        &[EVERY_FIELD_SETTINGS],
    );
    let path = Path::new("briefing.yaml");
    let inputs = or_generated(input(seeds, &YAML), yaml_fields(SETTINGS_KEYS), 5);
    check(DEFAULT_CASES / 4, inputs, |Bytes(bytes)| {
        let text = as_text(path, &bytes)?;
        let config = match briefing::load::config::Config::parse(path, &text) {
            Ok(config) => config,
            Err(problems) => return all_located(&problems, path, true),
        };
        // The settings go through a whole build: `site` in every template, feed, sitemap.
        build_basic(|site| {
            let kept = std::mem::replace(&mut site.config, config);
            |site: &mut Site| site.config = kept
        })
    });
}

#[test]
fn css_url_scanners_never_panic() {
    let seeds = seeds(&["static", "tests/fixtures", "src"], &[".css"], &[]);
    check(DEFAULT_CASES * 4, input(seeds, &CSS), |Bytes(bytes)| {
        let css = String::from_utf8_lossy(&bytes);
        for (range, url) in briefing::util::html::css_urls(&css) {
            prop_assert_eq!(css.get(range.clone()), Some(url.as_str()), "{:?}", range);
        }
        briefing::util::html::scan("style.css", &css);
        // In HTML, CSS is read from `style` attributes and `<style>` elements.
        let attribute = css.replace('"', "&quot;");
        briefing::util::html::scan_html(&format!(
            "<p style=\"{attribute}\"></p><style>{css}</style>"
        ));
        Ok(())
    });
}

#[test]
fn static_css_through_the_build_and_the_report_never_panics() {
    let seeds = seeds(&["static", "tests/fixtures", "src"], &[".css"], &[]);
    check(DEFAULT_CASES / 4, input(seeds, &CSS), |Bytes(bytes)| {
        build_basic(|site| {
            // Raw bytes, whatever the loader would say of them: the build must not panic.
            let kept = site.static_files.clone();
            site.static_files.retain(|f| f.rel != "style.css");
            site.static_files.push(briefing::load::site::StaticFile {
                rel: "style.css".to_string(),
                bytes,
            });
            site.static_files.push(briefing::load::site::StaticFile {
                rel: "img/x.png".to_string(),
                bytes: b"png".to_vec(),
            });
            |site: &mut Site| site.static_files = kept
        })
    });
}

/// The built-in templates' names, each with its text as a seed.
fn template_seeds() -> (Vec<String>, Arc<Vec<Vec<u8>>>) {
    let mut names = Vec::new();
    let mut texts = Vec::new();
    for dir in [
        "templates",
        "tests/fixtures/basic/templates",
        "tests/fixtures/figures/templates",
    ] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let entry = entry.unwrap();
            names.push(entry.file_name().to_string_lossy().into_owned());
            texts.push(std::fs::read(entry.path()).unwrap());
        }
    }
    (names, Arc::new(texts))
}

#[test]
fn templates_never_panic() {
    let (names, seeds) = template_seeds();
    let dir = tempfile::tempdir().unwrap();
    let templates_dir = dir.path().join("templates");
    std::fs::create_dir_all(&templates_dir).unwrap();
    let strategy = (input(seeds, &TEMPLATE), 0..names.len());
    check(DEFAULT_CASES / 4, strategy, |(Bytes(bytes), name)| {
        let name = &names[name];
        let shown = PathBuf::from("templates").join(name);
        let text = as_text(&shown, &bytes)?;
        let file = templates_dir.join(name);
        std::fs::write(&file, text).unwrap();
        let loaded = Templates::load(dir.path(), &templates_dir);
        std::fs::remove_file(&file).unwrap();
        let templates = match loaded {
            Ok(templates) => templates,
            Err(problems) => {
                for problem in &problems.0 {
                    // Tera checks every template together: a problem may be in another
                    // one (a built-in that includes this one), but it names a file.
                    prop_assert!(!problem.path.as_os_str().is_empty(), "{}", problem);
                    if problem.path == shown && problem.message.contains("syntax") {
                        prop_assert!(problem.line >= 1, "no line: {}", problem);
                    }
                }
                return Ok(());
            }
        };
        build_basic(|site| {
            let kept = std::mem::replace(&mut site.templates, templates);
            |site: &mut Site| site.templates = kept
        })
    });
}
