//! Building: every output of a loaded `Site` rendered, renamed, link-checked and handed
//! to a sink one file at a time, re-rendering only pages whose inputs changed.
//!
//! Two passes over the pages. The first reads what other pages show of each page
//! (summaries, word counts: the listings `pages` and `nav`); the second renders each
//! page whole, its template around it, and gives it to the sink at once, so no build
//! holds every page in memory. A page's Markdown is rendered once: a page whose template
//! reads nothing of other pages' Markdown (most of a large site) is finished in the
//! first pass, with listings of what front matter alone tells; only the pages whose
//! templates list summaries or word counts (the home page) have their Markdown read in
//! the first pass (without code) and again whole in the second. A page whose
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
use crate::publish::cache::{OtherGroup, PageRecord, PageRecords};
use crate::publish::links::{self, CheckFile, FileLinks, Report};
use crate::publish::sink::Sink;
use crate::render::highlight::HighlightCache;
use crate::render::page::{self as build, Listing, RenderedPage};
use crate::util::error::{Problem, Problems};
use crate::util::hash::Key;
use crate::util::html::{scan, scan_skipping};
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
    /// Links to other sites: located where they are written (`check --external`), listed
    /// by output file (the build's count), or left out (the preview).
    pub external_links: links::External,
    /// Where the steps and pages done are shown (a terminal), if anywhere.
    pub progress: Option<Arc<crate::publish::progress::Progress>>,
    /// Pages this binary built for any site, to write instead of rendering them again.
    pub shared_pages: Option<Arc<crate::publish::shared::SharedPages>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fingerprint: true,
            check_links: true,
            allow_broken_links: false,
            output_dir: PathBuf::from("public"),
            external_links: links::External::List,
            progress: None,
            shared_pages: None,
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
    /// Pages written from the shared cache (built before, by this binary, for any site).
    pub restored: usize,
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

/// What pass one hands pass two of a page (besides what other pages show of it).
enum Carried<'a> {
    /// Its record, whose Markdown key holds: pass two checks its output key.
    Record(Arc<PageRecord>),
    /// Its Markdown was read: whole and kept (few pages to render), or not kept.
    Read(Option<Box<RenderedPage<'a>>>),
    /// Finished in pass one: its record.
    Done(Arc<PageRecord>),
}

/// Up to this many pages to render, pass one renders each whole (code included) and
/// keeps it for pass two: the memory does not matter and one Markdown pass is cheaper
/// than two. Above it, pages are finished in pass one where their templates allow.
const WHOLE_IN_PASS_ONE: usize = 256;

/// The fields of a listed page that come from its Markdown: a template that reads one
/// of another page can be rendered only once every page's Markdown is read.
const MARKDOWN_FIELDS: &[&str] = &["summary", "word_count", "reading_minutes", "figures_used"];

/// What pass one renders finished pages with: listings of front matter alone, and the
/// templates that read no more of other pages.
struct Early<'a> {
    listings: Vec<Listing<'a>>,
    shared: Shared,
    templates: HashSet<&'a str>,
}

