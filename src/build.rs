//! Rendering and writing: every output of a loaded `Site`, then an all-or-nothing swap into `public/`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Value};

use crate::cache::OutputStamp;
use crate::content::Page;
use crate::error::{Problem, Problems};
use crate::figures::Figure;
use crate::markdown::{self, TocEntry};
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
    /// The summary as listings on other pages show it (links from the site root).
    pub(crate) listed_summary: String,
    pub(crate) toc: Vec<TocEntry>,
    pub(crate) word_count: usize,
    pub(crate) figures_used: Vec<String>,
    pub(crate) charts_used: Vec<String>,
    pub(crate) md_links: Vec<String>,
    pub(crate) blocks: Vec<u128>,
}

impl<'a> RenderedPage<'a> {
    pub(crate) fn listing(&self) -> Listing<'_> {
        Listing {
            page: self.page,
            summary: &self.summary,
            listed_summary: &self.listed_summary,
            word_count: self.word_count,
            figures_used: &self.figures_used,
        }
    }
}

/// What listings of pages (`pages`, `nav`, `page.previous`) and the feed show of a page.
#[derive(Clone, Copy)]
pub(crate) struct Listing<'a> {
    pub(crate) page: &'a Page,
    pub(crate) summary: &'a str,
    pub(crate) listed_summary: &'a str,
    pub(crate) word_count: usize,
    pub(crate) figures_used: &'a [String],
}

const WORDS_PER_MINUTE: usize = 220;

/// Every output file of the site, rendered in memory with nothing renamed and no link
/// check: pages, the figures page, the code stylesheet, the static files and the
/// documents of [`crate::publish::documents`]. Touches no disk.
pub fn render(site: &Site) -> Result<Vec<Output>, Problems> {
    let sink = MemorySink::default();
    let options = crate::engine::Options {
        fingerprint: false,
        check_links: false,
        ..crate::engine::Options::default()
    };
    crate::engine::run(site, &options, &sink, crate::cache::PageRecords::default())?;
    Ok(sink.into_outputs())
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
        .map(|page| render_markdown(site, page, &page_urls, Some(&site.highlights)))
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

/// One page's Markdown; without `highlights`, its code blocks are left out (see
/// [`crate::markdown::RenderContext::highlights`]).
pub(crate) fn render_markdown<'a>(
    site: &'a Site,
    page: &'a Page,
    page_urls: &HashMap<String, String>,
    highlights: Option<&crate::cache::Highlights>,
) -> Result<RenderedPage<'a>, Problems> {
    let (body, summary) = markdown::render_page(page, &site.figures, page_urls, highlights);
    let summary = summary
        .map(|summary| summary.map(|r| markdown::inline_html(&r.html)))
        .transpose();
    match (body, summary) {
        (Ok(body), Ok(summary)) => {
            let summary = summary.unwrap_or(body.summary);
            Ok(RenderedPage {
                page,
                listed_summary: crate::links::rebase_to_root(&summary, &page.url),
                summary,
                html: body.html,
                toc: body.toc,
                word_count: body.word_count,
                figures_used: body.figures_used,
                charts_used: body.charts_used,
                md_links: body.md_links,
                blocks: body.blocks,
            })
        }
        (Err(Problems(mut a)), Err(Problems(b))) => {
            a.extend(b);
            Err(Problems(a))
        }
        (Err(problems), _) | (_, Err(problems)) => Err(problems),
    }
}

fn listing_value(site: &Site, listing: &Listing) -> Value {
    let page = listing.page;
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
        word_count: listing.word_count,
        reading_minutes: listing.word_count.div_ceil(WORDS_PER_MINUTE).max(1),
        is_home: page.is_home,
        template: page.template(),
        source: &page.rel,
        figures_used: listing.figures_used,
        extra: &page.front.extra,
    };
    Value::from_serializable(&view)
}

/// `page` of a page's own template: its listing, its content, table of contents and JSON-LD.
fn page_value(site: &Site, rendered: &RenderedPage) -> Value {
    let mut map = listing_value(site, &rendered.listing())
        .into_map()
        .unwrap_or_default();
    // Rendered Markdown is HTML already: mark it safe so autoescape leaves it alone.
    map.insert("summary".into(), Value::safe_string(&rendered.summary));
    map.insert("content".into(), Value::safe_string(&rendered.html));
    map.insert("toc".into(), Value::from_serializable(&rendered.toc));
    let json_ld = crate::publish::page_json_ld(site, rendered.page);
    map.insert("json_ld".into(), Value::safe_string(&json_ld));
    Value::from(map)
}

