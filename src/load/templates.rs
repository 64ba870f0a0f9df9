//! Loading and rendering templates: Tera 2, with the built-in theme under the user's `templates/`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use tera::{Context, ErrorKind, Tera};

use crate::util::error::{Problem, Problems};
use crate::util::files::{self, display_path};

/// The default theme, compiled into the binary so a site needs no `templates/` of its own;
/// a file of the same name in the site's `templates/` replaces it.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    (
        "components.html",
        include_str!("../../templates/components.html"),
    ),
    ("index.html", include_str!("../../templates/index.html")),
    ("page.html", include_str!("../../templates/page.html")),
    ("figures.html", include_str!("../../templates/figures.html")),
    ("report.html", include_str!("../../templates/report.html")),
    ("404.html", include_str!("../../templates/404.html")),
];

const TEMPLATE_EXTENSIONS: &[&str] = &["html", "htm", "xml", "txt", "json", "svg", "css", "js"];

pub struct Templates {
    tera: Tera,
    /// Template name -> file it came from, to point errors at the user's file.
    origins: HashMap<String, PathBuf>,
    /// Template name -> what rendering it depends on, for the page cache.
    dependencies: HashMap<String, Dependencies>,
    sources: HashMap<String, String>,
}

/// What rendering one template depends on: the text of every template it can reach
/// (what it extends, includes or imports, and so on), and which of the variables the
/// build passes it (or those templates) name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependencies {
    /// Hash of the names and texts of the template and every template it reaches.
    pub key: u128,
    /// Variables of [`CONTEXT`] named anywhere in those texts.
    pub uses: BTreeSet<&'static str>,
    /// The fields read of listed pages (entries of `pages` and `nav`, followed through
    /// loops and component arguments), or `None` when a tag can read any field (`p[name]`,
    /// a filter over a page, printing one whole).
    pub listed_fields: Option<BTreeSet<String>>,
}

impl Dependencies {
    /// Whether the templates can read the field `field` of a listed page. A page's own
    /// fields (`page.summary`) do not count: they come with the page, not the listing.
    pub fn reads_listed(&self, field: &str) -> bool {
        self.listed_fields
            .as_ref()
            .is_none_or(|fields| fields.contains(field))
    }
}

/// The variables made from `data/figures.yaml`: a template that reads one depends on all of it.
pub const FIGURE_VARIABLES: &[&str] = &[
    "figures",
    "figure_list",
    "sources",
    "checks",
    "scenarios",
    "charts",
];

/// The variables every page template is given.
pub const CONTEXT: &[&str] = &[
    "site",
    "root",
    "page",
    "pages",
    "nav",
    "figures",
    "figure_list",
    "sources",
    "checks",
    "scenarios",
    "charts",
    "feed",
    "generator",
];

impl Templates {
    /// The built-in theme overlaid with every file of `dir` (if it exists).
    pub fn load(root: &Path, dir: &Path) -> Result<Templates, Problems> {
        let mut sources: HashMap<String, String> = BUILT_IN
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect();
        let mut origins: HashMap<String, PathBuf> = BUILT_IN
            .iter()
            .map(|(name, _)| {
                (
                    name.to_string(),
                    PathBuf::from(format!("(built-in template) {name}")),
                )
            })
            .collect();
        let (found, mut problems) = files::list(root, dir);
        for file in found {
            let is_template = Path::new(&file.rel)
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| TEMPLATE_EXTENSIONS.contains(&e));
            if !is_template {
                continue;
            }
            let shown = display_path(root, &file.path);
            match files::read_text(&file.path, &shown) {
                Ok(text) => {
                    sources.insert(file.rel.clone(), text);
                    origins.insert(file.rel, shown);
                }
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(Problems(problems));
        }

        let mut tera = Tera::new();
        tera.autoescape_on([".html", ".htm", ".xml", ".svg"]);
        let mut templates = Templates {
            tera: Tera::new(),
            origins,
            dependencies: dependencies(&sources),
            sources: HashMap::new(),
        };
        if let Err(err) =
            tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        {
            return Err(Problems(templates.load_problems(&err)));
        }
        templates.tera = tera;
        templates.sources = sources;
        Ok(templates)
    }

    /// Whether `found` holds for the text of any template.
    pub fn any_source(&self, found: &dyn Fn(&str) -> bool) -> bool {
        self.sources.values().any(|text| found(text))
    }