/// Build `site` into `sink`, highlighting code through `highlights`. `previous` are the
/// records of the last build into the same sink's folder; nothing is kept from it unless
/// its key still matches. The steps, in order: the assets' names, pass one (what each
/// page shows of itself elsewhere, and on a cold build most pages finished), the context
/// every page shares, pass two (every page not yet finished), the other outputs, the
/// link check.
pub fn run(
    site: &Site,
    options: &Options,
    sink: &dyn Sink,
    highlights: &dyn HighlightCache,
    previous: &PageRecords,
) -> Result<Outcome, Problems> {
    let PageRecords {
        records: previous_records,
        check: check_memo,
        listed: listed_memo,
        others: others_memo,
    } = previous;
    let listed_memo = listed_memo.clone();
    // Borrowed, not taken: the preview keeps its records for the next save even when
    // this build fails, without copying a map of every page.
    let previous: Vec<Option<Arc<PageRecord>>> = site
        .pages
        .iter()
        .map(|p| previous_records.get(&p.rel).cloned())
        .collect();
    // Records not matched are of pages that are gone.
    let pages_removed = previous.iter().flatten().count() != previous_records.len();
    let build = Build::new(site, options, sink, highlights);
    let mut timings = Timings::default();
    // Before pass one, which may finish pages.
    let assets = crate::publish::assets::assets(site, options.fingerprint, &build.url)?;
    let global = build.global_key(&assets);
    timings.step("assets");
    let checked = build.check_records(previous);
    let (metas, carried): (Vec<Meta>, Vec<Carried>) = build
        .pass_one(checked, &assets, global)?
        .into_iter()
        .unzip();
    let listings = build.listings(&metas);
    timings.step("pass one (listings)");
    let shared = build.shared(&metas, &listings, listed_memo.as_deref());
    timings.step("shared context");
    build.step("Rendering pages", site.pages.len());
    let pages = build.pass_two(carried, &metas, &listings, &shared, &assets, global)?;
    timings.step("pass two (pages)");
    let (others, others_memo) =
        build.other_outputs(&shared, &listings, &assets, global, others_memo)?;

    let mut outcome = Outcome {
        rendered: pages.rendered,
        restored: build.restored.load(std::sync::atomic::Ordering::Relaxed),
        bytes: pages.bytes + others.bytes,
        ..Outcome::default()
    };
    let mut check_files: Vec<CheckFile> = site
        .pages
        .iter()
        .zip(&pages.records)
        .map(|(page, record)| CheckFile {
            path: page.output_path(),
            links: &record.links,
        })
        .chain(others.links.iter().map(|(path, links)| CheckFile {
            path: path.clone(),
            links,
        }))
        .collect();
    outcome.files = check_files.len();
    // Problems are reported in the order of the output paths, whatever order made them.
    check_files.sort_by(|a, b| a.path.cmp(&b.path));
    timings.step("other outputs");

    if options.check_links {
        build.step("Checking links", 0);
        let mut report = build.check_links(
            &check_files,
            &shared,
            &listings,
            &others.texts,
            &assets,
            check_memo,
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
    outcome.records_changed =
        outcome.rendered > 0 || outcome.restored > 0 || pages_removed || others.rendered;
    outcome.records.others = others_memo;
    outcome.records.listed = listed_memo;
    outcome.records.records = site
        .pages
        .iter()
        .map(|p| p.rel.clone())
        .zip(pages.records)
        .collect();
    Ok(outcome)
}

/// What every step of one build shares.
struct Build<'a> {
    site: &'a Site,
    options: &'a Options,
    sink: &'a dyn Sink,
    highlights: &'a dyn HighlightCache,
    /// Path inside `content/` -> URL, for every page.
    page_urls: HashMap<String, String>,
    keys: Keys<'a>,
    url: SiteUrl,
    charts: crate::render::charts::ByRoot,
    restored: std::sync::atomic::AtomicUsize,
}

/// The context every page template shares, and hashes of its listings.
struct Shared {
    context: tera::Context,
    listing_keys: build::ListingKeys,
}

/// What pass two made: each page's record, how many were rendered, their bytes.
struct Pages {
    records: Vec<Arc<PageRecord>>,
    rendered: usize,
    bytes: u64,
}

/// The outputs besides the pages: their texts before renaming (to place a problem in
/// them), their links, their bytes.
struct Others {
    texts: HashMap<String, String>,
    links: Vec<(String, FileLinks)>,
    bytes: u64,
    /// Some group was made again (else the memo of them is unchanged).
    rendered: bool,
}

impl<'a> Build<'a> {
    fn step(&self, name: &'static str, total: usize) {
        if let Some(progress) = &self.options.progress {
            progress.step(name, total);
        }
    }

    fn tick(&self) {
        if let Some(progress) = &self.options.progress {
            progress.tick();
        }
    }

    fn new(
        site: &'a Site,
        options: &'a Options,
        sink: &'a dyn Sink,
        highlights: &'a dyn HighlightCache,
    ) -> Build<'a> {
        Build {
            site,
            options,
            sink,
            highlights,
            page_urls: site.page_urls(),
            keys: Keys::new(&site.figures),
            url: SiteUrl::new(&site.config.base_url),
            charts: crate::render::charts::by_root(
                &site.figures,
                site.pages.iter().map(Page::root),
            ),
            restored: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Each page's record, with what pass one needs of it, where the record's Markdown
    /// key still holds (nothing of the page need be rendered to list it).
    fn check_records(
        &self,
        previous: Vec<Option<Arc<PageRecord>>>,
    ) -> Vec<Option<(Meta, Arc<PageRecord>)>> {
        self.site
            .pages
            .par_iter()
            .zip(previous)
            .map(|(page, record)| {
                let record = record?;
                let key = markdown_key(
                    page,
                    &record.figures_used,
                    &record.charts_used,
                    &record.md_links,
                    &self.keys,
                    &self.page_urls,
                );
                (key == record.markdown_key).then(|| {
                    let meta = Meta {
                        summary: Arc::clone(&record.summary),
                        listed_summary: Arc::clone(&record.listed_summary),
                        word_count: record.word_count,
                        figures_used: record.figures_used.clone(),
                        markdown_key: key,
                    };
                    (meta, record)
                })
            })
            .collect()
    }

    /// Listings of what front matter alone tells, for pages finished in pass one: their
    /// templates read no Markdown field of a listed page. `None` when no page's template
    /// can do without.
    fn early(&self) -> Option<Early<'a>> {
        let site = self.site;
        let waits = |name: &str| {
            site.templates
                .dependencies(name)
                .is_none_or(|d| MARKDOWN_FIELDS.iter().any(|field| d.reads_listed(field)))
        };
        let templates: HashSet<&'a str> = site
            .pages
            .iter()
            .map(Page::template)
            .filter(|name| !waits(name))
            .collect();
        if templates.is_empty() {
            return None;
        }
        // None of the fields these templates read comes from Markdown.
        let fields = self.fields_read(templates.iter().copied());
        let listings: Vec<Listing<'a>> = site
            .pages
            .iter()
            .map(|page| Listing {
                page,
                summary: "",
                listed_summary: "",
                word_count: 0,
                figures_used: &[],
            })
            .collect();
        let (context, listing_keys) =
            build::shared_context_with(site, &listings, None, &[], Some(&fields));
        Some(Early {
            listings,
            shared: Shared {
                context,
                listing_keys,
            },
            templates,
        })
    }

    /// Pass one: what every page shows of itself elsewhere (summary, word count), from
    /// its record when the record still holds, else by rendering its Markdown: whole and
    /// kept when few pages are rendered; whole and finished (template, link scan, sink)
    /// when its template reads no Markdown of listed pages ([`Build::early`]); else without
    /// code, for pass two to render whole.
    fn pass_one(
        &self,
        checked: Vec<Option<(Meta, Arc<PageRecord>)>>,
        assets: &crate::publish::assets::Assets,
        global: u128,
    ) -> Result<Vec<(Meta, Carried<'a>)>, Problems> {
        let whole = checked.iter().filter(|c| c.is_none()).count() <= WHOLE_IN_PASS_ONE;
        let early = if whole { None } else { self.early() };
        let early = early.as_ref();
        self.step(
            if early.is_some() {
                "Rendering pages"
            } else {
                "Reading pages"
            },
            self.site.pages.len(),
        );
        let firsts: Vec<Result<(Meta, Carried), Problems>> = self
            .site
            .pages
            .par_iter()
            .zip(checked)
            .enumerate()
            .map(|(index, (page, checked))| {
                let first = match checked {
                    Some((meta, record)) => Ok((meta, Carried::Record(record))),
                    None => match early.filter(|e| e.templates.contains(page.template())) {
                        Some(early) => self.finish_early(index, page, early, assets, global),
                        None => self.read(page, whole),
                    },
                };
                self.tick();
                first
            })
            .collect();
        Problems::gather(firsts)
    }

    /// A page whose template reads no Markdown of other pages, rendered once and finished.
    fn finish_early(
        &self,
        index: usize,
        page: &'a Page,
        early: &Early,
        assets: &crate::publish::assets::Assets,
        global: u128,
    ) -> Result<(Meta, Carried<'a>), Problems> {
        let rendered =
            build::render_markdown(self.site, page, &self.page_urls, Some(self.highlights))?;
        let meta = self.meta_of(page, &rendered);
        // Its key counts only the listing fields its template reads: the same as pass two
        // would make from the full listings.
        let output_key = output_key(
            self.site,
            page,
            &meta,
            &self.keys,
            &early.shared.listing_keys,
            &early.listings,
            index,
            global,
        );
        let record = self.render_and_put(
            index,
            page,
            &meta,
            rendered,
            &early.listings,
            &early.shared,
            assets,
            output_key,
        )?;
        Ok((meta, Carried::Done(record)))
    }

    /// A page's Markdown read for what other pages show of it: whole (and kept) when
    /// `whole`, else without code.
    fn read(&self, page: &'a Page, whole: bool) -> Result<(Meta, Carried<'a>), Problems> {
        let highlights = whole.then_some(self.highlights);
        let rendered = build::render_markdown(self.site, page, &self.page_urls, highlights)?;
        let meta = self.meta_of(page, &rendered);
        Ok((meta, Carried::Read(whole.then(|| Box::new(rendered)))))
    }

    /// What other pages show of a page whose Markdown was just rendered.
    fn meta_of(&self, page: &Page, rendered: &RenderedPage) -> Meta {
        Meta {
            summary: rendered.summary.as_str().into(),
            listed_summary: rendered.listed_summary.as_str().into(),
            word_count: rendered.word_count,
            figures_used: rendered.figures_used.clone(),
            markdown_key: markdown_key(
                page,
                &rendered.figures_used,
                &rendered.charts_used,
                &rendered.md_links,
                &self.keys,
                &self.page_urls,
            ),
        }
    }

    fn listings<'m>(&self, metas: &'m [Meta]) -> Vec<Listing<'m>>
    where
        'a: 'm,
    {
        self.site
            .pages
            .iter()
            .zip(metas)
            .map(|(page, meta)| Listing {
                page,
                summary: &meta.summary,
                listed_summary: &meta.listed_summary,
                word_count: meta.word_count,
                figures_used: &meta.figures_used,
            })
            .collect()
    }

    /// The context every page shares. Listings hold only the fields a template that is
    /// given them reads; a listed page is made from the page (its Markdown key covers all
    /// of it), the base URL and the fields listed.
    fn shared(
        &self,
        metas: &[Meta],
        listings: &[Listing],
        memo: Option<&build::ListedMemo>,
    ) -> Shared {
        let site = self.site;
        let templates: HashSet<&str> = site
            .pages
            .iter()
            .map(Page::template)
            .chain(["figures.html", "404.html"])
            .collect();
        let fields = self.fields_read(templates.into_iter());
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
        let (context, listing_keys) =
            build::shared_context_with(site, listings, memo, &listed_keys, Some(&fields));
        Shared {
            context,
            listing_keys,
        }
    }

    /// The fields of a listed page that the templates `names` read (and `url`, which
    /// every listed page keeps): all that listings given to them need hold.
    fn fields_read<'n>(&self, names: impl Iterator<Item = &'n str>) -> Vec<&'static str> {
        let read: Vec<&crate::load::templates::Dependencies> = names
            .filter_map(|name| self.site.templates.dependencies(name))
            .collect();
        build::LISTING_FIELDS
            .iter()
            .copied()
            .filter(|field| *field == "url" || read.iter().any(|d| d.reads_listed(field)))
            .collect()
    }

    /// What every page's output depends on besides itself: the configuration, whether
    /// there is a feed, the assets' names.
    fn global_key(&self, assets: &crate::publish::assets::Assets) -> u128 {
        Key::new()
            .add(&serde_json::to_string(&self.site.config).unwrap_or_default())
            .add(&crate::render::documents::has_feed(self.site))
            .add(&assets.renames.iter().collect::<BTreeMap<_, _>>())
            .finish()
    }

    /// Pass two: every page, kept when its output key and file still hold, else rendered
    /// whole and handed to the sink at once.
    #[allow(clippy::too_many_arguments)]
    fn pass_two(
        &self,
        records: Vec<Carried<'a>>,
        metas: &[Meta],
        listings: &[Listing],
        shared: &Shared,
        assets: &crate::publish::assets::Assets,
        global: u128,
    ) -> Result<Pages, Problems> {
        let pages: Vec<Result<(Arc<PageRecord>, bool), Problems>> = self
            .site
            .pages
            .par_iter()
            .zip(records)
            .enumerate()
            .map(|(index, (page, carried))| {
                let (record, rendered) = match carried {
                    Carried::Done(record) => {
                        self.tick();
                        return Ok((record, true));
                    }
                    Carried::Record(record) => (Some(record), None),
                    Carried::Read(rendered) => (None, rendered.map(|boxed| *boxed)),
                };
                let done = self.page(
                    index,
                    page,
                    &metas[index],
                    record,
                    rendered,
                    listings,
                    shared,
                    assets,
                    global,
                );
                self.tick();
                done
            })
            .collect();
        let mut done = Pages {
            records: Vec::with_capacity(pages.len()),
            rendered: 0,
            bytes: 0,
        };
        for (record, rendered) in Problems::gather(pages)? {
            done.rendered += usize::from(rendered);
            done.bytes += record.output.len;
            done.records.push(record);
        }
        Ok(done)
    }

    /// One page of pass two: its record, and whether it was rendered (else kept).
    #[allow(clippy::too_many_arguments)]
    fn page(
        &self,
        index: usize,
        page: &'a Page,
        meta: &Meta,
        record: Option<Arc<PageRecord>>,
        rendered: Option<RenderedPage<'a>>,
        listings: &[Listing],
        shared: &Shared,
        assets: &crate::publish::assets::Assets,
        global: u128,
    ) -> Result<(Arc<PageRecord>, bool), Problems> {
        let site = self.site;
        let output_key = output_key(
            site,
            page,
            meta,
            &self.keys,
            &shared.listing_keys,
            listings,
            index,
            global,
        );
        let path = page.output_path();
        if let Some(record) = record
            && record.output_key == output_key
        {
            if self.sink.keep(&path, &record.output) {
                self.highlights.keep(&record.blocks);
                return Ok((record, false));
            }
            // Not in the output folder (a fresh clone): the same page of an earlier build.
            if let Some(bytes) = self
                .options
                .shared_pages
                .as_ref()
                .and_then(|shared| shared.output(page, output_key))
            {
                let output = self.put(&path, bytes)?;
                self.highlights.keep(&record.blocks);
                self.restored
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let record = PageRecord {
                    output,
                    ..PageRecord::clone(&record)
                };
                return Ok((Arc::new(record), false));
            }
        }
        let rendered = match rendered {
            Some(rendered) => rendered,
            None => build::render_markdown(site, page, &self.page_urls, Some(self.highlights))?,
        };
        let record = self.render_and_put(
            index, page, meta, rendered, listings, shared, assets, output_key,
        )?;
        Ok((record, true))
    }

    /// A page's template around its rendered Markdown; its links scanned, its assets
    /// renamed, its bytes handed to the sink (and the shared cache); its record.
    #[allow(clippy::too_many_arguments)]
    fn render_and_put(
        &self,
        index: usize,
        page: &Page,
        meta: &Meta,
        rendered: RenderedPage,
        listings: &[Listing],
        shared: &Shared,
        assets: &crate::publish::assets::Assets,
        output_key: u128,
    ) -> Result<Arc<PageRecord>, Problems> {
        let path = page.output_path();
        let html = build::render_page_html(
            self.site,
            &rendered,
            &shared.context,
            &self.charts,
            listings,
            index,
        )
        .map_err(Problems::one)?;
        let (bytes, file_links) = finish(&path, html.html, &html.code, assets, &self.url);
        let mut record = PageRecord {
            markdown_key: meta.markdown_key,
            summary: meta.summary.clone(),
            listed_summary: meta.listed_summary.clone(),
            word_count: meta.word_count,
            figures_used: rendered.figures_used,
            charts_used: rendered.charts_used,
            md_links: rendered.md_links,
            blocks: rendered.blocks,
            output_key,
            output: crate::publish::cache::OutputStamp::default(),
            links: file_links,
        };
        // Kept before the bytes go to the sink, which takes them: a stamp of this output
        // folder means nothing to another site, so the entry keeps none.
        if let Some(shared) = &self.options.shared_pages {
            shared.store(page, &record, &bytes);
        }
        record.output = self.put(&path, bytes)?;
        Ok(Arc::new(record))
    }

    fn put(
        &self,
        path: &str,
        bytes: Vec<u8>,
    ) -> Result<crate::publish::cache::OutputStamp, Problems> {
        self.sink
            .put(path, bytes)
            .map_err(|err| io_problem(&self.options.output_dir, path, &err))
    }

    /// The outputs besides the pages (small: rendered every build, written only when they
    /// changed): the figures page, the documents beside the pages, the assets.
    /// The outputs besides the pages, in two groups made from a key each: the figures
    /// page, and the documents (404 page, published data, sitemap, feed, robots.txt). A
    /// group whose key and files still hold is kept, as a page is.
    fn other_outputs(
        &self,
        shared: &Shared,
        listings: &[Listing],
        assets: &crate::publish::assets::Assets,
        global: u128,
        memo: &[OtherGroup],
    ) -> Result<(Others, Vec<OtherGroup>), Problems> {
        let site = self.site;
        let taken: HashSet<&str> = assets
            .outputs
            .iter()
            .map(|(original, _)| original.as_str())
            .collect();
        let mut others = Others {
            texts: HashMap::new(),
            links: Vec::new(),
            bytes: 0,
            rendered: false,
        };
        let mut groups = Vec::with_capacity(2);
        for name in ["figures page", "documents"] {
            // A static file of the same path replaces a document (or clashes with it).
            let mut static_paths: Vec<&str> = taken.iter().copied().collect();
            static_paths.sort_unstable();
            let key = match name {
                "figures page" => self.figures_page_key(shared, global),
                _ => self.documents_key(shared, listings, global),
            };
            let key = Key::new().add(&key).add(&static_paths).finish();
            if let Some(group) = memo.iter().find(|g| g.name == name && g.key == key)
                && group
                    .files
                    .iter()
                    .all(|(path, stamp, _)| self.sink.keep(path, stamp))
            {
                for (path, stamp, links) in &group.files {
                    others.bytes += stamp.len;
                    others.links.push((path.clone(), links.clone()));
                }
                groups.push(group.clone());
                continue;
            }
            let outputs = match name {
                "figures page" => vec![
                    build::render_figures_page(site, &shared.context, &self.charts)
                        .map_err(Problems::one)?,
                ],
                _ => {
                    let sections: Vec<crate::render::documents::Section> = listings
                        .iter()
                        .map(|l| crate::render::documents::Section {
                            page: l.page,
                            summary: l.summary,
                        })
                        .collect();
                    crate::render::documents::documents(
                        site,
                        &shared.context,
                        &sections,
                        &|path| taken.contains(path),
                    )?
                }
            };
            let clashes: Vec<Problem> = outputs
                .iter()
                .filter(|o| taken.contains(o.path.as_str()))
                .map(|o| crate::publish::assets::clash(&o.path))
                .collect();
            if !clashes.is_empty() {
                return Err(Problems(clashes));
            }
            others.rendered = true;
            let mut files = Vec::with_capacity(outputs.len());
            for output in outputs {
                let text = String::from_utf8_lossy(&output.bytes).into_owned();
                let (bytes, file_links) =
                    finish(&output.path, text.clone(), &[], assets, &self.url);
                others.texts.insert(output.path.clone(), text);
                let stamp = self.put(&output.path, bytes)?;
                others.bytes += stamp.len;
                others.links.push((output.path.clone(), file_links.clone()));
                files.push((output.path, stamp, file_links));
            }
            groups.push(OtherGroup {
                name: name.to_string(),
                key,
                files,
            });
        }
        let clashes: Vec<Problem> = site
            .pages
            .iter()
            .map(Page::output_path)
            .filter(|path| taken.contains(path.as_str()))
            .map(|path| crate::publish::assets::clash(&path))
            .collect();
        if !clashes.is_empty() {
            return Err(Problems(clashes));
        }
        for (original, asset) in &assets.outputs {
            others.bytes += self.put(&asset.path, asset.bytes.clone())?.len;
            let text = String::from_utf8_lossy(&assets.original(original)).into_owned();
            others
                .links
                .push((original.clone(), FileLinks::of(&scan(original, &text))));
        }
        Ok((others, groups))
    }

    /// What the figures page is made from: its template and what that reads.
    fn figures_page_key(&self, shared: &Shared, global: u128) -> u128 {
        let mut key = Key::new();
        key.add("figures page").add(&global);
        template_key(
            self.site,
            "figures.html",
            &self.keys,
            &shared.listing_keys,
            &mut key,
        );
        key.finish()
    }

    /// What the documents are made from: the 404 page's template and what it reads, the
    /// figures (published data), and of every page what a sitemap or a feed shows (its
    /// front matter, and its summary where it has a date).
    fn documents_key(&self, shared: &Shared, listings: &[Listing], global: u128) -> u128 {
        let mut key = Key::new();
        key.add("documents").add(&global).add(&self.keys.all);
        template_key(
            self.site,
            "404.html",
            &self.keys,
            &shared.listing_keys,
            &mut key,
        );
        for listing in listings {
            let page = listing.page;
            key.add(&page.rel)
                .add(&page.url)
                .add(&page.title)
                .add(&page.is_home)
                .add(&page.front_key);
            if page.front.date.is_some() {
                key.add(listing.summary);
            }
        }
        key.finish()
    }

    /// Every internal link, anchor and image of `files`; a file's text (before renaming)
    /// is made again only to place a problem in it.
    fn check_links(
        &self,
        files: &[CheckFile],
        shared: &Shared,
        listings: &[Listing],
        texts: &HashMap<String, String>,
        assets: &crate::publish::assets::Assets,
        memo: &links::CheckMemo,
    ) -> Report {
        let page_index: HashMap<String, usize> = self
            .site
            .pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.output_path(), i))
            .collect();
        let text_of = |number: usize| -> String {
            let path = &files[number].path;
            if let Some(&index) = page_index.get(path) {
                return self.page_text(shared, listings, index);
            }
            if let Some(text) = texts.get(path) {
                return text.clone();
            }
            let original = assets.original(path);
            if !original.is_empty() {
                return String::from_utf8_lossy(&original).into_owned();
            }
            // A document kept from the last build: its bytes as they were written.
            self.sink
                .read(path)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default()
        };
        links::check(
            self.site,
            files,
            &text_of,
            &self.options.output_dir,
            self.options.external_links,
            memo,
        )
    }

    /// A page's HTML as rendered before renaming, to place a problem in it.
    fn page_text(&self, shared: &Shared, listings: &[Listing], index: usize) -> String {
        let site = self.site;
        let page = &site.pages[index];
        build::render_markdown(site, page, &self.page_urls, Some(self.highlights))
            .ok()
            .and_then(|rendered| {
                build::render_page_html(
                    site,
                    &rendered,
                    &shared.context,
                    &self.charts,
                    listings,
                    index,
                )
                .ok()
            })
            .map(|page| page.html)
            .unwrap_or_default()
    }
}

