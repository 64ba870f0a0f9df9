//! Loading and rendering templates: Tera 2, with the built-in theme under the user's `templates/`.

use std::collections::HashMap;
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
}

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
            match std::fs::read_to_string(&file.path) {
                Ok(text) => {
                    sources.insert(file.rel.clone(), text);
                    origins.insert(file.rel, display_path(root, &file.path));
                }
                Err(err) => problems.push(files::cannot_read(root, &file.path, &err)),
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
        };
        if let Err(err) =
            tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        {
            return Err(Problems(templates.load_problems(&err)));
        }
        templates.tera = tera;
        Ok(templates)
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
