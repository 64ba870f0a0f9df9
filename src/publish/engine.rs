//! Building: every output of a loaded `Site` rendered, renamed, link-checked and handed
//! to a sink one file at a time, re-rendering only pages whose inputs changed.
//!
//! Two passes over the pages. The first renders each page's Markdown without its code
//! blocks (cheap) for what other pages show of it: summaries, word counts, the listings
//! `pages` and `nav`. The second renders each page whole, its template around it, and
//! gives it to the sink at once, so no build holds every page in memory. A page whose
//! output key (its source, the figures and charts it shows, its template and every
//! template that one reaches, the listings its templates name, its neighbours, the
//! configuration and the renamed assets) equals the previous build's is not rendered at
//! all: its file is kept.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::figures::Figures;
use crate::load::content::Page;
use crate::load::site::Site;
use crate::publish::cache::{PageRecord, PageRecords};
use crate::publish::links::{self, CheckFile, FileLinks, Report};
use crate::publish::sink::Sink;
use crate::render::Output;
use crate::render::page::{self as build, Listing, RenderedPage};
use crate::util::error::{Problem, Problems};
use crate::util::hash::Key;
use crate::util::html::scan;
use crate::util::urls::SiteUrl;

/// With `BRIEFING_TIMINGS=1` in the environment, how long each step of a build took,
/// on stderr: where to look when a build is slow.
pub struct Timings {
    enabled: bool,
    last: std::time::Instant,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            enabled: std::env::var_os("BRIEFING_TIMINGS").is_some_and(|v| v != "0"),
            last: std::time::Instant::now(),
        }
    }
}

impl Timings {
    /// Print the time since the last step, as the time of `step`.
    pub fn step(&mut self, step: &str) {
        if self.enabled {
            // Resident memory now and at its peak, where the system tells (Linux).
            let memory = std::fs::read_to_string("/proc/self/status")
                .map(|status| {
                    status
                        .lines()
                        .filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM"))
                        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            eprintln!(
                "{step:>28}: {:8.1} ms  {memory}",
                self.last.elapsed().as_secs_f64() * 1e3
            );
        }
        self.last = std::time::Instant::now();
    }
}

/// How to build.
#[derive(Debug, Clone)]
pub struct Options {
    /// Give referenced assets content-hashed names.
    pub fingerprint: bool,
    /// Check every internal link, anchor and image.
    pub check_links: bool,
    /// Report broken internal links as warnings instead of failing.
    pub allow_broken_links: bool,
    /// The output folder as messages show it.
    pub output_dir: PathBuf,
    /// Find where each external link is written; else they are only counted and listed.
    pub locate_external_links: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fingerprint: true,
            check_links: true,
            allow_broken_links: false,
            output_dir: PathBuf::from("public"),
            locate_external_links: false,
        }
    }
}

/// What a build made.
#[derive(Default)]
pub struct Outcome {
    /// Every output path, as written (hashed names included).
    pub files: usize,
    pub bytes: u64,
    /// Pages rendered this build; the others were kept from the previous one.
    pub rendered: usize,
    pub links: Report,
    /// Broken links when `allow_broken_links`.
    pub broken: Vec<Problem>,
    /// Records of this build's pages, for the next.
    pub records: PageRecords,
    /// Whether the records differ from the previous build's (else there is no need to save them).
    pub records_changed: bool,
}

/// What the first pass knows of a page.
struct Meta {
    summary: Arc<str>,
    listed_summary: Arc<str>,
    word_count: usize,
    figures_used: Vec<String>,
    markdown_key: u128,
}

/// What pass one knows of a page, its record when the record still holds, and on a
/// small site its whole rendered Markdown.
type MetaAndRecord<'a> = (Meta, Option<Arc<PageRecord>>, Option<RenderedPage<'a>>);

/// Up to this many pages, pass one renders each page whole (code included) and keeps it
/// for pass two: on a small site the memory does not matter and one Markdown pass is
/// cheaper than two.
const WHOLE_IN_PASS_ONE: usize = 256;

