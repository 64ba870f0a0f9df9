//! Rendering: code blocks highlighted by syntect into CSS-classed spans, and the stylesheet for them.

use crate::util::text::{escape_html, push_escaped_html};
use std::sync::LazyLock;

#[cfg(test)]
use syntect::highlighting::ThemeSet;
#[cfg(test)]
use syntect::html::css_for_theme_with_class_style;
#[cfg(test)]
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{
    BasicScopeStackOp, ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet,
};
use syntect::util::LinesWithEndings;

/// Every class the spans get starts with this, so it cannot clash with the site's CSS.
const CLASS_PREFIX: &str = "hl-";
#[cfg(test)]
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed {
    prefix: CLASS_PREFIX,
};
#[cfg(test)]
const LIGHT_THEME: &str = "InspiredGitHub";
#[cfg(test)]
const DARK_THEME: &str = "base16-ocean.dark";

// Loading the syntax definitions costs tens of milliseconds: only pay for it when a page has code.
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// The syntax for a fenced block's info string (`rust`, `py`, `yaml,ignore`), if syntect knows it.
fn find_syntax(language: &str) -> Option<&'static SyntaxReference> {
    let token = language.split([',', ' ', '{']).next().unwrap_or("").trim();
    if token.is_empty() {
        return None;
    }
    SYNTAXES
        .find_syntax_by_token(token)
        .or_else(|| SYNTAXES.find_syntax_by_token(&token.to_ascii_lowercase()))
}

/// The inner HTML of `<code>` for `code` in `language`. An unknown or empty language
/// gives escaped plain text: a typo in an info string must never fail a build.
pub fn highlight(code: &str, language: &str) -> String {
    match find_syntax(language).and_then(|syntax| syntect_html(code, syntax)) {
        Some(html) => merge_adjacent_spans(&html),
        None => escape_html(code),
    }
}

/// syntect's classed spans for `code`, byte for byte as its `ClassedHTMLGenerator` writes
/// them; `None` if parsing fails. Written here because syntect looks up each span's
/// classes under one lock for the whole process: two threads highlighting queued on it
/// for every span. Each thread keeps the classes of the scopes it has met instead.
fn syntect_html(code: &str, syntax: &SyntaxReference) -> Option<String> {
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut html = String::with_capacity(code.len() * 4);
    let mut open = 0isize;
    CLASSES.with_borrow_mut(|classes| {
        for line in LinesWithEndings::from(code) {
            let ops = state.parse_line(line, &SYNTAXES).ok()?;
            open += classed_spans(&mut html, line, &ops, &mut stack, classes)?;
        }
        Some(())
    })?;
    for _ in 0..open {
        html.push_str("</span>");
    }
    Some(html)
}

thread_local! {
    /// The class attribute of each scope met on this thread: `source.rust` is `hl-source
    /// hl-rust`.
    static CLASSES: std::cell::RefCell<std::collections::HashMap<Scope, Box<str>>> =
        std::cell::RefCell::default();
}

/// One line's spans, as syntect's `line_tokens_to_classed_spans` writes them (a span
/// that would hold nothing is left out); how many more spans are open after it.
fn classed_spans(
    html: &mut String,
    line: &str,
    ops: &[(usize, syntect::parsing::ScopeStackOp)],
    stack: &mut ScopeStack,
    classes: &mut std::collections::HashMap<Scope, Box<str>>,
) -> Option<isize> {
    let mut written = 0;
    let mut delta = 0;
    // Where the last span opened, while nothing has been written in it.
    let mut empty_since = None;
    for (at, op) in ops {
        if *at > written {
            empty_since = None;
            push_escaped_html(html, &line[written..*at]);
            written = *at;
        }
        stack
            .apply_with_hook(op, |basic, _| match basic {
                BasicScopeStackOp::Push(scope) => {
                    empty_since = Some(html.len());
                    html.push_str("<span class=\"");
                    html.push_str(classes.entry(scope).or_insert_with(|| class_of(scope)));
                    html.push_str("\">");
                    delta += 1;
                }
                BasicScopeStackOp::Pop => {
                    match empty_since.take() {
                        Some(start) => html.truncate(start),
                        None => html.push_str("</span>"),
                    }
                    delta -= 1;
                }
            })
            .ok()?;
    }
    push_escaped_html(html, &line[written..]);
    Some(delta)
}

/// `hl-` before each atom of the scope's name, space-separated.
fn class_of(scope: Scope) -> Box<str> {
    scope
        .build_string()
        .split('.')
        .map(|atom| format!("{CLASS_PREFIX}{atom}"))
        .collect::<Vec<_>>()
        .join(" ")
        .into_boxed_str()
}

/// syntect's own classed HTML for `code`, to compare [`syntect_html`] with.
#[cfg(test)]
fn syntect_reference(code: &str, syntax: &SyntaxReference) -> Option<String> {
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, &SYNTAXES, CLASS_STYLE);
    LinesWithEndings::from(code)
        .try_for_each(|line| generator.parse_html_for_line_which_includes_newline(line))
        .ok()?;
    Some(generator.finalize())
}

