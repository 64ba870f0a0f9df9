//! Rendering and writing: every output of a loaded `Site`, then an all-or-nothing swap into `public/`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Value};

use crate::content::Page;
use crate::error::{Problem, Problems};
use crate::figures::Figure;
use crate::highlight;
use crate::markdown::{self, RenderContext, TocEntry};
use crate::site::{FIGURES_URL, Site};

/// One file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Path inside the output folder, with `/` separators.
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What templates see as `page` (and, without `content` and `toc`, as each entry of `pages`).
#[derive(Serialize)]
struct PageView<'a> {
    title: &'a str,
    description: &'a str,
    date: Option<&'a str>,
    /// `27 November 2026`.
    date_display: Option<String>,
    url: &'a str,
    permalink: String,
    slug: &'a str,
    weight: i64,
    word_count: usize,
    reading_minutes: usize,
    is_home: bool,
    template: &'a str,
    source: &'a str,
    figures_used: &'a [String],
    extra: &'a BTreeMap<String, crate::yaml::Value>,
}

/// A page after its Markdown is rendered, before its template is.
pub(crate) struct RenderedPage<'a> {
    pub(crate) page: &'a Page,
    pub(crate) html: String,
    pub(crate) summary: String,
    pub(crate) toc: Vec<TocEntry>,
    pub(crate) word_count: usize,
    pub(crate) figures_used: Vec<String>,
}

const WORDS_PER_MINUTE: usize = 220;

/// Every output file of the site, rendered in memory: pages, the figures page,
/// the code stylesheet and the static files. Touches no disk.
pub fn render(site: &Site) -> Result<Vec<Output>, Problems> {
    let rendered = render_all_markdown(site)?;
    let mut problems = Vec::new();

    // Built once and shared: tera values are reference-counted, so each page's
    // context clones pointers, not the list of every page.
    let shared = shared_context(site, &rendered);
    let charts = crate::charts::by_root(&site.figures, rendered.iter().map(|p| p.page.root()));

    let mut outputs: Vec<Output> = Vec::with_capacity(rendered.len() + site.static_files.len() + 2);
    let pages: Vec<Result<Output, Problem>> = rendered
        .par_iter()
        .enumerate()
        .map(|(index, page)| {
            let mut context = shared.clone();
            let mut value = page_value(site, page, true);
            link_neighbours(&mut value, &rendered, index);
            context.insert_value("page", value);
            context.insert("root", &page.page.root());
            context.insert_value(
                "charts",
                crate::charts::for_root(&charts, &page.page.root()),
            );
            let html = site.templates.render(page.page.template(), &context)?;
            let html = crate::links::fill_root(html, &page.page.root());
            Ok(Output {
                path: page.page.output_path(),
                bytes: html.into_bytes(),
            })
        })
        .collect();
    for result in pages {
        match result {
            Ok(output) => outputs.push(output),
            Err(problem) => problems.push(problem),
        }
    }

    match render_figures_page(site, &shared, &charts) {
        Ok(output) => outputs.push(output),
        Err(problem) => problems.push(problem),
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }

    outputs.push(Output {
        path: "highlight.css".to_string(),
        bytes: highlight::stylesheet().into_bytes(),
    });
    let mut taken: HashMap<String, ()> = outputs.iter().map(|o| (o.path.clone(), ())).collect();
    for file in &site.static_files {
        if taken.insert(file.rel.clone(), ()).is_some() {
            problems.push(
                Problem::new(
                    format!("static/{}", file.rel),
                    "this file has the same path as a generated file",
                )
                .help("rename or move it inside static/"),
            );
            continue;
        }
        outputs.push(Output {
            path: file.rel.clone(),
            bytes: file.bytes.clone(),
        });
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    let sections: Vec<crate::publish::Section> = rendered
        .iter()
        .map(|p| crate::publish::Section {
            page: p.page,
            summary: &p.summary,
        })
        .collect();
    outputs.extend(crate::publish::documents(
        site,
        &shared,
        &sections,
        &|path| taken.contains_key(path),
    )?);
    outputs.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(outputs)
}

/// The Markdown of every page, rendered in parallel; every problem of every page.
pub(crate) fn render_all_markdown(site: &Site) -> Result<Vec<RenderedPage<'_>>, Problems> {
    let page_urls: HashMap<String, String> = site
        .pages
        .iter()
        .map(|p| (p.rel.clone(), p.url.clone()))
        .collect();
    let markdown: Vec<Result<RenderedPage, Problems>> = site
        .pages
        .par_iter()
        .map(|page| render_markdown(site, page, &page_urls))
        .collect();
    let mut problems = Vec::new();
    let mut rendered = Vec::with_capacity(markdown.len());
    for result in markdown {
        match result {
            Ok(page) => rendered.push(page),
            Err(Problems(found)) => problems.extend(found),
        }
    }
    if problems.is_empty() {
        Ok(rendered)
    } else {
        Err(Problems(problems))
    }
}

