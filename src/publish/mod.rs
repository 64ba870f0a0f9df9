//! Publishing: the build engine and what it hands its outputs to. [`engine::run`] renders
//! every output of a `Site` (or keeps it from the last build, [`cache`]), gives assets
//! content-hashed names ([`assets`]), checks every link ([`links`]) and hands each file
//! to a [`sink`]: the output folder ([`disk`]) or memory. [`prepare`] does it all in
//! memory for `check` and the tests; [`build`] into a folder.

pub mod assets;
pub mod cache;
pub mod disk;
pub mod engine;
pub mod links;
pub mod pdf;
pub mod progress;
pub mod shared;
pub mod sink;

use std::path::Path;
use std::time::{Duration, Instant};

use crate::load::{LoadOptions, Site, config};
use crate::render::Output;
use crate::util::error::{Problem, Problems};
use links::Report;

/// How `build`, `check` and `serve` publish: see [`engine::Options`].
pub use engine::Options;

/// Every output file of the site, rendered in memory with nothing renamed and no link
/// check: pages, the figures page, the code stylesheet, the static files and the
/// documents of [`crate::render::documents::documents`]. Touches no disk.
pub fn render(site: &Site) -> Result<Vec<Output>, Problems> {
    let sink = sink::MemorySink::default();
    let options = engine::Options {
        fingerprint: false,
        check_links: false,
        ..engine::Options::default()
    };
    let highlights = crate::render::highlight::NoCache;
    engine::run(
        site,
        &options,
        &sink,
        &highlights,
        &cache::PageRecords::default(),
    )?;
    Ok(sink.into_outputs())
}

/// The site ready to write, and what the checks found that does not stop it.
#[derive(Debug)]
pub struct Published {
    pub outputs: Vec<Output>,
    pub warnings: Vec<Problem>,
    pub links: Report,
}

/// Render the site, give its assets content-hashed names and check every link, all in
/// memory. Broken internal links fail it unless `options.allow_broken_links`.
pub fn prepare(site: &Site, options: &Options) -> Result<Published, Problems> {
    prepare_with(site, options, &crate::render::highlight::NoCache)
}

/// [`prepare`], taking highlighted code from `highlights` (the build cache, read only).
pub fn prepare_with(
    site: &Site,
    options: &Options,
    highlights: &dyn crate::render::highlight::HighlightCache,
) -> Result<Published, Problems> {
    let sink = sink::MemorySink::default();
    let outcome = engine::run(
        site,
        options,
        &sink,
        highlights,
        &cache::PageRecords::default(),
    )?;
    let mut warnings = warnings(site);
    warnings.extend(outcome.broken);
    Ok(Published {
        outputs: sink.into_outputs(),
        warnings,
        links: outcome.links,
    })
}

/// The records of pages the site's own cache lacks (a fresh clone), from the shared cache:
/// each is checked by the build like a record of its own.
fn from_shared(site: &Site, previous: &mut cache::PageRecords, shared: &shared::SharedPages) {
    use rayon::prelude::*;
    let found: Vec<(String, cache::PageRecord)> = site
        .pages
        .par_iter()
        .filter(|page| !previous.records.contains_key(&page.rel))
        .filter_map(|page| Some((page.rel.clone(), shared.record(page)?)))
        .collect();
    for (rel, record) in found {
        previous.records.insert(rel, std::sync::Arc::new(record));
    }
}

fn step(options: &Options, name: &'static str) {
    if let Some(progress) = &options.progress {
        progress.step(name, 0);
    }
}

/// What is worth fixing before publishing but does not stop a build.
pub fn warnings(site: &Site) -> Vec<Problem> {
    let mut warnings = Vec::new();
    if site.config.base_url.is_empty() {
        warnings.push(
            Problem::new(config::FILE_NAME, "`base_url` is not set, so pages have no canonical link and there is no sitemap.xml or atom.xml")
                .help("set `base_url: https://…` to the address the site is published at, or pass --base-url"),
        );
    } else if crate::render::documents::newest_date(site).is_none()
        && site.pages.iter().any(|p| !p.is_home)
    {
        warnings.push(
            Problem::new("content", "no page has a `date`, so there is no atom.xml")
                .help("give the sections a `date: 2026-11-27` in their front matter"),
        );
    }
    warnings
}