/// A page as listings on other pages show it: its summary's links start from the site root.
/// `fields` (of [`LISTING_FIELDS`]) are the ones to include: on a large site every
/// listed page is held in memory, and a field no template names need not be.
fn listed_value(site: &Site, listing: &Listing, fields: Option<&[&str]>) -> Value {
    let wanted = |field: &str| fields.is_none_or(|fields| fields.contains(&field));
    let mut map = listing_value(site, listing).into_map().unwrap_or_default();
    map.retain(|field, _| wanted(field.as_str().unwrap_or_default()));
    if wanted("summary") {
        map.insert("summary".into(), Value::safe_string(listing.listed_summary));
    }
    Value::from(map)
}

/// Every field of a page in `pages` and `nav`.
pub(crate) const LISTING_FIELDS: &[&str] = &[
    "title",
    "description",
    "date",
    "date_display",
    "url",
    "permalink",
    "slug",
    "weight",
    "word_count",
    "reading_minutes",
    "is_home",
    "template",
    "source",
    "figures_used",
    "extra",
    "summary",
];

/// The HTML of one page (before assets are renamed): its Markdown rendered with code,
/// then its template. `listings` are every page's in reading order, `index` this one's.
pub(crate) fn render_page_html(
    site: &Site,
    rendered: &RenderedPage,
    shared: &Context,
    charts: &crate::charts::ByRoot,
    listings: &[Listing],
    index: usize,
) -> Result<String, Problem> {
    let mut context = shared.clone();
    let mut value = page_value(site, rendered);
    link_neighbours(&mut value, listings, index);
    context.insert_value("page", value);
    let root = rendered.page.root();
    context.insert("root", &root);
    context.insert_value("charts", crate::charts::for_root(charts, &root));
    let html = site.templates.render(rendered.page.template(), &context)?;
    Ok(crate::links::fill_root(html, &root))
}

/// `page.previous` and `page.next` in reading order (home, then every page), so a
/// template needs no loop over all pages to find them: that loop on every page
/// would make a build quadratic in the number of pages.
fn link_neighbours(value: &mut Value, listings: &[Listing], index: usize) {
    let link = |page: Option<&Listing>| match page {
        Some(page) => {
            let mut map = tera::Map::new();
            map.insert("title".into(), page.page.title.as_str().into());
            map.insert("url".into(), page.page.url.as_str().into());
            map.insert("is_home".into(), page.page.is_home.into());
            Value::from(map)
        }
        None => Value::none(),
    };
    let previous = index.checked_sub(1).and_then(|i| listings.get(i));
    let next = listings.get(index + 1);
    if let Some(mut map) = std::mem::replace(value, Value::none()).into_map() {
        map.insert("previous".into(), link(previous));
        map.insert("next".into(), link(next));
        *value = Value::from(map);
    }
}

/// The context every page template shares, and hashes of its listings (`pages`, `nav`)
/// for the page cache.
pub(crate) fn shared_context(site: &Site, listings: &[Listing]) -> (Context, ListingKeys) {
    shared_context_with(site, listings, None, &[], None)
}

/// A page as listings show it, and a hash of each of its fields.
pub struct Listed {
    value: Value,
    hashes: FieldHashes,
}

/// Listed pages of an earlier build, by a key of everything they are made from, so a
/// process that builds again and again (the preview) makes only those that changed.
#[derive(Default)]
pub struct ListedMemo(Mutex<HashMap<u128, Arc<Listed>>>);

