//! Loading: `content/**/*.md` into pages (front matter, title, URL, order).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;

use crate::util::error::{Problem, Problems};
use crate::util::files::{self, display_path};
use crate::util::yaml;

/// URL of the generated "Figures and sources" page, which no page may take.
pub const FIGURES_URL: &str = "figures/";

/// Front matter: the YAML block between `---` lines at the top of a page.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub description: Option<String>,
    /// `YYYY-MM-DD`, optionally followed by a time.
    pub date: Option<String>,
    pub weight: Option<i64>,
    #[serde(default)]
    pub draft: bool,
    /// Template to render the page with, e.g. `page.html`.
    pub template: Option<String>,
    /// Markdown shown where the page is listed; defaults to the first paragraph.
    pub summary: Option<String>,
    /// Overrides the last part of the URL.
    pub slug: Option<String>,
    #[serde(default)]
    pub extra: BTreeMap<String, yaml::Value>,
}

/// One Markdown file of `content/`, loaded but not yet rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Path as the user would type it, for messages: `content/deal.md`.
    pub path: PathBuf,
    /// Path inside `content/`, with `/` separators: `deal.md`, `markets/_index.md`.
    pub rel: String,
    pub front: FrontMatter,
    /// A hash of `front` (as parsed, figure references in it resolved), made once: cache
    /// keys use it instead of formatting the front matter of every page on every build.
    pub front_key: u128,
    pub title: String,
    /// The Markdown after the front matter; shared, so that the preview's copy of an
    /// unchanged page costs no copy of its text.
    pub body: std::sync::Arc<str>,
    /// A hash of `body`, made once when the file is read: the preview keys every page
    /// on every save, and hashing the text of 10,000 pages each time cost more than
    /// rendering the page that changed.
    pub body_key: u128,
    /// 1-based line of the file where `body` starts.
    pub body_line: usize,
    /// URL relative to the site root, `""` for home, `deal/` for `deal.md`.
    pub url: String,
    pub is_home: bool,
    /// Lines of `summary:`, `template:`, `title:` and `description:` in the front matter
    /// (0 when absent), for messages.
    pub summary_line: usize,
    pub template_line: usize,
    pub title_line: usize,
    pub description_line: usize,
}

impl Page {
    pub fn weight(&self) -> i64 {
        self.front.weight.unwrap_or(0)
    }

    /// Output file relative to the output folder.
    pub fn output_path(&self) -> String {
        format!("{}index.html", self.url)
    }

    pub fn template(&self) -> &str {
        match &self.front.template {
            Some(template) => template,
            None if self.is_home => "index.html",
            None => "page.html",
        }
    }

    /// `../` once per folder level of the URL: the way back to the site root.
    pub fn root(&self) -> String {
        "../".repeat(self.url.matches('/').count())
    }

    pub fn slug(&self) -> &str {
        self.url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
    }
}

/// Pages parsed by an earlier load, with the size and modification time of their file:
/// a process that loads the same site again and again (the preview server) reads and
/// parses only the files that changed.
#[derive(Default)]
pub struct SourceCache {
    /// Read by every thread loading pages at once, written only for files that changed:
    /// a lock that readers share (a mutex here made 10,000 lookups take turns).
    pages: std::sync::RwLock<HashMap<PathBuf, (u64, std::time::SystemTime, Page)>>,
}

impl SourceCache {
    fn get(&self, path: &Path, meta: &std::fs::Metadata) -> Option<Page> {
        let modified = meta.modified().ok()?;
        let pages = self.pages.read().ok()?;
        let (len, time, page) = pages.get(path)?;
        (*len == meta.len() && *time == modified).then(|| page.clone())
    }

    fn put(&self, path: &Path, meta: &std::fs::Metadata, page: &Page) {
        let Ok(modified) = meta.modified() else {
            return;
        };
        // File times are coarse (milliseconds): a file changed again within the same
        // tick, to the same size, would look unchanged. A file written in the last
        // second is not kept, so it is read again next time (as git treats "racy" files).
        let settled = modified
            .elapsed()
            .is_ok_and(|age| age > std::time::Duration::from_secs(1));
        if !settled {
            return;
        }
        if let Ok(mut pages) = self.pages.write() {
            pages.insert(path.to_path_buf(), (meta.len(), modified, page.clone()));
        }
    }
}