/// Build `site` into `sink`. `previous` are the records of the last build into the same
/// sink's folder; nothing is kept from it unless its key still matches.
pub fn run(
    site: &Site,
    options: &Options,
    sink: &dyn Sink,
    previous: PageRecords,
) -> Result<Outcome, Problems> {
    let check_memo = previous.check;
    let listed_memo = previous.listed;
    let mut previous_records = previous.records;
    let previous: Vec<Option<Arc<PageRecord>>> = site
        .pages
        .iter()
        .map(|p| previous_records.remove(&p.rel))
        .collect();
    // Records left are of pages that are gone.
    let pages_removed = !previous_records.is_empty();
    let mut timings = Timings::default();
    let page_urls: HashMap<String, String> = site
        .pages
        .iter()
        .map(|p| (p.rel.clone(), p.url.clone()))
        .collect();
    let keys = Keys::new(&site.figures);

    // Pass one: what every page shows of itself elsewhere.
    let whole = site.pages.len() <= WHOLE_IN_PASS_ONE;
    let metas: Vec<Result<MetaAndRecord, Problems>> = site
        .pages
        .par_iter()
        .zip(previous)
        .map(|(page, record)| meta(site, page, &page_urls, &keys, record, whole))
        .collect();
    let mut problems = Vec::new();
    let mut meta_list = Vec::with_capacity(metas.len());
    let mut records = Vec::with_capacity(metas.len());
    for result in metas {
        match result {
            Ok((meta, record, rendered)) => {
                meta_list.push(meta);
                records.push((record, rendered));
            }
            Err(Problems(found)) => problems.extend(found),
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    let metas = meta_list;
    let listings: Vec<Listing> = site
        .pages
        .iter()
        .zip(&metas)
        .map(|(page, meta)| Listing {
            page,
            summary: &meta.summary,
            listed_summary: &meta.listed_summary,
            word_count: meta.word_count,
            figures_used: &meta.figures_used,
        })
        .collect();
    timings.step("pass one (listings)");
    // Listings hold only the fields a template that is given them names.
    let listing_templates: Vec<&crate::load::templates::Dependencies> = site
        .pages
        .iter()
        .map(Page::template)
        .chain(["figures.html", "404.html"])
        .collect::<HashSet<&str>>()
        .into_iter()
        .filter_map(|name| site.templates.dependencies(name))
        .collect();
    let fields: Vec<&str> = build::LISTING_FIELDS
        .iter()
        .copied()
        .filter(|field| *field == "url" || listing_templates.iter().any(|d| d.names(field)))
        .collect();
    // A listed page is made from the page (its Markdown key covers all of it), the base
    // URL and the fields listed.
    let listed_keys: Vec<u128> = metas
        .iter()
        .map(|m| {
            Key::new()
                .add(&m.markdown_key)
                .add(&site.config.base_url)
                .add(&fields)
                .finish()
        })
        .collect();
    let (shared, listing_keys) = build::shared_context_with(
        site,
        &listings,
        listed_memo.as_deref(),
        &listed_keys,
        Some(&fields),
    );
    let charts = crate::render::charts::by_root(&site.figures, site.pages.iter().map(Page::root));
    let url = SiteUrl::new(&site.config.base_url);

    timings.step("shared context");
    // Assets first: their hashed names are in every page.
    let assets = crate::publish::assets::assets(site, options.fingerprint, &url)?;
    let mut global = Key::new();
    global
        .add(&serde_json::to_string(&site.config).unwrap_or_default())
        .add(&crate::render::documents::has_feed(site))
        .add(&assets.renames.iter().collect::<BTreeMap<_, _>>());

    timings.step("assets");
    // Pass two: every page, rendered or kept, straight into the sink.
    let global = global.finish();
    let pages: Vec<Result<(Arc<PageRecord>, bool), Problems>> = site
        .pages
        .par_iter()
        .zip(records)
        .enumerate()
        .map(|(index, (page, (record, rendered)))| {
            let meta = &metas[index];
            let output_key = output_key(
                site,
                page,
                meta,
                &keys,
                &listing_keys,
                &listings,
                index,
                global,
            );
            let path = page.output_path();
            if let Some(record) = record {
                if record.output_key == output_key && sink.keep(&path, &record.output) {
                    site.highlights.keep(&record.blocks);
                    return Ok((record, false));
                }
            }
            let rendered = match rendered {
                Some(rendered) => rendered,
                None => build::render_markdown(site, page, &page_urls, Some(&site.highlights))?,
            };
            let html = build::render_page_html(site, &rendered, &shared, &charts, &listings, index)
                .map_err(Problems::one)?;
            let (bytes, file_links) = finish(&path, html, &assets, &url);
            let output = sink
                .put(&path, bytes)
                .map_err(|err| io_problem(&options.output_dir, &path, &err))?;
            Ok((
                Arc::new(PageRecord {
                    markdown_key: meta.markdown_key,
                    summary: meta.summary.clone(),
                    listed_summary: meta.listed_summary.clone(),
                    word_count: meta.word_count,
                    figures_used: rendered.figures_used,
                    charts_used: rendered.charts_used,
                    md_links: rendered.md_links,
                    blocks: rendered.blocks,
                    output_key,
                    output,
                    links: file_links,
                }),
                true,
            ))
        })
        .collect();
    timings.step("pass two (pages)");
    let mut outcome = Outcome::default();
    let mut page_records: Vec<Arc<PageRecord>> = Vec::with_capacity(pages.len());
    for result in pages {
        match result {
            Ok((record, rendered)) => {
                outcome.rendered += usize::from(rendered);
                outcome.bytes += record.output.len;
                page_records.push(record);
            }
            Err(Problems(found)) => problems.extend(found),
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }

    // The rest is small: rendered every build, written only when it changed.
    let mut others: Vec<Output> = Vec::new();
    others.push(build::render_figures_page(site, &shared, &charts).map_err(Problems::one)?);
    let sections: Vec<crate::render::documents::Section> = listings
        .iter()
        .map(|l| crate::render::documents::Section {
            page: l.page,
            summary: l.summary,
        })
        .collect();
    let taken: HashSet<&str> = assets
        .outputs
        .iter()
        .map(|(original, _)| original.as_str())
        .collect();
    others.extend(crate::render::documents::documents(
        site,
        &shared,
        &sections,
        &|path| taken.contains(path),
    )?);
    let generated: HashSet<String> = others.iter().map(|o| o.path.clone()).collect();
    for path in site
        .pages
        .iter()
        .map(Page::output_path)
        .chain(generated.iter().cloned())
    {
        if taken.contains(path.as_str()) {
            problems.push(crate::publish::assets::clash(&path));
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    // Pre-rename texts of the generated files, to place a problem found in them.
    let mut texts: HashMap<String, String> = HashMap::new();
    let mut other_links: Vec<(String, FileLinks)> = Vec::new();
    for output in others {
        let text = String::from_utf8_lossy(&output.bytes).into_owned();
        let (bytes, file_links) = finish(&output.path, text.clone(), &assets, &url);
        texts.insert(output.path.clone(), text);
        let stamp = sink
            .put(&output.path, bytes)
            .map_err(|err| io_problem(&options.output_dir, &output.path, &err))?;
        outcome.bytes += stamp.len;
        other_links.push((output.path, file_links));
    }
    for (original, asset) in &assets.outputs {
        let stamp = sink
            .put(&asset.path, asset.bytes.clone())
            .map_err(|err| io_problem(&options.output_dir, &asset.path, &err))?;
        outcome.bytes += stamp.len;
        let text = String::from_utf8_lossy(&assets.original(original)).into_owned();
        let file_links = FileLinks::of(&scan(original, &text));
        other_links.push((original.clone(), file_links));
    }
    let mut check_files: Vec<CheckFile> = site
        .pages
        .iter()
        .zip(&page_records)
        .map(|(page, record)| CheckFile {
            path: page.output_path(),
            links: &record.links,
        })
        .chain(other_links.iter().map(|(path, links)| CheckFile {
            path: path.clone(),
            links,
        }))
        .collect();
    outcome.files = check_files.len();
    // Problems are reported in the order of the output paths, whatever order made them.
    check_files.sort_by(|a, b| a.path.cmp(&b.path));

    timings.step("other outputs");
    if options.check_links {
        let page_index: HashMap<String, usize> = site
            .pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.output_path(), i))
            .collect();
        let text_of = |number: usize| -> String {
            let path = &check_files[number].path;
            if let Some(&index) = page_index.get(path) {
                return page_text(site, &page_urls, &shared, &charts, &listings, index);
            }
            if let Some(text) = texts.get(path) {
                return text.clone();
            }
            String::from_utf8_lossy(&assets.original(path)).into_owned()
        };
        let mut report = links::check(
            site,
            &check_files,
            &text_of,
            &options.output_dir,
            options.locate_external_links,
            &check_memo,
        );
        if !report.broken.is_empty() {
            if options.allow_broken_links {
                outcome.broken = std::mem::take(&mut report.broken);
            } else {
                return Err(Problems(std::mem::take(&mut report.broken)));
            }
        }
        outcome.records.check = std::mem::take(&mut report.memo);
        outcome.links = report;
    }
    timings.step("link check");
    drop(check_files);
    outcome.records_changed = outcome.rendered > 0 || pages_removed;
    outcome.records.listed = listed_memo;
    outcome.records.records = site
        .pages
        .iter()
        .map(|p| p.rel.clone())
        .zip(page_records)
        .collect();
    Ok(outcome)
}

/// A page's HTML as rendered before renaming, to place a problem in it.
fn page_text(
    site: &Site,
    page_urls: &HashMap<String, String>,
    shared: &tera::Context,
    charts: &crate::render::charts::ByRoot,
    listings: &[Listing],
    index: usize,
) -> String {
    let page = &site.pages[index];
    build::render_markdown(site, page, page_urls, Some(&site.highlights))
        .ok()
        .and_then(|rendered| {
            build::render_page_html(site, &rendered, shared, charts, listings, index).ok()
        })
        .unwrap_or_default()
}

/// Scan an output for the link check, then rename the assets it refers to.
fn finish(
    path: &str,
    text: String,
    assets: &crate::publish::assets::Assets,
    url: &SiteUrl,
) -> (Vec<u8>, FileLinks) {
    let scan = scan(path, &text);
    let file_links = FileLinks::of(&scan);
    (
        assets.rewrite(path, text, &scan, url).into_bytes(),
        file_links,
    )
}

fn io_problem(output_dir: &std::path::Path, path: &str, err: &anyhow::Error) -> Problems {
    Problems::one(
        Problem::new(output_dir.join(path), format!("cannot write: {err:#}")).help(
            "check that the output folder is writable and its disk has space, or choose another with --output",
        ),
    )
}

/// First pass for one page: from its record when its Markdown key still holds, else by
/// rendering its Markdown without code.
fn meta<'a>(
    site: &'a Site,
    page: &'a Page,
    page_urls: &HashMap<String, String>,
    keys: &Keys,
    record: Option<Arc<PageRecord>>,
    whole: bool,
) -> Result<MetaAndRecord<'a>, Problems> {
    if let Some(record) = record {
        let key = markdown_key(
            page,
            &record.figures_used,
            &record.charts_used,
            &record.md_links,
            keys,
            page_urls,
        );
        if key == record.markdown_key {
            let meta = Meta {
                summary: Arc::clone(&record.summary),
                listed_summary: Arc::clone(&record.listed_summary),
                word_count: record.word_count,
                figures_used: record.figures_used.clone(),
                markdown_key: key,
            };
            return Ok((meta, Some(record), None));
        }
    }
    let highlights = whole.then_some(&*site.highlights);
    let rendered = build::render_markdown(site, page, page_urls, highlights)?;
    let markdown_key = markdown_key(
        page,
        &rendered.figures_used,
        &rendered.charts_used,
        &rendered.md_links,
        keys,
        page_urls,
    );
    let meta = Meta {
        summary: rendered.summary.as_str().into(),
        listed_summary: rendered.listed_summary.as_str().into(),
        word_count: rendered.word_count,
        figures_used: rendered.figures_used.clone(),
        markdown_key,
    };
    Ok((meta, None, whole.then_some(rendered)))
}

/// Hash of everything a page's Markdown renders from: the page itself (front matter,
/// body, path), the figures and charts it shows, and the URLs of the pages it links to.
fn markdown_key(
    page: &Page,
    figures_used: &[String],
    charts_used: &[String],
    md_links: &[String],
    keys: &Keys,
    page_urls: &HashMap<String, String>,
) -> u128 {
    let mut key = Key::new();
    key.add(&page.path)
        .add(&page.rel)
        .add(&page.url)
        .add(&page.title)
        .add(&page.body)
        .add(&page.body_line)
        .add(&page.summary_line)
        .add(&page.template_line)
        .add(&page.is_home)
        .add(&format!("{:?}", page.front));
    for name in figures_used {
        key.add(name).add(&keys.figures.get(name.as_str()));
    }
    for name in charts_used {
        key.add(name).add(&keys.charts.get(name.as_str()));
    }
    for rel in md_links {
        key.add(rel).add(&page_urls.get(rel));
    }
    key.finish()
}

/// Hash of everything a page's output is made from.
#[allow(clippy::too_many_arguments)]
fn output_key(
    site: &Site,
    page: &Page,
    meta: &Meta,
    keys: &Keys,
    listing_keys: &build::ListingKeys,
    listings: &[Listing],
    index: usize,
    global: u128,
) -> u128 {
    let mut key = Key::new();
    key.add(&global)
        .add(&meta.markdown_key)
        .add(page.template());
    match site.templates.dependencies(page.template()) {
        Some(dependencies) => {
            key.add(&dependencies.key);
            let uses = |name: &str| dependencies.uses.contains(name);
            if uses("pages") {
                listing_keys
                    .pages
                    .add_to(&mut key, &|field| dependencies.names(field));
            }
            if uses("nav") {
                listing_keys
                    .nav
                    .add_to(&mut key, &|field| dependencies.names(field));
            }
            if ["figures", "figure_list", "sources", "checks", "charts"]
                .iter()
                .any(|name| uses(name))
            {
                key.add(&keys.all);
            }
        }
        None => {
            key.add("no such template");
        }
    }
    // page.previous and page.next.
    for neighbour in [index.checked_sub(1), Some(index + 1)] {
        match neighbour.and_then(|i| listings.get(i)) {
            Some(l) => key.add(&l.page.title).add(&l.page.url).add(&l.page.is_home),
            None => key.add("none"),
        };
    }
    key.finish()
}

/// Hashes of every figure and chart as pages show them.
struct Keys<'a> {
    figures: HashMap<&'a str, u128>,
    charts: HashMap<&'a str, u128>,
    /// Of all figures, sources, checks and charts, for templates that list them.
    all: u128,
}

