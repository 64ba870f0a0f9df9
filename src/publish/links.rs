//! Checking: every link, anchor and image of the rendered site resolves, found in the
//! outputs in memory before anything is written; external links are listed, never fetched.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::load::content::{FIGURES_URL, Page};
use crate::load::site::Site;
use crate::render::markdown::{self, LinkSite};
use crate::util::error::{LineIndex, Problem, did_you_mean};
use crate::util::html::{FileKind, Kind, Scan, kind_of};
use crate::util::urls::{
    SiteUrl, Target, decode_entities, page_path_of, percent_decode, resolve, resolve_path, scheme,
};

/// What the link check needs of one output file, kept (and cached) after the file is
/// written: its ids, sorted, and its references without their places in the text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLinks {
    pub ids: Vec<String>,
    pub refs: Vec<Link>,
    /// Hashes of `refs` and of `ids`, made once with them: the preview checks a site
    /// of 10,000 files on every save, and hashing all their links each time cost more
    /// than checking the one page that changed.
    refs_key: u128,
    ids_key: u128,
}

/// A reference as the link check needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The URL as a browser reads it.
    pub href: String,
    pub kind: Kind,
    /// Byte offset of the element (or of the URL in CSS) in the file, before assets
    /// are renamed, for line and column.
    pub offset: usize,
}

impl FileLinks {
    pub fn of(scan: &Scan) -> FileLinks {
        let mut ids: Vec<String> = scan.ids.iter().cloned().collect();
        ids.sort_unstable();
        let refs: Vec<Link> = scan
            .refs
            .iter()
            .map(|r| Link {
                href: r.href.clone(),
                kind: r.kind,
                offset: r.offset,
            })
            .collect();
        let mut refs_key = crate::util::hash::Key::new();
        for link in &refs {
            refs_key.add(&link.href).add(&link.kind).add(&link.offset);
        }
        FileLinks {
            ids_key: crate::util::hash::Key::new().add(&ids).finish(),
            refs_key: refs_key.finish(),
            ids,
            refs,
        }
    }

    fn has_id(&self, id: &str) -> bool {
        self.ids
            .binary_search_by(|probe| probe.as_str().cmp(id))
            .is_ok()
    }
}

/// One output file for the link check: its path in the output folder and its links.
#[derive(Debug, Clone)]
pub struct CheckFile<'a> {
    pub path: String,
    pub links: &'a FileLinks,
}

/// A link to another site, and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalLink {
    pub url: String,
    /// `content/deal.md:12:3`, or the output file and line when no source is known;
    /// only the output file unless the check was asked to locate external links.
    pub location: String,
}

/// What a check of the rendered site found.
#[derive(Debug, Default)]
pub struct Report {
    /// Broken links, anchors and images, each at its source line where it can be traced.
    pub broken: Vec<Problem>,
    pub external: Vec<ExternalLink>,
    /// Links and images inside the site that were checked.
    pub internal: usize,
    /// What the next check may reuse of this one.
    pub memo: CheckMemo,
}

/// The results of a check for the files that had no broken link, so the next check
/// resolves only the links of files that changed. Valid only while every file of the
/// site and every id in them stays the same (`targets`); a file is reused when its links
/// are the same.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CheckMemo {
    targets: u128,
    files: HashMap<String, FileMemo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileMemo {
    links: u128,
    internal: usize,
    external: Vec<usize>,
}

/// Hash of every file's path and ids: what the links of any file may point at.
fn targets_key(files: &[CheckFile]) -> u128 {
    let mut key = crate::util::hash::Key::new();
    for file in files {
        key.add(&file.path).add(&file.links.ids_key);
    }
    key.finish()
}