/// Scan an output for the link check (but the bytes in `skip`, highlighted code), then
/// rename the assets it refers to.
fn finish(
    path: &str,
    text: String,
    skip: &[std::ops::Range<usize>],
    assets: &crate::publish::assets::Assets,
    url: &SiteUrl,
) -> (Vec<u8>, FileLinks) {
    let scan = scan_skipping(path, &text, skip);
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
        .add(&page.body_key)
        .add(&page.body_line)
        .add(&page.summary_line)
        .add(&page.template_line)
        .add(&page.is_home)
        .add(&page.front_key);
    for name in figures_used {
        key.add(name).add(&keys.figures.get(name.as_str()));
    }
    // A page showing an estimate embeds the whole model for its what-if panel.
    if figures_used
        .iter()
        .any(|name| keys.estimates.contains(name.as_str()))
    {
        key.add(&keys.all);
    }
    for name in charts_used {
        // A table or an inline tornado is computed from the whole model: the key of
        // everything covers it.
        match keys.charts.get(name.as_str()) {
            Some(chart) => key.add(name).add(chart),
            None => key.add(name).add(&keys.all),
        };
    }
    for rel in md_links {
        key.add(rel).add(&page_urls.get(rel));
    }
    key.finish()
}

/// Adds to `key` what the template `name` reads besides its page: its own text and the
/// templates it reaches, the fields of `pages` and `nav` it names, and all figures when it
/// names any figure variable.
fn template_key(
    site: &Site,
    name: &str,
    keys: &Keys,
    listing_keys: &build::ListingKeys,
    key: &mut Key,
) {
    match site.templates.dependencies(name) {
        Some(dependencies) => {
            key.add(&dependencies.key);
            let uses = |name: &str| dependencies.uses.contains(name);
            if uses("pages") {
                listing_keys
                    .pages
                    .add_to(key, &|field| dependencies.reads_listed(field));
            }
            if uses("nav") {
                listing_keys
                    .nav
                    .add_to(key, &|field| dependencies.reads_listed(field));
            }
            if crate::load::templates::FIGURE_VARIABLES
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
    template_key(site, page.template(), keys, listing_keys, &mut key);
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
    /// The figures that are estimates: a page showing one embeds the model.
    estimates: std::collections::HashSet<&'a str>,
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
        for scenario in figures.scenarios() {
            all.add(&json(scenario));
        }
        for table in figures.tables() {
            all.add(&json(table));
        }
        Keys {
            figures: figure_keys,
            charts: chart_keys,
            all: all.finish(),
            estimates: figures
                .iter()
                .filter(|f| f.estimate)
                .map(|f| f.name.as_str())
                .collect(),
        }
    }
}

/// A value as JSON text, for hashing.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