fn render_markdown<'a>(
    site: &'a Site,
    page: &'a Page,
    page_urls: &HashMap<String, String>,
) -> Result<RenderedPage<'a>, Problems> {
    let root = page.root();
    let cx = RenderContext {
        path: &page.path,
        rel: &page.rel,
        first_line: page.body_line,
        root: &root,
        figures: &site.figures,
        page_urls,
        highlights: &site.highlights,
    };
    let (body, summary) = markdown::render_page(page, &cx);
    let summary = summary
        .map(|summary| summary.map(|r| markdown::inline_html(&r.html)))
        .transpose();
    match (body, summary) {
        (Ok(body), Ok(summary)) => Ok(RenderedPage {
            page,
            summary: summary.unwrap_or(body.summary),
            html: body.html,
            toc: body.toc,
            word_count: body.word_count,
            figures_used: body.figures_used,
        }),
        (Err(Problems(mut a)), Err(Problems(b))) => {
            a.extend(b);
            Err(Problems(a))
        }
        (Err(problems), _) | (_, Err(problems)) => Err(problems),
    }
}

fn page_value(site: &Site, rendered: &RenderedPage, with_content: bool) -> Value {
    let page = rendered.page;
    let view = PageView {
        title: &page.title,
        description: page.front.description.as_deref().unwrap_or(""),
        date: page.front.date.as_deref(),
        date_display: page
            .front
            .date
            .as_deref()
            .and_then(crate::figures::long_date),
        url: &page.url,
        permalink: permalink(&site.config.base_url, &page.url),
        slug: page.slug(),
        weight: page.weight(),
        word_count: rendered.word_count,
        reading_minutes: rendered.word_count.div_ceil(WORDS_PER_MINUTE).max(1),
        is_home: page.is_home,
        template: page.template(),
        source: &page.rel,
        figures_used: &rendered.figures_used,
        extra: &page.front.extra,
    };
    let mut map = Value::from_serializable(&view)
        .into_map()
        .unwrap_or_default();
    // Rendered Markdown is HTML already: mark it safe so autoescape leaves it alone.
    if with_content {
        map.insert("summary".into(), Value::safe_string(&rendered.summary));
        map.insert("content".into(), Value::safe_string(&rendered.html));
        map.insert("toc".into(), Value::from_serializable(&rendered.toc));
        let json_ld = crate::publish::page_json_ld(site, page);
        map.insert("json_ld".into(), Value::safe_string(&json_ld));
    } else {
        // Listings show a summary on other pages: its links must start from the site root.
        let summary = crate::links::rebase_to_root(&rendered.summary, &page.url);
        map.insert("summary".into(), Value::safe_string(&summary));
    }
    Value::from(map)
}