/// [`shared_context`], taking each listed page from `memo` when `keys` (one per
/// listing) has it there, and leaving in `memo` exactly this build's listed pages.
pub(crate) fn shared_context_with(
    site: &Site,
    listings: &[Listing],
    memo: Option<&ListedMemo>,
    keys: &[u128],
    fields: Option<&[&str]>,
) -> (Context, ListingKeys) {
    let known = |index: usize| -> Option<Arc<Listed>> {
        let key = keys.get(index)?;
        memo?.0.lock().ok()?.get(key).cloned()
    };
    let mut context = Context::new();
    context.insert("site", &site.config);
    let mut listed: Vec<Value> = Vec::with_capacity(listings.len());
    // The navigation lists top-level pages only, so its size does not grow with
    // an archive of nested pages.
    let mut nav: Vec<Value> = Vec::new();
    let mut pages_keys: BTreeMap<String, crate::cache::Key> = BTreeMap::new();
    let mut nav_keys: BTreeMap<String, crate::cache::Key> = BTreeMap::new();
    // Values and the hash of each of their fields, in parallel: on a large site this
    // is a loop over every page.
    let values: Vec<(usize, &Listing, Arc<Listed>)> = listings
        .par_iter()
        .enumerate()
        .filter(|(_, p)| !p.page.is_home)
        .map(|(index, listing)| {
            if let Some(listed) = known(index) {
                return (index, listing, listed);
            }
            let value = listed_value(site, listing, fields);
            let hashes = value
                .as_map()
                .into_iter()
                .flatten()
                .map(|(field, v)| {
                    let mut key = crate::cache::Key::new();
                    let _ = serde_json::to_writer(&mut key, v);
                    (field.as_str().unwrap_or_default().to_string(), key.finish())
                })
                .collect();
            (index, listing, Arc::new(Listed { value, hashes }))
        })
        .collect();
    if let Some(Ok(mut memo)) = memo.map(|m| m.0.lock()) {
        memo.clear();
        for (index, _, listed) in &values {
            if let Some(key) = keys.get(*index) {
                memo.insert(*key, Arc::clone(listed));
            }
        }
    }
    let add = |keys: &mut BTreeMap<String, crate::cache::Key>, hashes: &[(String, u128)]| {
        for (field, hash) in hashes {
            match keys.get_mut(field) {
                Some(key) => {
                    key.add(hash);
                }
                None => {
                    let mut key = crate::cache::Key::new();
                    key.add(hash);
                    keys.insert(field.clone(), key);
                }
            }
        }
    };
    for (_, listing, entry) in values {
        add(&mut pages_keys, &entry.hashes);
        if listing.page.url.matches('/').count() == 1 {
            add(&mut nav_keys, &entry.hashes);
            nav.push(entry.value.clone());
        }
        listed.push(entry.value.clone());
    }
    let finish = |keys: BTreeMap<String, crate::cache::Key>, count: usize| ListingKey {
        count,
        fields: keys.into_iter().map(|(f, k)| (f, k.finish())).collect(),
    };
    let keys = ListingKeys {
        pages: finish(pages_keys, listed.len()),
        nav: finish(nav_keys, nav.len()),
    };
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

    (context, keys)
}

/// Each field of a listed page with a hash of its value.
type FieldHashes = Vec<(String, u128)>;

/// Hashes of what `pages` and `nav` show, so a page that lists them is rendered again
/// exactly when a listing changes.
#[derive(Debug, Clone)]
pub(crate) struct ListingKeys {
    pub(crate) pages: ListingKey,
    pub(crate) nav: ListingKey,
}

/// One listing's length and, per field of its entries, a hash of that field of every entry.
#[derive(Debug, Clone)]
pub(crate) struct ListingKey {
    pub(crate) count: usize,
    pub(crate) fields: BTreeMap<String, u128>,
}

impl ListingKey {
    /// Its hash as a template sees it that names only the fields `uses` says it does:
    /// a template that shows titles does not change when a summary does.
    pub(crate) fn add_to(&self, key: &mut crate::cache::Key, uses: &dyn Fn(&str) -> bool) {
        key.add(&self.count);
        for (field, hash) in &self.fields {
            if field == "url" || uses(field) {
                key.add(field).add(hash);
            }
        }
    }
}

