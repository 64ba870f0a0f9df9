//! Loading: the whole site read into one `Site` value before anything is rendered.

use std::path::{Path, PathBuf};

use crate::figures::{self, Figures};
use crate::load::config::{self, Config};
use crate::load::content::FIGURES_URL;
use crate::load::content::{self, Page};
use crate::load::templates::Templates;
use crate::util::error::{Problem, Problems, did_you_mean};
use crate::util::files::{self, display_path};

pub const FIGURES_FILE: &str = "data/figures.yaml";

/// The default theme's static files, used unless the site's `static/` has a file of the same name.
pub const BUILT_IN_STATIC: &[(&str, &[u8])] = &[
    ("style.css", include_bytes!("../../static/style.css")),
    ("favicon.svg", include_bytes!("../../static/favicon.svg")),
    ("whatif.js", include_bytes!("../../static/whatif.js")),
];

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Include pages marked `draft: true`.
    pub drafts: bool,
    /// Replaces `base_url` of briefing.yaml (for a preview or a staging host).
    pub base_url: Option<String>,
    /// Start from an empty build cache instead of `.briefing-cache/`, and leave the shared
    /// highlight cache alone.
    pub no_cache: bool,
    /// The folder of the highlight cache every site of the user shares, if one is used.
    pub shared_cache: Option<PathBuf>,
}

/// A file copied as is into the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticFile {
    /// Path inside the output folder, with `/` separators.
    pub rel: String,
    pub bytes: Vec<u8>,
}

/// Everything a build needs, read from disk once.
pub struct Site {
    pub root: PathBuf,
    pub config: Config,
    pub figures: Figures,
    pub pages: Vec<Page>,
    pub templates: Templates,
    pub static_files: Vec<StaticFile>,
}

impl Site {
    /// Each page's path inside `content/` with its URL: what links to `.md` files become.
    pub fn page_urls(&self) -> std::collections::HashMap<String, String> {
        self.pages
            .iter()
            .map(|p| (p.rel.clone(), p.url.clone()))
            .collect()
    }

    /// Read the site in `root`, reporting every problem found in any of its parts.
    pub fn load(root: &Path, options: &LoadOptions) -> Result<Site, Problems> {
        Site::load_with(root, options, None)
    }

    /// [`Site::load`], reusing the pages of earlier loads whose files did not change.
    pub fn load_with(
        root: &Path,
        options: &LoadOptions,
        sources: Option<&crate::load::content::SourceCache>,
    ) -> Result<Site, Problems> {
        let mut problems = Vec::new();
        // The parts are independent: read them side by side (templates are the slowest
        // to set up, pages the slowest on a large site, and those run in parallel too).
        let ((config, figures), ((pages, templates), static_files)) = rayon::join(
            || {
                let config = Config::load(root).map(|mut config| {
                    if let Some(base_url) = &options.base_url {
                        config.base_url = base_url.trim_end_matches('/').to_string();
                    }
                    config
                });
                (config, load_figures(root))
            },
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || {
                                content::load_pages(
                                    root,
                                    &root.join("content"),
                                    options.drafts,
                                    sources,
                                )
                            },
                            || Templates::load(root, &root.join("templates")),
                        )
                    },
                    || load_static(root, &root.join("static")),
                )
            },
        );
        // Problems in the order a reader meets the parts.
        let config = keep(&mut problems, config);
        let figures = keep(&mut problems, figures);
        let pages = keep(&mut problems, pages);
        let templates = keep(&mut problems, templates);
        let static_files = keep(&mut problems, static_files);

        if let (Some(config), Some(figures)) = (&config, &figures) {
            problems.extend(check_key_figures(config, figures));
        }
        let mut pages = pages;
        if let (Some(pages), Some(figures)) = (&mut pages, &figures) {
            let mut retitled = false;
            for page in pages.iter_mut() {
                if page.title.contains("{{")
                    || page
                        .front
                        .description
                        .as_ref()
                        .is_some_and(|d| d.contains("{{"))
                {
                    problems.extend(content::resolve_figures(page, figures));
                    retitled = true;
                }
            }
            if retitled {
                content::sort_pages(pages);
            }
        }
        if let (Some(pages), Some(templates)) = (&pages, &templates) {
            problems.extend(check_page_templates(pages, templates));
        }
        if let Some(pages) = &pages
            && let Some(page) = pages.iter().find(|p| p.url == FIGURES_URL)
        {
            problems.push(
                Problem::new(
                    &page.path,
                    "this page would take the URL of the generated figures page `/figures/`",
                )
                .help("rename the file or give it another `slug:`"),
            );
        }

        match (config, figures, pages, templates, static_files) {
            (Some(config), Some(figures), Some(pages), Some(templates), Some(static_files))
                if problems.is_empty() =>
            {
                Ok(Site {
                    root: root.to_path_buf(),
                    config,
                    figures,
                    pages,
                    templates,
                    static_files,
                })
            }
            _ => Err(Problems(problems)),
        }
    }
}