/// Every page below `content_dir`, drafts only when asked, in reading order:
/// home first, then by weight, then by title. With `cache`, a file whose size and
/// modification time are those of the last load is not read again.
pub fn load_pages(
    root: &Path,
    content_dir: &Path,
    drafts: bool,
    cache: Option<&SourceCache>,
) -> Result<Vec<Page>, Problems> {
    let (files, mut problems) = files::list(root, content_dir);
    let loaded: Vec<Result<Page, Problem>> = files
        .par_iter()
        .filter(|file| file.rel.ends_with(".md"))
        .map(|file| {
            let meta = cache.and_then(|_| std::fs::metadata(&file.path).ok());
            if let (Some(cache), Some(meta)) = (cache, &meta)
                && let Some(page) = cache.get(&file.path, meta)
            {
                return Ok(page);
            }
            let shown = display_path(root, &file.path);
            let text = files::read_text(&file.path, &shown)?;
            let page = parse_page(&shown, &file.rel, &text)?;
            if let (Some(cache), Some(meta)) = (cache, &meta) {
                // A file changed while it was read gets a newer time: it is read again next time.
                cache.put(&file.path, meta, &page);
            }
            Ok(page)
        })
        .collect();

    let mut pages = Vec::new();
    for result in loaded {
        match result {
            Ok(page) if page.front.draft && !drafts => {}
            Ok(page) => pages.push(page),
            Err(problem) => problems.push(problem),
        }
    }
    problems.extend(check_unique_urls(&pages));
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    sort_pages(&mut pages);
    Ok(pages)
}

/// Home first, then by weight, title (ignoring case) and path. The keys are made once per
/// page, not once per comparison: a preview sorts every page on every save.
pub fn sort_pages(pages: &mut [Page]) {
    pages.sort_by_cached_key(|p| {
        (
            !p.is_home,
            p.weight(),
            p.title.to_lowercase(),
            p.rel.clone(),
        )
    });
}

/// Parse one page's text. `path` is used in messages, `rel` is the path inside `content/`.
pub fn parse_page(path: &Path, rel: &str, text: &str) -> Result<Page, Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut front, front_text, body, body_line) = split_front_matter(path, text)?;
    // The front matter starts on line 2, after the opening `---`.
    let front_line =
        |key: &str| yaml::key_position(front_text, None, key).map_or(0, |(line, _)| line + 1);
    if let Some(date) = front.date.take() {
        // Templates, feeds and listings get the date as jiff wrote it back.
        let when = crate::util::dates::parse(&date).map_err(|message| {
            Problem::new(
                path,
                format!("`date: {date}` is not a valid date: {message}"),
            )
            .at(front_line("date"), 1)
            .help(crate::util::dates::DATE_HELP)
        })?;
        front.date = Some(when.canonical());
    }
    if let Some(template) = &front.template
        && template.trim().is_empty()
    {
        return Err(Problem::new(path, "`template` is empty")
            .at(front_line("template"), 1)
            .help("name a file of templates/, e.g. `template: page.html`, or remove the line"));
    }

    if let Some(slug) = &front.slug {
        check_slug(slug).map_err(|message| {
            Problem::new(path, message)
                .at(front_line("slug"), 1)
                .help("a slug is the last part of the page's URL: one word or words joined by `-`, e.g. `slug: the-deal` (to move a page into a folder, move its file)")
        })?;
    }
    let mut body = body.to_string();
    let title = match front.title.clone().filter(|t| !t.trim().is_empty()) {
        Some(title) => title,
        None => match take_first_heading(&body) {
            Some((title, rest)) => {
                body = rest;
                title
            }
            None => title_from_file_name(rel),
        },
    };

    let is_home = rel == "_index.md";
    let url = page_url(rel, front.slug.as_deref());
    Ok(Page {
        path: path.to_path_buf(),
        rel: rel.to_string(),
        front_key: front_key(&front),
        front,
        title,
        body_key: crate::util::hash::Key::new().add(body.as_str()).finish(),
        body: body.into(),
        body_line,
        url,
        is_home,
        summary_line: front_line("summary"),
        template_line: front_line("template"),
        title_line: front_line("title"),
        description_line: front_line("description"),
    })
}

/// The front matter, its YAML text, the body and the line where the body starts.
fn split_front_matter<'t>(
    path: &Path,
    text: &'t str,
) -> Result<(FrontMatter, &'t str, &'t str, usize), Problem> {
    let Some(after_open) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok((FrontMatter::default(), "", text, 1));
    };
    let mut offset = 0;
    for line in after_open.split_inclusive('\n') {
        if line.trim_end() == "---" {
            let yaml_text = &after_open[..offset];
            let body = &after_open[offset + line.len()..];
            let front: FrontMatter = if yaml_text.trim().is_empty() {
                FrontMatter::default()
            } else {
                yaml::parse(path, yaml_text, 2).map_err(|p| {
                    let help = front_matter_help(&p.message);
                    p.help(help)
                })?
            };
            let body_line = 2 + yaml_text.matches('\n').count() + 1;
            return Ok((front, yaml_text, body, body_line));
        }
        offset += line.len();
    }
    Err(Problem::new(path, "front matter is not closed")
        .at(1, 1)
        .help("end the front matter with a line holding only `---`"))
}