    /// What rendering `name` depends on; None for a template that does not exist.
    pub fn dependencies(&self, name: &str) -> Option<&Dependencies> {
        self.dependencies.get(name)
    }

    pub fn has(&self, name: &str) -> bool {
        self.tera.contains_template(name)
    }

    /// Every template name, for "did you mean".
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tera.get_template_names()
    }

    /// One block of a template, e.g. the `content` of `figures.html` for the report's appendix.
    pub fn render_block(
        &self,
        name: &str,
        block: &str,
        context: &Context,
    ) -> Result<String, Problem> {
        self.tera
            .render_block(name, block, context)
            .map_err(|err| self.problem(&err, Some(name)))
    }

    pub fn render(&self, name: &str, context: &Context) -> Result<String, Problem> {
        self.tera
            .render(name, context)
            .map_err(|err| self.problem(&err, Some(name)))
    }

    /// Turn a Tera error into a problem at the template file's line and column.
    /// Tera checks all templates together when they are added and joins the reports
    /// of every template it finds wrong into one message: split it back into problems.
    fn load_problems(&self, err: &tera::Error) -> Vec<Problem> {
        let ErrorKind::Msg(message) = err.kind() else {
            return vec![self.problem(err, None)];
        };
        let reports: Vec<Problem> = message
            .split("\n\n")
            .filter_map(|report| self.parse_report(report))
            .collect();
        if reports.is_empty() {
            vec![self.problem(err, None)]
        } else {
            reports
        }
    }

    /// A rustc-style report (`error: what` then ` --> name:line:col`) as a problem.
    fn parse_report(&self, report: &str) -> Option<Problem> {
        let message = report.lines().next()?.strip_prefix("error: ")?;
        let location = report
            .lines()
            .find_map(|l| l.trim_start().strip_prefix("--> "))?;
        let mut parts = location.rsplitn(3, ':');
        let column: usize = parts.next()?.trim().parse().ok()?;
        let line: usize = parts.next()?.trim().parse().ok()?;
        let name = parts.next()?;
        let path = self
            .origins
            .get(name)
            .cloned()
            .unwrap_or_else(|| PathBuf::from(name));
        let message = template_message(message, true);
        let help = template_help(&message);
        Some(Problem::new(path, message).at(line, column).help(help))
    }

    fn problem(&self, err: &tera::Error, rendering: Option<&str>) -> Problem {
        let file_of = |name: &str| {
            self.origins
                .get(name)
                .cloned()
                .unwrap_or_else(|| PathBuf::from(name))
        };
        let mut problem = match err.kind() {
            ErrorKind::SyntaxError(report) | ErrorKind::RenderingError(report) => {
                let name = if report.filename().is_empty() {
                    rendering.unwrap_or("")
                } else {
                    report.filename()
                };
                let span = report.span();
                Problem::new(
                    file_of(name),
                    template_message(report.message(), rendering.is_none()),
                )
                .at(span.start_line, span.start_col + 1)
            }
            ErrorKind::MissingParent { current, parent } => Problem::new(
                file_of(current),
                format!("`{{% extends \"{parent}\" %}}` names a template that does not exist"),
            )
            .help(format!(
                "create templates/{parent}, or extend one of: {}",
                self.list()
            )),
            ErrorKind::TemplateNotFound(name) => Problem::new(
                rendering.map_or_else(|| PathBuf::from("templates"), file_of),
                format!("template `{name}` not found"),
            )
            .help(format!(
                "create templates/{name}, or use one of: {}",
                self.list()
            )),
            other => Problem::new(
                rendering.map_or_else(|| PathBuf::from("templates"), file_of),
                format!("template error: {other}"),
            ),
        };
        let mut cause = std::error::Error::source(err);
        while let Some(inner) = cause {
            problem.message.push_str(&format!(": {inner}"));
            cause = inner.source();
        }
        if problem.help.is_none() {
            let help = template_help(&problem.message);
            problem = problem.help(help);
        }
        problem
    }

    fn list(&self) -> String {
        let mut names: Vec<&str> = self.names().collect();
        names.sort_unstable();
        names.join(", ")
    }
}