/// The value of a step that worked; the problems of one that did not, kept for the report.
fn keep<T>(problems: &mut Vec<Problem>, result: Result<T, Problems>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(Problems(found)) => {
            problems.extend(found);
            None
        }
    }
}

fn load_figures(root: &Path) -> Result<Figures, Problems> {
    let path = root.join(FIGURES_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let shown = display_path(root, &path);
            figures::load(&shown, &files::decode(&shown, bytes)?)
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Figures::empty()),
        Err(err) => {
            Err(Problem::new(display_path(root, &path), format!("cannot read: {err}")).into())
        }
    }
}

fn load_static(root: &Path, dir: &Path) -> Result<Vec<StaticFile>, Problems> {
    let (found, mut problems) = files::list(root, dir);
    let mut files = Vec::with_capacity(found.len() + BUILT_IN_STATIC.len());
    for file in found {
        match std::fs::read(&file.path) {
            // Stylesheets are read as text (their `url()`s are rewritten): only UTF-8 survives that.
            Ok(bytes) if is_css(&file.rel) && std::str::from_utf8(&bytes).is_err() => {
                problems.extend(files::decode(&display_path(root, &file.path), bytes).err());
            }
            Ok(bytes) => files.push(StaticFile {
                rel: file.rel,
                bytes,
            }),
            Err(err) => problems.push(files::cannot_read(root, &file.path, &err)),
        }
    }
    for (rel, bytes) in BUILT_IN_STATIC {
        if !files.iter().any(|f| f.rel == *rel) {
            files.push(StaticFile {
                rel: rel.to_string(),
                bytes: bytes.to_vec(),
            });
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(Problems(problems))
    }
}

fn is_css(rel: &str) -> bool {
    rel.rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("css"))
}

fn check_key_figures(config: &Config, figures: &Figures) -> Vec<Problem> {
    config
        .key_figures
        .iter()
        .filter(|name| figures.get(name).is_none())
        .map(|name| {
            let help = match figures.suggest(name) {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None => format!("name a figure declared in {FIGURES_FILE}"),
            };
            Problem::new(
                config::FILE_NAME,
                format!("`key_figures` names an unknown figure `{name}`"),
            )
            .at(config.key_figures_line, 1)
            .help(help)
        })
        .collect()
}

fn check_page_templates(pages: &[Page], templates: &Templates) -> Vec<Problem> {
    pages
        .iter()
        .filter(|page| !templates.has(page.template()))
        .map(|page| {
            let name = page.template();
            let help = match did_you_mean(name, templates.names()) {
                Some(suggestion) => {
                    format!("did you mean `{suggestion}`? (or create templates/{name})")
                }
                None => {
                    format!("create templates/{name}, or remove `template:` to use the default")
                }
            };
            Problem::new(&page.path, format!("template `{name}` does not exist"))
                .at(page.template_line, 1)
                .help(help)
        })
        .collect()
}