/// Where the files of the output come from, to report problems in the user's files.
enum Origin<'a> {
    Page(&'a Page),
    Template(&'static str),
    Static(String),
    Generated,
}

/// Check every internal link, `#anchor` and image of the rendered `files`, and list the
/// external ones. Their links were scanned before assets got hashed names, so problems
/// point at the files as the user wrote them. `text_of` gives a file's text (before
/// renaming), asked only to place a problem or an external link that cannot be traced
/// to Markdown; `output_dir` is only for messages. Two steps: every file's links
/// resolved (in parallel, reusing `memo` for files whose links did not change), then
/// each problem placed at its source line, once per place.
pub fn check(
    site: &Site,
    files: &[CheckFile],
    text_of: &(dyn Fn(usize) -> String + Sync),
    output_dir: &Path,
    external: External,
    memo: &CheckMemo,
) -> Report {
    let mut report = Report::default();
    let found = resolve_all(site, files, memo, &mut report);
    let mut placer = Placer {
        site,
        output_dir,
        external,
        origins: std::cell::OnceCell::new(),
        from_templates: BTreeMap::new(),
        located: HashSet::new(),
        locator: Locator::new(site),
        md_suggestions: HashMap::new(),
        report,
    };
    for (number, (file, found)) in files.iter().zip(found).enumerate() {
        placer.report.internal += found.internal;
        let listed = external != External::Skip && !found.external.is_empty();
        if listed || !found.broken.is_empty() {
            placer.place(file, found, &|| text_of(number));
        }
    }
    placer.finish()
}

/// Every file's links resolved, in parallel; a file whose links are those of the last
/// check, while every target of the site is the same, is not resolved again. The memo
/// for the next check is left in `report`.
fn resolve_all<'f>(
    site: &Site,
    files: &'f [CheckFile],
    memo: &CheckMemo,
    report: &mut Report,
) -> Vec<Found<'f>> {
    let url = SiteUrl::new(&site.config.base_url);
    // Made only when some file must be resolved: a save in the preview usually resolves
    // one page against a memo of all the others.
    let index: std::sync::OnceLock<HashMap<&str, usize>> = std::sync::OnceLock::new();
    let index_of = || {
        index.get_or_init(|| {
            files
                .iter()
                .enumerate()
                .map(|(i, o)| (o.path.as_str(), i))
                .collect()
        })
    };
    let targets = targets_key(files);
    let found: Vec<(Found, u128)> = files
        .par_iter()
        .map(|file| {
            let links = file.links.refs_key;
            let known = memo
                .files
                .get(&file.path)
                .filter(|known| memo.targets == targets && known.links == links);
            let found = match known {
                Some(known) => Found {
                    internal: known.internal,
                    external: known.external.clone(),
                    broken: Vec::new(),
                },
                None => find_problems(&url, index_of(), files, file),
            };
            (found, links)
        })
        .collect();
    report.memo.targets = targets;
    files
        .iter()
        .zip(found)
        .map(|(file, (found, links))| {
            if found.broken.is_empty() {
                report.memo.files.insert(
                    file.path.clone(),
                    FileMemo {
                        links,
                        internal: found.internal,
                        external: found.external.clone(),
                    },
                );
            }
            found
        })
        .collect()
}

/// Which part of the site each output comes from.
struct Origins<'a> {
    pages: HashMap<String, &'a Page>,
    statics: HashSet<&'a str>,
}

impl<'a> Origins<'a> {
    fn new(site: &'a Site) -> Origins<'a> {
        Origins {
            pages: site.pages.iter().map(|p| (p.output_path(), p)).collect(),
            statics: site.static_files.iter().map(|f| f.rel.as_str()).collect(),
        }
    }

    fn of(&self, path: &str) -> Origin<'a> {
        if self.statics.contains(path) {
            Origin::Static(path.to_string())
        } else if let Some(page) = self.pages.get(path) {
            Origin::Page(page)
        } else if path.strip_suffix("index.html") == Some(FIGURES_URL) {
            Origin::Template("figures.html")
        } else if path == "404.html" {
            Origin::Template("404.html")
        } else {
            Origin::Generated
        }
    }
}