impl<'a> Keys<'a> {
    fn new(figures: &'a Figures) -> Keys<'a> {
        // A figure shows its own value, formula, source and range, and its inputs'
        // values in its tooltip: its key covers them, through every level of inputs.
        let own: HashMap<&str, String> = figures
            .iter()
            .map(|f| {
                let mut value = serde_json::to_value(f).unwrap_or_default();
                if let Some(map) = value.as_object_mut() {
                    // Where the figure is written is not what pages show.
                    map.remove("line");
                }
                let source = f
                    .source
                    .as_deref()
                    .and_then(|id| figures.source(id))
                    .map(json)
                    .unwrap_or_default();
                (f.name.as_str(), format!("{value}{source}"))
            })
            .collect();
        // Each key is made from the figure's own text and its inputs' keys, computed
        // inputs first: linear in the number of figures however deep their formulas nest
        // (a walk through every figure's inputs for each figure was quadratic).
        let mut figure_keys: HashMap<&str, u128> = HashMap::with_capacity(own.len());
        for figure in figures.iter() {
            let mut stack: Vec<(&str, bool)> = vec![(figure.name.as_str(), false)];
            while let Some((name, inputs_done)) = stack.pop() {
                if figure_keys.contains_key(name) {
                    continue;
                }
                let inputs: &[String] = figures.get(name).map_or(&[], |f| f.inputs.as_slice());
                if !inputs_done {
                    stack.push((name, true));
                    stack.extend(
                        inputs
                            .iter()
                            .filter(|input| !figure_keys.contains_key(input.as_str()))
                            .map(|input| (input.as_str(), false)),
                    );
                    continue;
                }
                let mut key = Key::new();
                key.add(name).add(&own.get(name));
                for input in inputs {
                    // Cycles are refused when figures load; a missing key cannot happen.
                    key.add(input).add(&figure_keys.get(input.as_str()));
                }
                figure_keys.insert(name, key.finish());
            }
        }
        // A chart draws its computed data and may label it with any figure: its key
        // covers both, without drawing it.
        let every_figure = figure_keys.iter().collect::<BTreeMap<_, _>>();
        let chart_keys: HashMap<&str, u128> = figures
            .charts()
            .map(|chart| {
                let key = Key::new().add(&json(chart)).add(&every_figure).finish();
                (chart.name.as_str(), key)
            })
            .collect();
        let mut all = Key::new();
        all.add(&figure_keys.iter().collect::<BTreeMap<_, _>>())
            .add(&chart_keys.iter().collect::<BTreeMap<_, _>>());
        for source in figures.sources() {
            all.add(&json(source));
        }
        for check in figures.checks() {
            all.add(&json(check));
        }
        Keys {
            figures: figure_keys,
            charts: chart_keys,
            all: all.finish(),
        }
    }
}

/// A value as JSON text, for hashing.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