/// `page.previous` and `page.next` in reading order (home, then every page), so a
/// template needs no loop over all pages to find them: that loop on every page
/// would make a build quadratic in the number of pages.
fn link_neighbours(value: &mut Value, rendered: &[RenderedPage], index: usize) {
    let link = |page: Option<&RenderedPage>| match page {
        Some(page) => {
            let mut map = tera::Map::new();
            map.insert("title".into(), page.page.title.as_str().into());
            map.insert("url".into(), page.page.url.as_str().into());
            map.insert("is_home".into(), page.page.is_home.into());
            Value::from(map)
        }
        None => Value::none(),
    };
    let previous = index.checked_sub(1).and_then(|i| rendered.get(i));
    let next = rendered.get(index + 1);
    if let Some(mut map) = std::mem::replace(value, Value::none()).into_map() {
        map.insert("previous".into(), link(previous));
        map.insert("next".into(), link(next));
        *value = Value::from(map);
    }
}

pub(crate) fn shared_context(site: &Site, rendered: &[RenderedPage]) -> Context {
    let mut context = Context::new();
    context.insert("site", &site.config);
    let mut listed: Vec<Value> = Vec::with_capacity(rendered.len());
    // The navigation lists top-level pages only, so its size does not grow with
    // an archive of nested pages.
    let mut nav: Vec<Value> = Vec::new();
    for page in rendered.iter().filter(|p| !p.page.is_home) {
        let value = page_value(site, page, false);
        if page.page.url.matches('/').count() == 1 {
            nav.push(value.clone());
        }
        listed.push(value);
    }
    context.insert_value("pages", Value::from(listed));
    // Templates link the feed only when there is one.
    context.insert("feed", &crate::publish::has_feed(site));
    context.insert_value("nav", Value::from(nav));
    let figures: BTreeMap<&str, &Figure> =
        site.figures.iter().map(|f| (f.name.as_str(), f)).collect();
    context.insert("figures", &figures);
    context.insert("figure_list", &site.figures.iter().collect::<Vec<_>>());
    context.insert("sources", &site.figures.sources().collect::<Vec<_>>());
    context.insert("checks", &site.figures.checks().collect::<Vec<_>>());
    context.insert(
        "generator",
        &format!("briefing {}", env!("CARGO_PKG_VERSION")),
    );
    context
}

fn render_figures_page(
    site: &Site,
    shared: &Context,
    charts: &crate::charts::ByRoot,
) -> Result<Output, Problem> {
    let mut context = shared.clone();
    let title = "Figures and sources";
    let description =
        "Every number in this briefing: its value, how it was derived and where it comes from.";
    let mut page = tera::Map::new();
    page.insert("title".into(), title.into());
    page.insert("description".into(), description.into());
    page.insert("date".into(), Value::none());
    page.insert("date_display".into(), Value::none());
    page.insert("url".into(), FIGURES_URL.into());
    page.insert(
        "permalink".into(),
        permalink(&site.config.base_url, FIGURES_URL).into(),
    );
    page.insert("slug".into(), "figures".into());
    page.insert("is_home".into(), false.into());
    page.insert("template".into(), "figures.html".into());
    page.insert("summary".into(), Value::safe_string(""));
    page.insert("content".into(), Value::safe_string(""));
    page.insert("toc".into(), Value::from(Vec::<Value>::new()));
    page.insert("extra".into(), Value::from(tera::Map::new()));
    page.insert("previous".into(), Value::none());
    page.insert("next".into(), Value::none());
    let json_ld = crate::publish::json_ld(
        site,
        crate::publish::Schema::Report,
        title,
        description,
        None,
        FIGURES_URL,
    );
    page.insert("json_ld".into(), Value::safe_string(&json_ld));
    context.insert_value("page", Value::from(page));
    context.insert("root", "../");
    context.insert_value("charts", crate::charts::for_root(charts, "../"));
    let html = site.templates.render("figures.html", &context)?;
    Ok(Output {
        path: format!("{FIGURES_URL}index.html"),
        bytes: crate::links::fill_root(html, "../").into_bytes(),
    })
}

fn permalink(base_url: &str, url: &str) -> String {
    format!("{base_url}/{url}")
}