/// What the check does with links to other sites (never fetched).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum External {
    /// Leave them out of the report (a preview, which does not show them).
    Skip,
    /// List each with the output file it is in.
    List,
    /// List each with the line of the file the user wrote (`check --external`).
    Locate,
}

/// Places problems and external links at the line of the file the user wrote.
struct Placer<'a> {
    site: &'a Site,
    output_dir: &'a Path,
    external: External,
    /// Made when the first problem or external link is placed.
    origins: std::cell::OnceCell<Origins<'a>>,
    /// Template links repeat on every page: one report per target, naming how many pages.
    from_templates: BTreeMap<(String, Kind, String), (Problem, usize)>,
    /// Targets already reported at a Markdown line: the same link shown elsewhere (a
    /// summary in a listing) is not reported again.
    located: HashSet<String>,
    locator: Locator<'a>,
    md_suggestions: HashMap<String, Option<String>>,
    report: Report,
}

impl Placer<'_> {
    /// The external links and broken references of one file, placed.
    fn place(&mut self, output: &CheckFile, found: Found, text_of: &dyn Fn() -> String) {
        let text_cell = std::cell::OnceCell::new();
        let text = || text_cell.get_or_init(text_of).as_str();
        let lines_cell = std::cell::OnceCell::new();
        let lines = || lines_cell.get_or_init(|| LineIndex::new(text()));
        let site = self.site;
        let origin = self
            .origins
            .get_or_init(|| Origins::new(site))
            .of(&output.path);
        // Where each link of a page is written in its Markdown, found once per page.
        let places = match &origin {
            Origin::Page(page) if self.external == External::Locate || !found.broken.is_empty() => {
                Places::new(self.locator.sites(page))
            }
            _ => Places::default(),
        };
        let in_output = |offset: usize| {
            let (line, column) = lines().line_col(offset);
            (self.output_dir.join(&output.path), line, column)
        };
        let external = if self.external == External::Skip {
            Vec::new()
        } else {
            found.external
        };
        for i in external {
            let reference = &output.links.refs[i];
            let location = if self.external == External::Locate {
                match &origin {
                    Origin::Page(page) => places.first(page, &reference.href),
                    _ => None,
                }
                .unwrap_or_else(|| {
                    let (path, line, column) = in_output(reference.offset);
                    match &origin {
                        Origin::Static(rel) => format!("static/{rel}:{line}:{column}"),
                        _ => format!("{}:{line}:{column}", path.display()),
                    }
                })
            } else {
                output.path.clone()
            };
            self.report.external.push(ExternalLink {
                url: reference.href.clone(),
                location,
            });
        }
        // One problem per place: a link written three times is three problems, found
        // once each (not three times three).
        let mut seen_hrefs: HashSet<&str> = HashSet::new();
        for broken in found.broken {
            let reference = broken.reference;
            let (message, help) = match &origin {
                Origin::Page(page) => {
                    md_link_problem(self.site, page, &reference.href, &mut self.md_suggestions)
                        .unwrap_or((format!("{} {}", broken.title, broken.message), broken.help))
                }
                _ => (format!("{} {}", broken.title, broken.message), broken.help),
            };
            let with_help = |problem: Problem| match &help {
                Some(help) => problem.help(help.clone()),
                None => problem,
            };
            match &origin {
                Origin::Page(page) => {
                    let written = places.all(&reference.href);
                    if !written.is_empty() {
                        self.located.extend(broken.target);
                        if seen_hrefs.insert(&reference.href) {
                            for &(line, column) in written {
                                self.report.broken.push(with_help(
                                    Problem::new(&page.path, message.clone()).at(line, column),
                                ));
                            }
                        }
                    } else if let Some((line, column)) = places.in_raw_html(page, &reference.href) {
                        self.located.extend(broken.target);
                        self.report.broken.push(with_help(
                            Problem::new(&page.path, message).at(line, column),
                        ));
                    } else {
                        let (path, line, column) = in_output(reference.offset);
                        let template = page.template().to_string();
                        let written_by = format!(
                            "the link is written by the template {template} (or one it extends), not by {}",
                            page.path.display()
                        );
                        let problem = Problem::new(path, message.clone()).at(line, column).help(
                            match &help {
                                Some(help) => format!("{help}; {written_by}"),
                                None => written_by,
                            },
                        );
                        let key = (template, reference.kind, broken.target.unwrap_or(message));
                        self.from_templates.entry(key).or_insert((problem, 0)).1 += 1;
                    }
                }
                Origin::Static(rel) => {
                    let (_, line, column) = in_output(reference.offset);
                    self.report.broken.push(with_help(
                        Problem::new(Path::new("static").join(rel), message).at(line, column),
                    ));
                }
                Origin::Template(name) => {
                    let (path, line, column) = in_output(reference.offset);
                    self.report.broken.push(with_help(
                        Problem::new(path, message).at(line, column).help(format!(
                            "{}the link is written by the template {name} (or one it extends)",
                            help.as_deref().map_or(String::new(), |h| format!("{h}; "))
                        )),
                    ));
                }
                Origin::Generated => {
                    let (path, line, column) = in_output(reference.offset);
                    self.report
                        .broken
                        .push(with_help(Problem::new(path, message).at(line, column)));
                }
            }
        }
    }

    /// The report: template links once each (unless already placed in Markdown), every
    /// problem once, external links in order.
    fn finish(mut self) -> Report {
        for ((_, _, target), (mut problem, pages)) in self.from_templates {
            if self.located.contains(&target) {
                continue;
            }
            if pages > 1 {
                problem.message.push_str(&format!(
                    " (and on {} other page{})",
                    pages - 1,
                    if pages == 2 { "" } else { "s" }
                ));
            }
            self.report.broken.push(problem);
        }
        // The same place can be reached twice (a summary shown in a listing repeats its
        // page's links): each problem is reported once.
        let mut reported: HashSet<(std::path::PathBuf, usize, usize, String)> = HashSet::new();
        self.report
            .broken
            .retain(|p| reported.insert((p.path.clone(), p.line, p.column, p.message.clone())));
        self.report
            .external
            .sort_by(|a, b| a.url.cmp(&b.url).then(a.location.cmp(&b.location)));
        self.report
    }
}