/// [`Dependencies`] of every template, found in their texts. Reading the text is
/// deliberately coarse, so it errs on the side of depending on too much: any quoted
/// name of another template counts as a use of it, and a variable's name anywhere
/// (even in a comment) counts as a use of the variable.
fn dependencies(sources: &HashMap<String, String>) -> HashMap<String, Dependencies> {
    let refers: HashMap<&str, Vec<&str>> = sources
        .iter()
        .map(|(name, text)| {
            let named = sources
                .keys()
                .filter(|other| {
                    *other != name
                        && (text.contains(&format!("\"{other}\""))
                            || text.contains(&format!("'{other}'")))
                })
                .map(String::as_str)
                .collect();
            (name.as_str(), named)
        })
        .collect();
    // Components are global in Tera 2: any template may call one without naming the
    // file. They see only their arguments, so their text is a dependency of every
    // template but the variables they name are not.
    let components: Vec<&str> = sources
        .iter()
        .filter(|(_, text)| text.contains("{% component") || text.contains("{%- component"))
        .map(|(name, _)| name.as_str())
        .collect();
    // What each template names, read once.
    let analyses: HashMap<&str, Analysis> = sources
        .iter()
        .map(|(name, text)| (name.as_str(), Analysis::of(text)))
        .collect();
    sources
        .keys()
        .map(|name| {
            let mut reached: BTreeSet<&str> = BTreeSet::new();
            let mut stack = vec![name.as_str()];
            while let Some(next) = stack.pop() {
                if reached.insert(next) {
                    stack.extend(refers.get(next).into_iter().flatten().copied());
                }
            }
            let mut key = crate::util::hash::Key::new();
            let mut uses = BTreeSet::new();
            for component in &components {
                if !reached.contains(component) {
                    key.add(*component).add(sources[*component].as_str());
                }
            }
            for reached in &reached {
                key.add(*reached).add(sources[*reached].as_str());
                uses.extend(analyses[reached].uses.iter().copied());
            }
            // A component may be handed a listed page: its text is read with the
            // template's, and what it reads of the page counts.
            let texts: Vec<&str> = reached
                .iter()
                .chain(components.iter().filter(|c| !reached.contains(*c)))
                .map(|name| sources[*name].as_str())
                .collect();
            let listed_fields = if texts.iter().any(|t| t.contains("__tera_context")) {
                None
            } else {
                listed_fields(&texts)
            };
            (
                name.clone(),
                Dependencies {
                    key: key.finish(),
                    uses,
                    listed_fields,
                },
            )
        })
        .collect()
}

/// What one template's tags name.
struct Analysis {
    uses: BTreeSet<&'static str>,
}

impl Analysis {
    fn of(text: &str) -> Analysis {
        let code = tag_code(text);
        let mut uses: BTreeSet<&'static str> = CONTEXT
            .iter()
            .copied()
            .filter(|v| names_identifier(&code, v))
            .collect();
        if text.contains("__tera_context") {
            uses.extend(CONTEXT.iter().copied());
        }
        Analysis { uses }
    }
}

/// The fields of a listed page that the templates `texts` (a template, every template
/// it reaches and every component) read, or `None` when they can read one without
/// writing its name, so every field must be kept. A listed page is followed from `pages`
/// and `nav` through `for p in …` loops and component arguments (`card(page=p)`); it is
/// read field by field (`p.title`) or counted (`pages | length`). Anything else (an
/// index by a computed name `p[name]`, `for k, v in p`, a filter, printing it whole,
/// handing it to something that is not a component) reads any field: what this
/// reading cannot tell, it does not guess.
fn listed_fields(texts: &[&str]) -> Option<BTreeSet<String>> {
    let tags: Vec<Vec<Vec<Token>>> = texts.iter().map(|t| tags_of(t)).collect();
    // Parameters of components that are handed a listed page: (component, parameter).
    let mut handed: BTreeSet<(String, String)> = BTreeSet::new();
    let components: BTreeSet<String> = tags
        .iter()
        .flatten()
        .filter_map(|tag| match tag.split_first() {
            Some((Token::Word("component"), rest)) => dotted_name(rest),
            _ => None,
        })
        .collect();
    // A component handed a page may hand it on: follow until nothing new is found.
    for _ in 0..=texts.len() {
        let before = handed.len();
        let mut fields = BTreeSet::new();
        for template in &tags {
            if walk_listing(template, &components, &mut handed, &mut fields) {
                return None;
            }
        }
        if handed.len() == before {
            return Some(fields);
        }
    }
    None
}