pub(crate) fn render_figures_page(
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

/// Where a build puts its outputs. Every output is either put (new bytes) or kept (the
/// previous build's file, known unchanged), so the sink knows the whole new site.
pub trait Sink: Sync {
    /// Keep the previous build's `path`, if it is still exactly as `stamp` says.
    fn keep(&self, path: &str, stamp: &OutputStamp) -> bool;
    /// Put `bytes` at `path`.
    fn put(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<OutputStamp>;
    /// The bytes this build gave `path` (put or kept), to place a problem in them.
    fn read(&self, path: &str) -> Option<Vec<u8>>;
}

/// Outputs in memory: the preview server's site and the tests'. `previous` is the last
/// build's files, which kept outputs are taken from.
#[derive(Default)]
pub struct MemorySink {
    previous: HashMap<String, Arc<[u8]>>,
    files: Mutex<HashMap<String, Arc<[u8]>>>,
}

impl MemorySink {
    pub fn with_previous(previous: HashMap<String, Arc<[u8]>>) -> MemorySink {
        MemorySink {
            previous,
            files: Mutex::default(),
        }
    }

    pub fn into_files(self) -> HashMap<String, Arc<[u8]>> {
        self.files.into_inner().unwrap_or_default()
    }

    /// The outputs, sorted by path.
    pub fn into_outputs(self) -> Vec<Output> {
        let mut outputs: Vec<Output> = self
            .into_files()
            .into_iter()
            .map(|(path, bytes)| Output {
                path,
                bytes: bytes.to_vec(),
            })
            .collect();
        outputs.sort_by(|a, b| a.path.cmp(&b.path));
        outputs
    }
}

impl Sink for MemorySink {
    fn keep(&self, path: &str, stamp: &OutputStamp) -> bool {
        // The previous files and the records come from the same earlier build in this
        // process (a failed build changes neither), so the length is check enough.
        let Some(bytes) = self.previous.get(path) else {
            return false;
        };
        if bytes.len() as u64 != stamp.len {
            return false;
        }
        if let Ok(mut files) = self.files.lock() {
            files.insert(path.to_string(), bytes.clone());
        }
        true
    }

    fn put(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<OutputStamp> {
        let stamp = OutputStamp {
            len: bytes.len() as u64,
            modified_ns: 0,
            inode: 0,
        };
        self.files
            .lock()
            .map_err(|_| anyhow::anyhow!("a rendering thread panicked"))?
            .insert(path.to_string(), bytes.into());
        Ok(stamp)
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.files.lock().ok()?.get(path).map(|b| b.to_vec())
    }
}

/// Outputs written under `output_dir`, all or nothing: every new or changed file goes
/// to a staging folder beside it; only [`DiskSink::commit`], after the whole site is
/// rendered and checked, moves them in and removes the files the new site no longer
/// has. Unchanged files are never rewritten, so they keep their modification times and
/// a warm build writes only what changed. Dropping the sink without committing (a
/// failed build) removes the staging folder and leaves `output_dir` exactly as it was.
pub struct DiskSink {
    output_dir: PathBuf,
    staging: PathBuf,
    /// Whether `output_dir` existed: if not, the staging folder simply becomes it.
    existed: bool,
    /// Paths of this build's outputs, and which of them were written to staging.
    outputs: Mutex<HashMap<String, bool>>,
    committed: bool,
}

impl DiskSink {
    pub fn new(output_dir: &Path) -> anyhow::Result<DiskSink> {
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
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        Ok(DiskSink {
            output_dir: output_dir.to_path_buf(),
            staging,
            existed: output_dir.is_dir(),
            outputs: Mutex::default(),
            committed: false,
        })
    }

    fn record(&self, path: &str, written: bool) {
        if let Ok(mut outputs) = self.outputs.lock() {
            outputs.insert(path.to_string(), written);
        }
    }

    /// Make the new site the content of `output_dir`.
    pub fn commit(mut self) -> anyhow::Result<()> {
        self.committed = true;
        let outputs = std::mem::take(
            &mut *self
                .outputs
                .lock()
                .map_err(|_| anyhow::anyhow!("a rendering thread panicked"))?,
        );
        if !self.existed {
            std::fs::rename(&self.staging, &self.output_dir).with_context(|| {
                format!(
                    "cannot move the new site into {}",
                    self.output_dir.display()
                )
            })?;
            return Ok(());
        }
        // Files of the previous site that the new one does not have.
        let mut stale_dirs = Vec::new();
        for entry in walkdir::WalkDir::new(&self.output_dir)
            .min_depth(1)
            .contents_first(true)
            .into_iter()
            .filter_map(Result::ok)
        {
            let rel = entry
                .path()
                .strip_prefix(&self.output_dir)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if entry.file_type().is_dir() {
                stale_dirs.push(entry.path().to_path_buf());
            } else if !outputs.contains_key(&rel) {
                std::fs::remove_file(entry.path())
                    .with_context(|| format!("cannot remove {}", entry.path().display()))?;
            }
        }
        // Deepest first (contents_first): a folder left empty goes too.
        for dir in stale_dirs {
            let _ = std::fs::remove_dir(dir);
        }
        let mut written: Vec<&String> = outputs
            .iter()
            .filter(|(_, written)| **written)
            .map(|(path, _)| path)
            .collect();
        written.sort();
        for path in written {
            let target = self.output_dir.join(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            if target.is_dir() {
                std::fs::remove_dir_all(&target)
                    .with_context(|| format!("cannot remove {}", target.display()))?;
            }
            std::fs::rename(self.staging.join(path), &target)
                .with_context(|| format!("cannot write {}", target.display()))?;
        }
        let _ = std::fs::remove_dir_all(&self.staging);
        Ok(())
    }
}

impl Drop for DiskSink {
    fn drop(&mut self) {
        if !self.committed || self.existed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

impl Sink for DiskSink {
    fn keep(&self, path: &str, stamp: &OutputStamp) -> bool {
        if !self.existed {
            return false;
        }
        let ok = OutputStamp::of_file(&self.output_dir.join(path)).as_ref() == Some(stamp);
        if ok {
            self.record(path, false);
        }
        ok
    }

    fn put(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<OutputStamp> {
        if self.existed {
            let old = self.output_dir.join(path);
            if unchanged(&old, &bytes) {
                if let Some(stamp) = OutputStamp::of_file(&old) {
                    self.record(path, false);
                    return Ok(stamp);
                }
            }
        }
        let target = self.staging.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, &bytes)
            .with_context(|| format!("cannot write {}", target.display()))?;
        self.record(path, true);
        // The file keeps its inode and time when it is moved into place.
        OutputStamp::of_file(&target)
            .with_context(|| format!("cannot read back {}", target.display()))
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        let written = *self.outputs.lock().ok()?.get(path)?;
        let dir = if written {
            &self.staging
        } else {
            &self.output_dir
        };
        std::fs::read(dir.join(path)).ok()
    }
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

/// Write `outputs` into `output_dir` as one change (see [`DiskSink`]).
pub fn write(outputs: &[Output], output_dir: &Path) -> anyhow::Result<()> {
    let sink = DiskSink::new(output_dir)?;
    outputs
        .par_iter()
        .try_for_each(|output| sink.put(&output.path, output.bytes.clone()).map(|_| ()))?;
    sink.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_fields_are_every_field_of_a_listed_page() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("content")).unwrap();
        std::fs::write(dir.path().join("briefing.yaml"), "title: T\n").unwrap();
        std::fs::write(
            dir.path().join("content/a.md"),
            "---\ntitle: A\n---\nText.\n",
        )
        .unwrap();
        let site = Site::load(dir.path(), &crate::LoadOptions::default()).unwrap();
        let listing = Listing {
            page: &site.pages[0],
            summary: "",
            listed_summary: "",
            word_count: 1,
            figures_used: &[],
        };
        let value = listed_value(&site, &listing, None);
        let mut keys: Vec<&str> = value
            .as_map()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap())
            .collect();
        keys.sort_unstable();
        let mut fields = LISTING_FIELDS.to_vec();
        fields.sort_unstable();
        assert_eq!(keys, fields);
        let only = listed_value(&site, &listing, Some(&["url", "title"]));
        assert_eq!(only.as_map().unwrap().len(), 2);
    }

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
    fn a_file_may_become_a_folder_and_back() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let one = |path: &str| {
            vec![Output {
                path: path.into(),
                bytes: b"x".to_vec(),
            }]
        };
        write(&one("notes"), &out).unwrap();
        write(&one("notes/index.html"), &out).unwrap();
        assert!(out.join("notes/index.html").is_file());
        write(&one("notes"), &out).unwrap();
        assert!(out.join("notes").is_file());
    }

    #[test]
    fn a_sink_dropped_without_commit_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write(
            &[Output {
                path: "a.html".into(),
                bytes: b"old".to_vec(),
            }],
            &out,
        )
        .unwrap();
        let sink = DiskSink::new(&out).unwrap();
        sink.put("a.html", b"new".to_vec()).unwrap();
        sink.put("b.html", b"new".to_vec()).unwrap();
        drop(sink);
        assert_eq!(std::fs::read(out.join("a.html")).unwrap(), b"old");
        assert!(!out.join("b.html").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
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