/// Where the links of one page are written in its Markdown: by destination, every
/// place (line, column) in the order written.
#[derive(Default)]
struct Places {
    by_href: HashMap<String, Vec<(usize, usize)>>,
    /// `href="…"`/`src="…"` values in the page's raw HTML, found on first need.
    raw: std::cell::OnceCell<HashMap<String, (usize, usize)>>,
}

impl Places {
    fn new(sites: Vec<LinkSite>) -> Places {
        let mut by_href: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for site in sites {
            by_href
                .entry(percent_decode(&site.href))
                .or_default()
                .push((site.line, site.column));
        }
        Places {
            by_href,
            raw: std::cell::OnceCell::new(),
        }
    }

    fn all(&self, href: &str) -> &[(usize, usize)] {
        self.by_href
            .get(&percent_decode(href))
            .map_or(&[], Vec::as_slice)
    }

    fn first(&self, page: &Page, href: &str) -> Option<String> {
        let (line, column) = self
            .all(href)
            .first()
            .copied()
            .or_else(|| self.in_raw_html(page, href))?;
        Some(format!("{}:{line}:{column}", page.path.display()))
    }

    /// The place of `href` as an attribute value in raw HTML of the page's Markdown
    /// (which the Markdown renderer does not see as a link). One scan of the page finds
    /// every such value, so many links cost one pass, not one search each.
    fn in_raw_html(&self, page: &Page, href: &str) -> Option<(usize, usize)> {
        let raw = self.raw.get_or_init(|| {
            let lines = LineIndex::new(&page.body);
            let mut raw = HashMap::new();
            let body = &*page.body;
            for attribute in ["href=", "src="] {
                for (at, _) in body.match_indices(attribute) {
                    let rest = &body[at + attribute.len()..];
                    let value = match rest.chars().next() {
                        Some(quote @ ('"' | '\'')) => rest[1..].split(quote).next(),
                        _ => rest.split(|c: char| c.is_whitespace() || c == '>').next(),
                    };
                    if let Some(value) = value {
                        let (line, column) = lines.line_col(at);
                        raw.entry(percent_decode(&decode_entities(value)))
                            .or_insert((line + page.body_line - 1, column));
                    }
                }
            }
            raw
        });
        raw.get(&percent_decode(href)).copied()
    }
}