/// One template's tags, reading listed pages as [`listed_fields`] says: the fields read
/// go to `fields`; true when one is read in a way that does not name its field.
fn walk_listing(
    tags: &[Vec<Token>],
    components: &BTreeSet<String>,
    handed: &mut BTreeSet<(String, String)>,
    fields: &mut BTreeSet<String>,
) -> bool {
    let mut listed: BTreeSet<&str> = ["pages", "nav"].into_iter().collect();
    for tag in tags {
        let word = |i: usize| match tag.get(i) {
            Some(Token::Word(w)) => Some(*w),
            _ => None,
        };
        let punct = |i: usize| match tag.get(i) {
            Some(Token::Punct(c)) => Some(*c),
            _ => None,
        };
        match word(0) {
            Some("component") => {
                // Parameters of this component that a caller hands a listed page.
                if let Some(name) = dotted_name(&tag[1..]) {
                    for (i, token) in tag.iter().enumerate().skip(2) {
                        if let Token::Word(param) = token
                            && matches!(punct(i + 1), Some(':' | ',' | ')' | '='))
                            && handed.contains(&(name.clone(), param.to_string()))
                        {
                            listed.insert(param);
                        }
                    }
                }
                continue;
            }
            Some("endcomponent") => {
                listed = ["pages", "nav"].into_iter().collect();
                continue;
            }
            _ => {}
        }
        let mut skip: BTreeSet<usize> = BTreeSet::new();
        if word(0) == Some("for") {
            let (var, second, in_at) = match (word(1), punct(2), word(2)) {
                (Some(var), Some(','), _) => (var, true, 5),
                (Some(var), _, Some("in")) => (var, false, 3),
                _ => ("", false, 0),
            };
            let iterable = word(in_at);
            let whole = tag.len() == in_at + 1
                || matches!(
                    tag.get(in_at + 1),
                    Some(Token::Word("if")) | Some(Token::Punct('%'))
                );
            if iterable.is_some_and(|i| listed.contains(i)) {
                if second {
                    return true;
                }
                if whole {
                    listed.insert(var);
                    skip.insert(in_at);
                }
            }
            skip.insert(1);
        }
        for (i, token) in tag.iter().enumerate() {
            let Token::Word(name) = token else {
                continue;
            };
            if skip.contains(&i) || !listed.contains(name) {
                continue;
            }
            if matches!(punct(i.wrapping_sub(1)), Some('.')) && i > 0 {
                continue; // a field that happens to share the name
            }
            // `{% if pages %}`, `{% if not nav and pages %}`: a test of emptiness reads
            // no field.
            if matches!(
                word(i.wrapping_sub(1)),
                Some("if" | "elif" | "not" | "and" | "or")
            ) && (tag.get(i + 1).is_none() || matches!(word(i + 1), Some("and" | "or")))
            {
                continue;
            }
            match (punct(i + 1), word(i + 2)) {
                (Some('.'), Some(field)) => {
                    fields.insert(field.to_string());
                }
                (Some('|'), Some("length")) => {}
                // `{{ <card page={p} /> }}` or `{% <card page={p}> %}`: the component's
                // parameter is handed the page, and its reading is followed there.
                (Some('}'), _)
                    if i >= 3
                        && punct(i - 1) == Some('{')
                        && punct(i - 2) == Some('=')
                        && punct(0) == Some('<') =>
                {
                    let (Some(param), Some(callee)) = (word(i - 3), dotted_name(&tag[1..])) else {
                        return true;
                    };
                    if !components.contains(callee.as_str()) {
                        return true;
                    }
                    handed.insert((callee, param.to_string()));
                }
                _ => return true,
            }
        }
    }
    false
}

/// `ui.card` from the tokens `ui`, `.`, `card` at the start of `tokens`.
fn dotted_name(tokens: &[Token]) -> Option<String> {
    let mut name = String::new();
    for pair in tokens.chunks(2) {
        let Token::Word(word) = pair[0] else {
            break;
        };
        name.push_str(word);
        if pair.get(1) != Some(&Token::Punct('.')) {
            break;
        }
        name.push('.');
    }
    (!name.is_empty()).then_some(name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'t> {
    Word(&'t str),
    Punct(char),
}

/// The tokens of each `{{ … }}` and `{% … %}` tag of `text`; strings are left out (a
/// word in quotes is not a variable).
fn tags_of(text: &str) -> Vec<Vec<Token<'_>>> {
    tag_spans(text).into_iter().map(tokens).collect()
}

fn tag_spans(text: &str) -> Vec<&str> {
    let mut spans = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let close = match after.chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let inner = &after[1..];
        let end = inner.find(close).unwrap_or(inner.len());
        spans.push(inner[..end].trim_matches(['-', '~', ' ', '\n', '\t', '\r']));
        rest = &inner[end..];
    }
    spans
}