fn front_matter_help(message: &str) -> String {
    if message.contains("unknown field") {
        "front matter accepts title, description, date, weight, draft, template, summary, slug and extra (put your own keys under `extra:`)".to_string()
    } else if let Some(help) = yaml::own_help(message) {
        help.to_string()
    } else {
        "front matter is YAML between two `---` lines: `key: value`, one per line; quote titles that contain `: `".to_string()
    }
}

/// A slug names one part of a URL: no folder separators, no `.`/`..`, nothing a host
/// hides (a leading dot) and no control characters, so a page can never be written
/// outside its folder.
fn check_slug(slug: &str) -> Result<(), String> {
    let why = if slug.trim().is_empty() {
        "is empty"
    } else if slug.contains(['/', '\\']) {
        "holds a folder separator"
    } else if slug.starts_with('.') {
        "starts with a dot"
    } else if slug.chars().any(|c| c.is_control() || c == ':') {
        "holds a control character or a colon"
    } else {
        return Ok(());
    };
    Err(format!(
        "`slug: {}` {why}: a slug is one part of a URL",
        slug.escape_debug()
    ))
}

/// A page without a title in its front matter takes its first `# Heading`, which is then
/// removed from the body so the template does not show it twice.
fn take_first_heading(body: &str) -> Option<(String, String)> {
    let mut in_fence = false;
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        }
        if let Some(title) = trimmed.strip_prefix("# ").filter(|_| !in_fence) {
            let title = title.trim().trim_end_matches('#').trim().to_string();
            if !title.is_empty() {
                // An empty line in its place keeps the line numbers of what follows.
                let rest = format!("{}\n{}", &body[..offset], &body[offset + line.len()..]);
                return Some((title, rest));
            }
        }
        offset += line.len();
    }
    None
}

fn title_from_file_name(rel: &str) -> String {
    let stem = rel.trim_end_matches(".md");
    let stem = stem.strip_suffix("/_index").unwrap_or(stem);
    let name = stem.rsplit('/').next().unwrap_or(stem);
    let name = if name == "_index" { "Home" } else { name };
    crate::util::text::capitalise(&name.replace(['-', '_'], " "))
}

/// `deal.md` -> `deal/`, `markets/_index.md` -> `markets/`, `_index.md` -> ``.
fn page_url(rel: &str, slug: Option<&str>) -> String {
    let stem = rel.trim_end_matches(".md");
    let (parent, name) = match stem.rsplit_once('/') {
        Some((parent, name)) => (format!("{parent}/"), name),
        None => (String::new(), stem),
    };
    if name == "_index" {
        return parent;
    }
    let name = slug
        .map(str::to_string)
        .unwrap_or_else(|| crate::util::text::slugify(name));
    format!("{parent}{name}/")
}

/// Figure references in the page's title and description, replaced by the text they
/// show: these are plain text wherever they appear (`<title>`, meta tags, JSON-LD, the
/// feed, listings, the report), so they take no link or tooltip.
pub fn resolve_figures(page: &mut Page, figures: &crate::figures::Figures) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut resolve = |text: &mut String, key: &str, line: usize| match crate::figures::text::plain(
        figures, text,
    ) {
        Ok(resolved) => *text = resolved,
        Err((_, error)) => problems.push(
            Problem::new(&page.path, format!("in `{key}`: {}", error.message))
                .at(line, usize::from(line > 0))
                .help(error.help),
        ),
    };
    // A title taken from the first `# Heading` is placed at the start of the body.
    let title_line = if page.title_line > 0 {
        page.title_line
    } else {
        page.body_line
    };
    resolve(&mut page.title, "title", title_line);
    if let Some(description) = &mut page.front.description
        && description.contains("{{")
    {
        resolve(description, "description", page.description_line);
        page.front_key = front_key(&page.front);
    }
    problems
}

fn front_key(front: &FrontMatter) -> u128 {
    crate::util::hash::Key::new()
        .add(&format!("{front:?}"))
        .finish()
}