/// For a broken link to a `.md` file written in a page: the message and hint of a link
/// to Markdown that is not a page of the site, with the likely page meant. Suggestions
/// are looked for once per target, and for at most [`SUGGESTIONS`] targets a build.
fn md_link_problem(
    site: &Site,
    page: &Page,
    href: &str,
    suggestions: &mut HashMap<String, Option<String>>,
) -> Option<(String, Option<String>)> {
    let path = href.split(['#', '?']).next().unwrap_or(href);
    if !path.ends_with(".md") || scheme(path).is_some() || path.starts_with("//") {
        return None;
    }
    let path = percent_decode(path);
    let dir = page.rel.rsplit_once('/').map_or("", |(dir, _)| dir);
    let target = resolve_path(dir, &path).unwrap_or_else(|| path.clone());
    let known = suggestions.len() < SUGGESTIONS || suggestions.contains_key(&target);
    let suggestion = if known {
        suggestions
            .entry(target.clone())
            .or_insert_with(|| {
                did_you_mean(&target, site.pages.iter().map(|p| p.rel.as_str())).map(str::to_string)
            })
            .clone()
    } else {
        None
    };
    let help = match suggestion {
        Some(near) => format!("did you mean `{near}`? (paths are relative to this file)"),
        None => "link to a .md file inside content/, relative to this file".to_string(),
    };
    Some((
        format!("broken link: `{path}` is not a page of this site"),
        Some(help),
    ))
}

/// How many distinct broken targets get a "did you mean" (each costs a comparison with
/// every page of the site; a page with thousands of broken links must not cost millions).
const SUGGESTIONS: usize = 64;

/// What resolving the references of one file found.
struct Found<'r> {
    internal: usize,
    /// Indexes of external references.
    external: Vec<usize>,
    broken: Vec<Broken<'r>>,
}

fn find_problems<'r>(
    url: &SiteUrl,
    index: &HashMap<&str, usize>,
    files: &[CheckFile],
    output: &'r CheckFile,
) -> Found<'r> {
    let mut found = Found {
        internal: 0,
        external: Vec::new(),
        broken: Vec::new(),
    };
    for (i, reference) in output.links.refs.iter().enumerate() {
        match resolve(url, &output.path, &reference.href) {
            Target::Ignored => {}
            Target::External => found.external.push(i),
            Target::Outside => found.broken.push(Broken {
                reference,
                title: "broken link",
                message: format!(
                    "`{}` leads outside the site, which is published under `{}/`",
                    reference.href, url.path
                ),
                help: Some(format!(
                    "write the link relative to this page, or root-relative as `{}/…`; set base_url in briefing.yaml to where the site is published",
                    url.path
                )),
                target: None,
            }),
            Target::Internal { path, fragment } => {
                found.internal += 1;
                if output.path == "404.html"
                    && !reference.href.starts_with('#')
                    && !reference.href.starts_with('/')
                    && scheme(&reference.href).is_none()
                {
                    found.broken.push(Broken {
                        reference,
                        title: "broken link",
                        message: format!(
                            "relative link `{}` in 404.html: that page is served at any missing URL, where a relative link points elsewhere",
                            reference.href
                        ),
                        help: Some(format!(
                            "use a root-relative link (`{}/…`); the built-in 404 template's `root` is root-relative",
                            url.path
                        )),
                        target: None,
                    });
                    continue;
                }
                if let Some((title, message, help)) = missing(
                    index,
                    files,
                    &path,
                    fragment.as_deref(),
                    reference,
                    url,
                ) {
                    let target = format!("{path}#{}", fragment.as_deref().unwrap_or(""));
                    found.broken.push(Broken {
                        reference,
                        title,
                        message,
                        help,
                        target: Some(target),
                    });
                }
            }
        }
    }
    found
}