fn tokens(code: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut chars = code.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c.is_alphabetic() || c == '_' {
            let mut end = at + c.len_utf8();
            while let Some(&(i, next)) = chars.peek() {
                if next.is_alphanumeric() || next == '_' {
                    end = i + next.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push(Token::Word(&code[at..end]));
        } else if c == '"' || c == '\'' || c == '`' {
            for (_, next) in chars.by_ref() {
                if next == c {
                    break;
                }
            }
            tokens.push(Token::Punct('"'));
        } else if c.is_ascii_digit() {
            while chars
                .peek()
                .is_some_and(|&(_, n)| n.is_ascii_alphanumeric() || n == '.')
            {
                chars.next();
            }
            tokens.push(Token::Punct('0'));
        } else if !c.is_whitespace() {
            tokens.push(Token::Punct(c));
        }
    }
    tokens
}

/// The insides of a template's `{{ … }}` and `{% … %}` tags, one per line: where a
/// variable can be named (text outside them, like a URL `figures/`, cannot).
fn tag_code(text: &str) -> String {
    let mut code = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let close = match after.chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let inner = &after[1..];
        let end = inner.find(close).unwrap_or(inner.len());
        code.push_str(&inner[..end]);
        code.push('\n');
        rest = &inner[end..];
    }
    code
}

/// Whether `identifier` appears in `text` as a whole word, not as part of a longer name
/// or after a `.` (`page.pages` is a field, not the variable).
fn names_identifier(text: &str, identifier: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(identifier).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + identifier.len()..].chars().next();
        !before.is_some_and(|c| is_word(c) || c == '.') && !after.is_some_and(is_word)
    })
}

fn template_message(message: &str, syntax: bool) -> String {
    if syntax {
        format!("template syntax error: {message}")
    } else {
        format!("template error: {message}")
    }
}