fn check_unique_urls(pages: &[Page]) -> Vec<Problem> {
    let mut seen: BTreeMap<&str, &Page> = BTreeMap::new();
    let mut problems = Vec::new();
    for page in pages {
        if let Some(first) = seen.insert(&page.url, page) {
            problems.push(
                Problem::new(
                    &page.path,
                    format!(
                        "this page has the same URL `/{}` as {}",
                        page.url,
                        first.path.display()
                    ),
                )
                .help(
                    "rename one of the files or give one a different `slug:` in its front matter",
                ),
            );
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn page(rel: &str, text: &str) -> Result<Page, Problem> {
        parse_page(Path::new(rel), rel, text)
    }

    #[test]
    fn front_matter_is_read_and_body_line_follows_it() {
        let p = page("deal.md", "---\ntitle: The deal\nweight: 10\n---\nBody\n").unwrap();
        assert_eq!(p.title, "The deal");
        assert_eq!(p.weight(), 10);
        assert_eq!(&*p.body, "Body\n");
        assert_eq!(p.body_line, 5);
        assert_eq!(p.url, "deal/");
        assert_eq!(p.root(), "../");
    }

    #[test]
    fn title_comes_from_first_heading_without_front_matter() {
        let p = page("notes.md", "Intro\n\n# Real title\n\nText\n").unwrap();
        assert_eq!(p.title, "Real title");
        assert!(!p.body.contains("Real title"));
        assert_eq!(p.body.lines().count(), 5, "line numbers must not shift");
    }

    #[test]
    fn title_falls_back_to_file_name() {
        assert_eq!(
            page("market-notes.md", "text").unwrap().title,
            "Market notes"
        );
    }

    #[test]
    fn urls_for_index_and_nested_pages() {
        assert_eq!(page_url("_index.md", None), "");
        assert_eq!(page_url("a/_index.md", None), "a/");
        assert_eq!(page_url("a/B c.md", None), "a/b-c/");
        assert_eq!(page_url("a/x.md", Some("y")), "a/y/");
        assert_eq!(page("_index.md", "x").unwrap().template(), "index.html");
    }

    #[test]
    fn bad_front_matter_points_at_the_file_line() {
        let err = page("x.md", "---\ntitle: ok\nweight: [\n---\n").unwrap_err();
        assert!(err.line >= 3, "{err}");
        let err = page("x.md", "---\ntitle: ok\n").unwrap_err();
        assert!(err.message.contains("not closed"));
        let err = page("x.md", "---\ntitle: ok\ndate: 27/11/2026\n---\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(page("x.md", "---\ndate: 2026-11-2é\n---\n").is_err());
        assert!(page("x.md", "---\ndate: 2026-11-27T09:30:00Z\n---\n").is_ok());
    }

    #[test]
    fn a_slug_is_one_part_of_a_url() {
        for bad in [
            "../../escaped",
            "a/b",
            "..",
            ".",
            ".hidden",
            "",
            "a\\b",
            "c:x",
        ] {
            let text = format!("---\ntitle: T\nslug: \"{}\"\n---\n", bad.escape_default());
            let err = page("x.md", &text).unwrap_err();
            assert_eq!((err.line, err.column), (3, 1), "{bad}: {err}");
            assert!(err.message.contains("slug"), "{err}");
        }
        assert_eq!(
            page("a/x.md", "---\nslug: the-deal\n---\n").unwrap().url,
            "a/the-deal/"
        );
    }

    fn write_aged(path: &Path, text: &str, age: u64) {
        std::fs::write(path, text).unwrap();
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(age))
            .unwrap();
    }

    #[test]
    fn a_changed_file_is_read_again_an_unchanged_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        std::fs::create_dir_all(&content).unwrap();
        write_aged(&content.join("a.md"), "---\ntitle: One\n---\nx\n", 60);
        let cache = SourceCache::default();
        let title = || {
            load_pages(dir.path(), &content, false, Some(&cache)).unwrap()[0]
                .title
                .clone()
        };
        assert_eq!(title(), "One");
        // Same size, later time: read again.
        write_aged(&content.join("a.md"), "---\ntitle: Two\n---\nx\n", 30);
        assert_eq!(title(), "Two");
        // Same size and time as cached: the parsed page is reused without reading.
        std::fs::write(content.join("a.md"), "---\ntitle: Six\n---\nx\n").unwrap();
        let file = std::fs::File::options()
            .write(true)
            .open(content.join("a.md"))
            .unwrap();
        let cached_time = cache.pages.read().unwrap().values().next().unwrap().1;
        file.set_modified(cached_time).unwrap();
        assert_eq!(title(), "Two", "size and time are what tell a change");
        // A file written just now is never kept, so a second write in the same tick is seen.
        std::fs::write(content.join("a.md"), "---\ntitle: Ten\n---\nx\n").unwrap();
        assert_eq!(title(), "Ten");
        std::fs::write(content.join("a.md"), "---\ntitle: Tan\n---\nx\n").unwrap();
        assert_eq!(title(), "Tan");
    }
}