/// A reference that does not resolve, before it is traced to a source line.
struct Broken<'r> {
    reference: &'r Link,
    title: &'static str,
    message: String,
    help: Option<String>,
    /// `path#fragment` it points at, to report a link shown on many pages once.
    target: Option<String>,
}

/// Why an internal target is missing, with a hint; None when it exists.
fn missing(
    index: &HashMap<&str, usize>,
    files: &[CheckFile],
    path: &str,
    fragment: Option<&str>,
    reference: &Link,
    url: &SiteUrl,
) -> Option<(&'static str, String, Option<String>)> {
    let found = if path.is_empty() || path.ends_with('/') {
        index.get(format!("{path}index.html").as_str())
    } else {
        index
            .get(path)
            .or_else(|| index.get(format!("{path}/index.html").as_str()))
    };
    let Some(&target) = found else {
        let shown = url.root_relative(path);
        let help = match reference.kind {
            Kind::Image | Kind::File => format!(
                "put the file at static/{path}, or correct the path: a relative path starts from the URL of the page it is on, and static/x.png is published as {}",
                url.root_relative("x.png")
            ),
            Kind::Link => {
                let candidates = files.iter().map(|o| page_path_of(&o.path));
                let candidates: Vec<String> = candidates.collect();
                match did_you_mean(path, candidates.iter().map(String::as_str)) {
                    Some(near) => format!("did you mean `{}`?", url.root_relative(near)),
                    None => "link to a page of the site (a relative link starts from the URL of the page it is on); to link to a Markdown file, write its .md path".to_string(),
                }
            }
        };
        let title = match reference.kind {
            Kind::Link => "broken link",
            Kind::Image => "missing image",
            Kind::File => "missing file",
        };
        return Some((
            title,
            format!("`{}`: there is nothing at `{shown}`", reference.href),
            Some(help),
        ));
    };
    let fragment = fragment.filter(|f| !f.is_empty() && !f.starts_with(":~:"))?;
    let is_html = matches!(kind_of(&files[target].path), FileKind::Html);
    let links = &files[target].links;
    if !is_html || links.has_id(fragment) || fragment == "top" {
        return None;
    }
    let page = url.root_relative(&page_path_of(&files[target].path));
    let help = match did_you_mean(fragment, links.ids.iter().map(String::as_str)) {
        Some(near) => format!("did you mean `#{near}`?"),
        None => "a heading's id is its text in lower case with words joined by `-` (`## The cost` -> `#the-cost`); set one with `## Title {#id}`".to_string(),
    };
    Some((
        "broken anchor",
        format!(
            "`{}`: {page} has no element with id `{fragment}`",
            reference.href
        ),
        Some(help),
    ))
}

/// Renders a page's Markdown again, only for pages with a broken link, to learn the
/// source line of every link in it (rendering is pure, so it gives the same links).
struct Locator<'a> {
    site: &'a Site,
    page_urls: Option<HashMap<String, String>>,
}

impl<'a> Locator<'a> {
    fn new(site: &'a Site) -> Self {
        Locator {
            site,
            page_urls: None,
        }
    }

    fn sites(&mut self, page: &Page) -> Vec<LinkSite> {
        let site = self.site;
        let page_urls = self.page_urls.get_or_insert_with(|| site.page_urls());
        // A broken page gives no sites: its problems are reported by the build itself.
        let (body, summary) = markdown::render_page(page, &site.figures, page_urls, None);
        body.into_iter()
            .chain(summary.and_then(Result::ok))
            .flat_map(|r| r.links)
            .collect()
    }
}