/// What a build did, for the one line `build` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSummary {
    pub pages: usize,
    /// Pages rendered this build; the others were unchanged and kept from the last.
    pub rendered: usize,
    /// Pages written from the shared cache: built before, by this binary, for any site.
    pub restored: usize,
    pub files: usize,
    pub bytes: usize,
    pub elapsed: Duration,
    /// Problems that did not stop the build (broken links with `--allow-broken-links`).
    pub warnings: Vec<Problem>,
    /// Links to other sites, listed, never fetched.
    pub external_links: usize,
    /// Code blocks highlighted this build: found in neither the site's nor the shared cache.
    pub highlighted: usize,
}

/// Load the site in `root`, render it, check its links and write it to `output`. On
/// any problem (a broken internal link included) the output folder is left exactly as it was.
pub fn build(root: &Path, output: &Path, options: &LoadOptions) -> anyhow::Result<BuildSummary> {
    let publish = Options {
        output_dir: crate::util::files::display_path(root, output),
        ..Options::default()
    };
    build_with(
        root,
        output,
        options,
        &publish,
        disk::WriteOptions::default(),
    )
}

/// [`build`], with a choice of how to treat broken links and a filled output folder.
pub fn build_with(
    root: &Path,
    output: &Path,
    options: &LoadOptions,
    publish: &Options,
    write: disk::WriteOptions,
) -> anyhow::Result<BuildSummary> {
    let started = Instant::now();
    // Before anything is read: a build must never be able to empty the site itself.
    disk::check_output_dir(root, output)?;
    step(publish, "Loading");
    let mut timings = engine::Timings::default();
    let site = Site::load(root, options)?;
    timings.step("load");
    let cache_dir = root.join(cache::DIR_NAME);
    let mut previous = if options.no_cache {
        cache::PageRecords::default()
    } else {
        cache::PageRecords::load(&cache_dir)
    };
    let shared_dir = options
        .shared_cache
        .as_deref()
        .filter(|_| !options.no_cache);
    let shared_pages = shared_dir.map(|dir| std::sync::Arc::new(shared::SharedPages::open(dir)));
    if let Some(shared) = &shared_pages {
        from_shared(&site, &mut previous, shared);
    }
    let publish = &Options {
        shared_pages: shared_pages.clone(),
        ..publish.clone()
    };
    let shared_blocks = shared_dir.map(|dir| std::sync::Arc::new(shared::Shared::open(dir)));
    let highlights = if options.no_cache {
        cache::Highlights::none()
    } else {
        cache::Highlights::open(&cache_dir).with_shared(shared::as_highlight_cache(&shared_blocks))
    };
    let sink = disk::DiskSink::new(output, write)?;
    // On any problem the sink is dropped unused: the output folder stays as it was.
    let outcome = engine::run(&site, publish, &sink, &highlights, &previous)?;
    timings.step("engine");
    step(publish, "Writing");
    sink.commit()?;
    timings.step("commit");
    if !options.no_cache {
        step(publish, "Saving the cache");
        // The site is built: a cache that cannot be written costs the next build time only.
        let _ = highlights.save();
        if outcome.records_changed {
            let _ = outcome.records.save(&cache_dir);
        }
        if let Some(dir) = shared_dir {
            shared::evict_after(dir, shared_blocks.as_deref(), shared_pages.as_deref());
        }
        timings.step("save cache");
    }
    let mut warnings = warnings(&site);
    let summary = BuildSummary {
        pages: site.pages.len(),
        rendered: outcome.rendered,
        restored: outcome.restored,
        files: outcome.files,
        bytes: outcome.bytes as usize,
        elapsed: started.elapsed(),
        warnings: Vec::new(),
        external_links: outcome.links.external.len(),
        highlighted: highlights.highlighted(),
    };
    warnings.extend(outcome.broken);
    // Freeing a large site takes a tenth of a second that nobody needs to wait for: a
    // process that ends right after a build does not.
    let records = outcome.records;
    std::thread::spawn(move || drop((site, records)));
    Ok(BuildSummary {
        warnings,
        ..summary
    })
}