/// `html` (syntect's spans around escaped text) with a span that closes and reopens at
/// once with the same classes joined into one: `<span class="a">x</span><span
/// class="a">y</span>` becomes `<span class="a">xy</span>`, at any depth. Every character
/// keeps the classes around it; a highlighted page is a few per cent smaller. One pass.
fn merge_adjacent_spans(html: &str) -> String {
    const OPEN: &str = "<span class=\"";
    const CLOSE: &str = "</span>";
    let mut out = String::with_capacity(html.len());
    let mut open: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some(at) = memchr::memchr(b'<', rest.as_bytes()) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix(OPEN)
            && let Some(end) = memchr::memchr(b'"', after.as_bytes())
            && after[end..].starts_with("\">")
        {
            open.push(&after[..end]);
            out.push_str(&rest[..OPEN.len() + end + 2]);
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix(CLOSE) {
            let classes = open.pop();
            let reopened = classes.and_then(|classes| {
                after
                    .strip_prefix(OPEN)?
                    .strip_prefix(classes)?
                    .strip_prefix("\">")
            });
            match (classes, reopened) {
                (Some(classes), Some(after_reopen)) => {
                    open.push(classes);
                    rest = after_reopen;
                }
                _ => {
                    out.push_str(CLOSE);
                    rest = after;
                }
            }
        } else {
            // Not a tag syntect writes (its text is escaped): kept as it is.
            out.push('<');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Whether `language` will be highlighted (for the `data-lang` and class on the block).
pub fn is_known(language: &str) -> bool {
    find_syntax(language).is_some()
}

/// A highlighted block: its cache key, whether its language is known, and the inner
/// HTML of its `<code>`.
pub struct Block {
    pub key: u128,
    pub known: bool,
    pub html: String,
}

/// Where highlighted code is kept, so the same code is highlighted once: the build
/// cache (`Highlights` of the publishing stage), or nothing ([`NoCache`]). Rendering asks
/// it before it asks syntect, and tells it what it highlighted.
pub trait HighlightCache: Sync {
    /// The block kept under `key`, if there is one.
    fn lookup(&self, key: u128) -> Option<Block>;
    /// Keep a block just highlighted.
    fn store(&self, key: u128, known: bool, html: &str);
    /// Blocks still shown by pages that were not rendered again (kept from the last
    /// build), so a cache that drops unused blocks keeps these.
    fn keep(&self, _keys: &[u128]) {}
}

/// No cache: every block is highlighted every time (`--no-cache`, the tests).
pub struct NoCache;

impl HighlightCache for NoCache {
    fn lookup(&self, _key: u128) -> Option<Block> {
        None
    }

    fn store(&self, _key: u128, _known: bool, _html: &str) {}
}

/// The key of a code block: its language and its code.
pub fn block_key(code: &str, language: &str) -> u128 {
    crate::util::hash::Key::new()
        .add(language)
        .add(code)
        .finish()
}

/// `code` in `language` highlighted, from `cache` when it was highlighted before.
pub fn highlight_cached(cache: &dyn HighlightCache, code: &str, language: &str) -> Block {
    let key = block_key(code, language);
    if let Some(block) = cache.lookup(key) {
        return block;
    }
    let known = is_known(language);
    let html = highlight(code, language);
    cache.store(key, known, &html);
    Block { key, known, html }
}

/// `highlight.css`: light colours by default, dark ones when the reader's system asks for dark.
/// Kept as a file generated from syntect's themes, because loading the themes on every build
/// would cost a small site most of its build time; a test keeps the two in step.
pub fn stylesheet() -> String {
    include_str!("highlight.css").to_string()
}

/// `highlight.css` from syntect's themes, as [`stylesheet`] ships it.
#[cfg(test)]
fn stylesheet_from_themes() -> String {
    let themes = ThemeSet::load_defaults();
    let css = |name: &str| {
        themes
            .themes
            .get(name)
            .and_then(|theme| css_for_theme_with_class_style(theme, CLASS_STYLE).ok())
            .unwrap_or_default()
    };
    let dark = css(DARK_THEME)
        .lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "/* Code colours, generated by briefing from syntect's {LIGHT_THEME} and {DARK_THEME} themes. */\n{}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n",
        css(LIGHT_THEME)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_language_gets_classes() {
        let html = highlight("fn main() {}\n", "rust");
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(is_known("py") && is_known("yaml,ignore"));
    }

    /// Each character of the text with the classes of the spans around it.
    fn classes_per_character(html: &str) -> Vec<(char, Vec<String>)> {
        let mut open: Vec<String> = Vec::new();
        let mut out = Vec::new();
        let mut rest = html;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("<span class=\"") {
                let end = after.find("\">").unwrap();
                open.push(after[..end].to_string());
                rest = &after[end + 2..];
            } else if let Some(after) = rest.strip_prefix("</span>") {
                open.pop().expect("balanced spans");
                rest = after;
            } else {
                let c = rest.chars().next().unwrap();
                out.push((c, open.clone()));
                rest = &rest[c.len_utf8()..];
            }
        }
        assert!(open.is_empty(), "every span closed");
        out
    }

    #[test]
    fn adjacent_spans_of_the_same_classes_are_joined_and_nothing_else_changes() {
        assert_eq!(
            merge_adjacent_spans(
                "<span class=\"a\">x</span><span class=\"a\">y</span><span class=\"b\">z</span>"
            ),
            "<span class=\"a\">xy</span><span class=\"b\">z</span>"
        );
        // At depth: the outer span closes and reopens around two inner ones.
        assert_eq!(
            merge_adjacent_spans(
                "<span class=\"o\"><span class=\"p\">(</span></span><span class=\"o\"><span class=\"v\">r</span></span>"
            ),
            "<span class=\"o\"><span class=\"p\">(</span><span class=\"v\">r</span></span>"
        );
        // A span reopened with other classes, or after text, stays apart.
        for kept in [
            "<span class=\"a\">x</span> <span class=\"a\">y</span>",
            "<span class=\"a\">x</span><span class=\"ab\">y</span>",
            "a &lt; b",
        ] {
            assert_eq!(merge_adjacent_spans(kept), kept);
        }
        let code = [
            (
                "fn cost(rate: f64) -> f64 {\n    rate * 12.0 // a year\n}\n",
                "rust",
            ),
            (
                "def cost(rate: float, mw: float) -> float:\n    return rate * mw  # <b>\n",
                "python",
            ),
            ("term:\n  months: 36\n  start: \"2026-01\"\n", "yaml"),
            ("<p class=\"x\">&amp;</p>\n", "html"),
        ];
        let mut saved = 0;
        for (code, language) in code {
            let unmerged = syntect_reference(code, find_syntax(language).unwrap()).unwrap();
            let merged = highlight(code, language);
            assert!(merged.len() <= unmerged.len(), "{language}: {merged}");
            saved += unmerged.len() - merged.len();
            assert_eq!(
                classes_per_character(&merged),
                classes_per_character(&unmerged),
                "{language}"
            );
        }
        assert!(saved > 0, "some span was joined");
    }

    #[test]
    fn spans_are_written_as_syntect_writes_them() {
        let samples = [
            (
                "fn cost(rate: f64) -> f64 {\n    let s = \"<'&>\"; // a year\n}\n",
                "rust",
            ),
            (
                "def cost(rate: float) -> float:\n    \"\"\"Doc <b>\"\"\"\n    return rate * 12  # 'x'\n",
                "python",
            ),
            ("term:\n  months: 36\n  start: \"2026-01\" # note\n", "yaml"),
            (
                "<p class=\"x\">&amp;<script>let a = 1 < 2;</script></p>\n",
                "html",
            ),
            ("SELECT * FROM t WHERE a = 'x' -- c\n", "sql"),
            ("{\"a\": [1, 2, {\"b\": null}]}\n", "json"),
            ("unterminated \"string\n/* open comment\n", "c"),
            ("", "rust"),
            ("no newline at the end", "python"),
        ];
        for (code, language) in samples {
            let syntax = find_syntax(language).unwrap();
            assert_eq!(
                syntect_html(code, syntax),
                syntect_reference(code, syntax),
                "{language}: {code}"
            );
        }
        // The shipped site's and the fixtures' blocks too.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut blocks = 0;
        for dir in ["content", "tests/fixtures", "src/cli/starter/content"] {
            for entry in walkdir::WalkDir::new(root.join(dir)).into_iter().flatten() {
                let Ok(text) = std::fs::read_to_string(entry.path()) else {
                    continue;
                };
                for (i, part) in text.split("```").enumerate().filter(|(i, _)| i % 2 == 1) {
                    let (language, code) = part.split_once('\n').unwrap_or((part, ""));
                    if let Some(syntax) = find_syntax(language) {
                        blocks += 1;
                        assert_eq!(
                            syntect_html(code, syntax),
                            syntect_reference(code, syntax),
                            "block {i} of {}",
                            entry.path().display()
                        );
                    }
                }
            }
        }
        assert!(blocks > 0, "no fenced block with a known language found");
    }

    #[test]
    fn unknown_language_is_escaped_plain_text() {
        assert_eq!(
            highlight("<b>&</b>", "nosuchlang"),
            "&lt;b&gt;&amp;&lt;/b&gt;"
        );
        assert_eq!(highlight("a", ""), "a");
        assert!(!is_known("nosuchlang"));
    }

    #[test]
    fn shipped_stylesheet_matches_the_themes() {
        // After a syntect upgrade: write stylesheet_from_themes() to src/highlight.css.
        assert_eq!(stylesheet(), stylesheet_from_themes());
    }

    #[test]
    fn stylesheet_has_light_and_dark() {
        let css = stylesheet();
        assert!(css.contains(".hl-"));
        assert!(css.contains("prefers-color-scheme: dark"));
    }
}