fn template_help(message: &str) -> String {
    let lower = message.to_lowercase();
    if lower.contains("block `") {
        "a template that extends another may only fill the blocks its parent defines: check the block's name against the parent".to_string()
    } else if lower.contains("undefined")
        || lower.contains("not found in context")
        || lower.contains("not defined")
    {
        "check the spelling against the variables the build passes (site, root, page, pages, nav, figures, figure_list, sources, checks, scenarios, charts, feed); guard optional values with `{% if value %}`".to_string()
    } else if lower.contains("filter") || lower.contains("function") {
        "see the Tera 2 documentation for the filters and functions that exist".to_string()
    } else {
        "see the Tera 2 documentation for the template syntax (https://keats.github.io/tera/)"
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(files: &[(&str, &str)]) -> HashMap<String, Dependencies> {
        dependencies(
            &files
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
        )
    }

    #[test]
    fn dependencies_follow_every_template_reached() {
        let found = deps(&[
            (
                "base.html",
                "{% block main %}{% endblock %}{% for p in nav %}{% endfor %}",
            ),
            (
                "page.html",
                "{% extends \"base.html\" %}{{ page.pages }}{{ page.title }}",
            ),
            (
                "index.html",
                "{% extends 'base.html' %}{% for p in pages %}{% endfor %}",
            ),
            (
                "lonely.html",
                "{{ navigation }} {{ site.title }} <a href=\"{{ root }}pages/\">",
            ),
            (
                "parts.html",
                "{% component card(figures: map) %}{% endcomponent card %}",
            ),
        ]);
        let uses = |n: &str| found[n].uses.iter().copied().collect::<Vec<_>>();
        assert_eq!(uses("page.html"), ["nav", "page"]);
        assert_eq!(uses("index.html"), ["nav", "pages"]);
        assert_eq!(
            uses("lonely.html"),
            ["root", "site"],
            "text outside tags is no use"
        );
        assert!(
            !found["page.html"].reads_listed("title")
                && !found["page.html"].reads_listed("summary")
        );
        let own = deps(&[(
            "page.html",
            "{% for p in nav %}{{ p.title }}{% endfor %}{{ page.reading_minutes }}",
        )]);
        assert!(own["page.html"].reads_listed("title"));
        assert!(
            !own["page.html"].reads_listed("reading_minutes"),
            "a page's own field is not read of the listed pages"
        );
        let shadowed = deps(&[(
            "page.html",
            "{% for page in nav %}{{ page.reading_minutes }}{% endfor %}",
        )]);
        assert!(shadowed["page.html"].reads_listed("reading_minutes"));
        let dynamic = deps(&[("d.html", "{% for p in pages %}{{ p[field] }}{% endfor %}")]);
        assert!(
            dynamic["d.html"].reads_listed("summary"),
            "a computed field name reads any field"
        );
        assert_ne!(found["page.html"].key, found["index.html"].key);
        let no_parts = deps(&[
            (
                "base.html",
                "{% block main %}{% endblock %}{% for p in nav %}{% endfor %}",
            ),
            (
                "page.html",
                "{% extends \"base.html\" %}{{ page.pages }}{{ page.title }}",
            ),
        ]);
        assert_ne!(
            no_parts["page.html"].key, found["page.html"].key,
            "a component's text is a dependency of every template"
        );
        let changed = deps(&[
            ("base.html", "{% block main %}{% endblock %}changed"),
            (
                "page.html",
                "{% extends \"base.html\" %}{{ page.pages }}{{ page.title }}",
            ),
        ]);
        assert_ne!(
            found["page.html"].key, changed["page.html"].key,
            "a change to the parent changes the child's key"
        );
    }

    #[test]
    fn every_way_of_reading_a_field_keeps_it() {
        let reads =
            |text: &str, field: &str| deps(&[("t.html", text)])["t.html"].reads_listed(field);
        assert!(!reads(
            "{% for p in pages %}{{ p.title }}{% endfor %}",
            "summary"
        ));
        assert!(reads(
            "{% for p in pages %}{{ p.title }}{% endfor %}",
            "title"
        ));
        for text in [
            "{% for p in pages %}{% for k, v in p %}{{ v }}{% endfor %}{% endfor %}",
            "{% for p in pages %}{{ p | pairs }}{% endfor %}",
            "{% for p in nav %}{{ p }}{% endfor %}",
            "{% for p in pages %}{{ card(page=p) }}{% endfor %}",
            "{% for p in pages %}{{ p | get(key=name) }}{% endfor %}",
            "{{ __tera_context }}",
            "{% for p in pages %}{{ p[name] }}{% endfor %}",
            "{% for p in pages | slice(end=3) %}{{ p.title }}{% endfor %}",
        ] {
            assert!(reads(text, "summary"), "{text}");
        }
        // Indexing other maps, counting pages, or a field sharing a listed name, is no
        // reason to keep every field.
        for text in [
            "{% for n in names %}{{ figures[n].display }}{% endfor %}{% for p in nav %}{{ p.url }}{% endfor %}",
            "{{ pages | length }} {{ site.pages }}",
            "{% for p in pages %}{% if p.url == page.url %}{{ p.title | upper }}{% endif %}{% endfor %}",
            "{% if pages %}<ul>{% for p in pages %}{{ p.title }}{% endfor %}</ul>{% endif %}",
            "{% if not nav and pages %}{{ site.title }}{% endif %}",
        ] {
            assert!(!reads(text, "summary"), "{text}");
        }
        // A component reads the fields of what it is handed, whoever calls it.
        let found = deps(&[
            (
                "index.html",
                "{% for p in pages %}{{ teaser(page=p) }}{% endfor %}",
            ),
            (
                "parts.html",
                "{% component teaser(page: map) %}{{ page.summary }}{% endcomponent teaser %}",
            ),
            (
                "other.html",
                "{% for p in pages %}{{ p.title }}{% endfor %}",
            ),
        ]);
        assert!(found["index.html"].reads_listed("summary"));
        assert!(
            !found["other.html"].reads_listed("summary"),
            "a template that hands the component no page does not read what it reads"
        );
        // A component that is handed a page and loops over its fields keeps them all.
        let found = deps(&[
            (
                "index.html",
                "{% for p in pages %}{{ row(entry=p) }}{% endfor %}",
            ),
            (
                "parts.html",
                "{% component row(entry: map) %}{% for k, v in entry %}{{ v }}{% endfor %}{% endcomponent row %}",
            ),
        ]);
        assert!(found["index.html"].reads_listed("anything"));
        let figures_only = deps(&[
            (
                "index.html",
                "{% for p in pages %}{{ p.title }}{% endfor %}{{ cards(figures=figures) }}",
            ),
            (
                "parts.html",
                "{% component cards(figures: map) %}{% for k, v in figures %}{{ v }}{% endfor %}{% endcomponent cards %}",
            ),
        ]);
        assert!(!figures_only["index.html"].reads_listed("summary"));
    }
}