/// Write `outputs` into `output_dir` all at once: they go to a fresh folder beside it,
/// which replaces `output_dir` only when every file is written. A failure at any point
/// leaves the previous `output_dir` as it was.
pub fn write(outputs: &[Output], output_dir: &Path) -> anyhow::Result<()> {
    let parent = match output_dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let name = output_dir
        .file_name()
        .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.new-{}", std::process::id()));
    let retired = parent.join(format!(".{name}.old-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);

    let written = write_tree(outputs, &staging, output_dir);
    if let Err(err) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(err);
    }
    if output_dir.exists() {
        std::fs::rename(output_dir, &retired).with_context(|| {
            let _ = std::fs::remove_dir_all(&staging);
            format!("cannot move the previous {} aside", output_dir.display())
        })?;
    }
    if let Err(err) = std::fs::rename(&staging, output_dir) {
        // Put the previous site back so the user is never left without one.
        let _ = std::fs::rename(&retired, output_dir);
        let _ = std::fs::remove_dir_all(&staging);
        return Err(err)
            .with_context(|| format!("cannot move the new site into {}", output_dir.display()));
    }
    let _ = std::fs::remove_dir_all(&retired);
    Ok(())
}

/// Files whose bytes are unchanged are hard-linked from `previous` instead of written, so
/// they keep their modification time and a warm build writes only what changed. The
/// previous files are never modified: a link shares their content, and every changed file
/// is a new file in the staging folder.
fn write_tree(outputs: &[Output], dir: &Path, previous: &Path) -> anyhow::Result<()> {
    let mut folders: Vec<PathBuf> = outputs
        .iter()
        .filter_map(|o| Path::new(&o.path).parent().map(|p| dir.join(p)))
        .collect();
    folders.sort();
    folders.dedup();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for folder in &folders {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    outputs.par_iter().try_for_each(|output| {
        let path = dir.join(&output.path);
        let old = previous.join(&output.path);
        if unchanged(&old, &output.bytes) && std::fs::hard_link(&old, &path).is_ok() {
            return Ok(());
        }
        std::fs::write(&path, &output.bytes)
            .with_context(|| format!("cannot write {}", path.display()))
    })
}

/// Whether the file at `path` holds exactly `bytes`; the size is compared first, so a
/// changed file is usually told apart without reading it.
fn unchanged(path: &Path, bytes: &[u8]) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => {
            std::fs::read(path).is_ok_and(|old| old == bytes)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_replaces_the_folder_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        std::fs::create_dir_all(out.join("old")).unwrap();
        std::fs::write(out.join("old/stale.html"), "x").unwrap();
        write(
            &[Output {
                path: "a/index.html".into(),
                bytes: b"new".to_vec(),
            }],
            &out,
        )
        .unwrap();
        assert_eq!(std::fs::read(out.join("a/index.html")).unwrap(), b"new");
        assert!(!out.join("old").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "staging folders are cleaned up");
    }

    #[test]
    fn unchanged_files_are_not_rewritten() {
        use std::os::unix::fs::MetadataExt as _;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let files = |same: &[u8], changed: &[u8]| {
            vec![
                Output {
                    path: "same.html".into(),
                    bytes: same.to_vec(),
                },
                Output {
                    path: "a/changed.html".into(),
                    bytes: changed.to_vec(),
                },
            ]
        };
        write(&files(b"same", b"one"), &out).unwrap();
        let inode = |p: &str| std::fs::metadata(out.join(p)).unwrap().ino();
        let (same, changed) = (inode("same.html"), inode("a/changed.html"));
        write(&files(b"same", b"two"), &out).unwrap();
        assert_eq!(inode("same.html"), same, "an unchanged file is kept");
        assert_ne!(inode("a/changed.html"), changed);
        assert_eq!(std::fs::read(out.join("a/changed.html")).unwrap(), b"two");
        // Same size, other bytes: still rewritten.
        write(&files(b"SAME", b"two"), &out).unwrap();
        assert_eq!(std::fs::read(out.join("same.html")).unwrap(), b"SAME");
    }
}
