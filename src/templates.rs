//! Loading and rendering templates: Tera 2, with the built-in theme under the user's `templates/`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use tera::{Context, ErrorKind, Tera};

use crate::error::{Problem, Problems};
use crate::files::{self, display_path};

/// The default theme, compiled into the binary so a site needs no `templates/` of its own;
/// a file of the same name in the site's `templates/` replaces it.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    (
        "components.html",
        include_str!("../templates/components.html"),
    ),
    ("index.html", include_str!("../templates/index.html")),
    ("page.html", include_str!("../templates/page.html")),
    ("figures.html", include_str!("../templates/figures.html")),
    ("report.html", include_str!("../templates/report.html")),
    ("404.html", include_str!("../templates/404.html")),
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
    /// Every word inside the tags of those texts: the fields they can read.
    pub words: BTreeSet<String>,
    /// Whether a tag reads a field by a computed name (`p[name]`): then any field.
    pub dynamic_fields: bool,
}

impl Dependencies {
    /// Whether the templates name `word` inside a tag (as a variable, a field or a key).
    pub fn names(&self, word: &str) -> bool {
        self.dynamic_fields || self.words.contains(word)
    }
}

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
            let mut key = crate::cache::Key::new();
            let mut uses = BTreeSet::new();
            let mut words = BTreeSet::new();
            let mut dynamic_fields = false;
            for component in &components {
                if !reached.contains(component) {
                    key.add(*component).add(sources[*component].as_str());
                }
            }
            for reached in &reached {
                key.add(*reached).add(sources[*reached].as_str());
                let own = &analyses[reached];
                uses.extend(own.uses.iter().copied());
                words.extend(own.words.iter().cloned());
                dynamic_fields |= own.dynamic_fields;
            }
            (
                name.clone(),
                Dependencies {
                    key: key.finish(),
                    uses,
                    words,
                    dynamic_fields,
                },
            )
        })
        .collect()
}

/// What one template's tags name.
struct Analysis {
    uses: BTreeSet<&'static str>,
    words: BTreeSet<String>,
    dynamic_fields: bool,
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
        Analysis {
            uses,
            words: code
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect(),
            dynamic_fields: code.split('[').skip(1).any(|after| {
                after
                    .trim_start()
                    .starts_with(|c: char| c.is_alphabetic() || c == '_')
            }),
        }
    }
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
        "check the spelling against the variables the build passes (site, root, page, pages, nav, figures, figure_list, sources, checks, charts, feed); guard optional values with `{% if value %}`".to_string()
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
        assert!(found["page.html"].names("title") && !found["page.html"].names("summary"));
        let dynamic = deps(&[("d.html", "{% for p in pages %}{{ p[field] }}{% endfor %}")]);
        assert!(
            dynamic["d.html"].names("summary"),
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
}
